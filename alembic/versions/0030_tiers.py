"""Performance tiers: each business's tier, and every month's evaluation behind it.

Revision ID: 0030_tiers
Revises: 0029_referral_chains
Create Date: 2026-12-03

- `professional_tiers`: a business's tier now, since when, and the month that gave it. Everyone
  reads it (the badge on the public page); only the platform writes it (the `update_tiers`
  job), so a business cannot award itself a tier.
- `tier_evaluations`: one row per business and month, with the figures of its last 90 days
  (completed jobs, rating, median minutes to answer a lead, disputes lost), the tier they gave
  and the tier before: the audit of every change, and what the business is shown. Its own
  members and admins read it; only the platform writes; rows are never changed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list

revision: str = "0030_tiers"
down_revision: str | None = "0029_referral_chains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)
TIERS = ("bronze", "silver", "gold", "premium")


def upgrade() -> None:
    app = quoted_app_role(op)
    op.create_table(
        "tier_evaluations",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("tier", sa.String(10), nullable=False),
        sa.Column("previous_tier", sa.String(10), nullable=False),
        sa.Column("completed_jobs", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Numeric(3, 2)),
        sa.Column("response_minutes", sa.Integer()),
        sa.Column("disputes_lost", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"tier IN ({sql_list(TIERS)}) AND previous_tier IN"
                           f" ({sql_list(TIERS)})", name="tier_evaluations_tier"),
        sa.CheckConstraint("extract(day FROM month) = 1", name="tier_evaluations_month"),
        sa.CheckConstraint("completed_jobs >= 0 AND disputes_lost >= 0"
                           " AND (rating IS NULL OR rating BETWEEN 1 AND 5)"
                           " AND (response_minutes IS NULL OR response_minutes >= 0)",
                           name="tier_evaluations_figures"),
        sa.UniqueConstraint("professional_id", "month", name="tier_evaluations_once"),
    )
    op.create_table(
        "professional_tiers",
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tier", sa.String(10), nullable=False),
        sa.Column("since", TS, nullable=False),
        sa.Column("evaluation_id", sa.Uuid(), sa.ForeignKey("tier_evaluations.id"),
                  nullable=False),
        sa.CheckConstraint(f"tier IN ({sql_list(TIERS)})", name="professional_tiers_tier"),
    )
    force_rls(op, "tier_evaluations", app, "SELECT, INSERT")
    force_rls(op, "professional_tiers", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY professional_tiers_select ON professional_tiers FOR SELECT USING (true);
        CREATE POLICY professional_tiers_insert ON professional_tiers FOR INSERT
            WITH CHECK (app_is_trusted());
        CREATE POLICY professional_tiers_update ON professional_tiers FOR UPDATE
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
        CREATE POLICY tier_evaluations_insert ON tier_evaluations FOR INSERT
            WITH CHECK (app_is_trusted());
        CREATE POLICY professional_tiers_platform ON professional_tiers FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);
        CREATE POLICY tier_evaluations_select ON tier_evaluations FOR SELECT
            USING (app_member_of(professional_id) OR app_is_trusted());
        CREATE POLICY tier_evaluations_platform ON tier_evaluations FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);
        CREATE FUNCTION tier_evaluations_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'a tier evaluation is never changed' USING ERRCODE = 'check_violation';
        END $$;
        CREATE TRIGGER tier_evaluations_frozen BEFORE UPDATE OR DELETE ON tier_evaluations
            FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION tier_evaluations_frozen();
    """)


def downgrade() -> None:
    op.drop_table("professional_tiers")
    op.execute("DROP TRIGGER tier_evaluations_frozen ON tier_evaluations")
    op.drop_table("tier_evaluations")
    op.execute("DROP FUNCTION tier_evaluations_frozen()")
