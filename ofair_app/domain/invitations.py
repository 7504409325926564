"""Team invitations (DESIGN.md §3 "Identity and tenancy"): pure rules, no I/O.

Nobody becomes a member of a business without saying yes. An owner invites a phone number or an
e-mail address; the person it belongs to sees the invitation after signing in and accepts or
declines it; until then nothing about them reaches the business, and nothing about the business
reaches them beyond its name. The database enforces the same transitions in the
`professional_invitations_guard` trigger.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from ofair_app.domain.errors import Conflict, RateLimited

# How long an invitation waits for an answer (a resend starts the wait again).
INVITATION_TTL = timedelta(days=7)
# Messages (first sends and resends) one business may send in any rolling day.
DAILY_SENDS_PER_BUSINESS = 20
RATE_WINDOW = timedelta(days=1)
# One invitation is sent again at most this often, and at most this many times in all.
RESEND_INTERVAL = timedelta(minutes=10)
MAX_SENDS_PER_INVITATION = 5


class InvitationStatus(StrEnum):
    """Where an invitation stands; only `pending` ever changes."""

    pending = "pending"  # sent, waiting for the invitee's answer until `expires_at`
    accepted = "accepted"  # the invitee said yes: the membership began in the same transaction
    declined = "declined"  # the invitee said no
    cancelled = "cancelled"  # an owner withdrew it before it was answered
    expired = "expired"  # nobody answered in time


def effective_status(status: str, expires_at: datetime, now: datetime) -> InvitationStatus:
    """The status as a reader should see it: a pending invitation past its time is expired
    even before the `expire_tokens` job has written so."""
    current = InvitationStatus(status)
    if current == InvitationStatus.pending and expires_at <= now:
        return InvitationStatus.expired
    return current


def require_open(status: str, expires_at: datetime, now: datetime) -> None:
    """An invitation can be answered, cancelled or resent only while pending and in time."""
    current = effective_status(status, expires_at, now)
    if current == InvitationStatus.expired:
        raise Conflict("errors.invitation.expired", code="invitation_expired")
    if current != InvitationStatus.pending:
        raise Conflict("errors.invitation.answered", code="invitation_not_pending")


def check_business_limit(sends: Iterable[datetime], now: datetime) -> None:
    """Refuse one more message when the business already sent its daily share; Retry-After is
    when the oldest send in the window leaves it."""
    recent = sorted(sent for sent in sends if sent > now - RATE_WINDOW)
    if len(recent) >= DAILY_SENDS_PER_BUSINESS:
        wait = recent[len(recent) - DAILY_SENDS_PER_BUSINESS] + RATE_WINDOW - now
        raise _rate_limited(wait, "errors.invitation.daily_limit", "invitation_limit")


def check_resend(sends: list[datetime], now: datetime) -> None:
    """One invitation is resent at most every `RESEND_INTERVAL`, `MAX_SENDS_PER_INVITATION`
    times in all (a person is not to be pestered)."""
    if len(sends) >= MAX_SENDS_PER_INVITATION:
        raise Conflict("errors.invitation.resend_exhausted", code="invitation_resend_exhausted")
    last = max(sends, default=None)
    if last is not None and now - last < RESEND_INTERVAL:
        raise _rate_limited(last + RESEND_INTERVAL - now, "errors.invitation.resend_wait",
                            "invitation_resend_wait")


def _rate_limited(wait: timedelta, message_key: str, code: str) -> RateLimited:
    error = RateLimited(int(wait.total_seconds()) + 1, message_key, code=code)
    error.params["minutes"] = -(-error.retry_after_seconds // 60)
    error.params["limit"] = DAILY_SENDS_PER_BUSINESS
    return error
