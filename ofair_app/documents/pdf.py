"""Tax documents as PDF: Hebrew, right to left, from a Jinja HTML template through WeasyPrint
(DESIGN.md §11), PDF/A-3b with the Hebrew font (Culmus, Debian's `culmus`) embedded.

What a חשבונית מס must show is all here: the issuer's name, address and dealer number; the
document's kind with "מקור" on the original and "העתק" on a copy; its number and date; the
customer's name, address and business number; the lines; the total before VAT, the VAT rate
and amount, the total; the allocation number when it has one. Money collected for colleagues
(referral fees, as their agent) is listed apart, outside the VAT base. A receipt (קבלה) lists
the money received and what it pays, and no VAT; a tax invoice/receipt lists both. Nothing here
reads the database: a service builds a `DocumentView` from the issued document and renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ofair_app.domain.tax import DocumentType, Totals

TITLES = {
    DocumentType.tax_invoice: "חשבונית מס",
    DocumentType.tax_invoice_receipt: "חשבונית מס/קבלה",
    DocumentType.credit_note: "חשבונית זיכוי",
    DocumentType.receipt: "קבלה",
}


@dataclass(frozen=True)
class Party:
    name: str
    address: str
    dealer_number: str  # עוסק מורשה / ח"פ


@dataclass(frozen=True)
class Line:
    description: str
    amount: Decimal  # before VAT (or, for money collected for others, as collected)


@dataclass(frozen=True)
class DocumentView:
    """One issued document, as its PDF shows it."""

    document_type: DocumentType
    number: int
    issued_on: date
    issuer: Party
    customer: Party
    lines: tuple[Line, ...]
    totals: Totals
    collected_for_others: tuple[Line, ...] = ()  # referral fees, outside the VAT base
    payments: tuple[Line, ...] = ()  # money received (a receipt's lines; a 320's payment)
    allocation_number: str | None = None
    original: bool = True  # "מקור"; a copy says "העתק"
    period: str = ""  # the month a statement covers, as written on it


def shekels(amount: Decimal) -> str:
    """`₪1,250.00`: always two places on a tax document (Israel's grouping and decimal marks,
    as Babel's he_IL pattern `#,##0.00` writes them; formatted directly, as a month's invoices
    write hundreds of thousands of them)."""
    return f"₪{amount:,.2f}"


_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
    trim_blocks=True, lstrip_blocks=True)
_TEMPLATES.filters["shekels"] = shekels


def render_html(view: DocumentView) -> str:
    return _TEMPLATES.get_template("tax_document.html").render(
        view=view, title=TITLES[view.document_type],
        receipt=view.document_type == DocumentType.receipt,
        vat_percent=format_decimal(view.totals.rate * 100, format="0.##", locale="he_IL"))


def render_pdf(view: DocumentView) -> bytes:
    """The document as a PDF/A-3b file, fonts embedded."""
    from weasyprint import HTML  # its native libraries load only when a document is rendered

    return HTML(string=render_html(view)).write_pdf(pdf_variant="pdf/a-3b")
