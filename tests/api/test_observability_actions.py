"""Go-live gate D (issue 23): one of each money and inventory action, driven through the API,
each request under an `X-Request-ID` of its own. For each: the request's action lines carry
that id and the action's id under its kind, the access line lists the id, and the metrics moved
(the request counted under its route; a webhook notice counted too). An action a job takes
carries the job's run id instead."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from jobs.runner import run_job
from ofair_app.adapters.psp import CardDeclined
from ofair_app.adapters.psp.sandbox import CHARGE_DECLINED_CARD, SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import unit_of_work
from ofair_app.domain import visits as rules
from ofair_app.models import ProposalCreate, User, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import payment_methods, proposals
from tests.api.money import initiate, pay, sql
from tests.api.test_leads_api import API, auth, post_lead, pro_body
from tests.api.test_milestones_api import agreed, pay_step
from tests.api.test_proposals_api import propose
from tests.api.test_visits_api import HOURS
from tests.b2b import AS_OF, settle
from tests.factories import (
    caller_for,
    consumer_lead_data,
    make_lead,
    make_professional,
    make_user,
    make_won_job,
    save_card,
)
from tests.standin import configured

if TYPE_CHECKING:
    from tests.api.conftest import Lines

ACTIONS, ACCESS = "ofair.actions", "ofair.access"
BANK = {"bank_code": "12", "branch": "608", "account": "123456", "account_holder": "אלון לוי"}


class Gate:
    """Sends a request under an id of its own, then finds what it logged and counted."""

    def __init__(self, client: httpx.AsyncClient, lines: Lines, admin: User) -> None:
        self.client, self.lines, self.admin = client, lines, admin
        self.before: dict[tuple[str, str], float] = {}
        self.grown: set[tuple[str, str]] = set()
        self.sent: list[dict] = []  # the lines logged while the last request ran

    async def counts(self) -> dict[tuple[str, str], float]:
        """Requests by method and route, webhook notices by provider, job runs by job."""
        answer = await self.client.get(f"{API}/metrics", headers=auth(self.admin))
        assert answer.status_code == 200, answer.text
        counts: dict[tuple[str, str], float] = {}
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                if sample.name == "ofair_http_request_duration_seconds_count":
                    key = ("route", f"{sample.labels['method']} {sample.labels['route']}")
                elif sample.name == "ofair_webhook_events_total":
                    key = ("webhook", sample.labels["provider"])
                elif sample.name == "ofair_job_runs_total":
                    key = ("job", sample.labels["job"])
                else:
                    continue
                counts[key] = counts.get(key, 0) + sample.value
        return counts

    async def send(self, method: str, path: str, user: User | None = None,
                   **kwargs) -> httpx.Response:
        self.before = await self.counts()
        request_id = f"gate-d.{uuid.uuid4().hex[:16]}"
        self.lines.lines.clear()
        headers = {"X-Request-ID": request_id, **(auth(user) if user else {}),
                   **kwargs.pop("headers", {})}
        answer = await self.client.request(method, f"{API}{path}", headers=headers, **kwargs)
        assert answer.headers["x-request-id"] == request_id
        self.sent = list(self.lines.lines)
        return answer

    async def check(self, answer: httpx.Response, kind: str, action_id: object,
                    message: str) -> dict:
        """The action's line (every action and access line of the request carries its id, the
        access line lists the action), once the request's route is counted."""
        request_id = answer.headers["x-request-id"]
        ours = [line for line in self.sent if line["logger"] in (ACTIONS, ACCESS)]
        assert ours and all(line["request_id"] == request_id for line in ours), ours
        found = [line for line in ours if line["logger"] == ACTIONS
                 and line.get(kind) == str(action_id) and line["message"] == message]
        assert len(found) == 1, (kind, action_id, message, ours)
        [access] = [line for line in ours if line["logger"] == ACCESS]
        assert str(action_id) in access.get(kind, []), (kind, access)
        after = await self.counts()
        self.grown = {key for key, value in after.items() if value > self.before.get(key, 0)}
        route = ("route", f"{access['method']} {access['route']}")
        assert route in self.grown, (route, sorted(self.grown))
        return found[0]

    def action_lines(self, kind: str) -> list[dict]:
        return [line for line in self.sent if line["logger"] == ACTIONS and line.get(kind)]


@pytest.fixture
def admin(db) -> User:
    return make_user(role=UserRole.admin, name="מנהלת")


