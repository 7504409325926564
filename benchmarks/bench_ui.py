"""Event round trips of the Reflex app under concurrent tabs, over its own websocket protocol.

    python -m benchmarks.generate_leads --leads 100000 --businesses 5000 \\
        --data-dir /tmp/ofair-bench-ui --reset
    python -m benchmarks.bench_ui [--data-dir /tmp/ofair-bench-ui] [--clients 1,10,50,100]

Starts the production backend (`reflex run --env prod --backend-only`, scheduler off) on the
benchmark database made by `generate_leads`, signs in one business owner per client (a token
from `auth.issue_token`, sent as the `ofair_token` cookie the way the browser sends it), and
drives tabs with a socket.io client (`benchmarks/reflex_client.py`), not browsers: the backend
does all the work a browser's events cause, and the frontend's static files play no part in an
event's round trip.

Two tables:

1. N concurrent tabs (N = 1, 10, 50, 100), each opening the Lead Board (`/pro`: the socket's
   hydrate event runs `BoardState.open`: the guard, the business, the first page) and then
   paging (`BoardState.more`) `--pages` times. Tabs start at random moments within `--ramp`
   seconds and wait a random 0 to 2 x `--think` seconds between pages, like people scrolling.
   Round trip = event sent -> the update carrying its result received. The last column is
   the app's CPU time (user + system, all its processes) per event: other load on the machine
   inflates latency far more than it inflates that.
2. One tab's trivial event (the language toggle, no database) alone, and while another tab runs
   a slow one: (a) the most expensive Lead Board query on this data, a one-letter text search
   over a 200 km radius, and (b) the same board query while the database holds it for
   `--lock-ms` behind a table lock (what a slow or busy database looks like to the app).
   A handler that blocks the event loop delays every other tab by its own duration.

3. The size of the websocket answer to the board's "more": one tab pages `--size-pages` times
   (20 by default) and the table shows, for the open and for the first and last "more", the
   bytes of the socket.io packet that carried the answer and how many cards it held
   (`--sizes-only` prints just this table). A "more" answers with its own page only, so the
   20th costs what the first does.

Figures depend on the machine and whatever else runs on it: compare runs made back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import free_port, percentile
from benchmarks.reflex_server import AppNotUp, reflex_prod

ROOT = Path(__file__).resolve().parents[1]
SLOW_TEXT = "ת"  # a one-letter prefix: matches most titles, the costliest board search here


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="/tmp/ofair-bench-ui")
    parser.add_argument("--clients", default="1,10,50,100", help="comma-separated N")
    parser.add_argument("--pages", type=int, default=3, help='"more" clicks per tab')
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds over which tabs open")
    parser.add_argument("--think", type=float, default=0.5,
                        help="mean seconds between a tab's events")
    parser.add_argument("--rounds", type=int, default=20, help="trivial/slow event pairs")
    parser.add_argument("--lock-ms", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--app-log", default=None, help="keep the app's log in this file")
    parser.add_argument("--size-pages", type=int, default=20,
                        help='"more" clicks of the answer-size table')
    parser.add_argument("--sizes-only", action="store_true",
                        help="only the answer-size table (no load or contention rounds)")
    return parser.parse_args(argv)


@dataclass
class LoadStats:
    clients: int
    open_ms: list[float] = field(default_factory=list)
    more_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the app's processes, user + system


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL is set: this benchmark reads the embedded database in --data-dir")
    data_dir = Path(args.data_dir).expanduser().resolve()
    if not (data_dir / "pg").exists():
        sys.exit(f"no database in {data_dir}: run python -m benchmarks.generate_leads "
                 f"--leads 100000 --businesses 5000 --data-dir {data_dir} --reset first")
    os.environ["OFAIR_DATA_DIR"] = str(data_dir)
    os.environ["OFAIR_SCHEDULER"] = "off"
    os.environ.pop("REDIS_URL", None)
    random.seed(args.seed)
    clients = [int(n) for n in args.clients.split(",") if n.strip()]

    from ofair_app.settings import get_settings

    settings = get_settings()
    if not settings.embedded_database or settings.data_dir != data_dir:
        sys.exit(f"settings point at another database (data dir {settings.data_dir})")

    from ofair_app.db import bootstrap

    bootstrap.upgrade()  # a database generated by an older checkout gets the newer tables
    clients = [] if args.sizes_only else clients
    tokens, facts = sign_in_businesses(max(clients, default=0) + 2, args.pages)
    [size_token], _ = sign_in_businesses(1, args.size_pages)
    port = free_port()
    log_path = Path(args.app_log) if args.app_log else Path(
        tempfile.mkstemp(prefix="bench-ui-", suffix=".log")[1])
    print(f"\nUI event benchmark on {data_dir}: {facts}")
    print(f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.2f}; app log {log_path}")
    with app_server(port, log_path) as app_pid:
        loads, contention, sizes = asyncio.run(drive(
            f"http://127.0.0.1:{port}", tokens, size_token, clients, args,
            lambda: group_cpu_seconds(app_pid)))
    if not args.sizes_only:
        print_report(loads, contention, args)
    print_sizes(sizes)
    print(f"\nload average after {os.getloadavg()[0]:.2f} (1 min; {os.cpu_count()} cores)")
    return 0


def sign_in_businesses(count: int, pages: int) -> tuple[list[str], str]:
    """Tokens of `count` active business owners whose boards have at least `pages` + 1 pages,
    so every tab pages as far as asked."""
    from sqlalchemy import text

    from ofair_app.db.engine import SYSTEM, unit_of_work
    from ofair_app.services import auth, board

    tokens: list[str] = []
    with unit_of_work(SYSTEM) as session:
        facts = session.execute(text(
            "SELECT (SELECT count(*) FROM leads) AS leads,"
            " (SELECT count(*) FROM lead_board) AS board,"
            " (SELECT count(*) FROM professionals) AS businesses")).one()
        # Busy places first: the businesses whose boards are fullest.
        candidates = session.execute(text(
            "SELECT m.user_id FROM professionals p"
            " JOIN professional_members m ON m.professional_id = p.id AND m.role = 'owner'"
            " JOIN localities l ON l.id = p.locality_id"
            " WHERE p.status = 'active' ORDER BY l.population DESC, p.business_id")).scalars()
        candidates = list(candidates)
    for user_id in candidates:
        with unit_of_work(SYSTEM) as session:
            token, _ = auth.issue_token(session=session, user_id=user_id,
                                        user_agent="bench_ui")
            caller = auth.resolve_token(session=session, token=token)
        assert caller is not None
        cursor, enough = None, True
        with unit_of_work(caller) as session:
            for _ in range(pages + 1):
                _, _, cursor = board.for_business(
                    session=session, caller=caller, professional_id=caller.professional_ids[0],
                    filters=board.BoardFilters(), limit=20, cursor=cursor)
                if cursor is None:
                    enough = False
                    break
        if enough:
            tokens.append(token)
        if len(tokens) == count:
            break
    if len(tokens) < count:
        sys.exit(f"only {len(tokens)} businesses have {pages + 1} pages on their board")
    return tokens, (f"{facts.leads} leads, {facts.board} on the board, "
                    f"{facts.businesses} businesses")


@contextlib.contextmanager
def app_server(port: int, log_path: Path):
    """The production backend (no frontend build: the benchmark is the browser); its pid."""
    try:
        with reflex_prod(port, log_path, backend_only=True) as process:
            yield process.pid
    except AppNotUp as error:
        sys.exit(str(error))


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of every live process in the app's process group: a cost per
    event that other load on the machine does not inflate the way it inflates latency."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the command: state ppid pgrp ... utime stime
            total += int(fields[11]) + int(fields[12])
    return total / ticks


class Names:
    """Full event names, from the app's own state classes."""

    def __init__(self, hashes: list[str]) -> None:
        from benchmarks.reflex_client import cookie_var
        from ofair_app.ui.pages.pro_home import BoardState
        from ofair_app.ui.state.locale import LocaleState
        from ofair_app.ui.state.session import SessionState

        self.hashes = hashes
        self.board = BoardState.get_full_name()
        self.locale = LocaleState.get_full_name()
        self.token_var = cookie_var(SessionState.get_full_name(), "token")


