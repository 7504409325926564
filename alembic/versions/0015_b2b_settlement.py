"""B2B settlement: what closed jobs owe, monthly statements, tax documents (issue 17).

Revision ID: 0015_b2b_settlement
Revises: 0014_document_numbers
Create Date: 2026-12-02

- The ledger gains each business's b2b running account (`pro_settlement`), the platform's VAT
  owed to the Tax Authority (`vat_payable`), and three kinds of transaction: `accrue` (a job
  closed: its performer owes commission and referral fee), `accrue_reversal` (the job was
  cancelled before its statement) and `vat` (a statement's VAT).
- `b2b_charges`: one row per closed job in b2b mode (unique per lead), its amounts frozen at
  close; `frozen` while the job is disputed; `settled` once a statement took it.
- `settlement_statements`: one per business and month (unique), the month netted.
- `tax_documents`: the platform's tax invoices (305/320), credit notes (330) and receipts (400).
  A held invoice has no number yet; an issued document has one (unique per type) and is never
  edited again: the database refuses any change to it but storing its PDF once.
- `b2b_credits`: a settled job lowered or refunded afterwards: its credit note (330) corrects
  the invoice, and the credit waits for the business's next statement (`credits`).
- `autopay_attempts`: each charge of a statement to the business's saved card (autopay),
  numbered per statement; at most one succeeds.
- `professionals.licensed_dealer`: whether the business is a licensed dealer (עוסק מורשה or a
  company), which decides whether its invoices may need an allocation number;
  `professionals.settlement_credit`: what happens to a month the platform owes the business
  for: `carry` it to the next statement, or `payout` (it becomes withdrawable).
All five tables: the business's owners and admins read their rows; only the platform writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list

revision: str = "0015_b2b_settlement"
down_revision: str | None = "0014_document_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)
MONEY = sa.Numeric(12, 2)
TX_KINDS = ("hold", "post", "void", "refund", "withdrawal", "withdrawal_reversal", "payout",
            "manual_payout", "accrue", "accrue_reversal", "vat", "statement_paid",
            "statement_credit", "credit_note")
PURPOSES = ("clearing", "platform_pending", "platform_revenue", "pro_pending", "pro_available",
            "pro_payout", "pro_settlement", "vat_payable")
OLD_TX_KINDS = TX_KINDS[:8]
OLD_PURPOSES = PURPOSES[:6]


def _checks(kinds: Sequence[str], purposes: Sequence[str]) -> None:
    op.execute(f"""
        ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind;
        ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind
            CHECK (kind IN ({sql_list(kinds)}));
        ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_purpose;
        ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_purpose
            CHECK (purpose IN ({sql_list(purposes)}));
    """)


def upgrade() -> None:
    app = quoted_app_role(op)
    _checks(TX_KINDS, PURPOSES)
    op.add_column("professionals", sa.Column("licensed_dealer", sa.Boolean(), nullable=False,
                                             server_default=sa.true()))
    op.add_column("professionals", sa.Column("settlement_credit", sa.String(8), nullable=False,
                                             server_default="carry"))
    op.create_check_constraint("professionals_settlement_credit", "professionals",
                               "settlement_credit IN ('carry', 'payout')")

    op.create_table(
        "settlement_statements",
        sa.Column("id", sa.Uuid(), primary_key=True,
                  server_default=sa.text("gen_random_uuid()")),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("jobs", sa.Integer(), nullable=False),
        sa.Column("fees", MONEY, nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 4), nullable=False),
        sa.Column("vat", MONEY, nullable=False),
        sa.Column("referral_owed", MONEY, nullable=False),
        sa.Column("referral_earned", MONEY, nullable=False),
        sa.Column("carried_in", MONEY, nullable=False),
        sa.Column("credits", MONEY, nullable=False, server_default="0"),
        sa.Column("amount_due", MONEY, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("autopay_attempts", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS),
        sa.Column("paid_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("professional_id", "month", name="settlement_statements_month"),
        sa.CheckConstraint("extract(day FROM month) = 1", name="settlement_statements_first"),
        sa.CheckConstraint("status IN ('due', 'paid', 'credit', 'carried', 'settled')",
                           name="settlement_statements_status"),
        sa.CheckConstraint("amount_due = fees + vat + referral_owed - referral_earned"
                           " + carried_in + credits", name="settlement_statements_sum"),
    )
    op.create_index("settlement_statements_by_month", "settlement_statements",
                    ["month", "status"])
    op.execute("""
        CREATE INDEX settlement_statements_autopay ON settlement_statements (next_attempt_at)
            WHERE status = 'due' AND next_attempt_at IS NOT NULL;
        CREATE INDEX settlement_statements_business ON settlement_statements (professional_id)
            WHERE status = 'due';
    """)

    # Each charge of a statement's amount to the business's saved card (autopay), numbered:
    # the provider is called with the key `autopay:<statement>:<attempt>`, so a retry of an
    # attempt whose answer was lost charges nothing more.
    op.create_table(
        "autopay_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("statement_id", sa.Uuid(), sa.ForeignKey("settlement_statements.id"),
                  nullable=False),
        sa.Column("attempt", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="started"),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("payment_method_id", sa.Uuid(), sa.ForeignKey("payment_methods.id",
                                                                ondelete="SET NULL")),
        sa.Column("provider", sa.String(12), nullable=False),
        sa.Column("provider_reference", sa.String(120)),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("started_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", TS),
        sa.UniqueConstraint("statement_id", "attempt", name="autopay_attempts_number"),
        sa.CheckConstraint("status IN ('started', 'succeeded', 'declined', 'failed', 'no_card')",
                           name="autopay_attempts_status"),
        sa.CheckConstraint("amount > 0", name="autopay_attempts_amount"),
    )
    op.execute("""
        -- At most one charge of a statement succeeds.
        CREATE UNIQUE INDEX autopay_attempts_one_success ON autopay_attempts (statement_id)
            WHERE status = 'succeeded';
    """)

    op.create_table(
        "b2b_charges",
        sa.Column("id", sa.Uuid(), primary_key=True,
                  server_default=sa.text("gen_random_uuid()")),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id"), nullable=False,
                  unique=True),
        sa.Column("performer_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("referrer_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id")),
        sa.Column("final_amount", MONEY, nullable=False),
        sa.Column("platform_commission", MONEY, nullable=False),
        sa.Column("referrer_fee", MONEY, nullable=False),
        sa.Column("closed_at", TS, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), sa.ForeignKey("ledger_transactions.id"),
                  nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("performer_statement_id", sa.Uuid(),
                  sa.ForeignKey("settlement_statements.id")),
        sa.Column("referrer_statement_id", sa.Uuid(),
                  sa.ForeignKey("settlement_statements.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('open', 'frozen', 'settled', 'reversed')",
                           name="b2b_charges_status"),
        sa.CheckConstraint("platform_commission >= 0 AND referrer_fee >= 0"
                           " AND platform_commission + referrer_fee <= final_amount",
                           name="b2b_charges_amounts"),
        sa.CheckConstraint("(referrer_fee = 0) OR (referrer_professional_id IS NOT NULL)",
                           name="b2b_charges_referrer"),
    )
    op.execute("""
        CREATE INDEX b2b_charges_due ON b2b_charges (month) WHERE status = 'open';
        CREATE INDEX b2b_charges_performer ON b2b_charges (performer_professional_id, month);
        CREATE INDEX b2b_charges_referrer ON b2b_charges (referrer_professional_id, month)
            WHERE referrer_professional_id IS NOT NULL;
    """)

    op.create_table(
        "tax_documents",
        sa.Column("id", sa.Uuid(), primary_key=True,
                  server_default=sa.text("gen_random_uuid()")),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("statement_id", sa.Uuid(), sa.ForeignKey("settlement_statements.id")),
        sa.Column("corrects_id", sa.Uuid(), sa.ForeignKey("tax_documents.id")),
        sa.Column("document_type", sa.SmallInteger(), nullable=False),
        sa.Column("number", sa.BigInteger()),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("customer_name", sa.String(120), nullable=False),
        sa.Column("customer_number", sa.String(9), nullable=False),
        sa.Column("customer_address", sa.String(200), nullable=False, server_default=""),
        sa.Column("customer_is_dealer", sa.Boolean(), nullable=False),
        sa.Column("lines", postgresql.JSONB(), nullable=False),
        sa.Column("before_vat", MONEY, nullable=False),
        sa.Column("vat_rate", sa.Numeric(5, 4), nullable=False),
        sa.Column("vat", MONEY, nullable=False),
        sa.Column("outside_vat", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("allocation_number", sa.String(20)),
        sa.Column("held_reason", sa.String(300), nullable=False, server_default=""),
        sa.Column("pdf_key", sa.String(200)),
        sa.Column("issued_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("document_type IN (305, 320, 330, 400)",
                           name="tax_documents_type"),
        sa.CheckConstraint("status IN ('held', 'issued')", name="tax_documents_status"),
        sa.CheckConstraint("(status = 'issued') = (number IS NOT NULL AND issued_at IS NOT NULL)",
                           name="tax_documents_numbered"),
        sa.CheckConstraint("total = before_vat + vat + outside_vat", name="tax_documents_sum"),
        sa.CheckConstraint("(document_type = 330) = (corrects_id IS NOT NULL)",
                           name="tax_documents_credit_note"),
        sa.UniqueConstraint("document_type", "number", name="tax_documents_number"),
    )
    op.execute("""
        CREATE INDEX tax_documents_business ON tax_documents (professional_id, created_at);
        CREATE INDEX tax_documents_held ON tax_documents (created_at) WHERE status = 'held';
        -- One invoice per statement (an invoice may have several credit notes).
        CREATE UNIQUE INDEX tax_documents_statement_invoice ON tax_documents (statement_id)
            WHERE document_type IN (305, 320);
        CREATE INDEX tax_documents_correction ON tax_documents (corrects_id)
            WHERE corrects_id IS NOT NULL;

        -- An issued document is final: only its PDF may be stored, once. A held one may be
        -- issued (numbered) once it has what it lacked. Nothing is ever deleted.
        CREATE FUNCTION tax_documents_final() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'tax documents are never deleted' USING ERRCODE = 'P0001';
            END IF;
            IF OLD.status = 'issued' AND (
                   (to_jsonb(NEW) - 'pdf_key') IS DISTINCT FROM (to_jsonb(OLD) - 'pdf_key')
                   OR (OLD.pdf_key IS NOT NULL AND NEW.pdf_key IS DISTINCT FROM OLD.pdf_key))
            THEN
                RAISE EXCEPTION 'an issued tax document is never edited'
                    USING ERRCODE = 'P0001';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER tax_documents_final BEFORE UPDATE OR DELETE ON tax_documents
            FOR EACH ROW EXECUTE FUNCTION tax_documents_final();
    """)

    # Disputes in b2b mode: no payment holds the job's money, so a dispute names the lead only
    # and the performer is found on the lead.
    op.execute("""
        ALTER TABLE disputes ALTER COLUMN payment_id DROP NOT NULL;
        CREATE UNIQUE INDEX disputes_open_lead ON disputes (lead_id) WHERE status = 'open';
        CREATE FUNCTION app_performs_lead(lid uuid) RETURNS boolean LANGUAGE sql STABLE AS
        $$ SELECT EXISTS (SELECT 1 FROM leads l WHERE l.id = lid
                          AND app_member_of(l.performer_professional_id)) $$;
        DROP POLICY disputes_select ON disputes;
        CREATE POLICY disputes_select ON disputes FOR SELECT
            USING (app_is_trusted() OR app_owns_lead(lead_id) OR EXISTS (
                SELECT 1 FROM payments p WHERE p.id = payment_id
                AND app_member_of(p.performer_professional_id))
                OR (payment_id IS NULL AND app_performs_lead(lead_id)));
        DROP POLICY disputes_insert ON disputes;
        CREATE POLICY disputes_insert ON disputes FOR INSERT
            WITH CHECK (app_is_trusted() OR (opened_by = app_user_id() AND status = 'open'
                        AND resolution IS NULL AND (
                            (party = 'owner' AND app_owns_lead(lead_id))
                            OR (party = 'performer' AND EXISTS (
                                SELECT 1 FROM payments p WHERE p.id = payment_id
                                AND p.lead_id = disputes.lead_id
                                AND app_member_of(p.performer_professional_id)))
                            OR (party = 'performer' AND payment_id IS NULL
                                AND app_performs_lead(lead_id)))));
    """)

    # A settled (invoiced) job whose price was lowered or refunded afterwards: the credit note
    # corrects the invoice, and the credit waits here for the next statement.
    op.create_table(
        "b2b_credits",
        sa.Column("id", sa.Uuid(), primary_key=True,
                  server_default=sa.text("gen_random_uuid()")),
        sa.Column("charge_id", sa.Uuid(), sa.ForeignKey("b2b_charges.id"), nullable=False),
        sa.Column("document_id", sa.Uuid(), sa.ForeignKey("tax_documents.id"), nullable=False,
                  unique=True),
        sa.Column("performer_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("referrer_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id")),
        sa.Column("refund", MONEY, nullable=False),
        sa.Column("commission", MONEY, nullable=False),
        sa.Column("vat", MONEY, nullable=False),
        sa.Column("referrer_fee", MONEY, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), sa.ForeignKey("ledger_transactions.id"),
                  nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("performer_statement_id", sa.Uuid(),
                  sa.ForeignKey("settlement_statements.id")),
        sa.Column("referrer_statement_id", sa.Uuid(),
                  sa.ForeignKey("settlement_statements.id")),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('open', 'settled')", name="b2b_credits_status"),
        sa.CheckConstraint("refund > 0 AND commission >= 0 AND vat >= 0 AND referrer_fee >= 0",
                           name="b2b_credits_amounts"),
    )
    op.execute("""
        CREATE INDEX b2b_credits_due ON b2b_credits (month) WHERE status = 'open';
        CREATE INDEX b2b_credits_charge ON b2b_credits (charge_id);
    """)
    force_rls(op, "b2b_credits", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY b2b_credits_read ON b2b_credits FOR SELECT
            USING (app_is_trusted() OR app_owner_of(performer_professional_id)
                   OR app_owner_of(referrer_professional_id));
        CREATE POLICY b2b_credits_platform ON b2b_credits FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)

    force_rls(op, "autopay_attempts", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY autopay_attempts_read ON autopay_attempts FOR SELECT
            USING (app_is_trusted() OR EXISTS (
                SELECT 1 FROM settlement_statements s
                WHERE s.id = statement_id AND app_owner_of(s.professional_id)));
        CREATE POLICY autopay_attempts_platform ON autopay_attempts FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)
    for table in ("settlement_statements", "tax_documents"):
        force_rls(op, table, app, "SELECT, INSERT, UPDATE")
        op.execute(f"""
            CREATE POLICY {table}_read ON {table} FOR SELECT
                USING (app_is_trusted() OR app_owner_of(professional_id));
            CREATE POLICY {table}_platform ON {table} FOR ALL
                USING (app_is_trusted()) WITH CHECK (app_is_trusted());
        """)
    force_rls(op, "b2b_charges", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY b2b_charges_read ON b2b_charges FOR SELECT
            USING (app_is_trusted() OR app_owner_of(performer_professional_id)
                   OR app_owner_of(referrer_professional_id));
        CREATE POLICY b2b_charges_platform ON b2b_charges FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)


def downgrade() -> None:
    op.drop_table("b2b_credits")
    op.execute("""
        DROP POLICY disputes_select ON disputes;
        CREATE POLICY disputes_select ON disputes FOR SELECT
            USING (app_is_trusted() OR app_owns_lead(lead_id) OR EXISTS (
                SELECT 1 FROM payments p WHERE p.id = payment_id
                AND app_member_of(p.performer_professional_id)));
        DROP POLICY disputes_insert ON disputes;
        CREATE POLICY disputes_insert ON disputes FOR INSERT
            WITH CHECK (app_is_trusted() OR (opened_by = app_user_id() AND status = 'open'
                        AND resolution IS NULL AND (
                            (party = 'owner' AND app_owns_lead(lead_id))
                            OR (party = 'performer' AND EXISTS (
                                SELECT 1 FROM payments p WHERE p.id = payment_id
                                AND p.lead_id = disputes.lead_id
                                AND app_member_of(p.performer_professional_id))))));
        DROP FUNCTION app_performs_lead(uuid);
        DROP INDEX disputes_open_lead;
        ALTER TABLE disputes ALTER COLUMN payment_id SET NOT NULL;
    """)
    op.drop_table("autopay_attempts")
    op.drop_table("tax_documents")
    op.execute("DROP FUNCTION IF EXISTS tax_documents_final()")
    op.drop_table("b2b_charges")
    op.drop_table("settlement_statements")
    op.drop_column("professionals", "licensed_dealer")
    op.drop_constraint("professionals_settlement_credit", "professionals")
    op.drop_column("professionals", "settlement_credit")
    # The ledger is never rewritten: with b2b transactions on it, the old checks refuse.
    _checks(OLD_TX_KINDS, OLD_PURPOSES)
