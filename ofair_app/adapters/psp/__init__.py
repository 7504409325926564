"""Payment service providers behind one small interface (DESIGN.md §5).

`sandbox` (the default) is an in-app hosted checkout with test cards that sends webhooks signed
exactly like Stripe's; `stripe` talks to Stripe's API (Checkout Sessions, refunds, retrieval for
reconciliation). Both speak agorot; nothing else in the app does. Webhooks from either are
verified the same way: Stripe's signature scheme over the raw bytes, then read as an event.

No caller may hold a database transaction or row lock across a provider call: the payments
service writes what it knows, commits, calls, then writes the answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Protocol

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
)

from ofair_app.domain.errors import AppError
from ofair_app.domain.inputs import refuse_control_characters
from ofair_app.settings import get_settings

SIGNATURE_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class Checkout:
    reference: str  # the checkout session id
    url: str


@dataclass(frozen=True)
class SessionState:
    """What the provider says about a checkout session (for reconciliation)."""

    reference: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid
    amount_total: int  # agorot
    currency: str
    payment_intent: str | None
    client_reference_id: str | None


class ProviderError(AppError):
    status, code, message_key = 503, "payment_provider_unavailable", "errors.payment.provider"


class BadSignature(AppError):
    status, code, message_key = 400, "bad_signature", "errors.payment.bad_signature"


class PaymentProvider(Protocol):
    name: str

    def create_checkout(self, *, payment_id: str, amount: int, currency: str,
                        description: str, success_url: str, cancel_url: str) -> Checkout: ...

    def retrieve(self, reference: str) -> SessionState: ...

    def expire_checkout(self, reference: str) -> SessionState:
        """Close an open checkout so it can no longer be paid, and say how it ended: `expired`,
        or `complete` and paid if the client paid first."""
        ...

    def refund(self, *, payment_intent: str, amount: int, idempotency_key: str) -> str: ...


class MalformedEvent(AppError):
    """A correctly signed body that is not an event we can read: a 400, recorded for admins."""

    status, code, message_key = 400, "malformed_event", "errors.payment.malformed_event"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__()


def verify_signature(payload: bytes, signature_header: str | None) -> None:
    """`BadSignature` (400) unless `Stripe-Signature` signs these exact bytes with our secret
    within five minutes: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs.

    Checked over the raw bytes (not a decoded text), so even a body that is not UTF-8 is judged
    by its signature first, and only a signed one is read further.
    """
    secret = get_settings().stripe_webhook_secret.get_secret_value().encode()
    timestamp, signatures = None, []
    for item in (signature_header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = value
        elif key == "v1" and value.isascii():
            signatures.append(value)
    if timestamp is None or not signatures:
        raise BadSignature()
    expected = hmac.new(secret, f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise BadSignature()
    if int(timestamp) < time.time() - SIGNATURE_TOLERANCE_SECONDS:
        raise BadSignature()


_EventText = Annotated[StrictStr, StringConstraints(max_length=255),
                       AfterValidator(refuse_control_characters)]
_Agorot = Annotated[StrictInt, Field(ge=0, le=10**15)]


class _EventObject(BaseModel, extra="allow"):
    """The fields of `data.object` the payments service reads, each of its type."""

    object: _EventText | None = None
    id: _EventText | None = None
    client_reference_id: _EventText | None = None
    metadata: dict[str, Any] | None = None
    payment_intent: _EventText | None = None
    payment_status: _EventText | None = None
    currency: _EventText | None = None
    amount_total: _Agorot | None = None
    amount_refunded: _Agorot | None = None


class _EventData(BaseModel, extra="allow"):
    object: _EventObject


class _Event(BaseModel, extra="allow"):
    id: Annotated[_EventText, StringConstraints(min_length=1)]
    type: Annotated[_EventText, StringConstraints(max_length=80)]
    data: _EventData


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _storable(value: object, depth: int = 0) -> bool:
    """Whether PostgreSQL's jsonb can keep it: no NUL, no lone surrogate, no infinite number."""
    if depth > 64:
        return False
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_storable(k, depth + 1) and _storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v, depth + 1) for v in value)
    return True


def parse_event(payload: bytes) -> dict:
    """A signed body as the event it claims to be: a JSON object with an `id`, a `type` and a
    `data.object` whose fields the services read are of the right types (`amount_refunded` on
    `charge.refunded`). `MalformedEvent` (400) for anything else."""
    try:
        event = json.loads(payload, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested past recursion
        raise MalformedEvent("not JSON") from None
    if not isinstance(event, dict):
        raise MalformedEvent(f"a JSON {type(event).__name__}, not an object")
    if not _storable(event):
        raise MalformedEvent("holds characters or numbers that cannot be stored")
    try:
        parsed = _Event.model_validate(event)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "event"
        raise MalformedEvent(f"{where}: {first['type']}") from None
    if parsed.type == "charge.refunded" and parsed.data.object.amount_refunded is None:
        raise MalformedEvent("data.object.amount_refunded: missing")
    return event


def sign(payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`, as Stripe computes it: `t=<unix>,v1=<hex
    HMAC-SHA256 of "<t>.<body>">`."""
    secret = secret or get_settings().stripe_webhook_secret.get_secret_value()
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event_id: str, event_type: str, data_object: dict) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": event_type,
                       "created": int(time.time()), "livemode": False,
                       "data": {"object": data_object}}, separators=(",", ":")).encode()


@cache
def _provider(name: str) -> PaymentProvider:
    if name == "stripe":
        from ofair_app.adapters.psp.stripe_provider import StripeProvider

        return StripeProvider()
    from ofair_app.adapters.psp.sandbox import SandboxProvider

    return SandboxProvider()


def get_provider(name: str | None = None) -> PaymentProvider:
    return _provider(name or get_settings().psp_provider)
