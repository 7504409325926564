"""Projects in milestones (domain/milestones): one side proposes a plan for the accepted offer,
the other agrees to it before anything is paid; then each step is paid and held on its own
(escrow), said done by the performer, approved by the owner (its hold is released after the
hold period; in b2b mode its commission is recorded), and disputed on its own. The job closes
when the last step is approved.

Plans and steps are written by the platform (a trusted step) once the service has checked who
asks; the performer's progress updates and photos are inserted as the caller, under RLS.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session, col, delete, func, select

from ofair_app.adapters.storage import get_storage
from ofair_app.db.engine import SYSTEM, Caller, trusted_step
from ofair_app.domain import identity
from ofair_app.domain import leads as lead_rules
from ofair_app.domain import milestones as rules
from ofair_app.domain import payments as pay_rules
from ofair_app.domain.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from ofair_app.domain.leads import Event, LeadStatus
from ofair_app.domain.milestones import MilestoneStatus, Side
from ofair_app.domain.proposals import ProposalStatus
from ofair_app.domain.visits import local_day
from ofair_app.i18n import money
from ofair_app.models import (
    AccessReason,
    Lead,
    Milestone,
    MilestonePhoto,
    MilestonePlan,
    MilestoneUpdate,
    Payment,
    Proposal,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import leads as lead_service
from ofair_app.services import notifications, settlement, users
from ofair_app.services.plans import current_plan, current_steps
from ofair_app.services.professionals import require_member
from ofair_app.services.proposals import lead_url_for_owner, short_title, url
from ofair_app.settings import get_settings

IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
PHOTO_LINK_SECONDS = 300


@dataclass(frozen=True)
class StepView:
    """A step as one side of the deal sees it: what it may do with it now (the same rules the
    service applies when it is done; a page only reads them)."""

    milestone: Milestone
    payment_status: str | None  # its latest payment's, escrow mode
    checkout_url: str | None
    released: bool
    updates: list[tuple[MilestoneUpdate, list[MilestonePhoto]]] = field(default_factory=list)
    side: Side | None = None  # the viewer's side of the deal (None: an admin)
    agreed: bool = False  # the plan is agreed
    b2b: bool = False  # the client pays the business directly: nothing is paid here

    @property
    def paid(self) -> bool:
        return self.payment_status in {str(s) for s in pay_rules.PAID}

    @property
    def settled(self) -> bool:
        """Paid for, or nothing to pay here (b2b)."""
        return self.paid or self.b2b

    @property
    def may_pay(self) -> bool:
        return (self.agreed and self.side == Side.owner and not self.b2b
                and self.milestone.status == MilestoneStatus.open and not self.paid)

    @property
    def may_submit(self) -> bool:
        return (self.agreed and self.side == Side.performer and self.settled
                and self.milestone.status == MilestoneStatus.open)

    @property
    def may_approve(self) -> bool:
        return (self.agreed and self.side == Side.owner and self.settled
                and self.milestone.status in rules.APPROVABLE)

    @property
    def may_dispute(self) -> bool:
        return (self.agreed and self.side is not None and self.settled and not self.released
                and self.milestone.status not in (MilestoneStatus.disputed,
                                                  MilestoneStatus.cancelled))

    @property
    def may_post(self) -> bool:
        return (self.agreed and self.side == Side.performer
                and self.milestone.status not in rules.FINISHED
                and self.milestone.status != MilestoneStatus.disputed)


@dataclass(frozen=True)
class PlanView:
    plan: MilestonePlan
    steps: list[StepView]
    side: Side | None  # the caller's side of the deal (None: an admin)

    @property
    def agreed(self) -> bool:
        return self.plan.agreed_at is not None

    @property
    def may_agree(self) -> bool:
        return not self.agreed and self.side is not None \
            and self.side != Side(self.plan.proposed_side)

    @property
    def total(self) -> Decimal:
        return sum((step.milestone.amount for step in self.steps), Decimal("0"))


# --- who asks ------------------------------------------------------------------------------


def side_of(session: Session, caller: Caller, lead: Lead) -> Side | None:
    """The caller's side of the deal: the lead's owner, or a member of its performer."""
    relation = lead_service.relation_to(lead, caller)
    if relation == AccessReason.owner:
        return Side.owner
    if relation == AccessReason.performer:
        assert lead.performer_professional_id is not None  # what makes one its performer
        require_member(session=session, caller=caller,
                       professional_id=lead.performer_professional_id)
        return Side.performer
    return None


def _require_side(session: Session, caller: Caller, lead: Lead) -> Side:
    users.require_user(caller)
    side = side_of(session, caller, lead)
    if side is None:
        raise Forbidden("errors.milestone.parties_only", code="not_a_party")
    if side == Side.owner:
        lead_service.require_owner(session, lead, caller)
    return side


def _accepted(session: Session, lead: Lead) -> Proposal:
    proposal = session.exec(select(Proposal).where(
        Proposal.lead_id == lead.id, Proposal.status == ProposalStatus.accepted,
        Proposal.professional_id == lead.performer_professional_id)).first()
    if proposal is None:
        raise rules.NotPlannable(params={"status": str(lead.status)})
    return proposal


def plan_for(session: Session, lead_id: uuid.UUID) -> MilestonePlan | None:
    """The lead's plan, read as the platform (payments and disputes consult it)."""
    return session.exec(current_plan(lead_id)).first()


