"""Group commit: work that arrives together, from many threads, shares one transaction.

Applied alone, each provider webhook paid for a whole transaction: a commit that waits for the
disk, and (a change to a lead sends `NOTIFY lead_changed`) PostgreSQL's one-at-a-time NOTIFY lock
held across that wait, so concurrent webhooks queued behind each other's disk flushes.
`GroupCommit.submit` hands an item to whoever is running a batch: the first thread that finds
none under way runs everything waiting, its own item included, through `run_many` (one
transaction, set-based where the caller is), gives each thread its own result, and passes the
turn to a thread still waiting. A thread alone runs a batch of one, as before.

A batch that raises is run again one item per call, so an error reaches only the thread whose
item caused it and every other item still gets its result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(eq=False)
class _Slot(Generic[Item, Result]):
    item: Item
    leading: bool = False  # this thread runs batches (it found a free turn, or was given one)
    finished: bool = False
    result: Result | None = None
    error: BaseException | None = None

    def outcome(self) -> Result:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit(Generic[Item, Result]):
    """`submit(item)` from any thread: `run_many([item, ...])[i]` for its item, computed in a
    batch with whatever other items were waiting (at most `max_batch` per call, and at most
    `at_once` batches under way at the same time).

    `gather_seconds`: when the last batch held more than one item (others are about), the
    thread running batches waits this long before taking the next, so the threads the last
    batch just answered can add their next items to it (PostgreSQL's `commit_delay`, for the
    same reason). A request alone never waits."""

    def __init__(self, run_many: Callable[[list[Item]], list[Result]], *,
                 max_batch: int = 64, at_once: int = 1, gather_seconds: float = 0.0,
                 name: str = "batch") -> None:
        self._run_many = run_many
        self.max_batch = max_batch
        self.at_once = at_once
        self.gather_seconds = gather_seconds
        self._last_size = 0  # items in the batch run last
        self.name = name
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._waiting: list[_Slot[Item, Result]] = []
        self._running = 0  # threads running batches
        self.batches = 0  # how many batches ran (for tests and benchmarks)

    def submit(self, item: Item) -> Result:
        slot: _Slot[Item, Result] = _Slot(item)
        with self._lock:
            self._waiting.append(slot)
            if self._running < self.at_once:
                self._running += 1
                slot.leading = True
            else:
                self._changed.wait_for(lambda: slot.finished or slot.leading)
        if not slot.finished:
            self._lead(slot)
            with self._lock:  # its item may be in a batch another thread is running
                self._changed.wait_for(lambda: slot.finished)
        return slot.outcome()

    def _lead(self, own: _Slot[Item, Result]) -> None:
        """Run batches until `own` is taken or nothing waits, then hand the turn on."""
        while True:
            if self.gather_seconds and self._last_size > 1:
                time.sleep(self.gather_seconds)
            with self._lock:
                batch = self._waiting[:self.max_batch]
                del self._waiting[:self.max_batch]
            if batch:
                self._run(batch)
            with self._lock:
                if self._waiting and own in self._waiting:
                    continue
                following = next((slot for slot in self._waiting if not slot.leading), None)
                if following is None:
                    self._running -= 1
                else:
                    following.leading = True
                    self._changed.notify_all()
                return

    def _run(self, batch: list[_Slot[Item, Result]]) -> None:
        with self._lock:
            self.batches += 1
            self._last_size = len(batch)
        try:
            try:
                results = self._run_many([slot.item for slot in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"{self.name}: {len(results)} results for "
                                       f"{len(batch)} items")
            except Exception as error:
                if len(batch) == 1:
                    batch[0].error = error
                    return
                logger.warning("%s of %s failed (%s: %s); running each alone", self.name,
                               len(batch), type(error).__name__, error)
                for slot in batch:
                    try:
                        slot.result = self._run_many([slot.item])[0]
                    except Exception as alone:
                        slot.error = alone
                return
            for slot, result in zip(batch, results, strict=True):
                slot.result = result
        except BaseException as error:  # an interrupt: nobody may wait for ever
            for slot in batch:
                if slot.result is None and slot.error is None:
                    slot.error = error
            raise
        finally:
            with self._lock:
                for slot in batch:
                    slot.finished = True
                self._changed.notify_all()
