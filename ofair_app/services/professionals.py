"""Businesses: opening one, its profile, its team, the public directory and admin review.

A business is the tenant. Who may act for it is always read from `professional_members`: owners
manage the profile and the team, staff act for the business, a suspended business does nothing.
RLS enforces the same rules underneath; the checks here exist to answer with a clear error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ofair_app.db.engine import Caller
from ofair_app.domain import identity
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from ofair_app.domain.inputs import INT4_MAX
from ofair_app.models import (
    CategoryRow,
    Certificate,
    CertificateStatus,
    LocalityRow,
    MemberRole,
    Professional,
    ProfessionalMember,
    ProfessionalStatus,
    SubcategoryRow,
    User,
    UserRole,
)
from ofair_app.models._base import utcnow
from ofair_app.models.tenancy import ProfessionalCreate, ProfessionalUpdate
from ofair_app.services import audit, notifications, users
from ofair_app.settings import get_settings

DIRECTORY_PAGE_MAX = 50


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    name: str
    phone: str | None
    role: MemberRole
    joined_at: datetime | None


# --- opening and editing -------------------------------------------------------------------


def _check_category(session: Session, category: str, subcategories: list[str]) -> list[str]:
    if session.get(CategoryRow, category) is None:
        raise InvalidInput(fields={"category": "errors.category.unknown"})
    wanted = list(dict.fromkeys(subcategories))
    if wanted:
        found = set(session.exec(
            select(SubcategoryRow.slug).where(col(SubcategoryRow.slug).in_(wanted),
                                              SubcategoryRow.category_slug == category)))
        if len(found) != len(wanted):
            raise InvalidInput(fields={"subcategories": "errors.category.sub_unknown"})
    return wanted


def _locality(session: Session, locality_id: int) -> LocalityRow:
    locality = session.get(LocalityRow, locality_id)
    if locality is None:
        raise InvalidInput(fields={"locality_id": "errors.locality.unknown"})
    return locality


def create_professional(*, session: Session, caller: Caller,
                        data: ProfessionalCreate) -> Professional:
    """Open a business; the caller becomes its owner and, if a consumer, a professional.

    It starts `pending`: it can work at once, and shows the verified badge only after an admin
    has checked its business ID and certificates.
    """
    user_id = users.require_user(caller)
    checks = FieldErrors()
    business_name = checks(identity.clean_text, data.business_name, field="business_name",
                           max_length=120, min_length=identity.BUSINESS_NAME_MIN)
    business_id = checks(identity.normalize_business_id, data.business_id)
    subcategories = checks(_check_category, session, data.category, data.subcategories)
    locality = checks(_locality, session, data.locality_id)
    specialties = checks(identity.clean_specialties, data.specialties)
    about = checks(identity.clean_text, data.about, field="about",
                   max_length=identity.ABOUT_MAX, multiline=True)
    radius = checks(identity.check_service_radius, data.service_radius_km)
    checks.raise_if_any()  # so no check gave None
    assert business_name is not None and business_id is not None and about is not None
    assert subcategories is not None and specialties is not None
    assert locality is not None and radius is not None
    professional = Professional(
        business_name=business_name,
        business_id=business_id,
        category_slug=data.category,
        subcategory_slugs=subcategories,
        specialties=specialties,
        about=about,
        locality_id=locality.id, lat=locality.lat, lon=locality.lon,
        service_radius_km=radius,
        created_by=user_id,
    )
    session.add(professional)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("errors.business_id.taken", fields={"business_id":
                                                           "errors.business_id.taken"},
                       code="business_id_taken") from None
    session.add(ProfessionalMember(professional_id=professional.id, user_id=user_id,
                                   role=MemberRole.owner, added_by=user_id))
    session.flush()
    user = session.get(User, user_id)
    if user is not None and user.role == UserRole.consumer:
        user.role = UserRole.professional
        session.add(user)
        session.flush()
    return professional


def _membership(session: Session, caller: Caller,
                professional_id: uuid.UUID) -> ProfessionalMember | None:
    if caller.user_id is None:
        return None
    return session.get(ProfessionalMember, (professional_id, caller.user_id))


def get_professional(*, session: Session, professional_id: uuid.UUID) -> Professional:
    """A business the caller may see (suspended ones only by their members and admins)."""
    professional = session.get(Professional, professional_id)
    if professional is None:
        raise NotFound("errors.professional.not_found")
    return professional


def require_member(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                   owner: bool = False) -> Professional:
    """The business, if the caller may act for it (and manage it, with `owner`); admins may.

    Suspended businesses cannot act: their members get a 403 that says so.
    """
    users.require_user(caller)
    professional = get_professional(session=session, professional_id=professional_id)
    if caller.role == "admin":
        return professional
    membership = _membership(session, caller, professional_id)
    if membership is None:
        raise Forbidden("errors.professional.not_member")
    if owner and membership.role != MemberRole.owner:
        raise Forbidden("errors.professional.owner_only")
    if professional.status == ProfessionalStatus.suspended:
        raise Forbidden("errors.professional.suspended", code="professional_suspended")
    return professional


def acting_business(*, session: Session, caller: Caller, professional_id: uuid.UUID | None,
                    owner: bool = False) -> Professional:
    """The business the caller acts for: the one named, or their only one.

    Nothing picks a business for someone who belongs to several: without `professional_id`
    they get a 422 on that field asking which. The caller must be a member (an owner, with
    `owner`), as in `require_member`.
    """
    users.require_user(caller)
    if professional_id is None:
        if len(caller.professional_ids) > 1:
            raise InvalidInput("errors.professional.choose",
                               fields={"professional_id": "errors.professional.choose"})
        if not caller.professional_ids:
            raise InvalidInput(fields={"professional_id": "errors.field.required"})
        professional_id = caller.professional_ids[0]
    return require_member(session=session, caller=caller, professional_id=professional_id,
                          owner=owner)


def update_professional(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                        data: ProfessionalUpdate) -> Professional:
    """An owner edits the profile; a new business ID must be checked again by an admin."""
    professional = require_member(session=session, caller=caller,
                                  professional_id=professional_id, owner=True)
    checks = FieldErrors()
    changes: dict[str, object] = {}
    if data.business_name is not None:
        changes["business_name"] = checks(
            identity.clean_text, data.business_name, field="business_name", max_length=120,
            min_length=identity.BUSINESS_NAME_MIN)
    if data.business_id is not None:
        changes["business_id"] = checks(identity.normalize_business_id, data.business_id)
    if data.category is not None or data.subcategories is not None:
        category = data.category or professional.category_slug
        subs = data.subcategories if data.subcategories is not None else (
            professional.subcategory_slugs if category == professional.category_slug else [])
        changes["subcategory_slugs"] = checks(_check_category, session, category, subs)
        changes["category_slug"] = category
    if data.locality_id is not None:
        locality = checks(_locality, session, data.locality_id)
        if locality is not None:
            changes.update(locality_id=locality.id, lat=locality.lat, lon=locality.lon)
    if data.service_radius_km is not None:
        changes["service_radius_km"] = checks(identity.check_service_radius,
                                              data.service_radius_km)
    if data.specialties is not None:
        changes["specialties"] = checks(identity.clean_specialties, data.specialties)
    if data.about is not None:
        changes["about"] = checks(identity.clean_text, data.about, field="about",
                                  max_length=identity.ABOUT_MAX, multiline=True)
    checks.raise_if_any()
    for name, value in changes.items():
        setattr(professional, name, value)
    session.add(professional)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("errors.business_id.taken", fields={"business_id":
                                                           "errors.business_id.taken"},
                       code="business_id_taken") from None
    session.refresh(professional)
    return professional


def my_professionals(*, session: Session, caller: Caller) -> list[tuple[Professional, MemberRole]]:
    """The businesses the caller belongs to, with the caller's role in each."""
    if caller.user_id is None:
        return []
    rows = session.exec(
        select(Professional, ProfessionalMember.role)
        .join(ProfessionalMember, col(ProfessionalMember.professional_id) == Professional.id)
        .where(ProfessionalMember.user_id == caller.user_id)
        .order_by(col(ProfessionalMember.created_at))
    ).all()
    return [(professional, MemberRole(role)) for professional, role in rows]


