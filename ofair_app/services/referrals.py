"""Referrals: a business offers one of its leads to a chosen colleague for a share of the job.

The terms are frozen on the offer (`commission_percentage`, and the budget it was offered at):
a later edit of the lead changes what new offers say, never what was agreed. The receiver
claims the lead (it becomes the performer, with an accepted proposal at the offered budget,
which the two sides may adjust before payment) or rejects it; unanswered offers expire after
`REFERRAL_EXPIRY_DAYS` (the `expire_referrals` job), and the other pending offers of a lead
expire when it is claimed or awarded (migration 0004).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from babel.dates import format_date
from pydantic import AwareDatetime
from sqlalchemy import tuple_, update
from sqlmodel import Session, col, select

from ofair_app.db.engine import Caller, affected, trusted_step
from ofair_app.domain import commission as commission_rules
from ofair_app.domain import identity
from ofair_app.domain import leads as lead_rules
from ofair_app.domain import proposals as rules
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ofair_app.domain.leads import Event, LeadStatus, LeadType
from ofair_app.domain.proposals import (
    LeadEventKind,
    Party,
    ProposalOrigin,
    ProposalStatus,
    ReferralStatus,
)
from ofair_app.i18n import money
from ofair_app.models import (
    Lead,
    LeadEvent,
    Professional,
    ProfessionalStatus,
    Proposal,
    ReferOn,
    Referral,
    ReferralCreate,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import commission, notifications, users
from ofair_app.services import leads as lead_service
from ofair_app.services import proposals as proposal_service
from ofair_app.services.professionals import require_member
from ofair_app.settings import get_settings

Direction = Literal["incoming", "outgoing"]
PAGE_MAX = 100


@dataclass(frozen=True)
class ReferralView:
    """An offer with its lead (public part) and the business on the other side."""

    referral: Referral
    lead: Lead
    referrer: Professional | None
    receiver: Professional | None


def share_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID,
               data: ReferralCreate) -> Referral:
    """The owner business offers its open pro lead to another business, at the lead's current
    share and budget (frozen on the offer). One pending offer per receiver."""
    lead = lead_service.find_lead(session, lead_id, lock=True)  # 403 unless the owner
    me = lead_service.require_owner(session, lead, caller)
    if lead.type != LeadType.professional_referral or lead.owner_professional_id is None:
        raise Conflict("errors.referral.consumer_lead", code="not_shareable")
    if lead.status != LeadStatus.active:
        raise proposal_service.LeadNotOpen(params={"status": str(lead.status)})
    lead_service.require_shown(lead)
    if data.receiver_professional_id == lead.owner_professional_id:
        raise InvalidInput(fields={"receiver_professional_id": "errors.referral.self"})
    receiver, message = _offer_terms(session, lead, data)
    now = utcnow()
    assert lead.referrer_share_percentage is not None and lead.budget is not None
    referral = Referral(
        lead_id=lead.id, referrer_professional_id=lead.owner_professional_id,
        receiver_professional_id=receiver.id, created_by=me,
        commission_percentage=lead.referrer_share_percentage, budget=lead.budget,
        message=message, created_at=now,
        expires_at=rules.referral_expires_at(now, get_settings().referral_expiry_days))
    session.add(referral)
    session.flush()
    session.add(LeadEvent(lead_id=lead.id, event=LeadEventKind.referral_offered,
                          actor_user_id=me, professional_id=receiver.id,
                          referral_id=referral.id))
    session.flush()
    session.refresh(referral)
    _tell_receiver(session, caller, referral, lead)
    return referral


def _offer_terms(session: Session, lead: Lead, data: ReferralCreate) -> tuple[Professional, str]:
    """The business an offer goes to (one that may receive it, not already holding a pending
    offer of the lead) and its message, cleaned."""
    receiver = session.get(Professional, data.receiver_professional_id)
    if receiver is None or receiver.status == ProfessionalStatus.suspended:
        raise InvalidInput(fields={"receiver_professional_id": "errors.referral.receiver"})
    message = identity.clean_text(data.message, field="message", max_length=rules.MESSAGE_MAX,
                                  multiline=True)
    pending = session.exec(select(Referral.id).where(
        Referral.lead_id == lead.id, Referral.receiver_professional_id == receiver.id,
        Referral.status == ReferralStatus.pending)).first()
    if pending is not None:
        raise Conflict("errors.referral.exists", code="referral_exists")
    return receiver, message


def _tell_receiver(session: Session, caller: Caller, referral: Referral, lead: Lead) -> None:
    """The business offered the lead hears who offers it, at what share and budget."""
    referrer = session.get(Professional, referral.referrer_professional_id)
    notifications.tell(
        session=session, caller=caller, template="referral_received",
        businesses=[referral.receiver_professional_id],
        params=lambda locale: {
            "lead_title": proposal_service.short_title(lead),
            "referrer_name": referrer.business_name if referrer else "",
            "share": f"{referral.commission_percentage.normalize():f}",
            "budget": money(referral.budget, locale),
            "expires_on": format_date(referral.expires_at, "short",
                                      locale="he_IL" if locale == "he" else "en_IL"),
            "referrals_url": proposal_service.url("/pro/referrals")})


class ChainFull(Conflict):
    code, message_key = "chain_full", "errors.referral.chain_full"


def refer_on(*, session: Session, caller: Caller, referral_id: uuid.UUID,
             data: ReferOn) -> Referral:
    """The receiver of an offer passes the lead on to a colleague instead of performing it,
    keeping `data.share` percent of the job: its offer becomes `referred_on` and a new offer
    goes to the colleague at the chain's budget. Up to REFERRAL_CHAIN_MAX referrers, the owner
    included; no business twice; the referrers' shares together at most 90 %. When the
    colleague declines or lets it expire, the lead may be passed on again."""
    referral = _find(session, caller, referral_id, Party.receiver)
    me = users.require_user(caller)  # signed in: _find checked it
    settings = get_settings()
    lead = lead_service.find_lead(session, referral.lead_id)
    # The lead's lock orders this against an award (which expires pending offers): a business
    # that passed its offer on may no longer lock the lead itself, so the platform takes it.
    with trusted_step(session, caller):
        session.exec(select(Lead.id).where(Lead.id == lead.id).with_for_update()).one()
    session.refresh(lead)
    referral = session.exec(select(Referral).where(Referral.id == referral_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
    if referral.status == ReferralStatus.pending:
        _check_open(referral)
    elif referral.status == ReferralStatus.referred_on:
        if _live_child(session, referral) is not None:
            raise Conflict("errors.referral.passed_on", code="referral_passed_on")
    else:
        raise rules.ReferralClosed(params={"status": str(referral.status)})
    if lead.status != LeadStatus.active:
        raise proposal_service.LeadNotOpen(params={"status": str(lead.status)})
    lead_service.require_shown(lead)
    chain = chain_to(session, referral)
    if len(chain) >= settings.referral_chain_max:
        raise ChainFull(params={"max": str(settings.referral_chain_max)})
    kept = sum((offer.commission_percentage for offer in chain), Decimal(0))
    share = lead_rules.parse_share(data.share, field="share")
    if kept + share > lead_rules.REFERRER_SHARE_RANGE[1]:
        raise InvalidInput(fields={"share": "errors.referral.chain_share"},
                           params={"max": f"{(lead_rules.REFERRER_SHARE_RANGE[1] - kept):f}"})
    taken = {offer.referrer_professional_id for offer in chain} | {
        offer.receiver_professional_id for offer in chain}
    if data.receiver_professional_id in taken:
        raise InvalidInput(fields={"receiver_professional_id": "errors.referral.in_chain"})
    receiver, message = _offer_terms(session, lead, data)
    if referral.status == ReferralStatus.pending:
        referral.status = rules.move_referral(Party.receiver, referral.status,
                                              ReferralStatus.referred_on)
        referral.decided_by = caller.user_id
        session.add(referral)
        session.flush()
    now = utcnow()
    passed = Referral(
        lead_id=lead.id, referrer_professional_id=referral.receiver_professional_id,
        receiver_professional_id=receiver.id, created_by=me,
        commission_percentage=share, budget=referral.budget, message=message,
        parent_id=referral.id, created_at=now,
        expires_at=rules.referral_expires_at(now, settings.referral_expiry_days))
    session.add(passed)
    session.flush()
    session.add(LeadEvent(lead_id=lead.id, event=LeadEventKind.referral_passed_on,
                          actor_user_id=me, professional_id=receiver.id,
                          referral_id=passed.id))
    session.flush()
    session.refresh(passed)
    _tell_receiver(session, caller, passed, lead)
    return passed


# A page of offers ends at (created_at, id).
REFERRALS_CURSOR = CursorCodec("referrals", tuple[AwareDatetime, uuid.UUID])


def list_referrals(*, session: Session, caller: Caller, direction: Direction,
                   professional_id: uuid.UUID | None = None,
                   status: ReferralStatus | None = None, limit: int = 20,
                   cursor: str | None = None) -> tuple[list[ReferralView], str | None]:
    """Offers the caller's businesses received (`incoming`) or made (`outgoing`), newest first,
    keyset-paginated."""
    users.require_user(caller)
    ids = [professional_id] if professional_id else list(caller.professional_ids)
    for pid in ids:
        require_member(session=session, caller=caller, professional_id=pid)
    side = (Referral.receiver_professional_id if direction == "incoming"
            else Referral.referrer_professional_id)
    query = select(Referral, Lead).join(Lead, col(Lead.id) == Referral.lead_id).where(
        col(side).in_(ids))
    if status is not None:
        query = query.where(Referral.status == status)
    if cursor:
        moment, rid = REFERRALS_CURSOR.decode(cursor)
        query = query.where(tuple_(col(Referral.created_at), col(Referral.id)) < (moment, rid))
    limit = max(1, min(limit, PAGE_MAX))
    rows = list(session.exec(query.order_by(col(Referral.created_at).desc(),
                                            col(Referral.id).desc()).limit(limit + 1)).all())
    page = rows[:limit]
    businesses = {b.id: b for b in session.exec(select(Professional).where(col(Professional.id).in_(
        {r.referrer_professional_id for r, _ in page}
        | {r.receiver_professional_id for r, _ in page}))).all()}
    views = [ReferralView(referral=r, lead=lead,
                          referrer=businesses.get(r.referrer_professional_id),
                          receiver=businesses.get(r.receiver_professional_id))
             for r, lead in page]
    next_cursor = (REFERRALS_CURSOR.encode((page[-1][0].created_at, page[-1][0].id))
                   if len(rows) > limit else None)
    return views, next_cursor


def _find(session: Session, caller: Caller, referral_id: uuid.UUID, party: Party) -> Referral:
    users.require_user(caller)
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("errors.referral.not_found")
    business = (referral.receiver_professional_id if party == Party.receiver
                else referral.referrer_professional_id)
    if business not in caller.professional_ids:
        raise Forbidden(f"errors.referral.{party.value}_only", code=f"not_{party.value}")
    require_member(session=session, caller=caller, professional_id=business)
    return referral


def _check_open(referral: Referral) -> None:
    if referral.status != ReferralStatus.pending:
        raise rules.ReferralClosed(params={"status": str(referral.status)})
    if rules.is_expired(referral.expires_at, utcnow()):
        raise Conflict("errors.referral.expired", code="referral_expired")


def accept_referral(*, session: Session, caller: Caller, referral_id: uuid.UUID,
                    price: Decimal | None = None, ip: str = "",
                    user_agent: str = "") -> tuple[Referral, Proposal]:
    """The receiver claims the lead: an accepted proposal at the offered budget (or `price`),
    the lead awarded to it (it may now see the client: logged), the lead's other offers closed,
    the referrer told. Accepting twice is 409."""
    referral = _find(session, caller, referral_id, Party.receiver)
    me = users.require_user(caller)  # signed in: _find checked it
    _check_open(referral)
    amount = lead_rules.parse_money(price if price is not None else referral.budget,
                                    field="price", minimum=rules.PRICE_MIN)
    lead = lead_service.find_lead(session, referral.lead_id, lock=True)
    referral = session.exec(select(Referral).where(Referral.id == referral_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
    _check_open(referral)
    if lead.status != LeadStatus.active:
        raise proposal_service.LeadNotOpen(params={"status": str(lead.status)})
    lead_service.require_shown(lead)
    proposal = Proposal(lead_id=lead.id, professional_id=referral.receiver_professional_id,
                        created_by=me, origin=ProposalOrigin.referral,
                        status=ProposalStatus.accepted, price=amount,
                        description=referral.message or lead.short_description)
    session.add(proposal)
    session.flush()
    lead.status = lead_rules.next_status(lead.status, Event.award)
    lead.performer_professional_id = referral.receiver_professional_id
    session.add(lead)
    session.flush()
    referral.status = rules.move_referral(Party.receiver, referral.status, ReferralStatus.accepted)
    referral.proposal_id = proposal.id
    referral.decided_by = caller.user_id
    session.add(referral)
    session.flush()
    logs.action("referral", referral.id, "referral accepted", lead=lead.id,
                proposal=proposal.id, professional=referral.receiver_professional_id,
                price=amount)
    proposal_service.grant_access(session, caller, lead, proposal, ip=ip, user_agent=user_agent,
                                  event=LeadEventKind.referral_accepted, referral_id=referral.id)
    # Every referrer of the chain hears it: the job is theirs to follow now.
    _tell_referrer(session, caller, referral, lead, "referral_accepted",
                   businesses=[offer.referrer_professional_id
                               for offer in chain_to(session, referral)])
    proposal_service.tell_rejected(session, caller, lead)
    return referral, proposal


def reject_referral(*, session: Session, caller: Caller, referral_id: uuid.UUID) -> Referral:
    referral = _find(session, caller, referral_id, Party.receiver)
    me = users.require_user(caller)  # signed in: _find checked it
    _check_open(referral)
    referral.status = rules.move_referral(Party.receiver, referral.status, ReferralStatus.rejected)
    referral.decided_by = caller.user_id
    session.add(referral)
    session.add(LeadEvent(lead_id=referral.lead_id, event=LeadEventKind.referral_rejected,
                          actor_user_id=me,
                          professional_id=referral.receiver_professional_id,
                          referral_id=referral.id))
    session.flush()
    _tell_referrer(session, caller, referral, lead_service.find_lead(session, referral.lead_id),
                   "referral_declined")
    return referral


def _tell_referrer(session: Session, caller: Caller, referral: Referral, lead: Lead,
                   template: str, businesses: list[uuid.UUID] | None = None) -> None:
    """The referring business (or `businesses`) hears the receiver's answer."""
    receiver = session.get(Professional, referral.receiver_professional_id)
    notifications.tell(session=session, caller=caller, template=template,
                       businesses=businesses or [referral.referrer_professional_id],
                       params={"lead_title": proposal_service.short_title(lead),
                               "business_name": receiver.business_name if receiver else "",
                               "lead_url": proposal_service.url(f"/pro/leads/{lead.id}")})


