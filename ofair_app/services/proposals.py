"""Proposals and acceptance: professionals offer, the owner picks one winner, and only the winner
is shown the client's details.

Acceptance is one transaction that locks the lead's row: two owners' taps (or two tabs) racing
on one lead serialize there, and the second finds the lead awarded (409). The database closes the
rest of the lead's offers itself when it leaves `active` (migration 0004), so no path forgets.
Every grant and revocation of access to the client is written to `contact_access_logs`, each
award to `phone_revelations` and `lead_events` (all three append-only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, func, select

from ofair_app.db.engine import Caller, trusted_step
from ofair_app.domain import identity
from ofair_app.domain import leads as lead_rules
from ofair_app.domain import milestones as milestone_rules
from ofair_app.domain import proposals as rules
from ofair_app.domain.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from ofair_app.domain.leads import Event, LeadStatus
from ofair_app.domain.payments import PaymentStatus
from ofair_app.domain.proposals import (
    LeadEventKind,
    Party,
    ProposalOrigin,
    ProposalStatus,
)
from ofair_app.i18n import money
from ofair_app.models import (
    AccessEvent,
    AccessReason,
    ContactAccessLog,
    Lead,
    LeadEvent,
    Payment,
    PhoneRevelation,
    Professional,
    Proposal,
    ProposalAttachment,
    ProposalCreate,
    ProposalUpdate,
)
from ofair_app.observability import logs
from ofair_app.services import autopay, notifications, users
from ofair_app.services import leads as lead_service
from ofair_app.services.plans import current_plan
from ofair_app.services.professionals import acting_business, require_member
from ofair_app.settings import get_settings

LEAD_CLOSED_SQLSTATE = "OF001"  # raised by the proposals_count trigger (migration 0004)


@dataclass(frozen=True)
class ProposalView:
    """A proposal with the public profile of the business that sent it."""

    proposal: Proposal
    professional: Professional | None


class LeadNotOpen(Conflict):
    code, message_key = "lead_not_open", "errors.proposal.lead_not_open"


class AlreadyAwarded(Conflict):
    code, message_key = "lead_already_awarded", "errors.proposal.already_awarded"


# --- helpers shared with referrals ---------------------------------------------------------


def url(path: str) -> str:
    return f"{get_settings().ofair_public_url.rstrip('/')}{path}"


def lead_url_for_owner(lead: Lead) -> str:
    return url(f"/my/requests/{lead.id}" if lead.owner_professional_id is None
               else f"/pro/leads/{lead.id}")


def short_title(lead: Lead) -> str:
    """The lead's title as a text message quotes it (an SMS has 160 characters)."""
    return notifications.quoted_title(lead.title)


def grant_access(session: Session, caller: Caller, lead: Lead, proposal: Proposal, *,
                 ip: str, user_agent: str, event: LeadEventKind,
                 referral_id: uuid.UUID | None = None) -> None:
    """Write down that the winner may now see the client: who made it so, from where."""
    user_id = users.require_user(caller)  # as every caller has already required
    winner = proposal.professional_id
    session.add(ContactAccessLog(lead_id=lead.id, user_id=user_id, professional_id=winner,
                                 reason=AccessReason.performer, event=AccessEvent.granted,
                                 ip=ip[:64], user_agent=user_agent[:200]))
    session.add(PhoneRevelation(lead_id=lead.id, professional_id=winner, proposal_id=proposal.id,
                                user_id=user_id, ip=ip[:64], user_agent=user_agent[:200]))
    session.add(LeadEvent(lead_id=lead.id, event=event, actor_user_id=user_id,
                          professional_id=winner, proposal_id=proposal.id,
                          referral_id=referral_id))
    session.flush()


def tell_rejected(session: Session, caller: Caller, lead: Lead) -> None:
    """Tell the businesses whose offers this transaction closed (the database rejected them
    when the lead left `active`; `decided_at` is the transaction's time)."""
    with trusted_step(session, caller):
        proposers = list(session.exec(
            select(Proposal.created_by).where(Proposal.lead_id == lead.id,
                                              Proposal.status == ProposalStatus.rejected,
                                              col(Proposal.decided_at) == func.now())).all())
    if proposers:
        notifications.tell(session=session, caller=caller, template="proposal_rejected",
                           users=proposers, params={"lead_title": short_title(lead),
                                                    "board_url": url("/pro")})


# --- input ---------------------------------------------------------------------------------


