"""The Lead Board's randomized benchmark: many draws over everything a user can combine.

Run through `python -m benchmarks.bench_board --random 1000` (see bench_board's docstring).

A draw combines, each independently (the shares are below in `draw()`): a category or none; a
point (a locality picked uniformly, so remote villages weigh as much as cities) with a radius of
5-200 km, or no place at all; a search text that is common, rare, misspelled, a single letter,
two words, absent from every lead, or none; a budget minimum, maximum, both or neither; a lead
type or either; subscribers only or not; and 0-20 pages deep (the cursor is followed untimed up to
that page, then that page is timed, as when a user taps "more").

Each draw is timed once through the service (`board.search()` in `unit_of_work`, as an API
request runs it) and once through the API (`GET /api/v1/leads/public` on a uvicorn server), on a
warm database. Then `--restarts` times: PostgreSQL is stopped, the data directory's files are
evicted from the operating system's page cache (posix_fadvise DONTNEED: a cold machine, not just
cold shared buffers), PostgreSQL is started, and one draw is timed (alternately through the API
and through the service). A draw that hits the board's statement timeout counts as an error
(the 422 "narrow your search"), with its time.

The report: p50/p99/max per value of each dimension, overall, the ten slowest draws with the
plans of their statements (EXPLAIN ANALYZE, BUFFERS, as the app runs them: custom plans), the
first queries after restarts, the board's table and index sizes and the time to insert 10,000
leads with the board kept current (in a transaction that is rolled back).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from benchmarks.harness import free_port, percentile, server

# What people type: words from the generated requests (common and rare), misspellings of common
# ones, single letters, two-word phrases, and words no lead contains.
TEXTS = {
    "common": ["מזגן", "נזילה", "דחוף", "שיפוץ", "חשמלאי", "ניקיון", "הובלה", "צביעת", "דרוש",
               "אשמח", "חניה", "בדירה"],
    "rare": ["טרמיטים", "פשפשים", "ביטומן", "ג׳קוזי", "אינטרקום", "מרזבים", "הדמיה", "ראוטר",
             "סורגים", "יונים"],
    "misspelled": ["מזגנן", "נזלה", "חשמלאיי", "שפוצ", "אינסטלטור", "הובלא", "ניקיונן", "צביאה"],
    "one letter": ["מ", "ש", "ה", "a", "ד", "1"],
    "two words": ["מזגן מטפטף", "נזילה מתחת", "ניקיון יסודי", "שיפוץ דירה", "דוד שמש",
                  "דלת ביטחון", "דחוף היום"],
    "absent": ["קנגורו", "xylophone", "פינגווין", "zzzz", "אבגדהוז", "helicopter"],
}
TEXT_SHARES = {"none": 40, "common": 15, "rare": 10, "misspelled": 8, "one letter": 9,
               "two words": 8, "absent": 10}
DIMENSIONS = ("text", "category", "radius", "budget", "type", "subscribed", "depth")


@dataclass
class Draw:
    number: int
    filters: object  # BoardFilters
    depth: int
    facets: dict[str, str]
    description: str
    cursor: str | None = None
    reached: int = 0  # pages actually followed (a short result ends earlier)
    service_ms: float | None = None
    api_ms: float | None = None
    service_error: str = ""
    api_error: str = ""
    cards: int = 0
    plans: list[str] = field(default_factory=list)


def _weighted(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _amount(rng: random.Random) -> Decimal:
    """Budgets people set: log-uniform over 50-50,000, rounded as a person would."""
    raw = 10 ** rng.uniform(1.7, 4.7)
    step = 10 if raw < 1000 else 100 if raw < 10000 else 1000
    return Decimal(int(raw // step * step) or step)


def draw(rng: random.Random, number: int) -> Draw:
    from ofair_app import reference
    from ofair_app.domain.leads import LeadType
    from ofair_app.services.board import BoardFilters

    facets: dict[str, str] = {}
    parts: list[str] = []
    args: dict = {}

    if rng.random() < 0.5:
        category = rng.choice(reference.categories())
        args["category"] = category.slug
        facets["category"] = "one"
        parts.append(category.slug)
    else:
        facets["category"] = "none"

    if rng.random() < 0.65:
        place = rng.choice(reference.localities())
        radius = round(rng.uniform(5, 200))
        args.update(lat=place.lat, lon=place.lon, radius_km=float(radius))
        facets["radius"] = ("5-25 km" if radius <= 25 else "26-75 km" if radius <= 75
                            else "76-200 km")
        parts.append(f"{radius} km around {place.slug}")
    else:
        facets["radius"] = "none"

    kind = _weighted(rng, TEXT_SHARES)
    facets["text"] = kind
    if kind != "none":
        args["q"] = rng.choice(TEXTS[kind])
        parts.append(f"q={args['q']!r}")

    budget = _weighted(rng, {"none": 50, "min": 20, "max": 10, "min+max": 20})
    facets["budget"] = budget
    if budget in ("min", "min+max"):
        args["budget_min"] = _amount(rng)
    if budget in ("max", "min+max"):
        args["budget_max"] = _amount(rng)
        if "budget_min" in args and args["budget_max"] < args["budget_min"]:
            args["budget_min"], args["budget_max"] = args["budget_max"], args["budget_min"]
    if budget != "none":
        parts.append(f"budget {args.get('budget_min', '')}-{args.get('budget_max', '')}")

    kind = _weighted(rng, {"any": 60, "consumer": 20, "professional_referral": 20})
    facets["type"] = kind
    if kind != "any":
        args["type"] = LeadType(kind)
        parts.append(kind)

    subscribed = rng.random() < 0.1
    facets["subscribed"] = "only" if subscribed else "all"
    args["subscribed_only"] = subscribed
    if subscribed:
        parts.append("subscribers only")

    depth = 0 if rng.random() < 0.5 else rng.randint(1, 20)
    facets["depth"] = "page 1" if depth == 0 else "pages 2-6" if depth <= 5 else "pages 7-21"
    parts.append(f"page {depth + 1}")
    return Draw(number=number, filters=BoardFilters(**args), depth=depth, facets=facets,
                description=", ".join(parts))


def api_params(filters) -> dict[str, str]:
    names = ("category", "lat", "lon", "radius_km", "budget_min", "budget_max", "q", "type")
    params = {name: str(getattr(filters, name)) for name in names
              if getattr(filters, name) is not None}
    if filters.subscribed_only:
        params["subscribed_only"] = "true"
    return params


def _page(filters, cursor: str | None):
    from ofair_app.db.engine import unit_of_work
    from ofair_app.services import board

    with unit_of_work() as session:
        return board.search(session=session, filters=filters, limit=20, cursor=cursor)


def follow(d: Draw) -> None:
    """Follow the cursor (untimed) to the draw's page, or to the last page there is."""
    from ofair_app.domain.errors import AppError

    cursor, d.reached = None, 0
    for _ in range(d.depth):
        try:
            _, next_cursor = _page(d.filters, cursor)
        except AppError as error:
            d.service_error = f"{error.code} while paging"
            return
        if next_cursor is None:
            break
        cursor, d.reached = next_cursor, d.reached + 1
    d.cursor = cursor


