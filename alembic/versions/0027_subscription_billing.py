"""The paid subscription: bought with a saved card, renewed each period, billing as the truth.

Revision ID: 0027_subscription_billing
Revises: 0026_milestones
Create Date: 2026-12-03

- `subscriptions.source`: `paid` (bought by an owner, renewed by `renew_subscriptions`) or
  `grant` (an admin's complimentary period, as before). A paid one keeps its `price` (before
  VAT, as agreed when bought), `next_charge_at` (its renewal, or the next retry of a failed
  one), `failed_charges` (automatic tries of the current period that failed) and
  `cancel_at_period_end`.
- Statuses: `active`; `past_due` (its renewal failed: the benefits go on through the grace
  period while it is retried); `ended` (cancelled at the period's end, which came); `lapsed`
  (unpaid after the grace period); `cancelled` (ended at once by an admin).
- One live paid subscription per business (a unique index).
- `subscription_charges`: each charge of a period, numbered per period; the provider is called
  with the key `subscription:<subscription>:<period start>:<attempt>`, and at most one charge
  of a period succeeds (a unique index), so a renewal is idempotent per period. A succeeded
  charge names its tax invoice/receipt (320).
- The ledger's `subscription` transactions: the card's money into clearing, the platform's
  revenue and the VAT owed.
Reads: the business's owners (charges) or members (subscriptions), and admins; only the
platform writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list

revision: str = "0027_subscription_billing"
down_revision: str | None = "0026_milestones"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)
MONEY = sa.Numeric(12, 2)
STATUSES = ("active", "past_due", "ended", "lapsed", "cancelled")
TX_KINDS = ("hold", "post", "void", "refund", "withdrawal", "withdrawal_reversal", "payout",
            "manual_payout", "accrue", "accrue_reversal", "vat", "statement_paid",
            "statement_credit", "credit_note")


def _kinds(kinds: Sequence[str]) -> None:
    op.execute(f"""
        ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind;
        ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind
            CHECK (kind IN ({sql_list(kinds)}));
    """)


def upgrade() -> None:
    app = quoted_app_role(op)
    op.add_column("subscriptions", sa.Column("source", sa.String(8), nullable=False,
                                             server_default="grant"))
    op.add_column("subscriptions", sa.Column("price", MONEY))
    op.add_column("subscriptions", sa.Column("next_charge_at", TS))
    op.add_column("subscriptions", sa.Column("failed_charges", sa.SmallInteger(),
                                             nullable=False, server_default="0"))
    op.add_column("subscriptions", sa.Column("cancel_at_period_end", sa.Boolean(),
                                             nullable=False, server_default=sa.false()))
    op.execute(f"""
        ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status;
        ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status
            CHECK (status IN ({sql_list(STATUSES)}));
        ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_source
            CHECK (source IN ('paid', 'grant'));
        ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_price
            CHECK ((source = 'paid') = (price IS NOT NULL) AND (price IS NULL OR price > 0));
        -- A paid subscription not yet charged has no period: it ends where it starts.
        ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_period;
        ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_period
            CHECK (ends_at > starts_at OR (source = 'paid' AND ends_at = starts_at));
        -- One paid subscription in force per business.
        CREATE UNIQUE INDEX subscriptions_one_paid ON subscriptions (professional_id)
            WHERE source = 'paid' AND status IN ('active', 'past_due');
        CREATE INDEX subscriptions_due ON subscriptions (next_charge_at)
            WHERE next_charge_at IS NOT NULL;
    """)

    op.create_table(
        "subscription_charges",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("subscription_id", sa.Uuid(), sa.ForeignKey("subscriptions.id"),
                  nullable=False),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("period_start", TS, nullable=False),
        sa.Column("period_end", TS, nullable=False),
        sa.Column("attempt", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="started"),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("vat", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("payment_method_id", sa.Uuid(), sa.ForeignKey("payment_methods.id",
                                                                ondelete="SET NULL")),
        sa.Column("provider", sa.String(12), nullable=False),
        sa.Column("provider_reference", sa.String(120)),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("started_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("tax_document_id", sa.Uuid(), sa.ForeignKey("tax_documents.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", TS),
        sa.UniqueConstraint("subscription_id", "period_start", "attempt",
                            name="subscription_charges_number"),
        sa.CheckConstraint("status IN ('started', 'succeeded', 'declined', 'no_card')",
                           name="subscription_charges_status"),
        sa.CheckConstraint("price > 0 AND vat >= 0 AND amount = price + vat",
                           name="subscription_charges_amount"),
        sa.CheckConstraint("period_end > period_start", name="subscription_charges_period"),
    )
    op.execute("""
        -- At most one charge of a period succeeds: a renewal is idempotent per period.
        CREATE UNIQUE INDEX subscription_charges_one_success
            ON subscription_charges (subscription_id, period_start) WHERE status = 'succeeded';
        CREATE INDEX subscription_charges_business
            ON subscription_charges (professional_id, created_at);
    """)
    force_rls(op, "subscription_charges", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY subscription_charges_read ON subscription_charges FOR SELECT
            USING (app_is_trusted() OR app_owner_of(professional_id));
        CREATE POLICY subscription_charges_platform ON subscription_charges FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)
    _kinds((*TX_KINDS, "subscription"))


def downgrade() -> None:
    op.execute("DELETE FROM ledger_entries WHERE transaction_id IN"
               " (SELECT id FROM ledger_transactions WHERE kind = 'subscription')")
    op.execute("DELETE FROM ledger_transactions WHERE kind = 'subscription'")
    _kinds(TX_KINDS)
    op.drop_table("subscription_charges")
    op.execute("""
        DROP INDEX subscriptions_due;
        DROP INDEX subscriptions_one_paid;
        ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_price;
        ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_source;
        ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status;
        DELETE FROM subscriptions WHERE source = 'paid';
        UPDATE subscriptions SET status = 'cancelled' WHERE status <> 'active';
        ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status
            CHECK (status IN ('active', 'cancelled'));
        ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_period;
        ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_period
            CHECK (ends_at > starts_at);
    """)
    for column in ("cancel_at_period_end", "failed_charges", "next_charge_at", "price", "source"):
        op.drop_column("subscriptions", column)