def agreed_plan(session: Session, lead_id: uuid.UUID) -> MilestonePlan | None:
    plan = plan_for(session, lead_id)
    return plan if plan is not None and plan.agreed_at is not None else None


def steps_of(session: Session, lead_id: uuid.UUID) -> list[Milestone]:
    return list(session.exec(current_steps(lead_id)).all())


def _lock_lead(session: Session, caller: Caller, lead_id: uuid.UUID) -> Lead:
    """The lead's row locked by the platform (the performer may not lock it as itself): a
    payment or a dispute of the job waits for the plan's change, and the other way round."""
    with trusted_step(session, caller):
        return session.exec(select(Lead).where(Lead.id == lead_id).with_for_update()
                            .execution_options(populate_existing=True)).one()


def _plannable(session: Session, caller: Caller, lead: Lead) -> None:
    """A plan may be made or changed only between the award and the first payment (escrow)
    or the start of the work (b2b)."""
    if lead.status != LeadStatus.awarded:
        raise rules.NotPlannable(params={"status": str(lead.status)})
    proposal = _accepted(session, lead)
    with trusted_step(session, caller):  # a payment of this award (an earlier one's is over)
        live = session.exec(select(Payment.id).where(
            Payment.lead_id == lead.id, Payment.proposal_id == proposal.id,
            col(Payment.status).in_(list(pay_rules.LIVE)))).first()
    if live is not None:
        raise rules.NotPlannable(params={"status": "payment"})


