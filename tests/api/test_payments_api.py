"""Escrow payments through the REST contract: the acceptance example of DESIGN.md §3 end to
end (1,000.00 at a 20% share → 50 / 200 / 750, held, released, on a ledger that sums to zero);
who may pay; the webhook's signature, replays, duplicates, out-of-order and mismatched events;
refunds before and after the release; the end-of-job jobs and reconciliation."""

from __future__ import annotations

import secrets
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from jobs.runner import run_job
from ofair_app.adapters.psp import event_payload, get_provider, sign
from ofair_app.adapters.psp.sandbox import DECLINED_CARD, SUCCESS_CARD
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.ledger import Purpose
from ofair_app.models import UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import ledger, payments
from tests.api.money import (
    D,
    balances,
    deliver,
    initiate,
    ledger_total,
    pay,
    platform,
    sandbox,
    sql,
)
from tests.api.test_leads_api import API, auth, consumer_body, post_lead
from tests.api.test_proposals_api import offer, propose
from tests.factories import make_user

# --- the acceptance example ----------------------------------------------------------------


async def test_the_design_example_end_to_end(client, parties, referral_deal) -> None:
    lead, proposal = referral_deal
    (r_business, referrer), (p_business, performer) = parties["referrer"], parties["performer"]
    response = await initiate(client, referrer, proposal["id"])
    assert response.status_code == 201, response.text
    started = response.json()
    assert started["amounts"] == {"final_amount": "1000.00", "platform_commission": "50.00",
                                  "referrer_fee": "200.00", "professional_net_amount": "750.00"}
    assert started["checkout_url"].endswith(f"/checkout/{started['psp_reference']}")
    # the client of a pro lead gets the link by SMS
    assert sql("SELECT to_address FROM outbox_messages WHERE template = 'payment_link'") == [
        ("+972527654321",)]

    paid = await pay(client, started["psp_reference"])
    assert paid.status_code == 200 and paid.json()["outcome"] == "applied"
    shown = (await client.get(f"{API}/payments/{started['payment_id']}",
                              headers=auth(performer))).json()
    assert shown["status"] == "paid"
    assert (await client.get(f"{API}/leads/{lead['id']}", headers=auth(referrer))
            ).json()["status"] == "in_progress"
    assert balances(p_business.id) == (D("750.00"), D("0"))
    assert balances(r_business.id) == (D("200.00"), D("0"))
    assert platform(Purpose.platform_pending) == D("50.00")
    assert ledger_total() == 0

    wallet = (await client.get(f"{API}/wallets/me", headers=auth(performer))).json()
    assert (wallet["pending_balance"], wallet["available_balance"]) == ("750.00", "0.00")
    assert wallet["transactions"][0]["description"] == "תשלום התקבל: מוחזק עד סיום העבודה"

    assert (await client.post(f"{API}/leads/{lead['id']}/complete",
                              headers=auth(referrer))).status_code == 403
    done = await client.post(f"{API}/leads/{lead['id']}/complete", headers=auth(performer))
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert (await client.post(f"{API}/leads/{lead['id']}/confirm-completion",
                              headers=auth(performer))).status_code == 403
    closed = await client.post(f"{API}/leads/{lead['id']}/confirm-completion",
                               headers=auth(referrer))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    assert "released 0" in run_job("release_holds", as_of=utcnow() + timedelta(days=6)).detail
    assert balances(p_business.id) == (D("750.00"), D("0"))
    later = utcnow() + timedelta(days=7, minutes=1)
    assert "released 1" in run_job("release_holds", as_of=later).detail
    assert "released 0" in run_job("release_holds", as_of=later).detail
    assert balances(p_business.id) == (D("0"), D("750.00"))
    assert balances(r_business.id) == (D("0"), D("200.00"))
    assert platform(Purpose.platform_revenue) == D("50.00")
    assert platform(Purpose.platform_pending) == 0
    assert ledger_total() == 0


