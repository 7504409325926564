"""Escrow payments: the owner starts one after acceptance, the client pays through the provider,
the provider's signed webhook (or the reconciliation job asking it) records the payment, and
the ledger holds each party's part until the job is closed and the hold period has passed.

No transaction or row lock is held across a provider call: `initiate` writes the payment and
commits, asks the provider for a checkout, then records the answer in a second transaction.
Every provider event id is stored once (`payment_webhook_events`): a replay, a duplicate or a
concurrent second delivery finds it and changes nothing; events arriving out of order are
judged against the payment's current status under its row lock.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from itertools import groupby
from typing import Any

from sqlalchemy import ScalarSelect, Select, TextClause, bindparam, func, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from ofair_app.adapters.psp import (
    BadSignature,
    EventKind,
    MalformedEvent,
    PaymentState,
    ProviderError,
    ProviderEvent,
    ProviderPayment,
    get_provider,
)
from ofair_app.db.engine import SYSTEM, Caller, affected, trusted_step, unit_of_work
from ofair_app.db.group_commit import GroupCommit
from ofair_app.domain import lead_actions as action_rules
from ofair_app.domain import leads as lead_rules
from ofair_app.domain import ledger as book
from ofair_app.domain import milestones as milestone_rules
from ofair_app.domain import payments as rules
from ofair_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ofair_app.domain.lead_actions import LeadAction
from ofair_app.domain.leads import Event, LeadStatus, LeadType
from ofair_app.domain.ledger import TxKind
from ofair_app.domain.milestones import MilestoneStatus
from ofair_app.domain.payments import EventOutcome, PaymentStatus
from ofair_app.domain.proposals import ProposalStatus
from ofair_app.i18n import money
from ofair_app.models import (
    Lead,
    Milestone,
    Payment,
    PaymentReferrer,
    PaymentWebhookEvent,
    Professional,
    ProfessionalLead,
    Proposal,
    ProposalUpdate,
    WebhookRejection,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs, metrics
from ofair_app.services import (
    commission,
    lead_actions,
    ledger,
    milestones,
    notifications,
    proposals,
    referrals,
    reviews,
    settlement,
    users,
)
from ofair_app.services import leads as lead_service
from ofair_app.services.professionals import require_member
from ofair_app.services.proposals import lead_url_for_owner, short_title
from ofair_app.settings import get_settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookResult:
    outcome: EventOutcome | str  # or "duplicate"
    payment_id: uuid.UUID | None = None
    detail: str = ""


def shares_of(payment: Payment | Row[Any],
              chain: Sequence[tuple[uuid.UUID, Decimal]] = ()) -> book.Shares:
    """The payment's frozen split (a payment, or a row with the same columns), with its
    referrers and their fees in the chain's order (`payment_referrers`)."""
    return book.Shares(final_amount=payment.final_amount, platform=payment.platform_commission,
                       referrer=payment.referrer_fee, performer=payment.professional_net_amount,
                       performer_id=payment.performer_professional_id,
                       referrer_id=payment.referrer_professional_id, chain=tuple(chain))


def payment_shares(session: Session, payment: Payment) -> book.Shares:
    """The payment's frozen split, its referrers read from `payment_referrers`."""
    return shares_of(payment, chains_of(session, [payment.id]).get(payment.id, []))


# The referrers of payments `ids` and their fees, each payment's in the chain's order.
_CHAINS = (select(PaymentReferrer.payment_id, PaymentReferrer.professional_id,
                  col(PaymentReferrer.fee))
           .where(col(PaymentReferrer.payment_id).in_(bindparam("ids", expanding=True)))
           .order_by(col(PaymentReferrer.payment_id), col(PaymentReferrer.position)))


def chains_of(session: Session, payment_ids: list[uuid.UUID]
              ) -> dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]]:
    """Each payment's referrers and their fees in the chain's order, in one statement (a
    payment without referrers is absent)."""
    chains: dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]] = {}
    if payment_ids:
        for payment_id, professional_id, fee in session.exec(
                _CHAINS, params={"ids": payment_ids}).all():
            chains.setdefault(payment_id, []).append((professional_id, fee))
    return chains


def _row_shares(row: Row[Any]) -> book.Shares:
    """The split of a row that carries its referrers as `chain_ids` and `chain_fees`, in order
    (the due-hold statements below)."""
    return shares_of(row, list(zip(row.chain_ids or (), row.chain_fees or (), strict=True)))


# --- starting a payment --------------------------------------------------------------------


def _prepare(session: Session, caller: Caller, proposal_id: uuid.UUID,
             step: LeadAction | None,
             milestone_id: uuid.UUID | None = None) -> tuple[Payment, bool]:
    """(the payment to send to the provider, whether it still needs a checkout). Locks the
    lead; the owner only, and only by its own way of paying (`step`: the client pays, a
    referrer sends the link; None: whichever is the caller's); a second call finds the first
    payment. A job agreed in milestones is paid a step at a time (`milestone_id`)."""
    payer = users.require_user(caller)
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("errors.proposal.not_found")
    lead = lead_service.find_lead(session, proposal.lead_id, lock=True)
    lead_service.require_owner(session, lead, caller)
    own_step = action_rules.payment_step(lead_actions.actions_on(session, caller, lead).role)
    if own_step is None or (step is not None and step != own_step):
        raise action_rules.NotYourStep(params={"action": str(step or LeadAction.pay)})
    # A price change holds the lead's lock too: read the price as it stands now.
    session.refresh(proposal)
    step_paid = _milestone_to_pay(session, caller, lead, milestone_id)
    live = session.exec(select(Payment).where(
        Payment.lead_id == lead.id, col(Payment.status).in_(list(rules.LIVE)),
        col(Payment.milestone_id).is_not_distinct_from(milestone_id))).first()
    if live is not None:
        if live.proposal_id != proposal.id or live.status in rules.PAID:
            raise Conflict("errors.payment.exists", code="payment_exists")
        return live, live.status == PaymentStatus.created
    payable = (LeadStatus.awarded, LeadStatus.in_progress) if step_paid else (
        LeadStatus.awarded,)
    if lead.status not in payable or proposal.status != ProposalStatus.accepted:
        raise Conflict("errors.payment.not_awarded", code="not_awarded",
                       params={"status": str(lead.status)})
    performer = session.get(Professional, proposal.professional_id)
    chain = referrals.agreed_chain(session, lead)
    priced = commission.price_job(session, lead,
                                  step_paid.amount if step_paid else proposal.price,
                                  shares=[link.share for link in chain], performer=performer)
    parts = priced.split
    paid = [(link, fee) for link, fee in zip(chain, parts.referrer_fees, strict=True) if fee]
    payment = Payment(lead_id=lead.id, proposal_id=proposal.id, payer_user_id=payer,
                      milestone_id=milestone_id,
                      performer_professional_id=proposal.professional_id,
                      referrer_professional_id=paid[0][0].professional_id if paid else None,
                      provider=get_settings().psp_provider, currency=rules.CURRENCY,
                      final_amount=parts.final_amount,
                      platform_commission=parts.platform_commission,
                      referrer_fee=parts.referrer_fee,
                      professional_net_amount=parts.professional_net_amount,
                      platform_rate_pct=parts.platform_rate_pct,
                      referrer_share_pct=sum((link.share for link, _ in paid), Decimal(0)),
                      commission_rule_id=priced.rule.id)
    session.add(payment)
    session.flush()
    session.add_all(PaymentReferrer(payment_id=payment.id, position=position,
                                    professional_id=link.professional_id, share_pct=link.share,
                                    fee=fee)
                    for position, (link, fee) in enumerate(paid, start=1))
    session.flush()
    return payment, True