def may_plan(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> bool:
    """Whether the caller may propose a plan now: a side of an awarded job, nothing paid, no
    plan agreed yet (what a lead page asks before it offers the editor)."""
    try:
        lead = lead_service.find_lead(session, lead_id)
        if caller.user_id is None or side_of(session, caller, lead) is None:
            return False
        _plannable(session, caller, lead)
        _accepted(session, lead)
    except AppError:
        return False
    with trusted_step(session, caller):
        plan = plan_for(session, lead.id)
    return plan is None or plan.agreed_at is None


# --- the plan ------------------------------------------------------------------------------


def propose(*, session: Session, caller: Caller, lead_id: uuid.UUID, steps: object) -> PlanView:
    """Either side proposes the steps (replacing its own or the other side's proposal not yet
    agreed); the other side is told and agrees or proposes again."""
    lead, side = _side_and_lead(session, caller, lead_id)
    _plannable(session, caller, lead)
    proposal = _accepted(session, lead)
    checked = rules.check_plan(steps, price=proposal.price, today=local_day(utcnow()))
    with trusted_step(session, caller):
        plan = plan_for(session, lead.id)
        if plan is not None and plan.agreed_at is not None:
            raise rules.PlanAgreed()
        if plan is not None:
            _drop(session, plan)
        plan = MilestonePlan(proposal_id=proposal.id, lead_id=lead.id,
                             professional_id=proposal.professional_id, proposed_side=side,
                             proposed_by=caller.user_id, proposed_at=utcnow())
        session.add(plan)
        session.flush()
        for position, step in enumerate(checked, start=1):
            session.add(Milestone(proposal_id=proposal.id, lead_id=lead.id,
                                  professional_id=proposal.professional_id, position=position,
                                  title=step.title, amount=step.amount, due_on=step.due_on))
        session.flush()
    _tell_other_side(session, caller, lead, side, "milestone_plan_proposed",
                     count=len(checked), amount=proposal.price)
    return _written(session, caller, lead.id)


def agree(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> PlanView:
    """The side that did not propose the plan agrees to it: it is the deal from now on."""
    lead, side = _side_and_lead(session, caller, lead_id)
    with trusted_step(session, caller):
        plan = _pending_plan(session, lead)
        if plan.proposed_side == side:
            raise rules.OwnProposal()
        _plannable(session, SYSTEM, lead)
        proposal = _accepted(session, lead)
        total = sum((m.amount for m in steps_of(session, lead.id)), Decimal("0"))
        if proposal.id != plan.proposal_id or total != proposal.price:
            raise Conflict("errors.milestone.price_changed", code="price_changed")
        plan.agreed_at, plan.agreed_by = utcnow(), caller.user_id
        session.add(plan)
        session.flush()
        count = len(steps_of(session, lead.id))
    _tell_other_side(session, caller, lead, side, "milestone_plan_agreed",
                     count=count, amount=proposal.price)
    return _written(session, caller, lead.id)


def withdraw(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> None:
    """Either side drops a plan not yet agreed (the job is then paid in one go)."""
    lead, _ = _side_and_lead(session, caller, lead_id)
    with trusted_step(session, caller):
        _drop(session, _pending_plan(session, lead))


def _side_and_lead(session: Session, caller: Caller, lead_id: uuid.UUID) -> tuple[Lead, Side]:
    """The caller's side of the job (403 for anyone else), and its lead, locked."""
    side = _require_side(session, caller, lead_service.find_lead(session, lead_id))
    return _lock_lead(session, caller, lead_id), side


def _pending_plan(session: Session, lead: Lead) -> MilestonePlan:
    """The lead's plan not yet agreed (as the platform): 404 without one, 409 once agreed."""
    plan = plan_for(session, lead.id)
    if plan is None:
        raise NotFound("errors.milestone.no_plan")
    if plan.agreed_at is not None:
        raise rules.PlanAgreed()
    return plan


def _drop(session: Session, plan: MilestonePlan) -> None:
    """A plan not agreed, and its steps, gone (as the platform)."""
    session.exec(delete(Milestone).where(
        col(Milestone.proposal_id) == plan.proposal_id))
    session.delete(plan)
    session.flush()


_RELEASED = text("SELECT p.milestone_id FROM payments p JOIN ledger_transactions t"
                 " ON t.payment_id = p.id AND t.kind = 'post'"
                 " WHERE p.milestone_id = ANY(CAST(:ids AS uuid[]))")


def view(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> PlanView | None:
    """The lead's plan with each step's payment and updates, for its two sides and admins
    (anyone else: 403; no plan: None)."""
    users.require_user(caller)
    lead = lead_service.find_lead(session, lead_id)
    side = side_of(session, caller, lead)
    if side is None and caller.role != "admin":
        raise Forbidden("errors.milestone.parties_only", code="not_a_party")
    plan = session.exec(current_plan(lead.id)).first()
    if plan is None:
        return None
    steps = steps_of(session, lead.id)
    ids = [m.id for m in steps]
    latest: dict[uuid.UUID, Payment] = {}
    for payment in session.exec(select(Payment).where(col(Payment.milestone_id).in_(ids))
                                .order_by(col(Payment.created_at))).all():
        latest[payment.milestone_id] = payment  # type: ignore[index]
    with trusted_step(session, caller):  # whether each step's money went out, nothing more
        released = set(session.execute(_RELEASED, {"ids": ids}).scalars()) if ids else set()
    updates: dict[uuid.UUID, list[tuple[MilestoneUpdate, list[MilestonePhoto]]]] = {}
    found = session.exec(select(MilestoneUpdate).where(col(MilestoneUpdate.milestone_id).in_(ids))
                         .order_by(col(MilestoneUpdate.created_at))).all()
    photos: dict[uuid.UUID, list[MilestonePhoto]] = {}
    for photo in session.exec(select(MilestonePhoto).where(
            col(MilestonePhoto.update_id).in_([u.id for u in found]))
            .order_by(col(MilestonePhoto.created_at))).all():
        photos.setdefault(photo.update_id, []).append(photo)
    for update in found:
        updates.setdefault(update.milestone_id, []).append((update, photos.get(update.id, [])))
    return PlanView(plan=plan, side=side, steps=[StepView(
        milestone=m, payment_status=str(latest[m.id].status) if m.id in latest else None,
        checkout_url=latest[m.id].checkout_url if m.id in latest
        and latest[m.id].status == pay_rules.PaymentStatus.pending else None,
        released=m.id in released, updates=updates.get(m.id, []), side=side,
        agreed=plan.agreed_at is not None, b2b=settlement.b2b()) for m in steps])


def _written(session: Session, caller: Caller, lead_id: uuid.UUID) -> PlanView:
    """The plan the caller just proposed or agreed to, as `view` shows it."""
    shown = view(session=session, caller=caller, lead_id=lead_id)
    assert shown is not None  # written in this unit of work, by one of its two sides
    return shown


# --- each step -----------------------------------------------------------------------------


def _step(session: Session, caller: Caller, milestone_id: uuid.UUID) -> tuple[Milestone, Lead]:
    users.require_user(caller)
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound("errors.milestone.not_found")
    return milestone, lead_service.find_lead(session, milestone.lead_id)


def _lock_step(session: Session, caller: Caller, milestone: Milestone) -> Milestone:
    with trusted_step(session, caller):
        return session.exec(select(Milestone).where(Milestone.id == milestone.id)
                            .with_for_update().execution_options(populate_existing=True)).one()


def is_paid(session: Session, milestone_id: uuid.UUID) -> bool:
    """Whether the step's money is with the platform (escrow), read as the platform."""
    return session.exec(select(Payment.id).where(
        Payment.milestone_id == milestone_id,
        col(Payment.status).in_(list(pay_rules.PAID)))).first() is not None


def _require_under_way(session: Session, caller: Caller, lead: Lead, milestone: Milestone) -> None:
    """Work on a step needs an agreed plan and, in escrow mode, the step paid; in b2b mode the
    work started."""
    with trusted_step(session, caller):
        plan = agreed_plan(session, lead.id)
        if plan is None:
            raise rules.PlanPending()
        if plan.proposal_id != milestone.proposal_id:  # a step of an award taken back
            raise NotFound("errors.milestone.not_found")
        if settlement.b2b():
            if lead.status != LeadStatus.in_progress:
                raise rules.NotPaid(params={"status": str(lead.status)})
        elif not is_paid(session, milestone.id):
            raise rules.NotPaid(params={"status": str(lead.status)})


def submit(*, session: Session, caller: Caller, milestone_id: uuid.UUID) -> Milestone:
    """The performer says the step is done: the owner is asked to approve it (after
    AUTO_CONFIRM_DAYS it is approved for them)."""
    milestone, lead = _step(session, caller, milestone_id)
    if _require_side(session, caller, lead) != Side.performer:
        raise Forbidden("errors.payment.performer_only", code="not_performer")
    lead = _lock_lead(session, caller, lead.id)
    _require_under_way(session, caller, lead, milestone)
    milestone = _lock_step(session, caller, milestone)
    if milestone.status != MilestoneStatus.open:
        raise rules.WrongStatus(params={"status": milestone.status})
    with trusted_step(session, caller):
        milestone.status, milestone.submitted_at = MilestoneStatus.submitted, utcnow()
        session.add(milestone)
        session.flush()
    notifications.tell(session=session, caller=caller, template="milestone_submitted",
                       users=[lead.owner_user_id],
                       params=_params(lead, milestone, for_owner=True,
                                      days=get_settings().auto_confirm_days))
    return milestone


def approve(*, session: Session, caller: Caller, milestone_id: uuid.UUID) -> Milestone:
    """The owner approves the step: its money is released after the hold period (escrow) or
    its commission recorded (b2b); the last step approved closes the job."""
    milestone, lead = _step(session, caller, milestone_id)
    if _require_side(session, caller, lead) != Side.owner:
        raise Forbidden("errors.lead.owner_only", code="not_lead_owner")
    lead = _lock_lead(session, caller, lead.id)
    _require_under_way(session, caller, lead, milestone)
    milestone = _lock_step(session, caller, milestone)
    return _approve(session, caller, lead, milestone)


def _approve(session: Session, caller: Caller, lead: Lead, milestone: Milestone) -> Milestone:
    if milestone.status not in rules.APPROVABLE:
        raise rules.WrongStatus(params={"status": milestone.status})
    with trusted_step(session, caller):
        milestone.status = MilestoneStatus.approved
        milestone.approved_at, milestone.approved_by = utcnow(), caller.user_id
        session.add(milestone)
        session.flush()
        logs.action("milestone", milestone.id, "milestone approved", lead=lead.id,
                    amount=milestone.amount)
        settlement.record_close(session, SYSTEM, lead, milestone=milestone)
    if lead.performer_professional_id is not None:
        notifications.tell(session=session, caller=caller, template="milestone_approved",
                           businesses=[lead.performer_professional_id],
                           params=_params(lead, milestone, for_owner=False))
    settle_lead(session, caller, lead)
    return milestone


def settle_lead(session: Session, caller: Caller, lead: Lead) -> None:
    """After a step ended (approved, or cancelled by a refund): the job closes when every step
    has ended, at least one approved; it is cancelled when every step was cancelled."""
    from ofair_app.services import payments

    with trusted_step(session, caller):
        statuses = [m.status for m in steps_of(session, lead.id)]
        if lead.status not in (LeadStatus.in_progress, LeadStatus.awarded):
            return
        if rules.all_done(statuses):
            lead.status = lead_rules.next_status(lead.status, Event.complete)
            lead.completed_at = utcnow()
            session.add(lead)
            session.flush()
            payments.close_job(session, SYSTEM, lead)
        elif rules.all_cancelled(statuses):
            lead.status = lead_rules.next_status(lead.status, Event.cancel)
            lead.cancelled_at = utcnow()
            session.add(lead)
            session.flush()


def auto_approve_due(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Approve the steps said done AUTO_CONFIRM_DAYS ago that their owner did not answer
    (system; a disputed step is not `submitted`)."""
    cutoff = now - timedelta(days=get_settings().auto_confirm_days)
    due = session.exec(select(Milestone.id).where(
        Milestone.status == MilestoneStatus.submitted, col(Milestone.submitted_at) <= cutoff)
        .order_by(col(Milestone.submitted_at)).limit(limit)).all()
    approved = 0
    for milestone_id in due:
        lead, milestone = _lock_lead_and_step(session, milestone_id)
        if milestone.status == MilestoneStatus.submitted:  # not approved or disputed meanwhile
            _approve(session, SYSTEM, lead, milestone)
            approved += 1
    return approved


def _lock_lead_and_step(session: Session, milestone_id: uuid.UUID) -> tuple[Lead, Milestone]:
    """The step's lead, then the step, locked (as the platform): the order every change of a
    step takes (`approve`, `submit`, payments, disputes), so two never wait on each other."""
    lead_id = session.exec(select(Milestone.lead_id).where(Milestone.id == milestone_id)).one()
    lead = session.exec(select(Lead).where(Lead.id == lead_id).with_for_update()
                        .execution_options(populate_existing=True)).one()
    milestone = session.exec(select(Milestone).where(Milestone.id == milestone_id)
                             .with_for_update().execution_options(populate_existing=True)).one()
    return lead, milestone


def cancel_step(session: Session, caller: Caller, milestone_id: uuid.UUID) -> None:
    """The step's money went back to the client in full (a refund, or a dispute's decision):
    the step is cancelled and the job settled (as the platform)."""
    with trusted_step(session, caller):
        lead, milestone = _lock_lead_and_step(session, milestone_id)
        if milestone.status == MilestoneStatus.cancelled:
            return
        milestone.status, milestone.cancelled_at = MilestoneStatus.cancelled, utcnow()
        session.add(milestone)
        session.flush()
    settle_lead(session, caller, lead)


def after_dispute(session: Session, caller: Caller, milestone_id: uuid.UUID, *,
                  cancelled: bool) -> None:
    """A step's dispute was decided (as the platform): refunded in full, it is cancelled;
    otherwise it is approved as it stands (what was left of it released now)."""
    if cancelled:
        cancel_step(session, caller, milestone_id)
        return
    with trusted_step(session, caller):
        lead, milestone = _lock_lead_and_step(session, milestone_id)
        milestone.status = MilestoneStatus.approved
        milestone.approved_at = milestone.approved_at or utcnow()
        session.add(milestone)
        session.flush()
    settle_lead(session, caller, lead)


def step_to_dispute(session: Session, caller: Caller, lead: Lead,
                    milestone_id: object) -> Milestone:
    """The step a dispute of a job in milestones is about (one must be named), locked, as the
    platform: not already disputed, not cancelled."""
    if milestone_id is None:
        raise InvalidInput(fields={"milestone_id": "errors.milestone.required"})
    try:
        wanted = uuid.UUID(str(milestone_id))
    except ValueError:
        raise InvalidInput(fields={"milestone_id": "errors.milestone.required"}) from None
    with trusted_step(session, caller):
        plan = agreed_plan(session, lead.id)
        milestone = session.exec(select(Milestone).where(
            Milestone.id == wanted, Milestone.lead_id == lead.id,
            Milestone.proposal_id == (plan.proposal_id if plan else None))
            .with_for_update()).first()
    if milestone is None:
        raise NotFound("errors.milestone.not_found")
    if milestone.status in (MilestoneStatus.disputed, MilestoneStatus.cancelled):
        raise rules.WrongStatus(params={"status": milestone.status})
    return milestone


def freeze(session: Session, caller: Caller, milestone: Milestone) -> None:
    """A dispute of the step was opened: it waits for the decision (as the platform)."""
    with trusted_step(session, caller):
        milestone.status = MilestoneStatus.disputed
        session.add(milestone)
        session.flush()


# --- progress updates ----------------------------------------------------------------------


def add_update(*, session: Session, caller: Caller, milestone_id: uuid.UUID, body: object,
               photos: Sequence[tuple[str, bytes]] = ()) -> MilestoneUpdate:
    """The performer tells how a step is going, with up to MAX_PHOTOS photos (JPEG or PNG);
    the owner is told. Nothing is stored unless all of it is good."""
    milestone, lead = _step(session, caller, milestone_id)
    if _require_side(session, caller, lead) != Side.performer:
        raise Forbidden("errors.payment.performer_only", code="not_performer")
    if not isinstance(body, str):
        raise InvalidInput(fields={"body": "errors.field.required"})
    low, high = rules.NOTE_LENGTH
    note = identity.clean_text(body, field="body", min_length=low, max_length=high,
                               multiline=True)
    if len(photos) > rules.MAX_PHOTOS:
        raise InvalidInput(fields={"photos": "errors.milestone.photos"},
                           params={"max": rules.MAX_PHOTOS})
    if milestone.status in rules.FINISHED:
        raise rules.WrongStatus(params={"status": milestone.status})
    with trusted_step(session, caller):
        plan = agreed_plan(session, lead.id)
        if plan is None:
            raise rules.PlanPending()
        if plan.proposal_id != milestone.proposal_id:
            raise NotFound("errors.milestone.not_found")
    update = MilestoneUpdate(milestone_id=milestone.id, lead_id=lead.id,
                             professional_id=milestone.professional_id,
                             author_user_id=caller.user_id, body=note)
    session.add(update)
    session.flush()
    stored: list[str] = []
    try:
        for filename, data in photos:
            photo = lead_service.store_file(
                session, MilestonePhoto, f"milestones/{milestone.id}", filename, data,
                allowed=IMAGE_TYPES, update_id=update.id, lead_id=lead.id,
                professional_id=milestone.professional_id, uploaded_by=caller.user_id)
            stored.append(photo.storage_key)
    except Exception:
        for key in stored:  # the transaction rolls back: no stored byte stays without its row
            get_storage().delete(key)
        raise
    notifications.tell(session=session, caller=caller, template="milestone_update",
                       users=[lead.owner_user_id],
                       params=_params(lead, milestone, for_owner=True))
    return update


def add_photo(*, session: Session, caller: Caller, update_id: uuid.UUID, filename: str,
              data: bytes) -> MilestonePhoto:
    """One more photo (JPEG or PNG, up to 10 MB) on the caller's own progress update, up to
    MAX_PHOTOS an update; anyone else finds nothing to add to (404) or is refused (403)."""
    users.require_user(caller)
    update = session.get(MilestoneUpdate, update_id)
    if update is None:
        raise NotFound("errors.milestone.update_not_found")
    if update.author_user_id != caller.user_id:
        raise Forbidden("errors.milestone.author_only", code="not_author")
    milestone = session.get(Milestone, update.milestone_id)
    assert milestone is not None
    milestone = _lock_step(session, caller, milestone)  # two uploads at once: one by one
    if milestone.status in rules.FINISHED:
        raise rules.WrongStatus(params={"status": milestone.status})
    count = session.exec(select(func.count()).select_from(MilestonePhoto)
                         .where(MilestonePhoto.update_id == update.id)).one()
    if count >= rules.MAX_PHOTOS:
        raise Conflict("errors.milestone.photos", code="too_many_photos",
                       params={"max": rules.MAX_PHOTOS})
    return lead_service.store_file(
        session, MilestonePhoto, f"milestones/{update.milestone_id}", filename, data,
        allowed=IMAGE_TYPES, update_id=update.id, lead_id=update.lead_id,
        professional_id=update.professional_id, uploaded_by=caller.user_id)


def photo_link(*, session: Session, caller: Caller, photo_id: uuid.UUID) -> str:
    """A five-minute link to a progress photo the caller may see (others: 404)."""
    users.require_user(caller)
    photo = session.get(MilestonePhoto, photo_id)
    if photo is None:
        raise NotFound("errors.attachment.not_found")
    return get_storage().signed_url(photo.storage_key, filename=photo.filename,
                                    content_type=photo.content_type,
                                    expires_in=PHOTO_LINK_SECONDS)


# --- telling -------------------------------------------------------------------------------


def _params(lead: Lead, milestone: Milestone, *, for_owner: bool,
            **more: object) -> Callable[[str], dict[str, object]]:
    base = {"lead_title": short_title(lead),
            "milestone_title": notifications.quoted_title(milestone.title),
            "lead_url": lead_url_for_owner(lead) if for_owner else url(f"/pro/leads/{lead.id}"),
            **more}
    return lambda locale: {**base, "amount": money(milestone.amount, locale)}


def _tell_other_side(session: Session, caller: Caller, lead: Lead, side: Side, template: str,
                     *, count: int, amount: Decimal) -> None:
    def params(for_owner: bool) -> Callable[[str], dict[str, object]]:
        base: dict[str, object] = {"lead_title": short_title(lead), "count": count,
                "lead_url": lead_url_for_owner(lead) if for_owner
                else url(f"/pro/leads/{lead.id}")}
        return lambda locale: {**base, "amount": money(amount, locale)}

    if side == Side.performer:
        notifications.tell(session=session, caller=caller, template=template,
                           users=[lead.owner_user_id], params=params(True))
    elif lead.performer_professional_id is not None:
        notifications.tell(session=session, caller=caller, template=template,
                           businesses=[lead.performer_professional_id], params=params(False))
