"""Reports over REST (issue 18 point 5): the platform's money month by month (in Israel's
months, from the tables that record each event), leads and conversion by category and city,
as JSON and as CSV and XLSX exports that parse back and are streamed; admins only."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ofair_app import reference
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.errors import Forbidden
from ofair_app.domain.tax import israel_date
from ofair_app.models import ProposalCreate, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import proposals, reports, settlement
from tests.api.money import pay, sql
from tests.api.test_leads_api import API, auth
from tests.factories import (
    caller_for,
    city,
    consumer_lead_data,
    make_b2b_job,
    make_lead,
    make_paid_job,
    make_professional,
    make_user,
    make_won_job,
    pay_out,
    token_for,
)

ROUTES = ("/admin/reports", "/admin/reports.csv", "/admin/reports.xlsx")
D = Decimal


def months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def admin(db):
    return make_user(role=UserRole.admin, name="מנהלת הכספים")


@pytest.fixture
def months() -> dict[str, date]:
    """This month in Israel and the three before it (the data is placed in them)."""
    now = israel_date(utcnow()).replace(day=1)
    return {"first": months_back(now, 3), "second": months_back(now, 2),
            "third": months_back(now, 1), "now": now}


@pytest.fixture
async def money_world(client, parties, referral_deal, pending, admin, months):
    """- the referral deal (1,000.00 at 20%) paid on the first month's last day at 23:30 UTC
      (already the second month in Israel), then refunded 400.00 through a dispute now;
    - a consumer's job (500.00) paid on the first month's 15th, released, and 450.00 of the
      performer's money paid out now;
    - a b2b job (1,200.00) closed in the third month and settled: its statement's VAT."""
    (_, referrer), (_, performer) = parties["referrer"], parties["performer"]
    lead, _ = referral_deal
    await pay(client, pending["psp_reference"])
    second = months["second"]
    boundary = datetime(second.year, second.month, 1, tzinfo=UTC) - timedelta(minutes=30)
    sql("UPDATE payments SET paid_at = :at RETURNING id", at=boundary)
    opened = await client.post(f"{API}/leads/{lead['id']}/disputes",
                               json={"reason": "רק חצי מהעבודה בוצעה"}, headers=auth(referrer))
    assert opened.status_code == 201, opened.text
    resolved = await client.post(f"{API}/admin/resolve-dispute/{opened.json()['id']}",
                                 json={"resolution": "refund_partial", "refund_amount": "400"},
                                 headers=auth(admin))
    assert resolved.status_code == 200, resolved.text

    job = make_paid_job(parties["consumer"], performer, "500",
                        released_at=utcnow() + timedelta(days=8))
    first = months["first"]
    sql("UPDATE payments SET paid_at = :at WHERE lead_id = :lead RETURNING id",
        at=datetime(first.year, first.month, 15, 8, tzinfo=UTC), lead=job.id)
    pay_out(performer, admin, "450")

    b2b = make_b2b_job(parties["consumer"], performer, "1200")
    third = months["third"]
    sql("UPDATE b2b_charges SET closed_at = :at, month = :month WHERE lead_id = :lead"
        " RETURNING id", at=datetime(third.year, third.month, 10, 10, tzinfo=UTC), month=third,
        lead=b2b.id)
    with unit_of_work(SYSTEM) as session:
        settlement.settle_month(session=session, month=third, as_of=utcnow())
    return {"since": str(first), "until": str(israel_date(utcnow()))}


def expected_months(months: dict[str, date]) -> list[dict]:
    zero = "0.00"
    base = {"jobs": 0, "gross": zero, "refunds": zero, "gmv": zero, "commission": zero,
            "referral_fees": zero, "vat": zero, "payouts": zero}
    return [
        {**base, "month": f"{months['first']:%Y-%m}", "jobs": 1, "gross": "500.00",
         "gmv": "500.00", "commission": "50.00"},
        {**base, "month": f"{months['second']:%Y-%m}", "jobs": 1, "gross": "1000.00",
         "gmv": "1000.00", "commission": "50.00", "referral_fees": "200.00"},
        {**base, "month": f"{months['third']:%Y-%m}", "jobs": 1, "gross": "1200.00",
         "gmv": "1200.00", "commission": "120.00", "vat": "21.60"},
        {**base, "month": f"{months['now']:%Y-%m}", "refunds": "400.00", "gmv": "-400.00",
         "commission": "-20.00", "referral_fees": "-80.00", "payouts": "450.00"},
    ]


