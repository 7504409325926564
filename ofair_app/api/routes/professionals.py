"""`/professionals`: opening a business, its profile, team and certificates; the public
directory; admin verification. Public answers never carry a phone number or an e-mail."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ofair_app import reference
from ofair_app.api.deps import AdminCaller, ClientIp, CurrentCaller, OptionalCaller, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routes.reference import LocalityOut, locality_out
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import Caller, unit_of_work
from ofair_app.domain.cursor import CURSOR_MAX_LENGTH
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.inputs import IntId, MultilineText, PlainText
from ofair_app.domain.invitations import InvitationStatus
from ofair_app.domain.tiers import Requirement, Tier
from ofair_app.models import Certificate, MemberRole, Professional, ProfessionalStatus
from ofair_app.models.tenancy import ProfessionalCreate, ProfessionalUpdate
from ofair_app.services import certificates, invitations, professionals, tiers
from ofair_app.services.professionals import Member

router = APIRouter(route_class=ExactJsonRoute)

MAX_UPLOAD_READ = 10 * 1024 * 1024 + 1  # one byte past the limit is enough to refuse


class CategoryRef(BaseModel):
    slug: str
    name: str


class ProfessionalOut(BaseModel):
    """The public profile: what anyone may see."""

    id: uuid.UUID
    business_name: str
    category: CategoryRef
    subcategories: list[CategoryRef]
    specialties: list[str]
    about: str
    locality: LocalityOut | None
    service_radius_km: int
    rating: Decimal
    review_count: int
    verified: bool
    created_at: datetime | None


class ProfessionalPrivateOut(ProfessionalOut):
    """What members and admins see on top: the business ID, the status, the caller's role."""

    business_id: str
    status: ProfessionalStatus
    verified_at: datetime | None
    my_role: MemberRole | None = None


class MemberOut(BaseModel):
    user_id: uuid.UUID
    name: str
    phone: str | None
    role: MemberRole
    joined_at: datetime | None

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        return cls(user_id=member.user_id, name=member.name, phone=member.phone,
                   role=member.role, joined_at=member.joined_at)


class InviteIn(BaseModel):
    """Whom to invite: a mobile phone or an e-mail address (one of them). Invitees join as
    staff; an owner makes an accepted member an owner afterwards."""

    phone: PlainText | None = Field(default=None, max_length=32)
    email: PlainText | None = Field(default=None, max_length=254)
    role: Literal["staff"] = "staff"


class InvitationOut(BaseModel):
    """An invitation as the business sees it: the number or address as given (normalized),
    never whose it is or whether it has an account."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    professional_id: uuid.UUID
    phone: str | None
    email: str | None
    role: MemberRole
    status: InvitationStatus
    expires_at: datetime
    created_at: datetime | None
    send_count: int
    last_sent_at: datetime | None


class MyInvitationOut(BaseModel):
    """An invitation as its invitee sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    professional_id: uuid.UUID
    business_name: str
    role: MemberRole
    expires_at: datetime
    created_at: datetime | None


class RoleIn(BaseModel):
    role: MemberRole


class CertificateOut(BaseModel):
    id: uuid.UUID
    professional_id: uuid.UUID
    title: str
    filename: str
    content_type: str
    size_bytes: int
    status: str
    created_at: datetime | None

    @classmethod
    def of(cls, certificate: Certificate) -> CertificateOut:
        return cls(id=certificate.id, professional_id=certificate.professional_id,
                   title=certificate.title, filename=certificate.filename,
                   content_type=certificate.content_type, size_bytes=certificate.size_bytes,
                   status=str(certificate.status), created_at=certificate.created_at)


class LinkOut(BaseModel):
    url: str
    expires_in: int


class AdminActionIn(BaseModel):
    note: MultilineText = Field(default="", max_length=500)


def _category_ref(slug: str, locale: str) -> CategoryRef:
    category = reference.category(slug)
    return CategoryRef(slug=slug, name=category.name(locale) if category else slug)


def _sub_ref(slug: str, locale: str) -> CategoryRef:
    found = reference.subcategory(slug)
    return CategoryRef(slug=slug, name=found[1].name(locale) if found else slug)