def _milestone_to_pay(session: Session, caller: Caller, lead: Lead,
                      milestone_id: uuid.UUID | None) -> Milestone | None:
    """The step being paid, when the job was agreed in milestones (then one must be named; a
    plan still waiting for the other side's word must be agreed or withdrawn first)."""
    with trusted_step(session, caller):
        plan = milestones.plan_for(session, lead.id)
        step = session.get(Milestone, milestone_id) if milestone_id is not None else None
    if plan is None:
        if milestone_id is not None:
            raise NotFound("errors.milestone.not_found")
        return None
    if plan.agreed_at is None:
        raise milestone_rules.PlanPending()
    if milestone_id is None:
        raise InvalidInput(fields={"milestone_id": "errors.milestone.required"})
    if step is None or step.lead_id != lead.id or step.proposal_id != plan.proposal_id:
        raise NotFound("errors.milestone.not_found")
    if step.status != MilestoneStatus.open:
        raise milestone_rules.WrongStatus(params={"status": step.status})
    return step


def pay(*, caller: Caller, proposal_id: uuid.UUID,
        milestone_id: uuid.UUID | None = None) -> Payment:
    """The client of a consumer request pays the accepted offer: the payment whose checkout
    (the card form) they are sent to. Anyone else, a referrer included, gets 403
    `not_your_step`."""
    return _initiate(caller=caller, proposal_id=proposal_id, step=LeadAction.pay,
                     milestone_id=milestone_id)


def send_payment_link(*, caller: Caller, proposal_id: uuid.UUID,
                      milestone_id: uuid.UUID | None = None) -> Payment:
    """The referrer of a professional lead has the payment link texted to its client (again,
    while the payment is still open). The referrer is never sent to the card form; anyone
    else, the consumer of a request included, gets 403 `not_your_step`."""
    return _initiate(caller=caller, proposal_id=proposal_id,
                     step=LeadAction.send_payment_link, milestone_id=milestone_id)


def initiate(*, caller: Caller, proposal_id: uuid.UUID,
             milestone_id: uuid.UUID | None = None) -> Payment:
    """The owner starts the payment of the accepted offer, in its own way (`pay` for a
    client, `send_payment_link` for a referrer): the split is frozen on a new payment, then
    the provider opens a checkout (outside any transaction). For a professional lead the
    client pays, so the link goes to the client by SMS. Calling again returns the same one."""
    return _initiate(caller=caller, proposal_id=proposal_id, step=None,
                     milestone_id=milestone_id)


def _initiate(*, caller: Caller, proposal_id: uuid.UUID, step: LeadAction | None,
              milestone_id: uuid.UUID | None = None) -> Payment:
    with unit_of_work(caller) as session:
        payment, needs_checkout = _prepare(session, caller, proposal_id, step, milestone_id)
        lead = session.get(Lead, payment.lead_id)
        assert lead is not None
        title, back = lead.title, lead_url_for_owner(lead)
        if payment.milestone_id is not None:
            with trusted_step(session, caller):
                step_row = session.get(Milestone, payment.milestone_id)
            title = f"{title} · {step_row.title}" if step_row else title
        if (not needs_checkout and step == LeadAction.send_payment_link
                and payment.status == PaymentStatus.pending):
            with trusted_step(session, caller):  # the client's phone is the platform's to use
                _send_link(session, lead, payment)
    if not needs_checkout:
        return payment
    provider = get_provider(payment.provider)
    try:
        checkout = provider.create_checkout(
            payment_id=str(payment.id), amount=payment.final_amount,
            currency=payment.currency, description=title,
            success_url=f"{back}?paid=1", cancel_url=back)
    except ProviderError:
        with unit_of_work(SYSTEM) as session:
            session.execute(update(Payment).where(col(Payment.id) == payment.id)
                            .values(status=PaymentStatus.failed))
        raise
    withdrawn = False
    with unit_of_work(SYSTEM) as session:
        stored = session.exec(select(Payment).where(Payment.id == payment.id)
                              .with_for_update()).one()
        if stored.status == PaymentStatus.created:
            stored.psp_reference, stored.checkout_url = checkout.reference, checkout.url
            stored.status = PaymentStatus.pending
            session.add(stored)
            logs.action("payment", stored.id, "checkout started", lead=stored.lead_id,
                        milestone=stored.milestone_id, provider=stored.provider,
                        amount=stored.final_amount)
            lead = session.get(Lead, stored.lead_id)
            if lead is not None and lead.type == LeadType.professional_referral:
                _send_link(session, lead, stored)
        session.flush()
        withdrawn = stored.status == PaymentStatus.expired and not stored.psp_reference
    if withdrawn:
        # The price changed while the provider was opening this checkout: it must not be
        # paid. Close it (if that fails, a payment of it is flagged, never applied).
        try:
            provider.expire_checkout(checkout.reference)
        except ProviderError:
            logger.warning("could not close checkout %s of withdrawn payment %s",
                           checkout.reference, payment.id)
        raise Conflict("errors.payment.price_changed", code="price_changed")
    return stored


def _send_link(session: Session, lead: Lead, payment: Payment) -> None:
    """The client of a professional lead gets the payment link by SMS (run as the platform)."""
    client = session.get(ProfessionalLead, lead.id)
    business = session.get(Professional, payment.performer_professional_id)
    if client is None or not payment.checkout_url:
        return
    notifications.enqueue(
        session=session, channel="sms", to=client.client_phone, template="payment_link",
        locale="he", params={"business_name": business.business_name if business else "",
                             "amount": money(payment.final_amount, "he"),
                             "lead_title": short_title(lead), "url": payment.checkout_url})


# --- a new price before payment ------------------------------------------------------------


