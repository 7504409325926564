"""Stripe's webhook scheme, shared by the sandbox and Stripe: the `Stripe-Signature` header
over the raw bytes, the event's JSON, and `checkout.session` / `charge` objects in agorot read
into the provider-neutral dataclasses (`ProviderEvent`, `ProviderPayment`) in shekels.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
)

from ofair_app.adapters.psp import (
    BadSignature,
    EventKind,
    MalformedEvent,
    PaymentState,
    ProviderEvent,
    ProviderPayment,
)
from ofair_app.domain.inputs import refuse_control_characters
from ofair_app.domain.payments import from_agorot
from ofair_app.settings import get_settings

SIGNATURE_TOLERANCE_SECONDS = 300


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
        raise BadSignature("no Stripe-Signature timestamp and v1 signature")
    expected = hmac.new(secret, f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise BadSignature("signature does not match the body")
    if int(timestamp) < time.time() - SIGNATURE_TOLERANCE_SECONDS:
        raise BadSignature("signature older than five minutes")


_EventText = Annotated[StrictStr, StringConstraints(max_length=255),
                       AfterValidator(refuse_control_characters)]
_Agorot = Annotated[StrictInt, Field(ge=0, le=10**15)]


class _EventObject(BaseModel, extra="allow"):
    """The fields of `data.object` we read, each of its type."""

    object: _EventText | None = None
    id: _EventText | None = None
    client_reference_id: _EventText | None = None
    metadata: dict[str, Any] | None = None
    payment_intent: _EventText | None = None
    payment_status: _EventText | None = None
    status: _EventText | None = None
    currency: _EventText | None = None
    amount: _Agorot | None = None
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


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value: object, depth: int = 0) -> bool:
    """Whether PostgreSQL's jsonb can keep it: no NUL, no lone surrogate, no infinite number."""
    if depth > 64:
        return False
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is None
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_storable(k, depth + 1) and _storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v, depth + 1) for v in value)
    return True


def _parse(payload: bytes) -> tuple[dict, _Event]:
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
    return event, parsed


def parse_event(payload: bytes) -> dict:
    """A signed body as the event it claims to be (`MalformedEvent` otherwise)."""
    return _parse(payload)[0]


def _shekels(agorot: int | None) -> Decimal | None:
    return None if agorot is None else from_agorot(agorot)


def session_payment(obj: _EventObject | dict) -> ProviderPayment:
    """A `checkout.session` object (from an event or from the API) as a `ProviderPayment`."""
    data = obj if isinstance(obj, _EventObject) else _EventObject.model_validate(obj)
    payment_id = data.client_reference_id or str((data.metadata or {}).get("payment_id") or "")
    state = (PaymentState.paid if data.payment_status == "paid" else
             PaymentState.expired if data.status == "expired" else PaymentState.open)
    return ProviderPayment(reference=data.id or "", payment_id=payment_id or None, state=state,
                           amount=_shekels(data.amount_total),
                           currency=(data.currency or "").lower(),
                           charge=data.payment_intent)


def _charge_payment(data: _EventObject) -> ProviderPayment:
    return ProviderPayment(reference=data.id or "", payment_id=None, state=PaymentState.paid,
                           amount=_shekels(data.amount), currency=(data.currency or "").lower(),
                           charge=data.payment_intent,
                           refunded=_shekels(data.amount_refunded) or Decimal("0"))


_KINDS = {"checkout.session.completed": EventKind.paid,
          "checkout.session.expired": EventKind.expired,
          "charge.refunded": EventKind.refunded}


def _event(event_id: str, event_type: str, data: _EventObject, record: dict) -> ProviderEvent:
    kind = _KINDS.get(event_type, EventKind.other)
    payment = (None if kind == EventKind.other else
               _charge_payment(data) if kind == EventKind.refunded else session_payment(data))
    return ProviderEvent(id=event_id, kind=kind, type=event_type, payment=payment,
                         record=record)


def read_event(payload: bytes, signature: str | None) -> ProviderEvent:
    """Verify the signature, then read the event (the sandbox's and Stripe's webhook)."""
    verify_signature(payload, signature)
    event, parsed = _parse(payload)
    return _event(parsed.id, parsed.type, parsed.data.object, event)


def event_from_object(event_type: str, data: dict) -> ProviderEvent:
    """An event's `data.object` built by hand (tools, tests) as a `ProviderEvent`."""
    return _event(f"local:{event_type}", event_type, _EventObject.model_validate(data),
                  {"type": event_type, "data": {"object": data}})


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