def my_role(*, session: Session, caller: Caller, professional_id: uuid.UUID) -> MemberRole | None:
    """The caller's role in this business, or None if they are not a member."""
    membership = _membership(session, caller, professional_id)
    return MemberRole(membership.role) if membership is not None else None


# --- the team ------------------------------------------------------------------------------


def list_members(*, session: Session, caller: Caller, professional_id: uuid.UUID) -> list[Member]:
    require_member(session=session, caller=caller, professional_id=professional_id)
    rows = session.exec(
        select(ProfessionalMember, User)
        .join(User, col(User.id) == ProfessionalMember.user_id)
        .where(ProfessionalMember.professional_id == professional_id)
        .order_by(col(ProfessionalMember.created_at))
    ).all()
    return [Member(user_id=user.id, name=user.name, phone=user.phone,
                   role=MemberRole(member.role), joined_at=member.created_at)
            for member, user in rows]


def _lock_owners(session: Session, caller: Caller, professional_id: uuid.UUID) -> list[uuid.UUID]:
    """The business's owners, their rows locked in key order, checked to still include the
    caller (an admin need not be one): two owners changing the team at once are serialized,
    and whoever lost their ownership meanwhile is refused rather than half-served."""
    owners = list(session.exec(
        select(ProfessionalMember.user_id).where(
            ProfessionalMember.professional_id == professional_id,
            ProfessionalMember.role == MemberRole.owner)
        .order_by(col(ProfessionalMember.user_id)).with_for_update()).all())
    if caller.role != "admin" and caller.user_id not in owners:
        raise Forbidden("errors.professional.owner_only")
    return owners


