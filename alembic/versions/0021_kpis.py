"""What the admin dashboard's figures read (issue 18 point 1): when a lead got its first
proposal, daily counts of the leads' funnel kept by the database, and indexes that answer a
period's money from the index alone.

Revision ID: 0021_kpis
Revises: 0020_lead_moderation
Create Date: 2026-12-02

- `leads.first_proposal_at`: set once, by `proposals_count` (the trigger that already counts a
  lead's proposals), so the delay to a first proposal is known per lead without a `min()`
  over its proposals, and counted once (`lead_first_proposals`). Backfilled from `proposals`.
- `leads_created`: every lead newest first, for the admin's lead list (a page of the million
  without sorting them).
- `lead_days`: per Israel day and lead type, how many leads were posted and how many of them
  got a proposal, were awarded, paid (or started) and closed; `lead_first_proposals`: per day,
  how many of its leads got their first proposal within each delay bucket (about 5% wide, on
  a log scale). `lead_days_count`, a trigger on `leads`, keeps both current in the same
  transaction as the change, touching them only when a lead's funnel step moves. A year of
  the dashboard then reads 730 + a few thousand rows instead of a million leads.
  `kpi_days_rebuild()` recounts them from `leads` (the backfill here; a bulk load).
- `payments_paid_at`, `b2b_charges_closed_at`, `ledger_entries_period`:
  a period's money without reading the tables' other rows; `payments_flagged`:
  the flagged few without reading every payment.
"""

from collections.abc import Sequence

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role

revision: str = "0021_kpis"
down_revision: str | None = "0020_lead_moderation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _count_function(first: bool) -> str:
    stamp = (",\n                        first_proposal_at = coalesce(first_proposal_at, "
             "NEW.created_at)" if first else "")
    return f"""
        CREATE OR REPLACE FUNCTION proposals_count() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            delta integer := CASE
                WHEN TG_OP = 'INSERT' THEN 1
                WHEN OLD.status <> 'withdrawn' AND NEW.status = 'withdrawn' THEN -1
                ELSE 0 END;
            lead_status text;
        BEGIN
            IF delta <> 0 THEN
                UPDATE leads SET proposal_count = proposal_count + delta{stamp}
                 WHERE id = NEW.lead_id
                    RETURNING status INTO lead_status;
                IF TG_OP = 'INSERT' AND NEW.status = 'pending' AND lead_status <> 'active' THEN
                    RAISE EXCEPTION 'the lead is no longer open' USING ERRCODE = 'OF001';
                END IF;
            END IF;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION proposals_count() FROM PUBLIC;
    """


AWARDED = "('awarded', 'in_progress', 'completed', 'closed', 'disputed')"
PAID = "('in_progress', 'completed', 'closed', 'disputed')"

