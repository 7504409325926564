"""B2B settlement over REST (issue 17 point 8): a won job is started, done and confirmed; the
month's statement and tax invoice are read by the business's owners (the PDF through a short
link, the original for them, a copy for admins), and the back office lists the month, exports
it and retries held invoices. Bad months, strangers and anonymous callers are refused."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ofair_app.models import UserRole
from tests.api.test_leads_api import API, auth
from tests.b2b import MONTH, settle
from tests.factories import make_professional, make_user, save_card
from tests.standin import configured

_MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


@pytest.fixture
def b2b(db, monkeypatch):
    with configured(monkeypatch, {"SETTLEMENT_MODE": "b2b"}):
        yield


@pytest.fixture
async def closed(b2b, client, parties, referral_deal):
    """DESIGN.md's example deal (₪1,000 at 20 %), started, done and confirmed in b2b mode."""
    lead, _ = referral_deal
    performer, referrer = parties["performer"][1], parties["referrer"][1]
    started = await client.post(f"{API}/leads/{lead['id']}/start", headers=auth(performer))
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "in_progress"
    assert (await client.post(f"{API}/leads/{lead['id']}/complete",
                              headers=auth(performer))).status_code == 200
    confirmed = await client.post(f"{API}/leads/{lead['id']}/confirm-completion",
                                  headers=auth(referrer))
    assert confirmed.json()["status"] == "closed"
    return lead


async def test_the_performers_balance_statement_and_invoice(client, parties, closed) -> None:
    business, performer = parties["performer"]
    before = (await client.get(f"{API}/balances/{business.id}", headers=auth(performer))).json()
    assert (before["balance"], before["month_jobs"], before["month_fees"],
            before["month_referral_owed"]) == ("250.00", 1, "50.00", "200.00")
    settle()
    after = (await client.get(f"{API}/balances/{business.id}", headers=auth(performer))).json()
    assert (after["balance"], after["month_jobs"]) == ("259.00", 0)  # + VAT 9.00
    [statement] = (await client.get(f"{API}/statements/{business.id}",
                                    headers=auth(performer))).json()["items"]
    assert (statement["month"], statement["fees"], statement["vat"],
            statement["referral_owed"], statement["amount_due"], statement["status"]) == (
        f"{MONTH:%Y-%m}", "50.00", "9.00", "200.00", "259.00", "due")
    [invoice] = (await client.get(f"{API}/invoices/{business.id}",
                                  headers=auth(performer))).json()["items"]
    assert (invoice["document_type"], invoice["status"], invoice["before_vat"],
            invoice["vat_rate"], invoice["outside_vat"], invoice["total"]) == (
        305, "issued", "50.00", "0.1800", "200.00", "259.00")
    assert invoice["pdf_url"] == f"/api/v1/invoices/{invoice['id']}/pdf"


async def test_the_referrer_sees_the_fee_it_earned(client, parties, closed) -> None:
    business, referrer = parties["referrer"]
    settle()
    [statement] = (await client.get(f"{API}/statements/{business.id}",
                                    headers=auth(referrer))).json()["items"]
    assert (statement["referral_earned"], statement["amount_due"], statement["status"]) == (
        "200.00", "-200.00", "credit")
    assert (await client.get(f"{API}/invoices/{business.id}",
                             headers=auth(referrer))).json()["items"] == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
async def test_the_invoice_pdf_is_the_original_for_the_owner_and_a_copy_for_admins(
        client, parties, closed, tmp_path: Path) -> None:
    business, performer = parties["performer"]
    settle()
    [invoice] = (await client.get(f"{API}/invoices/{business.id}",
                                  headers=auth(performer))).json()["items"]
    admin = make_user(role=UserRole.admin, name="מנהלת")
    for user, mark in ((performer, "מקור"), (performer, "מקור"), (admin, "העתק")):
        answer = await client.get(invoice["pdf_url"], headers=auth(user))
        assert answer.status_code == 307, answer.text
        download = await client.get(answer.headers["location"])
        assert download.status_code == 200
        assert download.content.startswith(b"%PDF-")
        path = tmp_path / "invoice.pdf"
        path.write_bytes(download.content)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout.translate(_MARKS)
        for expected in ("חשבונית מס", mark, str(invoice["number"]), "אינסטלציה אלון",
                         "עמלת פלטפורמה", "₪50.00", "₪9.00", "₪259.00", "18%"):
            assert expected in text, (expected, user.name)


async def test_strangers_and_anonymous_callers_read_nothing(client, parties, closed) -> None:
    business, _ = parties["performer"]
    settle()
    [invoice] = (await client.get(f"{API}/invoices/{business.id}",
                                  headers=auth(parties["performer"][1]))).json()["items"]
    stranger = make_professional(business_name="סקרנים")[1]
    referrer = parties["referrer"][1]
    for path in (f"/balances/{business.id}", f"/statements/{business.id}",
                 f"/invoices/{business.id}"):
        assert (await client.get(f"{API}{path}")).status_code == 401, path
        for user in (stranger, referrer, parties["consumer"]):
            assert (await client.get(f"{API}{path}", headers=auth(user))).status_code == 403
    for user in (stranger, referrer):
        assert (await client.get(invoice["pdf_url"], headers=auth(user))).status_code == 404
    assert (await client.get(invoice["pdf_url"])).status_code == 401
    for path in ("/admin/settlement/statements?month=2026-11", "/admin/invoices/held"):
        assert (await client.get(f"{API}{path}", headers=auth(stranger))).status_code == 403


