"""The admin dashboard's figures on the 1M-lead benchmark database (issue 18 point 1: every
figure < 1 s).

    python -m benchmarks.generate_leads --reset            # once: 1,000,000 leads
    python -m benchmarks.bench_kpis [--data-dir /tmp/ofair-bench] [--rounds 5] [--no-fill]
                                    [--drop-indexes]

The generated leads have statuses and proposal counts but no proposals, payments or ledger
rows. Unless `--no-fill`, the first run adds them once, as a busy marketplace would have
them: one proposal per lead that counts any (its first: 5 minutes to 3 days after the lead;
accepted when the lead has a winner), the lead's `first_proposal_at`, one payment per paid
lead (paid 1–3 days after it was posted, 10% commission) and its commission on the ledger's
platform account. The fill runs with the tables' own triggers off (in its transaction), since
it writes what the triggers would have; it is benchmark data, not a migration.

Then each statement `services/kpis.py` runs is timed for the last 7, 30, 90 and 365 days (and,
for comparison, the funnel, median and per-day figures read from `leads` as before the daily
counts of migration 0021):
`--rounds` warm runs (after one untimed), median and max in ms, and whether the plan reads
only indexes. `--drop-indexes` first drops migration 0021's indexes (inside a transaction it
rolls back at the end) for the "before" table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

FILL_MARK = "bench_kpis_filled"
INDEXES = ("leads_created", "payments_paid_at", "b2b_charges_closed_at",
           "ledger_entries_period", "payments_flagged")
COUNTS = ("SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM proposals), "
          "(SELECT count(*) FROM payments), (SELECT count(*) FROM ledger_entries)")


def _counts(engine) -> tuple[int, ...]:
    """Rows per table, read as the platform (RLS hides payments from a caller-less session)."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        return tuple(conn.execute(text(COUNTS)).one())


# What the dashboard read before the daily counts (the same figures, from `leads`).
FROM_LEADS_SQL = """
    SELECT count(*), count(*) FILTER (WHERE first_proposal_at IS NOT NULL),
           count(*) FILTER (WHERE status IN ('awarded', 'in_progress', 'completed', 'closed',
                                             'disputed')),
           count(*) FILTER (WHERE status IN ('in_progress', 'completed', 'closed', 'disputed')),
           count(*) FILTER (WHERE status = 'closed'),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY first_proposal_at - created_at)
             FILTER (WHERE first_proposal_at IS NOT NULL)
      FROM leads WHERE created_at >= :start AND created_at < :end
"""
PER_DAY_FROM_LEADS_SQL = """
    SELECT (created_at AT TIME ZONE 'Asia/Jerusalem')::date,
           count(*) FILTER (WHERE type = 'consumer'),
           count(*) FILTER (WHERE type = 'professional_referral')
      FROM leads WHERE created_at >= :start AND created_at < :end GROUP BY 1 ORDER BY 1
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="/tmp/ofair-bench")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-fill", action="store_true")
    parser.add_argument("--drop-indexes", action="store_true")
    return parser.parse_args(argv)


FILL = """
ALTER TABLE proposals DISABLE TRIGGER USER;
ALTER TABLE leads DISABLE TRIGGER USER;
ALTER TABLE payments DISABLE TRIGGER USER;
ALTER TABLE ledger_transactions DISABLE TRIGGER USER;
ALTER TABLE ledger_entries DISABLE TRIGGER USER;
SELECT set_config('app.current_role', 'system', true);
INSERT INTO proposals (id, lead_id, professional_id, created_by, price, description, status,
                       origin, created_at, updated_at)
SELECT gen_random_uuid(), l.id,
       coalesce(l.performer_professional_id,
                b.ids[1 + abs(hashtext(l.id::text)) % cardinality(b.ids)]),
       l.owner_user_id, coalesce(l.budget, 500), 'הצעה',
       CASE WHEN l.performer_professional_id IS NOT NULL THEN 'accepted' ELSE 'pending' END,
       'proposal', l.created_at + make_interval(mins => 5 + abs(hashtext(l.id::text)) % 4320),
       l.created_at
  FROM leads l, (SELECT array_agg(id) AS ids FROM professionals) b
 WHERE l.proposal_count > 0 OR l.performer_professional_id IS NOT NULL;
UPDATE leads l SET first_proposal_at = p.created_at
  FROM proposals p WHERE p.lead_id = l.id;
INSERT INTO payments (id, lead_id, proposal_id, payer_user_id, performer_professional_id,
                      provider, status, currency, final_amount, platform_commission,
                      referrer_fee, professional_net_amount, platform_rate_pct,
                      referrer_share_pct, refunded_amount, flagged, flag_reason, paid_at,
                      created_at, updated_at)
