"""Tax documents (B2B settlement, issue 17): their numbers and their PDFs.

A document's number is taken in the same transaction that writes the document
(`next_number`), so the number exists exactly when the document does: gapless per type and
never reused (migration 0014_document_numbers). Only the platform numbers documents.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session, select

from ofair_app.adapters.storage import get_storage
from ofair_app.db.engine import Caller, trusted_step
from ofair_app.documents import pdf
from ofair_app.domain.errors import Conflict
from ofair_app.domain.tax import DocumentType, Totals
from ofair_app.models import SettlementStatement, TaxDocument
from ofair_app.settings import get_settings

_NEXT = text("SELECT next_document_number(CAST(:kind AS smallint))")

# A block of numbers in one statement (the settlement numbers thousands of invoices at once).
_BLOCK = text("""
    INSERT INTO document_counters AS counter (document_type, last_number)
        VALUES (CAST(:kind AS smallint), :count)
    ON CONFLICT (document_type) DO UPDATE SET last_number = counter.last_number + :count
    RETURNING last_number
""")


def next_number(session: Session, document_type: DocumentType) -> int:
    """The next number of `document_type`, held for the caller's transaction: other
    documents of that type wait until it ends; a rollback gives the number back."""
    return int(session.execute(_NEXT, {"kind": int(document_type)}).scalar_one())


def take_numbers(session: Session, document_type: DocumentType, count: int) -> range:
    """The next `count` numbers of `document_type` in order, held as `next_number` holds one."""
    if count <= 0:
        return range(0)
    last = int(session.execute(_BLOCK, {"kind": int(document_type), "count": count})
               .scalar_one())
    return range(last - count + 1, last + 1)


# --- the PDF -----------------------------------------------------------------------------------

LINK_SECONDS = 300  # a download link lives five minutes

_STORE_PDF = text("""
    UPDATE tax_documents SET pdf_key = :key WHERE id = :id AND pdf_key IS NULL
""")


class NotIssued(Conflict):
    code, message_key = "not_issued", "errors.settlement.not_issued"


def view_of(document: TaxDocument, *, original: bool, period: str = "") -> pdf.DocumentView:
    """The issued document as its PDF shows it (the platform is the issuer)."""
    settings = get_settings()
    lines = [pdf.Line(description=line["description"], amount=Decimal(line["amount"]))
             for line in document.lines]
    return pdf.DocumentView(
        document_type=DocumentType(document.document_type), number=int(document.number or 0),
        issued_on=document.document_date,
        issuer=pdf.Party(name=settings.invoice_issuer_name,
                         address=settings.invoice_issuer_address,
                         dealer_number=settings.invoice_issuer_number),
        customer=pdf.Party(name=document.customer_name, address=document.customer_address,
                           dealer_number=document.customer_number),
        lines=tuple(line for line, raw in zip(lines, document.lines, strict=True)
                    if raw["kind"] != "collected"),
        collected_for_others=tuple(line for line, raw in zip(lines, document.lines, strict=True)
                                   if raw["kind"] == "collected"),
        totals=Totals(before_vat=document.before_vat, rate=document.vat_rate, vat=document.vat,
                      outside_vat=document.outside_vat, total=document.total),
        allocation_number=document.allocation_number, original=original, period=period)


def _period(session: Session, document: TaxDocument) -> str:
    if document.statement_id is None:
        return ""
    month = session.exec(select(SettlementStatement.month).where(
        SettlementStatement.id == document.statement_id)).first()
    return f"{month:%m/%Y}" if month else ""


def pdf_link(session: Session, caller: Caller, document: TaxDocument) -> str:
    """A five-minute link to the document's PDF. The business's owners get the original
    (rendered and stored the first time it is asked for: documents render lazily); the
    platform's own people get a copy ("העתק"), rendered each time. A held invoice has none."""
    if document.status != "issued" or document.number is None:
        raise NotIssued()
    filename = f"{DocumentType(document.document_type).value}-{document.number}.pdf"
    storage = get_storage()
    if caller.role == "admin":
        key = f"tax-documents/copies/{document.id}-{uuid.uuid4().hex[:8]}.pdf"
        storage.put(key, pdf.render_pdf(view_of(
            document, original=False, period=_period(session, document))), "application/pdf")
    elif document.pdf_key is None:
        key = f"tax-documents/{document.document_type}/{document.number}.pdf"
        storage.put(key, pdf.render_pdf(view_of(
            document, original=True, period=_period(session, document))), "application/pdf")
        with trusted_step(session, caller):  # the one change an issued document allows
            session.execute(_STORE_PDF, {"key": key, "id": document.id})
    else:
        key = document.pdf_key
    return storage.signed_url(key, filename=filename, content_type="application/pdf",
                              expires_in=LINK_SECONDS)