async def test_money_by_month_counts_each_event_in_its_israeli_month(
        client, money_world, admin, months) -> None:
    answer = await client.get(f"{API}/admin/reports", headers=auth(admin),
                              params={"report": "money", **money_world})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["report"], body["since"], body["until"]) == (
        "money", money_world["since"], money_world["until"])
    assert body["groups"] == []
    assert body["months"] == expected_months(months)


async def test_the_default_period_is_this_month_so_far(client, money_world, admin,
                                                       months) -> None:
    body = (await client.get(f"{API}/admin/reports", headers=auth(admin))).json()
    assert body["report"] == "money" and body["since"] == str(months["now"])
    assert body["months"] == expected_months(months)[-1:]


async def test_a_month_before_the_first_money_reads_as_zeros(client, money_world, admin,
                                                             months) -> None:
    first = months["first"]
    before = months_back(first, 1)
    body = (await client.get(f"{API}/admin/reports", headers=auth(admin), params={
        "since": str(before), "until": str(first + timedelta(days=14))})).json()
    assert [row["month"] for row in body["months"]] == [f"{before:%Y-%m}", f"{first:%Y-%m}"]
    assert body["months"][0]["jobs"] == 0 and body["months"][0]["gmv"] == "0.00"
    # the first month's 15th is in; the second month's payment is not
    assert body["months"][1]["gross"] == "500.00"


# --- leads and conversion ------------------------------------------------------------------


@pytest.fixture
def leads_world(db, parties):
    """Plumbing in Haifa: 4 leads (one bare, one with a proposal, one awarded, one closed);
    electrical: one closed in Tel Aviv, and one bare without a city."""
    consumer, (_, performer) = parties["consumer"], parties["performer"]
    plumbing, electrical = reference.categories()[0], reference.categories()[1]
    make_lead(consumer)
    proposed = make_lead(consumer)
    pro = caller_for(performer)
    with unit_of_work(pro) as session:
        proposals.create_proposal(session=session, caller=pro, lead_id=proposed.id,
                                  data=ProposalCreate(price=D("450"), description="אגיע מחר."))
    make_won_job(consumer, performer, "450")
    make_paid_job(consumer, performer, "450", done=True)
    wires = dict(category=electrical.slug, subcategory=electrical.subcategories[0].slug,
                 title="החלפת לוח חשמל", budget=D("900"))
    make_b2b_job(consumer, performer, "900",
                 consumer_lead_data(**wires, locality_id=city("Tel Aviv")))
    cityless = make_lead(consumer, consumer_lead_data(**wires))
    sql("UPDATE leads SET locality_id = NULL WHERE id = :lead RETURNING id", lead=cityless.id)
    return {"plumbing": plumbing, "electrical": electrical}


def group(rows: list[dict], key: str) -> tuple:
    [row] = [row for row in rows if row["key"] == key]
    return (row["name"], row["posted"], row["with_proposals"], row["awarded"], row["closed"],
            row["conversion_pct"])


async def test_leads_and_conversion_by_category(client, leads_world, admin) -> None:
    answer = await client.get(f"{API}/admin/reports", headers=auth(admin),
                              params={"report": "leads_by_category"})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["groups"]
    assert answer.json()["months"] == []
    assert [row["key"] for row in rows] == ["plumbing", "electrical"]  # the busiest first
    assert group(rows, "plumbing") == ("אינסטלציה", 4, 3, 2, 1, "25.00")
    assert group(rows, "electrical") == ("חשמל", 2, 1, 1, 1, "50.00")
    english = (await client.get(f"{API}/admin/reports", params={"report": "leads_by_category"},
                                headers={**auth(admin), "Accept-Language": "en"})).json()
    assert group(english["groups"], "plumbing")[0] == leads_world["plumbing"].name_en


