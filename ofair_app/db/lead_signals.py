"""Every change to a lead (and to a chat thread), as the database announces it: one listening
connection per process and an in-memory record of when each lead last changed.

A trigger sends `NOTIFY lead_changed, '<lead id>'` when a change to a lead commits (migration
0008_live). `lead_listener` (a lifespan task of the app) LISTENs on one autocommit connection and
passes each lead id to `SIGNALS`; whoever waits for a lead (`ofair_app.ui.state.live`, the live
lead pages) sleeps on `SIGNALS.wait` and holds no database connection meanwhile. A chat thread's
new or read messages arrive the same way, on `thread_changed`, keyed `thread:<id>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator

import psycopg

from ofair_app.db.engine import database_urls

logger = logging.getLogger(__name__)

CHANNEL = "lead_changed"
# A chat thread's messages changed (migration 0023): announced under `thread_key(id)`.
THREAD_CHANNEL = "thread_changed"
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


def thread_key(thread_id: str) -> str:
    """The key a thread's changes are announced under (apart from lead ids)."""
    return f"thread:{thread_id}"


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
                await conn.execute(f"LISTEN {THREAD_CHANNEL}")
                if attempt:
                    signals.announce_all()
                attempt = 0
                if ready is not None:
                    ready.set()
                async for note in conn.notifies():
                    signals.announce(thread_key(note.payload) if note.channel == THREAD_CHANNEL
                                     else note.payload)
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
