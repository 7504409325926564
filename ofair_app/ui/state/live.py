"""Lead pages that follow the other side's moves: one signal per lead, one listener per process.

Every change to a lead (an offer sent or withdrawn, an award, its cancellation, a payment, "done",
a dispute, a referral, a cancelled lead) commits rows that a trigger announces with
`NOTIFY lead_changed, '<lead id>'` (migration 0008_live). Each app process holds ONE listening
connection (`lead_listener`, a lifespan task) and passes the lead ids to `SIGNALS`, an in-memory
board of "when did this lead last change". An open lead page runs one background watcher
(`LiveLeadMixin.watch_lead`) that sleeps on that board, holding no database connection, and
re-reads the page through its own `_load(caller)` (its caller's RLS) when its lead changes.

Several workers: each process listens for itself and wakes the tabs whose watcher it runs (the
process that handled the tab's page load); with Redis, Reflex routes the update to whichever
worker holds the tab's socket. A watcher ends when the page is left (`stop_watching`, from the
page's `on_unmount`), when another lead is opened in the tab, when the tab's socket is gone,
or after `WATCH_FOR_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

import psycopg
import reflex as rx

from ofair_app.db.engine import database_urls

logger = logging.getLogger(__name__)

CHANNEL = "lead_changed"
WATCH_FOR_SECONDS = 2 * 3600  # a tab left open that long stops following
CHECK_SECONDS = 60  # how often an idle watcher checks that its tab is still there
RECONNECT_SECONDS = (1, 2, 5, 10, 30)
REMEMBERED_LEADS = 10_000


class LeadSignals:
    """The moment (a process-wide sequence number) each lead last changed, and the watchers
    waiting for a lead to change. Lives on the event loop of the process; not thread-safe."""

    def __init__(self) -> None:
        self.sequence = 0
        self._changed_at: OrderedDict[str, int] = OrderedDict()
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}

    def mark(self) -> int:
        """Now, to compare a later `changed_since` with (taken before reading a page)."""
        return self.sequence

    def announce(self, lead_id: str) -> None:
        """The lead changed: remember when and wake everyone waiting for it."""
        self.sequence += 1
        self._changed_at[lead_id] = self.sequence
        self._changed_at.move_to_end(lead_id)
        while len(self._changed_at) > REMEMBERED_LEADS:
            self._changed_at.popitem(last=False)
        for waiter in self._waiters.pop(lead_id, ()):
            if not waiter.done():
                waiter.set_result(None)

    def announce_all(self) -> None:
        """Every watched lead may have changed (the listener was reconnected: notifications
        sent meanwhile were lost)."""
        for lead_id in list(self._waiters):
            self.announce(lead_id)

    def changed_since(self, lead_id: str, mark: int) -> bool:
        return self._changed_at.get(lead_id, 0) > mark

    async def wait(self, lead_id: str, mark: int, timeout: float) -> bool:
        """Until the lead changes after `mark` (True) or `timeout` seconds pass (False)."""
        if self.changed_since(lead_id, mark):
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(lead_id, set()).add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            waiting = self._waiters.get(lead_id)
            if waiting is not None:
                waiting.discard(waiter)
                if not waiting:
                    del self._waiters[lead_id]
        return self.changed_since(lead_id, mark)

    def watched(self) -> int:
        """How many leads have a watcher waiting (for tests and diagnostics)."""
        return len(self._waiters)


SIGNALS = LeadSignals()


def _conninfo() -> str:
    url = database_urls().app.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def listen(signals: LeadSignals, conninfo: str, ready: asyncio.Event | None = None) -> None:
    """LISTEN on one autocommit connection and announce every lead id that arrives; reconnect
    (announcing every watched lead, since notifications in the gap are lost) when it drops."""
    attempt = 0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                    conninfo, autocommit=True, application_name="ofair-lead-listener") as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                if attempt:
                    signals.announce_all()
                attempt = 0
                if ready is not None:
                    ready.set()
                async for note in conn.notifies():
                    signals.announce(note.payload)
        except asyncio.CancelledError:
            raise
        except Exception:  # a dropped connection must not end live pages for good
            delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
            logger.warning("lead listener lost its connection; again in %ss", delay,
                           exc_info=True)
            attempt += 1
            await asyncio.sleep(delay)


@contextlib.asynccontextmanager
async def lead_listener() -> AsyncIterator[None]:
    """The process's one lead listener, for as long as the app lives (a lifespan task)."""
    task = asyncio.create_task(listen(SIGNALS, _conninfo()), name="ofair-lead-listener")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _tab_connected(token: str) -> bool:
    from reflex_base.registry import RegistrationContext

    namespace = RegistrationContext.get().app.event_namespace
    if namespace is None or not token:
        return True
    return await namespace._token_manager.is_token_connected(token)


class LiveLeadMixin(rx.State, mixin=True):
    """For a lead's page: follow the lead while the page is open. The page's state provides
    `lead_id`, `_caller()` and `_load(caller)`; its `open` sets `_live_mark` with
    `SIGNALS.mark()` before reading and returns `watch_lead`; its component calls
    `stop_watching` on unmount."""

    # Which watcher is current: a new one (another lead, the page opened again) or leaving
    # the page changes it, and the old watcher ends at its next wake-up.
    _watch_generation: int = 0
    _watching: str = ""
    _live_mark: int = 0

    @rx.event(background=True)
    async def watch_lead(self):
        """Re-read this page whenever its lead changes, until the page is left."""
        async with self:
            lead_id = self.lead_id
            if not lead_id or self._watching == lead_id:
                return
            self._watch_generation += 1
            generation, self._watching = self._watch_generation, lead_id
            mark = self._live_mark
            token = self.router.session.client_token
        ends = time.monotonic() + WATCH_FOR_SECONDS
        try:
            while time.monotonic() < ends:
                changed = await SIGNALS.wait(lead_id, mark, CHECK_SECONDS)
                if not changed and not await _tab_connected(token):
                    return
                async with self:
                    if self._watch_generation != generation:
                        return
                    if not changed:
                        continue
                    mark = SIGNALS.mark()
                    caller = await self._caller()
                    if caller is None:
                        return
                    await self._reload_changed_lead(caller)
        finally:
            async with self:
                if self._watch_generation == generation:
                    self._watching = ""

    async def _reload_changed_lead(self, caller) -> None:
        """Read the page again after the other side's move (a page may first clear what
        only described its own last action)."""
        await self._load(caller)

    @rx.event
    def stop_watching(self):
        """The page was left: its watcher ends."""
        self._watch_generation += 1
        self._watching = ""
