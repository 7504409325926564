"""Israeli tax-document rules for B2B settlement (DESIGN.md §11 "Tax documents"): pure, no I/O.

- Document types are the Tax Authority's unified codes: 305 חשבונית מס, 320 חשבונית מס/קבלה,
  330 credit note (חשבונית זיכוי), 400 receipt (קבלה).
- VAT is charged on the platform's own fee at the rate in force on the document's date. Rates
  and allocation thresholds change by law on known dates, so each is an effective-dated table:
  a new rate is one new row, and a document keeps the rate of its own date forever.
- Allocation numbers (the Israel Invoices model): a tax invoice to a licensed dealer whose
  amount before VAT exceeds the threshold in force on its date needs a number from the Tax
  Authority before it is issued.

Dates here are calendar dates in Israel (Asia/Jerusalem): `israel_date` turns a moment into one.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum
from zoneinfo import ZoneInfo

ISRAEL = ZoneInfo("Asia/Jerusalem")
AGORA = Decimal("0.01")


class DocumentType(IntEnum):
    """The Tax Authority's unified document codes."""

    tax_invoice = 305  # חשבונית מס
    tax_invoice_receipt = 320  # חשבונית מס/קבלה: invoiced and paid at once
    credit_note = 330  # חשבונית זיכוי: the only way to correct an issued invoice
    receipt = 400  # קבלה


# VAT rate from each date on (the Value Added Tax Law's rate; the last row is in force today).
VAT_RATES: tuple[tuple[date, Decimal], ...] = (
    (date(2015, 10, 1), Decimal("0.17")),
    (date(2025, 1, 1), Decimal("0.18")),
)

# Amount before VAT above which a tax invoice to a licensed dealer needs an allocation number,
# from each date on (none was needed before the first row).
ALLOCATION_THRESHOLDS: tuple[tuple[date, Decimal], ...] = (
    (date(2024, 5, 5), Decimal("25000")),
    (date(2025, 1, 1), Decimal("20000")),
    (date(2026, 1, 1), Decimal("10000")),
    (date(2026, 6, 1), Decimal("5000")),
)

# The documents the allocation rule applies to: tax invoices (a credit note corrects one).
ALLOCATED_TYPES = frozenset({DocumentType.tax_invoice, DocumentType.tax_invoice_receipt})


def _in_force(table: tuple[tuple[date, Decimal], ...], on: date) -> Decimal | None:
    index = bisect_right([since for since, _ in table], on)
    return table[index - 1][1] if index else None


def israel_date(moment: datetime) -> date:
    """The calendar date in Israel at `moment` (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("a moment without a time zone has no date in Israel")
    return moment.astimezone(ISRAEL).date()


def vat_rate(on: date) -> Decimal:
    """The VAT rate in force on `on` (0.18 from 2025-01-01)."""
    rate = _in_force(VAT_RATES, on)
    if rate is None:
        raise ValueError(f"no VAT rate is known for {on.isoformat()}")
    return rate


def allocation_threshold(on: date) -> Decimal | None:
    """The amount before VAT above which an allocation number is needed on `on` (None: the
    rule was not yet in force)."""
    return _in_force(ALLOCATION_THRESHOLDS, on)


def needs_allocation(document_type: DocumentType, before_vat: Decimal, on: date, *,
                     customer_is_dealer: bool) -> bool:
    """Whether a document must carry an allocation number before it is issued: a tax invoice
    to a licensed dealer whose amount before VAT exceeds the threshold of its date."""
    threshold = allocation_threshold(on)
    return (document_type in ALLOCATED_TYPES and customer_is_dealer
            and threshold is not None and before_vat > threshold)


@dataclass(frozen=True)
class Totals:
    """A document's money: the amount before VAT, the rate of its date, the VAT and the total.
    `outside_vat` is money collected for others (referral fees the platform collects as the
    colleagues' agent): on the document, outside the VAT base, added to what is paid."""

    before_vat: Decimal
    rate: Decimal
    vat: Decimal
    outside_vat: Decimal
    total: Decimal


def vat_on(before_vat: Decimal, rate: Decimal) -> Decimal:
    """VAT on `before_vat` at `rate`, rounded half up to the agora."""
    return (before_vat * rate).quantize(AGORA, rounding=ROUND_HALF_UP)


def totals(before_vat: Decimal, on: date, *, outside_vat: Decimal = Decimal("0.00")) -> Totals:
    """VAT on `before_vat` at the rate of `on`, rounded half up to the agora."""
    if before_vat != before_vat.quantize(AGORA) or outside_vat != outside_vat.quantize(AGORA):
        raise ValueError("amounts are whole agorot")
    rate = vat_rate(on)
    vat = vat_on(before_vat, rate)
    return Totals(before_vat=before_vat, rate=rate, vat=vat, outside_vat=outside_vat,
                  total=before_vat + vat + outside_vat)


def dealer_number_valid(number: str) -> bool:
    """An Israeli dealer, company or ID number as documents carry it: nine digits whose check
    digit is right (digits weighted 1, 2, 1, 2…, a two-digit product counted as the sum of its
    digits, the total a multiple of 10)."""
    if not number.isascii() or not number.isdigit() or len(number) != 9:
        return False
    total = 0
    for position, digit in enumerate(number):
        product = int(digit) * (1 + position % 2)
        total += product - 9 if product > 9 else product
    return total % 10 == 0