def edit_proposal(*, caller: Caller, proposal_id: uuid.UUID, data: ProposalUpdate) -> Proposal:
    """The proposer edits a pending offer, or either side of an award changes its price
    before payment (`proposals.update_proposal`: who may, and what). A checkout already open
    at the old price is closed first, at the provider and here (its payment `expired`), so the
    next payment charges the new price; if the client paid it in the meantime, the payment is
    recorded as paid and the change refused (409 `payment_exists`). Owns its transactions: no
    transaction is open during the provider call."""
    try:
        with unit_of_work(caller) as session:
            return proposals.update_proposal(session=session, caller=caller,
                                             proposal_id=proposal_id, data=data)
    except proposals.CheckoutOpen as open_checkout:
        _close_checkout(open_checkout.payment_id)
    # Once more; a checkout opened again in between (a tap on "pay" just now) is a 409.
    with unit_of_work(caller) as session:
        return proposals.update_proposal(session=session, caller=caller,
                                         proposal_id=proposal_id, data=data)


def _close_checkout(payment_id: uuid.UUID) -> None:
    """Close a payment's open checkout so it can never be paid, as the platform: the provider
    first (a session it says was paid is recorded through the webhook's code, and the caller
    gets 409), then the payment, if still waiting on that same checkout, becomes `expired`.
    A checkout opened for it meanwhile (`initiate` was under way) is closed in turn."""
    for _ in range(3):
        with unit_of_work(SYSTEM) as session:
            payment = session.get(Payment, payment_id)
            assert payment is not None
            provider_name, reference = payment.provider, payment.psp_reference
        if reference:
            state = get_provider(provider_name).expire_checkout(reference)
            if state.state == PaymentState.paid:
                with unit_of_work(SYSTEM) as session:
                    handle_paid(session, [_with_payment_id(state, payment_id)])
                raise Conflict("errors.payment.paid_meanwhile", code="payment_exists")
        with unit_of_work(SYSTEM) as session:
            closed = affected(session.execute(update(Payment).where(
                col(Payment.id) == payment_id,
                col(Payment.status).in_([PaymentStatus.created, PaymentStatus.pending]),
                col(Payment.psp_reference).is_not_distinct_from(reference))
                .values(status=PaymentStatus.expired)))
            still_open = closed == 0 and session.exec(select(Payment.id).where(
                Payment.id == payment_id, col(Payment.status).in_(
                    [PaymentStatus.created, PaymentStatus.pending]))).first() is not None
        if not still_open:
            return
    raise proposals.CheckoutOpen(payment_id)


def _with_payment_id(state: ProviderPayment, payment_id: uuid.UUID) -> ProviderPayment:
    """The provider's word on a checkout we asked about by its reference, for that payment."""
    return ProviderPayment(reference=state.reference, payment_id=str(payment_id),
                           state=state.state, amount=state.amount, currency=state.currency,
                           charge=state.charge, refunded=state.refunded)


def get_payment(*, session: Session, caller: Caller, payment_id: uuid.UUID) -> Payment:
    """For the payer, the lead's owner, the businesses paid, and admins."""
    users.require_user(caller)
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("errors.payment.not_found")
    return payment


def flagged(*, session: Session, caller: Caller, limit: int = 100) -> list[tuple[Payment, str]]:
    """Payments a provider event did not match (amount, currency, session, or a lead no longer
    awarded): recorded, never applied; an admin looks at each. With their leads' titles."""
    users.require_user(caller)
    if caller.role != "admin":
        raise Forbidden("errors.admin_only")
    rows = session.exec(select(Payment, Lead.title).join(Lead, col(Lead.id) == Payment.lead_id)
                        .where(col(Payment.flagged).is_(True))
                        .order_by(col(Payment.updated_at).desc()).limit(limit)).all()
    return [(payment, title) for payment, title in rows]


def for_lead(session: Session, lead_id: uuid.UUID) -> Payment | None:
    """The lead's latest payment the caller may see."""
    return session.exec(select(Payment).where(Payment.lead_id == lead_id)
                        .order_by(col(Payment.created_at).desc())).first()


# --- the provider's word -------------------------------------------------------------------


# Providers whose events come signed with Stripe's scheme to POST /payments/webhook.
SIGNED_PROVIDERS = frozenset({"sandbox", "stripe"})


def handle_webhook(payload: bytes, signature: str | None = None, *,
                   provider: str | None = None) -> WebhookResult:
    """A provider's webhook, as the platform: its adapter verifies it first (a bad signature,
    or for Cardcom a re-query that does not confirm it, is a 400 with a warning naming the
    provider and the reason; nothing is written), then reads it (a signed body that is not a
    well-formed event is a 400 recorded for admins, `webhook_rejections`). The event id is
    stored once, so a duplicate changes nothing; the event is then dispatched by its kind
    through `HANDLERS`, the same handlers the reconciliation job uses. Events verified at the
    same moment by other requests are applied with it in one transaction (`GROUP`)."""
    name = provider or get_settings().psp_provider
    try:
        if provider is None and name not in SIGNED_PROVIDERS:
            raise BadSignature(f"{name} posts to its own path, not the signed webhook")
        event = get_provider(name).read_webhook(payload, signature)
    except BadSignature as error:
        logger.warning("webhook refused: provider %s: %s", name, error.reason)
        metrics.WEBHOOK_EVENTS.labels(name, "bad_signature").inc()
        raise
    except MalformedEvent as error:
        _record_rejection(payload, error.reason, name)
        metrics.WEBHOOK_EVENTS.labels(name, "malformed").inc()
        raise
    result = GROUP.submit((event, name))
    metrics.WEBHOOK_EVENTS.labels(name, result.outcome).inc()
    if result.payment_id is not None:
        logs.action("payment", result.payment_id, "webhook applied", provider=name,
                    event=event.id[:255], outcome=result.outcome)
    return result


def record_event(event: ProviderEvent, *, provider: str) -> WebhookResult:
    """Store a verified event once and apply it once (a duplicate id is "duplicate")."""
    return record_events([(event, provider)])[0]


# Each event id once: a new one is returned, one seen before is not. (SQLModel's stubs do not
# declare the `__table__` SQLAlchemy's declarative mapping sets on every table model.)
_STORE_EVENTS = (insert(PaymentWebhookEvent.__table__)  # type: ignore[attr-defined]
                 .on_conflict_do_nothing(index_elements=["id"])
                 .returning(PaymentWebhookEvent.__table__.c.id))  # type: ignore[attr-defined]