def cancel_referral(*, session: Session, caller: Caller, referral_id: uuid.UUID) -> Referral:
    """The referrer takes back an offer that was not answered yet."""
    referral = _find(session, caller, referral_id, Party.referrer)
    if referral.status != ReferralStatus.pending:
        raise rules.ReferralClosed(params={"status": str(referral.status)})
    referral.status = rules.move_referral(Party.referrer, referral.status,
                                          ReferralStatus.cancelled)
    referral.decided_by = caller.user_id
    session.add(referral)
    session.flush()
    return referral


def expire_due(*, session: Session, now: datetime, limit: int = 1000) -> int:
    """Expire pending offers past their time (the `expire_referrals` job, as the system)."""
    due = (select(Referral.id).where(Referral.status == ReferralStatus.pending,
                                     col(Referral.expires_at) <= now)
           .limit(limit).with_for_update(skip_locked=True))
    result = session.execute(update(Referral).where(col(Referral.id).in_(due))
                             .values(status=ReferralStatus.expired, decided_at=now))
    return affected(result)


@dataclass(frozen=True)
class Link:
    """One referrer of a lead's chain and the share of the job it keeps: the owner first, then
    whoever passed the lead on. `referral` is the offer it made (none: the owner's terms on a
    lead won through a proposal, or not awarded yet)."""

    professional_id: uuid.UUID
    share: Decimal
    referral: Referral | None = None