async def open_board(base_url: str, names: Names, token: str):
    from benchmarks.reflex_client import Tab

    tab = Tab(base_url, "/pro", cookies={names.token_var: token}, hashes=names.hashes)
    started = await tab.connect()
    loaded_at, _ = await tab.wait_for(names.board, "loaded", value=True)
    return tab, (loaded_at - started) * 1000


async def drive(base_url: str, tokens: list[str], size_token: str, clients: list[int],
                args: argparse.Namespace, app_cpu: Callable[[], float],
                ) -> tuple[list[LoadStats], dict[str, list[float]], list[AnswerSize]]:
    from benchmarks.reflex_client import initial_state_hashes

    names = Names(await initial_state_hashes())
    # Warm the process up (imports, pools, first queries) before anything is timed.
    tab, _ = await open_board(base_url, names, tokens[0])
    await tab.close()
    loads = []
    for n in clients:
        cpu_before = app_cpu()
        loads.append(await load_round(base_url, names, tokens[:n], args))
        loads[-1].cpu_seconds = app_cpu() - cpu_before
        s = loads[-1]
        print(f"  N={n}: {len(s.open_ms) + len(s.more_ms)} events, {len(s.errors)} errors, "
              f"p99 {percentile(s.open_ms + s.more_ms, 99):.0f} ms", flush=True)
        await asyncio.sleep(1)
    sizes = await answer_sizes(base_url, names, size_token, args.size_pages)
    if args.sizes_only:
        return loads, {}, sizes
    contention = await contention_round(base_url, names, tokens[-2:], args)
    return loads, contention, sizes


