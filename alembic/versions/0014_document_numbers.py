"""Tax documents are numbered per type with no gap and no reuse (issue 17, DESIGN.md §11).

Revision ID: 0014_document_numbers
Revises: 0013_money_speed
Create Date: 2026-12-02

`document_counters` holds the last number issued of each document type (305, 320, 330, 400).
`next_document_number(type)` takes the next one inside the caller's transaction: the counter's
row stays locked until that transaction ends, so two documents of a type are numbered one after
the other, a number is used only if the document that took it commits (a rollback gives it
back, so no gap), and a committed number is never given again. A PostgreSQL sequence would
skip numbers on every rollback, which the Tax Authority does not allow. Only the platform
issues documents (system, or an admin's trusted step).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role

revision: str = "0014_document_numbers"
down_revision: str | None = "0013_money_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    app = quoted_app_role(op)
    op.create_table(
        "document_counters",
        sa.Column("document_type", sa.SmallInteger(), primary_key=True),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("document_type IN (305, 320, 330, 400)",
                           name="document_counters_type"),
        sa.CheckConstraint("last_number >= 1", name="document_counters_positive"),
    )
    force_rls(op, "document_counters", app, "SELECT, INSERT, UPDATE")
    op.execute(f"""
        CREATE POLICY document_counters_platform ON document_counters FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());

        -- Runs as the caller: the policy above decides who may number a document.
        CREATE FUNCTION next_document_number(kind smallint) RETURNS bigint
            LANGUAGE sql VOLATILE SET search_path = public, pg_temp AS $$
            INSERT INTO document_counters AS counter (document_type, last_number)
                VALUES (kind, 1)
            ON CONFLICT (document_type)
                DO UPDATE SET last_number = counter.last_number + 1
            RETURNING last_number
        $$;
        REVOKE ALL ON FUNCTION next_document_number(smallint) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION next_document_number(smallint) TO {app};
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS next_document_number(smallint)")
    op.drop_table("document_counters")