def time_service(d: Draw) -> float:
    from ofair_app.domain.errors import AppError

    started = time.perf_counter()
    try:
        cards, _ = _page(d.filters, d.cursor)
        d.cards = len(cards)
    except AppError as error:
        d.service_error = error.code
    return (time.perf_counter() - started) * 1000


def time_api(client, d: Draw) -> float:
    params = api_params(d.filters)
    if d.cursor:
        params["cursor"] = d.cursor
    started = time.perf_counter()
    response = client.get("/api/v1/leads/public", params=params)
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        code = response.json().get("error", {}).get("code", "") if response.headers.get(
            "content-type", "").startswith("application/json") else ""
        d.api_error = f"{response.status_code} {code}".strip()
    return elapsed


def plans_of(d: Draw) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the draw's page runs, as the app runs it:
    prepared with its values as parameters, planned for them (custom plans)."""
    from psycopg import sql as pgsql

    from benchmarks.bench_board import Scenario, board_statements, positional, shorten
    from ofair_app.db.engine import unit_of_work
    from ofair_app.services import board
    from ofair_app.settings import get_settings

    out = []
    with unit_of_work() as session:
        raw = session.connection().connection.driver_connection
        cursor = raw.cursor()
        # The board's own settings (custom plans, its work_mem and page cost), with room to
        # finish a statement that timed out in the app.
        timeout = get_settings().board_statement_timeout_ms
        session.execute(board._BOARD_SETTINGS, {
            "timeout": f"{int(timeout) * 10}ms", "work_mem": board.BOARD_WORK_MEM,
            "random_page_cost": board.BOARD_RANDOM_PAGE_COST})
        scenario = Scenario("r", d.description, d.filters, cursor=d.cursor)
        try:
            statements = board_statements(session, scenario)
        except Exception as error:  # e.g. past even that time
            return [f"statements failed: {type(error).__name__}: {str(error).splitlines()[0]}"]
        for group, query in statements:
            statement, values = positional(query)
            execute = "EXECUTE board_plan({})".format(
                ", ".join(pgsql.Literal(v).as_string(raw) for v in values))
            try:
                cursor.execute(f"PREPARE board_plan AS {statement}", prepare=False)
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {execute}", prepare=False)
                lines = [line for (line,) in cursor.fetchall()]
                cursor.execute("DEALLOCATE board_plan", prepare=False)
            except Exception as error:
                out.append(f"[{group}] EXPLAIN failed: {type(error).__name__}: "
                           f"{str(error).splitlines()[0]}")
                session.rollback()
                break
            out.append(f"[{group}]\n" + shorten("\n".join(lines)))
    return out


# --- restarts ------------------------------------------------------------------------------


def restart_cold(data_dir: Path) -> float:
    """Stop PostgreSQL, evict its files from the page cache, start it again; seconds taken."""
    from ofair_app.db.engine import dispose_engines

    started = time.perf_counter()
    dispose_engines()
    pgdata = data_dir / "pg"
    prefix = "import sys; from pathlib import Path; from ofair_app.db import embedded; "
    env = {**os.environ, "XDG_RUNTIME_DIR": tempfile.mkdtemp(prefix="ofair-bench-")}
    subprocess.run([sys.executable, "-c", prefix + "embedded.stop(Path(sys.argv[1]))",
                    str(pgdata)], check=True, env=env)
    evicted = evict(pgdata)
    subprocess.run([sys.executable, "-c", prefix + "embedded.socket_dir(Path(sys.argv[1]))",
                    str(pgdata)], check=True, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    if not evicted:
        print("  (page cache eviction failed: the restart is cold in PostgreSQL only)")
    return time.perf_counter() - started


def prewarm(data_dir: Path) -> None:
    """Read the board's table and indexes once, so that "warm" means what it says: a database
    whose board is in memory (the OS page cache; the machine's RAM holds it many times over),
    whatever ran before (a restart test evicts every file). Without it, the first draws would
    pay for reading the table from disk and land in p99 as noise."""
    import sqlalchemy as sa

    from ofair_app.db.engine import owner_engine

    with owner_engine().connect() as connection:
        paths = connection.execute(sa.text(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
            "WHERE c.oid = 'lead_board'::regclass OR c.oid IN "
            "(SELECT indexrelid FROM pg_index WHERE indrelid = 'lead_board'::regclass)"
        )).scalars().all()
    started, size = time.perf_counter(), 0
    for relative in paths:
        first = data_dir / "pg" / relative
        for path in [first, *sorted(first.parent.glob(first.name + ".*"))]:  # 1 GB segments
            with open(path, "rb", buffering=0) as f:
                while chunk := f.read(8 << 20):
                    size += len(chunk)
    print(f"  warmed: read the board's {size / 2**20:,.0f} MB in "
          f"{time.perf_counter() - started:.1f} s", flush=True)


def evict(root: Path) -> bool:
    ok = True
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            ok = False
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            ok = False
        finally:
            os.close(fd)
    return ok


# --- sizes and write cost --------------------------------------------------------------------


SIZES = """
SELECT c.relname AS name, c.relkind AS kind, pg_relation_size(c.oid) AS bytes
FROM pg_class c
WHERE c.oid = 'lead_board'::regclass
   OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'lead_board'::regclass)