@dataclass
class AnswerSize:
    label: str
    cards: int
    bytes: int


async def answer_sizes(base_url: str, names: Names, token: str,
                       pages: int) -> list[AnswerSize]:
    """One tab opens the board and pages `pages` times; the size of each answer: every update
    the event causes, up to the one that ends the button's wait (`loading` false; a "more"
    also sends `loading` true first). Its cards are the rows of every list in it."""
    from benchmarks.reflex_client import Tab

    def cards(update) -> int:
        return sum(len(value) for value in update.delta.get(names.board, {}).values()
                   if isinstance(value, list))

    tab = Tab(base_url, "/pro", cookies={names.token_var: token}, hashes=names.hashes)
    try:
        await tab.connect()
        opened = await tab.wait_for_update(names.board, "loaded")
        sizes = [AnswerSize("open (hydrate + first page)", cards(opened), opened.size)]
        for page in range(1, pages + 1):
            await tab.emit(f"{names.board}.more")
            answered, rows = 0, 0
            while True:
                update = await asyncio.wait_for(tab.updates.get(), 60)
                answered, rows = answered + update.size, rows + cards(update)
                if update.delta.get(names.board, {}).get("loading_rx_state_") is False:
                    break
            sizes.append(AnswerSize(f"'more' #{page}", rows, answered))
    finally:
        await tab.close()
    return sizes


def print_sizes(sizes: list[AnswerSize]) -> None:
    print("\nWebsocket answer to the Lead Board's events, one tab (bytes of the socket.io packet)")
    header = f"{'answer':32} {'cards':>6} {'bytes':>9}"
    print(header)
    print("-" * len(header))
    shown = [sizes[0], sizes[1], sizes[-1]] if len(sizes) > 2 else sizes
    for size in shown:
        print(f"{size.label:32} {size.cards:>6} {size.bytes:>9,}")
    more = [s.bytes for s in sizes[1:]]
    if more:
        print(f"every 'more' ({len(more)}): min {min(more):,} B, max {max(more):,} B, "
              f"total {sum(more):,} B")


async def load_round(base_url: str, names: Names, tokens: list[str],
                     args: argparse.Namespace) -> LoadStats:
    stats = LoadStats(len(tokens))

    async def one_tab(token: str) -> None:
        await asyncio.sleep(random.uniform(0, args.ramp))
        tab = None
        try:
            tab, open_ms = await open_board(base_url, names, token)
            stats.open_ms.append(open_ms)
            for _ in range(args.pages):
                await asyncio.sleep(random.uniform(0, 2 * args.think))
                sent = await tab.emit(f"{names.board}.more")
                received, _ = await tab.wait_for(names.board, "page_key")
                stats.more_ms.append((received - sent) * 1000)
        except Exception as error:  # counted and shown, not hidden
            stats.errors.append(f"{type(error).__name__}: {error}")
        finally:
            if tab is not None:
                await tab.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_tab(token) for token in tokens))
    stats.seconds = time.perf_counter() - started
    return stats


def hold_board_lock(seconds: float, locked: threading.Event) -> None:
    """Keep the board's table locked for `seconds`, as a long migration or a stuck
    transaction would: queries on it wait in the database."""
    from sqlalchemy import text

    from ofair_app.db.engine import owner_engine

    with owner_engine().connect() as conn:
        conn.execute(text("LOCK TABLE lead_board IN ACCESS EXCLUSIVE MODE"))
        locked.set()
        time.sleep(seconds)
        conn.rollback()


