"""Lead Board latency on a large database: the board query in the database and through the API.

    python -m benchmarks.generate_leads --reset          # once: 1,000,000 leads in /tmp/ofair-bench
    python -m benchmarks.bench_board [--data-dir /tmp/ofair-bench] [--rounds 200]
                                     [--api-rounds 100] [--warmup 20] [--no-api] [--only a,b]
                                     [--plan-cache-mode auto|force_custom_plan|force_generic_plan]
                                     [--sql "CREATE INDEX ..."]
    python -m benchmarks.bench_board --random 1000 [--seed 13] [--restarts 10] [--no-writes]

`--random N` runs the randomized mode instead of the scenarios below: N draws over everything a
user can combine, through the service and the API, warm and right after restarts, with the
board's sizes and write cost (benchmarks/board_draws.py explains it).


Scenarios (the place, category and budget come from the generated data):
  a   25 km around Tel Aviv + category + budget range, first page
  b   the same, the page after following `next_cursor` for 50 pages
  c   25 km around Eilat (remote) + category, first page
  c2  10 km around Mitzpe Ramon (small, remote) + category, first page
  c3  10 km around Mitzpe Ramon, any category, first page
  d   a common Hebrew word (`q`), no place, first page
  d2  a rare Hebrew word, no place, first page
  e   a business's own board (`board.for_business`: its category within its service area)

Three measurements per scenario, each after `--warmup` untimed calls:

- "service": `board.search()` (or `for_business`) in `unit_of_work(...)`, as an API request runs
  it: a pooled connection, one transaction, the caller context, the pinned businesses, one or
  two board statements, the businesses of the cards, commit.
- "statement": each board statement `search()` issues for that page (the pinned group, then the
  rest), built with `board._query(...)`, prepared once (PREPARE) and run alone (EXECUTE) inside
  one open transaction as the application role: the client's round trip, and under
  EXPLAIN (ANALYZE, BUFFERS) the server's planning and execution time and the indexes it used.
  `rest*` is the rest group's statement on a first page that the pinned leads filled (so
  `search()` did not run it): what page 1 costs wherever fewer than 20 pinned leads match.
- "API": sequential GETs (one keep-alive connection, no concurrency) to
  `/api/v1/leads/public` and `/api/v1/leads/board` on `python -m ofair_app api` (uvicorn, one
  worker) started on a free port against the same database: HTTP, FastAPI, validation, the
  service and JSON.

Plans: psycopg prepares a statement server-side once a connection has run it 5 times, and
PostgreSQL then switches to a generic plan (one plan for any parameters) after 5 more runs when
it estimates it no dearer; the warm-up covers both, so `auto` (the default, what the app does)
measures a warmed pooled connection. `--plan-cache-mode` sets `plan_cache_mode` on every
connection (here and in the API server, through PGOPTIONS) to measure custom plans (made for the
actual values: a fresh connection, and what EXPLAIN of a literal query shows) or generic ones.

Experiments, for the benchmark database only: `--sql` runs statements as the owner role first
(an index stays until dropped: `--sql "DROP INDEX ..."`).
The EXPLAIN plans of a, b and c are printed in full. The in-process figures include Python's
garbage collector: a full collection of this process's heap (~50 ms here) runs every few dozen
calls and lands in p99/max; `--gc-freeze` takes the startup heap out of it. Latencies depend
on the machine and on what else runs on it: compare figures from one run, or runs made one
after the other.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from benchmarks.harness import free_port, percentile, server

GOAL_MS = 50.0
DEEP_PAGES = 50
PLAN_CACHE_MODES = ("auto", "force_custom_plan", "force_generic_plan")


@dataclass
class Scenario:
    key: str
    title: str
    filters: object  # BoardFilters
    deep_pages: int = 0
    business: object | None = None  # the Professional whose own board this is
    cursor: str | None = None
    api_path: str = "/api/v1/leads/public"
    api_params: dict = field(default_factory=dict)


@dataclass
class Stats:
    samples: list[float]

    @property
    def text(self) -> str:
        s = self.samples
        return (f"{len(s):>6} {statistics.fmean(s):>8.2f} {percentile(s, 50):>8.2f} "
                f"{percentile(s, 99):>8.2f} {min(s):>8.2f} {max(s):>8.2f}")

    @property
    def meets_goal(self) -> str:
        return "yes" if percentile(self.samples, 99) < GOAL_MS else "NO"


STATS_HEADER = f"{'rounds':>6} {'mean':>8} {'p50':>8} {'p99':>8} {'min':>8} {'max':>8}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="/tmp/ofair-bench")
    parser.add_argument("--rounds", type=int, default=None,
                        help="timed calls per scenario (default 200 in the database, 100 via "
                             "the API; given, it applies to both unless --api-rounds is set)")
    parser.add_argument("--api-rounds", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls first")
    parser.add_argument("--no-api", action="store_true", help="skip the API measurements")
    parser.add_argument("--only", default="", help="comma-separated scenario keys")
    parser.add_argument("--plan-cache-mode", choices=PLAN_CACHE_MODES, default="auto")
    parser.add_argument("--sql", action="append", default=[],
                        help="SQL to run as the owner before measuring (repeatable)")
    parser.add_argument("--no-plans", action="store_true", help="do not print the full plans")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() this process before measuring (not the API server): "
                             "full collections of the startup heap then stop adding ~50 ms "
                             "pauses every few dozen calls")
    parser.add_argument("--random", type=int, default=0, metavar="N",
                        help="the randomized mode: N draws (benchmarks/board_draws.py)")
    parser.add_argument("--seed", type=int, default=13, help="the randomized mode's seed")
    parser.add_argument("--restarts", type=int, default=10,
                        help="the randomized mode's cold restarts (0: none)")
    parser.add_argument("--no-writes", action="store_true",
                        help="the randomized mode without the 10,000-lead insert timing")
    args = parser.parse_args(argv)
    args.db_rounds = args.rounds or 200
    args.api_rounds = args.api_rounds or args.rounds or 100
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL is set: this benchmark reads the embedded database in --data-dir")
    data_dir = Path(args.data_dir).expanduser().resolve()
    if not (data_dir / "pg").exists():
        sys.exit(f"no database in {data_dir}: run python -m benchmarks.generate_leads first")
    # Before any ofair_app import (settings are read once) and any connection (libpq reads
    # PGOPTIONS when it connects; the API server inherits both).
    os.environ["OFAIR_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("OFAIR_SCHEDULER", "off")
    if args.plan_cache_mode != "auto":
        os.environ["PGOPTIONS"] = (os.environ.get("PGOPTIONS", "") +
                                   f" -c plan_cache_mode={args.plan_cache_mode}").strip()

    from ofair_app.settings import get_settings

    settings = get_settings()
    if not settings.embedded_database or settings.data_dir != data_dir:
        sys.exit(f"settings point at another database (data dir {settings.data_dir})")

    from sqlalchemy import text

    from ofair_app.db.engine import owner_engine

    with owner_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for statement in args.sql:
            started = time.perf_counter()
            conn.execute(text(statement))
            print(f"ran as the owner ({time.perf_counter() - started:.1f} s): {statement}")
        if args.sql:
            conn.execute(text("ANALYZE lead_board"))
    with owner_engine().begin() as conn:
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        facts = conn.execute(text(FACTS)).one()
        pg = {name: conn.execute(text(f"SHOW {name}")).scalar_one()
              for name in ("server_version", "shared_buffers", "work_mem", "jit",
                           "plan_cache_mode")}
        indexes = conn.execute(text(
            "SELECT string_agg(indexname, ', ' ORDER BY indexname) FROM pg_indexes"
            " WHERE tablename = 'lead_board'")).scalar_one()
        rls = conn.execute(text(
            "SELECT relrowsecurity FROM pg_class WHERE oid = 'lead_board'::regclass")).scalar_one()
    if not facts.leads:
        sys.exit(f"{data_dir} holds no leads: run python -m benchmarks.generate_leads first")
    if args.random:
        from benchmarks import board_draws

        print(f"{facts.leads} leads, {facts.board} on the board; cores {os.cpu_count()}, load "
              f"average {os.getloadavg()[0]:.2f}; postgres {pg['server_version']}, "
              f"shared_buffers {pg['shared_buffers']}; indexes: {indexes}")
        code = board_draws.run(args, data_dir)
        print(f"\nload average at the end {os.getloadavg()[0]:.2f} (1 min; {os.cpu_count()} "
              "cores): anything else running on the machine shows here")
        return code

    scenarios = build_scenarios(args)
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
    load_before = os.getloadavg()
    print(f"\nLead Board benchmark on {data_dir}: {facts.leads} leads, {facts.board} on the board "
          f"({facts.pinned} pinned), {facts.businesses} businesses ({facts.subscribed} "
          f"subscribed)")
    print(f"cores: {os.cpu_count()}; load average {load_before[0]:.2f}; python "
          f"{sys.version.split()[0]}; postgres {pg['server_version']}, shared_buffers "
          f"{pg['shared_buffers']}, work_mem {pg['work_mem']}, jit {pg['jit']}")
    print(f"plan_cache_mode {pg['plan_cache_mode']}; "
          f"lead_board row-level security {'on' if rls else 'OFF'}; gc.freeze: "
          f"{'yes' if args.gc_freeze else 'no'}; indexes: {indexes}")
    for s in scenarios:
        print(f"  {s.key:3} {s.title}")

    service = {}
    for s in scenarios:
        service[s.key] = measure_service(s, args)
        print(f"  service {s.key}: p50 {percentile(service[s.key][1].samples, 50):.2f} ms",
              flush=True)
    statements = {}
    for s in scenarios:
        statements[s.key] = measure_statements(s, args)
        print(f"  statements {s.key}: done", flush=True)
    api = {} if args.no_api else measure_api(scenarios, args, data_dir)
    load_after = os.getloadavg()

    print(f"\nIn the database, board.search() / for_business() in unit_of_work: ms per call "
          f"({args.warmup} warm-up calls first; plan_cache_mode {args.plan_cache_mode})")
    header = f"{'scenario':44} {'cards':>5} {STATS_HEADER} {'p99<50':>7}"
    print(header)
    print("-" * len(header))
    for s in scenarios:
        cards, stats = service[s.key]
        print(f"{s.key + ' ' + s.title:44.44} {cards:>5} {stats.text} {stats.meets_goal:>7}")

    print("\nThe board statements alone (prepared, then EXECUTE as the application role inside "
          "one open transaction): client ms per execution; server ms from "
          "EXPLAIN (ANALYZE, BUFFERS)")
    header = (f"{'scenario / group':22} {'rows':>5} {'client p50':>10} {'client p99':>10} "
              f"{'exec p50':>8} {'exec p99':>8} {'plan p50':>8} {'buffers':>8}  scans")
    print(header)
    print("-" * (len(header) + 40))
    for s in scenarios:
        for row in statements[s.key]:
            print(f"{s.key + ' / ' + row['group']:22} {row['rows']:>5} "
                  f"{percentile(row['client'], 50):>10.2f} {percentile(row['client'], 99):>10.2f} "
                  f"{percentile(row['exec'], 50):>8.2f} {percentile(row['exec'], 99):>8.2f} "
                  f"{percentile(row['plan'], 50):>8.2f} {row['buffers']:>8}  {row['indexes']}")

    if api:
        print(f"\nThrough the API (uvicorn, 1 worker; sequential requests on one keep-alive "
              f"connection): ms per request ({args.warmup} warm-up requests first)")
        header = f"{'scenario':44} {'status':>6} {STATS_HEADER} {'p99<50':>7}"
        print(header)
        print("-" * len(header))
        for s in scenarios:
            status, stats = api[s.key]
            print(f"{s.key + ' ' + s.title:44.44} {status:>6} {stats.text} {stats.meets_goal:>7}")

    if not args.no_plans:
        for s in scenarios:
            if s.key in ("a", "b", "c"):
                for row in statements[s.key]:
                    print(f"\nEXPLAIN (ANALYZE, BUFFERS) of {s.key} / {row['group']}: {s.title}")
                    print(row["plan_text"])
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"(1 min; {os.cpu_count()} cores): anything else running on the machine shows here")
    return 0


FACTS = """
SELECT (SELECT count(*) FROM leads) AS leads,
       (SELECT count(*) FROM lead_board) AS board,
       (SELECT count(*) FROM professionals) AS businesses,
       (SELECT count(*) FROM professionals WHERE subscribed_until > now()) AS subscribed,
       (SELECT count(*) FROM lead_board b JOIN professionals p ON p.id = b.owner_professional_id
        WHERE p.subscribed_until > now()) AS pinned