async def test_leads_and_conversion_by_city(client, leads_world, admin) -> None:
    rows = (await client.get(f"{API}/admin/reports", headers=auth(admin),
                             params={"report": "leads_by_city"})).json()["groups"]
    haifa, tel_aviv = city("Haifa"), city("Tel Aviv")
    assert rows[0]["key"] == str(haifa)
    assert group(rows, str(haifa)) == ("חיפה", 4, 3, 2, 1, "25.00")
    assert group(rows, str(tel_aviv)) == ("תל אביב-יפו", 1, 1, 1, 1, "100.00")
    assert group(rows, "") == ("ללא עיר", 1, 0, 0, 0, "0.00")


async def test_leads_posted_outside_the_period_are_left_out(client, leads_world,
                                                            admin) -> None:
    tomorrow = israel_date(utcnow()) + timedelta(days=1)
    answer = await client.get(f"{API}/admin/reports", headers=auth(admin), params={
        "report": "leads_by_city", "since": str(tomorrow), "until": str(tomorrow)})
    assert answer.status_code == 200 and answer.json()["groups"] == []


# --- who may read them -----------------------------------------------------------------------


async def test_only_admins_read_or_export_reports(client, parties, admin) -> None:
    for route in ROUTES:
        assert (await client.get(f"{API}{route}")).status_code == 401, route
        for user in (parties["consumer"], parties["referrer"][1]):
            refused = await client.get(f"{API}{route}", headers=auth(user))
            assert refused.status_code == 403, route
            assert refused.json()["error"]["code"] == "forbidden"
    admin_cookie = {"Cookie": f"ofair_token={token_for(admin)}"}
    consumer_cookie = {"Cookie": f"ofair_token={token_for(parties['consumer'])}"}
    for route in ROUTES[1:]:  # the page's download links sign in with its cookie
        assert (await client.get(f"{API}{route}", headers=admin_cookie)).status_code == 200
        assert (await client.get(f"{API}{route}", headers=consumer_cookie)).status_code == 403
    assert (await client.get(f"{API}/admin/reports", headers=admin_cookie)).status_code == 401