def record_events(events: list[tuple[ProviderEvent, str]]) -> list[WebhookResult]:
    """Verified events (each with its provider's name), in one transaction and in order: each
    id is stored once, so an id seen before (or twice here) is "duplicate"; the new ones are
    dispatched together (`dispatch_many`) and their outcomes recorded."""
    with unit_of_work(SYSTEM, hot_path=True) as session:
        first: dict[str, int] = {}
        for index, (event, _) in enumerate(events):
            first.setdefault(event.id[:255], index)
        inserted = set(session.execute(_STORE_EVENTS, [
            {"id": event_id, "provider": events[index][1], "type": events[index][0].type[:80],
             "outcome": str(EventOutcome.ignored), "detail": "",
             "payload": events[index][0].record}
            for event_id, index in first.items()]).scalars())
        fresh = [index for event_id, index in first.items() if event_id in inserted]
        results: list[WebhookResult] = [WebhookResult("duplicate")] * len(events)
        for index, result in zip(fresh, dispatch_many(session, [events[i][0] for i in fresh]),
                                 strict=True):
            results[index] = result
        if fresh:
            session.execute(_EVENT_OUTCOMES, {
                "ids": [events[index][0].id[:255] for index in fresh],
                "outcomes": [str(results[index].outcome) for index in fresh],
                "payments": [results[index].payment_id for index in fresh],
                "details": [results[index].detail[:300] for index in fresh]})
    return results


# What the new events did, one statement for the batch.
_EVENT_OUTCOMES = text("""
    UPDATE payment_webhook_events e
    SET outcome = v.outcome, payment_id = v.payment_id, detail = v.detail
    FROM unnest(CAST(:ids AS text[]), CAST(:outcomes AS text[]), CAST(:payments AS uuid[]),
                CAST(:details AS text[])) AS v(id, outcome, payment_id, detail)
    WHERE e.id = v.id
""")


# Webhooks verified at the same moment by concurrent requests are applied together: one
# transaction and one commit for the lot (see `ofair_app.db.group_commit`).
# Waiting a millisecond for the next events when others are about makes the batches fuller:
# from 8 threads, a batch holds 7.8 events of a possible 8 (benchmarks/bench_money.py).
GROUP: GroupCommit[tuple[ProviderEvent, str], WebhookResult] = GroupCommit(
    record_events, max_batch=64, gather_seconds=0.001, name="webhook batch")


# How much of a rejected body an admin sees: enough to recognise it, never the whole of it.
REJECTION_EXCERPT_CHARS = 2000


def _record_rejection(payload: bytes, reason: str, provider: str) -> None:
    """Keep a signed body we could not read, in its own transaction (the caller answers 400)."""
    text = payload.decode("utf-8", errors="replace")
    excerpt = "".join(c if c.isprintable() or c in "\n\t" else "\ufffd"
                      for c in text[:REJECTION_EXCERPT_CHARS])
    with unit_of_work(SYSTEM) as session:
        session.add(WebhookRejection(
            provider=provider, reason=reason[:300],
            body_sha256=hashlib.sha256(payload).hexdigest(), body_bytes=len(payload),
            body_excerpt=excerpt))
    logger.warning("signed webhook rejected: provider %s (%s bytes): %s", provider,
                   len(payload), reason)


def webhook_rejections(*, session: Session, caller: Caller,
                       limit: int = 100) -> list[WebhookRejection]:
    """Signed provider bodies that were not readable events, newest first. Admins only."""
    users.require_user(caller)
    if caller.role != "admin":
        raise Forbidden("errors.admin_only")
    return list(session.exec(select(WebhookRejection)
                             .order_by(col(WebhookRejection.received_at).desc(),
                                       col(WebhookRejection.id).desc())
                             .limit(limit)).all())


# What a provider's word names a payment by → the statement that finds and locks those payments
# (built once: a webhook batch runs them hundreds of times a second).
_PAYMENT_KEYS = {"charge": "psp_payment_intent", "id": "id", "reference": "psp_reference"}
_LOCK_PAYMENTS = {
    name: select(Payment).where(col(getattr(Payment, column)).in_(bindparam("keys",
                                                                             expanding=True)))
    .order_by(col(Payment.id)).with_for_update()
    for name, column in _PAYMENT_KEYS.items()}


def _payments_for(session: Session, founds: list[ProviderPayment],
                  kind: EventKind) -> list[Payment | None]:
    """The payment each provider's word is about, locked in id order (so two batches never
    wait on each other in a circle): a refund names the charge; a checkout carries our payment
    id (or, failing that, is known by its reference)."""
    keys: list[tuple[str, object] | None] = []
    for found in founds:
        if kind == EventKind.refunded:
            keys.append(("charge", found.charge) if found.charge else None)
            continue
        try:
            keys.append(("id", uuid.UUID(str(found.payment_id))))
        except ValueError:
            keys.append(("reference", found.reference) if found.reference else None)
    found_by: dict[tuple[str, object], Payment] = {}
    for name, column in _PAYMENT_KEYS.items():
        wanted = {key[1] for key in keys if key and key[0] == name}
        if not wanted:
            continue
        for payment in session.exec(_LOCK_PAYMENTS[name],
                                    params={"keys": list(wanted)}).all():
            found_by.setdefault((name, getattr(payment, column)), payment)
    return [found_by.get(key) if key else None for key in keys]


def dispatch(session: Session, event: ProviderEvent) -> WebhookResult:
    """What a verified event does to our books (as the platform, inside the caller's
    transaction): the handler of its kind, or nothing."""
    return dispatch_many(session, [event])[0]


def dispatch_many(session: Session, events: list[ProviderEvent]) -> list[WebhookResult]:
    """`dispatch` for events in order: each run of events of one kind goes to its handler in
    one call (a batch of payments is read and written in a few statements)."""
    def handled(event: ProviderEvent) -> EventKind | None:
        return event.kind if event.kind in HANDLERS and event.payment is not None else None

    results: list[WebhookResult] = []
    for kind, run in groupby(events, key=handled):
        same = list(run)
        if kind is None:
            results += [WebhookResult(EventOutcome.ignored, detail=f"not handled: {event.type}")
                        for event in same]
        else:
            results += HANDLERS[kind](session, [event.payment for event in same
                                                if event.payment is not None])
    return results


def apply_event(session: Session, event_type: str, data: dict[str, object]) -> WebhookResult:
    """A Stripe-shaped event object (sandbox, Stripe), read by their adapter and dispatched:
    for tools and tests that build events by hand."""
    from ofair_app.adapters.psp.stripe_scheme import event_from_object

    return dispatch(session, event_from_object(event_type, data))


def handle_expired(session: Session, founds: list[ProviderPayment]) -> list[WebhookResult]:
    results = []
    for payment in _payments_for(session, founds, EventKind.expired):
        if payment is None:
            results.append(WebhookResult(EventOutcome.ignored, detail="unknown payment"))
        elif payment.status in (PaymentStatus.created, PaymentStatus.pending):
            payment.status = PaymentStatus.expired
            session.add(payment)
            results.append(WebhookResult(EventOutcome.applied, payment.id, "expired"))
        else:
            results.append(WebhookResult(EventOutcome.ignored, payment.id,
                                         f"already {payment.status}"))
    session.flush()
    return results