def chain_to(session: Session, referral: Referral) -> list[Referral]:
    """The offers from the owner's down to `referral`, in order."""
    offers = [referral]
    while offers[0].parent_id is not None:
        parent = session.get(Referral, offers[0].parent_id)
        if parent is None:  # not readable: the caller is in no part of this chain
            raise NotFound("errors.referral.not_found")
        offers.insert(0, parent)
    return offers


def agreed_chain(session: Session, lead: Lead) -> tuple[Link, ...]:
    """The referrers a pro lead's deal pays, in order: the chain down to the offer the performer
    accepted, else the owner at the lead's own share (a public lead won through a proposal, or
    not awarded yet). None for a consumer lead, or when the owner performs the job itself."""
    owner = lead.owner_professional_id
    if lead.type != LeadType.professional_referral or owner is None \
            or lead.performer_professional_id == owner:
        return ()
    if lead.performer_professional_id is not None:
        accepted = session.exec(select(Referral).where(
            Referral.lead_id == lead.id, Referral.status == ReferralStatus.accepted,
            Referral.receiver_professional_id == lead.performer_professional_id)).first()
        if accepted is not None:
            return tuple(Link(offer.referrer_professional_id, offer.commission_percentage, offer)
                         for offer in chain_to(session, accepted))
    return (Link(owner, lead.referrer_share_percentage or Decimal("0")),)