"""


def build_scenarios(args: argparse.Namespace) -> list[Scenario]:
    from sqlalchemy import text

    from ofair_app import reference
    from ofair_app.db.engine import SYSTEM, unit_of_work
    from ofair_app.models import Professional
    from ofair_app.services.board import BoardFilters

    def near(slug: str, radius: float, **extra) -> BoardFilters:
        place = reference.locality_by_slug(slug)
        assert place is not None, slug
        return BoardFilters(lat=place.lat, lon=place.lon, radius_km=radius, **extra)

    big_city = near("tel-aviv", 25, category="plumbing", budget_min=Decimal(500),
                    budget_max=Decimal(5000))
    scenarios = [
        Scenario("a", "Tel Aviv 25 km, plumbing, 500-5000 ILS", big_city),
        Scenario("b", f"as a, page {DEEP_PAGES + 1} (after {DEEP_PAGES} cursors)", big_city,
                 deep_pages=DEEP_PAGES),
        Scenario("c", "Eilat 25 km, plumbing", near("eilat", 25, category="plumbing")),
        Scenario("c2", "Mitzpe Ramon 10 km, electrical",
                 near("mitzpe-ramon", 10, category="electrical")),
        Scenario("c3", "Mitzpe Ramon 10 km, any category", near("mitzpe-ramon", 10)),
        Scenario("d", "text 'מזגן', anywhere", BoardFilters(q="מזגן")),
        Scenario("d2", "text 'טרמיטים', anywhere", BoardFilters(q="טרמיטים")),
    ]
    # A business's own board: a plumber in Tel Aviv serving 25 km (the first such, stable).
    with unit_of_work(SYSTEM) as session:
        found = session.execute(text(
            "SELECT id FROM professionals WHERE category_slug = 'plumbing' AND locality_id = :loc"
            " AND service_radius_km = 25 AND status = 'active' ORDER BY business_id LIMIT 1"),
            {"loc": reference.locality_by_slug("tel-aviv").id}).scalar_one()
        business = session.get(Professional, found)
    scenarios.append(Scenario("e", "a Tel Aviv plumber's own board (25 km)", BoardFilters(),
                              business=business, api_path="/api/v1/leads/board"))
    only = {k.strip() for k in args.only.split(",") if k.strip()}
    if only:
        scenarios = [s for s in scenarios if s.key in only]
    for s in scenarios:
        f = s.filters
        params = {"category": f.category, "lat": f.lat, "lon": f.lon, "radius_km": f.radius_km,
                  "budget_min": f.budget_min, "budget_max": f.budget_max, "q": f.q}
        s.api_params = {k: str(v) for k, v in params.items() if v is not None}
        if s.business is not None:
            s.api_params = {"professional_id": str(s.business.id)}
    return scenarios


def caller_of(scenario: Scenario):
    from ofair_app.db.engine import ANONYMOUS, Caller

    if scenario.business is None:
        return ANONYMOUS
    b = scenario.business
    return Caller(user_id=b.created_by, role="professional", professional_ids=(b.id,))


def service_call(scenario: Scenario) -> Callable[[], int]:
    """One board request as the service runs it; returns the number of cards."""
    from ofair_app.db.engine import unit_of_work
    from ofair_app.services import board

    caller = caller_of(scenario)

    def call() -> int:
        with unit_of_work(caller) as session:
            if scenario.business is not None:
                _, cards, _ = board.for_business(
                    session=session, caller=caller, professional_id=scenario.business.id,
                    filters=scenario.filters, limit=20, cursor=scenario.cursor)
            else:
                cards, _ = board.search(session=session, filters=scenario.filters, limit=20,
                                        cursor=scenario.cursor)
        return len(cards)

    return call


def follow_cursor(scenario: Scenario) -> None:
    from ofair_app.db.engine import unit_of_work
    from ofair_app.services import board

    cursor = None
    for _ in range(scenario.deep_pages):
        with unit_of_work(caller_of(scenario)) as session:
            _, cursor = board.search(session=session, filters=scenario.filters, limit=20,
                                     cursor=cursor)
        if cursor is None:
            raise RuntimeError(f"scenario {scenario.key}: fewer than {scenario.deep_pages} pages")
    scenario.cursor = cursor


def measure_service(scenario: Scenario, args: argparse.Namespace) -> tuple[int, Stats]:
    if scenario.deep_pages and scenario.cursor is None:
        follow_cursor(scenario)
    call = service_call(scenario)
    cards = 0
    for _ in range(args.warmup):
        cards = call()
    samples = []
    for _ in range(args.db_rounds):
        started = time.perf_counter()
        cards = call()
        samples.append((time.perf_counter() - started) * 1000)
    return cards, Stats(samples)


def scoped_filters(scenario: Scenario):
    """The filters `search()` gets: for a business's board, as `for_business` scopes them."""
    f, b = scenario.filters, scenario.business
    if b is None:
        return f
    return replace(f, category=f.category or b.category_slug, lat=b.lat, lon=b.lon,
                   radius_km=f.radius_km if f.radius_km is not None
                   else float(b.service_radius_km), exclude_professional_id=b.id)


