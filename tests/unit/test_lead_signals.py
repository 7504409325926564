"""The process's board of lead changes (ofair_app/ui/state/live.py): a watcher wakes for its
lead only, a change made before it started waiting is not missed, and waiters are cleaned up."""

from __future__ import annotations

import asyncio

from ofair_app.db.lead_signals import LeadSignals


def test_a_watcher_wakes_for_its_lead_and_not_for_another():
    async def scenario():
        signals = LeadSignals()
        mark = signals.mark()
        waiting = asyncio.create_task(signals.wait("lead-a", mark, 5))
        await asyncio.sleep(0)
        signals.announce("lead-b")
        await asyncio.sleep(0.05)
        assert not waiting.done()
        signals.announce("lead-a")
        return await waiting, signals.watched()

    assert asyncio.run(scenario()) == (True, 0)


def test_a_change_between_reading_the_page_and_waiting_is_not_missed():
    async def scenario():
        signals = LeadSignals()
        mark = signals.mark()  # taken before the page reads the lead
        signals.announce("lead-a")  # committed while the page was reading
        return await signals.wait("lead-a", mark, 0.01), signals.changed_since("lead-a",
                                                                                signals.mark())

    assert asyncio.run(scenario()) == (True, False)


def test_a_quiet_lead_times_out_and_leaves_no_waiter():
    async def scenario():
        signals = LeadSignals()
        woken = await signals.wait("lead-a", signals.mark(), 0.01)
        return woken, signals.watched()

    assert asyncio.run(scenario()) == (False, 0)


def test_a_reconnected_listener_wakes_every_watcher():
    async def scenario():
        signals = LeadSignals()
        mark = signals.mark()
        waiting = [asyncio.create_task(signals.wait(lead, mark, 5)) for lead in ("a", "b")]
        await asyncio.sleep(0)
        signals.announce_all()
        return await asyncio.gather(*waiting)

    assert asyncio.run(scenario()) == [True, True]
