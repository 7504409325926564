"""Team invitations: an owner invites, the invitee answers, and only a yes makes a member.

The answer to an invitation never tells the inviter whether the number or address belongs to an
account, or whose: no account is looked up or created when inviting. The invitee is told by a
fixed message (the business's name and a link, nothing the inviter writes) and finds the
invitation in the app after signing in with that phone or address. Every message counts against
the business's daily limit; RLS and the `professional_invitations_guard` trigger enforce the
same rules underneath.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, text
from sqlmodel import Session, col, select

from ofair_app.db.engine import Caller, affected
from ofair_app.domain import identity
from ofair_app.domain import invitations as rules
from ofair_app.domain.errors import Forbidden, InvalidInput, NotFound
from ofair_app.domain.invitations import InvitationStatus
from ofair_app.models import (
    MemberRole,
    Professional,
    ProfessionalInvitation,
    ProfessionalMember,
    ProfessionalStatus,
    User,
    UserRole,
)
from ofair_app.models._base import utcnow
from ofair_app.services import notifications, users
from ofair_app.services.professionals import require_member
from ofair_app.settings import get_settings

LIST_LIMIT = 100


@dataclass(frozen=True)
class InvitationView:
    """An invitation as the business sees it: to whom (as the owner typed it), never who."""

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


@dataclass(frozen=True)
class MyInvitation:
    """An invitation as the invitee sees it: which business, for what role, until when."""

    id: uuid.UUID
    professional_id: uuid.UUID
    business_name: str
    role: MemberRole
    expires_at: datetime
    created_at: datetime | None


def _view(invitation: ProfessionalInvitation, now: datetime) -> InvitationView:
    return InvitationView(
        id=invitation.id, professional_id=invitation.professional_id, phone=invitation.phone,
        email=invitation.email, role=MemberRole(invitation.role),
        status=rules.effective_status(invitation.status, invitation.expires_at, now),
        expires_at=invitation.expires_at, created_at=invitation.created_at,
        send_count=len(invitation.sent_times), last_sent_at=invitation.last_sent_at)


def _target(phone: str | None, email: str | None) -> tuple[str | None, str | None]:
    phone, email = (phone or "").strip(), (email or "").strip()
    if phone and email:
        raise InvalidInput("errors.auth.one_target", fields={"phone": "errors.auth.one_target"})
    if phone:
        return identity.normalize_phone(phone), None
    if email:
        return None, identity.normalize_email(email)
    raise InvalidInput(fields={"phone": "errors.auth.target_required"})


def _lock_business(session: Session, caller: Caller, professional_id: uuid.UUID) -> Professional:
    """Invitations of one business are handled one at a time, so the daily limit holds; the
    caller must still be an owner once the lock is theirs (not demoted meanwhile)."""
    business = session.exec(select(Professional).where(Professional.id == professional_id)
                            .with_for_update()).one()
    role = session.exec(select(ProfessionalMember.role).where(
        ProfessionalMember.professional_id == professional_id,
        ProfessionalMember.user_id == caller.user_id)).first()
    if caller.role != "admin" and role != MemberRole.owner:
        raise Forbidden("errors.professional.owner_only")
    return business


def _business_sends(session: Session, professional_id: uuid.UUID, now: datetime) -> list[datetime]:
    return list(session.execute(text(
        "SELECT sent FROM professional_invitations i, unnest(i.sent_times) AS sent"
        " WHERE i.professional_id = :p AND i.last_sent_at > :since AND sent > :since"),
        {"p": professional_id, "since": now - rules.RATE_WINDOW}).scalars())


def _send(session: Session, caller: Caller, invitation: ProfessionalInvitation,
          business_name: str, locale: str) -> None:
    """The invitation by SMS or e-mail to the address, and in the notification center of
    whoever already has an account there."""
    params = {"business_name": business_name,
              "url": f"{get_settings().ofair_public_url.rstrip('/')}/invitations"}
    notifications.note_address_holder(session=session, caller=caller, template="member_invited",
                                      params=params, phone=invitation.phone,
                                      email=invitation.email)
    if invitation.phone:
        notifications.enqueue(session=session, channel="sms", to=invitation.phone,
                              template="member_invited", locale=locale, params=params)
    else:
        assert invitation.email is not None
        notifications.enqueue(session=session, channel="email", to=invitation.email,
                              template="member_invited", locale=locale, params=params)


def _for_business(session: Session, professional_id: uuid.UUID,
                  invitation_id: uuid.UUID) -> ProfessionalInvitation:
    invitation = session.exec(
        select(ProfessionalInvitation).where(ProfessionalInvitation.id == invitation_id,
                                             ProfessionalInvitation.professional_id
                                             == professional_id)
        .with_for_update()).first()
    if invitation is None:
        raise NotFound("errors.invitation.not_found")
    return invitation


def _answer(invitation: ProfessionalInvitation, status: InvitationStatus,
            by: uuid.UUID | None) -> None:
    """Close an invitation: its answer, who gave it, and when: the transaction's `now()`, which
    the membership policy checks ("accepted in this transaction")."""
    invitation.status = status
    invitation.responded_by = by
    # SQLModel types the attribute as the loaded value; SQLAlchemy also takes a SQL expression,
    # which the UPDATE evaluates.
    invitation.responded_at = func.now()  # type: ignore[assignment]


# --- the business's side -------------------------------------------------------------------


def invite_member(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                  phone: str | None = None, email: str | None = None,
                  locale: str = "he") -> InvitationView:
    """An owner invites a phone number or an e-mail address to join the team as staff.

    Owners only (403 otherwise, and for a suspended business); 422 for a bad number or address;
    429 once the business has sent `DAILY_SENDS_PER_BUSINESS` messages in a rolling day. The
    answer is the same whoever the number belongs to: an invitation still open for that person
    is returned as it is, and nothing is sent again (that is what `resend_invitation` is for).
    """
    require_member(session=session, caller=caller, professional_id=professional_id, owner=True)
    inviter = users.require_user(caller)  # signed in: require_member checked it
    e164, address = _target(phone, email)
    business = _lock_business(session, caller, professional_id)
    now = utcnow()
    target = (ProfessionalInvitation.phone == e164 if e164
              else ProfessionalInvitation.email == address)
    open_one = session.exec(select(ProfessionalInvitation).where(
        ProfessionalInvitation.professional_id == professional_id, target,
        ProfessionalInvitation.status == InvitationStatus.pending)).first()
    if open_one is not None and open_one.expires_at > now:
        return _view(open_one, now)
    if open_one is not None:  # past its time: make room for a new one
        open_one.status = InvitationStatus.expired
        session.add(open_one)
        session.flush()
    rules.check_business_limit(_business_sends(session, professional_id, now), now)
    invitation = ProfessionalInvitation(
        professional_id=professional_id, phone=e164, email=address, role=MemberRole.staff,
        invited_by=inviter, status=InvitationStatus.pending,
        expires_at=now + rules.INVITATION_TTL, sent_times=[now], last_sent_at=now,
        created_at=now)
    session.add(invitation)
    session.flush()
    _send(session, caller, invitation, business.business_name, locale)
    return _view(invitation, now)


def list_invitations(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                     status: InvitationStatus | None = None) -> list[InvitationView]:
    """The business's invitations, newest first, for its members (403 for anyone else).
    `status` filters by the status a reader sees (a pending one past its time is expired)."""
    require_member(session=session, caller=caller, professional_id=professional_id)
    now = utcnow()
    query = select(ProfessionalInvitation).where(
        ProfessionalInvitation.professional_id == professional_id)
    pending = col(ProfessionalInvitation.status) == InvitationStatus.pending
    if status == InvitationStatus.pending:
        query = query.where(pending, ProfessionalInvitation.expires_at > now)
    elif status == InvitationStatus.expired:
        query = query.where(or_(col(ProfessionalInvitation.status) == InvitationStatus.expired,
                                pending & (col(ProfessionalInvitation.expires_at) <= now)))
    elif status is not None:
        query = query.where(ProfessionalInvitation.status == status)
    rows = session.exec(query.order_by(col(ProfessionalInvitation.created_at).desc(),
                                       col(ProfessionalInvitation.id))
                        .limit(LIST_LIMIT)).all()
    return [_view(row, now) for row in rows]


def cancel_invitation(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                      invitation_id: uuid.UUID) -> InvitationView:
    """An owner withdraws an invitation that is still open (404 if it is not this business's,
    409 once answered or expired)."""
    require_member(session=session, caller=caller, professional_id=professional_id, owner=True)
    _lock_business(session, caller, professional_id)
    invitation = _for_business(session, professional_id, invitation_id)
    now = utcnow()
    rules.require_open(invitation.status, invitation.expires_at, now)
    _answer(invitation, InvitationStatus.cancelled, caller.user_id)
    session.add(invitation)
    session.flush()
    session.refresh(invitation)
    return _view(invitation, now)


def resend_invitation(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                      invitation_id: uuid.UUID, locale: str = "he") -> InvitationView:
    """An owner sends an open invitation again, which gives it seven more days.

    409 once answered or expired, or after `MAX_SENDS_PER_INVITATION` sends; 429 within
    `RESEND_INTERVAL` of the last send, or past the business's daily limit.
    """
    require_member(session=session, caller=caller, professional_id=professional_id, owner=True)
    business = _lock_business(session, caller, professional_id)
    invitation = _for_business(session, professional_id, invitation_id)
    now = utcnow()
    rules.require_open(invitation.status, invitation.expires_at, now)
    rules.check_resend(list(invitation.sent_times), now)
    rules.check_business_limit(_business_sends(session, professional_id, now), now)
    invitation.sent_times = [*invitation.sent_times, now]
    invitation.last_sent_at = now
    invitation.expires_at = now + rules.INVITATION_TTL
    session.add(invitation)
    session.flush()
    _send(session, caller, invitation, business.business_name, locale)
    return _view(invitation, now)


# --- the invitee's side --------------------------------------------------------------------


def _addressed_to(user: User) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if user.phone:
        conditions.append(col(ProfessionalInvitation.phone) == user.phone)
    if user.email:
        conditions.append(col(ProfessionalInvitation.email) == user.email)
    return or_(*conditions)


def my_invitations(*, session: Session, caller: Caller) -> list[MyInvitation]:
    """Open invitations addressed to the caller's phone or e-mail, newest first (signed-in
    users only). A suspended business's invitations are not shown."""
    user = users.get_me(session=session, caller=caller)
    now = utcnow()
    rows = session.exec(
        select(ProfessionalInvitation, Professional)
        .join(Professional, col(Professional.id) == ProfessionalInvitation.professional_id)
        .where(_addressed_to(user),
               ProfessionalInvitation.status == InvitationStatus.pending,
               ProfessionalInvitation.expires_at > now,
               Professional.status != ProfessionalStatus.suspended)
        .order_by(col(ProfessionalInvitation.created_at).desc())
        .limit(LIST_LIMIT)).all()
    return [MyInvitation(id=inv.id, professional_id=inv.professional_id,
                         business_name=business.business_name, role=MemberRole(inv.role),
                         expires_at=inv.expires_at, created_at=inv.created_at)
            for inv, business in rows]


