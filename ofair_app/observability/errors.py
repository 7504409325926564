"""Errors to Sentry, through its SDK, when `SENTRY_DSN` is set (nothing is sent otherwise).

No personal data goes with an event (no user, no request bodies, no frames' local
variables); the request id and the caller's role go as tags, so an event is found from a log
line and a log line from an event.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ofair_app.observability import context
from ofair_app.settings import get_settings

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

logger = logging.getLogger(__name__)

_enabled = False


def init() -> bool:
    """Start the SDK once per process when a DSN is set; True when errors are reported."""
    global _enabled
    settings = get_settings()
    if _enabled or settings.sentry_dsn is None:
        return _enabled
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(), environment=settings.sentry_environment,
        traces_sample_rate=settings.sentry_traces_sample_rate,
        # nothing that names a person: no user, no bodies, no local variables of frames
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False},
        before_send=_tagged)
    _enabled = True
    return True


def _tagged(event: Event, hint: Hint) -> Event:
    work = context.current()
    if work is not None:
        tags = event.setdefault("tags", {})
        tags["request_id"] = work.request_id
        if work.role:
            tags["role"] = work.role
    return event


def report(error: BaseException) -> None:
    """An error nobody handled: to Sentry (when on), with the current request's tags."""
    if not _enabled:
        return
    import sentry_sdk

    sentry_sdk.capture_exception(error)