def handle_refunded(session: Session, founds: list[ProviderPayment]) -> list[WebhookResult]:
    return [_refunded(session, payment, found.refunded) if payment is not None
            else WebhookResult(EventOutcome.ignored, detail="unknown payment")
            for found, payment in zip(founds, _payments_for(session, founds, EventKind.refunded),
                                      strict=True)]


def _flag(session: Session, payment: Payment, reason: str) -> WebhookResult:
    payment.flagged, payment.flag_reason = True, reason[:300]
    session.add(payment)
    logger.warning("payment %s flagged: %s", payment.id, reason)
    return WebhookResult(EventOutcome.flagged, payment.id, reason)


@dataclass
class _DealLead:
    """What judging a paid checkout reads of its lead, and what paying it changes (written by
    `_write_paid`)."""

    id: uuid.UUID
    status: LeadStatus
    performer_professional_id: uuid.UUID | None
    title: str
    final_amount: Decimal | None


@dataclass(frozen=True)
class _Deal:
    """What a paid checkout is judged against: its lead (locked), the offer's status and
    price, and another live payment of the lead, if any."""

    lead: _DealLead
    proposal_status: ProposalStatus | None
    proposal_price: Decimal | None
    other_payment: uuid.UUID | None
    milestone_amount: Decimal | None = None  # a step's payment: the step's amount and status
    milestone_status: str | None = None
    chain: list[tuple[uuid.UUID, Decimal]] = field(default_factory=list)  # referrers, fees


def _lock_deals() -> Select[uuid.UUID, uuid.UUID, LeadStatus, uuid.UUID | None, str,
                             Decimal | None, ProposalStatus, Decimal, uuid.UUID | None,
                             Decimal, str, list[uuid.UUID] | None, list[Decimal] | None]:
    """The deals of payments `ids`, their leads locked in id order: the lead, the offer's
    status and price, another live payment of the lead, if any, and the payment's referrers
    with their fees. (The offer's and the step's columns are outer-joined: None where there is
    none; `_Deal` takes them so.)"""
    other = aliased(Payment)
    other_live: ScalarSelect[uuid.UUID | None] = (select(other.id).where(
        other.lead_id == Payment.lead_id, other.id != Payment.id,
        col(other.milestone_id).is_not_distinct_from(Payment.milestone_id),
        col(other.status).in_(list(rules.LIVE))).limit(1).scalar_subquery())

    def chain(column: Any) -> ScalarSelect[Any]:
        """A column of the payment's referrers, in the chain's order (`chains_of`)."""
        return (sa_select(func.array_agg(aggregate_order_by(column,
                                                            col(PaymentReferrer.position))))
                .where(col(PaymentReferrer.payment_id) == Payment.id).scalar_subquery())

    # Thirteen columns: past sqlmodel's overloads of `select` (four), so SQLAlchemy's own.
    return (sa_select(col(Payment.id), col(Lead.id), col(Lead.status),
                      col(Lead.performer_professional_id), col(Lead.title),
                      col(Lead.final_amount), col(Proposal.status), col(Proposal.price),
                      other_live, col(Milestone.amount), col(Milestone.status),
                      chain(col(PaymentReferrer.professional_id)),
                      chain(col(PaymentReferrer.fee)))
            .join(Lead, col(Lead.id) == Payment.lead_id)
            .outerjoin(Proposal, col(Proposal.id) == Payment.proposal_id)
            .outerjoin(Milestone, col(Milestone.id) == Payment.milestone_id)
            .where(col(Payment.id).in_(bindparam("ids", expanding=True)))
            .order_by(col(Lead.id)).with_for_update(of=Lead))


_LOCK_DEALS = _lock_deals()


def _deals(session: Session, payments: list[Payment]) -> dict[uuid.UUID, _Deal]:
    """The deals of these payments in one statement, their leads locked in id order."""
    if not payments:
        return {}
    rows = session.execute(_LOCK_DEALS, {"ids": [payment.id for payment in payments]}).all()
    leads: dict[uuid.UUID, _DealLead] = {}  # one per lead: its steps paid at once share it
    return {payment_id: _Deal(leads.setdefault(lead_id, _DealLead(
                                  lead_id, LeadStatus(lead_status), performer, title,
                                  final_amount)),
                              status, price, other_id, step_amount, step_status,
                              list(zip(chain_ids or (), chain_fees or (), strict=True)))
            for (payment_id, lead_id, lead_status, performer, title, final_amount, status,
                 price, other_id, step_amount, step_status, chain_ids, chain_fees) in rows}


def handle_paid(session: Session, founds: list[ProviderPayment]) -> list[WebhookResult]:
    """Providers say checkouts were paid: hold each payment's money on the ledger, once, if
    it is the payment's checkout, at its amount and currency, for a deal still standing.
    Judged one after the other as if alone (a payment twice in the batch is "already paid"
    the second time), written together: the payments, their holds, their leads and the
    messages to the businesses in a few statements whatever the batch."""
    payments = _payments_for(session, founds, EventKind.paid)
    deals = _deals(session, [payment for found, payment in zip(founds, payments, strict=True)
                             if payment is not None and found.state == PaymentState.paid
                             and payment.status in rules.PAYABLE])
    results: list[WebhookResult] = []
    holds: list[ledger.Posting] = []
    notices: list[notifications.Notice] = []
    paid: list[Payment] = []
    paid_at = utcnow()
    for found, payment in zip(founds, payments, strict=True):
        result = _judge_paid(session, found, payment, deals)
        results.append(result)
        if result.outcome != EventOutcome.applied or payment is None:
            continue
        lead = deals[payment.id].lead
        payment.status, payment.paid_at = PaymentStatus.paid, paid_at
        payment.psp_payment_intent = found.charge or payment.psp_payment_intent
        payment.psp_reference = payment.psp_reference or found.reference or None
        paid.append(payment)
        holds.append(ledger.Posting(idempotency_key=f"hold:{payment.id}",
                                    payment_id=payment.id, pending_id=None,
                                    legs=book.hold(shares_of(payment,
                                                             deals[payment.id].chain))))
        if lead.status == LeadStatus.awarded:  # the first payment (of the first step) starts it
            lead.status = lead_rules.next_status(lead.status, Event.start)
        deal = deals[payment.id]
        lead.final_amount = payment.final_amount if payment.milestone_id is None \
            else deal.proposal_price
        notices.append(notifications.Notice(
            template="job_paid", businesses=(payment.performer_professional_id,),
            params=partial(_job_paid_params, notifications.quoted_title(lead.title),
                           payment.final_amount,
                           _url(f"/pro/leads/{lead.id}"))))
    flagged = {result.payment_id for result in results
               if result.outcome == EventOutcome.flagged}
    _write_paid(session, paid, [deals[payment.id].lead for payment in paid], flagged)
    if flagged:
        session.flush()  # what is left: the payments flagged for an admin
    ledger.record_many(session, kind=TxKind.hold, postings=holds)
    notifications.tell_all(session=session, caller=SYSTEM, notices=notices)
    return results


