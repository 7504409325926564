"""Proposals, acceptance and referrals (DESIGN.md §5): `/leads/{id}/proposals`,
`/proposals/{id}/…`, `/leads/{id}/share`, `/referrals`.

A proposal answer carries the proposer's public profile (rating, completed jobs, verified),
never a client's details: those come only from `GET /leads/{id}/contact`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Body, File, Query, Request, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ofair_app.api.deps import ClientIp, CurrentCaller, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routes.leads import LeadOut, view_out
from ofair_app.api.routes.professionals import MAX_UPLOAD_READ, LinkOut
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.cursor import CURSOR_MAX_LENGTH
from ofair_app.domain.identity import is_new_business
from ofair_app.domain.inputs import PlainText
from ofair_app.domain.leads import LeadStatus
from ofair_app.domain.proposals import ProposalOrigin, ProposalStatus, ReferralStatus
from ofair_app.models import (
    Lead,
    Professional,
    Proposal,
    ProposalAttachment,
    ProposalCreate,
    ProposalUpdate,
    ReferOn,
    ReferralCreate,
)
from ofair_app.models._base import Money
from ofair_app.services import leads, payments, proposals, referrals

router = APIRouter(route_class=ExactJsonRoute)


class ProposerOut(BaseModel):
    """The public profile of the business behind an offer."""

    id: uuid.UUID
    business_name: str
    verified: bool
    rating: Decimal
    review_count: int
    completed_jobs: int
    is_new: bool  # no completed job yet and joined recently (domain.identity.is_new_business)

    @classmethod
    def of(cls, business: Professional) -> ProposerOut:
        return cls(id=business.id, business_name=business.business_name,
                   verified=business.verified, rating=business.rating,
                   review_count=business.review_count, completed_jobs=business.completed_jobs,
                   is_new=is_new_business(completed_jobs=business.completed_jobs,
                                          joined_at=business.created_at,
                                          now=datetime.now(UTC)))


class ProposalMediaOut(BaseModel):
    id: uuid.UUID
    proposal_id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int

    @classmethod
    def of(cls, media: ProposalAttachment) -> ProposalMediaOut:
        return cls(id=media.id, proposal_id=media.proposal_id, filename=media.filename,
                   content_type=media.content_type, size_bytes=media.size_bytes)


class ProposalOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    professional_id: uuid.UUID
    price: Decimal
    description: str
    scheduled_date: date | None
    status: ProposalStatus
    origin: ProposalOrigin
    created_at: datetime | None
    decided_at: datetime | None
    professional: ProposerOut | None = None
    media: list[ProposalMediaOut] = []

    @classmethod
    def of(cls, proposal: Proposal, business: Professional | None = None,
           media: list[ProposalAttachment] | None = None) -> ProposalOut:
        return cls(id=proposal.id, lead_id=proposal.lead_id,
                   professional_id=proposal.professional_id, price=proposal.price,
                   description=proposal.description, scheduled_date=proposal.scheduled_date,
                   status=proposal.status, origin=proposal.origin,
                   created_at=proposal.created_at, decided_at=proposal.decided_at,
                   professional=ProposerOut.of(business) if business else None,
                   media=[ProposalMediaOut.of(m) for m in media or []])


class AcceptedOut(BaseModel):
    proposal: ProposalOut
    lead_id: uuid.UUID
    lead_status: LeadStatus
    performer_professional_id: uuid.UUID | None


class BusinessBrief(BaseModel):
    id: uuid.UUID
    business_name: str
    verified: bool


class ReferralLeadOut(BaseModel):
    """The lead as an offer shows it: its public part only."""

    id: uuid.UUID
    title: str
    short_description: str
    category_slug: str
    locality_id: int | None
    status: LeadStatus
    budget: Decimal | None


class ReferralOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    referrer_professional_id: uuid.UUID
    receiver_professional_id: uuid.UUID
    commission_percentage: Decimal
    budget: Decimal
    message: str
    status: ReferralStatus
    proposal_id: uuid.UUID | None
    parent_id: uuid.UUID | None = None  # the offer this one passes on (a chain)
    depth: int = 1  # the referrer's place in its chain (1: the lead's owner)
    expires_at: datetime
    decided_at: datetime | None
    created_at: datetime | None
    lead: ReferralLeadOut | None = None
    referrer: BusinessBrief | None = None
    receiver: BusinessBrief | None = None


def _brief(business: Professional | None) -> BusinessBrief | None:
    return BusinessBrief(id=business.id, business_name=business.business_name,
                         verified=business.verified) if business else None


def _referral_out(referral, lead: Lead | None = None, referrer: Professional | None = None,
                  receiver: Professional | None = None) -> ReferralOut:
    return ReferralOut(
        id=referral.id, lead_id=referral.lead_id,
        referrer_professional_id=referral.referrer_professional_id,
        receiver_professional_id=referral.receiver_professional_id,
        commission_percentage=referral.commission_percentage, budget=referral.budget,
        message=referral.message, status=referral.status, proposal_id=referral.proposal_id,
        parent_id=referral.parent_id, depth=referral.depth, expires_at=referral.expires_at,
        decided_at=referral.decided_at,
        created_at=referral.created_at,
        lead=ReferralLeadOut(id=lead.id, title=lead.title,
                             short_description=lead.short_description,
                             category_slug=lead.category_slug, locality_id=lead.locality_id,
                             status=lead.status, budget=lead.budget) if lead else None,
        referrer=_brief(referrer), receiver=_brief(receiver))


def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


# --- proposals -----------------------------------------------------------------------------


@router.post("/leads/{lead_id}/proposals", status_code=201, response_model=ProposalOut,
             name="create", tags=["proposals"], responses=errors(402, 403, 404, 409))
def create_proposal(lead_id: uuid.UUID, body: ProposalCreate,
                    caller: CurrentCaller) -> ProposalOut:
    """A business offers to do the job: price > 0, description, scheduled date. One live offer
    per business per lead (409), never on its own lead (403), only on an open lead (409)."""
    with unit_of_work(caller) as session:
        proposal = proposals.create_proposal(session=session, caller=caller, lead_id=lead_id,
                                             data=body)
        return ProposalOut.of(proposal, session.get(Professional, proposal.professional_id))


@router.get("/leads/{lead_id}/proposals", response_model=Page[ProposalOut],
            name="list", tags=["proposals"], responses=errors(403, 404))
def list_proposals(lead_id: uuid.UUID, caller: CurrentCaller) -> Page[ProposalOut]:
    """The owner sees every offer with its business's public profile; a business its own."""
    with unit_of_work(caller) as session:
        views = proposals.list_proposals(session=session, caller=caller, lead_id=lead_id)
        media = proposals.list_attachments(session=session, caller=caller, lead_id=lead_id)
        return Page(items=[ProposalOut.of(v.proposal, v.professional,
                                          media.get(v.proposal.id)) for v in views],
                    next_cursor=None)