async def test_a_consumer_job_pays_ten_percent(client, parties) -> None:
    consumer, (_, performer) = parties["consumer"], parties["performer"]
    lead = await post_lead(client, consumer, consumer_body())
    proposal = await propose(client, performer, lead["id"], price="600")
    await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=auth(consumer))
    started = (await initiate(client, consumer, proposal["id"])).json()
    assert started["amounts"] == {"final_amount": "600.00", "platform_commission": "60.00",
                                  "referrer_fee": "0.00", "professional_net_amount": "540.00"}
    assert sql("SELECT count(*) FROM outbox_messages WHERE template = 'payment_link'") == [(0,)]


async def test_who_may_pay_and_when(client, parties, referral_deal) -> None:
    _, proposal = referral_deal
    (_, referrer), (_, performer) = parties["referrer"], parties["performer"]
    assert (await initiate(client, performer, proposal["id"])).status_code == 403
    assert (await initiate(client, parties["consumer"], proposal["id"])).status_code in (403, 404)
    first = (await initiate(client, referrer, proposal["id"])).json()
    again = (await initiate(client, referrer, proposal["id"])).json()
    assert again["payment_id"] == first["payment_id"]  # a second tap gets the same checkout
    assert again["checkout_url"] == first["checkout_url"]
    await pay(client, first["psp_reference"])
    late = await initiate(client, referrer, proposal["id"])
    assert (late.status_code, late.json()["error"]["code"]) == (409, "payment_exists")


async def test_no_payment_before_acceptance_or_below_the_minimum(client, parties) -> None:
    consumer, (_, performer) = parties["consumer"], parties["performer"]
    lead = await post_lead(client, consumer, consumer_body())
    proposal = await propose(client, performer, lead["id"], price="50")
    early = await initiate(client, consumer, proposal["id"])
    assert (early.status_code, early.json()["error"]["code"]) == (409, "not_awarded")
    await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=auth(consumer))
    small = await initiate(client, consumer, proposal["id"])
    assert small.status_code == 422 and "final_amount" in small.json()["error"]["fields"]
    assert sql("SELECT count(*) FROM payments") == [(0,)]


# --- the webhook ---------------------------------------------------------------------------


def _completed_event(reference: str, **overrides) -> bytes:
    with unit_of_work(SYSTEM) as session:
        row = session.execute(text("SELECT * FROM sandbox_checkouts WHERE id = :id"),
                              {"id": reference}).one()
    data = {"id": reference, "object": "checkout.session",
            "client_reference_id": str(row.payment_id), "amount_total": row.amount_total,
            "currency": row.currency, "payment_status": "paid", "status": "complete",
            "payment_intent": row.payment_intent}
    data.update(overrides)
    return event_payload(f"evt_test_{secrets.token_hex(6)}", "checkout.session.completed", data)


async def test_a_bad_or_stale_signature_changes_nothing(client, pending) -> None:
    payload = _completed_event(pending["psp_reference"])
    for signature in ("", "t=1,v1=00", sign(payload, secret="whsec_wrong"),
                      sign(payload, timestamp=int(utcnow().timestamp()) - 600)):
        response = await deliver(client, payload, signature)
        assert response.status_code == 400, signature
        assert response.json()["error"]["code"] == "bad_signature"
    tampered = payload.replace(b'"amount_total":100000', b'"amount_total":1')
    assert (await deliver(client, tampered, sign(payload))).status_code == 400
    assert sql("SELECT status FROM payments") == [("pending",)]
    assert sql("SELECT count(*) FROM payment_webhook_events") == [(0,)]
    assert ledger_total() == 0 and sql("SELECT count(*) FROM ledger_entries") == [(0,)]


async def test_replays_and_duplicates_credit_nothing_twice(client, parties, pending) -> None:
    p_business = parties["performer"][0]
    payload = _completed_event(pending["psp_reference"])
    signature = sign(payload)
    first = await deliver(client, payload, signature)
    assert first.json()["outcome"] == "applied"
    for _ in range(3):  # the very same delivery again
        again = await deliver(client, payload, signature)
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    # the same payment reported again under another event id
    other = await deliver(client, _completed_event(pending["psp_reference"]))
    assert other.json()["outcome"] == "ignored"
    assert balances(p_business.id) == (D("750.00"), D("0"))
    assert sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'hold'") == [(1,)]
    assert sql("SELECT outcome, count(*) FROM payment_webhook_events GROUP BY outcome"
               " ORDER BY outcome") == [("applied", 1), ("ignored", 1)]