async def contention_round(base_url: str, names: Names, tokens: list[str],
                           args: argparse.Namespace) -> dict[str, list[float]]:
    slow_tab, _ = await open_board(base_url, names, tokens[0])
    quick_tab, _ = await open_board(base_url, names, tokens[1])
    toggle = f"{names.locale}.toggle"
    results: dict[str, list[float]] = {k: [] for k in (
        "alone", "during_search", "search", "during_lock", "lock")}

    async def trivial() -> float:
        sent = await quick_tab.emit(toggle)
        received, _ = await quick_tab.wait_for(names.locale, "locale")
        return (received - sent) * 1000

    async def slow_search() -> float:
        sent = await slow_tab.emit(f"{names.board}.apply",
                                   {"form": {"q": SLOW_TEXT, "budget_min": "", "budget_max": ""}})
        received, _ = await slow_tab.wait_for(names.board, "page_key")
        return (received - sent) * 1000

    try:
        await slow_tab.emit(f"{names.board}.set_radius", {"value": [200]})
        await slow_tab.wait_for(names.board, "radius")
        # Untimed: the first text search of a fresh process is slower than any later one.
        await trivial()
        await slow_search()
        for _ in range(args.rounds):
            results["alone"].append(await trivial())
            await asyncio.sleep(0.05)
        for _ in range(args.rounds):
            search = asyncio.create_task(slow_search())
            await asyncio.sleep(0.003)  # the slow handler has started
            results["during_search"].append(await trivial())
            results["search"].append(await search)
            await asyncio.sleep(0.05)
        for _ in range(max(3, args.rounds // 4)):
            locked = threading.Event()
            holder = asyncio.create_task(asyncio.to_thread(
                hold_board_lock, args.lock_ms / 1000, locked))
            await asyncio.to_thread(locked.wait, 10)
            search = asyncio.create_task(slow_search())
            await asyncio.sleep(0.05)
            results["during_lock"].append(await trivial())
            results["lock"].append(await search)
            await holder
            await asyncio.sleep(0.1)
    finally:
        await slow_tab.close()
        await quick_tab.close()
    return results


def print_report(loads: list[LoadStats], contention: dict[str, list[float]],
                 args: argparse.Namespace) -> None:
    print(f"\nLead Board tabs: open /pro (hydrate + BoardState.open), then {args.pages} x "
          f"'more'; tabs open within {args.ramp:g} s, {args.think:g} s mean think time. "
          "Round trip in ms")
    header = (f"{'N':>4} {'events':>6} {'errors':>6} {'open p50':>9} {'open p99':>9} "
              f"{'more p50':>9} {'more p99':>9} {'all p50':>8} {'all p99':>8} {'secs':>6} "
              f"{'app CPU ms/event':>16}")
    print(header)
    print("-" * len(header))
    for s in loads:
        every = s.open_ms + s.more_ms
        print(f"{s.clients:>4} {len(every):>6} {len(s.errors):>6} "
              f"{percentile(s.open_ms, 50):>9.1f} {percentile(s.open_ms, 99):>9.1f} "
              f"{percentile(s.more_ms, 50):>9.1f} {percentile(s.more_ms, 99):>9.1f} "
              f"{percentile(every, 50):>8.1f} {percentile(every, 99):>8.1f} {s.seconds:>6.1f} "
              f"{1000 * s.cpu_seconds / max(1, len(every)):>16.1f}")
    for s in loads:
        for error in sorted(set(s.errors))[:3]:
            print(f"  N={s.clients} error: {error}")
    target = next((s for s in loads if s.clients == 50), None)
    if target is not None:
        p99 = percentile(target.open_ms + target.more_ms, 99)
        print(f"target p99 < 300 ms at N = 50: {p99:.0f} ms, "
              f"{'met' if p99 < 300 and not target.errors else 'MISSED'}")

    alone = percentile(contention["alone"], 50)
    print(f"\nA trivial event (language toggle) in one tab while another tab runs a slow one "
          f"({args.rounds} rounds; ms)")
    header = f"{'':52} {'p50':>7} {'p99':>7} {'max':>7}"
    print(header)
    print("-" * len(header))
    rows = [
        ("trivial event alone", contention["alone"]),
        (f"slow event: board text search '{SLOW_TEXT}', 200 km", contention["search"]),
        ("trivial event during it", contention["during_search"]),
        (f"slow event: board query behind a {args.lock_ms} ms lock", contention["lock"]),
        ("trivial event during it", contention["during_lock"]),
    ]
    for label, values in rows:
        print(f"{label:52} {percentile(values, 50):>7.1f} {percentile(values, 99):>7.1f} "
              f"{max(values):>7.1f}")
    for label, key in (("text search", "during_search"), ("locked query", "during_lock")):
        delay = percentile(contention[key], 50) - alone
        worst = max(contention[key]) - alone
        print(f"delay of the trivial event by the {label}: p50 {delay:+.1f} ms, "
              f"worst {worst:+.1f} ms (target < 20 ms: {'met' if worst < 20 else 'MISSED'})")


if __name__ == "__main__":
    sys.exit(main())
