"""Tax documents (B2B settlement, issue 17): their numbers.

A document's number is taken in the same transaction that writes the document
(`next_number`), so the number exists exactly when the document does: gapless per type and
never reused (migration 0014_document_numbers). Only the platform numbers documents.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from ofair_app.domain.tax import DocumentType

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
