"""The admin's audit log over REST (issue 18 point 4): admin actions and reveals of personal
details in one timeline, narrowed by who, what, target, when and network, in cursor pages,
and exported whole as CSV and XLSX that parse back; admins only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.tax import israel_date
from ofair_app.models import UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import audit
from tests.api.test_leads_api import API, auth
from tests.factories import caller_for, make_user

ROUTES = ("/admin/audit", "/admin/audit.csv", "/admin/audit.xlsx")


@pytest.fixture
def world(db, referral_deal, parties):
    """Two admins' actions from two networks, and the contact details the
    referral deal's acceptance revealed (contact_access_logs)."""
    noa = make_user(role=UserRole.admin, name="נועה מנהלת", phone="+972541110001")
    eli = make_user(role=UserRole.admin, name="אלי מנהל", phone="+972541110002")
    lead, _ = referral_deal
    with unit_of_work(caller_for(noa)) as session:
        for n in range(3):
            audit.record(session=session, caller=caller_for(noa), action="lead.hide",
                         subject_type="lead", subject_id=lead["id"], ip=f"10.1.0.{n}",
                         detail={"reason": f"=cmd|' /C calc'!A{n}"})
    with unit_of_work(caller_for(eli)) as session:
        audit.record(session=session, caller=caller_for(eli), action="settlement.credit_note",
                     subject_type="lead", subject_id=lead["id"], ip="192.168.7.7")
        audit.record(session=session, caller=caller_for(eli), action="user.suspend",
                     subject_type="user", subject_id=parties["consumer"].id, ip="192.168.7.7")
    return {"noa": noa, "eli": eli, "lead": lead}


async def test_only_admins_read_or_export_the_audit_log(client, world, parties) -> None:
    for route in ROUTES:
        assert (await client.get(f"{API}{route}")).status_code == 401, route
        for user in (parties["consumer"], parties["referrer"][1]):
            refused = await client.get(f"{API}{route}", headers=auth(user))
            assert refused.status_code == 403, route
            assert refused.json()["error"]["code"] == "forbidden"


async def test_the_timeline_is_newest_first_and_narrows(client, world) -> None:
    admin = auth(world["noa"])
    everything = (await client.get(f"{API}/admin/audit", headers=admin)).json()["items"]
    times = [row["at"] for row in everything]
    assert times == sorted(times, reverse=True)
    sources = {row["source"] for row in everything}
    assert {"admin_audit_log", "contact_access_logs"} <= sources
    reveal = next(row for row in everything if row["source"] == "contact_access_logs")
    assert reveal["action"].startswith("contact.") and reveal["subject"] == \
        f"lead:{world['lead']['id']}"

    async def narrowed(**params) -> list[dict]:
        answer = await client.get(f"{API}/admin/audit", headers=admin, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    by_eli = await narrowed(who="054-111-0002")  # a phone, as people write it
    assert {row["action"] for row in by_eli} == {"settlement.credit_note", "user.suspend"}
    assert all(row["actor_name"] == "אלי מנהל" for row in by_eli)
    assert await narrowed(who=str(world["eli"].id)) == by_eli
    assert [row["action"] for row in await narrowed(action="settlement.")] == [
        "settlement.credit_note"]
    assert len(await narrowed(ip="10.1.")) == 3
    lead_rows = await narrowed(subject=f"lead:{world['lead']['id']}")
    assert {row["action"] for row in lead_rows} >= {"lead.hide", "settlement.credit_note"}
    today = israel_date(utcnow())  # days are Israel's
    assert len(await narrowed(since=str(today), until=str(today), who="054-111-0002")) == 2
    assert await narrowed(since=str(today + timedelta(days=1))) == []
    assert await narrowed(until=str(today - timedelta(days=1))) == []
    assert await narrowed(who="nobody@example.com") == []  # nobody: nothing, not an error


async def test_pages_follow_one_another_without_a_gap_or_a_repeat(client, world) -> None:
    admin = auth(world["noa"])
    whole = (await client.get(f"{API}/admin/audit", headers=admin)).json()["items"]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{API}/admin/audit", headers=admin, params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [(r["source"], r["id"]) for r in seen] == [(r["source"], r["id"]) for r in whole]


@pytest.mark.parametrize(("params", "field"), [
    ({"who": "not a phone"}, "who"),
    ({"since": "2026-12-02", "until": "2026-12-01"}, "until"),
    ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
    ({"since": "yesterday"}, "since"),
    ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"),
    ({"action": "a\x01b"}, "action"),
    ({"ip": "x" * 101}, "ip"),
])
async def test_a_bad_narrowing_is_a_clear_422(client, world, params, field) -> None:
    for route in ROUTES if field not in ("cursor", "limit") else ROUTES[:1]:
        answer = await client.get(f"{API}{route}", headers=auth(world["noa"]), params=params)
        assert answer.status_code == 422, (route, params, answer.text)
        assert field in answer.json()["error"]["fields"], answer.json()


async def test_the_csv_export_parses_back_with_hebrew_headers(client, world) -> None:
    answer = await client.get(f"{API}/admin/audit.csv", headers=auth(world["noa"]),
                              params={"ip": "10.1."})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["מועד", "פעולה", "מזהה המבצע", "שם המבצע", "יעד", "כתובת רשת", "פרטים",
                       "מקור"]
    assert len(rows) == 4 and {row[1] for row in rows[1:]} == {"lead.hide"}
    assert all(row[6].startswith("{") for row in rows[1:])  # JSON, never a formula
    english = await client.get(f"{API}/admin/audit.csv", headers={
        **auth(world["noa"]), "Accept-Language": "en"}, params={"ip": "10.1."})
    assert english.content.decode("utf-8-sig").splitlines()[0].startswith("Time,Action,")


async def test_the_xlsx_export_parses_back_right_to_left_in_israel_time(client, world) -> None:
    answer = await client.get(f"{API}/admin/audit.xlsx", headers=auth(world["noa"]),
                              params={"who": str(world["eli"].id)})
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book.active
    assert sheet.title == "יומן ביקורת" and sheet.sheet_view.rightToLeft
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("מועד", "פעולה") and len(rows) == 3
    assert {row[1] for row in rows[1:]} == {"settlement.credit_note", "user.suspend"}
    with unit_of_work(SYSTEM) as session:
        stored = session.execute(text(
            "SELECT created_at AT TIME ZONE 'Asia/Jerusalem' FROM admin_audit_log"
            " WHERE action = 'settlement.credit_note'")).scalar_one()
    [written] = [row[0] for row in rows[1:] if row[1] == "settlement.credit_note"]
    assert abs(written - stored) < timedelta(seconds=1)  # Israel's wall clock, not UTC


async def test_a_download_from_the_admin_pages_signs_in_with_their_cookie(
        client, world, parties) -> None:
    from tests.factories import token_for

    admin_cookie = {"Cookie": f"ofair_token={token_for(world['noa'])}"}
    for route in ROUTES[1:]:
        assert (await client.get(f"{API}{route}", headers=admin_cookie)).status_code == 200
        consumer = {"Cookie": f"ofair_token={token_for(parties['consumer'])}"}
        assert (await client.get(f"{API}{route}", headers=consumer)).status_code == 403
        stale = await client.get(f"{API}{route}", headers={"Cookie": "ofair_token=nope"})
        assert stale.status_code == 401
    # the JSON timeline, like every other API route, takes a bearer token only
    assert (await client.get(f"{API}/admin/audit", headers=admin_cookie)).status_code == 401