def test_concurrent_deliveries_of_one_event_apply_it_once(parties, pending) -> None:
    payload = _completed_event(pending["psp_reference"])
    signature = sign(payload)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def deliver_once() -> None:
        barrier.wait()
        outcomes.append(str(payments.handle_webhook(payload, signature).outcome))

    threads = [threading.Thread(target=deliver_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["applied", "duplicate", "duplicate", "duplicate"]
    assert balances(parties["performer"][0].id) == (D("750.00"), D("0"))


def test_concurrent_events_for_one_payment_hold_once(parties, pending) -> None:
    payloads = [_completed_event(pending["psp_reference"]) for _ in range(3)]
    outcomes: list[str] = []
    barrier = threading.Barrier(3)

    def deliver_once(payload: bytes) -> None:
        barrier.wait()
        outcomes.append(str(payments.handle_webhook(payload, sign(payload)).outcome))

    threads = [threading.Thread(target=deliver_once, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["applied", "ignored", "ignored"]
    assert sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'hold'") == [(1,)]


def test_a_batch_of_events_is_judged_as_if_each_came_alone(parties, referral_deal,
                                                          pending) -> None:
    """Events applied together (webhooks arriving at once share a transaction) come out as
    they would one by one: a repeated id is a duplicate, a second event for the payment just
    paid is ignored, an unknown payment or kind is ignored, and the money is held once."""
    def read(payload: bytes):
        return get_provider("sandbox").read_webhook(payload, sign(payload)), "sandbox"

    paid = read(_completed_event(pending["psp_reference"]))
    again = read(_completed_event(pending["psp_reference"]))
    stray = read(_completed_event(pending["psp_reference"],
                                  client_reference_id=str(uuid.uuid4())))
    other = read(event_payload("evt_batch_other", "customer.created", {"id": "cus_1"}))
    results = payments.record_events([paid, paid, again, stray, other])
    assert [(str(result.outcome), result.detail) for result in results] == [
        ("applied", "paid"), ("duplicate", ""), ("ignored", "already paid"),
        ("ignored", "unknown payment"), ("ignored", "not handled: customer.created")]
    assert sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'hold'") == [(1,)]
    assert balances(parties["performer"][0].id) == (D("750.00"), D("0"))
    assert sql("SELECT outcome, count(*) FROM payment_webhook_events GROUP BY outcome"
               " ORDER BY outcome") == [("applied", 1), ("ignored", 3)]
    assert sql("SELECT status FROM leads WHERE id = :id",
               id=referral_deal[0]["id"]) == [("in_progress",)]
    assert sql("SELECT count(*) FROM outbox_messages WHERE template = 'job_paid'") == [(1,)]
    assert ledger_total() == 0


def test_a_batch_keeps_a_flag_raised_before_the_payment_it_then_applies(parties, pending) -> None:
    """A wrong amount flags the payment; the right one, later in the same batch, pays it: the
    payment is paid and stays flagged for an admin (the paid columns are written set-based, the
    flag by the session: neither may undo the other)."""
    def read(payload: bytes):
        return get_provider("sandbox").read_webhook(payload, sign(payload)), "sandbox"

    short = read(_completed_event(pending["psp_reference"], amount_total=99900))
    right = read(_completed_event(pending["psp_reference"]))
    results = payments.record_events([short, right])
    assert [str(result.outcome) for result in results] == ["flagged", "applied"]
    assert sql("SELECT status, flagged, left(flag_reason, 12), paid_at IS NOT NULL,"
               " psp_payment_intent IS NOT NULL FROM payments") == [
        ("paid", True, "paid 999.00 ", True, True)]
    assert sql("SELECT outcome FROM payment_webhook_events ORDER BY outcome") == [
        ("applied",), ("flagged",)]
    assert sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'hold'") == [(1,)]
    assert ledger_total() == 0


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"amount_total": 99900}, "paid 999.00 ₪, expected 1,000.00 ₪"),
    ({"currency": "usd"}, "paid 1,000.00 USD, expected 1,000.00 ₪"),
    ({"id": "cs_someone_else"}, "paid through cs_someone_else, expected cs_sandbox_"),
])
async def test_a_mismatched_paid_event_is_flagged_and_not_applied(client, parties, pending,
                                                                  overrides, reason) -> None:
    response = await deliver(client, _completed_event(pending["psp_reference"], **overrides))
    assert response.status_code == 200 and response.json()["outcome"] == "flagged"
    assert sql("SELECT status, flagged FROM payments") == [("pending", True)]
    assert sql("SELECT outcome FROM payment_webhook_events") == [("flagged",)]
    assert sql("SELECT count(*) FROM ledger_entries") == [(0,)]
    admin = make_user(role=UserRole.admin, name="מנהלת")
    listed = (await client.get(f"{API}/admin/payments/flagged", headers=auth(admin))).json()
    assert [p["id"] for p in listed["items"]] == [pending["payment_id"]]
    assert listed["items"][0]["flag_reason"].startswith(reason)  # amounts read as money
    assert (await client.get(f"{API}/admin/payments/flagged",
                             headers=auth(parties["referrer"][1]))).status_code == 403


