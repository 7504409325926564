"""Consents: which documents a person acknowledged, in which version, and whether they agreed to
marketing (Privacy Protection Law, Amendment 13; Communications Law §30A, the anti-spam rule).

Pure rules, no I/O. A consent is an append-only history per person and kind: the newest row of a
kind is the person's current answer. Acknowledging the privacy notice and accepting the terms is
required to open an account; marketing is a separate answer, "no" until the person says yes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from ofair_app.domain.errors import InvalidInput


class ConsentKind(StrEnum):
    privacy_notice = "privacy_notice"  # "I have read the privacy notice" (an acknowledgement)
    terms = "terms"  # the terms of service, accepted
    marketing = "marketing"  # marketing messages: a separate, revocable opt-in


class ConsentChannel(StrEnum):
    web = "web"  # the app's pages
    api = "api"  # the REST API


class MessagePurpose(StrEnum):
    """Why a message is sent. Transactional messages (codes, a proposal arrived, a payment) go
    to anyone the business change concerns; marketing only to people with a current opt-in, and
    always with a way out."""

    transactional = "transactional"
    marketing = "marketing"


# The documents one must acknowledge to open an account, with the API field that carries the
# version a client showed the person.
REQUIRED_AT_SIGNUP: dict[ConsentKind, str] = {
    ConsentKind.privacy_notice: "privacy_notice_version",
    ConsentKind.terms: "accept_terms_version",
}

VERSION_MAX_LENGTH = 32


@dataclass(frozen=True)
class Acceptance:
    """What a person acknowledged at one moment: the versions they were shown (None: not
    given), and their marketing answer (None: not asked)."""

    privacy_notice_version: str | None = None
    terms_version: str | None = None
    marketing: bool | None = None

    def version_of(self, kind: ConsentKind) -> str | None:
        return {ConsentKind.privacy_notice: self.privacy_notice_version,
                ConsentKind.terms: self.terms_version}.get(kind)


def check_acceptance(acceptance: Acceptance | None, current: dict[ConsentKind, str],
                     needed: frozenset[ConsentKind] = frozenset(REQUIRED_AT_SIGNUP)) -> None:
    """Refuse (422, each missing or outdated version by its field, naming the current one)
    unless `acceptance` names the current version of every document in `needed`."""
    given = acceptance or Acceptance()
    fields: dict[str, str] = {}
    params: dict[str, dict[str, object]] = {}
    for kind in sorted(needed):
        version = given.version_of(kind)
        if version != current[kind]:
            field = REQUIRED_AT_SIGNUP[kind]
            fields[field] = f"errors.consent.{kind.value}_required"
            params[field] = {"version": current[kind]}
    if fields:
        raise InvalidInput("errors.consent.required", fields=fields, field_params=params,
                           params={"privacy_notice": current[ConsentKind.privacy_notice],
                                   "terms": current[ConsentKind.terms]},
                           code="consent_required")


def outdated(current: dict[ConsentKind, str],
             accepted: dict[ConsentKind, str | None]) -> frozenset[ConsentKind]:
    """The documents whose current version the person has not acknowledged (their newest
    answer is another version, a withdrawal, or nothing)."""
    return frozenset(kind for kind in REQUIRED_AT_SIGNUP if accepted.get(kind) != current[kind])


# --- one-click unsubscribe links -----------------------------------------------------------

UNSUBSCRIBE_TTL = timedelta(days=180)
_CONTEXT = b"ofair.unsubscribe.v1"
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+")


class BadUnsubscribeToken(Exception):
    """The link is malformed, was not signed by us, or has expired (`expired` tells which)."""

    def __init__(self, expired: bool = False) -> None:
        self.expired = expired
        super().__init__("expired" if expired else "invalid")


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _CONTEXT, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsubscribe_token(user_id: uuid.UUID, *, secret: str, now: datetime) -> str:
    """A link token that withdraws `user_id`'s marketing consent without a login: the user id,
    an expiry (UNSUBSCRIBE_TTL from now, in whole seconds) and an HMAC of both."""
    expires = int((now + UNSUBSCRIBE_TTL).timestamp())
    payload = user_id.bytes + expires.to_bytes(5, "big")
    signature = hmac.new(_key(secret), payload, hashlib.sha256).digest()[:16]
    return _b64(payload + signature)


def read_unsubscribe_token(token: str, *, secret: str, now: datetime) -> uuid.UUID:
    """The user a token speaks for; BadUnsubscribeToken when it is not ours or has expired
    (the signature is checked first, in constant time, so an expiry is only told for a link we
    made)."""
    if not token or len(token) > 80 or not _TOKEN_SHAPE.fullmatch(token):
        raise BadUnsubscribeToken()
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (ValueError, TypeError):
        raise BadUnsubscribeToken() from None
    if len(raw) != 16 + 5 + 16:
        raise BadUnsubscribeToken()
    payload, signature = raw[:21], raw[21:]
    expected = hmac.new(_key(secret), payload, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(expected, signature):
        raise BadUnsubscribeToken()
    expires = datetime.fromtimestamp(int.from_bytes(payload[16:], "big"), UTC)
    if expires <= now:
        raise BadUnsubscribeToken(expired=True)
    return uuid.UUID(bytes=payload[:16])
