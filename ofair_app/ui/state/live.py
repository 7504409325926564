"""Lead pages that follow the other side's moves: one signal per lead, one listener per process.

Every change to a lead (an offer sent or withdrawn, an award, its cancellation, a payment, "done",
a dispute, a referral, a cancelled lead) commits rows that a trigger announces with
`NOTIFY lead_changed, '<lead id>'` (migration 0008_live). Each app process holds ONE listening
connection (`db/lead_signals.lead_listener`, a lifespan task) and passes the lead ids to
`SIGNALS`, an in-memory board of "when did this lead last change". An open lead page runs one
background watcher (`LiveLeadMixin.watch_lead`) that sleeps on that board, holding no database
connection, and
re-reads the page through its own `_load(caller)` (its caller's RLS) when its lead changes.

Several workers: each process listens for itself and wakes the tabs whose watcher it runs (the
process that handled the tab's page load); with Redis, Reflex routes the update to whichever
worker holds the tab's socket. A watcher ends when the page is left (`stop_watching`, from the
page's `on_unmount`), when another lead is opened in the tab, when the tab's socket is gone,
or after `WATCH_FOR_SECONDS`.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, ClassVar

from ofair_app.db.lead_signals import SIGNALS
from ofair_app.ui.state.events import event
from ofair_app.ui.state.session import PageMixin

if TYPE_CHECKING:
    from reflex_base.vars.base import ComputedVar

    from ofair_app.db.engine import Caller

logger = logging.getLogger(__name__)

WATCH_FOR_SECONDS = 2 * 3600  # a tab left open that long stops following
CHECK_SECONDS = 60  # how often an idle watcher checks that its tab is still there


async def _tab_connected(token: str) -> bool:
    from reflex_base.registry import RegistrationContext

    namespace = RegistrationContext.get().app.event_namespace
    if namespace is None or not token:
        return True
    return await namespace._token_manager.is_token_connected(token)


class LiveLeadMixin(PageMixin, mixin=True):
    """For a lead's page: follow the lead while the page is open. The page's state provides
    `lead_id`, `_caller()` and `_load(caller)`; its `open` sets `_live_mark` with
    `SIGNALS.mark()` before reading and returns `watch_lead`; its component calls
    `stop_watching` on unmount."""

    # Which watcher is current: a new one (another lead, the page opened again) or leaving
    # the page changes it, and the old watcher ends at its next wake-up.
    _watch_generation: int = 0
    _watching: str = ""
    _live_mark: int = 0

    if TYPE_CHECKING:
        # What the final state class gets besides the session's: its own `lead_id` computed
        # var and `_load`.
        lead_id: ClassVar[ComputedVar[str]]  # a computed var: not a field of the mixin

        async def _load(self, caller: Caller) -> None: ...

    def _watched_key(self) -> str:
        """What this page follows in `SIGNALS`: its lead (a chat page: its thread)."""
        return self.lead_id

    async def _still_here(self) -> None:
        """Called about once a minute while the page stays open and nothing changed."""

    @event(background=True)
    async def watch_lead(self):
        """Re-read this page whenever its lead changes, until the page is left."""
        async with self:
            lead_id = self._watched_key()
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
                        await self._still_here()
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

    async def _reload_changed_lead(self, caller: Caller) -> None:
        """Read the page again after the other side's move (a page may first clear what
        only described its own last action)."""
        await self._load(caller)

    @event
    def stop_watching(self):
        """The page was left: its watcher ends."""
        self._watch_generation += 1
        self._watching = ""
