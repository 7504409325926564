"""B2B settlement at scale (issue 17 point 10): the `monthly_settlement` job over a month of
many businesses and closed jobs, and the tax-invoice PDF's render time.

    python -m benchmarks.bench_settlement [--businesses 20000] [--jobs 200000]
                                          [--renders 40] [--data-dir /tmp/ofair-bench-settlement]

Everything runs on a fresh embedded PostgreSQL under `--data-dir` (deleted and made again each
run), as the application role with row-level security on. The month is seeded in bulk, as the
platform would have recorded it when each job closed: `--jobs` closed jobs of `--businesses`
businesses (a third of them a colleague's referral at 20 %), each with its `b2b_charges` row
and its `accrue` ledger transaction. Then:
1. `settle_month` for the month, as the job runs it (one transaction): every statement, the VAT
   postings and every tax invoice written (held ones included), timed;
2. the same again, which must settle nothing;
3. the held invoices' allocation numbers (sandbox authority), one transaction each;
4. `--renders` invoices rendered to PDF (what the first download of each does): p50 and p99.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from datetime import time as clock
from pathlib import Path

from benchmarks.bench_money import fresh_data_dir, percentile

SEED_SQL = """
    INSERT INTO users (id, phone, name, role)
    SELECT gen_random_uuid(), '+9725' || lpad(CAST(i AS text), 8, '0'), 'בעל עסק ' || i,
           'professional'
    FROM generate_series(1, :businesses) AS i;

    INSERT INTO professionals (id, business_name, business_id, category_slug, locality_id,
                               lat, lon, created_by, status)
    SELECT gen_random_uuid(), 'עסק ' || u.n, (CAST(:numbers AS text[]))[u.n], :category,
           :locality, 32.8, 35.0, u.id, 'active'
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users
          WHERE role = 'professional') AS u;

    INSERT INTO professional_members (professional_id, user_id, role)
    SELECT id, created_by, 'owner' FROM professionals;

    CREATE TEMP TABLE bench_pros AS
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM professionals;

    INSERT INTO users (id, phone, name, role)
    VALUES (:consumer, '+972599999999', 'לקוחה', 'consumer');

    -- Closed jobs, spread over the month, every third one a colleague's referral at 20 %.
    CREATE TEMP TABLE bench_jobs AS
    SELECT gen_random_uuid() AS id, g.i, p.id AS performer, r.id AS referrer,
           CAST(200 + (g.i * 37) % 4800 AS numeric(12, 2)) AS amount,
           CAST(:month_start AS timestamptz) + (g.i % 27) * interval '1 day'
               + interval '12 hours' AS closed_at
    FROM generate_series(1, :jobs) AS g(i)
    JOIN bench_pros p ON p.n = g.i % :businesses
    LEFT JOIN bench_pros r ON g.i % 3 = 0 AND r.n = (g.i * 7 + 1) % :businesses;
    UPDATE bench_jobs SET referrer = NULL WHERE referrer = performer;

    INSERT INTO leads (id, type, title, short_description, category_slug, lat, lon,
                       owner_user_id, owner_professional_id, status, performer_professional_id,
                       final_amount, budget, referrer_share_percentage, created_at,
                       completed_at, closed_at)
    SELECT j.id, CASE WHEN j.referrer IS NULL THEN 'consumer' ELSE 'professional_referral' END,
           'עבודה ' || j.i, 'עבודה', :category, 32.8, 35.0,
           CASE WHEN j.referrer IS NULL THEN CAST(:consumer AS uuid)
                ELSE (SELECT created_by FROM professionals WHERE id = j.referrer) END,
           j.referrer, 'closed', j.performer, j.amount,
           CASE WHEN j.referrer IS NOT NULL THEN j.amount END,
           CASE WHEN j.referrer IS NOT NULL THEN 20 END, j.closed_at - interval '3 days',
           j.closed_at - interval '1 day', j.closed_at
    FROM bench_jobs j;

    INSERT INTO ledger_transactions (kind, idempotency_key)
    SELECT 'accrue', 'accrue:' || id FROM bench_jobs;

    INSERT INTO b2b_charges (lead_id, performer_professional_id, referrer_professional_id,
                             final_amount, platform_commission, referrer_fee, closed_at, month,
                             transaction_id)
    SELECT j.id, j.performer, j.referrer, j.amount,
           round(j.amount * CASE WHEN j.referrer IS NULL THEN 0.10 ELSE 0.05 END, 2),
           CASE WHEN j.referrer IS NULL THEN 0 ELSE round(j.amount * 0.20, 2) END,
           j.closed_at, :month, t.id
    FROM bench_jobs j JOIN ledger_transactions t ON t.idempotency_key = 'accrue:' || j.id;

    INSERT INTO ledger_accounts (code, purpose, professional_id)
    SELECT 'pro:' || id || ':' || 'settlement', 'pro_settlement', id FROM professionals;
    INSERT INTO ledger_accounts (code, purpose) VALUES ('platform:revenue', 'platform_revenue')
        ON CONFLICT (code) DO NOTHING;

    INSERT INTO ledger_entries (transaction_id, account_id, amount)
    SELECT c.transaction_id, a.id, v.amount
    FROM b2b_charges c
    CROSS JOIN LATERAL (VALUES
        ('pro:' || c.performer_professional_id || ':' || 'settlement',
         c.platform_commission + c.referrer_fee),
        ('platform:revenue', -c.platform_commission),
        ('pro:' || c.referrer_professional_id || ':' || 'settlement', -c.referrer_fee))
        AS v(code, amount)
    JOIN ledger_accounts a ON a.code = v.code
    WHERE v.amount <> 0;
    ANALYZE;
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--businesses", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--renders", type=int, default=40)
    parser.add_argument("--data-dir", default="/tmp/ofair-bench-settlement")
    return parser.parse_args(argv)


