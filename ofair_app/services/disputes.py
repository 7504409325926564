"""Disputes: a party to a paid job contests it before the money is released, which freezes the
release (the lead is `disputed`, not `closed`); an admin settles it by releasing the money now,
refunding it in full, or refunding part (a provider refund, booked on the ledger pro rata across
performer, referrer and platform, the rest released). No lock is held across the provider call:
the refund carries the dispute's idempotency key, and booking it is idempotent (by the refunded
total), so the provider's own `charge.refunded` webhook arriving first or later books nothing
twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ofair_app.adapters.psp import get_provider
from ofair_app.db.engine import SYSTEM, Caller, trusted_step, unit_of_work
from ofair_app.domain import identity
from ofair_app.domain import leads as lead_rules
from ofair_app.domain import ledger as book
from ofair_app.domain import milestones as milestone_rules
from ofair_app.domain import payments as pay_rules
from ofair_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ofair_app.domain.leads import Event, LeadStatus
from ofair_app.domain.ledger import TxKind
from ofair_app.domain.settlement import ChargeStatus
from ofair_app.models import AccessReason, B2bCharge, Dispute, Lead, Milestone, Payment
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import (
    audit,
    ledger,
    milestones,
    notifications,
    payments,
    reviews,
    settlement,
    users,
)
from ofair_app.services import leads as lead_service
from ofair_app.services.proposals import lead_url_for_owner, short_title
from ofair_app.settings import get_settings

REASON_LENGTH = (10, 2000)
DISPUTABLE = frozenset({LeadStatus.in_progress, LeadStatus.completed, LeadStatus.closed})


class Resolution(StrEnum):
    release = "release"
    refund_full = "refund_full"
    refund_partial = "refund_partial"


class NotDisputable(Conflict):
    code, message_key = "not_disputable", "errors.dispute.not_disputable"


def open_dispute(*, session: Session, caller: Caller, lead_id: uuid.UUID, reason: str,
                 milestone_id: object = None) -> Dispute:
    """The owner or the performer contests a paid job before its money is released; a job in
    milestones, one step of it (`milestone_id`), which alone is frozen."""
    user_id = users.require_user(caller)
    lead = lead_service.find_lead(session, lead_id)
    relation = lead_service.relation_to(lead, caller)
    party = ("owner" if relation == AccessReason.owner else
             "performer" if relation == AccessReason.performer else None)
    if party is None:
        raise Forbidden("errors.dispute.parties_only", code="not_a_party")
    low, high = REASON_LENGTH
    text = identity.clean_text(reason, field="reason", min_length=low, max_length=high,
                               multiline=True)
    # The job's lock first (the platform takes it): a release of its money running right now
    # finishes before the checks below, which then see it; one starting later skips the job.
    with trusted_step(session, caller):
        locked = session.exec(select(Lead).where(Lead.id == lead.id).with_for_update()
                              .execution_options(populate_existing=True)).one()
        plan = milestones.agreed_plan(session, lead.id)
    if plan is not None:
        return _open_step_dispute(session, caller, user_id, locked, party, text, milestone_id)
    if milestone_id is not None:
        raise NotFound("errors.milestone.not_found")
    payment = session.exec(select(Payment).where(
        Payment.lead_id == lead.id, col(Payment.status).in_(list(pay_rules.PAID)))).first()
    b2b = payment is None and settlement.b2b()
    if b2b:  # the client paid the performer directly: the platform's charge is what is at stake
        if not settlement.disputable(session, caller, locked):
            raise NotDisputable(params={"status": str(locked.status)})
    elif payment is None or LeadStatus(locked.status) not in DISPUTABLE \
            or ledger.was_released(session, payment.id):
        raise NotDisputable(params={"status": str(locked.status)})
    dispute = Dispute(lead_id=lead.id, payment_id=payment.id if payment else None,
                      opened_by=user_id, party=party, reason=text)
    session.add(dispute)
    try:
        session.flush()
    except IntegrityError as error:  # a dispute of the job is open already
        raise NotDisputable(params={"status": str(LeadStatus.disputed)}) from error
    logs.action("dispute", dispute.id, "dispute opened", lead=lead.id,
                payment=dispute.payment_id, party=party)
    if b2b:
        settlement.freeze(session, caller, lead.id)
    with trusted_step(session, caller):  # the platform records the freeze
        locked.status = lead_rules.next_status(locked.status, Event.dispute)
        session.add(locked)
        session.flush()
    _tell_dispute(session, caller, lead, party)
    return dispute


def _open_step_dispute(session: Session, caller: Caller, user_id: uuid.UUID, lead: Lead,
                       party: str, reason: str, milestone_id: object) -> Dispute:
    """A step of a job in milestones contested: paid and not released (escrow), or under way,
    or approved with its charge not yet on a statement (b2b). The job goes on meanwhile."""
    step = milestones.step_to_dispute(session, caller, lead, milestone_id)
    with trusted_step(session, caller):
        payment = session.exec(select(Payment).where(
            Payment.milestone_id == step.id, col(Payment.status).in_(list(pay_rules.PAID)))
        ).first()
        released = payment is not None and ledger.was_released(session, payment.id)
        charge = session.exec(select(B2bCharge).where(B2bCharge.milestone_id == step.id)
                              ).first() if payment is None else None
    b2b = payment is None and settlement.b2b()
    if b2b:
        ok = lead.status == LeadStatus.in_progress and (
            charge is None or charge.status == ChargeStatus.open)
    else:
        ok = payment is not None and not released
    if not ok:
        raise NotDisputable(params={"status": str(step.status)})
    dispute = Dispute(lead_id=lead.id, payment_id=payment.id if payment else None,
                      milestone_id=step.id, opened_by=user_id, party=party,
                      reason=reason)
    session.add(dispute)
    try:
        session.flush()
    except IntegrityError as error:
        raise NotDisputable(params={"status": str(LeadStatus.disputed)}) from error
    logs.action("dispute", dispute.id, "dispute opened", lead=lead.id,
                payment=dispute.payment_id, milestone=step.id, party=party)
    milestones.freeze(session, caller, step)
    if b2b:
        settlement.freeze(session, caller, lead.id, step.id)
    _tell_dispute(session, caller, lead, party)
    return dispute


def _tell_dispute(session: Session, caller: Caller, lead: Lead, party: str) -> None:
    """The other side of the job, and the admins who will decide."""
    other_users = [lead.owner_user_id] if party == "performer" else []
    other_businesses = ([lead.performer_professional_id] if party == "owner"
                        and lead.performer_professional_id else [])
    base = get_settings().ofair_public_url.rstrip("/")
    notifications.tell(session=session, caller=caller, template="dispute_opened",
                       users=other_users, businesses=other_businesses,
                       params={"lead_title": short_title(lead),
                               "url": f"{base}/pro/leads/{lead.id}" if party == "owner"
                               else lead_url_for_owner(lead)})
    notifications.tell(session=session, caller=caller, template="dispute_opened", admins=True,
                       params={"lead_title": short_title(lead),
                               "url": f"{base}/admin/disputes"})


def open_disputes(*, session: Session, caller: Caller) -> list[Dispute]:
    """The admins' queue, oldest first."""
    users.require_admin(caller)
    return list(session.exec(select(Dispute).where(Dispute.status == "open")
                             .order_by(col(Dispute.created_at))).all())


