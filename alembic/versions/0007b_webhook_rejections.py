"""Signed provider webhooks that could not be read, kept for admins.

Revision ID: 0007b
Revises: 0007a
Create Date: 2026-12-01

- `webhook_rejections`: a body that carries a valid provider signature but is not an event we
  can read (not JSON, not an object, missing or mistyped fields, values PostgreSQL cannot
  store) is answered 400 and recorded here: what was wrong, the body's size and SHA-256, and a
  printable excerpt. The platform (the `system` role of the webhook's unit of work) inserts;
  among users only admins read; nobody updates or deletes. Unsigned bodies are never recorded, so no one
  without the secret can fill the table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role

revision: str = "0007b"
down_revision: str | None = "0007a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    app = quoted_app_role(op)
    op.create_table(
        "webhook_rejections",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("provider", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("body_bytes", sa.Integer(), nullable=False),
        sa.Column("body_excerpt", sa.String(2000), nullable=False, server_default=""),
        sa.Column("received_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("webhook_rejections_received", "webhook_rejections", ["received_at"])
    force_rls(op, "webhook_rejections", app, "SELECT, INSERT")
    op.execute("""
        CREATE POLICY webhook_rejections_platform_writes ON webhook_rejections FOR INSERT
            WITH CHECK (app_role() = 'system');
        -- Admins read; the platform too (an INSERT … RETURNING reads the row it wrote).
        CREATE POLICY webhook_rejections_trusted_reads ON webhook_rejections FOR SELECT
            USING (app_is_trusted());
    """)


def downgrade() -> None:
    op.drop_table("webhook_rejections")
