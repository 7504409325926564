"""Who and what a log line is about: the request (or job run) it happened in, its caller, and
the money and inventory actions taken in it.

One `Work` per request or job run, held in a context variable. It is a mutable object so that
what a dependency learns in a worker thread (the caller, resolved from the token) is seen by
the middleware's access line and by every later line of the same request: the thread gets a
copy of the context, and the copy holds the same object.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

# A request id a client or proxy may give us: short and plain (it is logged and echoed back).
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass
class Work:
    request_id: str
    user_id: str | None = None
    role: str | None = None
    # ids of money and inventory actions taken so far (kind -> ids), e.g. {"payment": [...]}
    actions: dict[str, list[str]] = field(default_factory=dict)


_current: ContextVar[Work | None] = ContextVar("ofair_work", default=None)


def request_id_from(header: str | None) -> str:
    """The id a request is known by: the one it came with (`X-Request-ID`) when it is a plain
    token of at most 128 characters, else a new one."""
    if header and _GIVEN_ID.match(header):
        return header
    return uuid.uuid4().hex


def current() -> Work | None:
    return _current.get()


@contextmanager
def working(request_id: str) -> Iterator[Work]:
    """Everything logged inside the block carries `request_id` (a request, or a job run)."""
    work = Work(request_id=request_id)
    token = _current.set(work)
    try:
        yield work
    finally:
        _current.reset(token)


def set_caller(user_id: object, role: str | None) -> None:
    """The caller of the current request, once its token is resolved."""
    work = _current.get()
    if work is not None:
        work.user_id = str(user_id) if user_id is not None else None
        work.role = role


def took(kind: str, action_id: object) -> None:
    """A money or inventory action (`payment`, `ledger_transaction`, `hold`, `withdrawal`,
    `acceptance`, `booking`, ...) happened in the current request or job run."""
    work = _current.get()
    if work is not None:
        work.actions.setdefault(kind, []).append(str(action_id))
