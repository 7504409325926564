"""`/leads`: posting, reading, editing and cancelling leads; the public board and a business's
own board; the client's details for those who may see them; attachments.

A lead answered to anyone but its owner has no client fields at all (not masked: absent).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from ofair_app import reference
from ofair_app.api.deps import ClientIp, CurrentCaller, OptionalCaller, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routes.professionals import MAX_UPLOAD_READ, CategoryRef, LinkOut
from ofair_app.api.routes.reference import LocalityOut, locality_out
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.cursor import CURSOR_MAX_LENGTH
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.inputs import Latitude, Longitude, PlainText
from ofair_app.domain.lead_actions import LeadAction, ViewerRole
from ofair_app.domain.leads import (
    LeadStatus,
    LeadType,
    LeadVisibility,
    PreferredSchedule,
    parse_money,
    parse_share,
)
from ofair_app.domain.tiers import Tier
from ofair_app.models import (
    AccessReason,
    Lead,
    LeadAttachment,
    LeadCreate,
    LeadUpdate,
    Professional,
)
from ofair_app.models._base import Money, Percent
from ofair_app.services import board, lead_actions, leads, unlocks
from ofair_app.services.leads import ClientDetails, LeadView

router = APIRouter(route_class=ExactJsonRoute)

# What a stranger learns of where a lead is: about a kilometre, never a doorstep.
PUBLIC_COORDINATE_PLACES = 2


class BusinessRef(BaseModel):
    id: uuid.UUID
    business_name: str
    verified: bool


class UnlockOfferOut(BaseModel):
    """What unlocking a direct-contact lead's client costs (ILS) and the places left."""

    price_before_vat: Decimal
    vat: Decimal
    price: Decimal
    places_left: int
    max_unlocks: int

    @classmethod
    def of(cls, offer: unlocks.Offer | None) -> UnlockOfferOut | None:
        if offer is None:
            return None
        return cls(price_before_vat=offer.price.before_vat, vat=offer.price.vat,
                   price=offer.price.total, places_left=offer.places_left,
                   max_unlocks=offer.most)


class LeadPublicBase(BaseModel):
    """What anyone may see of a lead, on a card or its page."""

    id: uuid.UUID
    type: LeadType
    title: str
    short_description: str
    category: CategoryRef
    subcategory: CategoryRef | None
    locality: LocalityOut | None
    lat: float
    lon: float
    budget: Decimal | None
    referrer_share_percentage: Decimal | None
    preferred_schedule: PreferredSchedule
    proposal_count: int
    professional: BusinessRef | None
    # The consumer lets professionals contact them directly: a business may pay to unlock
    # the client's details.
    direct_contact: bool = False
    unlock: UnlockOfferOut | None = None


class LeadOut(LeadPublicBase):
    """A lead without its client: what everyone but the owner gets."""

    preferred_date: date | None
    status: LeadStatus
    created_at: datetime | None
    is_mine: bool
    can_view_contact: bool
    # An admin took it off the board (no offers, referrals or awards meanwhile); the reason
    # only for its owner and admins.
    hidden: bool = False
    hidden_reason: str | None = None
    # On `GET /leads/{id}` only: the caller's part in the lead and the steps open to them now
    # (services/lead_actions.for_viewer, what the app's own lead pages render from).
    viewer_role: ViewerRole | None = None
    actions: list[LeadAction] | None = None


class ClientOut(BaseModel):
    client_name: str
    client_phone: str
    client_address: str
    full_description: str

    @classmethod
    def of(cls, client: ClientDetails) -> ClientOut:
        return cls(client_name=client.name, client_phone=client.phone,
                   client_address=client.address, full_description=client.full_description)


class LeadOwnerOut(LeadOut):
    """What the owner sees on top: the client's details and the lead's visibility."""

    visibility: LeadVisibility
    client: ClientOut
    updated_at: datetime | None


class ContactOut(ClientOut):
    lead_id: uuid.UUID


class BoardCardOut(LeadPublicBase):
    """A card on the board: how far, how new, and whether it is pinned."""

    created_at: datetime
    pinned: bool
    distance_km: float | None