async def test_expiry_and_events_out_of_order(client, parties, pending) -> None:
    expired = sandbox.expire(pending["psp_reference"])
    assert (await deliver(client, expired.payload, expired.signature)
            ).json()["outcome"] == "applied"
    assert sql("SELECT status FROM payments") == [("expired",)]
    # the client had paid after all (the events crossed): the money is real, it counts
    paid = await deliver(client, _completed_event(pending["psp_reference"]))
    assert paid.json()["outcome"] == "applied"
    assert sql("SELECT status FROM payments") == [("paid",)]
    # an expiry arriving after the payment changes nothing
    late = event_payload("evt_late", "checkout.session.expired",
                         {"id": pending["psp_reference"], "object": "checkout.session",
                          "client_reference_id": pending["payment_id"]})
    assert (await deliver(client, late)).json()["outcome"] == "ignored"
    assert sql("SELECT status FROM payments") == [("paid",)]


async def test_unknown_events_and_payments_are_recorded_and_ignored(client, pending) -> None:
    other = event_payload("evt_other", "customer.created", {"id": "cus_1"})
    assert (await deliver(client, other)).json()["outcome"] == "ignored"
    stray = _completed_event(pending["psp_reference"], client_reference_id=str(uuid.uuid4()))
    assert (await deliver(client, stray)).json()["outcome"] == "ignored"
    assert sql("SELECT count(*) FROM payment_webhook_events") == [(2,)]


async def test_a_declined_card_pays_nothing(client, pending) -> None:
    assert sandbox.pay(pending["psp_reference"], DECLINED_CARD).outcome == "declined"
    assert sandbox.pay(pending["psp_reference"], "1234 5678").outcome == "invalid"
    assert sql("SELECT status FROM sandbox_checkouts") == [("open",)]


# --- refunds -------------------------------------------------------------------------------


def _refund_event(payment_id: str, refunded_agorot: int) -> bytes:
    intent = sql("SELECT psp_payment_intent FROM payments WHERE id = :id", id=payment_id)[0][0]
    return event_payload(f"evt_refund_{secrets.token_hex(6)}", "charge.refunded", {
        "id": "ch_1", "object": "charge", "payment_intent": intent, "amount": 100000,
        "amount_refunded": refunded_agorot, "currency": "ils"})