def board_statements(session, scenario: Scenario, limit: int = 20) -> list[tuple[str, object]]:
    """The statements `board.search()` runs for this page, in order, as `board._rows` records
    them: per group, the windows over the newest leads (`newest N`) and, when they came up
    short, every match (`matches`); on a first page the pinned leads filled, the rest group's
    first statement as `rest*`."""
    from ofair_app.services import board

    filters = scoped_filters(scenario)
    out: list[tuple[str, object]] = []
    board._rows(session, filters, limit=limit, cursor=scenario.cursor, now=None, trace=out)
    if scenario.cursor is None and all(not group.startswith("rest") for group, _ in out):
        windows = board.CATEGORY_WINDOWS if filters.category else board.RECENT_WINDOWS
        out.append(("rest*", board._query(
            filters, pinned_ids=board.subscribed_businesses(session), pinned_group=False,
            after=None, limit=limit + 1, window=windows[0])))
    return out


def positional(query) -> tuple[str, list]:
    """The statement as PostgreSQL text with $1, $2, ... and the values in order."""
    from sqlalchemy.dialects import postgresql

    compiled = query.compile(dialect=postgresql.dialect(paramstyle="numeric_dollar"),
                             compile_kwargs={"render_postcompile": True})
    return str(compiled), [compiled.params[name] for name in compiled.positiontup]