class BoardPage(Page[BoardCardOut]):
    """A page of cards; on a business's own board, the business it was made for."""

    professional_id: uuid.UUID | None = None


class AttachmentOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    created_at: datetime | None

    @classmethod
    def of(cls, attachment: LeadAttachment) -> AttachmentOut:
        return cls(id=attachment.id, lead_id=attachment.lead_id, filename=attachment.filename,
                   content_type=attachment.content_type, size_bytes=attachment.size_bytes,
                   created_at=attachment.created_at)


class AmountsOut(BaseModel):
    final_amount: Decimal
    platform_commission: Decimal
    referrer_fee: Decimal
    professional_net_amount: Decimal
    platform_rate_pct: Decimal


# --- shaping -----------------------------------------------------------------------------


def _category(slug: str, locale: str) -> CategoryRef:
    category = reference.category(slug)
    return CategoryRef(slug=slug, name=category.name(locale) if category else slug)


def _subcategory(slug: str | None, locale: str) -> CategoryRef | None:
    if not slug:
        return None
    found = reference.subcategory(slug)
    return CategoryRef(slug=slug, name=found[1].name(locale) if found else slug)


def _locality(locality_id: int | None, locale: str) -> LocalityOut | None:
    locality = reference.locality(locality_id) if locality_id is not None else None
    return locality_out(locality, locale) if locality else None


def _business(professional: Professional | None) -> BusinessRef | None:
    if professional is None:
        return None
    return BusinessRef(id=professional.id, business_name=professional.business_name,
                       verified=professional.verified)


def lead_out(view: LeadView, locale: str, business: Professional | None) -> LeadOut:
    lead: Lead = view.lead
    is_mine = view.relation is not None and str(view.relation) == "owner"
    places = None if is_mine else PUBLIC_COORDINATE_PLACES
    out = LeadOut(
        id=lead.id, type=lead.type, title=lead.title,
        short_description=lead.short_description,
        category=_category(lead.category_slug, locale),
        subcategory=_subcategory(lead.subcategory_slug, locale),
        locality=_locality(lead.locality_id, locale),
        lat=round(lead.lat, places) if places else lead.lat,
        lon=round(lead.lon, places) if places else lead.lon,
        budget=lead.budget, referrer_share_percentage=lead.referrer_share_percentage,
        preferred_schedule=lead.preferred_schedule, preferred_date=lead.preferred_date,
        status=lead.status, proposal_count=lead.proposal_count, professional=_business(business),
        created_at=lead.created_at, is_mine=is_mine, can_view_contact=view.can_view_contact,
        hidden=lead.hidden_at is not None, direct_contact=lead.direct_contact,
        unlock=UnlockOfferOut.of(unlocks.offer(lead.category_slug, lead.unlock_count)
                                 if lead.direct_contact else None),
        hidden_reason=(lead.hidden_reason if view.relation in (AccessReason.owner,
                                                               AccessReason.admin) else None))
    if view.client is None:
        return out
    # `dict(out)` is the lead's fields, shallow: nested models pass through as they are.
    return LeadOwnerOut(**dict(out), visibility=lead.visibility,
                        client=ClientOut.of(view.client), updated_at=lead.updated_at)


def card_out(card: board.BoardCard, locale: str) -> BoardCardOut:
    return BoardCardOut(
        id=card.lead_id, type=card.type, title=card.title,
        short_description=card.short_description,
        category=_category(card.category_slug, locale),
        subcategory=_subcategory(card.subcategory_slug, locale),
        locality=_locality(card.locality_id, locale),
        lat=round(card.lat, PUBLIC_COORDINATE_PLACES),
        lon=round(card.lon, PUBLIC_COORDINATE_PLACES),
        budget=card.budget, referrer_share_percentage=card.referrer_share_percentage,
        preferred_schedule=PreferredSchedule(card.preferred_schedule),
        proposal_count=card.proposal_count, created_at=card.created_at, pinned=card.pinned,
        distance_km=card.distance_km, professional=_business(card.business),
        direct_contact=card.unlock is not None, unlock=UnlockOfferOut.of(card.unlock))


def view_out(session: Session, view: LeadView, locale: str) -> LeadOut:
    return lead_out(view, locale, leads.owner_business(session, view.lead))