def public_out(professional: Professional, locale: str) -> ProfessionalOut:
    locality = reference.locality(professional.locality_id)
    return ProfessionalOut(
        id=professional.id, business_name=professional.business_name,
        category=_category_ref(professional.category_slug, locale),
        subcategories=[_sub_ref(s, locale) for s in professional.subcategory_slugs],
        specialties=list(professional.specialties), about=professional.about,
        locality=locality_out(locality, locale) if locality else None,
        service_radius_km=professional.service_radius_km, rating=professional.rating,
        review_count=professional.review_count, verified=professional.verified,
        created_at=professional.created_at)


def private_out(professional: Professional, locale: str,
                my_role: MemberRole | None = None) -> ProfessionalPrivateOut:
    return ProfessionalPrivateOut(
        **public_out(professional, locale).model_dump(), business_id=professional.business_id,
        status=professional.status, verified_at=professional.verified_at, my_role=my_role)


def _can_see_private(caller: Caller, professional_id: uuid.UUID) -> bool:
    return caller.role == "admin" or professional_id in caller.professional_ids


# --- opening and the directory -------------------------------------------------------------


@router.post("/professionals", status_code=201, response_model=ProfessionalPrivateOut,
             name="create", tags=["professionals"], responses=errors(403, 409))
def create_professional(body: ProfessionalCreate, caller: CurrentCaller,
                        locale: RequestLocale) -> ProfessionalPrivateOut:
    """Open a business: the caller becomes its owner. 422 for a business ID whose check digit
    fails or an unknown category or locality; 409 if the business ID is already registered."""
    with unit_of_work(caller) as session:
        professional = professionals.create_professional(session=session, caller=caller,
                                                         data=body)
        return private_out(professional, locale, MemberRole.owner)


@router.get("/professionals", response_model=Page[ProfessionalOut],
            name="list", tags=["professionals"])
