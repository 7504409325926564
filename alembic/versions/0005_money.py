"""Money (escrow mode): payments, provider webhook events, the double-entry ledger, completion.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

- `ledger_accounts`, `ledger_transactions`, `ledger_entries` (signed amounts: debit > 0,
  credit < 0). A transaction whose entries do not sum to zero cannot commit: a deferred
  constraint trigger checks each transaction at COMMIT. The application role may only SELECT
  and INSERT them, and only the platform (a trusted caller) inserts. A hold is resolved
  (`post`ed or `void`ed) at most once: a unique index on `pending_id`.
- `payments` carry the commission split frozen at initiation; `payment_webhook_events` keeps
  every provider event id once, so a replay finds its row and changes nothing.
- `leads.completed_at` / `closed_at` date the end of the job (auto-confirm and the hold period
  count from them); the performer may now mark a paid job done (`leads_performer_complete`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)
MONEY = sa.Numeric(12, 2)
PAYMENT_STATUSES = ("created", "pending", "paid", "partially_refunded", "refunded", "expired",
                    "failed")
TX_KINDS = ("hold", "post", "void", "refund", "withdrawal", "withdrawal_reversal", "payout",
            "manual_payout")
PURPOSES = ("clearing", "platform_pending", "platform_revenue", "pro_pending", "pro_available",
            "pro_payout")
# As in 0003/0004 (a test checks they agree with `ofair_app.domain.leads`).
MOVES = (
    ("active", "awarded"), ("active", "cancelled"),
    ("awarded", "active"), ("awarded", "in_progress"), ("awarded", "cancelled"),
    ("in_progress", "completed"), ("in_progress", "disputed"), ("in_progress", "cancelled"),
    ("completed", "closed"), ("completed", "disputed"),
    ("closed", "disputed"),
    ("disputed", "closed"), ("disputed", "cancelled"),
)
LEAD_CONTENT = ("title", "short_description", "category_slug", "subcategory_slug", "locality_id",
                "lat", "lon", "budget", "referrer_share_percentage", "preferred_schedule",
                "preferred_date", "visibility", "final_amount", "cancelled_at", "closed_at")


def _leads_guard(*, performer_completes: bool) -> str:
    """The guard of 0004, with (from 0005) the performer marking a paid job done."""
    content = LEAD_CONTENT if performer_completes else LEAD_CONTENT[:-1]
    new = ", ".join(f"NEW.{c}" for c in content)
    old = ", ".join(f"OLD.{c}" for c in content)
    complete = ("OR (OLD.status = 'in_progress' AND NEW.status = 'completed' "
                "AND app_member_of(OLD.performer_professional_id))") if performer_completes else ""
    return f"""
        CREATE OR REPLACE FUNCTION leads_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.type IS DISTINCT FROM OLD.type
               OR NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id
               OR NEW.owner_professional_id IS DISTINCT FROM OLD.owner_professional_id
               OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                RAISE EXCEPTION 'a lead''s type and owner cannot change'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.status IS DISTINCT FROM OLD.status
               AND (OLD.status, NEW.status) NOT IN (
                   {", ".join(f"('{a}', '{b}')" for a, b in MOVES)}) THEN
                RAISE EXCEPTION 'a lead cannot move from % to %', OLD.status, NEW.status
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NOT app_is_platform() THEN
                IF NEW.proposal_count IS DISTINCT FROM OLD.proposal_count THEN
                    RAISE EXCEPTION 'the proposal count is kept by the platform'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                -- Someone other than the owner only claims the lead, gives it back, or (the
                -- performer) marks the paid job done.
                IF NOT app_owns(OLD.owner_user_id, OLD.owner_professional_id) AND (
                       ({new}) IS DISTINCT FROM ({old})
                       OR NOT ((OLD.status = 'active' AND NEW.status = 'awarded'
                                AND app_member_of(NEW.performer_professional_id))
                               OR (OLD.status = 'awarded' AND NEW.status = 'active'
                                   AND app_member_of(OLD.performer_professional_id))
                               {complete})) THEN
                    RAISE EXCEPTION 'only the owner may change this lead'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF NEW.status = 'awarded' AND OLD.status = 'active' AND NOT EXISTS (
                       SELECT 1 FROM proposals p WHERE p.lead_id = NEW.id AND p.status = 'accepted'
                       AND p.professional_id = NEW.performer_professional_id) THEN
                    RAISE EXCEPTION 'a lead is awarded to the business whose offer was accepted'
                        USING ERRCODE = 'check_violation';
                END IF;
                IF OLD.status = 'awarded' AND NEW.status IN ('active', 'cancelled') AND EXISTS (
                       SELECT 1 FROM proposals p WHERE p.lead_id = NEW.id
                       AND p.status = 'accepted') THEN
                    RAISE EXCEPTION 'end the accepted offer before the award'
                        USING ERRCODE = 'check_violation';
                END IF;
                -- Payment moves a lead on; only the platform records it.
                IF OLD.status = 'awarded' AND NEW.status = 'in_progress' THEN
                    RAISE EXCEPTION 'a job starts when it is paid'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
    """


def upgrade() -> None:
    app = quoted_app_role(op)

    # --- the end of a job ---------------------------------------------------------------------
    op.add_column("leads", sa.Column("completed_at", TS))
    op.add_column("leads", sa.Column("closed_at", TS))
    op.execute("""
        CREATE INDEX leads_completed_due ON leads (completed_at) WHERE status = 'completed';
        CREATE INDEX leads_closed_at ON leads (closed_at) WHERE status = 'closed';
        -- The performer marks a paid job done.
        CREATE POLICY leads_performer_complete ON leads FOR UPDATE
            USING (app_member_of(performer_professional_id) AND status = 'in_progress')
            WITH CHECK (app_member_of(performer_professional_id) AND status = 'completed');
    """)
    op.execute(_leads_guard(performer_completes=True))

    # --- payments -----------------------------------------------------------------------------
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposals.id"), nullable=False),
        sa.Column("payer_user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("performer_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("referrer_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id")),
        sa.Column("provider", sa.String(12), nullable=False),
        sa.Column("psp_reference", sa.String(255), unique=True),
        sa.Column("psp_payment_intent", sa.String(255)),
        sa.Column("checkout_url", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False, server_default="created"),
        sa.Column("currency", sa.String(3), nullable=False, server_default="ils"),
        sa.Column("final_amount", MONEY, nullable=False),
        sa.Column("platform_commission", MONEY, nullable=False),
        sa.Column("referrer_fee", MONEY, nullable=False),
        sa.Column("professional_net_amount", MONEY, nullable=False),
        sa.Column("platform_rate_pct", sa.Numeric(5, 2), nullable=False),
        sa.Column("referrer_share_pct", sa.Numeric(5, 2), nullable=False, server_default="0"),
        sa.Column("refunded_amount", MONEY, nullable=False, server_default="0"),
        sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("flag_reason", sa.String(300), nullable=False, server_default=""),
        sa.Column("paid_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"status IN ({sql_list(PAYMENT_STATUSES)})", name="payments_status"),
        sa.CheckConstraint("provider IN ('sandbox', 'stripe')", name="payments_provider"),
        sa.CheckConstraint("final_amount > 0 AND platform_commission >= 0 AND referrer_fee >= 0"
                           " AND professional_net_amount >= 0", name="payments_amounts"),
        sa.CheckConstraint("platform_commission + referrer_fee + professional_net_amount"
                           " = final_amount", name="payments_split"),
        sa.CheckConstraint("refunded_amount BETWEEN 0 AND final_amount",
                           name="payments_refunded"),
        sa.CheckConstraint("(referrer_fee = 0) OR (referrer_professional_id IS NOT NULL)",
                           name="payments_referrer"),
    )
    op.execute("""
        -- One live payment per lead: a second tap gets the first one back.
        CREATE UNIQUE INDEX payments_live ON payments (lead_id)
            WHERE status IN ('created', 'pending', 'paid', 'partially_refunded');
        CREATE INDEX payments_pending ON payments (created_at) WHERE status = 'pending';
        CREATE INDEX payments_intent ON payments (psp_payment_intent)
            WHERE psp_payment_intent IS NOT NULL;
        CREATE INDEX payments_lead ON payments (lead_id, created_at DESC);
        CREATE FUNCTION payments_touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (NEW.lead_id, NEW.proposal_id, NEW.payer_user_id, NEW.final_amount,
                NEW.platform_commission, NEW.referrer_fee, NEW.professional_net_amount,
                NEW.created_at) IS DISTINCT FROM
               (OLD.lead_id, OLD.proposal_id, OLD.payer_user_id, OLD.final_amount,
                OLD.platform_commission, OLD.referrer_fee, OLD.professional_net_amount,
                OLD.created_at) THEN
                RAISE EXCEPTION 'a payment''s amounts are frozen when it is made'
                    USING ERRCODE = 'check_violation';
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER payments_touch BEFORE UPDATE ON payments
            FOR EACH ROW EXECUTE FUNCTION payments_touch();
    """)
    force_rls(op, "payments", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        -- The payer, the lead's owner, the businesses paid, admins.
        CREATE POLICY payments_select ON payments FOR SELECT
            USING (app_is_trusted() OR payer_user_id = app_user_id() OR app_owns_lead(lead_id)
                   OR app_member_of(performer_professional_id)
                   OR app_member_of(referrer_professional_id));
        -- The owner starts a payment for its own awarded lead; everything after is the
        -- platform's (the provider's word arrives as a signed webhook).
        CREATE POLICY payments_insert ON payments FOR INSERT
            WITH CHECK (app_is_trusted() OR (payer_user_id = app_user_id() AND status = 'created'
                        AND app_owns_lead(lead_id)));
        CREATE POLICY payments_update ON payments FOR UPDATE
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)
    op.create_table(
        "payment_webhook_events",
        sa.Column("id", sa.String(255), primary_key=True),  # the provider's event id
        sa.Column("provider", sa.String(12), nullable=False),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("payment_id", sa.Uuid(), sa.ForeignKey("payments.id")),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False, server_default=""),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("received_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("outcome IN ('applied', 'ignored', 'flagged')",
                           name="payment_webhook_events_outcome"),
    )
    op.create_index("payment_webhook_events_payment", "payment_webhook_events",
                    ["payment_id", "received_at"])
    force_rls(op, "payment_webhook_events", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY payment_webhook_events_platform ON payment_webhook_events FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)

    # --- the sandbox provider's own books (what Stripe would keep on its side) ----------------
    op.create_table(
        "sandbox_checkouts",
        sa.Column("id", sa.String(80), primary_key=True),  # cs_sandbox_…
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("amount_total", sa.BigInteger(), nullable=False),  # agorot
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("description", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("payment_intent", sa.String(80), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("success_url", sa.Text(), nullable=False),
        sa.Column("cancel_url", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", TS, nullable=False),
        sa.CheckConstraint("status IN ('open', 'complete', 'expired')",
                           name="sandbox_checkouts_status"),
    )
    force_rls(op, "sandbox_checkouts", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY sandbox_checkouts_platform ON sandbox_checkouts FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)

    # --- the ledger ---------------------------------------------------------------------------
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("code", sa.String(80), nullable=False, unique=True),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"purpose IN ({sql_list(PURPOSES)})", name="ledger_accounts_purpose"),
        sa.CheckConstraint("(purpose LIKE 'pro\\_%') = (professional_id IS NOT NULL)",
                           name="ledger_accounts_owner"),
    )
    op.create_index("ledger_accounts_professional", "ledger_accounts", ["professional_id"],
                    postgresql_where=sa.text("professional_id IS NOT NULL"))
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(160), nullable=False, unique=True),
        sa.Column("payment_id", sa.Uuid(), sa.ForeignKey("payments.id")),
        sa.Column("pending_id", sa.BigInteger(), sa.ForeignKey("ledger_transactions.id")),
        sa.Column("withdrawal_id", sa.Uuid()),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("note", sa.String(300), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"kind IN ({sql_list(TX_KINDS)})", name="ledger_transactions_kind"),
        sa.CheckConstraint("(kind IN ('post', 'void')) = (pending_id IS NOT NULL)",
                           name="ledger_transactions_pending"),
    )
    op.execute("""
        -- A hold is posted or voided once.
        CREATE UNIQUE INDEX ledger_transactions_resolution ON ledger_transactions (pending_id)
            WHERE pending_id IS NOT NULL;
        CREATE INDEX ledger_transactions_payment ON ledger_transactions (payment_id)
            WHERE payment_id IS NOT NULL;
    """)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("transaction_id", sa.BigInteger(), sa.ForeignKey("ledger_transactions.id"),
                  nullable=False),
        sa.Column("account_id", sa.BigInteger(), sa.ForeignKey("ledger_accounts.id"),
                  nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("amount <> 0", name="ledger_entries_amount"),
    )
    op.create_index("ledger_entries_account", "ledger_entries", ["account_id", "id"])
    op.create_index("ledger_entries_transaction", "ledger_entries", ["transaction_id"])
    for table in ("ledger_accounts", "ledger_transactions", "ledger_entries"):
        force_rls(op, table, app, "SELECT, INSERT")
        op.execute(f"""
            CREATE POLICY {table}_write ON {table} FOR INSERT WITH CHECK (app_is_trusted());
            CREATE POLICY {table}_platform ON {table} FOR SELECT TO CURRENT_USER USING (true);
        """)
    op.execute("""
        -- A business reads its own accounts and their entries; admins read everything.
        CREATE POLICY ledger_accounts_select ON ledger_accounts FOR SELECT
            USING (app_is_trusted() OR app_member_of(professional_id));
        CREATE POLICY ledger_entries_select ON ledger_entries FOR SELECT
            USING (app_is_trusted() OR EXISTS (
                SELECT 1 FROM ledger_accounts a WHERE a.id = account_id
                AND app_member_of(a.professional_id)));
        CREATE POLICY ledger_transactions_select ON ledger_transactions FOR SELECT
            USING (app_is_trusted() OR EXISTS (
                SELECT 1 FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                WHERE e.transaction_id = ledger_transactions.id
                AND app_member_of(a.professional_id)));

        -- Every transaction balances: checked at COMMIT, over all of its entries.
        CREATE FUNCTION ledger_balanced() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            total numeric;
        BEGIN
            SELECT sum(amount) INTO total FROM ledger_entries
                WHERE transaction_id = NEW.transaction_id;
            IF total <> 0 THEN
                RAISE EXCEPTION 'ledger transaction % does not balance (%)',
                    NEW.transaction_id, total USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION ledger_balanced() FROM PUBLIC;
        CREATE CONSTRAINT TRIGGER ledger_balanced AFTER INSERT ON ledger_entries
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_balanced();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_balanced ON ledger_entries; "
               "DROP FUNCTION IF EXISTS ledger_balanced();")
    for table in ("ledger_entries", "ledger_transactions", "ledger_accounts",
                  "sandbox_checkouts", "payment_webhook_events", "payments"):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS payments_touch();")
    op.execute(_leads_guard(performer_completes=False))
    op.execute("DROP POLICY IF EXISTS leads_performer_complete ON leads;")
    op.drop_index("leads_closed_at", "leads")
    op.drop_index("leads_completed_due", "leads")
    op.drop_column("leads", "closed_at")
    op.drop_column("leads", "completed_at")
