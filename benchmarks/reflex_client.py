"""A tab of the Reflex app without a browser: the app's own socket.io protocol, from Python.

What the compiled frontend does (`reflex_base/.templates/web/utils/state.js`), reduced to what a
benchmark or a test needs: connect to the `/_event` namespace with the tab's token in the query
string and the `hydrate_and_load` event in the CONNECT packet's auth (carrying the browser's
cookies as client-storage vars, so the login cookie reaches `SessionState.token`), then emit
`event` messages (`{name: "<state full name>.<handler>", payload, router_data}`) and read the
`event` messages the server answers with (`{delta: {state: {var_rx_state_: value}}, events}`).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio

NAMESPACE = "/_event"
FIELD_MARKER = "_rx_state_"
ROOT_STATE = "reflex___state____state"
_PACKET_SIZE: contextvars.ContextVar[int] = contextvars.ContextVar("packet_size", default=0)


@dataclass
class Update:
    at: float
    delta: dict[str, dict[str, Any]]
    events: list[dict]
    size: int = 0  # bytes of the socket.io packet as it came over the websocket


@dataclass
class Tab:
    """One browser tab: its own client token, its cookies, the page it is on."""

    base_url: str
    path: str
    cookies: dict[str, str] = field(default_factory=dict)  # state var key -> value
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    headers: dict[str, str] = field(default_factory=lambda: {"User-Agent": "ofair-bench"})
    # A page load's first hydrate carries the hashes of the compiled initial state, so the
    # server sends only what differs from it (`initial_state_hashes()`); a reconnect does not.
    hashes: list[str] | None = None

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.updates: asyncio.Queue[Update] = asyncio.Queue()
        self.sio.on("event", self._on_update, namespace=NAMESPACE)
        # The raw engine.io message before socket.io decodes it: its size is what the server
        # sent for an update. engine.io handles each message in a task of its own, so the size
        # travels to `_on_update` in a context variable of that task.
        decode = self.sio._handle_eio_message

        async def measure(data) -> None:
            _PACKET_SIZE.set(len(data.encode() if isinstance(data, str) else data))
            await decode(data)

        self.sio.eio.on("message", measure)

    async def _on_update(self, update: dict) -> None:
        self.updates.put_nowait(Update(time.perf_counter(), update.get("delta") or {},
                                       update.get("events") or [], _PACKET_SIZE.get()))

    def _router_data(self) -> dict[str, Any]:
        return {"pathname": self.path, "asPath": self.path}

    async def connect(self, timeout: float = 30) -> float:
        """Open the socket with the hydrate event, as a page load does; the start time."""
        payload: dict[str, Any] = {"vars": dict(self.cookies)} if self.cookies else {}
        if self.hashes is not None:
            payload["hashes"] = self.hashes
        hydrate = {"name": f"{ROOT_STATE}.hydrate_and_load", "payload": payload,
                   "router_data": self._router_data()}
        started = time.perf_counter()
        await self.sio.connect(f"{self.base_url}?token={self.token}", headers=self.headers,
                               auth={"event": hydrate}, transports=["websocket"],
                               namespaces=[NAMESPACE], socketio_path="/_event",
                               wait_timeout=timeout)
        return started

    async def emit(self, handler: str, payload: dict | None = None) -> float:
        """Send one event (`handler` is "<state full name>.<handler name>"); the send time."""
        started = time.perf_counter()
        await self.sio.emit("event", {"name": handler, "payload": payload or {},
                                      "router_data": self._router_data()}, namespace=NAMESPACE)
        return started

    async def wait_for(self, state: str, var: str, timeout: float = 60,
                       value: Any = ...) -> tuple[float, Any]:
        """The next update that sets `var` of `state` (to `value` if given): (time, value)."""
        key = var + FIELD_MARKER
        deadline = time.perf_counter() + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no update of {state}.{var} within {timeout} s")
            update = await asyncio.wait_for(self.updates.get(), remaining)
            changes = update.delta.get(state, {})
            if key in changes and (value is ... or changes[key] == value):
                return update.at, changes[key]

    async def wait_for_update(self, state: str, var: str,
                              timeout: float = 60) -> Update:
        """The next whole update that sets `var` of `state`."""
        key = var + FIELD_MARKER
        deadline = time.perf_counter() + timeout
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no update of {state}.{var} within {timeout} s")
            update = await asyncio.wait_for(self.updates.get(), remaining)
            if key in update.delta.get(state, {}):
                return update

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def initial_state_hashes() -> list[str]:
    """What the compiled frontend sends as `hashes`: computed from the app's state classes the
    way the backend computes its own copy (a mismatch only makes the server send everything)."""
    from reflex.state import State, _resolve_delta, state_snapshot_hashes

    import ofair_app.ofair_app  # noqa: F401 (registers every page's state)

    snapshot = await _resolve_delta(State(_reflex_internal_init=True).dict(initial=True))
    return state_snapshot_hashes(snapshot)


def cookie_var(state_full_name: str, var: str) -> str:
    """The client-storage key the frontend sends a cookie-backed var under."""
    return f"{state_full_name}.{var}{FIELD_MARKER}"