SUMMARY = f"""
    CREATE TABLE lead_days (
        day date NOT NULL,
        type varchar(24) NOT NULL,
        posted integer NOT NULL DEFAULT 0,
        proposed integer NOT NULL DEFAULT 0,
        awarded integer NOT NULL DEFAULT 0,
        paid integer NOT NULL DEFAULT 0,
        closed integer NOT NULL DEFAULT 0,
        PRIMARY KEY (day, type));
    CREATE TABLE lead_first_proposals (
        day date NOT NULL,
        bucket smallint NOT NULL,
        leads integer NOT NULL DEFAULT 0,
        PRIMARY KEY (day, bucket));

    -- The delay bucket of a first proposal: 0 under a minute, then about 5% wide.
    CREATE FUNCTION first_proposal_bucket(delay interval) RETURNS smallint
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $$ SELECT CASE WHEN delay < interval '1 minute' THEN 0
                   ELSE least(1 + floor(ln(extract(epoch FROM delay) / 60) * 20), 32000)
              END::smallint $$;

    CREATE FUNCTION lead_days_count() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
        d date := (NEW.created_at AT TIME ZONE 'Asia/Jerusalem')::date;
        was_posted integer := 0;
        was_proposed integer := 0;
        was_awarded integer := 0;
        was_paid integer := 0;
        was_closed integer := 0;
        proposed integer := (NEW.first_proposal_at IS NOT NULL)::integer;
        awarded integer := (NEW.status IN {AWARDED})::integer;
        paid integer := (NEW.status IN {PAID})::integer;
        closed integer := (NEW.status = 'closed')::integer;
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            was_posted := 1;
            was_proposed := (OLD.first_proposal_at IS NOT NULL)::integer;
            was_awarded := (OLD.status IN {AWARDED})::integer;
            was_paid := (OLD.status IN {PAID})::integer;
            was_closed := (OLD.status = 'closed')::integer;
        END IF;
        IF (1 - was_posted, proposed - was_proposed, awarded - was_awarded, paid - was_paid,
            closed - was_closed) IS DISTINCT FROM (0, 0, 0, 0, 0) THEN
            INSERT INTO lead_days AS t (day, type, posted, proposed, awarded, paid, closed)
            VALUES (d, NEW.type, 1 - was_posted, proposed - was_proposed,
                    awarded - was_awarded, paid - was_paid, closed - was_closed)
            ON CONFLICT (day, type) DO UPDATE SET
                posted = t.posted + EXCLUDED.posted, proposed = t.proposed + EXCLUDED.proposed,
                awarded = t.awarded + EXCLUDED.awarded, paid = t.paid + EXCLUDED.paid,
                closed = t.closed + EXCLUDED.closed;
        END IF;
        IF proposed = 1 AND was_proposed = 0 THEN
            INSERT INTO lead_first_proposals AS t (day, bucket, leads)
            VALUES (d, first_proposal_bucket(NEW.first_proposal_at - NEW.created_at), 1)
            ON CONFLICT (day, bucket) DO UPDATE SET leads = t.leads + 1;
        END IF;
        RETURN NULL;
    END $$;
    REVOKE ALL ON FUNCTION lead_days_count() FROM PUBLIC;
    CREATE TRIGGER lead_days_count AFTER INSERT OR UPDATE OF status, first_proposal_at ON leads
        FOR EACH ROW EXECUTE FUNCTION lead_days_count();

    CREATE FUNCTION kpi_days_rebuild() RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DELETE FROM lead_days;
        DELETE FROM lead_first_proposals;
        INSERT INTO lead_days (day, type, posted, proposed, awarded, paid, closed)
        SELECT (created_at AT TIME ZONE 'Asia/Jerusalem')::date, type, count(*),
               count(*) FILTER (WHERE first_proposal_at IS NOT NULL),
               count(*) FILTER (WHERE status IN {AWARDED}),
               count(*) FILTER (WHERE status IN {PAID}),
               count(*) FILTER (WHERE status = 'closed')
          FROM leads GROUP BY 1, 2;
        INSERT INTO lead_first_proposals (day, bucket, leads)
        SELECT (created_at AT TIME ZONE 'Asia/Jerusalem')::date,
               first_proposal_bucket(first_proposal_at - created_at), count(*)
          FROM leads WHERE first_proposal_at IS NOT NULL GROUP BY 1, 2;
    $$;
    REVOKE ALL ON FUNCTION kpi_days_rebuild() FROM PUBLIC;
"""


def upgrade() -> None:
    op.execute("ALTER TABLE leads ADD COLUMN first_proposal_at timestamptz")
    op.execute("SELECT set_config('app.current_role', 'system', true)")
    op.execute("""
        UPDATE leads l SET first_proposal_at = f.first
          FROM (SELECT lead_id, min(created_at) AS first FROM proposals GROUP BY lead_id) f
         WHERE l.id = f.lead_id
    """)
    op.execute(_count_function(first=True))
    op.execute(SUMMARY)
    app = quoted_app_role(op)
    for table in ("lead_days", "lead_first_proposals"):
        force_rls(op, table, app, "SELECT")
        op.execute(f"""
            CREATE POLICY {table}_read ON {table} FOR SELECT USING (app_is_trusted());
            CREATE POLICY {table}_count ON {table} FOR ALL TO CURRENT_USER
                USING (true) WITH CHECK (true);
        """)
    op.execute("SELECT kpi_days_rebuild()")
    op.execute("""
        CREATE INDEX leads_created ON leads (created_at DESC, id DESC);
        CREATE INDEX payments_paid_at ON payments (paid_at)
            INCLUDE (status, final_amount, refunded_amount, referrer_fee)
            WHERE paid_at IS NOT NULL;
        CREATE INDEX b2b_charges_closed_at ON b2b_charges (closed_at)
            INCLUDE (status, final_amount, referrer_fee);
        CREATE INDEX payments_flagged ON payments (created_at) WHERE flagged;
        CREATE INDEX ledger_entries_period ON ledger_entries (account_id, created_at)
            INCLUDE (amount);
    """)


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER lead_days_count ON leads;
        DROP FUNCTION lead_days_count();
        DROP FUNCTION kpi_days_rebuild();
        DROP TABLE lead_first_proposals;
        DROP TABLE lead_days;
        DROP FUNCTION first_proposal_bucket(interval);
        DROP INDEX ledger_entries_period;
        DROP INDEX payments_flagged;
        DROP INDEX b2b_charges_closed_at;
        DROP INDEX payments_paid_at;
        DROP INDEX leads_created;
    """)
    op.execute(_count_function(first=False))
    op.execute("ALTER TABLE leads DROP COLUMN first_proposal_at")
