"""Provider operations done once per key (issue 16, Cardcom).

Revision ID: 0012_psp_cardcom
Revises: 0011_privacy_rights
Create Date: 2026-12-01

- `payments.provider` may be `cardcom`.
- `psp_operations`: one row per provider operation we must never do twice (a refund, a token
  charge), keyed by our idempotency key. Cardcom has no idempotency keys of its own for
  refunds, so its adapter records `started` before it calls and `done` with Cardcom's
  transaction id after; the sandbox keeps its refunds here too. Only the platform reads or
  writes it.
- `payment_methods`: a business's saved cards, token only (the provider's token, brand, last
  4 digits, expiry; never a card number): `pending` while the owner is on the provider's
  card-saving page, `active` once the provider confirms it. Owners of that business and admins
  only; at most one default per business.
- `sandbox_card_setups`: the sandbox provider's own card-saving pages.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role

revision: str = "0012_psp_cardcom"
down_revision: str | None = "0011_privacy_rights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    app = quoted_app_role(op)
    op.drop_constraint("payments_provider", "payments", type_="check")
    op.create_check_constraint("payments_provider", "payments",
                               "provider IN ('sandbox', 'stripe', 'cardcom')")
    op.create_table(
        "psp_operations",
        sa.Column("provider", sa.String(20), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("provider_reference", sa.String(120)),
        sa.Column("amount", sa.Numeric(14, 2)),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('refund', 'charge')", name="psp_operations_kind"),
        sa.CheckConstraint("status IN ('started', 'done', 'failed')",
                           name="psp_operations_status"),
    )
    force_rls(op, "psp_operations", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY psp_operations_platform ON psp_operations FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)


    # --- saved payment methods of a business (issue 16 §3) ---------------------------------
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.Uuid(), primary_key=True,
                  server_default=sa.text("gen_random_uuid()")),
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("provider", sa.String(12), nullable=False),
        sa.Column("setup_reference", sa.String(120), nullable=False, unique=True),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("token", sa.String(200)),
        sa.Column("brand", sa.String(20), nullable=False, server_default=""),
        sa.Column("last4", sa.String(4), nullable=False, server_default=""),
        sa.Column("exp_month", sa.SmallInteger()),
        sa.Column("exp_year", sa.SmallInteger()),
        sa.Column("is_default", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('pending', 'active')", name="payment_methods_status"),
        sa.CheckConstraint("status = 'pending' OR (token IS NOT NULL AND last4 ~ '^[0-9]{4}$'"
                           " AND exp_month BETWEEN 1 AND 12 AND exp_year >= 2000)",
                           name="payment_methods_active_complete"),
        sa.CheckConstraint("NOT is_default OR status = 'active'",
                           name="payment_methods_default_active"),
    )
    op.create_index("payment_methods_business", "payment_methods", ["professional_id"])
    op.create_index("payment_methods_one_default", "payment_methods", ["professional_id"],
                    unique=True, postgresql_where=sa.text("is_default"))
    force_rls(op, "payment_methods", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        -- Owners of the business and admins (and the platform) only: not staff, not anyone.
        CREATE POLICY payment_methods_owner ON payment_methods FOR ALL
            USING (app_is_trusted() OR app_owner_of(professional_id))
            WITH CHECK (app_is_trusted() OR app_owner_of(professional_id));
    """)

    # The sandbox's own books of card-saving pages (what Cardcom keeps on its side).
    op.create_table(
        "sandbox_card_setups",
        sa.Column("id", sa.String(80), primary_key=True),  # seti_sandbox_…
        sa.Column("owner_reference", sa.String(120), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("token", sa.String(80)),
        sa.Column("last4", sa.String(4)),
        sa.Column("success_url", sa.Text(), nullable=False),
        sa.Column("cancel_url", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('open', 'complete')", name="sandbox_card_setups_status"),
    )
    force_rls(op, "sandbox_card_setups", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY sandbox_card_setups_platform ON sandbox_card_setups FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)


def downgrade() -> None:
    op.drop_table("sandbox_card_setups")
    op.drop_table("payment_methods")
    op.drop_table("psp_operations")
    op.drop_constraint("payments_provider", "payments", type_="check")
    op.create_check_constraint("payments_provider", "payments",
                               "provider IN ('sandbox', 'stripe')")