SELECT gen_random_uuid(), l.id, p.id, l.owner_user_id, l.performer_professional_id, 'sandbox',
       'paid', 'ils', a.amount, round(a.amount * 0.10, 2),
       0, a.amount - round(a.amount * 0.10, 2), 10, 0, 0, false, '',
       l.created_at + make_interval(days => 1 + abs(hashtext(l.id::text)) % 3),
       l.created_at, l.created_at
  FROM leads l JOIN proposals p ON p.lead_id = l.id AND p.status = 'accepted',
       LATERAL (SELECT round(coalesce(l.final_amount, l.budget, 800), 2) AS amount) a
 WHERE l.status IN ('in_progress', 'completed', 'closed');
INSERT INTO ledger_accounts (code, purpose) VALUES ('platform:pending', 'platform_pending')
    ON CONFLICT DO NOTHING;
INSERT INTO ledger_transactions (kind, idempotency_key, payment_id, note, created_at)
SELECT 'hold', 'bench:' || id, id, '', paid_at FROM payments;
INSERT INTO ledger_entries (transaction_id, account_id, amount, created_at)
SELECT t.id, (SELECT id FROM ledger_accounts WHERE code = 'platform:pending'),
       -p.platform_commission, t.created_at
  FROM ledger_transactions t JOIN payments p ON p.id = t.payment_id
 WHERE t.idempotency_key LIKE 'bench:%';
SELECT kpi_days_rebuild();
ALTER TABLE proposals ENABLE TRIGGER USER;
ALTER TABLE leads ENABLE TRIGGER USER;
ALTER TABLE payments ENABLE TRIGGER USER;
ALTER TABLE ledger_transactions ENABLE TRIGGER USER;
ALTER TABLE ledger_entries ENABLE TRIGGER USER;
"""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL is set: this benchmark reads the embedded database in --data-dir")
    data_dir = Path(args.data_dir).expanduser().resolve()
    if not (data_dir / "pg").exists():
        sys.exit(f"no database in {data_dir}: run python -m benchmarks.generate_leads first")
    os.environ["OFAIR_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("OFAIR_SCHEDULER", "off")

    from sqlalchemy import text

    from ofair_app.db.engine import owner_engine
    from ofair_app.services import kpis

    engine = owner_engine()
    counts = _counts(engine)
    if not args.no_fill and counts[1] == 0:
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in FILL.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement.replace(":", "\\:")))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) leads, proposals, payments, "
                                 "ledger_transactions, ledger_entries")
        print(f"filled in {time.perf_counter() - started:.0f} s")
        counts = _counts(engine)
    print(f"\nKPI benchmark on {data_dir}: {counts[0]:,} leads, {counts[1]:,} proposals, "
          f"{counts[2]:,} payments, {counts[3]:,} ledger entries; "
          f"{'without' if args.drop_indexes else 'with'} migration 0021's indexes; "
          f"{args.rounds} warm rounds\n")

    FROM_LEADS, PER_DAY_FROM_LEADS = text(FROM_LEADS_SQL), text(PER_DAY_FROM_LEADS_SQL)
    statements = {"money": kpis._MONEY, "funnel (lead_days)": kpis._LEADS,
                  "median first proposal": kpis._MEDIAN_BUCKET,
                  "active businesses": kpis._ACTIVE, "per day (lead_days)": kpis._PER_DAY,
                  "queues": kpis._QUEUES,
                  "before: funnel + median from leads": FROM_LEADS,
                  "before: per day from leads": PER_DAY_FROM_LEADS}
    rows = []
    conn = engine.connect()
    transaction = conn.begin()
    try:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        if args.drop_indexes:
            for name in INDEXES:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        for days in (7, 30, 90, 365):
            period = kpis.last_days(days)
            start, end = period.start, period.end
            params = {"start": start, "end": end, "pending": "platform_pending",
                      "revenue": "platform_revenue", "since": period.since,
                      "until": period.until}
            whole = []
            for name, statement in statements.items():
                bound = {k: v for k, v in params.items() if f":{k}" in str(statement)}
                conn.execute(statement, bound).all()  # warm
                times = []
                for _ in range(args.rounds):
                    began = time.perf_counter()
                    conn.execute(statement, bound).all()
                    times.append((time.perf_counter() - began) * 1000)
                plan = "\n".join(r[0] for r in conn.execute(
                    text("EXPLAIN " + str(statement.compile(
                        compile_kwargs={"literal_binds": False}))), bound))
                only = "index-only" if ("Index Only" in plan and "Seq Scan" not in plan) else (
                    "seq scan" if "Seq Scan" in plan else "index")
                whole.append(statistics.median(times))
                rows.append((f"{days} d", name, statistics.median(times), max(times), only))
            # the dashboard: money, funnel, median and activity for both periods, per day and
            # the queues once
            rows.append((f"{days} d", "whole dashboard (2 periods)",
                         2 * sum(whole[:4]) + whole[4] + whole[5], None, ""))
    finally:
        transaction.rollback()
        conn.close()

    print(f"{'period':<8}{'figure':<30}{'median ms':>10}{'max ms':>10}  plan")
    print("-" * 72)
    for period, name, median, worst, plan in rows:
        print(f"{period:<8}{name:<30}{median:>10.1f}"
              f"{(f'{worst:.1f}' if worst is not None else ''):>10}  {plan}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