def dealer_numbers(count: int) -> list[str]:
    from ofair_app.domain.tax import dealer_number_valid

    found, candidate = [], 510_000_000
    while len(found) < count:
        if dealer_number_valid(f"{candidate:09d}"):
            found.append(f"{candidate:09d}")
        candidate += 1
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_OWNER_URL"):
        sys.exit("DATABASE_URL is set: this benchmark only uses its own embedded database")
    data_dir = Path(args.data_dir).expanduser().resolve()
    os.environ["OFAIR_DATA_DIR"] = str(data_dir)
    os.environ["OFAIR_SCHEDULER"] = "off"
    os.environ["SETTLEMENT_MODE"] = "b2b"
    os.environ.setdefault("MESSAGING_BACKEND", "console")
    fresh_data_dir(data_dir)

    import uuid

    from sqlalchemy import text
    from sqlmodel import select

    from benchmarks.bench_money import table
    from ofair_app import reference
    from ofair_app.db import bootstrap
    from ofair_app.db.engine import SYSTEM, owner_engine, unit_of_work
    from ofair_app.documents import pdf
    from ofair_app.domain import settlement as rules
    from ofair_app.domain.tax import ISRAEL
    from ofair_app.models import TaxDocument
    from ofair_app.services import settlement, tax_documents

    bootstrap.upgrade()
    month = rules.previous_month(datetime.now(ISRAEL))
    as_of = datetime.combine(rules.next_month(month), clock(2), tzinfo=ISRAEL)
    started = time.perf_counter()
    params = {"businesses": args.businesses, "jobs": args.jobs,
              "numbers": dealer_numbers(args.businesses),
              "category": reference.categories()[0].slug,
              "locality": reference.localities()[0].id, "consumer": uuid.uuid4(),
              "month": month,
              "month_start": datetime.combine(month, clock(0), tzinfo=ISRAEL)}
    with owner_engine().begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        for statement in SEED_SQL.split(";"):
            if statement.strip():
                used = {k: v for k, v in params.items() if f":{k}" in statement}
                conn.execute(text(statement), used)
    seeded = time.perf_counter() - started
    print(f"Settlement benchmark on {data_dir}: {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}; {args.businesses} businesses, {args.jobs} closed jobs "
          f"in {month:%Y-%m} (seeded in {seeded:.1f} s)")

    rows = []
    started = time.perf_counter()
    with unit_of_work(SYSTEM) as session:
        run = settlement.settle_month(session=session, month=month, as_of=as_of)
    first = time.perf_counter() - started
    rows.append((f"settle_month: {run.statements} statements, {run.invoices} invoices, "
                 f"{run.held} held", run.charges, first, None, None))
    started = time.perf_counter()
    with unit_of_work(SYSTEM) as session:
        again = settlement.settle_month(session=session, month=month, as_of=as_of)
    rows.append(("settle_month again (settles nothing)", again.charges,
                 time.perf_counter() - started, None, None))
    started = time.perf_counter()
    asked = settlement.request_allocations(limit=100_000)
    rows.append((f"allocation numbers (sandbox): {asked['issued']} issued, "
                 f"{asked['refused']} refused", sum(asked.values()),
                 time.perf_counter() - started, None, None))

    with unit_of_work(SYSTEM) as session:
        documents = list(session.exec(select(TaxDocument).where(TaxDocument.status == "issued")
                                      .order_by(TaxDocument.number).limit(args.renders)).all())
    pdf.render_pdf(tax_documents.view_of(documents[0], original=True))  # fonts loaded once
    timings = []
    for document in documents:
        started = time.perf_counter()
        pdf.render_pdf(tax_documents.view_of(document, original=True))
        timings.append((time.perf_counter() - started) * 1000)
    rows.append(("PDF render (an invoice, original)", len(timings), sum(timings) / 1000,
                 statistics.median(timings), percentile(timings, 99)))
    table("B2B settlement", rows)
    with unit_of_work(SYSTEM) as session:
        total = session.execute(text("SELECT coalesce(sum(amount), 0) FROM ledger_entries"))
        print(f"\nledger sum of all entries: {total.scalar_one()} (must be 0)")
    target = "met" if first < 60 else "MISSED"
    print(f"target: settle_month < 60 s for the month: {first:.1f} s ({target})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
