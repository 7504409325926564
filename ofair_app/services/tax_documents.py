"""Tax documents (B2B settlement, issue 17): their numbers, the documents a payment gets, and
their PDFs.

A document's number is taken in the same transaction that writes the document
(`next_number`), so the number exists exactly when the document does: gapless per type and
never reused (migration 0014_document_numbers). Only the platform numbers documents.

A statement's invoice is a tax invoice (305) when it is issued before the money comes (the
usual case: the card is charged after the statement); the charge then gets a receipt (400).
An invoice still held for its allocation number when the money came is issued as a tax
invoice/receipt (320) instead, with the payment on it, and no separate receipt.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy import text
from sqlmodel import Session, col, select

from ofair_app.adapters.storage import get_storage
from ofair_app.db.engine import Caller, trusted_step
from ofair_app.documents import pdf
from ofair_app.domain.errors import Conflict
from ofair_app.domain.tax import (
    DocumentType,
    Totals,
    israel_date,
    needs_allocation,
    vat_rate,
)
from ofair_app.models import (
    AutopayAttempt,
    LocalityRow,
    PaymentMethod,
    Professional,
    SettlementStatement,
    TaxDocument,
)
from ofair_app.models._base import utcnow
from ofair_app.settings import get_settings

INVOICES = (int(DocumentType.tax_invoice), int(DocumentType.tax_invoice_receipt))

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


class Customer(TypedDict):
    """The customer's fields of a `TaxDocument`."""

    customer_name: str
    customer_number: str
    customer_address: str
    customer_is_dealer: bool


def customers_of(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Customer]:
    """The customer's part of a document, per business: as the business is registered now
    (a document keeps it as it was on the day it was written)."""
    # SQLAlchemy's select: sqlmodel's is typed for at most four columns.
    rows = session.execute(sa.select(col(Professional.id), col(Professional.business_name),
                                     col(Professional.business_id),
                                     col(Professional.licensed_dealer), col(LocalityRow.name_he))
                           .join(LocalityRow, col(LocalityRow.id) == Professional.locality_id)
                           .where(col(Professional.id).in_(ids))).all()
    return {pid: {"customer_name": name[:120], "customer_number": number,
                  "customer_address": place[:200], "customer_is_dealer": dealer}
            for pid, name, number, dealer, place in rows}


# --- a sale paid at once (the plan, an unlock) ------------------------------------------------


def sale_receipt(session: Session, *, professional_id: uuid.UUID, kind: str, description: str,
                 price: Decimal, vat: Decimal, total: Decimal, paid_with: str,
                 now: datetime) -> TaxDocument:
    """A tax invoice/receipt (320) for something the platform sold a business and was paid at
    once: one line of `kind` (its price before VAT), and the payment. Held for its allocation
    number when the law asks for one."""
    on = israel_date(now)
    document_type = DocumentType.tax_invoice_receipt
    customer = customers_of(session, [professional_id])[professional_id]
    held = needs_allocation(document_type, price, on,
                            customer_is_dealer=customer["customer_is_dealer"])
    document = TaxDocument(
        professional_id=professional_id, document_type=int(document_type),
        number=None if held else next_number(session, document_type),
        status="held" if held else "issued", document_date=on,
        held_reason="awaiting an allocation number from the Tax Authority" if held else "",
        lines=[{"kind": kind, "description": description, "amount": str(price)},
               {"kind": "payment", "amount": str(total), "description": paid_with}],
        before_vat=price, vat_rate=vat_rate(on), vat=vat, outside_vat=Decimal("0.00"),
        total=total, issued_at=None if held else now, **customer)
    session.add(document)
    session.flush()
    return document


def card_payment(method: PaymentMethod | None, reference: str | None, on: date) -> str:
    """How a card payment reads on a document (in Hebrew, as the document is)."""
    paid_with = (f"כרטיס אשראי {method.brand} המסתיים ב-{method.last4}" if method
                 else "כרטיס אשראי")
    reference_text = f", אסמכתה {reference}" if reference else ""
    return f"{paid_with}, חיוב מיום {on:%d/%m/%Y}{reference_text}"


def credit_in_full(session: Session, document: TaxDocument, *, description: str,
                   now: datetime) -> TaxDocument:
    """A credit note (330) for the whole of an issued (or held) sale: its fee and VAT back."""
    kind = DocumentType.credit_note
    line = next(line for line in document.lines if line.get("kind") != "payment")
    credit = TaxDocument(
        professional_id=document.professional_id, corrects_id=document.id,
        document_type=int(kind), number=next_number(session, kind), status="issued",
        document_date=israel_date(now), customer_name=document.customer_name,
        customer_number=document.customer_number, customer_address=document.customer_address,
        customer_is_dealer=document.customer_is_dealer,
        lines=[{"kind": line.get("kind", "fee"), "description": description,
                "amount": str(document.before_vat)}],
        before_vat=document.before_vat, vat_rate=document.vat_rate, vat=document.vat,
        outside_vat=Decimal("0.00"), total=document.before_vat + document.vat, issued_at=now)
    session.add(credit)
    session.flush()
    return credit