# The batch's paid payments and their leads in one statement (written a row at a time, the
# rows of a batch were each planned and run on their own: the most of its time).
_PAY = text("""
    WITH paid AS (
        UPDATE payments p SET status = :status, paid_at = :paid_at,
                              psp_payment_intent = v.intent, psp_reference = v.reference
        FROM unnest(CAST(:ids AS uuid[]), CAST(:intents AS text[]),
                    CAST(:references AS text[])) AS v(id, intent, reference)
        WHERE p.id = v.id)
    UPDATE leads l SET status = v.status, final_amount = v.final_amount, updated_at = now()
    FROM unnest(CAST(:lead_ids AS uuid[]), CAST(:statuses AS text[]),
                CAST(:amounts AS numeric[])) AS v(id, status, final_amount)
    WHERE l.id = v.id
""")


def _write_paid(session: Session, paid: list[Payment], leads: list[_DealLead],
                flagged: set[uuid.UUID | None]) -> None:
    """Store what `handle_paid` changed on these payments and leads (locked by it),
    set-based. The payments leave the session as stored (nothing of them left for it to
    flush; read again if asked for), but for those `flagged` in the batch, whose flag the
    session still writes; a lead the session holds is read again when next used."""
    if not paid:
        return
    unique = list({lead.id: lead for lead in leads}.values())  # a lead's steps paid at once
    with session.no_autoflush:
        session.execute(_PAY, {
            "status": str(PaymentStatus.paid), "paid_at": paid[0].paid_at,
            "ids": [payment.id for payment in paid],
            "intents": [payment.psp_payment_intent for payment in paid],
            "references": [payment.psp_reference for payment in paid],
            "lead_ids": [lead.id for lead in unique],
            "statuses": [str(lead.status) for lead in unique],
            "amounts": [lead.final_amount for lead in unique]})
    for payment in {payment.id: payment for payment in paid}.values():
        if payment.id in flagged:
            for key in ("status", "paid_at", "psp_payment_intent", "psp_reference"):
                set_committed_value(payment, key, getattr(payment, key))
        else:
            session.expunge(payment)
    for lead in unique:
        held = session.identity_map.get(identity_key(Lead, lead.id))
        if held is not None:
            session.expire(held, ["status", "final_amount", "updated_at"])


def _job_paid_params(title: str, amount: Decimal, url: str, locale: str) -> dict[str, str]:
    return {"lead_title": title, "amount": money(amount, locale), "lead_url": url}


def _judge_paid(session: Session, found: ProviderPayment, payment: Payment | None,
                deals: dict[uuid.UUID, _Deal]) -> WebhookResult:
    """Whether a paid checkout is applied (or flagged for an admin, or ignored), with the
    payments and leads as this batch has left them so far."""
    if payment is None:
        return WebhookResult(EventOutcome.ignored, detail="unknown payment")
    if found.state != PaymentState.paid:
        return WebhookResult(EventOutcome.ignored, payment.id, "not paid yet")
    if payment.status not in rules.PAYABLE:
        return WebhookResult(EventOutcome.ignored, payment.id, f"already {payment.status}")
    if found.amount != payment.final_amount or found.currency != payment.currency:
        return _flag(session, payment,
                     f"paid {rules.amount_text(found.amount, found.currency)}, expected "
                     f"{rules.money_text(payment.final_amount, payment.currency)}")
    if payment.psp_reference and found.reference and found.reference != payment.psp_reference:
        return _flag(session, payment, f"paid through {found.reference}, "
                                       f"expected {payment.psp_reference}")
    deal = deals[payment.id]
    lead = deal.lead
    payable = (LeadStatus.awarded, LeadStatus.in_progress) if payment.milestone_id else (
        LeadStatus.awarded,)
    if lead.status not in payable or \
            lead.performer_professional_id != payment.performer_professional_id:
        return _flag(session, payment, f"paid for a lead that is {lead.status}")
    if payment.milestone_id is not None and (
            deal.milestone_status != MilestoneStatus.open
            or deal.milestone_amount != payment.final_amount):
        return _flag(session, payment, f"paid for a milestone that is {deal.milestone_status}")
    # A checkout paid after it was closed (the events crossed) counts only if it is still
    # the deal: the agreed price unchanged and no newer payment started for the lead.
    if deal.proposal_status != ProposalStatus.accepted or (
            payment.milestone_id is None and deal.proposal_price != payment.final_amount):
        agreed = rules.money_text(deal.proposal_price) \
            if deal.proposal_price is not None else "none"
        return _flag(session, payment, f"paid {rules.money_text(payment.final_amount)}, "
                                       f"but the agreed price is now {agreed}")
    if deal.other_payment is not None:
        return _flag(session, payment,
                     f"paid a closed checkout; payment {deal.other_payment} is newer")
    return WebhookResult(EventOutcome.applied, payment.id, "paid")


def _url(path: str) -> str:
    return f"{get_settings().ofair_public_url.rstrip('/')}{path}"


def _refunded(session: Session, payment: Payment, cumulative: Decimal) -> WebhookResult:
    """The provider says `cumulative` has been refunded in all: book what is new."""
    if payment.status not in rules.PAID and payment.status != PaymentStatus.refunded:
        return WebhookResult(EventOutcome.ignored, payment.id, f"not paid ({payment.status})")
    delta = cumulative - payment.refunded_amount
    if delta <= 0:
        return WebhookResult(EventOutcome.ignored, payment.id, "nothing new refunded")
    if cumulative > payment.final_amount:
        return _flag(session, payment,
                     f"refunded {rules.money_text(cumulative, payment.currency)} of "
                     f"{rules.money_text(payment.final_amount, payment.currency)}")
    book_refund(session, payment, payment.refunded_amount, cumulative)
    payment.refunded_amount = cumulative
    payment.status = rules.refund_status(payment.final_amount, cumulative)
    session.add(payment)
    if payment.status == PaymentStatus.refunded and payment.milestone_id is not None:
        session.flush()
        milestones.cancel_step(session, SYSTEM, payment.milestone_id)
    elif payment.status == PaymentStatus.refunded:
        lead = session.exec(select(Lead).where(Lead.id == payment.lead_id)
                            .with_for_update()).one()
        if (lead.status, Event.cancel) in lead_rules.TRANSITIONS:
            lead.status = lead_rules.next_status(lead.status, Event.cancel)
            lead.cancelled_at = utcnow()
            session.add(lead)
    session.flush()
    return WebhookResult(EventOutcome.applied, payment.id, f"refunded {cumulative}")