def _mine(session: Session, user: User, invitation_id: uuid.UUID) -> ProfessionalInvitation:
    """The invitation, locked, if it is addressed to this user; 404 otherwise (a colleague in
    the inviting business can read it, but it is not theirs to answer)."""
    invitation = session.exec(
        select(ProfessionalInvitation).where(ProfessionalInvitation.id == invitation_id,
                                             _addressed_to(user))
        .with_for_update()).first()
    if invitation is None:
        raise NotFound("errors.invitation.not_found")
    return invitation


def accept_invitation(*, session: Session, caller: Caller,
                      invitation_id: uuid.UUID) -> Professional:
    """The invitee says yes: the membership (with the invited role) begins now, and a consumer
    becomes a professional, all in this transaction.

    404 for an invitation that is not the caller's, 409 once answered or expired, 403 while the
    business is suspended. Someone already in the team stays as they are.
    """
    user = users.get_me(session=session, caller=caller)
    invitation = _mine(session, user, invitation_id)
    rules.require_open(invitation.status, invitation.expires_at, utcnow())
    business = session.get(Professional, invitation.professional_id)
    if business is None or business.status == ProfessionalStatus.suspended:
        raise Forbidden("errors.professional.suspended", code="professional_suspended")
    _answer(invitation, InvitationStatus.accepted, user.id)
    session.add(invitation)
    session.flush()
    if session.get(ProfessionalMember, (business.id, user.id)) is None:
        session.add(ProfessionalMember(professional_id=business.id, user_id=user.id,
                                       role=MemberRole(invitation.role),
                                       added_by=invitation.invited_by))
        session.flush()
    if user.role == UserRole.consumer:
        user.role = UserRole.professional
        session.add(user)
        session.flush()
    return business


def decline_invitation(*, session: Session, caller: Caller, invitation_id: uuid.UUID) -> None:
    """The invitee says no (404 if not theirs, 409 once answered or expired). The business sees
    the invitation as declined; nothing else about the invitee."""
    user = users.get_me(session=session, caller=caller)
    invitation = _mine(session, user, invitation_id)
    rules.require_open(invitation.status, invitation.expires_at, utcnow())
    _answer(invitation, InvitationStatus.declined, user.id)
    session.add(invitation)
    session.flush()


# --- the platform --------------------------------------------------------------------------


def expire_invitations(*, session: Session, caller: Caller, now: datetime) -> int:
    """Mark pending invitations past their time as expired (the `expire_tokens` job, as the
    system caller); readers already treat them so. Returns how many changed."""
    if caller.role != "system":
        raise Forbidden()
    return affected(session.execute(text(
        "UPDATE professional_invitations SET status = 'expired'"
        " WHERE status = 'pending' AND expires_at <= :now"), {"now": now}))