# --- a statement's payment -------------------------------------------------------------------


def invoice_of(session: Session, statement_id: uuid.UUID) -> TaxDocument | None:
    """The statement's invoice (305 or 320), issued or held; none when it had no fees."""
    return session.exec(select(TaxDocument).where(
        TaxDocument.statement_id == statement_id,
        col(TaxDocument.document_type).in_(INVOICES))).first()


def payment_line(session: Session, statement: SettlementStatement) -> dict[str, str]:
    """The statement's payment as a document lists it (in Hebrew, as the document is): the
    card charged, the day and the amount (the statement's one succeeded charge)."""
    paid = session.exec(select(AutopayAttempt, PaymentMethod)
                        .join(PaymentMethod,
                              col(PaymentMethod.id) == AutopayAttempt.payment_method_id)
                        .where(AutopayAttempt.statement_id == statement.id,
                               AutopayAttempt.status == "succeeded")).first()
    if paid is None:
        raise ValueError(f"statement {statement.id} has no succeeded charge")
    attempt, card = paid
    day = israel_date(attempt.finished_at or utcnow())
    reference = f", אסמכתה {attempt.provider_reference}" if attempt.provider_reference else ""
    return {"kind": "payment", "amount": str(attempt.amount),
            "description": f"כרטיס אשראי {card.brand} המסתיים ב-{card.last4}, "
                           f"חיוב מיום {day:%d/%m/%Y}{reference}"}


def record_payment(session: Session, statement: SettlementStatement) -> TaxDocument | None:
    """The document the statement's payment gets, in the transaction that marks it paid: a
    receipt (400) for its issued invoice, or for the statement when it had no invoice. None
    while its invoice is held: that invoice will be issued as a 320 with the payment on it."""
    invoice = invoice_of(session, statement.id)
    if invoice is not None and invoice.status == "held":
        return None
    line = payment_line(session, statement)
    paying = (f"תשלום חשבונית מס מס׳ {invoice.number}" if invoice is not None
              else "תשלום דוח ההתחשבנות")
    line["description"] = f"{paying} ({statement.month:%m/%Y}): {line['description']}"
    customer: Customer = (
        {"customer_name": invoice.customer_name, "customer_number": invoice.customer_number,
         "customer_address": invoice.customer_address,
         "customer_is_dealer": invoice.customer_is_dealer} if invoice is not None
        else customers_of(session, [statement.professional_id])[statement.professional_id])
    kind = DocumentType.receipt
    receipt = TaxDocument(
        professional_id=statement.professional_id, statement_id=statement.id,
        document_type=int(kind), number=next_number(session, kind), status="issued",
        document_date=israel_date(utcnow()), lines=[line], before_vat=Decimal(0),
        vat_rate=Decimal(0), vat=Decimal(0), outside_vat=Decimal(0),
        total=Decimal(line["amount"]), issued_at=utcnow(), **customer)
    session.add(receipt)
    session.flush()
    return receipt


def paid_at_once(session: Session, document: TaxDocument) -> bool:
    """A held invoice about to be issued whose statement was paid meanwhile becomes a tax
    invoice/receipt (320) with the payment listed on it. True when it did."""
    statement = (session.get(SettlementStatement, document.statement_id)
                 if document.statement_id else None)
    if (statement is None or statement.paid_at is None
            or document.document_type != int(DocumentType.tax_invoice)
            or session.exec(select(AutopayAttempt.id).where(
                AutopayAttempt.statement_id == statement.id,
                AutopayAttempt.status == "succeeded")).first() is None):
        return False
    document.document_type = int(DocumentType.tax_invoice_receipt)
    document.lines = [*document.lines, payment_line(session, statement)]
    return True


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
                    if raw["kind"] not in ("collected", "payment")),
        payments=tuple(line for line, raw in zip(lines, document.lines, strict=True)
                       if raw["kind"] == "payment"),
        collected_for_others=tuple(line for line, raw in zip(lines, document.lines, strict=True)
                                   if raw["kind"] == "collected"),
        totals=Totals(before_vat=document.before_vat, rate=document.vat_rate, vat=document.vat,
                      outside_vat=document.outside_vat, total=document.total),
        allocation_number=document.allocation_number, original=original, period=period)


def _period(session: Session, document: TaxDocument) -> str:
    if document.statement_id is None:
        return ""
    month = session.exec(select(col(SettlementStatement.month)).where(
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
