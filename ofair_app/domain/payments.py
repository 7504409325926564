"""Payments (escrow mode): statuses, and money at the provider's boundary. Pure, no I/O.

A payment is `created` by the owner after acceptance, `pending` once the provider gave it a
checkout, `paid` on the provider's signed word (the webhook, or the reconciliation job asking),
`expired` or `failed` otherwise; a paid one may be refunded in part or in full. Money is
Decimal shekels with two places; `to_agorot`/`from_agorot` are for the provider adapters
(`adapters/psp/<provider>`), never for the services.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from ofair_app.domain.errors import Conflict, InvalidInput
from ofair_app.domain.leads import CENT

CURRENCY = "ils"
AGOROT_PER_SHEKEL = 100


class PaymentStatus(StrEnum):
    created = "created"  # written, the provider not asked yet
    pending = "pending"  # a checkout exists; waiting for the client
    paid = "paid"
    partially_refunded = "partially_refunded"
    refunded = "refunded"
    expired = "expired"  # the checkout ran out before the client paid
    failed = "failed"  # the provider could not open a checkout


LIVE = frozenset({PaymentStatus.created, PaymentStatus.pending, PaymentStatus.paid,
                  PaymentStatus.partially_refunded})
PAID = frozenset({PaymentStatus.paid, PaymentStatus.partially_refunded})
# Where a provider's "paid" may take a payment: a client can pay a checkout we thought had
# expired (the events crossed); the money is real, so it counts.
PAYABLE = frozenset({PaymentStatus.created, PaymentStatus.pending, PaymentStatus.expired})


class EventOutcome(StrEnum):
    applied = "applied"
    ignored = "ignored"  # nothing to do (already in that state, or unknown to us)
    flagged = "flagged"  # recorded for an admin, not applied (amount or currency mismatch)


class PaymentConflict(Conflict):
    code, message_key = "payment_conflict", "errors.payment.conflict"


def to_agorot(amount: Decimal) -> int:
    """Shekels (two places) to the provider's integer agorot."""
    if amount != amount.quantize(CENT):
        raise InvalidInput(fields={"amount": "errors.field.money"})
    return int(amount * AGOROT_PER_SHEKEL)


def from_agorot(agorot: int) -> Decimal:
    return (Decimal(agorot) / AGOROT_PER_SHEKEL).quantize(CENT)


def money_text(amount: Decimal, currency: str = CURRENCY) -> str:
    """An amount as a record (a flagged payment's reason) states it for an admin, in any
    language: `1,250.00 ₪`; another currency by its code (`12.00 USD`)."""
    symbol = "₪" if currency.lower() == CURRENCY else (currency.upper() or "?")
    return f"{amount:,.2f} {symbol}"


def provider_amount_text(agorot: object, currency: str) -> str:
    """A provider's amount (integer agorot) as money; a malformed one as it came."""
    if isinstance(agorot, int) and not isinstance(agorot, bool):
        return money_text(from_agorot(agorot), currency)
    return f"{agorot!r} {currency.upper()}".strip()


def amount_text(amount: Decimal | None, currency: str) -> str:
    """A provider's amount (shekels) as money; a missing one says so."""
    if amount is None:
        return f"no amount {currency.upper()}".strip()
    return money_text(amount, currency)


def refund_key(payment_id: object, refunded_total: Decimal) -> str:
    """The ledger's idempotency key of a refund taking a payment's refunded total to
    `refunded_total` (in agorot, as it always was, so keys written before stay the same)."""
    return f"{payment_id}:{to_agorot(refunded_total)}"


def refund_status(final_amount: Decimal, refunded: Decimal) -> PaymentStatus:
    return PaymentStatus.refunded if refunded >= final_amount else (
        PaymentStatus.partially_refunded if refunded > 0 else PaymentStatus.paid)
