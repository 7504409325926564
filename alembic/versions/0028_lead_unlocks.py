"""Direct-contact leads: a business pays to unlock the client's contact; fair refunds.

Revision ID: 0028_lead_unlocks
Revises: 0027_subscription_billing
Create Date: 2026-12-03

- `leads.direct_contact`: the consumer let professionals contact them directly (consumer
  leads only). `leads.unlock_count`: the places taken (unlocks started, paid or refunded),
  written only by the platform under the lead's lock (`leads_unlock_guard`), so two
  businesses taking the last place give exactly one.
- The board's projection copies both (`lead_board_sync`, 0020's with two more columns), so a
  card shows the places left without a look at anyone's unlocks.
- `lead_unlocks`: one row per (lead, business). Paid by a saved card (the provider is called
  with `unlock:<lead>:<business>:<attempt>`) or from the business's available balance; a
  succeeded unlock names its tax invoice/receipt (320), a refunded one its credit note (330).
- `app_sees_client()` also opens the client's details to the members of a business whose
  unlock of the lead succeeded (and stops when it is refunded). `contact_access_logs` takes
  the reason `unlock`.
- `unlock_refund_claims`: at most one per unlock, within 7 days; decided automatically (the
  number fails validation, a duplicate of a lead the business already had, the client
  confirmed through a link) or by an admin.
- The ledger's `unlock` and `unlock_refund` transactions.
Reads: an unlock by its business's members, the lead's owner (who unlocked) and admins; a
claim by its business's members and admins. Only the platform writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list

revision: str = "0028_lead_unlocks"
down_revision: str | None = "0027_subscription_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)
MONEY = sa.Numeric(12, 2)
TX_KINDS = ("hold", "post", "void", "refund", "withdrawal", "withdrawal_reversal", "payout",
            "manual_payout", "accrue", "accrue_reversal", "vat", "statement_paid",
            "statement_credit", "credit_note", "subscription")
REASONS = ("not_in_service", "unreachable", "duplicate", "never_asked")
BOARD_COLUMNS = ("title", "short_description", "category_slug", "subcategory_slug",
                 "locality_id", "lat", "lon", "budget", "referrer_share_percentage",
                 "preferred_schedule", "proposal_count")
UNLOCK_COLUMNS = ("direct_contact", "unlock_count")


def _kinds(kinds: Sequence[str]) -> None:
    op.execute(f"""
        ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind;
        ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind
            CHECK (kind IN ({sql_list(kinds)}));
    """)


def _sync_function(unlocks: bool) -> str:
    """`lead_board_sync` as 0020 left it and (with `unlocks`) copying the direct-contact flag
    and the places taken."""
    columns = BOARD_COLUMNS + (UNLOCK_COLUMNS if unlocks else ())
    updates = ",\n                    ".join(f"{c} = EXCLUDED.{c}" for c in columns)
    mine = ", ".join(f"lead_board.{c}" for c in columns)
    theirs = ", ".join(f"EXCLUDED.{c}" for c in columns)
    extra = ", direct_contact, unlock_count" if unlocks else ""
    values = ", NEW.direct_contact, NEW.unlock_count" if unlocks else ""
    return f"""
        CREATE OR REPLACE FUNCTION lead_board_sync() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            IF NEW.status = 'active' AND NEW.visibility = 'public' AND NEW.hidden_at IS NULL THEN
                INSERT INTO lead_board (lead_id, type, title, short_description, category_slug,
                                        subcategory_slug, locality_id, lat, lon, budget,
                                        referrer_share_percentage, preferred_schedule,
                                        owner_professional_id, proposal_count, created_at,
                                        pinned{extra})
                VALUES (NEW.id, NEW.type, NEW.title, NEW.short_description, NEW.category_slug,
                        NEW.subcategory_slug, NEW.locality_id, NEW.lat, NEW.lon, NEW.budget,
                        NEW.referrer_share_percentage, NEW.preferred_schedule,
                        NEW.owner_professional_id, NEW.proposal_count, NEW.created_at,
                        EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = NEW.owner_professional_id
                                  AND p.subscribed_until > now()){values})
                ON CONFLICT (lead_id) DO UPDATE SET
                    {updates}
                WHERE ({mine})
                    IS DISTINCT FROM ({theirs});
            ELSIF TG_OP = 'UPDATE' THEN
                DELETE FROM lead_board WHERE lead_id = NEW.id;
            END IF;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION lead_board_sync() FROM PUBLIC;
    """


def _sees_client(unlocks: bool) -> str:
    unlocked = """
                               OR EXISTS (SELECT 1 FROM lead_unlocks u
                                          WHERE u.lead_id = l.id AND u.status = 'succeeded'
                                            AND app_member_of(u.professional_id))""" \
        if unlocks else ""
    return f"""
        CREATE OR REPLACE FUNCTION app_sees_client(lid uuid) RETURNS boolean
            LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT EXISTS (SELECT 1 FROM leads l WHERE l.id = lid
                          AND (app_owns(l.owner_user_id, l.owner_professional_id)
                               OR app_member_of(l.performer_professional_id){unlocked})) $$;
    """


def _access_reasons(reasons: Sequence[str]) -> None:
    op.execute(f"""
        ALTER TABLE contact_access_logs DROP CONSTRAINT contact_access_logs_reason;
        ALTER TABLE contact_access_logs ADD CONSTRAINT contact_access_logs_reason
            CHECK (reason IN ({sql_list(reasons)}));
    """)


def upgrade() -> None:
    app = quoted_app_role(op)
    # Constant defaults: no table rewrite at 1M+ leads.
    op.execute("""
        ALTER TABLE leads ADD COLUMN direct_contact boolean NOT NULL DEFAULT false,
                          ADD COLUMN unlock_count smallint NOT NULL DEFAULT 0;
        ALTER TABLE leads ADD CONSTRAINT leads_direct_contact CHECK (
            (NOT direct_contact OR type = 'consumer') AND unlock_count >= 0) NOT VALID;
        ALTER TABLE leads VALIDATE CONSTRAINT leads_direct_contact;
        ALTER TABLE lead_board ADD COLUMN direct_contact boolean NOT NULL DEFAULT false,
                               ADD COLUMN unlock_count smallint NOT NULL DEFAULT 0;

        -- Only the platform counts the places taken (under the lead's lock).
        CREATE FUNCTION leads_unlock_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT app_is_trusted() AND (TG_OP = 'INSERT' AND NEW.unlock_count <> 0
                   OR TG_OP = 'UPDATE' AND NEW.unlock_count IS DISTINCT FROM OLD.unlock_count)
            THEN
                RAISE EXCEPTION 'only the platform counts a lead''s unlocks'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER leads_unlock_guard BEFORE INSERT OR UPDATE ON leads
            FOR EACH ROW EXECUTE FUNCTION leads_unlock_guard();
    """)
    op.execute(_sync_function(unlocks=True))

    op.create_table(
        "lead_unlocks",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("unlocked_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("pay_with", sa.String(8), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="started"),
        sa.Column("attempt", sa.SmallInteger(), nullable=False, server_default="1"),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("vat", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("payment_method_id", sa.Uuid(), sa.ForeignKey("payment_methods.id",
                                                                ondelete="SET NULL")),
        sa.Column("provider", sa.String(12)),
        sa.Column("provider_reference", sa.String(120)),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("tax_document_id", sa.Uuid(), sa.ForeignKey("tax_documents.id")),
        sa.Column("refund_document_id", sa.Uuid(), sa.ForeignKey("tax_documents.id")),
        sa.Column("refund_reference", sa.String(120)),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("unlocked_at", TS),
        sa.Column("refunded_at", TS),
        sa.UniqueConstraint("lead_id", "professional_id", name="lead_unlocks_once"),
        sa.CheckConstraint("pay_with IN ('card', 'balance')", name="lead_unlocks_pay_with"),
        sa.CheckConstraint("status IN ('started', 'succeeded', 'declined', 'refunded')",
                           name="lead_unlocks_status"),
        sa.CheckConstraint("price > 0 AND vat >= 0 AND amount = price + vat",
                           name="lead_unlocks_amount"),
        sa.CheckConstraint("(status IN ('succeeded', 'refunded')) = (unlocked_at IS NOT NULL)",
                           name="lead_unlocks_unlocked"),
        sa.CheckConstraint("(status = 'refunded') = (refunded_at IS NOT NULL)",
                           name="lead_unlocks_refunded"),
    )
    op.execute("""
        CREATE INDEX lead_unlocks_business ON lead_unlocks (professional_id, created_at DESC);
    """)
    force_rls(op, "lead_unlocks", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        -- The business that unlocked, the lead's owner (who sees who unlocked) and admins.
        CREATE POLICY lead_unlocks_read ON lead_unlocks FOR SELECT
            USING (app_is_trusted() OR app_member_of(professional_id) OR app_owns_lead(lead_id));
        CREATE POLICY lead_unlocks_platform ON lead_unlocks FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)
    op.execute(_sees_client(unlocks=True))
    _access_reasons(("owner", "performer", "admin", "unlock"))

    op.create_table(
        "unlock_refund_claims",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("unlock_id", sa.Uuid(), sa.ForeignKey("lead_unlocks.id"), nullable=False,
                  unique=True),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("claimed_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("note", sa.String(500), nullable=False, server_default=""),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("decided_how", sa.String(16)),
        sa.Column("decided_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("decision_note", sa.String(500), nullable=False, server_default=""),
        sa.Column("client_token_hash", sa.String(64), unique=True),
        sa.Column("client_answer", sa.String(12)),
        sa.Column("client_answered_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("decided_at", TS),
        sa.CheckConstraint(f"reason IN ({sql_list(REASONS)})", name="unlock_refund_claims_reason"),
        sa.CheckConstraint("status IN ('open', 'approved', 'refunded', 'rejected')",
                           name="unlock_refund_claims_status"),
        sa.CheckConstraint("decided_how IS NULL OR decided_how IN ('number_invalid', "
                           "'duplicate', 'client_confirmed', 'admin')",
                           name="unlock_refund_claims_how"),
        sa.CheckConstraint("client_answer IS NULL OR client_answer IN ('never_asked', 'asked')",
                           name="unlock_refund_claims_answer"),
        sa.CheckConstraint("(status = 'open') = (decided_at IS NULL)",
                           name="unlock_refund_claims_decided"),
    )
    op.execute("""
        CREATE INDEX unlock_refund_claims_queue ON unlock_refund_claims (created_at)
            WHERE status IN ('open', 'approved');
        CREATE INDEX unlock_refund_claims_business
            ON unlock_refund_claims (professional_id, created_at DESC);
    """)
    force_rls(op, "unlock_refund_claims", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY unlock_refund_claims_read ON unlock_refund_claims FOR SELECT
            USING (app_is_trusted() OR app_member_of(professional_id));
        CREATE POLICY unlock_refund_claims_platform ON unlock_refund_claims FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)
    _kinds((*TX_KINDS, "unlock", "unlock_refund"))


def downgrade() -> None:
    op.execute("DELETE FROM ledger_entries WHERE transaction_id IN (SELECT id FROM"
               " ledger_transactions WHERE kind IN ('unlock', 'unlock_refund'))")
    op.execute("DELETE FROM ledger_transactions WHERE kind IN ('unlock', 'unlock_refund')")
    _kinds(TX_KINDS)
    op.drop_table("unlock_refund_claims")
    op.execute("DELETE FROM contact_access_logs WHERE reason = 'unlock'")
    _access_reasons(("owner", "performer", "admin"))
    op.execute(_sees_client(unlocks=False))
    op.drop_table("lead_unlocks")
    op.execute(_sync_function(unlocks=False))
    op.execute("""
        DROP TRIGGER leads_unlock_guard ON leads;
        DROP FUNCTION leads_unlock_guard();
        ALTER TABLE lead_board DROP COLUMN unlock_count, DROP COLUMN direct_contact;
        ALTER TABLE leads DROP CONSTRAINT leads_direct_contact;
        ALTER TABLE leads DROP COLUMN unlock_count, DROP COLUMN direct_contact;
    """)
