"""Allocation numbers (מספר הקצאה) from the Israel Tax Authority, behind one small interface.

Under the Israel Invoices model (חשבוניות ישראל) a tax invoice to a licensed dealer whose amount
before VAT is above the Authority's threshold is only deductible by the customer when it
carries an allocation number the Authority gave for it. Whether an invoice needs one is the
invoicing service's decision; this package only asks.

`sandbox` (the default) answers locally and deterministically, and refuses on demand so the
held-invoice path can be exercised; `ita` asks the Authority's SHAAM invoices API. Both speak
in the plain dataclasses below, money as `Decimal` shekels: the Authority's field names stay
inside `ita.py`.

A request is checked before anything is sent: dealer numbers of nine digits with a valid check
digit, a document type the Authority numbers, amounts in whole agorot that add up. A bad one is
a `ValueError` (a bug upstream, never worth asking the Authority about).

These errors are not `AppError`s: no person sees them. The invoicing service catches them, holds
the invoice (`AllocationRefused`: for someone to look at the reason; `AuthorityUnavailable`: to
ask again later) and says so in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Protocol

from ofair_app.domain.tax import DocumentType, dealer_number_valid
from ofair_app.settings import get_settings

# The document types that take an allocation number: a tax invoice, a tax invoice / receipt, a
# credit note (domain/tax.py has the codes).
DOCUMENT_TYPES = frozenset({DocumentType.tax_invoice, DocumentType.tax_invoice_receipt,
                            DocumentType.credit_note})
_AGORA = Decimal("0.01")


@dataclass(frozen=True)
class AllocationRequest:
    invoice_number: str  # ours, as printed on the invoice
    document_type: int  # one of DOCUMENT_TYPES (305, 320, 330)
    invoice_date: date
    vat_number: str  # the platform's dealer number (עוסק מורשה / ח"פ), 9 digits
    customer_vat_number: str  # the customer's, 9 digits
    amount_before_vat: Decimal  # shekels
    vat_amount: Decimal
    total: Decimal  # amount_before_vat + vat_amount


@dataclass(frozen=True)
class AllocationResult:
    """The Authority's answer: a number, or a refusal with its reason (code and message as the
    Authority gave them). `request_allocation` answers only approved ones; a refused one
    travels inside `AllocationRefused`, so a refusal cannot be mistaken for a number."""

    allocation_number: str | None = None
    reason_code: str | None = None
    reason: str | None = None

    @property
    def approved(self) -> bool:
        return self.allocation_number is not None


class AuthorityUnavailable(Exception):
    """No answer from the Authority (a timeout, a 5xx, the network, no token): nothing was
    decided, and asking again later is safe."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class AllocationRefused(Exception):
    """The Authority answered and gave no number: `result` says why."""

    def __init__(self, result: AllocationResult) -> None:
        self.result = result
        super().__init__(f"allocation refused: {result.reason_code} {result.reason}")


class InvoiceAuthority(Protocol):
    name: str

    def request_allocation(self, request: AllocationRequest) -> AllocationResult:
        """An approved result, or `AllocationRefused` / `AuthorityUnavailable`; `ValueError`
        (and no call) for a request that is not well-formed."""
        ...


def check_request(request: AllocationRequest) -> None:
    """`ValueError` naming the first thing wrong with a request; nothing when it may be sent."""
    for label, number in (("vat_number", request.vat_number),
                          ("customer_vat_number", request.customer_vat_number)):
        if not dealer_number_valid(number):
            raise ValueError(f"{label} {number!r} is not a dealer number: nine digits with a "
                             "valid check digit")
    if request.document_type not in DOCUMENT_TYPES:
        raise ValueError(f"document_type {request.document_type} takes no allocation number "
                         f"(one of {sorted(int(kind) for kind in DOCUMENT_TYPES)})")
    if not request.invoice_number.strip():
        raise ValueError("invoice_number is empty")
    for label, amount in (("amount_before_vat", request.amount_before_vat),
                          ("vat_amount", request.vat_amount), ("total", request.total)):
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0 \
                or amount != amount.quantize(_AGORA):
            raise ValueError(f"{label} {amount!r} is not a Decimal of whole agorot (>= 0)")
    if request.amount_before_vat + request.vat_amount != request.total:
        raise ValueError(f"amount_before_vat + vat_amount is not total ({request.total})")


__all__ = ["DOCUMENT_TYPES", "AllocationRefused", "AllocationRequest", "AllocationResult",
           "AuthorityUnavailable", "InvoiceAuthority", "check_request", "dealer_number_valid",
           "get_authority"]


@cache
def _authority(name: str) -> InvoiceAuthority:
    if name == "ita":
        from ofair_app.adapters.invoices.ita import ItaAuthority

        return ItaAuthority()
    from ofair_app.adapters.invoices.sandbox import SandboxAuthority

    return SandboxAuthority()


def get_authority(name: str | None = None) -> InvoiceAuthority:
    return _authority(name or get_settings().invoice_authority)