@router.get("/proposals/mine", response_model=Page[ProposalOut],
            name="mine", tags=["proposals"], responses=errors(403, 404))
def my_proposals(caller: CurrentCaller,
                 professional_id: uuid.UUID | None = None) -> Page[ProposalOut]:
    """The offers the caller's businesses sent, newest first."""
    with unit_of_work(caller) as session:
        rows = proposals.proposals_for_business(session=session, caller=caller,
                                                professional_id=professional_id)
        return Page(items=[ProposalOut.of(p) for p, _ in rows], next_cursor=None)


@router.put("/proposals/{proposal_id}", response_model=ProposalOut,
            name="update", tags=["proposals"], responses=errors(403, 404, 409))
def update_proposal(proposal_id: uuid.UUID, body: ProposalUpdate,
                    caller: CurrentCaller) -> ProposalOut:
    """The proposer edits a pending offer; after acceptance and before payment, the owner or
    the performer may adjust the price only. A checkout open at the old price is closed
    first (the next payment charges the new price); 409 if it was paid meanwhile."""
    return ProposalOut.of(payments.edit_proposal(caller=caller, proposal_id=proposal_id,
                                                 data=body))


@router.post("/proposals/{proposal_id}/withdraw", response_model=ProposalOut,
             name="withdraw", tags=["proposals"], responses=errors(403, 404, 409))
def withdraw_proposal(proposal_id: uuid.UUID, caller: CurrentCaller) -> ProposalOut:
    with unit_of_work(caller) as session:
        return ProposalOut.of(proposals.withdraw_proposal(session=session, caller=caller,
                                                          proposal_id=proposal_id))


@router.post("/proposals/{proposal_id}/accept", response_model=AcceptedOut,
             name="accept", tags=["proposals"], responses=errors(403, 404, 409))