@dataclass(frozen=True)
class QueueItem:
    dispute: Dispute
    lead_title: str
    at_stake: Decimal  # what is still paid and not refunded
    milestone_title: str = ""  # a step of a job in milestones: only it is at stake


def queue(*, session: Session, caller: Caller) -> list[QueueItem]:
    """The open disputes with what an admin needs to judge them."""
    # SQLAlchemy's select: sqlmodel's is typed for at most four columns.
    rows = session.execute(sa.select(Dispute, col(Lead.title),
                                     func.coalesce(Payment.final_amount, Milestone.amount,
                                                   Lead.final_amount, 0),
                                     func.coalesce(Payment.refunded_amount, 0),
                                     col(Milestone.title))
                           .join(Lead, col(Lead.id) == Dispute.lead_id)
                           .outerjoin(Payment, col(Payment.id) == Dispute.payment_id)
                           .outerjoin(Milestone, col(Milestone.id) == Dispute.milestone_id)
                           .where(col(Dispute.id).in_([d.id for d in open_disputes(
                               session=session, caller=caller)]))
                           .order_by(col(Dispute.created_at))).all()
    return [QueueItem(dispute=d, lead_title=title, at_stake=final - refunded,
                      milestone_title=step or "")
            for d, title, final, refunded, step in rows]


