"""The platform's log lines: one JSON object a line (`LOG_FORMAT=json`, the default), each with
the request id (or job run id), the caller, and whatever the line was given (`extra=`).

`configure()` installs one handler on the root logger (again: it replaces its own, and leaves
any other, such as a test runner's, alone). `action()` is how a money or inventory action is
logged: a line of its own, with its id under its kind, remembered for the request's access
line.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from ofair_app.observability import context
from ofair_app.settings import get_settings

_OURS = "_ofair_handler"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

logger = logging.getLogger("ofair.actions")


class Stderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a line is written (a handler bound to the
    stream at start would keep writing to one a test runner or a daemon has since closed)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class WorkFilter(logging.Filter):
    """Puts the current request's id and caller on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        work = context.current()
        record.request_id = work.request_id if work else None
        record.user_id = work.user_id if work else None
        record.role = work.role if work else None
        return True


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    return JsonFormatter(
        "{asctime}{levelname}{name}{message}{request_id}{user_id}{role}", style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z", json_ensure_ascii=False)


def configure() -> logging.Handler:
    """One handler on the root logger, to stderr, in the configured format and level."""
    settings = get_settings()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
    handler = Stderr()
    setattr(handler, _OURS, True)
    handler.addFilter(WorkFilter())
    handler.setFormatter(formatter(settings.log_format))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    return handler


def action(kind: str, action_id: object, message: str, /, **detail: object) -> None:
    """A money or inventory action happened: `payment`, `ledger_transaction`, `hold`,
    `withdrawal`, `acceptance`, `booking`... Logged with its id under its kind (and `detail`),
    and listed on the access line of the request it happened in."""
    context.took(kind, action_id)
    logger.info(message, extra={kind: str(action_id), **{k: _plain(v) for k, v in detail.items()}})


def _plain(value: object) -> object:
    if isinstance(value, (list, tuple, set)):
        return [_plain(item) for item in value]
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)