def agreed_share(session: Session, lead: Lead) -> Decimal | None:
    """The owner's share for the lead's deal: the one frozen on the offer the chain started
    from, else the lead's own terms (a public pro lead won through a proposal)."""
    chain = agreed_chain(session, lead)
    return chain[0].share if chain else lead.referrer_share_percentage


def deal_terms(session: Session, lead: Lead) -> tuple[Decimal | None, tuple[Link, ...]]:
    """The amount and the referrers a pro lead's split is worked out on: the accepted offer's
    price and the chain agreed for it once awarded; the budget and the owner's current share
    before."""
    winner = session.exec(select(col(Proposal.price)).where(
        Proposal.lead_id == lead.id, Proposal.status == ProposalStatus.accepted)).first()
    return (winner if winner is not None else lead.budget), agreed_chain(session, lead)


@dataclass(frozen=True)
class ChainTerms:
    """What a pro lead's job pays along its chain, as the caller may see it: the amount, the
    referrers in order, and who performs (or would, on accepting the offer it holds)."""

    amount: Decimal | None
    links: tuple[Link, ...]
    performer_id: uuid.UUID | None


def _live_child(session: Session, offer: Referral) -> Referral | None:
    return session.exec(select(Referral).where(
        Referral.parent_id == offer.id, col(Referral.status).in_(
            [ReferralStatus.pending, ReferralStatus.accepted, ReferralStatus.referred_on]))
        .order_by(col(Referral.created_at).desc())).first()