def list_professionals(
    caller: OptionalCaller,
    locale: RequestLocale,
    category: Annotated[PlainText | None, Query(max_length=64)] = None,
    locality: Annotated[IntId | None, Query()] = None,
    q: Annotated[PlainText | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[PlainText | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> Page[ProfessionalOut]:
    """The public directory: filter by category, a locality the business serves, and text."""
    if category and reference.category(category) is None:
        raise InvalidInput(fields={"category": "errors.category.unknown"})
    with unit_of_work(caller) as session:
        rows, next_cursor = professionals.search_directory(
            session=session, category=category, locality_id=locality, q=q, limit=limit,
            cursor=cursor)
        return Page[ProfessionalOut](items=[public_out(p, locale) for p in rows],
                                     next_cursor=next_cursor)


@router.get("/professionals/mine", response_model=list[ProfessionalPrivateOut],
            name="mine", tags=["professionals"], responses=errors(403))
def my_professionals(caller: CurrentCaller, locale: RequestLocale) -> list[ProfessionalPrivateOut]:
    """The businesses the caller belongs to, with their role in each."""
    with unit_of_work(caller) as session:
        return [private_out(p, locale, role)
                for p, role in professionals.my_professionals(session=session, caller=caller)]


@router.get("/professionals/{professional_id}",
            response_model=ProfessionalPrivateOut | ProfessionalOut,
            name="get", tags=["professionals"], responses=errors(404))
def get_professional(professional_id: uuid.UUID, caller: OptionalCaller,
                     locale: RequestLocale) -> ProfessionalOut:
    """The public profile; members and admins also get the business ID and status."""
    with unit_of_work(caller) as session:
        professional = professionals.get_professional(session=session,
                                                      professional_id=professional_id)
        if _can_see_private(caller, professional_id):
            return private_out(professional, locale)
        return public_out(professional, locale)


class TierCheckOut(BaseModel):
    requirement: Requirement
    needed: str  # jobs, a rating, minutes, disputes: the threshold
    have: str  # the business's figure ("" when it has none yet)
    met: bool


class TierFiguresOut(BaseModel):
    """The last 90 days as the month's evaluation counted them."""

    month: date
    completed_jobs: int
    rating: Decimal | None
    response_minutes: int | None
    disputes_lost: int
    previous_tier: Tier


class TierOut(BaseModel):
    professional_id: uuid.UUID
    tier: Tier
    since: datetime | None
    commission_discount_pct: Decimal  # off the platform's rate
    # The business's own members and admins only:
    figures: TierFiguresOut | None = None
    next_tier: Tier | None = None
    next_requires: list[TierCheckOut] = []


@router.get("/professionals/{professional_id}/tier", response_model=TierOut,
            name="tier", tags=["professionals"], responses=errors(404))
def get_tier(professional_id: uuid.UUID, caller: OptionalCaller) -> TierOut:
    """The business's performance tier (Bronze, Silver, Gold, Premium), given monthly by the
    `update_tiers` job. Its members and admins also get the figures it was given on and what
    the next tier requires against them."""
    with unit_of_work(caller) as session:
        view = tiers.tier_view(session=session, caller=caller, professional_id=professional_id)
    evaluation = view.evaluation
    return TierOut(
        professional_id=view.professional_id, tier=view.tier, since=view.since,
        commission_discount_pct=view.discount_pct,
        figures=TierFiguresOut(month=evaluation.month, completed_jobs=evaluation.completed_jobs,
                               rating=evaluation.rating,
                               response_minutes=evaluation.response_minutes,
                               disputes_lost=evaluation.disputes_lost,
                               previous_tier=evaluation.previous_tier)
        if evaluation is not None else None,
        next_tier=view.next_tier,
        next_requires=[TierCheckOut(requirement=c.requirement, needed=c.needed, have=c.have,
                                    met=c.met) for c in view.next_checks])


@router.put("/professionals/{professional_id}", response_model=ProfessionalPrivateOut,
            name="update", tags=["professionals"], responses=errors(403, 404, 409))
def update_professional(professional_id: uuid.UUID, body: ProfessionalUpdate,
                        caller: CurrentCaller, locale: RequestLocale) -> ProfessionalPrivateOut:
    """Owners edit the profile (not while suspended)."""
    with unit_of_work(caller) as session:
        professional = professionals.update_professional(
            session=session, caller=caller, professional_id=professional_id, data=body)
        return private_out(professional, locale, MemberRole.owner)


# --- the team ------------------------------------------------------------------------------


@router.get("/professionals/{professional_id}/members", response_model=list[MemberOut],
            name="members", tags=["professionals"], responses=errors(403, 404))
def list_members(professional_id: uuid.UUID, caller: CurrentCaller) -> list[MemberOut]:
    with unit_of_work(caller) as session:
        return [MemberOut.of(m) for m in professionals.list_members(
            session=session, caller=caller, professional_id=professional_id)]


@router.post("/professionals/{professional_id}/members", status_code=202,
             response_model=InvitationOut, name="invite_member", tags=["professionals"],
             responses=errors(403, 404, 409, 429))
def invite_member(professional_id: uuid.UUID, body: InviteIn, caller: CurrentCaller,
                  locale: RequestLocale) -> InvitationOut:
    """An owner invites a colleague by phone (or e-mail): 202 with the invitation. Nobody
    joins until they accept it; the answer is the same whether or not the number has an
    account. 429 with Retry-After past the business's daily limit."""
    with unit_of_work(caller) as session:
        return InvitationOut.model_validate(invitations.invite_member(
            session=session, caller=caller, professional_id=professional_id, phone=body.phone,
            email=body.email, locale=locale))


@router.delete("/professionals/{professional_id}/members/me", status_code=204,
               name="leave", tags=["professionals"], responses=errors(403, 404, 409))
def leave_business(professional_id: uuid.UUID, caller: CurrentCaller) -> Response:
    """The caller leaves the business; 409 for its last owner."""
    with unit_of_work(caller) as session:
        professionals.leave_business(session=session, caller=caller,
                                     professional_id=professional_id)
    return Response(status_code=204)


@router.put("/professionals/{professional_id}/members/{user_id}", response_model=MemberOut,
            name="change_member_role", tags=["professionals"],
            responses=errors(403, 404, 409))
def change_member_role(professional_id: uuid.UUID, user_id: uuid.UUID, body: RoleIn,
                       caller: CurrentCaller) -> MemberOut:
    """An owner makes a member an owner or staff; 404 for someone not in the team, 409 for
    the last owner stepping down."""
    with unit_of_work(caller) as session:
        return MemberOut.of(professionals.change_member_role(
            session=session, caller=caller, professional_id=professional_id, user_id=user_id,
            role=body.role))


@router.delete("/professionals/{professional_id}/members/{user_id}", status_code=204,
               name="remove_member", tags=["professionals"], responses=errors(403, 404, 409))
def remove_member(professional_id: uuid.UUID, user_id: uuid.UUID,
                  caller: CurrentCaller) -> Response:
    with unit_of_work(caller) as session:
        professionals.remove_member(session=session, caller=caller,
                                    professional_id=professional_id, user_id=user_id)
    return Response(status_code=204)


@router.get("/professionals/{professional_id}/invitations", response_model=list[InvitationOut],
            name="list", tags=["invitations"], responses=errors(403, 404))
def list_invitations(professional_id: uuid.UUID, caller: CurrentCaller,
                     status: InvitationStatus | None = None) -> list[InvitationOut]:
    """The business's invitations, newest first (its members)."""
    with unit_of_work(caller) as session:
        return [InvitationOut.model_validate(i) for i in invitations.list_invitations(
            session=session, caller=caller, professional_id=professional_id, status=status)]


@router.post("/professionals/{professional_id}/invitations/{invitation_id}/cancel",
             response_model=InvitationOut, name="cancel", tags=["invitations"],
             responses=errors(403, 404, 409))
def cancel_invitation(professional_id: uuid.UUID, invitation_id: uuid.UUID,
                      caller: CurrentCaller) -> InvitationOut:
    """An owner withdraws an open invitation; 409 once answered or expired."""
    with unit_of_work(caller) as session:
        return InvitationOut.model_validate(invitations.cancel_invitation(
            session=session, caller=caller, professional_id=professional_id,
            invitation_id=invitation_id))


@router.post("/professionals/{professional_id}/invitations/{invitation_id}/resend",
             status_code=202, response_model=InvitationOut, name="resend",
             tags=["invitations"], responses=errors(403, 404, 409, 429))
def resend_invitation(professional_id: uuid.UUID, invitation_id: uuid.UUID,
                      caller: CurrentCaller, locale: RequestLocale) -> InvitationOut:
    """An owner sends an open invitation again (seven more days); 429 with Retry-After when
    too soon or past the daily limit."""
    with unit_of_work(caller) as session:
        return InvitationOut.model_validate(invitations.resend_invitation(
            session=session, caller=caller, professional_id=professional_id,
            invitation_id=invitation_id, locale=locale))


@router.get("/invitations", response_model=list[MyInvitationOut],
            name="mine", tags=["invitations"], responses=errors(403))
def my_invitations(caller: CurrentCaller) -> list[MyInvitationOut]:
    """Open invitations addressed to the caller's phone or e-mail."""
    with unit_of_work(caller) as session:
        return [MyInvitationOut.model_validate(i)
                for i in invitations.my_invitations(session=session, caller=caller)]


@router.post("/invitations/{invitation_id}/accept", response_model=ProfessionalPrivateOut,
             name="accept", tags=["invitations"], responses=errors(403, 404, 409))
def accept_invitation(invitation_id: uuid.UUID, caller: CurrentCaller,
                      locale: RequestLocale) -> ProfessionalPrivateOut:
    """The invitee joins the business with the invited role; 404 if the invitation is not
    theirs, 409 once answered or expired."""
    with unit_of_work(caller) as session:
        business = invitations.accept_invitation(session=session, caller=caller,
                                                 invitation_id=invitation_id)
        role = professionals.my_role(session=session, caller=caller,
                                     professional_id=business.id)
        return private_out(business, locale, role)


@router.post("/invitations/{invitation_id}/decline", status_code=204,
             name="decline", tags=["invitations"], responses=errors(403, 404, 409))
def decline_invitation(invitation_id: uuid.UUID, caller: CurrentCaller) -> Response:
    """The invitee says no; 404 if the invitation is not theirs, 409 once answered."""
    with unit_of_work(caller) as session:
        invitations.decline_invitation(session=session, caller=caller,
                                       invitation_id=invitation_id)
    return Response(status_code=204)


# --- certificates --------------------------------------------------------------------------


@router.post("/professionals/{professional_id}/certificates", status_code=201,
             response_model=CertificateOut,
             name="upload", tags=["certificates"], responses=errors(403, 404, 409))
async def upload_certificate(
    professional_id: uuid.UUID,
    caller: CurrentCaller,
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG, at most 10 MB")],
    title: Annotated[PlainText, Form(max_length=200)] = "",
) -> CertificateOut:
    """Upload a certificate (multipart). The type is read from the content, not the name."""
    data = await file.read(MAX_UPLOAD_READ)
    filename = file.filename or ""

    def store() -> CertificateOut:
        with unit_of_work(caller) as session:
            return CertificateOut.of(certificates.upload_certificate(
                session=session, caller=caller, professional_id=professional_id,
                title=title or filename, filename=filename, data=data))

    return await run_in_threadpool(store)


@router.get("/professionals/{professional_id}/certificates", response_model=list[CertificateOut],
            name="list", tags=["certificates"], responses=errors(403, 404))
def list_certificates(professional_id: uuid.UUID, caller: CurrentCaller) -> list[CertificateOut]:
    with unit_of_work(caller) as session:
        return [CertificateOut.of(c) for c in certificates.list_certificates(
            session=session, caller=caller, professional_id=professional_id)]


@router.get("/certificates/{certificate_id}/link", response_model=LinkOut,
            name="link", tags=["certificates"], responses=errors(403, 404))
def certificate_link(certificate_id: uuid.UUID, caller: CurrentCaller) -> LinkOut:
    """A download link valid for five minutes, for the business's members and admins."""
    with unit_of_work(caller) as session:
        url = certificates.download_link(session=session, caller=caller,
                                         certificate_id=certificate_id)
    return LinkOut(url=url, expires_in=certificates.LINK_SECONDS)


@router.delete("/certificates/{certificate_id}", status_code=204,
               name="delete", tags=["certificates"], responses=errors(403, 404, 409))
def delete_certificate(certificate_id: uuid.UUID, caller: CurrentCaller) -> Response:
    with unit_of_work(caller) as session:
        certificates.delete_certificate(session=session, caller=caller,
                                        certificate_id=certificate_id)
    return Response(status_code=204)


# --- admin ---------------------------------------------------------------------------------


@router.post("/professionals/{professional_id}/verify", response_model=ProfessionalPrivateOut,
             name="verify", tags=["professionals"], responses=errors(403, 404, 409))
def verify(professional_id: uuid.UUID, caller: AdminCaller, ip: ClientIp, locale: RequestLocale,
           body: AdminActionIn | None = None) -> ProfessionalPrivateOut:
    """An admin verifies the business and approves its pending certificates (audited)."""
    with unit_of_work(caller) as session:
        return private_out(professionals.verify_professional(
            session=session, caller=caller, professional_id=professional_id, ip=ip,
            note=body.note if body else ""), locale)


@router.post("/professionals/{professional_id}/suspend", response_model=ProfessionalPrivateOut,
             name="suspend", tags=["professionals"], responses=errors(403, 404, 409))
def suspend(professional_id: uuid.UUID, caller: AdminCaller, ip: ClientIp, locale: RequestLocale,
            body: AdminActionIn | None = None) -> ProfessionalPrivateOut:
    with unit_of_work(caller) as session:
        return private_out(professionals.set_suspended(
            session=session, caller=caller, professional_id=professional_id, suspended=True,
            ip=ip, reason=body.note if body else ""), locale)


@router.post("/professionals/{professional_id}/reinstate", response_model=ProfessionalPrivateOut,
             name="reinstate", tags=["professionals"], responses=errors(403, 404, 409))
def reinstate(professional_id: uuid.UUID, caller: AdminCaller, ip: ClientIp,
              locale: RequestLocale, body: AdminActionIn | None = None) -> ProfessionalPrivateOut:
    with unit_of_work(caller) as session:
        return private_out(professionals.set_suspended(
            session=session, caller=caller, professional_id=professional_id, suspended=False,
            ip=ip, reason=body.note if body else ""), locale)


@router.get("/admin/professionals", response_model=list[ProfessionalPrivateOut],
            name="review_queue", tags=["professionals"], responses=errors(403))
def admin_queue(caller: AdminCaller, locale: RequestLocale,
                status: ProfessionalStatus | None = ProfessionalStatus.pending,
                ) -> list[ProfessionalPrivateOut]:
    """The verification queue (pending, oldest first), or every business in a status."""
    with unit_of_work(caller) as session:
        return [private_out(p, locale) for p in professionals.review_queue(
            session=session, caller=caller, status=status)]
