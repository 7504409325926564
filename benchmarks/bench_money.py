"""Money benchmarks: provider webhooks processed per second with idempotency on, and the
`release_holds` job over many due holds.

    python -m benchmarks.bench_money [--events 2000] [--holds 100000] [--concurrency 8]
                                     [--data-dir /tmp/ofair-bench-money]

Everything runs on a fresh embedded PostgreSQL under `--data-dir` (deleted and made again each
run; never `./.ofair`), as the application role with row-level security on.

1. Webhooks: `--events` pending payments, each paid by a Stripe-signed
   `checkout.session.completed` (signature verified, event id stored once, payment row locked,
   the hold written on the ledger, the lead moved on). Measured in process (`handle_webhook`)
   one at a time and from `--concurrency` threads, then the same events again (every one a
   duplicate, answered without effect), then through the API server over HTTP. Events that
   arrive together share a transaction (`payments.GROUP`): each row says in how many
   transactions its events were applied.
2. `release_holds`: `--holds` paid jobs closed long ago, and `--steps` jobs in progress in two
   milestones whose first was paid and approved long ago, their holds written in bulk (through
   the same balanced-transaction trigger), then the job run as the scheduler runs it (the
   closed jobs, then the approved steps); then run again, which must release nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

MARKER = "OFAIR_BENCH_DATA_DIR"
PARTS = ("webhooks", "http", "profile", "release")


def at_least(minimum: int):
    """An argparse type: a whole number no smaller than `minimum`, or a usage error naming it
    (a batch of 0 would loop for ever, 1 event leaves the profile nothing to measure)."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"{number} is less than {minimum}")
        return number
    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=at_least(2), default=2000)
    parser.add_argument("--holds", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=20_000,
                        help="approved milestones due for release (jobs in steps)")
    parser.add_argument("--concurrency", type=at_least(1), default=8)
    parser.add_argument("--data-dir", default="/tmp/ofair-bench-money")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="what to measure, comma-separated: webhooks (in process), http "
                             "(through the API server), profile (where a webhook batch's time "
                             "goes), release (the release_holds job)")
    parser.add_argument("--batch", type=at_least(1), default=8,
                        help="profile: events per transaction")
    return parser.parse_args(argv)


def fresh_data_dir(data_dir: Path) -> None:
    if data_dir.exists():
        if any(data_dir.iterdir()) and not (data_dir / MARKER).exists():
            sys.exit(f"refusing to delete {data_dir}: it has no {MARKER} marker")
        from ofair_app.db import embedded

        if (data_dir / "pg").exists():
            embedded.stop(data_dir / "pg")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / MARKER).write_text("made by benchmarks/bench_money.py; safe to delete\n")


# The offers are written with their triggers off (each would count itself on its lead and open
# a chat thread, a row at a time: minutes for 100,000 offers); the leads carry their count.
SEED_SQL = """
    -- :n paid-or-pending consumer jobs of :businesses businesses, as the platform.
    INSERT INTO leads (id, type, title, short_description, category_slug, lat, lon,
                       owner_user_id, status, performer_professional_id, created_at,
                       closed_at, proposal_count)
    SELECT gen_random_uuid(), 'consumer', 'עבודה ' || i, 'עבודה', :category, 32.8, 35.0,
           :owner, CAST(:lead_status AS varchar), (SELECT id FROM professionals ORDER BY id
                                  OFFSET (i % :businesses) LIMIT 1),
           now() - interval '60 days', :closed_at, 1
    FROM generate_series(1, :n) AS i;
    ALTER TABLE proposals DISABLE TRIGGER USER;
    INSERT INTO proposals (lead_id, professional_id, created_by, price, description, status)
    SELECT id, performer_professional_id, :owner, 1000, 'הצעה', 'accepted' FROM leads
    WHERE NOT EXISTS (SELECT 1 FROM proposals o WHERE o.lead_id = leads.id);
    INSERT INTO payments (lead_id, proposal_id, payer_user_id, performer_professional_id,
                          provider, psp_reference, status, final_amount, platform_commission,
                          referrer_fee, professional_net_amount, platform_rate_pct,
                          psp_payment_intent, paid_at)
    SELECT p.lead_id, p.id, :owner, p.professional_id, 'sandbox', 'cs_bench_' || p.id,
           CAST(:payment_status AS varchar), 1000, 100, 0, 900, 10,
           CASE WHEN CAST(:payment_status AS varchar) = 'paid' THEN 'pi_bench_' || p.id END,
           CASE WHEN CAST(:payment_status AS varchar) = 'paid'
                THEN now() - interval '50 days' END
    FROM proposals p WHERE NOT EXISTS (SELECT 1 FROM payments x WHERE x.proposal_id = p.id);
    ALTER TABLE proposals ENABLE TRIGGER USER;
"""