def measure_statements(scenario: Scenario, args: argparse.Namespace) -> list[dict]:
    """Each statement prepared once and executed like the app's prepared statements are, so
    `plan_cache_mode` (custom or generic plans) applies as it does in the app."""
    from psycopg import sql as pgsql

    from ofair_app.db.engine import unit_of_work

    rows = []
    with unit_of_work(caller_of(scenario)) as session:
        raw = session.connection().connection.driver_connection
        cursor = raw.cursor()
        for group, query in board_statements(session, scenario):
            statement, values = positional(query)
            cursor.execute(f"PREPARE bench_board AS {statement}", prepare=False)
            try:
                execute = "EXECUTE bench_board({})".format(
                    ", ".join(pgsql.Literal(v).as_string(raw) for v in values))
                client, exec_ms, plan_ms = [], [], []
                for i in range(args.warmup + args.db_rounds):
                    started = time.perf_counter()
                    cursor.execute(execute, prepare=False)
                    count = len(cursor.fetchall())
                    if i >= args.warmup:
                        client.append((time.perf_counter() - started) * 1000)
                for i in range(args.warmup + args.db_rounds):
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {execute}",
                                   prepare=False)
                    report = cursor.fetchone()[0][0]
                    if i >= args.warmup:
                        exec_ms.append(report["Execution Time"])
                        plan_ms.append(report["Planning Time"])
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {execute}", prepare=False)
                plan_text = "\n".join(line for (line,) in cursor.fetchall())
            finally:
                cursor.execute("DEALLOCATE bench_board", prepare=False)
            top = report["Plan"]
            buffers = top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
            rows.append({"group": group, "rows": count, "client": client, "exec": exec_ms,
                         "plan": plan_ms, "buffers": buffers, "indexes": index_summary(top),
                         "plan_text": shorten(plan_text)})
    return rows