def _price(raw: object) -> Decimal:
    return lead_rules.parse_money(raw, field="price", minimum=rules.PRICE_MIN)


def _description(raw: str) -> str:
    low, high = rules.DESCRIPTION_LENGTH
    return identity.clean_text(raw, field="description", max_length=high, min_length=low,
                               multiline=True)


def _scheduled_date(value: date | None) -> date | None:
    if value is None:
        return None
    today = lead_service.today()
    if value < today:
        raise InvalidInput(fields={"scheduled_date": "errors.lead.date_past"})
    if value > today + timedelta(days=rules.SCHEDULE_DAYS_AHEAD):
        raise InvalidInput(fields={"scheduled_date": "errors.lead.date_far"})
    return value


def check_offer(data: ProposalCreate, checks: FieldErrors | None = None) -> FieldErrors:
    """Every field rule of a new offer (price, what it includes, when it starts), judged
    together into `checks` (a form's own refusals, such as a price it could not read, stay
    first); nothing is raised or written. `create_proposal` refuses with the same rules."""
    checks = checks if checks is not None else FieldErrors()
    checks(_price, data.price)
    checks(_description, data.description)
    checks(_scheduled_date, data.scheduled_date)
    return checks


# --- proposing -----------------------------------------------------------------------------


def create_proposal(*, session: Session, caller: Caller, lead_id: uuid.UUID,
                    data: ProposalCreate) -> Proposal:
    """A business offers to do an open lead's job: a price above zero, what it will do, when.
    One live offer per business per lead; never on its own lead."""
    user_id = users.require_user(caller)
    professional_id = acting_business(session=session, caller=caller,
                                      professional_id=data.professional_id).id
    autopay.require_paid_up(session, caller, professional_id)
    lead = lead_service.find_lead(session, lead_id)
    if lead_service.relation_to(lead, caller) == AccessReason.owner:
        raise Forbidden("errors.proposal.own_lead", code="own_lead")
    if lead.status != LeadStatus.active:
        raise LeadNotOpen(params={"status": str(lead.status)})
    lead_service.require_shown(lead)
    checks = FieldErrors()
    price = checks(_price, data.price)
    description = checks(_description, data.description)
    scheduled = checks(_scheduled_date, data.scheduled_date)
    checks.raise_if_any()
    assert price is not None and description is not None
    live = session.exec(select(Proposal.id).where(
        Proposal.lead_id == lead.id, Proposal.professional_id == professional_id,
        col(Proposal.status).in_(list(rules.LIVE)))).first()
    if live is not None:
        raise Conflict("errors.proposal.exists", code="proposal_exists")
    proposal = Proposal(lead_id=lead.id, professional_id=professional_id,
                        created_by=user_id, price=price, description=description,
                        scheduled_date=scheduled)
    session.add(proposal)
    try:
        session.flush()
    except IntegrityError as error:  # a second tap racing the first
        raise Conflict("errors.proposal.exists", code="proposal_exists") from error
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == LEAD_CLOSED_SQLSTATE:
            raise LeadNotOpen(params={"status": "awarded"}) from error
        raise
    business = session.get(Professional, professional_id)
    notifications.tell(
        session=session, caller=caller, template="proposal_received", users=[lead.owner_user_id],
        params=lambda locale: {"lead_title": short_title(lead),
                               "business_name": business.business_name if business else "",
                               "price": money(price, locale),
                               "lead_url": lead_url_for_owner(lead)})
    return proposal


