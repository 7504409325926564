"""Money paths at speed (issue 16 §4): the ledger's balance check per statement, set-based.

Revision ID: 0013_money_speed
Revises: 0012_psp_cardcom
Create Date: 2026-12-01

- `ledger_balanced`: every ledger transaction an INSERT into `ledger_entries` touches must sum
  to zero when that statement ends. It was a deferred row trigger, run at COMMIT once per entry
  (each running the same sum again: 400,000 runs for a release of 100,000 holds); it is now one
  statement-level trigger over the statement's new rows (a transition table), so a batch of
  thousands of transactions is checked by one query. It is stricter than before: a transaction's
  entries are written by one statement (`services/ledger.py` does), and nothing can leave a
  transaction unbalanced even for a moment. Still enforced in the database, for everyone.
- `ledger_account_id(code, purpose, professional_id)`: the id of a ledger account, opening it
  the first time (race-free: each statement of a function sees what committed before it), so a
  transaction and its entries are written by one statement. Run as the caller: RLS still lets
  only the platform open accounts.
- `leads_closed_at` becomes `(closed_at, id)`: `release_holds` walks closed jobs in that order,
  batch after batch, each batch starting where the last one ended (no rescans).
"""

from collections.abc import Sequence

from alembic import op
from ofair_app.db.rls import quoted_app_role

revision: str = "0013_money_speed"
down_revision: str | None = "0012_psp_cardcom"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    app = quoted_app_role(op)
    op.execute("""
        DROP INDEX IF EXISTS leads_closed_at;
        CREATE INDEX leads_closed_at ON leads (closed_at, id) WHERE status = 'closed';
    """)
    op.execute("""
        DROP TRIGGER IF EXISTS ledger_balanced ON ledger_entries;
        DROP FUNCTION IF EXISTS ledger_balanced();
        CREATE FUNCTION ledger_balanced() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            unbalanced record;
        BEGIN
            -- Each touched transaction summed through its index (never a scan of the ledger).
            SELECT touched.transaction_id, entries.total INTO unbalanced
                FROM (SELECT DISTINCT transaction_id FROM new_entries) AS touched
                CROSS JOIN LATERAL (
                    SELECT sum(e.amount) AS total FROM ledger_entries e
                    WHERE e.transaction_id = touched.transaction_id) AS entries
                WHERE entries.total <> 0 LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'ledger transaction % does not balance (%)',
                    unbalanced.transaction_id, unbalanced.total
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION ledger_balanced() FROM PUBLIC;
        CREATE TRIGGER ledger_balanced AFTER INSERT ON ledger_entries
            REFERENCING NEW TABLE AS new_entries
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_balanced();
    """)
    op.execute(f"""
        CREATE FUNCTION ledger_account_id(account_code text, account_purpose text,
                                          owner uuid) RETURNS bigint
            LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        DECLARE
            found_id bigint;
        BEGIN
            SELECT id INTO found_id FROM ledger_accounts WHERE code = account_code;
            IF found_id IS NULL THEN
                INSERT INTO ledger_accounts (code, purpose, professional_id)
                    VALUES (account_code, account_purpose, owner)
                    ON CONFLICT (code) DO NOTHING RETURNING id INTO found_id;
            END IF;
            IF found_id IS NULL THEN  -- opened meanwhile by another transaction
                SELECT id INTO found_id FROM ledger_accounts WHERE code = account_code;
            END IF;
            RETURN found_id;
        END $$;
        REVOKE ALL ON FUNCTION ledger_account_id(text, text, uuid) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION ledger_account_id(text, text, uuid) TO {app};
    """)


def downgrade() -> None:
    op.execute("""
        DROP INDEX IF EXISTS leads_closed_at;
        CREATE INDEX leads_closed_at ON leads (closed_at) WHERE status = 'closed';
        DROP FUNCTION IF EXISTS ledger_account_id(text, text, uuid);
        DROP TRIGGER IF EXISTS ledger_balanced ON ledger_entries;
        DROP FUNCTION IF EXISTS ledger_balanced();
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
