"""Login by one-time code, bearer tokens, and who a token speaks for (DESIGN.md §3).

The login steps run as the system caller (the person is anonymous until the code checks out);
`resolve_token` too, since it must read a token before knowing whose it is. Nothing here ever
stores a code or a token in clear: codes are HMAC'd with the server secret, tokens SHA-256'd.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from sqlalchemy import ColumnElement, text
from sqlmodel import Session, col, select

from ofair_app.db.engine import SYSTEM, Caller, CallerRole, affected
from ofair_app.domain import identity
from ofair_app.domain.consent import Acceptance, ConsentChannel, ConsentKind
from ofair_app.domain.errors import Forbidden, InvalidInput, RateLimited, Unauthenticated
from ofair_app.models import AuthToken, Locale, OtpCode, User, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import audit, consents, notifications
from ofair_app.settings import get_settings

logger = logging.getLogger(__name__)

Purpose = Literal["login", "email_change", "phone_change"]


@dataclass(frozen=True)
class Target:
    """Where a code goes: a normalized phone (sms) or e-mail address (email)."""

    value: str
    channel: Literal["sms", "email"]


@dataclass(frozen=True)
class OtpSent:
    target: Target
    expires_at: datetime
    # When the next code may be asked for (the 1/minute limit), for the UI's countdown.
    resend_at: datetime


@dataclass(frozen=True)
class Login:
    token: str
    expires_at: datetime
    user: User
    created: bool
    # Documents whose current version this person has not acknowledged yet (the app asks).
    pending_consents: frozenset[ConsentKind] = frozenset()


def login_target(*, phone: str | None, email: str | None) -> Target:
    """Exactly one of phone or email, normalized so every spelling is one user."""
    if phone and email:
        raise InvalidInput(fields={"phone": "errors.auth.one_target"})
    if phone:
        return Target(identity.normalize_phone(phone), "sms")
    if email:
        return Target(identity.normalize_email(email), "email")
    raise InvalidInput(fields={"phone": "errors.auth.target_required"})


def _pepper() -> bytes:
    return get_settings().ofair_secret_key.get_secret_value().encode()


def _test_otps() -> identity.TestOtps:
    settings = get_settings()
    if settings.ofair_env == "production":  # settings refuse it too; never trust one check
        return identity.TestOtps({})
    return identity.TestOtps.parse(settings.ofair_test_otps)


def _lock(session: Session, key: str) -> None:
    """A transaction-scoped advisory lock: requests counting against one limit serialize, so
    two simultaneous ones cannot both squeeze under it."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                    {"key": key})


def _check_send_limits(session: Session, target: Target, purpose: Purpose, now: datetime) -> None:
    """1/minute, 5/hour, 10/day per target, serialized per target."""
    _lock(session, f"ofair.otp.{purpose}.{target.value}")
    longest = max(window for window, _ in identity.OTP_SEND_LIMITS)
    # created_at is NOT NULL in the table (server default); the model's Optional only covers
    # a row not yet flushed.
    sent_at = cast("list[datetime]", list(session.exec(
        select(OtpCode.created_at)
        .where(OtpCode.target == target.value, OtpCode.purpose == purpose,
               col(OtpCode.created_at) > now - longest)
        .order_by(col(OtpCode.created_at).desc())
    )))
    retry_after = 0.0
    for window, limit in identity.OTP_SEND_LIMITS:
        recent = [moment for moment in sent_at if moment > now - window]
        if len(recent) >= limit:
            # Free again when the oldest send that counts against this window leaves it.
            oldest_counted = recent[limit - 1]
            retry_after = max(retry_after, (oldest_counted + window - now).total_seconds())
    if retry_after > 0:
        raise RateLimited(int(retry_after) + 1, "errors.auth.too_many_codes")


def _check_budget(session: Session, condition: ColumnElement[bool], limit: int, now: datetime,
                  message_key: str, code: str) -> None:
    """At most `limit` codes matching `condition` within the budget window: the `limit`-th
    newest one still inside it means the budget is spent until that one leaves the window."""
    window = identity.OTP_BUDGET_WINDOW
    counted = session.exec(
        select(OtpCode.created_at)
        .where(condition, col(OtpCode.created_at) > now - window)
        .order_by(col(OtpCode.created_at).desc())
        .offset(limit - 1).limit(1)
    ).first()
    if counted is not None:
        raise RateLimited(int((counted + window - now).total_seconds()) + 1, message_key,
                          code=code)