def list_proposals(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> list[ProposalView]:
    """The lead's owner (and admins) see every offer with its business's public profile; a
    professional sees only its own businesses' offers."""
    users.require_user(caller)
    lead = lead_service.find_lead(session, lead_id)
    rows = session.exec(
        select(Proposal, Professional)
        .join(Professional, col(Professional.id) == Proposal.professional_id, isouter=True)
        .where(Proposal.lead_id == lead.id)
        .order_by((col(Proposal.status) == ProposalStatus.accepted).desc(),
                  (col(Proposal.status) == ProposalStatus.pending).desc(),
                  col(Proposal.created_at), col(Proposal.id))).all()
    return [ProposalView(proposal=p, professional=b) for p, b in rows]


def proposals_for_business(*, session: Session, caller: Caller,
                           professional_id: uuid.UUID | None = None,
                           limit: int = 50) -> list[tuple[Proposal, Lead]]:
    """The offers the caller's business sent, newest first, with their leads."""
    users.require_user(caller)
    ids = ([professional_id] if professional_id else list(caller.professional_ids))
    for pid in ids:
        require_member(session=session, caller=caller, professional_id=pid)
    rows = session.exec(select(Proposal, Lead).join(Lead, col(Lead.id) == Proposal.lead_id)
                        .where(col(Proposal.professional_id).in_(ids))
                        .order_by(col(Proposal.created_at).desc())
                        .limit(max(1, min(limit, 200)))).all()
    return [(p, lead) for p, lead in rows]


def _find_proposal(session: Session, proposal_id: uuid.UUID) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("errors.proposal.not_found")
    return proposal


def _lock_proposal(session: Session, proposal_id: uuid.UUID) -> Proposal:
    proposal = session.exec(select(Proposal).where(Proposal.id == proposal_id).with_for_update()
                            .execution_options(populate_existing=True)).first()
    if proposal is None:
        raise NotFound("errors.proposal.not_found")
    return proposal


def _require_proposer(session: Session, caller: Caller, proposal: Proposal) -> None:
    users.require_user(caller)
    if proposal.professional_id not in caller.professional_ids:
        raise Forbidden("errors.proposal.proposer_only", code="not_proposer")
    require_member(session=session, caller=caller, professional_id=proposal.professional_id)


class CheckoutOpen(Conflict):
    """The award's price cannot change under an open checkout: it would charge the old one.
    `payments.edit_proposal` closes the checkout and tries again; a caller who meets this
    error found a new checkout opened in between."""

    code, message_key = "checkout_open", "errors.payment.checkout_open"

    def __init__(self, payment_id: uuid.UUID) -> None:
        super().__init__()
        self.payment_id = payment_id


def _open_checkout(session: Session, caller: Caller, lead: Lead) -> uuid.UUID | None:
    """The lead's payment still waiting for the client (`created` or `pending`), if any: read
    as the platform, so a party that may not read payments cannot slip past it."""
    with trusted_step(session, caller):
        return session.exec(select(Payment.id).where(
            Payment.lead_id == lead.id,
            col(Payment.status).in_([PaymentStatus.created, PaymentStatus.pending]))).first()


def update_proposal(*, session: Session, caller: Caller, proposal_id: uuid.UUID,
                    data: ProposalUpdate) -> Proposal:
    """The proposer edits a pending offer. Once accepted and before payment, the owner or the
    performer may still adjust its price (the deal's final amount); nothing else changes.

    A price change is refused with `CheckoutOpen` (409) while a checkout at the old price is
    open: the doors call `payments.edit_proposal`, which closes it first. The lead is locked
    before the offer (the order acceptance and payment use), so a payment starting at the
    same moment either comes first (and is found open) or reads the new price."""
    users.require_user(caller)
    proposal = _find_proposal(session, proposal_id)
    lead = lead_service.find_lead(session, proposal.lead_id)
    is_proposer = proposal.professional_id in caller.professional_ids
    is_owner = lead_service.relation_to(lead, caller) == AccessReason.owner
    if not (is_proposer or is_owner):
        raise Forbidden("errors.proposal.proposer_only", code="not_proposer")
    if proposal.status == ProposalStatus.accepted:
        lead = lead_service.find_lead(session, proposal.lead_id, lock=True)
    proposal = _lock_proposal(session, proposal_id)
    if proposal.status == ProposalStatus.pending and not is_proposer:
        raise Forbidden("errors.proposal.proposer_only", code="not_proposer")
    if proposal.status == ProposalStatus.pending:
        checks = FieldErrors()
        price = checks(_price, data.price) if data.price is not None else proposal.price
        description = (checks(_description, data.description) if data.description is not None
                       else proposal.description)
        scheduled = (checks(_scheduled_date, data.scheduled_date)
                     if "scheduled_date" in data.model_fields_set else proposal.scheduled_date)
        checks.raise_if_any()
        assert price is not None and description is not None
        proposal.price, proposal.description, proposal.scheduled_date = (
            price, description, scheduled)
    elif proposal.status == ProposalStatus.accepted and lead.status == LeadStatus.awarded:
        if data.description is not None or "scheduled_date" in data.model_fields_set:
            raise Conflict("errors.proposal.only_price", code="proposal_accepted")
        if data.price is None:
            raise InvalidInput(fields={"price": "errors.field.required"})
        price = _price(data.price)
        _drop_plan(session, caller, lead)  # first: a refused change closes no checkout
        live = _open_checkout(session, caller, lead)
        if live is not None:
            raise CheckoutOpen(live)
        proposal.price = price
        session.add(LeadEvent(lead_id=lead.id, event=LeadEventKind.price_changed,
                              actor_user_id=users.require_user(caller),  # a side: signed in
                              professional_id=proposal.professional_id, proposal_id=proposal.id))
    else:
        raise rules.ProposalClosed(params={"status": str(proposal.status)})
    session.add(proposal)
    session.flush()
    return proposal


def _drop_plan(session: Session, caller: Caller, lead: Lead) -> None:
    """A new price: a milestone plan agreed on the old one stands (409, the price stays); one
    not agreed yet no longer adds up, so it goes (its steps with it)."""
    with trusted_step(session, caller):
        plan = session.exec(current_plan(lead.id)).first()
        if plan is not None and plan.agreed_at is not None:
            raise milestone_rules.PlanAgreed()
        if plan is not None:
            session.delete(plan)
            session.flush()


def withdraw_proposal(*, session: Session, caller: Caller, proposal_id: uuid.UUID) -> Proposal:
    proposal = _find_proposal(session, proposal_id)
    _require_proposer(session, caller, proposal)
    proposal = _lock_proposal(session, proposal_id)
    proposal.status = rules.move_proposal(Party.proposer, proposal.status,
                                          ProposalStatus.withdrawn)
    session.add(proposal)
    session.flush()
    return proposal


# --- choosing ------------------------------------------------------------------------------


def accept_proposal(*, session: Session, caller: Caller, proposal_id: uuid.UUID, ip: str = "",
                    user_agent: str = "") -> tuple[Proposal, Lead]:
    """The owner picks the winner: in one transaction that holds the lead's row, the offer is
    accepted, the lead awarded to its business (which may now see the client: logged), the
    other offers rejected and their businesses told. A second acceptance gets 409."""
    users.require_user(caller)
    proposal = _find_proposal(session, proposal_id)
    lead = lead_service.find_lead(session, proposal.lead_id, lock=True)  # 403 unless the owner
    lead_service.require_owner(session, lead, caller)
    proposal = _lock_proposal(session, proposal_id)
    if lead.status == LeadStatus.awarded or proposal.status == ProposalStatus.accepted:
        raise AlreadyAwarded()
    if lead.status != LeadStatus.active:
        raise lead_rules.IllegalTransition(params={"status": str(lead.status),
                                                   "event": str(Event.award)})
    lead_service.require_shown(lead)
    proposal.status = rules.move_proposal(Party.owner, proposal.status, ProposalStatus.accepted)
    session.add(proposal)
    session.flush()
    lead.status = lead_rules.next_status(lead.status, Event.award)
    lead.performer_professional_id = proposal.professional_id
    session.add(lead)
    session.flush()
    grant_access(session, caller, lead, proposal, ip=ip, user_agent=user_agent,
                 event=LeadEventKind.proposal_accepted)
    notifications.tell(session=session, caller=caller, template="proposal_accepted",
                       users=[proposal.created_by],
                       params={"lead_title": short_title(lead),
                               "lead_url": url(f"/pro/leads/{lead.id}")})
    tell_rejected(session, caller, lead)
    session.refresh(proposal)
    logs.action("acceptance", proposal.id, "proposal accepted", lead=lead.id,
                professional=proposal.professional_id)
    return proposal, lead


def winning_proposal(session: Session, lead: Lead) -> Proposal | None:
    return session.exec(select(Proposal).where(Proposal.lead_id == lead.id,
                                               Proposal.status == ProposalStatus.accepted)
                        ).first()


def end_award(session: Session, caller: Caller, lead: Lead, *, party: Party) -> Proposal:
    """End an award before payment (the lead must be locked): the winning offer is cancelled by
    the owner or declined by the winner, and the winner's access to the client is revoked
    (logged), and the other side is told. The caller moves the lead on."""
    proposal = winning_proposal(session, lead)
    if proposal is None or lead.status != LeadStatus.awarded:
        raise lead_rules.IllegalTransition(params={"status": str(lead.status),
                                                   "event": str(Event.unaward)})
    target = ProposalStatus.cancelled if party == Party.owner else ProposalStatus.declined
    user_id = users.require_user(caller)  # as every caller has already required
    session.add(ContactAccessLog(lead_id=lead.id, user_id=user_id,
                                 professional_id=proposal.professional_id,
                                 reason=AccessReason.performer, event=AccessEvent.revoked))
    session.add(LeadEvent(lead_id=lead.id, actor_user_id=user_id,
                          event=(LeadEventKind.award_cancelled if party == Party.owner
                                 else LeadEventKind.award_declined),
                          professional_id=proposal.professional_id, proposal_id=proposal.id))
    session.flush()
    proposal.status = rules.move_proposal(party, proposal.status, target)
    session.add(proposal)
    session.flush()
    if party == Party.owner:
        notifications.tell(session=session, caller=caller, template="award_cancelled",
                           users=[proposal.created_by],
                           params={"lead_title": short_title(lead), "board_url": url("/pro")})
    else:
        business = session.get(Professional, proposal.professional_id)
        notifications.tell(session=session, caller=caller, template="award_declined",
                           users=[lead.owner_user_id],
                           params={"lead_title": short_title(lead),
                                   "business_name": business.business_name if business else "",
                                   "lead_url": lead_url_for_owner(lead)})
    return proposal


def unaward(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> Lead:
    """The owner takes the award back before payment: the lead is open again and the winner
    may no longer see the client (and is told)."""
    lead = lead_service.find_lead(session, lead_id, lock=True)
    lead_service.require_owner(session, lead, caller)
    end_award(session, caller, lead, party=Party.owner)
    lead.status = lead_rules.next_status(lead.status, Event.unaward)
    lead.performer_professional_id = None
    session.add(lead)
    session.flush()
    session.refresh(lead)
    return lead


def decline_award(*, session: Session, caller: Caller, proposal_id: uuid.UUID) -> Proposal:
    """The winner gives the job back before payment: the lead is open again for other offers,
    the winner's access to the client ends, and the owner is told."""
    proposal = _find_proposal(session, proposal_id)
    _require_proposer(session, caller, proposal)
    if proposal.status != ProposalStatus.accepted:
        raise rules.ProposalClosed(params={"status": str(proposal.status)})
    # The performer may lock the lead only to give it back (policy leads_give_back).
    lead = lead_service.find_lead(session, proposal.lead_id, lock=True)
    if lead.performer_professional_id != proposal.professional_id:
        raise rules.ProposalClosed(params={"status": str(proposal.status)})
    proposal = end_award(session, caller, lead, party=Party.proposer)
    lead.status = lead_rules.next_status(lead.status, Event.unaward)
    lead.performer_professional_id = None
    session.add(lead)
    session.flush()  # the lead may be hidden from us now (a private lead): no refresh
    return proposal


def origin_is_referral(proposal: Proposal) -> bool:
    return proposal.origin == ProposalOrigin.referral


# --- media ---------------------------------------------------------------------------------


def add_attachment(*, session: Session, caller: Caller, proposal_id: uuid.UUID, filename: str,
                   data: bytes) -> ProposalAttachment:
    """A photo or PDF of earlier work or a quote, on a pending offer, by its business; seen by
    the lead's owner and the business only."""
    proposal = _find_proposal(session, proposal_id)
    _require_proposer(session, caller, proposal)
    proposal = _lock_proposal(session, proposal_id)
    if proposal.status != ProposalStatus.pending:
        raise rules.ProposalClosed(params={"status": str(proposal.status)})
    count = session.exec(select(func.count()).select_from(ProposalAttachment)
                         .where(ProposalAttachment.proposal_id == proposal.id)).one()
    if count >= rules.MAX_ATTACHMENTS:
        raise Conflict("errors.lead.too_many_attachments", code="too_many_attachments",
                       params={"max": rules.MAX_ATTACHMENTS})
    return lead_service.store_file(session, ProposalAttachment,
                                   f"proposals/{proposal.id}", filename, data,
                                   uploaded_by=caller.user_id, proposal_id=proposal.id)


def list_attachments(*, session: Session, caller: Caller,
                     lead_id: uuid.UUID) -> dict[uuid.UUID, list[ProposalAttachment]]:
    """The media of the lead's offers the caller may see, by offer."""
    users.require_user(caller)
    rows = session.exec(select(ProposalAttachment)
                        .join(Proposal, col(Proposal.id) == ProposalAttachment.proposal_id)
                        .where(Proposal.lead_id == lead_id)
                        .order_by(col(ProposalAttachment.created_at))).all()
    found: dict[uuid.UUID, list[ProposalAttachment]] = {}
    for row in rows:
        found.setdefault(row.proposal_id, []).append(row)
    return found


def attachment_link(*, session: Session, caller: Caller, attachment_id: uuid.UUID) -> str:
    users.require_user(caller)
    return lead_service.file_link(session.get(ProposalAttachment, attachment_id))