async def test_a_partial_refund_before_release_shrinks_every_hold_pro_rata(
        client, parties, pending) -> None:
    (r_business, _), (p_business, _) = parties["referrer"], parties["performer"]
    await pay(client, pending["psp_reference"])
    response = await deliver(client, _refund_event(pending["payment_id"], 40000))  # 400.00
    assert response.json()["outcome"] == "applied"
    assert balances(p_business.id) == (D("450.00"), D("0"))  # 750 × 600/1000
    assert balances(r_business.id) == (D("120.00"), D("0"))
    assert platform(Purpose.platform_pending) == D("30.00")
    assert sql("SELECT status, refunded_amount::text FROM payments") == [
        ("partially_refunded", "400.00")]
    # the same cumulative figure again changes nothing
    assert (await deliver(client, _refund_event(pending["payment_id"], 40000))
            ).json()["outcome"] == "ignored"
    full = await deliver(client, _refund_event(pending["payment_id"], 100000))
    assert full.json()["outcome"] == "applied"
    assert balances(p_business.id) == (D("0"), D("0"))
    assert sql("SELECT status FROM leads") == [("cancelled",)]
    assert ledger_total() == 0


async def test_a_refund_after_release_leaves_a_debt_later_credits_repay(
        client, parties, referral_deal, pending) -> None:
    lead, _ = referral_deal
    (_, referrer), (p_business, performer) = parties["referrer"], parties["performer"]
    await pay(client, pending["psp_reference"])
    await client.post(f"{API}/leads/{lead['id']}/complete", headers=auth(performer))
    await client.post(f"{API}/leads/{lead['id']}/confirm-completion", headers=auth(referrer))
    run_job("release_holds", as_of=utcnow() + timedelta(days=8))
    assert balances(p_business.id) == (D("0"), D("750.00"))
    # the performer was paid out meanwhile (here: a manual payout of everything)
    with unit_of_work(SYSTEM) as session:
        from ofair_app.domain import ledger as book
        ledger.record(session, kind=book.TxKind.manual_payout,
                      legs=book.manual_payout(p_business.id, D("750.00")),
                      idempotency_key="test-payout")
    await deliver(client, _refund_event(pending["payment_id"], 100000))
    pending_balance, available = balances(p_business.id)
    assert (pending_balance, available) == (D("0"), D("-750.00"))  # owed to the platform
    assert ledger_total() == 0
    # the next job's money repays the debt first
    consumer = parties["consumer"]
    second = await post_lead(client, consumer, consumer_body())
    proposal = await propose(client, performer, second["id"], price="1000")
    await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=auth(consumer))
    started = (await initiate(client, consumer, proposal["id"])).json()
    await pay(client, started["psp_reference"])
    await client.post(f"{API}/leads/{second['id']}/complete", headers=auth(performer))
    await client.post(f"{API}/leads/{second['id']}/confirm-completion", headers=auth(consumer))
    run_job("release_holds", as_of=utcnow() + timedelta(days=8))
    assert balances(p_business.id) == (D("0"), D("150.00"))  # 900 earned − 750 owed


# --- jobs ----------------------------------------------------------------------------------


async def test_completion_is_confirmed_automatically_after_the_period(
        client, parties, referral_deal, pending) -> None:
    lead, _ = referral_deal
    await pay(client, pending["psp_reference"])
    await client.post(f"{API}/leads/{lead['id']}/complete", headers=auth(parties["performer"][1]))
    assert "closed 0" in run_job("auto_confirm_completion",
                                 as_of=utcnow() + timedelta(days=6)).detail
    assert "closed 1" in run_job("auto_confirm_completion",
                                 as_of=utcnow() + timedelta(days=7, minutes=1)).detail
    assert sql("SELECT status FROM leads") == [("closed",)]


async def test_reconciliation_learns_of_a_payment_whose_webhook_was_lost(
        client, parties, pending) -> None:
    assert sandbox.pay(pending["psp_reference"], SUCCESS_CARD).outcome == "paid"  # not sent
    assert "0 checked" in run_job("reconcile_payments", as_of=utcnow()).detail
    result = run_job("reconcile_payments", as_of=utcnow() + timedelta(minutes=20)).detail
    assert "1 paid" in result
    assert sql("SELECT status FROM payments") == [("paid",)]
    assert balances(parties["performer"][0].id) == (D("750.00"), D("0"))
    again = run_job("reconcile_payments", as_of=utcnow() + timedelta(minutes=40)).detail
    assert "0 checked" in again