STEPS_SQL = """
    -- :n jobs in progress in two milestones of 1,000, the first paid and approved long ago.
    INSERT INTO leads (id, type, title, short_description, category_slug, lat, lon,
                       owner_user_id, status, performer_professional_id, created_at,
                       proposal_count)
    SELECT gen_random_uuid(), 'consumer', 'פרויקט ' || i, 'פרויקט', :category, 32.8, 35.0,
           :owner, 'in_progress', (SELECT id FROM professionals ORDER BY id
                                   OFFSET (i % :businesses) LIMIT 1),
           now() - interval '60 days', 1
    FROM generate_series(1, :n) AS i;
    ALTER TABLE proposals DISABLE TRIGGER USER;
    INSERT INTO proposals (lead_id, professional_id, created_by, price, description, status)
    SELECT id, performer_professional_id, :owner, 2000, 'הצעה', 'accepted' FROM leads
    WHERE NOT EXISTS (SELECT 1 FROM proposals o WHERE o.lead_id = leads.id);
    INSERT INTO milestone_plans (proposal_id, lead_id, professional_id, proposed_side,
                                 proposed_by, proposed_at, agreed_at, agreed_by)
    SELECT id, lead_id, professional_id, 'owner', :owner, now() - interval '60 days',
           now() - interval '59 days', :owner FROM proposals
    WHERE price = 2000 AND NOT EXISTS (SELECT 1 FROM milestone_plans x
                                       WHERE x.proposal_id = proposals.id);
    ALTER TABLE proposals ENABLE TRIGGER USER;
    INSERT INTO milestones (proposal_id, lead_id, professional_id, position, title, amount,
                            due_on, status, approved_at, approved_by)
    SELECT mp.proposal_id, mp.lead_id, mp.professional_id, s, 'שלב ' || s, 1000,
           current_date, CASE s WHEN 1 THEN 'approved' ELSE 'open' END,
           CASE s WHEN 1 THEN now() - interval '50 days' END,
           CASE s WHEN 1 THEN CAST(:owner AS uuid) END
    FROM milestone_plans mp CROSS JOIN generate_series(1, 2) AS s
    WHERE NOT EXISTS (SELECT 1 FROM milestones m WHERE m.proposal_id = mp.proposal_id);
    INSERT INTO payments (lead_id, proposal_id, milestone_id, payer_user_id,
                          performer_professional_id, provider, psp_reference, status,
                          final_amount, platform_commission, referrer_fee,
                          professional_net_amount, platform_rate_pct, psp_payment_intent,
                          paid_at)
    SELECT m.lead_id, m.proposal_id, m.id, :owner, m.professional_id, 'sandbox',
           'cs_bench_' || m.id, 'paid', 1000, 100, 0, 900, 10, 'pi_bench_' || m.id,
           now() - interval '55 days'
    FROM milestones m WHERE m.position = 1
      AND NOT EXISTS (SELECT 1 FROM payments x WHERE x.milestone_id = m.id);
"""