ORDER BY c.relkind DESC, pg_relation_size(c.oid) DESC
"""


def print_sizes() -> None:
    from sqlalchemy import text

    from ofair_app.db.engine import owner_engine

    with owner_engine().connect() as conn:
        rows = conn.execute(text(SIZES)).all()
        toast = conn.execute(text(
            "SELECT coalesce(pg_total_relation_size(reltoastrelid), 0) FROM pg_class"
            " WHERE oid = 'lead_board'::regclass")).scalar_one()
    print("\nlead_board on disk")
    print(f"{'relation':40} {'MB':>9}")
    total = 0
    for row in rows:
        total += row.bytes
        label = f"{row.name} ({'table' if row.kind == 'r' else 'index'})"
        print(f"{label:40} {row.bytes / 2**20:>9.1f}")
    print(f"{'TOAST':40} {toast / 2**20:>9.1f}")
    print(f"{'total':40} {(total + toast) / 2**20:>9.1f}")


def write_cost(count: int = 10_000) -> None:
    """Insert `count` active public leads (copies of existing ones with new ids) with the board
    trigger on and with it off, each in a transaction that is rolled back."""
    from sqlalchemy import text

    from ofair_app.db.engine import owner_engine

    engine = owner_engine()
    with engine.connect() as conn:
        columns = conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'leads'"
            " AND column_name NOT IN ('id') AND is_generated = 'NEVER'"
            " ORDER BY ordinal_position")).scalars().all()
    names = ", ".join(columns)
    insert = text(f"INSERT INTO leads (id, {names}) SELECT gen_random_uuid(), {names} FROM leads"
                  f" WHERE status = 'active' AND visibility = 'public' LIMIT {count}")
    print(f"\nInsert {count:,} leads in one transaction (then rolled back): ms")
    for label, trigger in (("board kept current (lead_board_sync trigger)", True),
                           ("without the board (trigger disabled, for comparison)", False)):
        samples = []
        for _ in range(3):
            with engine.connect() as conn:
                transaction = conn.begin()
                conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
                if not trigger:
                    conn.execute(text("ALTER TABLE leads DISABLE TRIGGER lead_board_sync"))
                started = time.perf_counter()
                inserted = conn.execute(insert).rowcount
                samples.append((time.perf_counter() - started) * 1000)
                transaction.rollback()
        print(f"  {label:54} {inserted:>6} rows  median {statistics.median(samples):>8.0f} "
              f"min {min(samples):>8.0f}")
    # The rolled-back rows stay behind as dead rows and dead entries in the word index's
    # pending list, which every word search then reads (a 10M run measured right after them
    # had 43 of 1,000 draws past the timeout, one without them none). Cleaned up for whatever
    # runs next.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) leads, lead_board"))


# --- the run ---------------------------------------------------------------------------------


def run(args, data_dir: Path) -> int:
    import httpx

    rng = random.Random(args.seed)
    draws = [draw(rng, i + 1) for i in range(args.random)]
    print(f"\nRandomized Lead Board benchmark: {len(draws)} draws (seed {args.seed}), "
          f"statement timeout {_timeout_ms()} ms")
    print_sizes()
    prewarm(data_dir)
    # Warm: a few untimed draws first (the catalog, the pool, the common index pages).
    for d in draws[: min(20, len(draws))]:
        follow(d)
        time_service(d)
    for i, d in enumerate(draws):
        d.service_error = ""
        follow(d)
        if not d.service_error:
            d.service_ms = time_service(d)
        if (i + 1) % 100 == 0:
            print(f"  service: {i + 1}/{len(draws)} draws", flush=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "ofair_app", "api", "--port", str(port)]
    restarts: list[tuple[str, Draw, float, float, str]] = []
    with server(command, f"{base}/api/v1/health", env={"OFAIR_DATA_DIR": str(data_dir)}), \
            httpx.Client(base_url=base, timeout=60) as client:
        for d in draws[:20]:
            time_api(client, d)
        for i, d in enumerate(draws):
            d.api_ms = time_api(client, d)
            if (i + 1) % 100 == 0:
                print(f"  api: {i + 1}/{len(draws)} draws", flush=True)
        cold = [d for d in draws if d.facets["text"] != "none"][: args.restarts]
        for i, d in enumerate(cold):
            took = restart_cold(data_dir)
            probe = Draw(d.number, d.filters, 0, d.facets, d.description)  # page 1
            if i % 2 == 0:
                ms, way = time_api(client, probe), "API"
                error = probe.api_error
            else:
                ms, way = time_service(probe), "service"
                error = probe.service_error
            restarts.append((way, probe, took, ms, error))
            print(f"  restart {i + 1}/{len(cold)}: {way} {ms:.0f} ms", flush=True)

    report(draws, restarts, args)
    if not args.no_writes:  # last: its rolled-back rows would be in the draws' way
        write_cost()
    return 0


def _timeout_ms() -> int:
    from ofair_app.settings import get_settings

    return get_settings().board_statement_timeout_ms


def _stats(values: list[float]) -> str:
    if not values:
        return f"{0:>5} {'':>8} {'':>8} {'':>8}"
    return (f"{len(values):>5} {percentile(values, 50):>8.1f} {percentile(values, 99):>8.1f} "
            f"{max(values):>8.1f}")


def report(draws: list[Draw], restarts, args) -> None:
    timed = [d for d in draws if d.service_ms is not None]
    errors = [d for d in draws if d.service_error or d.api_error]
    print("\nPer dimension, ms per page (service: board.search() in unit_of_work; API: GET "
          "/api/v1/leads/public, uvicorn, one worker, sequential). Warm database.")
    header = (f"{'dimension':11} {'value':22} {'n':>5} {'p50':>8} {'p99':>8} {'max':>8}   "
              f"{'n':>5} {'p50':>8} {'p99':>8} {'max':>8}")
    print(f"{'':34} {'--- service ---':^31}   {'--- API ---':^31}")
    print(header)
    print("-" * len(header))
    for dimension in DIMENSIONS:
        groups: dict[str, list[Draw]] = defaultdict(list)
        for d in draws:
            groups[d.facets[dimension]].append(d)
        for value in sorted(groups):
            members = groups[value]
            service = [d.service_ms for d in members if d.service_ms is not None]
            api = [d.api_ms for d in members if d.api_ms is not None]
            print(f"{dimension:11} {value:22.22} {_stats(service)}   {_stats(api)}")
    service = [d.service_ms for d in timed]
    api = [d.api_ms for d in draws if d.api_ms is not None]
    print("-" * len(header))
    print(f"{'all':11} {'':22} {_stats(service)}   {_stats(api)}")
    print(f"targets at 1M leads: p99 < 100 ms, max < 500 ms. service p99 "
          f"{percentile(service, 99):.1f} / max {max(service):.1f}; API p99 "
          f"{percentile(api, 99):.1f} / max {max(api):.1f}")
    print(f"draws that answered 'narrow your search' (statement timeout) or failed: {len(errors)}")
    for d in errors[:20]:
        print(f"  #{d.number} {d.description}: service {d.service_error or 'ok'}, "
              f"API {d.api_error or 'ok'}")

    slowest = sorted(timed, key=lambda d: max(d.service_ms or 0, d.api_ms or 0),
                     reverse=True)[:10]
    print("\nThe ten slowest draws (the larger of service and API), with their plans:")
    for d in slowest:
        print(f"\n#{d.number} service {d.service_ms:.1f} ms, API {d.api_ms or 0:.1f} ms, "
              f"{d.cards} cards: {d.description}")
        if not args.no_plans:
            for plan in plans_of(d):
                print(plan)

    if restarts:
        print("\nThe first query after a restart (PostgreSQL stopped, its files evicted from the "
              "page cache, started), page 1 of a text draw: ms")
        for way, d, took, ms, error in restarts:
            print(f"  {way:8} {ms:>8.0f} ms  (restart {took:.1f} s) {error or ''} "
                  f"#{d.number} {d.description}")
        worst = max(ms for _, _, _, ms, _ in restarts)
        print(f"  target < 2000 ms; worst {worst:.0f} ms")
