"""Disputes (they freeze the release; an admin releases, refunds in full or refunds part) and
withdrawals (never more than available, Israeli bank details checked; an admin approves,
exports a payout CSV, marks it paid; manual payouts) through the REST contract."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from jobs.runner import run_job
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.ledger import Purpose
from ofair_app.models import UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import disputes, payments
from tests.api.money import balances, ledger_total, pay, platform, sql
from tests.api.test_leads_api import API, auth
from tests.factories import caller_for, make_user

D = Decimal
BANK = {"bank_code": "12", "branch": "608", "account": "123456", "account_holder": "אלון לוי"}


@pytest.fixture
def admin(db):
    return make_user(role=UserRole.admin, name="מנהלת")


@pytest.fixture
async def paid_deal(client, parties, referral_deal, pending):
    lead, _ = referral_deal
    await pay(client, pending["psp_reference"])
    return lead, pending


async def close_and_release(client, parties, lead) -> None:
    (_, referrer), (_, performer) = parties["referrer"], parties["performer"]
    await client.post(f"{API}/leads/{lead['id']}/complete", headers=auth(performer))
    await client.post(f"{API}/leads/{lead['id']}/confirm-completion", headers=auth(referrer))
    run_job("release_holds", as_of=utcnow() + timedelta(days=8))


# --- disputes ------------------------------------------------------------------------------


async def test_a_dispute_freezes_the_release_until_an_admin_releases(
        client, parties, paid_deal, admin) -> None:
    lead, _ = paid_deal
    (_, referrer), (p_business, performer) = parties["referrer"], parties["performer"]
    assert (await client.post(f"{API}/leads/{lead['id']}/disputes", json={"reason": "קצר"},
                              headers=auth(referrer))).status_code == 422
    outsider = make_user(name="זר")
    assert (await client.post(f"{API}/leads/{lead['id']}/disputes",
                              json={"reason": "העבודה לא בוצעה כמו שסוכם"},
                              headers=auth(outsider))).status_code in (403, 404)
    await client.post(f"{API}/leads/{lead['id']}/complete", headers=auth(performer))
    opened = await client.post(f"{API}/leads/{lead['id']}/disputes",
                               json={"reason": "הדוד דולף אחרי ההתקנה, העבודה לא הושלמה"},
                               headers=auth(referrer))
    assert opened.status_code == 201, opened.text
    assert opened.json()["party"] == "owner"
    told = sql("SELECT user_id FROM outbox_messages WHERE template = 'dispute_opened'")
    assert {user_id for (user_id,) in told} == {performer.id, admin.id}
    again = await client.post(f"{API}/leads/{lead['id']}/disputes",
                              json={"reason": "עוד פעם אותה תלונה בדיוק"},
                              headers=auth(performer))
    assert again.status_code == 409
    assert sql("SELECT status FROM leads") == [("disputed",)]
    run_job("release_holds", as_of=utcnow() + timedelta(days=30))
    assert balances(p_business.id) == (D("750.00"), D("0"))  # frozen

    assert (await client.get(f"{API}/admin/disputes", headers=auth(referrer))).status_code == 403
    queue = (await client.get(f"{API}/admin/disputes", headers=auth(admin))).json()["items"]
    assert [d["id"] for d in queue] == [opened.json()["id"]]
    resolved = await client.post(f"{API}/admin/resolve-dispute/{opened.json()['id']}",
                                 json={"resolution": "release", "note": "תוקן בביקור חוזר"},
                                 headers=auth(admin))
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert balances(p_business.id) == (D("0"), D("750.00"))
    assert sql("SELECT status FROM leads") == [("closed",)]
    twice = await client.post(f"{API}/admin/resolve-dispute/{opened.json()['id']}",
                              json={"resolution": "release"}, headers=auth(admin))
    assert twice.status_code == 409
    assert ledger_total() == 0


async def test_a_full_refund_returns_everything_and_cancels_the_job(
        client, parties, paid_deal, admin) -> None:
    lead, _ = paid_deal
    (r_business, referrer), (p_business, _) = parties["referrer"], parties["performer"]
    opened = (await client.post(f"{API}/leads/{lead['id']}/disputes",
                                json={"reason": "בעל המקצוע לא הגיע בכלל לעבודה"},
                                headers=auth(referrer))).json()
    response = await client.post(f"{API}/admin/resolve-dispute/{opened['id']}",
                                 json={"resolution": "refund_full"}, headers=auth(admin))
    assert response.status_code == 200, response.text
    assert balances(p_business.id) == (D("0"), D("0"))
    assert balances(r_business.id) == (D("0"), D("0"))
    assert platform(Purpose.platform_pending) == 0
    assert sql("SELECT status, refunded_amount::text FROM payments") == [
        ("refunded", "1000.00")]
    assert sql("SELECT status FROM leads") == [("cancelled",)]
    assert sql("SELECT amount_refunded FROM sandbox_checkouts") == [(100000,)]
    assert ledger_total() == 0


async def test_a_partial_refund_is_split_pro_rata_and_the_rest_released(
        client, parties, paid_deal, admin) -> None:
    lead, _ = paid_deal
    (r_business, referrer), (p_business, _) = parties["referrer"], parties["performer"]
    opened = (await client.post(f"{API}/leads/{lead['id']}/disputes",
                                json={"reason": "רק חצי מהעבודה בוצעה"},
                                headers=auth(referrer))).json()
    for bad in ({"resolution": "refund_partial"}, {"resolution": "refund_partial",
                                                   "refund_amount": "1000"},
                {"resolution": "refund_partial", "refund_amount": "-5"},
                {"resolution": "split_it"}):
        assert (await client.post(f"{API}/admin/resolve-dispute/{opened['id']}", json=bad,
                                  headers=auth(admin))).status_code == 422, bad
    response = await client.post(f"{API}/admin/resolve-dispute/{opened['id']}",
                                 json={"resolution": "refund_partial", "refund_amount": "400"},
                                 headers=auth(admin))
    assert response.status_code == 200, response.text
    # 600 of 1000 stays: performer 450, referrer 120, platform 30, released now
    assert balances(p_business.id) == (D("0"), D("450.00"))
    assert balances(r_business.id) == (D("0"), D("120.00"))
    assert platform(Purpose.platform_revenue) == D("30.00")
    assert sql("SELECT status FROM leads") == [("closed",)]
    assert ledger_total() == 0


async def test_no_dispute_after_the_release(client, parties, paid_deal) -> None:
    lead, _ = paid_deal
    await close_and_release(client, parties, lead)
    late = await client.post(f"{API}/leads/{lead['id']}/disputes",
                             json={"reason": "נזכרתי מאוחר מדי בבעיה"},
                             headers=auth(parties["referrer"][1]))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "not_disputable")


# --- withdrawals and payouts ---------------------------------------------------------------


async def test_withdraw_approve_export_and_pay(client, parties, paid_deal, admin) -> None:
    lead, _ = paid_deal
    (p_business, performer) = parties["performer"]
    await close_and_release(client, parties, lead)
    url = f"{API}/wallets/{p_business.id}/withdraw"
    too_much = await client.post(url, json={"amount": "750.01", **BANK}, headers=auth(performer))
    assert (too_much.status_code, too_much.json()["error"]["code"]) == (409,
                                                                        "insufficient_funds")
    bad = await client.post(url, json={"amount": "0", "bank_code": "99", "branch": "1234",
                                       "account": "1", "account_holder": ""},
                            headers=auth(performer))
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"amount", "bank_code", "branch", "account",
                                                  "account_holder"}
    stranger = make_user(name="זר")
    assert (await client.post(url, json={"amount": "10", **BANK},
                              headers=auth(stranger))).status_code == 403
    first = await client.post(url, json={"amount": "500", **BANK}, headers=auth(performer))
    assert first.status_code == 201, first.text
    assert balances(p_business.id) == (D("0"), D("250.00"))
    second = await client.post(url, json={"amount": "300", **BANK}, headers=auth(performer))
    assert second.status_code == 409  # 250 left
    small = (await client.post(url, json={"amount": "50", **BANK},
                               headers=auth(performer))).json()

    assert (await client.post(f"{API}/admin/withdrawals/{first.json()['id']}/approve",
                              headers=auth(performer))).status_code == 403
    approved = await client.post(f"{API}/admin/withdrawals/{first.json()['id']}/approve",
                                 headers=auth(admin))
    assert approved.json()["status"] == "approved"
    rejected = await client.post(f"{API}/admin/withdrawals/{small['id']}/reject",
                                 json={"note": "חשבון שגוי"}, headers=auth(admin))
    assert rejected.json()["status"] == "rejected"
    assert balances(p_business.id) == (D("0"), D("250.00"))  # the 50 came back
    assert (await client.post(f"{API}/admin/withdrawals/{small['id']}/approve",
                              headers=auth(admin))).status_code == 409

    batch = await client.post(f"{API}/admin/payout-batches", headers=auth(admin))
    assert batch.status_code == 201 and batch.json()["total"] == "500.00"
    content = (await client.get(f"{API}/admin/payout-batches/{batch.json()['id']}/csv",
                                headers=auth(admin))).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [(r["bank_code"], r["branch"], r["account"], r["amount"], r["bank_name"])
            for r in rows] == [("12", "608", "123456", "500.00", "בנק הפועלים")]
    assert (await client.post(f"{API}/admin/payout-batches",
                              headers=auth(admin))).status_code == 409  # nothing left
    paid = await client.post(f"{API}/admin/payout-batches/{batch.json()['id']}/paid",
                             headers=auth(admin))
    assert paid.json()["status"] == "paid"
    assert (await client.post(f"{API}/admin/payout-batches/{batch.json()['id']}/paid",
                              headers=auth(admin))).status_code == 409
    listed = (await client.get(f"{API}/wallets/{p_business.id}/withdrawals",
                               headers=auth(performer))).json()["items"]
    assert sorted(w["status"] for w in listed) == ["paid", "rejected"]
    wallet = (await client.get(f"{API}/wallets/me", headers=auth(performer))).json()
    assert (wallet["available_balance"], wallet["in_payout"]) == ("250.00", "0.00")
    assert ledger_total() == 0
    # the statement: each balance is the sum of its column, each line says where money went
    lines = wallet["transactions"]
    for column, balance in (("pending", "pending_balance"), ("available", "available_balance"),
                            ("in_payout", "in_payout")):
        assert sum(D(line[column]) for line in lines) + D(wallet["earlier"][column]) \
            == D(wallet[balance]), column
    moves = [(line["kind"], line["source"], line["destination"]) for line in reversed(lines)]
    assert moves == [("hold", "client", "pending"), ("post", "pending", "available"),
                     ("withdrawal", "available", "payout"), ("withdrawal", "available", "payout"),
                     ("withdrawal_reversal", "payout", "available"), ("payout", "payout", "bank")]
    job_lines = [line for line in lines if line["kind"] in ("hold", "post")]
    assert {(line["lead_id"], line["lead_title"]) for line in job_lines} == {
        (lead["id"], lead["title"])}
    assert all(line["lead_id"] is None for line in lines if line not in job_lines)


async def test_manual_payout_never_exceeds_the_available_balance(client, parties, paid_deal,
                                                                 admin) -> None:
    lead, _ = paid_deal
    p_business = parties["performer"][0]
    await close_and_release(client, parties, lead)
    body = {"professional_id": str(p_business.id), "amount": "800", "note": "העברה ידנית"}
    assert (await client.post(f"{API}/admin/payouts/manual", json=body,
                              headers=auth(admin))).status_code == 409
    assert (await client.post(f"{API}/admin/payouts/manual", json={**body, "amount": "100"},
                              headers=auth(parties["performer"][1]))).status_code == 403
    done = await client.post(f"{API}/admin/payouts/manual", json={**body, "amount": "700"},
                             headers=auth(admin))
    assert done.status_code == 201 and done.json()["available_balance"] == "50.00"
    assert ledger_total() == 0


async def test_a_dispute_opened_while_its_money_is_being_released_is_refused(
        client, parties, paid_deal) -> None:
    """The release holds the job's lock until it commits; a dispute opened meanwhile waits for
    it, then sees the money released (not disputable), rather than freezing money already
    released."""
    lead, _ = paid_deal
    (_, referrer), (_, performer) = parties["referrer"], parties["performer"]
    await client.post(f"{API}/leads/{lead['id']}/complete", headers=auth(performer))
    await client.post(f"{API}/leads/{lead['id']}/confirm-completion", headers=auth(referrer))
    outcome: dict[str, str] = {}

    def dispute() -> None:
        try:
            with unit_of_work(caller_for(referrer)) as session:
                disputes.open_dispute(session=session, caller=caller_for(referrer),
                                      lead_id=uuid.UUID(lead["id"]),
                                      reason="הדוד דולף אחרי ההתקנה, העבודה לא הושלמה")
            outcome["dispute"] = "opened"
        except disputes.NotDisputable:
            outcome["dispute"] = "refused"

    with unit_of_work(SYSTEM) as session:
        assert payments.release_due(session=session, now=utcnow() + timedelta(days=8)) > 0
        opening = threading.Thread(target=dispute)
        opening.start()
        opening.join(1.5)
        assert opening.is_alive()  # waiting for the job's lock
    opening.join(30)
    assert outcome == {"dispute": "refused"}
    assert sql("SELECT status FROM leads") == [("closed",)]
    assert ledger_total() == 0