def accept_proposal(proposal_id: uuid.UUID, caller: CurrentCaller, ip: ClientIp,
                    request: Request) -> AcceptedOut:
    """The owner picks this offer: the lead is awarded and the winner may see the client (the
    reveal is logged with IP and user agent); the other offers are rejected. 409 if the lead
    already has a winner."""
    with unit_of_work(caller) as session:
        proposal, lead = proposals.accept_proposal(session=session, caller=caller,
                                                   proposal_id=proposal_id, ip=ip,
                                                   user_agent=_user_agent(request))
        return AcceptedOut(proposal=ProposalOut.of(proposal), lead_id=lead.id,
                           lead_status=lead.status,
                           performer_professional_id=lead.performer_professional_id)


@router.post("/proposals/{proposal_id}/decline", response_model=ProposalOut,
             name="decline", tags=["proposals"], responses=errors(403, 404, 409))
def decline_award(proposal_id: uuid.UUID, caller: CurrentCaller) -> ProposalOut:
    """The winner gives the job back before payment; the lead is open again."""
    with unit_of_work(caller) as session:
        return ProposalOut.of(proposals.decline_award(session=session, caller=caller,
                                                      proposal_id=proposal_id))


@router.post("/leads/{lead_id}/unaward", response_model=LeadOut,
             name="unaward", tags=["proposals"], responses=errors(403, 404, 409))
def unaward(lead_id: uuid.UUID, caller: CurrentCaller, locale: RequestLocale) -> LeadOut:
    """The owner cancels the award before payment; the lead is open again."""
    with unit_of_work(caller) as session:
        proposals.unaward(session=session, caller=caller, lead_id=lead_id)
        return view_out(session, leads.get_lead(session=session, caller=caller,
                                                 lead_id=lead_id), locale)


@router.post("/proposals/{proposal_id}/media", status_code=201,
             response_model=ProposalMediaOut,
             name="add_media", tags=["proposals"], responses=errors(403, 404, 409))
async def add_media(
    proposal_id: uuid.UUID,
    caller: CurrentCaller,
    file: Annotated[UploadFile, File(description="JPEG, PNG or PDF, at most 10 MB")],
) -> ProposalMediaOut:
    """A photo or PDF on a pending offer (multipart), by its business."""
    data = await file.read(MAX_UPLOAD_READ)
    filename = file.filename or ""

    def store() -> ProposalMediaOut:
        with unit_of_work(caller) as session:
            return ProposalMediaOut.of(proposals.add_attachment(
                session=session, caller=caller, proposal_id=proposal_id, filename=filename,
                data=data))

    return await run_in_threadpool(store)


@router.get("/proposal-media/{media_id}/link", response_model=LinkOut,
            name="media_link", tags=["proposals"], responses=errors(403, 404))
def media_link(media_id: uuid.UUID, caller: CurrentCaller) -> LinkOut:
    with unit_of_work(caller) as session:
        url = proposals.attachment_link(session=session, caller=caller, attachment_id=media_id)
    return LinkOut(url=url, expires_in=leads.LINK_SECONDS)


# --- referrals -----------------------------------------------------------------------------


@router.post("/leads/{lead_id}/share", status_code=201, response_model=ReferralOut,
             name="share", tags=["referrals"], responses=errors(403, 404, 409))
def share_lead(lead_id: uuid.UUID, body: ReferralCreate, caller: CurrentCaller) -> ReferralOut:
    """The owner business offers its pro lead to another business, at the lead's current terms
    (frozen on the offer)."""
    with unit_of_work(caller) as session:
        return _referral_out(referrals.share_lead(session=session, caller=caller,
                                                  lead_id=lead_id, data=body))


@router.get("/referrals", response_model=Page[ReferralOut],
            name="list", tags=["referrals"], responses=errors(403, 404))