def chain_terms(session: Session, caller: Caller, lead: Lead) -> ChainTerms:
    """The chain a lead's page shows the caller. Once awarded: the deal's chain. Before: for a
    business holding an offer of the lead (or that passed one on), its chain down to the last
    offer made along it, so the receiver sees who earns what before it accepts; for anyone else,
    the owner's own terms."""
    amount, links = deal_terms(session, lead)
    if lead.performer_professional_id is not None or lead.type != LeadType.professional_referral:
        return ChainTerms(amount, links, lead.performer_professional_id)
    held = session.exec(select(Referral).where(
        Referral.lead_id == lead.id,
        col(Referral.receiver_professional_id).in_(list(caller.professional_ids)),
        col(Referral.status).in_([ReferralStatus.pending, ReferralStatus.referred_on]))
        .order_by(col(Referral.created_at).desc())).first()
    if held is None:
        return ChainTerms(amount, links, None)
    end = held
    while end.status == ReferralStatus.referred_on and (child := _live_child(session, end)):
        end = child
    offers = chain_to(session, end)
    return ChainTerms(end.budget, tuple(Link(o.referrer_professional_id, o.commission_percentage, o)
                                        for o in offers),
                      end.receiver_professional_id if end.status == ReferralStatus.pending
                      else None)


