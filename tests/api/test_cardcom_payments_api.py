"""Escrow on Cardcom through the REST contract, against the local stand-in of Cardcom's API:
initiate → hosted page → callback (POST /api/v1/payments/webhook/cardcom) → re-query → held
on the ledger → released or refunded; callbacks that arrive twice, name an unknown page or an
unknown payment, or whose re-query says "not paid"; reconciliation through the same re-query."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from jobs.runner import run_job
from ofair_app.adapters.psp import get_provider
from ofair_app.domain.ledger import Purpose
from ofair_app.models import UserRole
from ofair_app.models._base import utcnow
from tests.api.money import balances, initiate, ledger_total, platform, sql
from tests.api.test_leads_api import API, auth
from tests.cardcom_standin import DECLINED_CARD
from tests.factories import make_user

D = Decimal
CALLBACK = f"{API}/payments/webhook/cardcom"


async def callback(client, body: bytes):
    return await client.post(CALLBACK, content=body,
                             headers={"Content-Type": "application/json"})


@pytest.fixture
async def started(cardcom_api, client, parties, referral_deal) -> dict:
    _, proposal = referral_deal
    response = await initiate(client, parties["referrer"][1], proposal["id"])
    assert response.status_code == 201, response.text
    return response.json()


async def test_initiate_opens_a_cardcom_page_for_the_payment(cardcom_api, client,
                                                             started) -> None:
    assert started["checkout_url"] == f"{cardcom_api.base_url}/pay/{started['psp_reference']}"
    assert started["amounts"]["final_amount"] == "1000.00"
    (sent,) = cardcom_api.calls("LowProfile/Create")
    assert (sent["ReturnValue"], sent["Amount"]) == (started["payment_id"], D("1000"))
    assert sql("SELECT provider, status FROM payments") == [("cardcom", "pending")]


async def test_escrow_end_to_end_on_cardcom(cardcom_api, client, parties, referral_deal,
                                            started) -> None:
    lead, _ = referral_deal
    (r_business, referrer), (p_business, performer) = parties["referrer"], parties["performer"]
    # a declined card: Cardcom calls back, the re-query says not paid, nothing is applied
    body, redirect = cardcom_api.pay(started["psp_reference"], DECLINED_CARD)
    assert "paid=1" not in redirect  # back to the lead, to try again
    declined = await callback(client, body)
    assert declined.status_code == 200 and declined.json()["outcome"] == "ignored"
    assert sql("SELECT status FROM payments") == [("pending",)]
    assert sql("SELECT count(*) FROM ledger_entries") == [(0,)]

    body, redirect = cardcom_api.pay(started["psp_reference"])
    assert "paid=1" in redirect  # back to the app
    paid = await callback(client, body)
    assert paid.status_code == 200 and paid.json()["outcome"] == "applied"
    again = await callback(client, body)  # Cardcom calls back again: nothing twice
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert sql("SELECT status FROM payments") == [("paid",)]
    assert balances(p_business.id) == (D("750.00"), D("0"))
    assert balances(r_business.id) == (D("200.00"), D("0"))
    assert platform(Purpose.platform_pending) == D("50.00")
    assert sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'hold'") == [(1,)]

    await client.post(f"{API}/leads/{lead['id']}/complete", headers=auth(performer))
    await client.post(f"{API}/leads/{lead['id']}/confirm-completion", headers=auth(referrer))
    assert "released 1" in run_job("release_holds", as_of=utcnow() + timedelta(days=8)).detail
    assert balances(p_business.id) == (D("0"), D("750.00"))
    assert platform(Purpose.platform_revenue) == D("50.00")
    assert ledger_total() == 0


async def test_a_dispute_refunds_part_through_cardcom_once(cardcom_api, client, parties,
                                                           referral_deal, started) -> None:
    lead, _ = referral_deal
    (r_business, referrer), (p_business, _) = parties["referrer"], parties["performer"]
    body, _ = cardcom_api.pay(started["psp_reference"])
    assert (await callback(client, body)).json()["outcome"] == "applied"
    admin = make_user(role=UserRole.admin, name="מנהלת")
    opened = (await client.post(f"{API}/leads/{lead['id']}/disputes",
                                json={"reason": "רק חצי מהעבודה בוצעה"},
                                headers=auth(referrer))).json()
    resolved = await client.post(f"{API}/admin/resolve-dispute/{opened['id']}",
                                 json={"resolution": "refund_partial", "refund_amount": "400"},
                                 headers=auth(admin))
    assert resolved.status_code == 200, resolved.text
    twice = await client.post(f"{API}/admin/resolve-dispute/{opened['id']}",
                              json={"resolution": "refund_partial", "refund_amount": "400"},
                              headers=auth(admin))
    assert twice.status_code == 409
    (refund,) = cardcom_api.calls("Transactions/RefundByTransactionId")
    assert refund["PartialSum"] == D("400")
    charge = sql("SELECT psp_payment_intent FROM payments")[0][0]
    assert cardcom_api.deals[int(charge)].refunded == D("400.00")
    assert sql("SELECT status, refunded_amount::text FROM payments") == [
        ("partially_refunded", "400.00")]
    assert balances(p_business.id) == (D("0"), D("450.00"))  # the rest released now
    assert balances(r_business.id) == (D("0"), D("120.00"))
    assert platform(Purpose.platform_revenue) == D("30.00")
    assert ledger_total() == 0


async def test_callbacks_nobody_can_vouch_for(cardcom_api, client, started, caplog) -> None:
    caplog.set_level(logging.WARNING)
    unknown_page = b'{"LowProfileId": "3f1c0e3a-0000-4000-8000-000000000000"}'
    for body in (unknown_page, b"not json", b"{}"):
        response = await callback(client, body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "bad_signature"
    assert any("cardcom" in r.getMessage() and "does not know page" in r.getMessage()
               for r in caplog.records)
    # a page Cardcom knows, paid, but for no payment of ours
    stray = get_provider().create_checkout(
        payment_id=str(uuid.uuid4()), amount=D("1000.00"), currency="ils", description="x",
        success_url="https://ofair.test/ok", cancel_url="https://ofair.test/back")
    body, _ = cardcom_api.pay(stray.reference)
    response = await callback(client, body)
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert sql("SELECT status FROM payments") == [("pending",)]
    assert sql("SELECT count(*) FROM ledger_entries") == [(0,)]
    assert sql("SELECT detail FROM payment_webhook_events") == [("unknown payment",)]


async def test_reconciliation_re_queries_a_payment_whose_callback_was_lost(
        cardcom_api, client, parties, started) -> None:
    cardcom_api.pay(started["psp_reference"])  # the callback never arrives
    result = run_job("reconcile_payments", as_of=utcnow() + timedelta(minutes=20)).detail
    assert "1 paid" in result
    assert sql("SELECT status FROM payments") == [("paid",)]
    assert balances(parties["performer"][0].id) == (D("750.00"), D("0"))
    assert len(cardcom_api.calls("LowProfile/GetLpResult")) == 1


async def test_the_signed_webhook_path_is_not_cardcoms(cardcom_api, client, started) -> None:
    body, _ = cardcom_api.pay(started["psp_reference"])
    response = await client.post(f"{API}/payments/webhook", content=body,
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert sql("SELECT status FROM payments") == [("pending",)]