# One table: a verified event's kind → what it does (webhooks and reconciliation alike).
HANDLERS: dict[EventKind,
               Callable[[Session, list[ProviderPayment]], list[WebhookResult]]] = {
    EventKind.paid: handle_paid,
    EventKind.expired: handle_expired,
    EventKind.refunded: handle_refunded,
}


def book_refund(session: Session, payment: Payment, before: Decimal, after: Decimal) -> None:
    """Book a refund taking the refunded total from `before` to `after`: before the release,
    the hold is voided and the rest held again; after it, each party's part is taken back
    pro rata from available balances (a business may end up owing)."""
    base = payment_shares(session, payment)
    key = rules.refund_key(payment.id, after)
    hold = ledger.open_hold(session, payment.id)
    if hold is not None:
        ledger.record(session, kind=TxKind.void, legs=book.void(
            base.scaled(payment.final_amount - before)), idempotency_key=f"void:{key}",
            payment_id=payment.id, pending_id=hold.id)
        rest = payment.final_amount - after
        if rest > 0:
            ledger.record(session, kind=TxKind.hold, legs=book.hold(base.scaled(rest)),
                          idempotency_key=f"hold:{key}", payment_id=payment.id)
        return
    ledger.record(session, kind=TxKind.refund,
                  legs=book.refund_after_release(base.scaled(after - before)),
                  idempotency_key=f"refund:{key}", payment_id=payment.id)


def reconcile(*, now: datetime, older_than: timedelta, limit: int = 100) -> dict[str, int]:
    """Ask the provider about payments still pending after `older_than` and apply what it says
    through the same code as the webhook (the `reconcile_payments` job)."""
    with unit_of_work(SYSTEM) as session:
        due = list(session.exec(select(Payment.id, Payment.provider, Payment.psp_reference)
                                .where(Payment.status == PaymentStatus.pending,
                                       col(Payment.created_at) <= now - older_than)
                                .order_by(col(Payment.created_at)).limit(limit)).all())
    counts = {"checked": 0, "paid": 0, "expired": 0, "unchanged": 0, "errors": 0}
    for payment_id, provider_name, reference in due:
        counts["checked"] += 1
        if not reference:
            counts["unchanged"] += 1
            continue
        try:
            state = get_provider(provider_name).retrieve(reference)
        except ProviderError:
            counts["errors"] += 1
            continue
        kind = {PaymentState.paid: EventKind.paid,
                PaymentState.expired: EventKind.expired}.get(state.state)
        if kind is None:
            counts["unchanged"] += 1
            continue
        with unit_of_work(SYSTEM) as session:
            result = HANDLERS[kind](session, [_with_payment_id(state, payment_id)])[0]
        counts[str(kind)] += result.outcome == EventOutcome.applied
        counts["unchanged"] += result.outcome != EventOutcome.applied
    return counts


# --- the end of the job --------------------------------------------------------------------