def for_lead(session: Session, lead_id: uuid.UUID) -> Dispute | None:
    return session.exec(select(Dispute).where(Dispute.lead_id == lead_id)
                        .order_by(col(Dispute.created_at).desc())).first()


def _lock_dispute(session: Session, dispute_id: uuid.UUID) -> Dispute:
    dispute = session.exec(select(Dispute).where(Dispute.id == dispute_id)
                           .with_for_update()).first()
    if dispute is None:
        raise NotFound("errors.dispute.not_found")
    if dispute.status != "open":
        raise Conflict("errors.dispute.resolved", code="dispute_resolved")
    return dispute


def _lock(session: Session, dispute_id: uuid.UUID) -> tuple[Dispute, Payment]:
    dispute = _lock_dispute(session, dispute_id)
    payment = session.exec(select(Payment).where(Payment.id == dispute.payment_id)
                           .with_for_update()).one()
    return dispute, payment


def _release_now(session: Session, payment: Payment) -> None:
    """Post what is still held, now (the dispute is over; no second hold period)."""
    hold = ledger.open_hold(session, payment.id)
    if hold is None:
        return
    rest = payment.final_amount - payment.refunded_amount
    ledger.record(session, kind=TxKind.post,
                  legs=book.post(payments.payment_shares(session, payment).scaled(rest)),
                  idempotency_key=f"post:{hold.id}", payment_id=payment.id, pending_id=hold.id)


def _finish(session: Session, caller: Caller, dispute: Dispute, resolution: Resolution,
            refund: Decimal | None, note: str) -> Dispute:
    lead = session.exec(select(Lead).where(Lead.id == dispute.lead_id).with_for_update()).one()
    before = {"status": dispute.status, "lead_status": str(lead.status)}
    if lead.status == LeadStatus.disputed:
        if resolution == Resolution.refund_full:
            lead.status = lead_rules.next_status(lead.status, Event.cancel)
            lead.cancelled_at = utcnow()
        else:
            lead.status = lead_rules.next_status(lead.status, Event.resolve)
            lead.closed_at = lead.closed_at or utcnow()
        session.add(lead)
    dispute.status, dispute.resolution = "resolved", resolution.value
    dispute.refund_amount, dispute.note = refund, note[:500]
    dispute.resolved_by, dispute.resolved_at = caller.user_id, utcnow()
    session.add(dispute)
    session.flush()
    logs.action("dispute", dispute.id, "dispute resolved", resolution=resolution.value,
                lead=lead.id, payment=dispute.payment_id, milestone=dispute.milestone_id,
                refund=refund)
    audit.change(session=session, caller=caller, action="dispute.resolve",
                 subject_type="dispute", subject_id=dispute.id, before=before,
                 after={"status": "resolved", "lead_status": str(lead.status)},
                 resolution=resolution.value,
                 refund=str(refund) if refund is not None else None)
    base = get_settings().ofair_public_url.rstrip("/")
    title = short_title(lead)
    notifications.tell(session=session, caller=caller, template="dispute_resolved",
                       users=[lead.owner_user_id],
                       params={"lead_title": title, "url": lead_url_for_owner(lead)})
    if lead.performer_professional_id is not None:
        notifications.tell(session=session, caller=caller, template="dispute_resolved",
                           businesses=[lead.performer_professional_id],
                           params={"lead_title": title, "url": f"{base}/pro/leads/{lead.id}"})
    if dispute.milestone_id is not None:  # a step: cancelled, or approved as it stands
        milestones.after_dispute(session, caller, dispute.milestone_id,
                                 cancelled=resolution == Resolution.refund_full)
        session.refresh(lead)
    if lead.status == LeadStatus.closed:  # the job stands: its owner may now review it
        reviews.request(session, caller, lead)
    return dispute