def index_summary(plan: dict) -> str:
    """The scans of a JSON plan, `index (kind)` or `seq scan`, in plan order, deduplicated."""
    seen: list[str] = []

    def walk(node: dict) -> None:
        kind = node["Node Type"]
        if "Index Name" in node:
            label = f"{node['Index Name']} ({kind.replace(' Scan', '').lower()})"
        elif kind in ("Seq Scan", "Parallel Seq Scan"):
            label = f"{kind.lower()} {node.get('Relation Name', '')}"
        else:
            label = ""
        if label and label not in seen:
            seen.append(label)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    return ", ".join(seen)


_UUID_LIST = re.compile(r"'\{[0-9a-f,-]{80,}\}'")
_UUID_ARRAY = re.compile(r"ARRAY\[(?:'[0-9a-f-]{36}'::uuid, ){3,}[^\]]*\]")
_PARAM_ARRAY = re.compile(r"ARRAY\[(\$\d+)(?:, \$\d+){3,}, (\$\d+)\]")


def shorten(plan: str) -> str:
    """Plans list every pinned business id (or its parameter); keep the count only."""
    plan = _UUID_LIST.sub(lambda m: f"'{{…{m.group(0).count(',') + 1} ids…}}'", plan)
    plan = _UUID_ARRAY.sub(lambda m: f"ARRAY[…{m.group(0).count('::uuid')} ids…]", plan)
    return _PARAM_ARRAY.sub(lambda m: f"ARRAY[{m.group(1)} … {m.group(2)}]", plan)


