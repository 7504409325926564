"""Users and their businesses for admins (issue 18 point 3): find anyone by phone, e-mail,
name or business number; read a person's businesses, leads and sign-in history; suspend and
reinstate a person (every session ends at once) and change a role. Every change is audited
with what it was before and after, and nobody changes their own account here.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from pydantic import AwareDatetime
from sqlalchemy import ColumnElement, text
from sqlmodel import Session, col, func, or_, select

from ofair_app.db.engine import Caller, affected, trusted_step
from ofair_app.domain import identity
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import Conflict, InvalidInput, NotFound
from ofair_app.models import (
    AuthToken,
    Lead,
    Professional,
    ProfessionalMember,
    User,
    UserRole,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import audit, users

USERS_CURSOR = CursorCodec("admin-users", tuple[AwareDatetime, uuid.UUID])
PAGE_MAX = 100
BUSINESS_NUMBER = re.compile(r"^\d{8,9}$")


class OwnAccount(Conflict):
    code, message_key = "own_account", "errors.admin.own_account"


class ClosedAccount(Conflict):
    code, message_key = "account_closed", "errors.admin.account_closed"


@dataclass(frozen=True)
class Membership:
    professional_id: uuid.UUID
    business_name: str
    business_number: str
    member_role: str
    status: str


@dataclass(frozen=True)
class UserSummary:
    user: User
    businesses: list[Membership] = field(default_factory=list)


@dataclass(frozen=True)
class SignIn:
    started_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    revoked_at: datetime | None
    user_agent: str


@dataclass(frozen=True)
class LeadLine:
    id: uuid.UUID
    title: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class UserDetail:
    user: User
    businesses: list[Membership]
    leads_posted: int
    recent_leads: list[LeadLine]
    sign_ins: list[SignIn]


def _memberships(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Membership]]:
    found: dict[uuid.UUID, list[Membership]] = {user_id: [] for user_id in ids}
    if not ids:
        return found
    rows = session.exec(select(ProfessionalMember, Professional)
                        .join(Professional,
                              col(Professional.id) == ProfessionalMember.professional_id)
                        .where(col(ProfessionalMember.user_id).in_(ids))
                        .order_by(col(Professional.business_name))).all()
    for member, business in rows:
        found[member.user_id].append(Membership(
            professional_id=business.id, business_name=business.business_name,
            business_number=business.business_id, member_role=str(member.role),
            status=str(business.status)))
    return found


def search(*, session: Session, caller: Caller, q: str = "", cursor: str | None = None,
           limit: int = 25) -> tuple[list[UserSummary], str | None]:
    """People, newest first, found by what an admin has at hand: a phone (any way Israelis
    write it), an e-mail, a business number, or part of a name or business name; nothing
    finds everyone. 403 for anyone but an admin."""
    users.require_admin(caller)
    limit = max(1, min(limit, PAGE_MAX))
    query = select(User)
    term = " ".join((q or "").split())[:120]
    if term:
        query = query.where(_matching(term))
    if cursor:
        at, last_id = USERS_CURSOR.decode(cursor)
        query = query.where(or_(col(User.created_at) < at,
                                (col(User.created_at) == at) & (col(User.id) < last_id)))
    rows = list(session.exec(query.order_by(col(User.created_at).desc(), col(User.id).desc())
                             .limit(limit + 1)).all())
    page = rows[:limit]
    next_cursor = (USERS_CURSOR.encode((page[-1].created_at, page[-1].id))
                   if len(rows) > limit else None)
    members = _memberships(session, [user.id for user in page])
    return [UserSummary(user=user, businesses=members[user.id]) for user in page], next_cursor


def _matching(term: str) -> ColumnElement[bool]:
    if "@" in term:
        return col(User.email).startswith(term.lower())
    if BUSINESS_NUMBER.match(term):
        return col(User.id).in_(select(ProfessionalMember.user_id)
                                .join(Professional, col(Professional.id)
                                      == ProfessionalMember.professional_id)
                                .where(Professional.business_id == term))
    if re.fullmatch(r"[\d\s()+\-]{7,20}", term):
        try:
            return col(User.phone) == identity.normalize_phone(term, field="q")
        except InvalidInput:
            return col(User.phone) == term  # a landline or a foreign number: as written
    pattern = f"%{term.replace('%', '').replace('_', '')}%"
    return or_(col(User.name).ilike(pattern), col(User.id).in_(
        select(ProfessionalMember.user_id)
        .join(Professional, col(Professional.id) == ProfessionalMember.professional_id)
        .where(col(Professional.business_name).ilike(pattern))))


def _user(session: Session, user_id: uuid.UUID, *, lock: bool = False) -> User:
    query = select(User).where(User.id == user_id)
    found = session.exec(query.with_for_update() if lock else query).first()
    if found is None:
        raise NotFound("errors.admin.no_user", code="no_user")
    return found


def detail(*, session: Session, caller: Caller, user_id: uuid.UUID) -> UserDetail:
    """A person as an admin sees them: businesses, leads posted (the latest ten) and the last
    twenty sign-ins (each session: when it started, was last used, ends or was ended)."""
    users.require_admin(caller)
    user = _user(session, user_id)
    posted = session.exec(select(func.count()).select_from(Lead)
                          .where(Lead.owner_user_id == user_id)).one()
    recent = session.exec(select(Lead.id, Lead.title, Lead.status, Lead.created_at)
                          .where(Lead.owner_user_id == user_id)
                          .order_by(col(Lead.created_at).desc()).limit(10)).all()
    with trusted_step(session, caller):  # sessions are the platform's to read
        tokens = session.exec(select(AuthToken).where(AuthToken.user_id == user_id)
                              .order_by(col(AuthToken.created_at).desc()).limit(20)).all()
        # `created_at` is NOT NULL with a server default: None only before the row is stored.
        sign_ins = [SignIn(started_at=cast(datetime, t.created_at), last_used_at=t.last_used_at,
                           expires_at=t.expires_at, revoked_at=t.revoked_at,
                           user_agent=t.user_agent) for t in tokens]
    return UserDetail(user=user, businesses=_memberships(session, [user_id])[user_id],
                      leads_posted=int(posted),
                      recent_leads=[LeadLine(id=r[0], title=r[1], status=str(r[2]),
                                             created_at=cast(datetime, r[3]))  # NOT NULL
                                    for r in recent],
                      sign_ins=sign_ins)


_END_SESSIONS = text("UPDATE auth_tokens SET revoked_at = :now"
                     " WHERE user_id = :id AND revoked_at IS NULL")


def _changeable(caller: Caller, user: User) -> None:
    if user.id == caller.user_id:
        raise OwnAccount()
    if user.closed_at is not None:
        raise ClosedAccount()


def set_suspended(*, session: Session, caller: Caller, user_id: uuid.UUID, suspended: bool,
                  reason: str, ip: str = "") -> User:
    """Suspend a person (they can no longer sign in, and every session of theirs ends now) or
    reinstate them. The same again changes nothing and writes nothing."""
    users.require_admin(caller)
    note = identity.clean_text(reason, field="reason", min_length=5, max_length=500,
                               multiline=True)
    user = _user(session, user_id, lock=True)
    _changeable(caller, user)
    if user.is_active == (not suspended):
        return user
    user.is_active = not suspended
    session.add(user)
    ended = 0
    if suspended:
        with trusted_step(session, caller):
            ended = affected(session.execute(_END_SESSIONS,
                                             {"now": utcnow(), "id": user_id}))
    audit.change(session=session, caller=caller,
                 action="user.suspend" if suspended else "user.reinstate",
                 subject_type="user", subject_id=user_id, ip=ip,
                 before={"is_active": suspended}, after={"is_active": not suspended},
                 reason=note, sessions_ended=ended)
    logs.action("account", user_id, "user suspended" if suspended else "user reinstated",
                sessions_ended=ended)
    session.flush()
    session.refresh(user)
    return user


def set_role(*, session: Session, caller: Caller, user_id: uuid.UUID, role: str,
             reason: str, ip: str = "") -> User:
    """Change a person's role (consumer, professional, admin). Not one's own; the same role
    again changes nothing. A role taken away ends that person's sessions."""
    users.require_admin(caller)
    try:
        wanted = UserRole(role)
    except ValueError:
        raise InvalidInput(fields={"role": "errors.admin.role"}) from None
    note = identity.clean_text(reason, field="reason", min_length=5, max_length=500,
                               multiline=True)
    user = _user(session, user_id, lock=True)
    _changeable(caller, user)
    before = str(user.role)
    if before == wanted:
        return user
    user.role = wanted
    session.add(user)
    ended = 0
    if before == UserRole.admin:  # an admin no more: no admin session may outlive it
        with trusted_step(session, caller):
            ended = affected(session.execute(_END_SESSIONS,
                                             {"now": utcnow(), "id": user_id}))
    audit.change(session=session, caller=caller, action="user.role", subject_type="user",
                 subject_id=user_id, ip=ip, before={"role": before},
                 after={"role": str(wanted)}, reason=note, sessions_ended=ended)
    session.flush()
    session.refresh(user)
    return user
