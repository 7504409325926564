"""Payment service providers behind one small interface (DESIGN.md §3, §11).

`sandbox` (the default) is an in-app hosted checkout with test cards that sends webhooks signed
exactly like Stripe's; `stripe` talks to Stripe's API; `cardcom` to Cardcom's REST API v11 (the
provider for Israel). Each speaks to the services in plain dataclasses with `Decimal` shekels:
minor units (agorot) and a provider's own field names stay inside its module here.

A webhook is read by its provider's adapter, verified first: Stripe's scheme (sandbox, stripe)
checks the signature over the raw bytes; Cardcom signs nothing, so its adapter re-queries
Cardcom for the page's state and the callback's body is only a hint of which page to ask about.

No caller may hold a database transaction or row lock across a provider call: the payments
service writes what it knows, commits, calls, then writes the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Protocol

from ofair_app.domain.errors import AppError
from ofair_app.settings import get_settings


class PaymentState(StrEnum):
    open = "open"  # the client may still pay it
    paid = "paid"
    expired = "expired"  # closed unpaid: it can no longer be paid


class EventKind(StrEnum):
    """What a provider's event is about, in our words: the services dispatch on it."""

    paid = "paid"
    expired = "expired"
    refunded = "refunded"
    other = "other"  # recorded, changes nothing


@dataclass(frozen=True)
class CheckoutCreated:
    reference: str  # the provider's id of the hosted page (a checkout session, a LowProfile)
    url: str  # where the client pays


@dataclass(frozen=True)
class ProviderPayment:
    """What the provider says about one hosted checkout: the same shape from a webhook, a
    re-query and the reconciliation job."""

    reference: str
    payment_id: str | None  # our payment's id, as we gave it to the provider
    state: PaymentState
    amount: Decimal | None  # shekels, as charged (None: the provider did not say)
    currency: str
    charge: str | None = None  # the provider's id of the charge a refund names
    refunded: Decimal = Decimal("0")  # refunded so far, in all


@dataclass(frozen=True)
class ProviderEvent:
    id: str  # unique per provider: a duplicate delivery carries the same one
    kind: EventKind
    type: str  # the provider's own name for it, for the record
    payment: ProviderPayment | None
    record: dict = field(default_factory=dict)  # kept as received, read by no service


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount: Decimal


@dataclass(frozen=True)
class SavedCard:
    """A card kept at the provider: the token and what may be shown, never the number."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class ProviderError(AppError):
    status, code, message_key = 503, "payment_provider_unavailable", "errors.payment.provider"


class CardDeclined(AppError):
    status, code, message_key = 402, "card_declined", "errors.payment.declined"


class BadSignature(AppError):
    """A webhook we cannot trust: a 400 that changes nothing; `reason` goes to the log."""

    status, code, message_key = 400, "bad_signature", "errors.payment.bad_signature"

    def __init__(self, reason: str = "bad signature") -> None:
        self.reason = reason
        super().__init__()


class MalformedEvent(AppError):
    """A correctly signed body that is not an event we can read: a 400, recorded for admins."""

    status, code, message_key = 400, "malformed_event", "errors.payment.malformed_event"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__()


class PaymentProvider(Protocol):
    name: str

    def create_checkout(self, *, payment_id: str, amount: Decimal, currency: str,
                        description: str, success_url: str,
                        cancel_url: str) -> CheckoutCreated: ...

    def retrieve(self, reference: str) -> ProviderPayment:
        """The provider's word on a checkout now (the webhook's re-query and reconciliation
        both use it)."""
        ...

    def expire_checkout(self, reference: str) -> ProviderPayment:
        """Close an open checkout so it can no longer be paid, and say how it ended: expired,
        or paid if the client paid first."""
        ...

    def refund(self, *, charge: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        """Refund `amount` of a charge; the same key again refunds nothing more."""
        ...

    def read_webhook(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """Verify first (`BadSignature`), then read (`MalformedEvent`)."""
        ...

    def create_card_setup(self, *, owner_reference: str, success_url: str,
                          cancel_url: str) -> CheckoutCreated:
        """A hosted page where a card is saved (a token), not charged."""
        ...

    def saved_card(self, reference: str) -> SavedCard | None:
        """The card saved on that page, or None while none was."""
        ...

    def charge_card(self, *, card: SavedCard, amount: Decimal, idempotency_key: str) -> str:
        """Charge a saved card once per key (a retry of the same key charges nothing more):
        the provider's transaction id. `CardDeclined` (402) when the issuer says no;
        `ProviderError` (503) when no answer came (retrying the same key is then safe)."""
        ...


# The Stripe signature scheme (used by sandbox and stripe) lives in its own module; these names
# stay importable from here for the tests and tools that sign sandbox events.
from ofair_app.adapters.psp.stripe_scheme import (  # noqa: E402
    event_payload,
    parse_event,
    sign,
    verify_signature,
)

__all__ = ["BadSignature", "CardDeclined", "CheckoutCreated", "EventKind", "MalformedEvent",
           "PaymentProvider", "PaymentState", "ProviderError", "ProviderEvent",
           "ProviderPayment", "RefundResult", "SavedCard", "event_payload", "get_provider",
           "parse_event", "sign", "verify_signature"]


@cache
def _provider(name: str) -> PaymentProvider:
    if name == "stripe":
        from ofair_app.adapters.psp.stripe_provider import StripeProvider

        return StripeProvider()
    if name == "cardcom":
        from ofair_app.adapters.psp.cardcom import CardcomProvider

        return CardcomProvider()
    from ofair_app.adapters.psp.sandbox import SandboxProvider

    return SandboxProvider()


def get_provider(name: str | None = None) -> PaymentProvider:
    return _provider(name or get_settings().psp_provider)