def measure_api(scenarios: list[Scenario], args: argparse.Namespace,
                data_dir: Path) -> dict[str, tuple[int, Stats]]:
    import httpx

    from ofair_app.db.engine import SYSTEM, unit_of_work
    from ofair_app.services import auth

    tokens = {}
    for s in scenarios:
        if s.business is not None:
            with unit_of_work(SYSTEM) as session:
                tokens[s.key], _ = auth.issue_token(session=session, user_id=s.business.created_by,
                                                    user_agent="bench_board")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "ofair_app", "api", "--port", str(port)]
    results = {}
    with server(command, f"{base}/api/v1/health", env={"OFAIR_DATA_DIR": str(data_dir)}), \
            httpx.Client(base_url=base, timeout=30) as client:
        for s in scenarios:
            params = dict(s.api_params)
            if s.cursor:
                params["cursor"] = s.cursor
            headers = {"Authorization": f"Bearer {tokens[s.key]}"} if s.key in tokens else {}
            samples, status = [], 0
            for i in range(args.warmup + args.api_rounds):
                started = time.perf_counter()
                response = client.get(s.api_path, params=params, headers=headers)
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                status = response.status_code
                if status != 200:
                    raise RuntimeError(f"{s.key}: {status} {response.text[:300]}")
                if i >= args.warmup:
                    samples.append(elapsed)
            results[s.key] = (status, Stats(samples))
            print(f"  api {s.key}: p50 {percentile(samples, 50):.2f} ms", flush=True)
    return results


if __name__ == "__main__":
    sys.exit(main())
