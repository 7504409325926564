"""Two backend workers sharing tab state through Redis (README, "Growing past one machine").

The production backend runs with `REDIS_URL` and `OFAIR_WORKERS=2` against a Redis this module
starts on a free port. A tab (a socket.io client speaking the app's own protocol) sets a value
through an event, disconnects, and reconnects with the same tab token until the connection
lands on the other worker; the state that worker sends back still holds the value. Which worker
holds a socket is read from Reflex's own record of it in Redis (one instance id per process).
"""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks.reflex_client import Tab, cookie_var
from benchmarks.reflex_server import AppNotUp, reflex_prod, stop

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = Path("/usr/bin/redis-server")
START_TIMEOUT = 180
RECONNECTS = 40


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A throwaway Redis (Debian's redis-server), nothing saved to disk."""
    if not REDIS_SERVER.exists():
        pytest.skip(f"redis-server not found at {REDIS_SERVER}: apt-get install -y redis-server")
    import redis

    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.1)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="module")
def two_workers(migrated_database, redis_url, tmp_path_factory) -> Iterator[str]:
    """The production backend with Redis and two worker processes."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("workers") / "reflex.log"
    env = {**migrated_database, "REDIS_URL": redis_url, "OFAIR_WORKERS": "2"}
    os.environ.pop("GRANIAN_WORKERS", None)
    try:
        with reflex_prod(port, log_path, env=env, backend_only=True, timeout=START_TIMEOUT):
            yield f"http://127.0.0.1:{port}"
    except AppNotUp as error:
        pytest.fail(str(error))


async def _owner(redis_client, token: str, timeout: float = 10) -> str:
    """The instance id of the worker holding the tab's socket (Reflex's record in Redis)."""
    deadline = time.monotonic() + timeout
    while (raw := await redis_client.get(f"token_manager_socket_record_{token}")) is None:
        assert time.monotonic() < deadline, "no socket record in Redis"
        await asyncio.sleep(0.05)
    return pickle.loads(raw).instance_id  # Reflex's own record, in this test's own Redis


async def _released(redis_client, token: str, timeout: float = 10) -> None:
    """Wait until the worker forgot the closed socket (else a reconnect is a duplicate tab)."""
    deadline = time.monotonic() + timeout
    while await redis_client.exists(f"token_manager_socket_record_{token}"):
        assert time.monotonic() < deadline, "the socket record outlived the disconnect"
        await asyncio.sleep(0.05)


def test_tab_state_survives_a_reconnect_to_the_other_worker(two_workers, redis_url):
    # In its own thread and loop: the other e2e tests' sync Playwright keeps an event loop
    # running in this one for the whole session.
    # The page's state is imported here: Reflex registers state classes in a context variable
    # of the importing thread, which a new thread does not inherit.
    from ofair_app.ui.pages.request_form import RequestState

    state = RequestState.get_full_name()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run,
                    _reconnect_to_the_other_worker(two_workers, redis_url, state)).result()


async def _reconnect_to_the_other_worker(two_workers: str, redis_url: str, state: str) -> None:
    import redis.asyncio as aioredis

    redis_client = aioredis.Redis.from_url(redis_url)
    tab = Tab(two_workers, "/")
    try:
        await tab.connect()
        first = await _owner(redis_client, tab.token)
        await tab.emit(f"{state}.set_category", {"slug": "plumbing"})
        await tab.wait_for(state, "category", value="plumbing", timeout=30)

        seen = {first}
        for _ in range(RECONNECTS):
            await tab.close()
            await _released(redis_client, tab.token)
            tab = Tab(two_workers, "/", token=tab.token)
            await tab.connect()
            owner = await _owner(redis_client, tab.token)
            seen.add(owner)
            if owner != first:
                break
        assert len(seen) == 2, f"every reconnect landed on the same worker ({RECONNECTS} tries)"
        # The other worker's hydrate sends the tab's whole state: the value set on the first.
        _, category = await tab.wait_for(state, "category", timeout=30)
        assert category == "plumbing"
    finally:
        await tab.close()
        await redis_client.aclose()


async def _until(tab: Tab, state: str, var: str, wanted, timeout: float) -> None:
    """The next updates of `var` until one satisfies `wanted(value)`."""
    deadline = time.monotonic() + timeout
    while True:
        left = max(0.1, deadline - time.monotonic())
        _, value = await tab.wait_for(state, var, timeout=left)
        if wanted(value):
            return


class _LeadTab(Tab):
    """A tab on a lead's page: the route's `lead_id` travels in the router data's query, as
    the compiled frontend sends a dynamic route's parameters."""

    lead_id: str = ""

    def _router_data(self) -> dict:
        return {**super()._router_data(), "query": {"lead_id": self.lead_id}}


def test_an_open_lead_page_follows_the_lead_on_either_worker(two_workers, redis_url):
    """Each worker listens for lead changes itself: a change committed elsewhere (here, by this
    test's process) reaches the open page whichever worker holds its socket; once the page is
    left, the next change is not pushed."""
    from ofair_app.ui.pages.my_requests import MyRequestState
    from ofair_app.ui.state.session import SessionState
    from tests.factories import make_lead, make_professional, make_user, token_for

    consumer = make_user(name="רונית לקוחה")
    lead = make_lead(consumer)
    pros = [make_professional(make_user(), business_name=f"עסק {n}")[1] for n in range(3)]
    names = (MyRequestState.get_full_name(), cookie_var(SessionState.get_full_name(), "token"))
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _live_on_both_workers(
            two_workers, redis_url, names, token_for(consumer), lead.id, pros)).result()


async def _live_on_both_workers(two_workers, redis_url, names, token, lead_id, pros) -> None:
    import redis.asyncio as aioredis

    from ofair_app.db.engine import unit_of_work
    from ofair_app.models import ProposalCreate
    from ofair_app.services import proposals
    from tests.factories import caller_for

    def offer(pro) -> None:
        with unit_of_work(caller_for(pro)) as session:
            proposals.create_proposal(
                session=session, caller=caller_for(pro), lead_id=lead_id,
                data=ProposalCreate(price=Decimal("500"),
                                    description="אגיע מחר בבוקר עם כל החלקים הדרושים."))

    state, token_var = names
    redis_client = aioredis.Redis.from_url(redis_url)
    workers_seen: set[str] = set()
    offers = 0
    try:
        for _ in range(RECONNECTS):
            if len(workers_seen) == 2:
                break
            tab = _LeadTab(two_workers, f"/my/requests/{lead_id}", cookies={token_var: token})
            tab.lead_id = str(lead_id)
            try:
                await tab.connect()
                owner = await _owner(redis_client, tab.token)
                # the page has loaded (its on_load read the lead and its offers)
                await _until(tab, state, "lead", lambda lead: lead.get("id"), timeout=30)
                if owner in workers_seen:
                    continue
                workers_seen.add(owner)
                await asyncio.to_thread(offer, pros[offers])
                offers += 1
                await _until(tab, state, "offers", lambda shown: len(shown) == offers,
                             timeout=10)
                if len(workers_seen) == 2:
                    # the page is left: its watcher ends, and the next change is not pushed
                    await tab.emit(f"{state}.stop_watching")
                    await asyncio.sleep(0.5)
                    await asyncio.to_thread(offer, pros[offers])
                    with pytest.raises(TimeoutError):
                        await tab.wait_for(state, "offers", timeout=3)
            finally:
                await tab.close()
                await _released(redis_client, tab.token)
        assert len(workers_seen) == 2, "every tab landed on the same worker"
    finally:
        await redis_client.aclose()