HOLDS_SQL = """
    INSERT INTO ledger_accounts (code, purpose, professional_id)
    SELECT 'pro:' || id || ':pending', 'pro_pending', id FROM professionals
    ON CONFLICT (code) DO NOTHING;
    INSERT INTO ledger_accounts (code, purpose) VALUES ('clearing', 'clearing'),
        ('platform:pending', 'platform_pending') ON CONFLICT (code) DO NOTHING;
    INSERT INTO ledger_transactions (kind, idempotency_key, payment_id)
    SELECT 'hold', 'hold:' || id, id FROM payments WHERE status = 'paid'
    AND NOT EXISTS (SELECT 1 FROM ledger_transactions x WHERE x.payment_id = payments.id);
    INSERT INTO ledger_entries (transaction_id, account_id, amount)
    SELECT t.id, a.id, v.amount
    FROM ledger_transactions t JOIN payments p ON p.id = t.payment_id
    CROSS JOIN LATERAL (VALUES ('clearing', 1000.00),
                               ('platform:pending', -100.00),
                               ('pro:' || p.performer_professional_id || ':pending', -900.00))
        AS v(code, amount)
    JOIN ledger_accounts a ON a.code = v.code
    WHERE t.kind = 'hold' AND NOT EXISTS (
        SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id);
"""


def seed(conn, text, *, n: int, businesses: int, owner, category: str, paid: bool) -> None:
    for statement in SEED_SQL.split(";"):
        if statement.strip():
            conn.execute(text(statement), {
                "n": n, "businesses": businesses, "owner": owner, "category": category,
                "lead_status": "closed" if paid else "awarded",
                "closed_at": datetime(2020, 1, 1, tzinfo=UTC) if paid else None,
                "payment_status": "paid" if paid else "pending"})


def table(title: str, rows: list[tuple]) -> None:
    print(f"\n{title}")
    header = ("measurement", "count", "seconds", "per second", "p50 ms", "p99 ms")
    print(f"{header[0]:<66}{header[1]:>8}{header[2]:>10}{header[3]:>12}{header[4]:>9}"
          f"{header[5]:>9}")
    print("-" * 114)
    for name, count, seconds, p50, p99 in rows:
        rate = count / seconds if seconds else 0
        p50s = f"{p50:.2f}" if p50 is not None else ""
        p99s = f"{p99:.2f}" if p99 is not None else ""
        print(f"{name:<66}{count:>8}{seconds:>10.2f}{rate:>12.0f}{p50s:>9}{p99s:>9}")


