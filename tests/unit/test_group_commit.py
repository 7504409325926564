"""`GroupCommit`: items submitted together from many threads run in shared batches, each
thread gets its own item's result, and a failing item fails only its own thread."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ofair_app.db.group_commit import GroupCommit


def test_a_thread_alone_runs_a_batch_of_one() -> None:
    seen: list[list[int]] = []
    group = GroupCommit(lambda items: seen.append(list(items)) or [i * 2 for i in items])
    assert [group.submit(i) for i in range(3)] == [0, 2, 4]
    assert seen == [[0], [1], [2]]


def test_concurrent_items_share_batches_and_each_gets_its_own_result() -> None:
    sizes: list[int] = []

    def run_many(items: list[int]) -> list[int]:
        sizes.append(len(items))
        time.sleep(0.02)  # a transaction's worth of time, while others arrive
        return [item * 10 for item in items]

    group = GroupCommit(run_many, max_batch=16)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(group.submit, range(200)))
    assert results == [item * 10 for item in range(200)]
    assert sum(sizes) == 200 and group.batches == len(sizes)
    assert max(sizes) > 1 and len(sizes) < 100  # items did go together
    assert max(sizes) <= 16


def test_a_failing_item_fails_only_its_own_thread() -> None:
    calls: list[list[int]] = []

    def run_many(items: list[int]) -> list[int]:
        calls.append(list(items))
        time.sleep(0.01)
        if 13 in items:
            raise ValueError("unlucky")
        return [item + 1 for item in items]

    group = GroupCommit(run_many)
    outcomes: dict[int, object] = {}
    barrier = threading.Barrier(6)

    def submit(item: int) -> None:
        barrier.wait()
        try:
            outcomes[item] = group.submit(item)
        except ValueError as error:
            outcomes[item] = error

    threads = [threading.Thread(target=submit, args=(item,)) for item in (1, 2, 13, 4, 5, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert isinstance(outcomes.pop(13), ValueError)
    assert outcomes == {1: 2, 2: 3, 4: 5, 5: 6, 6: 7}
    assert [13] in calls  # the failing batch was run again one item at a time


def test_a_wrong_number_of_results_is_an_error_not_a_mixup() -> None:
    group = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError):
        group.submit(1)


def test_two_batches_may_run_at_once_and_every_item_still_gets_its_result() -> None:
    under_way = 0
    most = 0
    lock = threading.Lock()

    def run_many(items: list[int]) -> list[int]:
        nonlocal under_way, most
        with lock:
            under_way += 1
            most = max(most, under_way)
        time.sleep(0.005)
        with lock:
            under_way -= 1
        return [-item for item in items]

    group = GroupCommit(run_many, max_batch=4, at_once=2)
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(group.submit, range(500)))
    assert results == [-item for item in range(500)]
    assert most == 2


def test_the_leader_gathers_only_when_others_are_about(monkeypatch) -> None:
    """`gather_seconds`: a thread alone never waits; after a batch of several, the thread
    running batches waits that long before taking the next, and every item still gets its own
    result."""
    from ofair_app.db import group_commit

    waits: list[float] = []
    real_sleep = time.sleep
    monkeypatch.setattr(group_commit.time, "sleep", lambda s: waits.append(s) or real_sleep(s))

    def run_many(items: list[int]) -> list[int]:
        real_sleep(0.01)
        return [item + 1 for item in items]

    group = GroupCommit(run_many, gather_seconds=0.0005)
    assert [group.submit(i) for i in range(3)] == [1, 2, 3]
    assert waits == []  # batches of one: nobody waited
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(group.submit, range(100))) == [i + 1 for i in range(100)]
    assert waits and set(waits) == {0.0005}