# --- posting and reading -----------------------------------------------------------------


@router.post("/leads", status_code=201, response_model=LeadOwnerOut,
             name="create", tags=["leads"], responses=errors(403, 404, 409))
def create_lead(body: LeadCreate, caller: CurrentCaller, locale: RequestLocale) -> LeadOut:
    """Post a consumer request (`type=consumer`) or a professional lead
    (`type=professional_referral`, with `professional_id`, `budget`,
    `referrer_share_percentage` 0–90 and `visibility`). 422 names every bad field."""
    with unit_of_work(caller) as session:
        lead = leads.create_lead(session=session, caller=caller, data=body)
        return view_out(session, leads.get_lead(session=session, caller=caller,
                                                 lead_id=lead.id), locale)


def _filters(category: str | None, subcategory: str | None, lat: float | None, lon: float | None,
             radius_km: float | None, budget_min: Decimal | None, budget_max: Decimal | None,
             type: LeadType | None, q: str | None, subscribed_only: bool) -> board.BoardFilters:
    return board.BoardFilters(category=category, subcategory=subcategory, lat=lat, lon=lon,
                              radius_km=radius_km, budget_min=budget_min, budget_max=budget_max,
                              type=type, q=q, subscribed_only=subscribed_only)


@router.get("/leads/public", response_model=BoardPage,
            name="public", tags=["leads"])
