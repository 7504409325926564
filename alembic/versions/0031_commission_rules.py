"""Commission rules: the platform's rate as effective-dated rules admins manage.

Revision ID: 0031_commission_rules
Revises: 0030_tiers
Create Date: 2026-12-03

- `commission_rules`: a rate for the jobs a rule names (lead type, category and subcategory,
  city, performance tier, subscription), for a period or for good. The default rule names
  nothing, holds always and has no rate of its own: it stands for the platform's configured
  rates (PLATFORM_FEE_CONSUMER_PCT / PLATFORM_FEE_REFERRAL_PCT). It is written here and can
  never be retired, so one rule answers every case. A rule is never edited: an admin retires
  it and writes another, so the rule a split was frozen with stays as it was.
- `payments.commission_rule_id`, `b2b_charges.commission_rule_id`: the rule in force when the
  split was frozen (at payment in escrow, at close in b2b); empty for splits frozen before.
Reads: everyone (the rates are public terms). Writes: admins, through the service.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list

revision: str = "0031_commission_rules"
down_revision: str | None = "0030_tiers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)
TIERS = ("bronze", "silver", "gold", "premium")
DEFAULT_RULE = "00000000-0000-0000-0000-00000000c0de"


def upgrade() -> None:
    app = quoted_app_role(op)
    op.create_table(
        "commission_rules",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False, unique=True),
        sa.Column("rate_pct", sa.Numeric(5, 2)),
        sa.Column("lead_type", sa.String(24)),
        sa.Column("category_slug", sa.String(64), sa.ForeignKey("categories.slug")),
        sa.Column("subcategory_slug", sa.String(64)),
        sa.Column("locality_id", sa.Integer(), sa.ForeignKey("localities.id")),
        sa.Column("tier", sa.String(10)),
        sa.Column("subscribed", sa.Boolean()),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_until", sa.Date()),
        sa.Column("note", sa.String(300), nullable=False, server_default=""),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("retired_at", TS),
        sa.Column("retired_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.CheckConstraint("rate_pct IS NULL OR rate_pct BETWEEN 0 AND 50",
                           name="commission_rules_rate"),
        sa.CheckConstraint("lead_type IS NULL OR lead_type IN ('consumer', "
                           "'professional_referral')", name="commission_rules_lead_type"),
        sa.CheckConstraint(f"tier IS NULL OR tier IN ({sql_list(TIERS)})",
                           name="commission_rules_tier"),
        sa.CheckConstraint("subcategory_slug IS NULL OR category_slug IS NOT NULL",
                           name="commission_rules_subcategory"),
        sa.CheckConstraint("valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from",
                           name="commission_rules_period"),
        # Only the default rule goes without a rate of its own.
        sa.CheckConstraint(
            f"rate_pct IS NOT NULL OR id = '{DEFAULT_RULE}'", name="commission_rules_default"),
    )
    op.execute(f"""
        INSERT INTO commission_rules (id, note) VALUES
            ('{DEFAULT_RULE}', 'The platform''s configured rates, for every job');
        CREATE INDEX commission_rules_active ON commission_rules (seq) WHERE retired_at IS NULL;

        -- A rule is never edited (only retired, once), and the default is never retired.
        CREATE FUNCTION commission_rules_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'a commission rule is retired, never deleted'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF OLD.id = '{DEFAULT_RULE}' OR OLD.retired_at IS NOT NULL
               OR NEW.retired_at IS NULL
               OR (NEW.id, NEW.seq, NEW.rate_pct, NEW.lead_type, NEW.category_slug,
                   NEW.subcategory_slug, NEW.locality_id, NEW.tier, NEW.subscribed,
                   NEW.valid_from, NEW.valid_until, NEW.note, NEW.created_by, NEW.created_at)
                  IS DISTINCT FROM
                  (OLD.id, OLD.seq, OLD.rate_pct, OLD.lead_type, OLD.category_slug,
                   OLD.subcategory_slug, OLD.locality_id, OLD.tier, OLD.subscribed,
                   OLD.valid_from, OLD.valid_until, OLD.note, OLD.created_by, OLD.created_at)
            THEN
                RAISE EXCEPTION 'a commission rule is only retired, once; the default never'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER commission_rules_guard BEFORE UPDATE OR DELETE ON commission_rules
            FOR EACH ROW EXECUTE FUNCTION commission_rules_guard();
    """)
    force_rls(op, "commission_rules", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY commission_rules_select ON commission_rules FOR SELECT USING (true);
        CREATE POLICY commission_rules_insert ON commission_rules FOR INSERT
            WITH CHECK (app_is_trusted());
        CREATE POLICY commission_rules_update ON commission_rules FOR UPDATE
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
        CREATE POLICY commission_rules_platform ON commission_rules FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);
    """)
    for table in ("payments", "b2b_charges"):
        op.add_column(table, sa.Column("commission_rule_id", sa.Uuid(),
                                       sa.ForeignKey("commission_rules.id")))


def downgrade() -> None:
    for table in ("payments", "b2b_charges"):
        op.drop_column(table, "commission_rule_id")
    op.drop_table("commission_rules")
    op.execute("DROP FUNCTION commission_rules_guard()")