@pytest.fixture
def gate(client, log_lines, admin) -> Gate:
    return Gate(client, log_lines, admin)


@pytest.fixture
async def paid(client, parties, referral_deal, pending):
    """DESIGN.md's deal, paid (1,000: the performer's 750 held)."""
    await pay(client, pending["psp_reference"])
    return referral_deal[0], pending


async def close(client, parties, lead) -> None:
    (_, referrer), (_, performer) = parties["referrer"], parties["performer"]
    for path, user in (("complete", performer), ("confirm-completion", referrer)):
        answer = await client.post(f"{API}/leads/{lead['id']}/{path}", headers=auth(user))
        assert answer.status_code == 200, answer.text


@pytest.fixture
async def released(client, parties, paid):
    """The paid deal closed and its hold released: the performer has 750 available."""
    lead, _ = paid
    await close(client, parties, lead)
    assert run_job("release_holds", as_of=utcnow() + timedelta(days=8)).status == "succeeded"
    return lead


@pytest.fixture
def carded(db):
    """A business whose owner saved a card."""
    professional, owner = make_professional(business_name="אינסטלציה אלון")
    save_card(owner, professional)
    return professional, owner


@pytest.fixture
def b2b(db, monkeypatch):
    with configured(monkeypatch, {"SETTLEMENT_MODE": "b2b"}):
        yield


@pytest.fixture
async def invoiced(b2b, client, parties, referral_deal):
    """The deal in b2b mode, started, done and confirmed, and the month settled: the
    performer's statement is due and its invoice issued."""
    lead, _ = referral_deal
    performer = parties["performer"][1]
    answer = await client.post(f"{API}/leads/{lead['id']}/start", headers=auth(performer))
    assert answer.status_code == 200, answer.text
    await close(client, parties, lead)
    settle()
    return lead


# --- deals and payments ----------------------------------------------------------------------


async def test_an_acceptance(client, parties, gate) -> None:
    (business, referrer), (_, performer) = parties["referrer"], parties["performer"]
    lead = await post_lead(client, referrer, pro_body(business.id, budget="800"))
    offer = await propose(client, performer, lead["id"], price="800")
    answer = await gate.send("POST", f"/proposals/{offer['id']}/accept", referrer)
    assert answer.status_code == 200, answer.text
    line = await gate.check(answer, "acceptance", offer["id"], "proposal accepted")
    assert line["lead"] == lead["id"] and line["user_id"] == str(referrer.id)


async def test_a_checkout_started(parties, referral_deal, gate) -> None:
    lead, proposal = referral_deal
    referrer = parties["referrer"][1]
    answer = await gate.send("POST", "/payments/initiate", referrer,
                             json={"proposal_id": proposal["id"]})
    assert answer.status_code == 201, answer.text
    line = await gate.check(answer, "payment", answer.json()["payment_id"], "checkout started")
    assert (line["lead"], line["amount"]) == (lead["id"], "1000.00")