def public_board(
    caller: OptionalCaller,
    locale: RequestLocale,
    category: Annotated[PlainText | None, Query(max_length=64)] = None,
    subcategory: Annotated[PlainText | None, Query(max_length=64)] = None,
    lat: Annotated[Latitude | None, Query()] = None,
    lon: Annotated[Longitude | None, Query()] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=200, allow_inf_nan=False)] = None,
    budget_min: Annotated[Money | None, Query()] = None,
    budget_max: Annotated[Money | None, Query()] = None,
    type: Annotated[LeadType | None, Query()] = None,
    q: Annotated[PlainText | None, Query(max_length=80)] = None,
    subscribed_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=board.PAGE_MAX)] = 20,
    cursor: Annotated[PlainText | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> BoardPage:
    """Open public leads for anyone: pinned (subscribers') first, then newest. Never a client
    detail. `next_cursor` fetches the next page."""
    filters = _filters(category, subcategory, lat, lon, radius_km, budget_min, budget_max, type,
                       q, subscribed_only)
    with unit_of_work(caller) as session:
        cards, next_cursor = board.search(session=session, filters=filters, limit=limit,
                                          cursor=cursor)
        return BoardPage(items=[card_out(c, locale) for c in cards], next_cursor=next_cursor)


@router.get("/leads/board", response_model=BoardPage,
            name="board", tags=["leads"], responses=errors(403, 404))
def business_board(
    caller: CurrentCaller,
    locale: RequestLocale,
    professional_id: uuid.UUID | None = None,
    subcategory: Annotated[PlainText | None, Query(max_length=64)] = None,
    lat: Annotated[Latitude | None, Query()] = None,
    lon: Annotated[Longitude | None, Query()] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=200, allow_inf_nan=False)] = None,
    budget_min: Annotated[Money | None, Query()] = None,
    budget_max: Annotated[Money | None, Query()] = None,
    type: Annotated[LeadType | None, Query()] = None,
    q: Annotated[PlainText | None, Query(max_length=80)] = None,
    subscribed_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=board.PAGE_MAX)] = 20,
    cursor: Annotated[PlainText | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> BoardPage:
    """The calling business's board: its category, within its service area (or `radius_km`
    around `lat`/`lon`), without its own leads. Members only."""
    filters = _filters(None, subcategory, lat, lon, radius_km, budget_min, budget_max, type, q,
                       subscribed_only)
    with unit_of_work(caller) as session:
        business, cards, next_cursor = board.for_business(
            session=session, caller=caller, professional_id=professional_id, filters=filters,
            limit=limit, cursor=cursor)
        return BoardPage(items=[card_out(c, locale) for c in cards], next_cursor=next_cursor,
                         professional_id=business.id)


@router.get("/leads/mine", response_model=Page[LeadOwnerOut | LeadOut],
            name="mine", tags=["leads"], responses=errors(403, 404))
def my_leads(caller: CurrentCaller, locale: RequestLocale,
             professional_id: uuid.UUID | None = None, status: LeadStatus | None = None,
             limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Page[LeadOwnerOut | LeadOut]:
    """The caller's own requests, or (with `professional_id`) a business's leads, each with its
    client. An admin reading a business's leads gets them without their clients, like any
    lead an admin reads: `can_view_contact`, and `/contact` logs the read."""
    with unit_of_work(caller) as session:
        rows = leads.my_leads(session=session, caller=caller, professional_id=professional_id,
                              status=status, limit=limit)
        return Page[LeadOwnerOut | LeadOut](items=[
            view_out(session, leads.get_lead(session=session, caller=caller, lead_id=lead.id),
                     locale)
            for lead in rows])


@router.get("/leads/{lead_id}", response_model=LeadOwnerOut | LeadOut,
            name="get", tags=["leads"], responses=errors(403, 404))
def get_lead(lead_id: uuid.UUID, caller: OptionalCaller, locale: RequestLocale) -> LeadOut:
    """A lead. Its client's details only for its owner; the accepted performer and admins see
    `can_view_contact` and ask `/contact`, which logs the read. `viewer_role` and `actions`
    say which steps are the caller's now (`view_performer`: ask `/performer`)."""
    with unit_of_work(caller) as session:
        out = view_out(session, leads.get_lead(session=session, caller=caller,
                                                lead_id=lead_id), locale)
        viewer = lead_actions.for_viewer(session=session, caller=caller, lead_id=lead_id)
    out.viewer_role, out.actions = viewer.role, sorted(viewer.actions)
    return out


@router.get("/leads/{lead_id}/contact", response_model=ContactOut,
            name="contact", tags=["leads"], responses=errors(403, 404))
def lead_contact(lead_id: uuid.UUID, caller: CurrentCaller, ip: ClientIp,
                 request: Request) -> ContactOut:
    """The client's name, phone and address: owner, accepted performer, admin (each read by the
    performer or an admin is logged). Anyone else: 403, and nothing is logged."""
    with unit_of_work(caller) as session:
        client = leads.reveal_contact(session=session, caller=caller, lead_id=lead_id, ip=ip,
                                      user_agent=request.headers.get("user-agent", ""))
    return ContactOut(lead_id=lead_id, **ClientOut.of(client).model_dump())


class PerformerOut(BaseModel):
    """The winner's contact card, for the lead's owner once an award stands."""

    lead_id: uuid.UUID
    professional_id: uuid.UUID
    business_name: str
    phone: str
    profile_url: str


@router.get("/leads/{lead_id}/performer", response_model=PerformerOut,
            name="performer", tags=["leads"], responses=errors(403, 404))
def lead_performer(lead_id: uuid.UUID, caller: CurrentCaller, ip: ClientIp,
                   request: Request) -> PerformerOut:
    """The chosen business's name, phone and public page: for the lead's owner (and admins)
    while the award stands; each read is logged. Anyone else: 403, and nothing is logged."""
    with unit_of_work(caller) as session:
        contact = lead_actions.reveal_performer(
            session=session, caller=caller, lead_id=lead_id, ip=ip,
            user_agent=request.headers.get("user-agent", ""))
    return PerformerOut(lead_id=lead_id, professional_id=contact.professional_id,
                        business_name=contact.business_name, phone=contact.phone,
                        profile_url=f"/pros/{contact.professional_id}")


@router.put("/leads/{lead_id}", response_model=LeadOwnerOut,
            name="update", tags=["leads"], responses=errors(403, 404, 409))
def update_lead(lead_id: uuid.UUID, body: LeadUpdate, caller: CurrentCaller,
                locale: RequestLocale) -> LeadOut:
    """The owner edits the lead while it is open; 409 once it is awarded or closed."""
    with unit_of_work(caller) as session:
        leads.update_lead(session=session, caller=caller, lead_id=lead_id, data=body)
        return view_out(session, leads.get_lead(session=session, caller=caller,
                                                 lead_id=lead_id), locale)


@router.post("/leads/{lead_id}/cancel", response_model=LeadOwnerOut,
             name="cancel", tags=["leads"], responses=errors(403, 404, 409))
def cancel_lead(lead_id: uuid.UUID, caller: CurrentCaller, locale: RequestLocale) -> LeadOut:
    """The owner withdraws the lead (409 once it is paid for, or already cancelled)."""
    with unit_of_work(caller) as session:
        leads.cancel_lead(session=session, caller=caller, lead_id=lead_id)
        return view_out(session, leads.get_lead(session=session, caller=caller,
                                                 lead_id=lead_id), locale)


# --- attachments -------------------------------------------------------------------------


@router.post("/leads/{lead_id}/attachments", status_code=201, response_model=AttachmentOut,
             name="add_attachment", tags=["leads"], responses=errors(403, 404, 409))
async def add_attachment(
    lead_id: uuid.UUID,
    caller: CurrentCaller,
    file: Annotated[UploadFile, File(description="JPEG, PNG or PDF, at most 10 MB")],
) -> AttachmentOut:
    """A photo or document of the job (multipart), by the owner while the lead is open."""
    data = await file.read(MAX_UPLOAD_READ)
    filename = file.filename or ""

    def store() -> AttachmentOut:
        with unit_of_work(caller) as session:
            return AttachmentOut.of(leads.add_attachment(
                session=session, caller=caller, lead_id=lead_id, filename=filename, data=data))

    return await run_in_threadpool(store)


@router.get("/leads/{lead_id}/attachments", response_model=list[AttachmentOut],
            name="attachments", tags=["leads"], responses=errors(403, 404))
def list_attachments(lead_id: uuid.UUID, caller: CurrentCaller) -> list[AttachmentOut]:
    with unit_of_work(caller) as session:
        return [AttachmentOut.of(a) for a in leads.list_attachments(
            session=session, caller=caller, lead_id=lead_id)]


@router.get("/lead-attachments/{attachment_id}/link", response_model=LinkOut,
            name="attachment_link", tags=["leads"], responses=errors(403, 404))
def attachment_link(attachment_id: uuid.UUID, caller: CurrentCaller) -> LinkOut:
    """A five-minute download link, for those who may see the lead's client."""
    with unit_of_work(caller) as session:
        url = leads.attachment_link(session=session, caller=caller, attachment_id=attachment_id)
    return LinkOut(url=url, expires_in=leads.LINK_SECONDS)


@router.delete("/lead-attachments/{attachment_id}", status_code=204,
               name="delete_attachment", tags=["leads"], responses=errors(403, 404, 409))
def delete_attachment(attachment_id: uuid.UUID, caller: CurrentCaller) -> Response:
    with unit_of_work(caller) as session:
        leads.delete_attachment(session=session, caller=caller, attachment_id=attachment_id)
    return Response(status_code=204)


# --- what a job would pay ----------------------------------------------------------------


@router.get("/commission/preview", response_model=AmountsOut,
            name="preview", tags=["commission"])
def commission_preview(
    amount: Annotated[Money, Query()],
    type: LeadType = LeadType.professional_referral,
    referrer_share_percentage: Annotated[Percent, Query()] = Decimal("0"),
    subscribed: bool = False,
    tier: Tier | None = None,
) -> AmountsOut:
    """How `amount` would split between the platform, the referrer and the performer (a
    subscribing performer's, and one of a performance `tier`, at their discounts)."""
    final_amount = parse_money(amount, field="amount")
    share = parse_share(referrer_share_percentage)
    try:
        split = leads.split_at(final_amount, type, shares=(share,), subscribed=subscribed,
                               tier=tier)
    except InvalidInput as error:  # name the query parameter the caller sent
        fields = {("amount" if k == "final_amount" else k): v for k, v in error.fields.items()}
        raise InvalidInput(error.message_key, fields=fields, params=error.params) from None
    return AmountsOut(final_amount=split.final_amount,
                      platform_commission=split.platform_commission,
                      referrer_fee=split.referrer_fee,
                      professional_net_amount=split.professional_net_amount,
                      platform_rate_pct=split.platform_rate_pct)
