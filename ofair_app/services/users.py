"""People: their own profile, e-mail changes verified by code, and operator-made admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ofair_app.db.engine import Caller, trusted_step
from ofair_app.domain import identity
from ofair_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from ofair_app.i18n import normalize_locale
from ofair_app.models import Locale, User, UserRole
from ofair_app.services import auth


def require_user(caller: Caller) -> uuid.UUID:
    if caller.user_id is None:
        raise Unauthenticated()
    return caller.user_id


def require_admin(caller: Caller) -> uuid.UUID:
    """The back office only: 401 without a login, 403 for anyone but an admin."""
    user_id = require_user(caller)
    if caller.role != "admin":
        raise Forbidden("errors.admin_only")
    return user_id


def get_me(*, session: Session, caller: Caller) -> User:
    user = session.get(User, require_user(caller))
    if user is None:
        raise Unauthenticated()
    return user


def update_me(*, session: Session, caller: Caller, name: str | None = None,
              email: str | None = None, locale: str | None = None,
              now: datetime | None = None) -> tuple[User, auth.OtpSent | None]:
    """Change name and language at once; a new e-mail only after its code is confirmed.

    Returns the user and, when the e-mail changes, the code that was sent to the new address.
    An empty e-mail removes it, unless it is the only way to log in.
    """
    user = get_me(session=session, caller=caller)
    if name is not None:
        user.name = identity.clean_person_name(name)
    if locale is not None:
        if locale not in ("he", "en"):
            raise InvalidInput(fields={"locale": "errors.field.choice"})
        # The column holds the code; `Locale` is the StrEnum of the same codes.
        user.locale = cast(Locale, normalize_locale(locale))
    sent = None
    if email is not None:
        if not email.strip():
            if user.phone is None:
                raise InvalidInput(fields={"email": "errors.email.only_login"})
            user.email = None
        else:
            address = identity.normalize_email(email)
            if address != user.email:
                sent = auth.issue_code(session=session, target=auth.Target(address, "email"),
                                       purpose="email_change", locale=user.locale,
                                       user_id=user.id, now=now)
    session.add(user)
    session.flush()
    return user, sent


def confirm_email(*, session: Session, caller: Caller, email: str, otp: str,
                  now: datetime | None = None) -> User:
    """Set the new e-mail once the code sent to it checks out."""
    user = get_me(session=session, caller=caller)
    address = identity.normalize_email(email)
    auth.check_code(session=session, target=auth.Target(address, "email"),
                    purpose="email_change", code=otp, user_id=user.id, now=now)
    user.email = address
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("errors.email.taken", fields={"email": "errors.email.taken"},
                       code="email_taken") from None
    return user


def request_phone_change(*, session: Session, caller: Caller, phone: str,
                         now: datetime | None = None) -> auth.OtpSent | None:
    """Send a code to a new mobile number of the caller's; the number changes once the code is
    typed back (`confirm_phone`). None when it already is the caller's number. Refused like any
    code (422 for a number that cannot receive one, 429 past the limits); whether the number
    belongs to someone else is told only at confirmation, to its holder of the code."""
    user = get_me(session=session, caller=caller)
    e164 = identity.normalize_phone(phone)
    if e164 == user.phone:
        return None
    # As the platform: the limits on a number and the platform's text budget count every
    # code sent, not only this person's.
    with trusted_step(session, caller):
        return auth.issue_code(session=session, target=auth.Target(e164, "sms"),
                               purpose="phone_change", locale=user.locale, user_id=user.id,
                               now=now)


def confirm_phone(*, session: Session, caller: Caller, phone: str, otp: str,
                  now: datetime | None = None) -> User:
    """Set the new phone number once the code sent to it checks out (409 `phone_taken` when
    another account has it). The caller signs in with it from now on."""
    user = get_me(session=session, caller=caller)
    e164 = identity.normalize_phone(phone)
    auth.check_code(session=session, target=auth.Target(e164, "sms"), purpose="phone_change",
                    code=otp, user_id=user.id, now=now)
    user.phone = e164
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("errors.phone.taken", fields={"phone": "errors.phone.taken"},
                       code="phone_taken") from None
    return user


def ensure_user_by_phone(*, session: Session, phone: str, name: str = "",
                         role: UserRole | None = None) -> User:
    """Find or create the account for a phone (run as the system caller: adding staff, making
    an admin). `role` raises a consumer to it; it never demotes."""
    e164 = identity.normalize_phone(phone)
    user = session.exec(select(User).where(User.phone == e164)).first()
    if user is None:
        user = User(phone=e164, name=identity.clean_person_name(name),
                    role=role or UserRole.consumer)
        session.add(user)
    else:
        if name and not user.name:
            user.name = identity.clean_person_name(name)
        if role is not None and _rank(role) > _rank(user.role):
            user.role = role
        session.add(user)
    session.flush()
    return user


def _rank(role: str) -> int:
    return {"consumer": 0, "professional": 1, "admin": 2}[role]


def get_user(*, session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def find_user_id(*, session: Session, who: str) -> uuid.UUID | None:
    """The user `who` names: a user id, a phone number (any form Israelis write) or an
    e-mail; None when no user has it. `InvalidInput` on `who` when it is none of these."""
    try:
        return uuid.UUID(who)
    except ValueError:
        pass
    if "@" in who:
        column, value = User.email, identity.normalize_email(who, field="who")
    else:
        column, value = User.phone, identity.normalize_phone(who, field="who")
    return session.exec(select(User.id).where(column == value)).first()
