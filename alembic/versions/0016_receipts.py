"""Receipts for settlement payments (issue 17): a statement charged to the business's card
gets a receipt (קבלה, 400); an invoice still held for its allocation number when the money
came is issued as a tax invoice/receipt (חשבונית מס/קבלה, 320) instead.

A receipt has no VAT of its own (the invoice it pays carried it): its before-VAT, VAT and
outside-VAT figures are zero and its total is what was received. One receipt per statement
(a statement is paid once: one succeeded autopay attempt).

Revision ID: 0016_receipts
Revises: 0015_b2b_settlement
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016_receipts"
down_revision: str | None = "0015_b2b_settlement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE tax_documents DROP CONSTRAINT tax_documents_sum;
        ALTER TABLE tax_documents ADD CONSTRAINT tax_documents_sum CHECK (
            CASE WHEN document_type = 400
                 THEN before_vat = 0 AND vat = 0 AND outside_vat = 0 AND total > 0
                 ELSE total = before_vat + vat + outside_vat END);
        CREATE UNIQUE INDEX tax_documents_statement_receipt ON tax_documents (statement_id)
            WHERE document_type = 400;
    """)


def downgrade() -> None:
    op.execute("""
        DROP INDEX tax_documents_statement_receipt;
        ALTER TABLE tax_documents DISABLE TRIGGER tax_documents_final;
        DELETE FROM tax_documents WHERE document_type = 400;
        ALTER TABLE tax_documents ENABLE TRIGGER tax_documents_final;
        ALTER TABLE tax_documents DROP CONSTRAINT tax_documents_sum;
        ALTER TABLE tax_documents ADD CONSTRAINT tax_documents_sum
            CHECK (total = before_vat + vat + outside_vat);
    """)