async def test_a_payment_webhook_holds_the_money(client, parties, referral_deal, gate) -> None:
    started = (await initiate(client, parties["referrer"][1], referral_deal[1]["id"])).json()
    result = SandboxProvider().pay(started["psp_reference"], SUCCESS_CARD)
    answer = await gate.send("POST", "/payments/webhook", content=result.payload,
                             headers={"Stripe-Signature": result.signature,
                                      "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    line = await gate.check(answer, "payment", started["payment_id"], "webhook applied")
    assert line["outcome"] == "applied"
    [held] = [line for line in gate.action_lines("ledger_batch") if line["kind"] == "hold"]
    assert f"hold:{started['payment_id']}" in held["idempotency_keys"]
    assert ("webhook", "sandbox") in gate.grown


async def test_the_hold_release_job_logs_under_its_run_id(client, parties, paid,
                                                          log_lines) -> None:
    lead, _ = paid
    await close(client, parties, lead)
    [(hold,)] = sql("SELECT id FROM ledger_transactions WHERE kind = 'hold'")
    log_lines.lines.clear()
    assert run_job("release_holds", as_of=utcnow() + timedelta(days=8)).status == "succeeded"
    ids = {line["request_id"] for line in log_lines.lines if line["logger"] == "jobs.runner"}
    assert len(ids) == 1 and ids.pop().startswith("job:release_holds:")
    [posted] = [line for line in log_lines.lines if line["logger"] == ACTIONS
                and line.get("ledger_batch") and line["kind"] == "post"]
    assert f"post:{hold}" in posted["idempotency_keys"]
    run_ids = {line["request_id"] for line in log_lines.lines if line["logger"] == ACTIONS}
    assert run_ids == {posted["request_id"]} and posted["request_id"].startswith(
        "job:release_holds:")


async def test_a_dispute_resolved_with_a_refund(client, parties, paid, gate) -> None:
    lead, started = paid
    referrer = parties["referrer"][1]
    opened = await gate.send("POST", f"/leads/{lead['id']}/disputes", referrer,
                             json={"reason": "בעל המקצוע לא הגיע בכלל לעבודה"})
    assert opened.status_code == 201, opened.text
    dispute = opened.json()["id"]
    await gate.check(opened, "dispute", dispute, "dispute opened")
    answer = await gate.send("POST", f"/admin/resolve-dispute/{dispute}", gate.admin,
                             json={"resolution": "refund_full"})
    assert answer.status_code == 200, answer.text
    line = await gate.check(answer, "dispute", dispute, "dispute resolved")
    assert (line["resolution"], line["lead"], line["payment"], line["refund"]) == (
        "refund_full", lead["id"], started["payment_id"], "1000.00")
    [voided] = [line for line in gate.action_lines("ledger_transaction")
                if line["kind"] == "void"]  # refunded before the release: the hold is voided
    assert voided["payment"] == started["payment_id"]


# --- withdrawals and payouts -----------------------------------------------------------------


async def test_a_withdrawal(parties, released, gate) -> None:
    business, performer = parties["performer"]
    answer = await gate.send("POST", f"/wallets/{business.id}/withdraw", performer,
                             json={"amount": "500", **BANK})
    assert answer.status_code == 201, answer.text
    withdrawal = answer.json()["id"]
    line = await gate.check(answer, "withdrawal", withdrawal, "withdrawal requested")
    assert (line["professional"], line["amount"]) == (str(business.id), "500.00")
    approved = await gate.send("POST", f"/admin/withdrawals/{withdrawal}/approve", gate.admin)
    assert approved.status_code == 200, approved.text
    await gate.check(approved, "withdrawal", withdrawal, "withdrawal approved")


async def test_a_payout_batch_exported_and_paid(client, parties, released, gate) -> None:
    business, performer = parties["performer"]
    withdrawal = (await client.post(f"{API}/wallets/{business.id}/withdraw",
                                    json={"amount": "500", **BANK},
                                    headers=auth(performer))).json()["id"]
    assert (await client.post(f"{API}/admin/withdrawals/{withdrawal}/approve",
                              headers=auth(gate.admin))).status_code == 200
    exported = await gate.send("POST", "/admin/payout-batches", gate.admin)
    assert exported.status_code == 201, exported.text
    batch = exported.json()["id"]
    line = await gate.check(exported, "payout_batch", batch, "payout batch exported")
    assert (line["count"], line["total"], line["withdrawals"]) == (1, "500.00", [withdrawal])
    paid = await gate.send("POST", f"/admin/payout-batches/{batch}/paid", gate.admin)
    assert paid.status_code == 200, paid.text
    await gate.check(paid, "payout_batch", batch, "payout batch paid")
    [payout] = [line for line in gate.action_lines("ledger_transaction")
                if line["kind"] == "payout"]
    assert payout["withdrawal"] == withdrawal


async def test_a_manual_payout(parties, released, gate) -> None:
    business, _ = parties["performer"]
    answer = await gate.send("POST", "/admin/payouts/manual", gate.admin, json={
        "professional_id": str(business.id), "amount": "100", "note": "העברה ידנית"})
    assert answer.status_code == 201, answer.text
    [(transaction,)] = sql("SELECT id FROM ledger_transactions WHERE kind = 'manual_payout'")
    line = await gate.check(answer, "payout", transaction, "manual payout recorded")
    assert (line["professional"], line["amount"]) == (str(business.id), "100.00")


# --- inventory: unlocks, subscriptions, referrals, visits, check-ins --------------------------


async def test_an_unlock(carded, gate) -> None:
    professional, owner = carded
    consumer = make_user(name="רונית לקוחה")
    lead = make_lead(consumer, consumer_lead_data(direct_contact=True))
    answer = await gate.send("POST", f"/leads/{lead.id}/unlock", owner,
                             json={"professional_id": str(professional.id)})
    assert answer.status_code == 200, answer.text
    line = await gate.check(answer, "unlock", answer.json()["id"], "lead unlocked")
    assert (line["lead"], line["professional"], line["amount"]) == (
        str(lead.id), str(professional.id), "29.50")
    [charged] = [line for line in gate.action_lines("ledger_transaction")
                 if line["kind"] == "unlock"]
    assert charged["idempotency_key"].startswith(f"unlock:{answer.json()['id']}:")


async def test_an_unlock_refund_claim_decided(client, carded, gate) -> None:
    _, owner = carded
    lead = make_lead(make_user(name="רונית לקוחה"), consumer_lead_data(direct_contact=True))
    unlocked = (await client.post(f"{API}/leads/{lead.id}/unlock", headers=auth(owner),
                                  json={})).json()
    claimed = await gate.send("POST", f"/unlocks/{unlocked['id']}/refund-claim", owner,
                              json={"reason": "unreachable"})
    assert claimed.status_code == 201, claimed.text
    claim = claimed.json()["id"]
    await gate.check(claimed, "unlock_claim", claim, "unlock refund claimed")
    answer = await gate.send("POST", f"/admin/unlock-claims/{claim}/decide", gate.admin,
                             json={"approve": True, "note": "אומת"})
    assert answer.status_code == 200 and answer.json()["status"] == "refunded", answer.text
    line = await gate.check(answer, "unlock_claim", claim, "unlock refund claim decided")
    assert (line["approved"], line["how"], line["unlock"]) == (True, "admin", unlocked["id"])
    [refunded] = [line for line in gate.action_lines("unlock")
                  if line["message"] == "unlock refunded"]
    assert refunded["unlock"] == unlocked["id"] and refunded["claim"] == claim


async def test_a_subscription_bought(carded, gate) -> None:
    professional, owner = carded
    answer = await gate.send("POST", "/subscriptions", owner,
                             json={"professional_id": str(professional.id)})
    assert answer.status_code == 201, answer.text
    subscription = answer.json()["id"]
    await gate.check(answer, "subscription", subscription, "subscription bought")
    [(charge,)] = sql("SELECT id FROM subscription_charges WHERE subscription_id = :s",
                      s=subscription)
    line = await gate.check(answer, "subscription_charge", charge,
                            "subscription charge paid")
    assert (line["subscription"], line["outcome"], line["amount"]) == (
        subscription, "paid", "116.82")


async def test_a_referral_accepted(client, gate) -> None:
    (pro_a, owner_a), (pro_b, owner_b) = (make_professional(business_name="שיפוצי אלון"),
                                          make_professional(business_name="שרברבות בן"))
    lead = await post_lead(client, owner_a, pro_body(pro_a.id, visibility="private"))
    offered = await client.post(f"{API}/leads/{lead['id']}/share", headers=auth(owner_a),
                                json={"receiver_professional_id": str(pro_b.id)})
    assert offered.status_code == 201, offered.text
    referral = offered.json()["id"]
    answer = await gate.send("POST", f"/referrals/{referral}/accept", owner_b)
    assert answer.status_code == 200, answer.text
    line = await gate.check(answer, "referral", referral, "referral accepted")
    assert (line["lead"], line["professional"]) == (lead["id"], str(pro_b.id))


@pytest.fixture
async def booked(client, gate):
    """A consumer's request with an offer from a business that publishes its visit hours, and
    a visit booked: (the booking's answer, the consumer, the lead, the business's owner)."""
    consumer = make_user(name="ליאור")
    lead = make_lead(consumer)
    business, pro = make_professional(business_name="אינסטלציה ליאור")
    with unit_of_work(caller_for(pro)) as session:
        proposals.create_proposal(session=session, caller=caller_for(pro), lead_id=lead.id,
                                  data=ProposalCreate(price="500", description="אגיע לבדוק."))
    assert (await client.put(f"{API}/professionals/{business.id}/visit-hours", json=HOURS,
                             headers=auth(pro))).status_code == 200
    day = (rules.local_day(utcnow()) + timedelta(days=2)).isoformat()
    slots = (await client.get(f"{API}/professionals/{business.id}/visit-slots",
                              params={"from": day, "days": 1})).json()["items"]
    answer = await gate.send("POST", f"/leads/{lead.id}/visits", consumer, json={
        "professional_id": str(business.id), "starts_at": slots[0]["starts_at"]})
    assert answer.status_code == 201, answer.text
    return answer, consumer, lead, pro


async def test_a_visit_booked(booked, gate) -> None:
    answer, consumer, _, _ = booked
    line = await gate.check(answer, "visit", answer.json()["id"], "site visit booked")
    assert line["user_id"] == str(consumer.id)


async def test_a_check_in(client, booked, gate) -> None:
    _, consumer, lead, pro = booked
    [shown] = (await client.get(f"{API}/leads/{lead.id}/check-in-passes",
                                headers=auth(consumer))).json()["items"]
    answer = await gate.send("POST", "/check-ins", pro,
                             json={"token": shown["link"].split("t=")[1], "place": "בחצר"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["pass_id"] == shown["id"]
    line = await gate.check(answer, "check_in", shown["id"], "checked in on site")
    assert line["lead_id"] == str(lead.id) and line["user_id"] == str(pro.id)


# --- milestones and b2b settlement -----------------------------------------------------------


async def test_a_milestone_approved(client, gate) -> None:
    owner = make_user(name="רותם לוי")
    business, pro = make_professional(business_name="שיפוצי רותם")
    lead = make_won_job(owner, pro, "3000")
    first, _ = await agreed(client, (owner, pro, business, lead), "1000", "2000")
    await pay_step(client, owner, lead, first["id"])
    assert (await client.post(f"{API}/milestones/{first['id']}/submit",
                              headers=auth(pro))).status_code == 200
    answer = await gate.send("POST", f"/milestones/{first['id']}/approve", owner)
    assert answer.status_code == 200, answer.text
    line = await gate.check(answer, "milestone", first["id"], "milestone approved")
    assert (line["lead"], line["amount"]) == (str(lead.id), "1000.00")


async def test_a_b2b_statement_paid_now(invoiced, parties, gate) -> None:
    business, performer = parties["performer"]
    [(statement,)] = sql("SELECT id FROM settlement_statements WHERE professional_id = :p",
                         p=business.id)
    save_card(performer, business)
    answer = await gate.send("POST", f"/statements/{statement}/pay", performer)
    assert answer.status_code == 200 and answer.json()["outcome"] == "paid", answer.text
    line = await gate.check(answer, "statement", statement, "statement charge paid")
    assert (line["outcome"], line["amount"], line["started_by"]) == (
        "paid", "259.00", str(performer.id))
    [booked] = [line for line in gate.action_lines("ledger_transaction")
                if line["kind"] == "statement_paid"]
    assert booked["idempotency_key"] == f"statement_paid:{statement}"


async def test_a_b2b_credit_note(invoiced, parties, gate) -> None:
    answer = await gate.send("POST", f"/admin/leads/{invoiced['id']}/credit-note", gate.admin,
                             json={"refund_amount": "500", "reason": "החזר חלקי ללקוח"})
    assert answer.status_code == 201, answer.text
    [(credit,)] = sql("SELECT id FROM b2b_credits WHERE document_id = :d",
                      d=answer.json()["id"])
    line = await gate.check(answer, "b2b_credit", credit, "credit note issued")
    assert (line["lead"], line["document"], line["refund"], line["professional"]) == (
        invoiced["id"], answer.json()["id"], "500.00", str(parties["performer"][0].id))


async def test_a_withdrawal_rejected_and_its_money_returned(parties, released, gate) -> None:
    business, performer = parties["performer"]
    requested = await gate.send("POST", f"/wallets/{business.id}/withdraw", performer,
                                json={"amount": "500", **BANK})
    withdrawal = requested.json()["id"]
    rejected = await gate.send("POST", f"/admin/withdrawals/{withdrawal}/reject", gate.admin,
                               json={"note": "פרטי החשבון אינם תואמים"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text
    line = await gate.check(rejected, "withdrawal", withdrawal, "withdrawal rejected")
    assert (line["professional"], line["amount"]) == (str(business.id), "500.00")
    [returned] = [line for line in gate.action_lines("ledger_transaction")
                  if line["kind"] == "withdrawal_reversal"]
    assert returned["idempotency_key"] == f"withdrawal-reversal:{withdrawal}"


# --- what the jobs charge: renewals and autopay retries --------------------------------------


class JobGate:
    """Runs a job and finds what it logged and counted: every action line of the run carries
    the job's run id (`job:<name>:<run>`), and the job's runs are counted."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.sent: list[dict] = []

    async def run(self, name: str, as_of) -> str:
        before = await self.gate.counts()
        self.gate.lines.lines.clear()
        outcome = run_job(name, as_of=as_of)
        assert outcome.status == "succeeded", outcome
        self.sent = list(self.gate.lines.lines)
        after = await self.gate.counts()
        assert after.get(("job", name), 0) > before.get(("job", name), 0)
        [run_id] = {line["request_id"] for line in self.sent if line["logger"] == "jobs.runner"}
        assert run_id.startswith(f"job:{name}:")
        actions = [line for line in self.sent if line["logger"] == ACTIONS]
        assert actions and {line["request_id"] for line in actions} == {run_id}, actions
        return run_id

    def action(self, kind: str, message: str) -> dict:
        [line] = [line for line in self.sent if line["logger"] == ACTIONS
                  and line.get(kind) and line["message"] == message]
        return line


@pytest.fixture
def jobs(gate) -> JobGate:
    return JobGate(gate)


@pytest.fixture
async def subscribed(carded, client):
    """The business bought a month: (its subscription, the period's end)."""
    professional, owner = carded
    answer = await client.post(f"{API}/subscriptions", headers=auth(owner),
                               json={"professional_id": str(professional.id)})
    assert answer.status_code == 201, answer.text
    subscription = answer.json()["id"]
    [(ends_at,)] = sql("SELECT ends_at FROM subscriptions WHERE id = :s", s=subscription)
    return subscription, ends_at


def last_charge(subscription: str) -> tuple[str, str]:
    """The subscription's latest charge: its id and status."""
    [(charge, status)] = sql("SELECT id, status FROM subscription_charges"
                             " WHERE subscription_id = :s ORDER BY id DESC LIMIT 1",
                             s=subscription)
    return str(charge), status


async def test_a_renewal_charged_by_the_job(subscribed, jobs) -> None:
    subscription, ends_at = subscribed
    await jobs.run("renew_subscriptions", ends_at)
    line = jobs.action("subscription_charge", "subscription charge paid")
    assert (line["subscription"], line["outcome"], line["amount"]) == (
        subscription, "paid", "116.82")
    assert (line["subscription_charge"], "succeeded") == last_charge(subscription)
    [booked] = [line for line in jobs.sent if line["logger"] == ACTIONS
                and line.get("ledger_transaction") and line["kind"] == "subscription"]
    assert booked["idempotency_key"] == f"subscription:{subscription}:{ends_at}"  # the period


async def test_a_declined_renewal_retried_by_the_job(subscribed, jobs, monkeypatch) -> None:
    subscription, ends_at = subscribed
    real = SandboxProvider.charge_card

    def declined(self, *, card, amount, idempotency_key):
        raise CardDeclined()

    monkeypatch.setattr(SandboxProvider, "charge_card", declined)
    first = await jobs.run("renew_subscriptions", ends_at)
    line = jobs.action("subscription_charge", "subscription charge declined")
    assert (line["subscription"], line["outcome"]) == (subscription, "declined")
    assert (line["subscription_charge"], "declined") == last_charge(subscription)
    monkeypatch.setattr(SandboxProvider, "charge_card", real)
    retry = await jobs.run("renew_subscriptions", ends_at + timedelta(days=1))
    assert retry != first  # each run its own id
    line = jobs.action("subscription_charge", "subscription charge paid")
    assert (line["subscription_charge"], "succeeded") == last_charge(subscription)


async def test_an_autopay_declined_then_retried_by_the_job(invoiced, parties, jobs) -> None:
    business, performer = parties["performer"]
    [(statement,)] = sql("SELECT id FROM settlement_statements WHERE professional_id = :p",
                         p=business.id)
    save_card(performer, business, CHARGE_DECLINED_CARD)
    await jobs.run("autopay_retries", AS_OF)
    line = jobs.action("statement", "statement charge declined")
    assert (line["statement"], line["outcome"], line["amount"]) == (
        str(statement), "declined", "259.00")
    save_card(performer, business)  # a card that works, made the default
    caller = caller_for(performer)
    with unit_of_work(caller) as session:
        [working] = [m for m in payment_methods.list_methods(
            session=session, caller=caller, professional_id=business.id) if m.last4 == "4242"]
        payment_methods.make_default(session=session, caller=caller, method_id=working.id)
    await jobs.run("autopay_retries", AS_OF + timedelta(days=1))
    line = jobs.action("statement", "statement charge paid")
    assert (line["statement"], line["outcome"]) == (str(statement), "paid")
    [booked] = [line for line in jobs.sent if line["logger"] == ACTIONS
                and line.get("ledger_transaction") and line["kind"] == "statement_paid"]
    assert booked["idempotency_key"] == f"statement_paid:{statement}"
