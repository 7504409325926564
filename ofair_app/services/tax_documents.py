"""Tax documents (B2B settlement, issue 17): numbering for now.

A document's number is taken in the same transaction that writes the document
(`next_number`), so the number exists exactly when the document does: gapless per type and
never reused (migration 0014_document_numbers). Only the platform numbers documents.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from ofair_app.domain.tax import DocumentType

_NEXT = text("SELECT next_document_number(CAST(:kind AS smallint))")


def next_number(session: Session, document_type: DocumentType) -> int:
    """The next number of `document_type`, held for the caller's transaction: other
    documents of that type wait until it ends; a rollback gives the number back."""
    return int(session.execute(_NEXT, {"kind": int(document_type)}).scalar_one())