async def test_offer_of_a_paid_job_is_final(client, parties, referral_deal, pending) -> None:
    _, proposal = referral_deal
    await pay(client, pending["psp_reference"])
    response = await client.post(f"{API}/proposals/{proposal['id']}/decline",
                                 headers=auth(parties["performer"][1]))
    assert response.status_code == 409
    assert offer()  # the helper stays importable for other modules


async def test_release_holds_run_concurrently_releases_once(client, parties, referral_deal,
                                                            pending) -> None:
    lead, _ = referral_deal
    (_, referrer), (p_business, performer) = parties["referrer"], parties["performer"]
    await pay(client, pending["psp_reference"])
    await client.post(f"{API}/leads/{lead['id']}/complete", headers=auth(performer))
    await client.post(f"{API}/leads/{lead['id']}/confirm-completion", headers=auth(referrer))
    later = utcnow() + timedelta(days=8)
    released: list[int] = []
    barrier = threading.Barrier(3)

    def release() -> None:  # the service itself, past the job's advisory lock
        barrier.wait()
        with unit_of_work(SYSTEM) as session:
            released.append(payments.release_due(session=session, now=later))

    threads = [threading.Thread(target=release) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(released) == 1, released
    outcomes = []

    def job() -> None:
        outcomes.append(run_job("release_holds", as_of=later).detail)

    runners = [threading.Thread(target=job) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(30)
    assert all("released 0" in o or "already running" in o for o in outcomes), outcomes
    assert balances(p_business.id) == (D("0"), D("750.00"))
    assert sql("SELECT count(*) FROM ledger_transactions WHERE kind = 'post'") == [(1,)]


# --- a changed price is the price charged --------------------------------------------------


@pytest.mark.parametrize("side", ["referrer", "performer"])  # the lead's owner, the winner
async def test_a_price_changed_under_an_open_checkout_is_the_price_charged(
        client, parties, referral_deal, pending, side) -> None:
    lead, proposal = referral_deal
    (r_business, referrer), (p_business, _) = parties["referrer"], parties["performer"]
    changed = await client.put(f"{API}/proposals/{proposal['id']}", json={"price": "1200"},
                               headers=auth(parties[side][1]))
    assert changed.status_code == 200 and changed.json()["price"] == "1200.00"
    assert sql("SELECT status FROM payments") == [("expired",)]
    assert sandbox.pay(pending["psp_reference"], SUCCESS_CARD).outcome == "closed"

    again = await initiate(client, referrer, proposal["id"])
    assert again.status_code == 201, again.text
    body = again.json()
    assert body["payment_id"] != pending["payment_id"]
    assert body["psp_reference"] != pending["psp_reference"]
    assert body["amounts"] == {"final_amount": "1200.00", "platform_commission": "60.00",
                               "referrer_fee": "240.00", "professional_net_amount": "900.00"}
    assert (await pay(client, body["psp_reference"])).json()["outcome"] == "applied"
    assert balances(p_business.id) == (D("900.00"), D("0"))
    assert balances(r_business.id) == (D("240.00"), D("0"))
    assert sql("SELECT status, final_amount FROM leads WHERE id = :id",
               id=lead["id"]) == [("in_progress", D("1200.00"))]
    assert ledger_total() == 0


async def test_a_price_change_after_the_client_paid_is_409_and_the_payment_counts(
        client, parties, referral_deal, pending) -> None:
    _, proposal = referral_deal
    assert sandbox.pay(pending["psp_reference"], SUCCESS_CARD).outcome == "paid"
    response = await client.put(f"{API}/proposals/{proposal['id']}", json={"price": "1200"},
                                headers={**auth(parties["performer"][1]),
                                         "Accept-Language": "en"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "payment_exists"
    assert error["message"] == ("The current price has already been paid, so it can no "
                                "longer change.")
    assert sql("SELECT status, final_amount FROM payments") == [("paid", D("1000.00"))]
    assert sql("SELECT price FROM proposals") == [(D("1000.00"),)]
    assert ledger_total() == 0
