"""The registry of jobs: name → function and schedule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

JobFunction = Callable[..., str]


@dataclass(frozen=True)
class Job:
    name: str
    function: JobFunction
    # APScheduler cron fields, in the platform's timezone (Asia/Jerusalem by default).
    cron: dict[str, str | int] = field(default_factory=dict)
    description: str = ""

    def __call__(self, *, as_of: datetime) -> str:
        return self.function(as_of=as_of)


REGISTRY: dict[str, Job] = {}


def job(name: str, **cron: str | int) -> Callable[[JobFunction], JobFunction]:
    """Register `fn` as job `name`, scheduled by the cron fields given (e.g. `minute="*/5"`)."""

    def register(fn: JobFunction) -> JobFunction:
        if name in REGISTRY:
            raise ValueError(f"job {name!r} is registered twice")
        doc = (fn.__doc__ or "").strip().splitlines()
        REGISTRY[name] = Job(name=name, function=fn, cron=cron, description=doc[0] if doc else "")
        return fn

    return register