def complete(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> Lead:
    """The performer says the paid job is done; the owner confirms it (or the auto-confirm
    job does, after AUTO_CONFIRM_DAYS)."""
    users.require_user(caller)
    lead = lead_service.find_lead(session, lead_id)
    if lead.performer_professional_id not in caller.professional_ids:
        raise Forbidden("errors.payment.performer_only", code="not_performer")
    require_member(session=session, caller=caller, professional_id=lead.performer_professional_id)
    if lead.status != LeadStatus.in_progress:
        raise lead_rules.IllegalTransition(params={"status": str(lead.status),
                                                   "event": str(Event.complete)})
    with trusted_step(session, caller):
        if milestones.agreed_plan(session, lead.id) is not None:
            raise milestone_rules.InSteps()
    lead = lead_service.find_lead(session, lead_id, lock=True)
    lead.status = lead_rules.next_status(lead.status, Event.complete)
    lead.completed_at = utcnow()
    session.add(lead)
    session.flush()
    notifications.tell(session=session, caller=caller, template="job_completed",
                       users=[lead.owner_user_id],
                       params={"lead_title": short_title(lead),
                               "lead_url": lead_url_for_owner(lead),
                               "days": get_settings().auto_confirm_days})
    return lead


def confirm_completion(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> Lead:
    lead = lead_service.find_lead(session, lead_id, lock=True)
    lead_service.require_owner(session, lead, caller)
    with trusted_step(session, caller):
        if milestones.agreed_plan(session, lead.id) is not None:
            raise milestone_rules.InSteps()
    return close_job(session, caller, lead)


def close_job(session: Session, caller: Caller, lead: Lead) -> Lead:
    """The job is closed: its money is released after the hold period (escrow), or what it
    owes is recorded for the month's statement (b2b; a job in milestones recorded each step
    as it was approved)."""
    lead.status = lead_rules.next_status(lead.status, Event.confirm)
    lead.closed_at = utcnow()
    session.add(lead)
    session.flush()
    settlement.record_close(session, caller, lead)
    if lead.performer_professional_id is not None:
        notifications.tell(session=session, caller=caller, template="completion_confirmed",
                           businesses=[lead.performer_professional_id],
                           params={"lead_title": short_title(lead),
                                   "lead_url": _url(f"/pro/leads/{lead.id}")})
    reviews.request(session, caller, lead)
    return lead


def auto_confirm_due(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Close jobs the owner did not confirm within AUTO_CONFIRM_DAYS of completion (system)."""
    cutoff = now - timedelta(days=get_settings().auto_confirm_days)
    due = session.exec(select(Lead).where(Lead.status == LeadStatus.completed,
                                          col(Lead.completed_at) <= cutoff)
                       .limit(limit).with_for_update(skip_locked=True)).all()
    for lead in due:
        close_job(session, SYSTEM, lead)
    return len(due)


# Closed jobs in the order the release walks them, from where the last batch ended.
_CLOSED_AFTER = text("""
    SELECT id, closed_at FROM leads
    WHERE status = 'closed' AND closed_at <= :cutoff
      AND (closed_at, id) > (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid))
    ORDER BY closed_at, id
    LIMIT :limit
""")

# The due holds among those jobs, locked: paid, its latest hold still open (a refund voids the
# open hold before it holds the rest again, so only the latest can be open; asking for "the
# latest open hold" instead made the planner scan every resolution once per job), nothing
# posted yet. The
# lead is locked too and its status checked again, so a dispute being opened right now either
# waits for this batch or makes the batch skip that job (a disputed job is not closed).
_DUE_HOLDS = text("""
    SELECT p.id, p.final_amount, p.refunded_amount, p.platform_commission, p.referrer_fee,
           p.professional_net_amount, p.performer_professional_id,
           p.referrer_professional_id, hold.id AS hold_id,
           (SELECT array_agg(r.professional_id ORDER BY r.position) FROM payment_referrers r
            WHERE r.payment_id = p.id) AS chain_ids,
           (SELECT array_agg(r.fee ORDER BY r.position) FROM payment_referrers r
            WHERE r.payment_id = p.id) AS chain_fees
    FROM unnest(CAST(:lead_ids AS uuid[])) AS closed(id)
    JOIN leads l ON l.id = closed.id
    JOIN payments p ON p.lead_id = l.id
    JOIN LATERAL (
        SELECT t.id FROM ledger_transactions t
        WHERE t.payment_id = p.id AND t.kind = 'hold'
        ORDER BY t.id DESC LIMIT 1) AS hold ON true
    WHERE l.status = 'closed' AND p.milestone_id IS NULL
      AND p.status = ANY(CAST(:paid AS text[]))
      AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.pending_id = hold.id)
      AND NOT EXISTS (SELECT 1 FROM ledger_transactions x
                      WHERE x.payment_id = p.id AND x.kind = 'post')
    ORDER BY p.id
    FOR UPDATE OF p, l SKIP LOCKED
""")

_START = (datetime.min.replace(tzinfo=UTC), uuid.UUID(int=0))


@dataclass(frozen=True)
class ClosedJobs:
    """The next stretch of the walk over closed jobs whose hold period has passed."""

    ids: list[uuid.UUID]
    last: tuple[datetime, uuid.UUID]  # where the next stretch starts


def closed_due(*, session: Session, now: datetime, limit: int = 5000,
               after: tuple[datetime, uuid.UUID] | None = None) -> ClosedJobs:
    """The next `limit` jobs closed more than HOLD_PERIOD_DAYS before `now`, walking closed
    jobs by (closed_at, id) from `after`; fewer than `limit`: the walk is over."""
    cutoff = now - timedelta(days=get_settings().hold_period_days)
    after = after or _START
    closed = session.execute(_CLOSED_AFTER, {"cutoff": cutoff, "after_at": after[0],
                                             "after_id": after[1], "limit": limit}).all()
    return ClosedJobs(ids=[row.id for row in closed],
                      last=(closed[-1].closed_at, closed[-1].id) if closed else after)


def release_jobs(*, session: Session, lead_ids: list[uuid.UUID]) -> int:
    """Release the due holds of these closed jobs (the `release_holds` job; system): how many
    were posted. A disputed job is not closed, so its money stays held; a job locked elsewhere
    is skipped and found by the next run. Running it again, or twice at once, changes nothing
    more: a hold is posted at most once. Set-based: one statement locks the due holds, and
    `ledger.record_many` posts them all (each split by `domain.ledger`, as every other
    posting is)."""
    if not lead_ids:
        return 0
    return _post_due(session, _DUE_HOLDS, lead_ids=lead_ids)


def _post_due(session: Session, due_holds: TextClause, **params: object) -> int:
    """Post the holds `due_holds` finds and locks (a payment's id and split, and its open
    hold's id, per row), all at once: how many were posted."""
    due = session.execute(due_holds, {**params,
                                      "paid": [str(status) for status in rules.PAID]}).all()
    postings = [ledger.Posting(
        idempotency_key=f"post:{row.hold_id}", payment_id=row.id, pending_id=row.hold_id,
        legs=book.post(_row_shares(row).scaled(row.final_amount - row.refunded_amount)))
        for row in due]
    return len(ledger.record_many(session, kind=TxKind.post, postings=postings))


def release_due(*, session: Session, now: datetime, limit: int = 5000) -> int:
    """Release every hold that is due, in the caller's transaction, `limit` closed jobs at a
    time (see `closed_due`, `release_jobs`): how many holds were posted. The `release_holds`
    job commits each stretch on its own instead, two at a time."""
    released, after = 0, None
    while True:
        closed = closed_due(session=session, now=now, limit=limit, after=after)
        released += release_jobs(session=session, lead_ids=closed.ids)
        if len(closed.ids) < limit:
            break
        after = closed.last
    while True:
        steps = release_steps(session=session, now=now, limit=limit)
        released += steps.posted
        if steps.claimed < limit:
            return released


# The approved steps of jobs in milestones whose hold period has passed, claimed (marked
# released) a stretch at a time: each is walked once, whether its money is posted now or
# went out before (a dispute's decision) or was never held (b2b).
_CLAIM_STEPS = text("""
    WITH due AS (
        SELECT id FROM milestones
        WHERE status = 'approved' AND released_at IS NULL AND approved_at <= :cutoff
        ORDER BY approved_at, id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED)
    UPDATE milestones m SET released_at = :now FROM due WHERE m.id = due.id
    RETURNING m.id
""")

# Their payments' holds still open, locked (a refund being booked right now is waited for).
_STEP_HOLDS = text("""
    SELECT p.id, p.final_amount, p.refunded_amount, p.platform_commission, p.referrer_fee,
           p.professional_net_amount, p.performer_professional_id,
           p.referrer_professional_id, hold.id AS hold_id,
           (SELECT array_agg(r.professional_id ORDER BY r.position) FROM payment_referrers r
            WHERE r.payment_id = p.id) AS chain_ids,
           (SELECT array_agg(r.fee ORDER BY r.position) FROM payment_referrers r
            WHERE r.payment_id = p.id) AS chain_fees
    FROM payments p
    JOIN LATERAL (
        SELECT t.id FROM ledger_transactions t
        WHERE t.payment_id = p.id AND t.kind = 'hold'
        ORDER BY t.id DESC LIMIT 1) AS hold ON true
    WHERE p.milestone_id = ANY(CAST(:step_ids AS uuid[]))
      AND p.status = ANY(CAST(:paid AS text[]))
      AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.pending_id = hold.id)
      AND NOT EXISTS (SELECT 1 FROM ledger_transactions x
                      WHERE x.payment_id = p.id AND x.kind = 'post')
    ORDER BY p.id
    FOR UPDATE OF p
""")


@dataclass(frozen=True)
class StepsReleased:
    claimed: int  # approved steps walked (fewer than the limit: the walk is over)
    posted: int  # holds posted


def release_steps(*, session: Session, now: datetime, limit: int = 5000) -> StepsReleased:
    """Release the holds of steps approved more than HOLD_PERIOD_DAYS before `now` (the
    `release_holds` job; system). A disputed step is not `approved`, so its money stays held;
    running it again changes nothing more (each step is claimed once, each hold posted once)."""
    cutoff = now - timedelta(days=get_settings().hold_period_days)
    claimed = list(session.execute(_CLAIM_STEPS, {"cutoff": cutoff, "limit": limit,
                                                  "now": now}).scalars())
    if not claimed:
        return StepsReleased(0, 0)
    return StepsReleased(len(claimed), _post_due(session, _STEP_HOLDS, step_ids=claimed))