def postgres_cpu(data_dir: Path) -> float:
    """CPU seconds used so far by the benchmark's PostgreSQL: its server process and every
    process the server started (each connection's backend, the WAL writer...)."""
    server = (data_dir / "pg" / "postmaster.pid").read_text().split()[0]
    ticks = 0
    for proc in Path("/proc").iterdir():
        try:
            # /proc/<pid>/stat after the command's name: state, parent, ..., utime, stime
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if server in (proc.name, fields[1]):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def profile(payments, signed: list[tuple[bytes, str]], batch: int, data_dir: Path) -> None:
    """Where a webhook batch's time goes: verified events applied `batch` per transaction by
    one thread (no waiting on other threads), half measured (this process's CPU, the
    database's CPU, wall time), half under cProfile."""
    import cProfile
    import io
    import pstats

    from ofair_app.adapters.psp import get_provider

    provider = get_provider("sandbox")
    started = time.perf_counter()
    verified = [(provider.read_webhook(payload, signature), "sandbox")
                for payload, signature in signed]
    verify_ms = (time.perf_counter() - started) * 1000 / len(signed)
    half = len(verified) // 2
    measured, profiled = verified[:half], verified[half:]
    wall, cpu, database = time.perf_counter(), time.process_time(), postgres_cpu(data_dir)
    for start in range(0, len(measured), batch):
        payments.record_events(measured[start:start + batch])
    wall = time.perf_counter() - wall
    cpu, database = time.process_time() - cpu, postgres_cpu(data_dir) - database
    n = len(measured)
    print(f"\nProfile: {n} events applied {batch} per transaction by one thread: {n / wall:.0f}/s;"
          f" per event: wall {wall * 1000 / n:.2f} ms, this process's CPU"
          f" {cpu * 1000 / n:.2f} ms, PostgreSQL's CPU {database * 1000 / n:.2f} ms;"
          f" verifying a signature {verify_ms:.2f} ms")
    profiler = cProfile.Profile()
    profiler.enable()
    for start in range(0, len(profiled), batch):
        payments.record_events(profiled[start:start + batch])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"ofair_app", 20)
    stats.sort_stats("tottime").print_stats(12)
    lines = [line.replace(str(Path.cwd()) + "/", "") for line in out.getvalue().splitlines()
             if line.strip() and not line.lstrip().startswith(("List reduced", "Ordered"))]
    print(f"the other {len(profiled)} events under cProfile (its overhead included):")
    print("\n".join(lines))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    if not parts or parts - set(PARTS):
        sys.exit(f"--parts: choose among {', '.join(PARTS)}")
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_OWNER_URL"):
        sys.exit("DATABASE_URL is set: this benchmark only uses its own embedded database")
    data_dir = Path(args.data_dir).expanduser().resolve()
    os.environ["OFAIR_DATA_DIR"] = str(data_dir)
    os.environ["OFAIR_SCHEDULER"] = "off"
    os.environ.setdefault("MESSAGING_BACKEND", "console")
    fresh_data_dir(data_dir)

    import logging

    logging.getLogger("ofair.messages").setLevel(logging.WARNING)
    from sqlalchemy import text

    from benchmarks.harness import free_port, server
    from jobs.definitions import RELEASE_BATCH
    from jobs.runner import run_job
    from ofair_app import reference
    from ofair_app.adapters.psp import event_payload, sign
    from ofair_app.db import bootstrap
    from ofair_app.db.engine import SYSTEM, owner_engine, unit_of_work
    from ofair_app.services import ledger, payments
    from tests.factories import make_professional, make_user

    bootstrap.upgrade()
    owner = make_user(name="לקוח", phone="+972500000999")
    businesses = 50
    for index in range(businesses):
        make_professional(make_user(name=f"בעל עסק {index}"), business_name=f"עסק {index}")
    category = reference.categories()[0].slug
    cpu = os.cpu_count()
    print(f"Money benchmark on {data_dir}: {cpu} cores, load average "
          f"{os.getloadavg()[0]:.2f}; {businesses} businesses")

    # --- webhooks ---------------------------------------------------------------------------
    batches = 2 * ("webhooks" in parts) + ("http" in parts) + ("profile" in parts)
    with owner_engine().begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        seed(conn, text, n=args.events * batches, businesses=businesses, owner=owner.id,
             category=category, paid=False)
        rows = conn.execute(text("SELECT id, psp_reference FROM payments"
                                 " WHERE status = 'pending' ORDER BY id")).all()

    def events(batch):
        made = []
        for payment_id, reference_id in batch:
            payload = event_payload(f"evt_bench_{payment_id}", "checkout.session.completed", {
                "id": reference_id, "object": "checkout.session",
                "client_reference_id": str(payment_id), "amount_total": 100000,
                "currency": "ils", "payment_status": "paid", "status": "complete",
                "payment_intent": f"pi_{payment_id}"})
            made.append((payload, sign(payload)))
        return made

    profiled = events(rows[-args.events:]) if "profile" in parts else []
    rows = rows[:-args.events] if profiled else rows
    in_process = "webhooks" in parts
    sequential, threaded = ((events(rows[:args.events]),
                             events(rows[args.events:2 * args.events])) if in_process
                            else ([], []))
    over_http = events(rows[2 * args.events:] if in_process else rows)
    results = []

    def timed(batch, workers: int) -> tuple[float, list[float], list[str]]:
        latencies: list[float] = []
        outcomes: list[str] = []
        lock = threading.Lock()

        def one(item) -> None:
            started = time.perf_counter()
            outcome = payments.handle_webhook(*item).outcome
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                outcomes.append(str(outcome))

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, batch))
        return time.perf_counter() - started, latencies, outcomes

    for name, batch, workers in () if not in_process else (
            ("in process, one at a time: new events (applied)", sequential, 1),
            (f"in process, {args.concurrency} threads: new events (applied)", threaded,
             args.concurrency),
            (f"in process, {args.concurrency} threads: the same again (duplicates)", threaded,
             args.concurrency)):
        transactions = payments.GROUP.batches
        seconds, latencies, outcomes = timed(batch, workers)
        transactions = payments.GROUP.batches - transactions
        expected = "duplicate" if "duplicates" in name else "applied"
        assert set(outcomes) == {expected}, set(outcomes)
        results.append((f"{name}, {transactions} tx", len(batch), seconds,
                        percentile(latencies, 50), percentile(latencies, 99)))

    if profiled:
        profile(payments, profiled, args.batch, data_dir)

    port = free_port()
    api = [sys.executable, "-m", "ofair_app", "api", "--port", str(port)]
    with server(api, f"http://127.0.0.1:{port}/api/v1/health") if over_http else nullcontext():
        import httpx

        url = f"http://127.0.0.1:{port}/api/v1/payments/webhook"
        for name, label in () if not over_http else (("applied", "new events (applied)"),
                            ("duplicate", "the same again (duplicates)")):
            latencies: list[float] = []
            lock = threading.Lock()

            def post(item, client_local: threading.local = threading.local(),
                     lock: threading.Lock = lock, latencies: list[float] = latencies) -> str:
                client = getattr(client_local, "client", None)
                if client is None:
                    client = client_local.client = httpx.Client(timeout=30)
                started = time.perf_counter()
                response = client.post(url, content=item[0], headers={
                    "Stripe-Signature": item[1], "Content-Type": "application/json"})
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
                return response.json()["outcome"]

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                outcomes = list(pool.map(post, over_http))
            seconds = time.perf_counter() - started
            assert set(outcomes) == {name}, set(outcomes)
            results.append((f"HTTP API, {args.concurrency} clients: {label}", len(over_http),
                            seconds, percentile(latencies, 50), percentile(latencies, 99)))
    with unit_of_work(SYSTEM) as session:
        holds = session.execute(text("SELECT count(*) FROM ledger_transactions"
                                     " WHERE kind = 'hold'")).scalar_one()
        total = ledger.total_of_all_entries(session)
    assert holds == batches * args.events and total == 0, (holds, total)
    if results:
        table("Webhooks (checkout.session.completed, Stripe-signed, idempotent): "
              f"{holds} holds written, ledger sum {total}", results)
    if "release" not in parts:
        print(f"\nload average after: {os.getloadavg()[0]:.2f} (1 min; {cpu} cores)")
        return 0

    # --- release_holds ----------------------------------------------------------------------
    started = time.perf_counter()
    with owner_engine().begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        seed(conn, text, n=args.holds, businesses=businesses, owner=owner.id,
             category=category, paid=True)
        for statement in STEPS_SQL.split(";") if args.steps else ():
            if statement.strip():
                conn.execute(text(statement), {"n": args.steps, "businesses": businesses,
                                               "owner": owner.id, "category": category})
        for statement in HOLDS_SQL.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
    seeded = time.perf_counter() - started
    with owner_engine().connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    rows = [("seed: paid jobs closed long ago, holds written (bulk)", args.holds, seeded,
             None, None)]
    if args.steps:
        rows.append(("   ... and approved milestones, each of a job in two steps",
                     args.steps, 0.0, None, None))
    as_of = datetime.now(UTC)
    for label in ("release_holds: first run", "release_holds: again (nothing due)"):
        started = time.perf_counter()
        outcome = run_job("release_holds", as_of=as_of)
        seconds = time.perf_counter() - started
        released = int(outcome.detail.split()[1]) if outcome.detail.startswith("released") \
            else 0
        rows.append((f"{label} ({outcome.detail})", released, seconds, None, None))
    with unit_of_work(SYSTEM) as session:
        total = ledger.total_of_all_entries(session)
        posts = session.execute(text("SELECT count(*) FROM ledger_transactions"
                                     " WHERE kind = 'post'")).scalar_one()
    assert posts == args.holds + args.steps and total == 0, (posts, total)
    table(f"release_holds over {args.holds} due holds of closed jobs and {args.steps} of"
          f" approved milestones (batches of {RELEASE_BATCH} per transaction): "
          f"{posts} posted, ledger sum {total}", rows)
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (1 min; {cpu} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