def list_referrals(
    caller: CurrentCaller,
    direction: Literal["incoming", "outgoing"] = "incoming",
    status: ReferralStatus | None = None,
    professional_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=referrals.PAGE_MAX)] = 20,
    cursor: Annotated[PlainText | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> Page[ReferralOut]:
    with unit_of_work(caller) as session:
        views, next_cursor = referrals.list_referrals(
            session=session, caller=caller, direction=direction, status=status,
            professional_id=professional_id, limit=limit, cursor=cursor)
        return Page(items=[_referral_out(v.referral, v.lead, v.referrer, v.receiver)
                           for v in views], next_cursor=next_cursor)


class AcceptReferralIn(BaseModel):
    price: Money | None = None  # the offered budget when absent


@router.post("/referrals/{referral_id}/accept", response_model=ReferralOut,
             name="accept", tags=["referrals"], responses=errors(403, 404, 409))
def accept_referral(referral_id: uuid.UUID, caller: CurrentCaller, ip: ClientIp,
                    request: Request,
                    body: Annotated[AcceptReferralIn | None, Body()] = None) -> ReferralOut:
    """The receiver claims the lead: it becomes the performer (an accepted proposal at the
    offered budget), may see the client (logged), and the lead's other offers expire. Twice:
    409."""
    with unit_of_work(caller) as session:
        referral, _ = referrals.accept_referral(
            session=session, caller=caller, referral_id=referral_id,
            price=body.price if body else None, ip=ip, user_agent=_user_agent(request))
        return _referral_out(referral)


@router.post("/referrals/{referral_id}/refer-on", status_code=201, response_model=ReferralOut,
             name="refer_on", tags=["referrals"], responses=errors(403, 404, 409))
def refer_on(referral_id: uuid.UUID, body: ReferOn, caller: CurrentCaller) -> ReferralOut:
    """The receiver passes the lead on to a colleague instead of performing it, keeping `share`
    percent of the job (frozen on the new offer): up to REFERRAL_CHAIN_MAX referrers, no
    business twice, the referrers' shares together at most 90 %. Answers the new offer."""
    with unit_of_work(caller) as session:
        return _referral_out(referrals.refer_on(session=session, caller=caller,
                                                referral_id=referral_id, data=body))


class ChainLinkOut(BaseModel):
    professional_id: uuid.UUID
    business_name: str
    share: Decimal  # percent of the job's amount
    fee: Decimal | None  # at the amount below; none when the amount is not known


class ChainPerformerOut(BaseModel):
    professional_id: uuid.UUID
    business_name: str
    net: Decimal | None


class ChainOut(BaseModel):
    """Who earns what of a pro lead's job along its referral chain, as the caller may see it."""

    lead_id: uuid.UUID
    amount: Decimal | None
    referrers: list[ChainLinkOut]
    performer: ChainPerformerOut | None
    platform_commission: Decimal | None
    platform_rate_pct: Decimal | None


@router.get("/leads/{lead_id}/chain", response_model=ChainOut,
            name="chain", tags=["referrals"], responses=errors(403, 404))
def lead_chain(lead_id: uuid.UUID, caller: CurrentCaller) -> ChainOut:
    """Once awarded, the deal's chain; before, the chain down to the offer the caller holds
    (or passed on), so a receiver sees who earns what before it accepts; for anyone else the
    owner's own terms."""
    with unit_of_work(caller) as session:
        view = referrals.chain_view(session=session, caller=caller, lead_id=lead_id)
        return ChainOut(
            lead_id=lead_id, amount=view.terms.amount,
            referrers=[ChainLinkOut(professional_id=link.professional_id,
                                    business_name=view.names.get(link.professional_id, ""),
                                    share=link.share, fee=fee)
                       for link, fee in zip(view.terms.links, view.fees, strict=True)],
            performer=ChainPerformerOut(
                professional_id=view.terms.performer_id,
                business_name=view.names.get(view.terms.performer_id, ""),
                net=view.split.professional_net_amount if view.split else None)
            if view.terms.performer_id else None,
            platform_commission=view.split.platform_commission if view.split else None,
            platform_rate_pct=view.split.platform_rate_pct if view.split else None)


@router.post("/referrals/{referral_id}/reject", response_model=ReferralOut,
             name="reject", tags=["referrals"], responses=errors(403, 404, 409))
def reject_referral(referral_id: uuid.UUID, caller: CurrentCaller) -> ReferralOut:
    with unit_of_work(caller) as session:
        return _referral_out(referrals.reject_referral(session=session, caller=caller,
                                                       referral_id=referral_id))


@router.post("/referrals/{referral_id}/cancel", response_model=ReferralOut,
             name="cancel", tags=["referrals"], responses=errors(403, 404, 409))
def cancel_referral(referral_id: uuid.UUID, caller: CurrentCaller) -> ReferralOut:
    """The referrer takes back an offer not yet answered."""
    with unit_of_work(caller) as session:
        return _referral_out(referrals.cancel_referral(session=session, caller=caller,
                                                       referral_id=referral_id))