@dataclass(frozen=True)
class ChainView:
    """A lead's chain terms with the businesses' names and the split at its amount (none when
    the amount is not known, or below the minimum job amount)."""

    terms: ChainTerms
    names: dict[uuid.UUID, str]
    split: commission_rules.Split | None

    @property
    def fees(self) -> tuple[Decimal | None, ...]:
        """Each referrer's fee, in the chain's order."""
        if self.split is None:
            return (None,) * len(self.terms.links)
        return self.split.referrer_fees or (Decimal("0.00"),) * len(self.terms.links)


def chain_view(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> ChainView:
    """Who earns what of a lead's job along its chain, as the caller may see it (`chain_terms`):
    anyone who may read the lead (403/404 otherwise)."""
    users.require_user(caller)
    lead = lead_service.find_lead(session, lead_id)
    terms = chain_terms(session, caller, lead)
    ids = {link.professional_id for link in terms.links}
    if terms.performer_id is not None:
        ids.add(terms.performer_id)
    businesses = {b.id: b for b in session.exec(
        select(Professional).where(col(Professional.id).in_(ids))).all()}
    split = None
    if terms.amount is not None and lead.type == LeadType.professional_referral:
        performer = businesses.get(terms.performer_id) if terms.performer_id else None
        try:
            split = commission.price_job(session, lead, terms.amount,
                                         shares=[link.share for link in terms.links],
                                         performer=performer).split
        except InvalidInput:
            split = None
    return ChainView(terms=terms, names={b.id: b.business_name for b in businesses.values()},
                     split=split)


@dataclass(frozen=True)
class Passable:
    """An offer the caller's business may pass on now, and the most it may keep (percent)."""

    referral: Referral
    room: Decimal


def passable(session: Session, caller: Caller, lead: Lead) -> Passable | None:
    """The offer of `lead` the caller's business may pass on now, as `refer_on` would accept
    it: one it holds (pending, not expired) or passed on before whose colleague declined or let
    it expire; the lead open and shown; room left in the chain."""
    settings = get_settings()
    if lead.status != LeadStatus.active or lead.hidden_at is not None:
        return None
    held = session.exec(select(Referral).where(
        Referral.lead_id == lead.id,
        col(Referral.receiver_professional_id).in_(list(caller.professional_ids)),
        col(Referral.status).in_([ReferralStatus.pending, ReferralStatus.referred_on]))
        .order_by(col(Referral.created_at).desc())).first()
    if held is None or held.depth >= settings.referral_chain_max:
        return None
    if held.status == ReferralStatus.pending and rules.is_expired(held.expires_at, utcnow()):
        return None
    if held.status == ReferralStatus.referred_on and _live_child(session, held) is not None:
        return None
    kept = sum((offer.commission_percentage for offer in chain_to(session, held)), Decimal(0))
    return Passable(referral=held, room=lead_rules.REFERRER_SHARE_RANGE[1] - kept)
