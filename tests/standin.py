"""Local stand-ins for the providers' APIs: an ASGI app served on a free port in a thread, for
the duration of a test (Stripe, Cardcom; their fakes live beside the tests that use them)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(app, *, port: int | None = None, name: str = "standin") -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port unless given) until the block ends; yields its
    base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True, name=name)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@contextmanager
def configured(monkeypatch, env: dict[str, str], *caches) -> Iterator[None]:
    """The settings `env` for the block: cached settings, and each of `caches` (an adapter
    chosen from them), are forgotten when it starts and again when it ends."""
    from ofair_app.settings import get_settings

    forget = [get_settings.cache_clear, *(cache.cache_clear for cache in caches)]
    before = {name: os.environ.get(name) for name in env}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for clear in forget:
        clear()
    try:
        yield
    finally:
        # The environment is put back here, not at the test's teardown: anything reading the
        # settings between the two (the rest of the test, the outbox's sender thread) would
        # otherwise cache this block's settings for the tests after it.
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for clear in forget:
            clear()