def _keep_an_owner(owners: list[uuid.UUID], user_id: uuid.UUID) -> None:
    """Refuse to take `user_id` out of the owners if nobody else is one."""
    if not any(owner != user_id for owner in owners):
        raise Conflict("errors.member.last_owner", code="last_owner")


def _member_row(session: Session, professional_id: uuid.UUID,
                user_id: uuid.UUID) -> ProfessionalMember:
    # Read afresh: the row may have changed while we waited for the owners' locks.
    membership = session.exec(
        select(ProfessionalMember).where(ProfessionalMember.professional_id == professional_id,
                                         ProfessionalMember.user_id == user_id)
        .execution_options(populate_existing=True)).first()
    if membership is None:
        raise NotFound("errors.member.not_found")
    return membership


def change_member_role(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                       user_id: uuid.UUID, role: MemberRole) -> Member:
    """An owner makes a member an owner, or an owner staff again.

    Only people who already accepted an invitation are members (404 for anyone else); owners
    only (403); the last owner cannot step down (409).
    """
    require_member(session=session, caller=caller, professional_id=professional_id, owner=True)
    owners = _lock_owners(session, caller, professional_id)
    membership = _member_row(session, professional_id, user_id)
    if membership.role != role:
        if role != MemberRole.owner:
            _keep_an_owner(owners, user_id)
        membership.role = role
        session.add(membership)
        session.flush()
    return next(m for m in list_members(session=session, caller=caller,
                                        professional_id=professional_id)
                if m.user_id == user_id)


def remove_member(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                  user_id: uuid.UUID) -> None:
    """Owners remove people; a business always keeps one owner (409; the database insists
    too). Leaving yourself is `leave_business`."""
    require_member(session=session, caller=caller, professional_id=professional_id, owner=True)
    owners = _lock_owners(session, caller, professional_id)
    membership = _member_row(session, professional_id, user_id)
    if membership.role == MemberRole.owner:
        _keep_an_owner(owners, user_id)
    session.delete(membership)
    session.flush()


def leave_business(*, session: Session, caller: Caller, professional_id: uuid.UUID) -> None:
    """A member leaves the business (even a suspended one); its last owner cannot (409).
    403 for someone who is not a member."""
    user_id = users.require_user(caller)
    if _membership(session, caller, professional_id) is None:
        raise Forbidden("errors.professional.not_member")
    owners = list(session.exec(
        select(ProfessionalMember.user_id).where(
            ProfessionalMember.professional_id == professional_id,
            ProfessionalMember.role == MemberRole.owner)
        .order_by(col(ProfessionalMember.user_id)).with_for_update()).all())
    if user_id in owners:
        _keep_an_owner(owners, user_id)
    membership = _member_row(session, professional_id, user_id)
    session.delete(membership)
    session.flush()


# --- the public directory ------------------------------------------------------------------


# A directory page ends at (verified, rating, review count, id), the order it is sorted in.
DIRECTORY_CURSOR = CursorCodec("directory", tuple[
    bool, Annotated[Decimal, Field(ge=0, le=5, allow_inf_nan=False)],
    Annotated[int, Field(ge=0, le=INT4_MAX)], uuid.UUID])