async def test_start_is_refused_in_escrow_mode_and_to_anyone_but_the_performer(
        client, parties, referral_deal) -> None:
    lead, _ = referral_deal
    answer = await client.post(f"{API}/leads/{lead['id']}/start",
                               headers=auth(parties["performer"][1]))
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "not_b2b")


async def test_admins_list_export_and_retry(client, parties, closed, monkeypatch) -> None:
    admin = make_user(role=UserRole.admin, name="מנהלת")
    settle()
    month = f"{MONTH:%Y-%m}"
    listed = (await client.get(f"{API}/admin/settlement/statements", params={"month": month},
                               headers=auth(admin))).json()["items"]
    assert [(s["business_name"], s["amount_due"]) for s in listed] == [
        ("אינסטלציה אלון", "259.00"), ("שיפוצי רם", "-200.00")]
    exported = await client.get(f"{API}/admin/settlement/statements.csv",
                                params={"month": month}, headers=auth(admin))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = exported.text.strip().splitlines()
    assert rows[0].startswith("month,business,") and len(rows) == 3
    assert (await client.get(f"{API}/admin/invoices/held",
                             headers=auth(admin))).json()["items"] == []
    [invoice] = (await client.get(f"{API}/invoices/{parties['performer'][0].id}",
                                  headers=auth(admin))).json()["items"]
    again = await client.post(f"{API}/admin/invoices/{invoice['id']}/retry", headers=auth(admin))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_issued")


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "2026-00", "abcd-ef", "",
                                   "0000-01", "2026-11-01"])
async def test_a_bad_month_is_a_clear_422(client, db, month) -> None:
    admin = make_user(role=UserRole.admin, name="מנהלת")
    answer = await client.get(f"{API}/admin/settlement/statements", params={"month": month},
                              headers=auth(admin))
    assert answer.status_code == 422, (month, answer.text)
    assert answer.json()["error"]["code"] == "validation_error"


async def test_an_owner_pays_a_due_statement_and_reads_its_payouts(client, parties,
                                                                    closed) -> None:
    business, performer = parties["performer"]
    settle()
    [statement] = (await client.get(f"{API}/statements/{business.id}",
                                    headers=auth(performer))).json()["items"]
    no_card = await client.post(f"{API}/statements/{statement['id']}/pay",
                                headers=auth(performer))
    assert (no_card.status_code, no_card.json()["error"]["code"]) == (409, "no_card")
    save_card(performer, business)
    stranger = make_professional(business_name="סקרנים")[1]
    assert (await client.post(f"{API}/statements/{statement['id']}/pay",
                              headers=auth(stranger))).status_code == 404
    assert (await client.post(f"{API}/statements/{statement['id']}/pay")).status_code == 401
    paid = await client.post(f"{API}/statements/{statement['id']}/pay", headers=auth(performer))
    assert paid.status_code == 200, paid.text
    assert (paid.json()["outcome"], paid.json()["statement"]["status"]) == ("paid", "paid")
    again = await client.post(f"{API}/statements/{statement['id']}/pay", headers=auth(performer))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "nothing_due")
    listed = await client.get(f"{API}/payouts/{business.id}", headers=auth(performer))
    assert (listed.status_code, listed.json()["items"]) == (200, [])
    assert (await client.get(f"{API}/payouts/{business.id}",
                             headers=auth(stranger))).status_code == 403


async def test_the_referrer_reads_its_statement_of_fees_earned(client, parties, closed) -> None:
    business, referrer = parties["referrer"]
    settle()
    [statement] = (await client.get(f"{API}/statements/{business.id}",
                                    headers=auth(referrer))).json()["items"]
    [line] = (await client.get(f"{API}/statements/{statement['id']}/lines",
                               headers=auth(referrer))).json()["items"]
    assert (line["lead_id"], line["role"], line["final_amount"], line["fee"],
            line["referral_fee"]) == (closed["id"], "referrer", "1000.00", "0.00", "200.00")
    performer_business, performer = parties["performer"]
    [own] = (await client.get(f"{API}/statements/{performer_business.id}",
                              headers=auth(performer))).json()["items"]
    [line] = (await client.get(f"{API}/statements/{own['id']}/lines",
                               headers=auth(performer))).json()["items"]
    assert (line["role"], line["fee"], line["referral_fee"]) == ("performer", "50.00", "200.00")
    for user in (performer, parties["consumer"]):  # another business's statement
        answer = await client.get(f"{API}/statements/{statement['id']}/lines",
                                  headers=auth(user))
        assert answer.status_code == 404