def _check_budgets(session: Session, target: Target, network: str | None,
                   now: datetime) -> None:
    """The per-network hourly budget (any targets; codes for test numbers count like any
    other), then, for text messages, the platform's hourly budget. The network's count is
    exact (serialized per network, after the per-target lock: one order, no deadlock); the
    platform's is not locked, so simultaneous requests may pass it by a few."""
    settings = get_settings()
    if network is not None:
        _lock(session, f"ofair.otp.network.{network}")
        _check_budget(session, col(OtpCode.requester_ip) == network,
                      settings.otp_ip_hourly_limit, now, "errors.auth.too_many_codes_network",
                      "otp_network_budget")
    if target.channel == "sms":
        _check_budget(session, col(OtpCode.channel) == "sms", settings.otp_global_hourly_limit,
                      now, "errors.auth.sms_budget", "otp_sms_budget")


def issue_code(*, session: Session, target: Target, purpose: Purpose, locale: str,
               user_id: uuid.UUID | None = None, requester_ip: str | None = None,
               now: datetime | None = None) -> OtpSent:
    """Create a code for `target`, replacing any earlier one, and queue it for delivery.

    Refused with 429 and Retry-After past the per-target limits, the per-network budget (when
    `requester_ip` is given: every login; a signed-in user's new address is limited per
    target only) or the platform's hourly budget of text messages. Test numbers
    (OFAIR_TEST_OTPS) get their fixed code and nothing is sent; every other rule (limits,
    budgets, expiry, attempts) still applies.
    """
    now = now or utcnow()
    network = identity.requester_network(requester_ip) if requester_ip is not None else None
    _check_send_limits(session, target, purpose, now)
    _check_budgets(session, target, network, now)
    fixed = _test_otps().code_for(target.value) if purpose == "login" else None
    code = fixed or identity.new_otp_code()
    # Only the newest code is valid: a resend retires the previous one.
    session.execute(
        text("UPDATE otp_codes SET consumed_at = :now WHERE target = :target"
             " AND purpose = :purpose AND consumed_at IS NULL"),
        {"now": now, "target": target.value, "purpose": purpose},
    )
    otp = OtpCode(
        purpose=purpose, channel=target.channel, target=target.value, user_id=user_id,
        code_hash=identity.hash_otp(code, target=target.value, purpose=purpose,
                                    pepper=_pepper()),
        expires_at=now + identity.OTP_TTL, created_at=now, requester_ip=network,
    )
    session.add(otp)
    if fixed is None:
        template = {"login": "otp_code", "email_change": "email_change",
                    "phone_change": "phone_change"}[purpose]
        params: dict[str, object] = {"code": code,
                                     "minutes": int(identity.OTP_TTL.total_seconds() // 60)}
        if purpose == "email_change":
            params["name"] = ""
        notifications.enqueue(session=session, channel=target.channel, to=target.value,
                              template=template, locale=locale, params=params,
                              user_id=user_id, sensitive=True)
    session.flush()
    first_limit = identity.OTP_SEND_LIMITS[0][0]
    return OtpSent(target=target, expires_at=otp.expires_at, resend_at=now + first_limit)


def check_code(*, session: Session, target: Target, purpose: Purpose, code: str,
               user_id: uuid.UUID | None = None, now: datetime | None = None) -> OtpCode:
    """The live code for `target` if `code` matches it; consumes it.

    A wrong code counts as an attempt even though the request fails (the error keeps the
    change); after five the code is dead and a new one must be requested. The comparison is
    constant-time, and a missing, expired or used code answers exactly like a wrong one.
    """
    now = now or utcnow()
    if not identity.is_code_shaped(code):
        raise InvalidInput(fields={"otp": "errors.auth.code_format"})
    query = (
        select(OtpCode)
        .where(OtpCode.target == target.value, OtpCode.purpose == purpose,
               col(OtpCode.consumed_at).is_(None))
        .order_by(col(OtpCode.created_at).desc())
        .limit(1)
        .with_for_update()
    )
    if user_id is not None:
        query = query.where(OtpCode.user_id == user_id)
    otp = session.exec(query).first()
    if otp is None or otp.expires_at <= now:
        raise Unauthenticated("errors.auth.code_invalid", code="otp_invalid")
    if otp.attempts >= identity.OTP_MAX_ATTEMPTS:
        raise Unauthenticated("errors.auth.code_attempts", code="otp_attempts_exceeded")
    if not identity.otp_matches(code, otp.code_hash, target=target.value, purpose=purpose,
                                pepper=_pepper()):
        otp.attempts += 1
        session.add(otp)
        session.flush()
        if otp.attempts >= identity.OTP_MAX_ATTEMPTS:
            raise Unauthenticated("errors.auth.code_attempts", code="otp_attempts_exceeded",
                                  keep_changes=True)
        raise Unauthenticated("errors.auth.code_invalid", code="otp_invalid", keep_changes=True)
    otp.consumed_at = now
    session.add(otp)
    return otp


def send_login_code(*, session: Session, ip: str, phone: str | None = None,
                    email: str | None = None, locale: str = "he",
                    now: datetime | None = None) -> OtpSent:
    """Start a login for whoever asks from `ip` (the door's reading of the client's address;
    its network is budgeted). Run as the system caller. Phones must be mobile (422 otherwise).
    Answers the same whether or not the person already has an account, so the endpoint
    cannot be used to discover who is registered."""
    target = login_target(phone=phone, email=email)
    user = _user_by_target(session, target)
    if user is not None:
        locale = user.locale
    return issue_code(session=session, target=target, purpose="login", locale=locale,
                      requester_ip=ip, now=now)


def verify_login_code(*, session: Session, phone: str | None = None, email: str | None = None,
                      otp: str, locale: str = "he", user_agent: str = "", ip: str = "",
                      acceptance: Acceptance | None = None,
                      channel: ConsentChannel = ConsentChannel.api,
                      now: datetime | None = None) -> Login:
    """Finish a login: check the code, create the account on first login, issue a token.

    A first login must carry the current versions of the privacy notice and the terms in
    `acceptance` (422 `consent_required` naming them otherwise; the code is not used up, so the
    same code works once the person has acknowledged them). Those answers, and a marketing
    opt-in if given, are recorded with the new account through `channel`. For an existing
    account, versions given are recorded too (they must be the current ones)."""
    now = now or utcnow()
    target = login_target(phone=phone, email=email)
    try:
        check_code(session=session, target=target, purpose="login", code=otp, now=now)
    except Unauthenticated as error:
        known = _user_by_target(session, target)
        audit.security_event(
            session=session, caller=SYSTEM, action="auth.otp_failed",
            user_id=known.id if known else None, ip=ip, detail={"reason": error.code},
            subject_type="user" if known else "login_target",
            subject_id=known.id if known else audit.target_digest(target.value))
        error.keep_changes = True  # the attempt and its audit row stay
        raise
    user = _user_by_target(session, target)
    created = user is None
    if user is None:
        # After the code: only the person holding it learns that they are new.
        consents.check_signup(acceptance)
        user = User(phone=target.value if target.channel == "sms" else None,
                    email=target.value if target.channel == "email" else None,
                    locale=Locale(locale), role=UserRole.consumer)
        session.add(user)
        session.flush()
        consents.record_signup(session=session, user_id=user.id,
                               acceptance=acceptance or Acceptance(), channel=channel, now=now)
    elif not user.is_active:
        raise Forbidden("errors.auth.account_disabled", code="account_disabled")
    elif acceptance is not None:
        consents.record(session=session, caller=Caller(user_id=user.id, role="system"),
                        acceptance=acceptance, channel=channel, now=now)
    user.last_login_at, user.inactivity_notice_at = now, None
    session.add(user)
    audit.security_event(session=session, caller=SYSTEM, action="auth.login", user_id=user.id,
                         ip=ip, detail={"channel": target.channel, "new_account": created})
    token, expires_at = issue_token(session=session, user_id=user.id, user_agent=user_agent,
                                    now=now)
    return Login(token=token, expires_at=expires_at, user=user, created=created,
                 pending_consents=consents.pending_for(session, user.id))


def issue_token(*, session: Session, user_id: uuid.UUID, user_agent: str = "",
                now: datetime | None = None) -> tuple[str, datetime]:
    now = now or utcnow()
    token = identity.new_token()
    expires_at = now + identity.TOKEN_TTL
    session.add(AuthToken(user_id=user_id, token_hash=identity.hash_token(token),
                          expires_at=expires_at, created_at=now, user_agent=user_agent[:200]))
    session.flush()
    return token, expires_at


def _user_by_target(session: Session, target: Target) -> User | None:
    column = User.phone if target.channel == "sms" else User.email
    return session.exec(select(User).where(column == target.value)).first()


_RESOLVE = text("""
    SELECT u.id, u.role, u.is_active, t.id AS token_id,
           coalesce(t.last_used_at, t.created_at) AS last_used_at,
           coalesce(array_agg(m.professional_id) FILTER (WHERE m.professional_id IS NOT NULL),
                    '{}') AS professional_ids
    FROM auth_tokens t
    JOIN users u ON u.id = t.user_id
    LEFT JOIN professional_members m ON m.user_id = u.id
    WHERE t.token_hash = :token_hash AND t.revoked_at IS NULL AND t.expires_at > :now
    GROUP BY u.id, t.id
""")

# A token's last use is written at most once a minute: enough for an idle limit in minutes,
# without a write on every request.
USE_GRAIN = timedelta(minutes=1)
_USED = text("UPDATE auth_tokens SET last_used_at = :now WHERE id = :id")
_IDLE = text("UPDATE auth_tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL")


def resolve_token(*, session: Session, token: str, now: datetime | None = None) -> Caller | None:
    """Who a bearer token speaks for, with the businesses they belong to; None if it is
    unknown, expired, revoked or belongs to a disabled account, or is an admin's that was not
    used for ADMIN_SESSION_IDLE_MINUTES (it is revoked then). Run as the system caller."""
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    row = session.execute(_RESOLVE, {"token_hash": identity.hash_token(token),
                                     "now": now}).first()
    if row is None or not row.is_active:
        return None
    idle = timedelta(minutes=get_settings().admin_session_idle_minutes)
    if row.role == UserRole.admin and now - row.last_used_at > idle:
        session.execute(_IDLE, {"now": now, "id": row.token_id})  # ended: sign in again
        logger.info("admin session ended after %s idle", now - row.last_used_at,
                    extra={"user": str(row.id)})
        return None
    if now - row.last_used_at >= USE_GRAIN:
        session.execute(_USED, {"now": now, "id": row.token_id})
    return caller_for_user(row.id, row.role, tuple(sorted(row.professional_ids)))


def caller_for_user(user_id: uuid.UUID, role: str,
                    professional_ids: tuple[uuid.UUID, ...]) -> Caller:
    """Admins act as admins; a member of any business acts as a professional."""
    caller_role: CallerRole
    if role == UserRole.admin:
        caller_role = "admin"
    elif professional_ids or role == UserRole.professional:
        caller_role = "professional"
    else:
        caller_role = "consumer"
    return Caller(user_id=user_id, role=caller_role, professional_ids=professional_ids)


def revoke_token(*, session: Session, token: str, now: datetime | None = None) -> bool:
    """End the session of this token (run as its user: RLS lets a user revoke only their own)."""
    result = session.execute(
        text("UPDATE auth_tokens SET revoked_at = :now WHERE token_hash = :hash"
             " AND revoked_at IS NULL"),
        {"now": now or utcnow(), "hash": identity.hash_token(token)},
    )
    return affected(result) == 1


def purge_expired(*, session: Session, now: datetime) -> dict[str, int]:
    """Delete tokens that expired or were revoked, and codes past every send-limit window (they
    are kept a day after creation only to count sends). Run as the system caller."""
    grace = timedelta(days=1)
    tokens = affected(session.execute(
        text("DELETE FROM auth_tokens WHERE expires_at <= :now OR revoked_at <= :cutoff"),
        {"now": now, "cutoff": now - grace},
    ))
    longest = max(window for window, _ in identity.OTP_SEND_LIMITS)
    codes = affected(session.execute(
        text("DELETE FROM otp_codes WHERE created_at <= :cutoff AND expires_at <= :now"),
        {"cutoff": now - longest, "now": now},
    ))
    return {"tokens": tokens, "codes": codes}
