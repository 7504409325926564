"""Payment service providers behind one small interface (DESIGN.md §5).

`sandbox` (the default) is an in-app hosted checkout with test cards that sends webhooks signed
exactly like Stripe's; `stripe` talks to Stripe's API (Checkout Sessions, refunds, retrieval for
reconciliation). Both speak agorot; nothing else in the app does. Webhooks from either are
verified the same way, with `stripe.Webhook.construct_event`.

No caller may hold a database transaction or row lock across a provider call: the payments
service writes what it knows, commits, calls, then writes the answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import stripe

from ofair_app.domain.errors import AppError
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


def verify_webhook(payload: bytes, signature_header: str | None) -> dict:
    """The event, if `Stripe-Signature` signs this exact body with our secret within five
    minutes; else `BadSignature` (400)."""
    secret = get_settings().stripe_webhook_secret.get_secret_value()
    try:
        event = stripe.Webhook.construct_event(payload, signature_header, secret,
                                               tolerance=SIGNATURE_TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise BadSignature() from error
    return event.to_dict() if hasattr(event, "to_dict") else dict(event)


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