async def test_a_non_admin_reads_no_money_through_row_level_security(money_world,
                                                                     parties) -> None:
    """Past the service's check, the database itself shows a stranger none of the money."""
    stranger = caller_for(make_professional(business_name="עסק זר")[1])
    period = reports.period_of(since=money_world["since"], until=money_world["until"])
    with unit_of_work(stranger) as session:
        with pytest.raises(Forbidden):
            reports.money_by_month(session=session, caller=stranger, period=period)
        seen = list(reports._streamed(session, reports._MONEY, reports._bounds(period),
                                      reports.MoneyMonth))
    assert len(seen) == 4
    assert all(row.jobs == 0 and row.gross == row.commission == row.vat == row.payouts == 0
               and row.refunds == row.referral_fees == 0 for row in seen)


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "2026-12-02", "until": "2026-12-01"}, "until"),
    ({"report": "profits"}, "report"),
    ({"since": "yesterday"}, "since"),
    ({"until": "2026-02-30"}, "until"),
    ({"since": "2020-01-01", "until": "2023-01-01"}, "since"),  # 37 calendar months
])
async def test_a_bad_report_or_period_is_a_clear_422(client, admin, params, field) -> None:
    for route in ROUTES:
        answer = await client.get(f"{API}{route}", headers=auth(admin), params=params)
        assert answer.status_code == 422, (route, params, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "validation_error" and field in error["fields"], error


async def test_three_years_is_the_longest_period(client, admin) -> None:
    answer = await client.get(f"{API}/admin/reports", headers=auth(admin),
                              params={"since": "2023-01-01", "until": "2025-12-31"})
    assert answer.status_code == 200
    assert len(answer.json()["months"]) == 36
    too_long = await client.get(f"{API}/admin/reports", params={
        "since": "2023-01-01", "until": "2026-01-01"},
        headers={**auth(admin), "Accept-Language": "en"})
    assert too_long.json()["error"]["fields"]["since"] == "A report covers at most 36 months."


# --- exports ---------------------------------------------------------------------------------

MONEY_HEADERS = ["חודש", "עבודות ששולמו", "תשלומי לקוחות", "החזרים ללקוחות", "מחזור נטו",
                 "עמלות הפלטפורמה", "דמי הפניה", "מע״מ", "העברות לעסקים"]


async def test_the_csv_export_parses_back_with_hebrew_headers(client, money_world, admin,
                                                              months) -> None:
    answer = await client.get(f"{API}/admin/reports.csv", headers=auth(admin), params={
        "report": "money", **money_world})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "ofair-money-" in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == MONEY_HEADERS
    expected = expected_months(months)
    assert [row[0] for row in rows[1:]] == [f"{row['month']}-01" for row in expected]
    assert rows[1][1:] == ["1", "500.00", "0.00", "500.00", "50.00", "0.00", "0.00", "0.00"]
    assert rows[4][3:] == ["400.00", "-400.00", "-20.00", "-80.00", "0.00", "450.00"]
    english = await client.get(f"{API}/admin/reports.csv", params={"report": "leads_by_city"},
                               headers={**auth(admin), "Accept-Language": "en"})
    assert english.content.decode("utf-8-sig").splitlines()[0] == (
        "City,Leads posted,Got proposals,Awarded,Closed,Conversion (%)")


async def test_the_xlsx_export_has_numbers_and_israeli_months(client, money_world, admin,
                                                              months) -> None:
    answer = await client.get(f"{API}/admin/reports.xlsx", headers=auth(admin), params={
        "report": "money", **money_world})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet.title == "כספים לפי חודש" and sheet.sheet_view.rightToLeft
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == MONEY_HEADERS
    assert [row[0] for row in rows[1:]] == [
        datetime(m.year, m.month, 1) for m in (months["first"], months["second"],
                                                months["third"], months["now"])]
    second = rows[2]
    assert all(isinstance(cell, (int, float)) for cell in second[1:])  # numbers, not text
    assert second[1:] == (1, 1000, 0, 1000, 50, 200, 0, 0)
    assert rows[3][7] == pytest.approx(21.6)
    assert rows[4][4] == -400 and rows[4][8] == 450


async def test_a_leads_export_names_the_groups(client, leads_world, admin) -> None:
    answer = await client.get(f"{API}/admin/reports.xlsx", headers=auth(admin),
                              params={"report": "leads_by_category"})
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "לידים לפי קטגוריה"
    assert rows[0] == ("קטגוריה", "לידים שפורסמו", "קיבלו הצעות", "נמסרו לביצוע", "נסגרו",
                       "שיעור המרה (%)")
    assert rows[1] == ("אינסטלציה", 4, 3, 2, 1, 25)


async def asgi_pieces(path: str, query: dict, headers: dict) -> list[bytes]:
    """The body of a GET as the app sends it, piece by piece (httpx's test transport joins
    the pieces into one), through every middleware."""
    from urllib.parse import urlencode

    from ofair_app.web.security import standalone_api

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": urlencode(query).encode(), "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 1234), "server": ("testserver", 80)}
    sent: list[dict] = []
    requested, done = False, asyncio.Event()

    async def receive() -> dict:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays until the answer ends
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await standalone_api()(scope, receive, send)
    assert sent[0]["status"] == 200, sent
    return [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]


async def test_exports_are_streamed_row_by_row(db, admin) -> None:
    """A report is read in batches and written a line at a time: the CSV of three years
    leaves the app in as many pieces as it has lines, and the service hands out an
    iterator, not a list."""
    params = {"report": "money", "since": "2023-01-01", "until": "2025-12-31"}
    pieces = await asgi_pieces(f"{API}/admin/reports.csv", params, auth(admin))
    assert len(pieces) == 37  # the headers and 36 months, each on its own
    assert pieces[0].startswith("\ufeff".encode()) and pieces[1].startswith(b"2023-01-01,")
    caller = caller_for(admin)
    with unit_of_work(caller) as session:
        found = reports.rows(session=session, caller=caller, report=reports.ReportKind.money,
                             period=reports.period_of(since=params["since"],
                                                      until=params["until"]), locale="he")
        assert isinstance(found, Iterator) and not isinstance(found, list)
        assert len(list(found)) == 36