def resolve(*, caller: Caller, dispute_id: uuid.UUID, resolution: Resolution | str,
            refund_amount: object = None, note: str = "") -> Dispute:
    """An admin settles an open dispute (see the module's doc)."""
    users.require_admin(caller)
    resolution = Resolution(resolution)
    note = identity.clean_text(note or "", field="note", max_length=500, multiline=True)
    with unit_of_work(caller) as session:
        if _lock_dispute(session, dispute_id).payment_id is None:
            return _resolve_b2b(session, caller, dispute_id, resolution, refund_amount, note)
        dispute, payment = _lock(session, dispute_id)
        remaining = payment.final_amount - payment.refunded_amount
        if resolution == Resolution.release:
            _release_now(session, payment)
            return _finish(session, caller, dispute, resolution, None, note)
        if resolution == Resolution.refund_full:
            amount = remaining
        else:
            if refund_amount is None:
                raise InvalidInput(fields={"refund_amount": "errors.field.required"})
            amount = lead_rules.parse_money(refund_amount, field="refund_amount",
                                            minimum=Decimal("0.01"),
                                            maximum=remaining - Decimal("0.01"))
        target = payment.refunded_amount + amount
        provider, intent = payment.provider, payment.psp_payment_intent
    if not intent:
        raise Conflict("errors.dispute.no_charge", code="no_charge")
    get_provider(provider).refund(charge=intent, amount=amount,
                                  idempotency_key=f"dispute:{dispute_id}")
    with unit_of_work(SYSTEM) as session:
        dispute, payment = _lock(session, dispute_id)
        if payment.refunded_amount < target:
            payments.book_refund(session, payment, payment.refunded_amount, target)
            payment.refunded_amount = target
            payment.status = pay_rules.refund_status(payment.final_amount, target)
            session.add(payment)
            session.flush()
        if resolution == Resolution.refund_partial:
            _release_now(session, payment)
        return _finish(session, caller, dispute, resolution, amount, note)


def _resolve_b2b(session: Session, caller: Caller, dispute_id: uuid.UUID,
                 resolution: Resolution, refund_amount: object, note: str) -> Dispute:
    """A b2b job's dispute: the client paid the performer directly, so nothing is refunded
    here. Released, the job's charge goes on to its statement; refunded in full, the job is
    cancelled and its charge taken back; refunded in part, the job's price is lowered by that
    much (the performer gives it back to the client) and its charge follows the new price."""
    dispute = _lock_dispute(session, dispute_id)  # admins act as the platform: no RLS step
    lead = session.exec(select(Lead).where(Lead.id == dispute.lead_id).with_for_update()).one()
    step = session.exec(select(Milestone).where(Milestone.id == dispute.milestone_id)
                        .with_for_update()).first() if dispute.milestone_id else None
    refund: Decimal | None = None
    if resolution == Resolution.refund_partial:
        if refund_amount is None:
            raise InvalidInput(fields={"refund_amount": "errors.field.required"})
        price = lead.final_amount or Decimal("0")
        least = get_settings().min_job_amount
        if step is not None:  # the step's price is lowered, and the job's with it
            price, least = step.amount, milestone_rules.MIN_STEP_AMOUNT
        refund = lead_rules.parse_money(
            refund_amount, field="refund_amount", minimum=Decimal("0.01"),
            maximum=price - least)
        if step is not None:
            step.amount = price - refund
            session.add(step)
        lead.final_amount = (lead.final_amount or Decimal("0")) - refund if step is not None \
            else price - refund
        session.add(lead)
        session.flush()
    elif resolution == Resolution.refund_full:
        refund = step.amount if step is not None else lead.final_amount
    resolved = _finish(session, caller, dispute, resolution, refund, note)
    settlement.after_dispute(session, caller, lead, dispute_id=dispute.id,
                             cancelled=resolution == Resolution.refund_full, milestone=step)
    return resolved
