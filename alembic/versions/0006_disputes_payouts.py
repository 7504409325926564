"""Disputes, withdrawals and payout batches.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

- `disputes`: a party to a paid job contests it before the money is released; while one is
  open the lead is `disputed`, so the hold is not released. An admin resolves it by releasing,
  refunding in full or refunding part. One open dispute per payment.
- `withdrawals`: a business's owner asks to be paid out of its available balance (the money
  moves to its payout account at once, so it cannot be asked for twice); an admin approves or
  rejects it, exports approved ones in a `payout_batches` CSV, and marks the batch paid.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)
MONEY = sa.Numeric(12, 2)


def upgrade() -> None:
    app = quoted_app_role(op)

    op.create_table(
        "disputes",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("payment_id", sa.Uuid(), sa.ForeignKey("payments.id"), nullable=False),
        sa.Column("opened_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("party", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("resolution", sa.String(16)),
        sa.Column("refund_amount", MONEY),
        sa.Column("note", sa.String(500), nullable=False, server_default=""),
        sa.Column("resolved_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("resolved_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("party IN ('owner', 'performer')", name="disputes_party"),
        sa.CheckConstraint("status IN ('open', 'resolved')", name="disputes_status"),
        sa.CheckConstraint("resolution IS NULL OR resolution IN ('release', 'refund_full',"
                           " 'refund_partial')", name="disputes_resolution"),
        sa.CheckConstraint("(status = 'resolved') = (resolution IS NOT NULL)",
                           name="disputes_resolved"),
        sa.CheckConstraint("refund_amount IS NULL OR refund_amount > 0",
                           name="disputes_refund"),
    )
    op.execute("""
        CREATE UNIQUE INDEX disputes_open ON disputes (payment_id) WHERE status = 'open';
        CREATE INDEX disputes_queue ON disputes (created_at) WHERE status = 'open';
        CREATE INDEX disputes_lead ON disputes (lead_id);
    """)
    force_rls(op, "disputes", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        -- The parties to the job and admins read it; a party opens it; only an admin (the
        -- platform) resolves it.
        CREATE POLICY disputes_select ON disputes FOR SELECT
            USING (app_is_trusted() OR app_owns_lead(lead_id) OR EXISTS (
                SELECT 1 FROM payments p WHERE p.id = payment_id
                AND app_member_of(p.performer_professional_id)));
        CREATE POLICY disputes_insert ON disputes FOR INSERT
            WITH CHECK (app_is_trusted() OR (opened_by = app_user_id() AND status = 'open'
                        AND resolution IS NULL AND (
                            (party = 'owner' AND app_owns_lead(lead_id))
                            OR (party = 'performer' AND EXISTS (
                                SELECT 1 FROM payments p WHERE p.id = payment_id
                                AND p.lead_id = disputes.lead_id
                                AND app_member_of(p.performer_professional_id))))));
        CREATE POLICY disputes_update ON disputes FOR UPDATE
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)

    op.create_table(
        "payout_batches",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("status", sa.String(10), nullable=False, server_default="exported"),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("paid_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("paid_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('exported', 'paid')", name="payout_batches_status"),
        sa.CheckConstraint("total > 0 AND count > 0", name="payout_batches_total"),
    )
    op.create_table(
        "withdrawals",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("requested_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="requested"),
        sa.Column("bank_code", sa.String(3), nullable=False),
        sa.Column("branch", sa.String(3), nullable=False),
        sa.Column("account", sa.String(9), nullable=False),
        sa.Column("account_holder", sa.String(120), nullable=False),
        sa.Column("batch_id", sa.Uuid(), sa.ForeignKey("payout_batches.id")),
        sa.Column("decided_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("decided_at", TS),
        sa.Column("note", sa.String(300), nullable=False, server_default=""),
        sa.Column("paid_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('requested', 'approved', 'rejected', 'paid')",
                           name="withdrawals_status"),
        sa.CheckConstraint("amount > 0", name="withdrawals_amount"),
        sa.CheckConstraint("bank_code ~ '^[0-9]{2,3}$' AND branch ~ '^[0-9]{3}$'"
                           " AND account ~ '^[0-9]{2,9}$'", name="withdrawals_bank"),
    )
    op.execute("""
        CREATE INDEX withdrawals_professional ON withdrawals (professional_id, created_at DESC);
        CREATE INDEX withdrawals_queue ON withdrawals (status, created_at)
            WHERE status IN ('requested', 'approved');
    """)
    force_rls(op, "withdrawals", app, "SELECT, INSERT, UPDATE")
    force_rls(op, "payout_batches", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY withdrawals_select ON withdrawals FOR SELECT
            USING (app_is_trusted() OR app_member_of(professional_id));
        CREATE POLICY withdrawals_write ON withdrawals FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
        CREATE POLICY payout_batches_admin ON payout_batches FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)


def downgrade() -> None:
    for table in ("withdrawals", "payout_batches", "disputes"):
        op.drop_table(table)