def _cursor(professional: Professional) -> str:
    return DIRECTORY_CURSOR.encode((professional.verified, professional.rating,
                                    professional.review_count, professional.id))


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_directory(*, session: Session, category: str | None = None,
                     locality_id: int | None = None, q: str | None = None, limit: int = 20,
                     cursor: str | None = None) -> tuple[list[Professional], str | None]:
    """Public profiles: verified first, then by rating. `locality_id` finds businesses whose
    service area covers that place. Keyset-paginated: a stable order, no skipped rows."""
    limit = max(1, min(limit, DIRECTORY_PAGE_MAX))
    query = select(Professional).where(Professional.status != ProfessionalStatus.suspended)
    if category:
        query = query.where(Professional.category_slug == category)
    if locality_id is not None:
        locality = session.get(LocalityRow, locality_id)
        if locality is None:
            raise InvalidInput(fields={"locality_id": "errors.locality.unknown"})
        query = query.where(text(
            "2 * 6371 * asin(sqrt(power(sin(radians(professionals.lat - :lat) / 2), 2)"
            " + cos(radians(:lat)) * cos(radians(professionals.lat))"
            " * power(sin(radians(professionals.lon - :lon) / 2), 2)))"
            " <= professionals.service_radius_km").bindparams(lat=locality.lat,
                                                              lon=locality.lon))
    if q and q.strip():
        term = identity.clean_text(q, field="q", max_length=80)
        pattern = _like(term)
        query = query.where(text(
            "(professionals.business_name ILIKE :p OR professionals.about ILIKE :p"
            " OR array_to_string(professionals.specialties, ' ') ILIKE :p)").bindparams(
                p=pattern))
    if cursor:
        verified, rating, reviews, pid = DIRECTORY_CURSOR.decode(cursor)
        query = query.where(text(
            "(professionals.verified, professionals.rating, professionals.review_count,"
            " professionals.id) < (:v, :r, :n, :i)").bindparams(v=verified, r=rating, n=reviews,
                                                               i=pid))
    query = query.order_by(col(Professional.verified).desc(), col(Professional.rating).desc(),
                           col(Professional.review_count).desc(), col(Professional.id).desc())
    rows = list(session.exec(query.limit(limit + 1)).all())
    next_cursor = _cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


# --- admin ---------------------------------------------------------------------------------


def review_queue(*, session: Session, caller: Caller,
                 status: ProfessionalStatus | None = ProfessionalStatus.pending
                 ) -> list[Professional]:
    """Businesses waiting for an admin (oldest first), or every business in a status."""
    users.require_admin(caller)
    query = select(Professional)
    if status is not None:
        query = query.where(Professional.status == status)
    return list(session.exec(query.order_by(col(Professional.created_at))).all())


def _notify_owners(session: Session, caller: Caller, professional: Professional,
                   template: str) -> None:
    params: dict[str, object] = {"business_name": professional.business_name}
    if template == "professional_verified":
        base = get_settings().ofair_public_url.rstrip("/")
        params["profile_url"] = f"{base}/pros/{professional.id}"
    notifications.tell(session=session, caller=caller, template=template, params=params,
                       businesses=[professional.id])


def verify_professional(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                        ip: str = "", note: str = "") -> Professional:
    """An admin confirms the business: verified badge, active, its pending certificates
    approved; the owners are told; an audit row records who did it. Verifying twice is a no-op
    that answers the same."""
    users.require_admin(caller)
    professional = session.exec(
        select(Professional).where(Professional.id == professional_id).with_for_update()
    ).first()
    if professional is None:
        raise NotFound("errors.professional.not_found")
    if professional.status == ProfessionalStatus.suspended:
        raise Conflict("errors.professional.suspended_verify", code="professional_suspended")
    if professional.verified:
        return professional
    before = {"status": str(professional.status), "verified": False}
    now = utcnow()
    professional.verified, professional.verified_at = True, now
    professional.status = ProfessionalStatus.active
    session.add(professional)
    approved = session.exec(
        select(Certificate).where(Certificate.professional_id == professional_id,
                                  Certificate.status == CertificateStatus.pending)).all()
    for certificate in approved:
        certificate.status = CertificateStatus.approved
        certificate.reviewed_by, certificate.reviewed_at = caller.user_id, now
        session.add(certificate)
    audit.change(session=session, caller=caller, action="professional.verify",
                 subject_type="professional", subject_id=professional_id, ip=ip,
                 before=before, after={"status": "active", "verified": True},
                 certificates_approved=[str(c.id) for c in approved],
                 note=identity.clean_text(note, field="note", max_length=500))
    _notify_owners(session, caller, professional, "professional_verified")
    session.flush()
    session.refresh(professional)
    return professional


def set_suspended(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                  suspended: bool, ip: str = "", reason: str = "") -> Professional:
    """An admin suspends a business (it can no longer act or be found) or lifts that."""
    users.require_admin(caller)
    professional = session.exec(
        select(Professional).where(Professional.id == professional_id).with_for_update()
    ).first()
    if professional is None:
        raise NotFound("errors.professional.not_found")
    target = (ProfessionalStatus.suspended if suspended else
              ProfessionalStatus.active if professional.verified else ProfessionalStatus.pending)
    if professional.status == target:
        return professional
    before = str(professional.status)
    professional.status = target
    session.add(professional)
    audit.change(session=session, caller=caller,
                 action="professional.suspend" if suspended else "professional.reinstate",
                 subject_type="professional", subject_id=professional_id, ip=ip,
                 before={"status": before}, after={"status": str(target)},
                 reason=identity.clean_text(reason, field="reason", max_length=500))
    if suspended:
        _notify_owners(session, caller, professional, "professional_suspended")
    session.flush()
    session.refresh(professional)
    return professional
