"""APScheduler wiring: every registered job on its cron schedule, in the platform's timezone."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from jobs.registry import REGISTRY
from jobs.runner import run_job
from ofair_app.settings import get_settings

logger = logging.getLogger(__name__)


def _run_now(name: str) -> None:
    run_job(name, as_of=datetime.now(ZoneInfo(get_settings().ofair_timezone)))


def configure(scheduler: BaseScheduler) -> BaseScheduler:
    timezone = ZoneInfo(get_settings().ofair_timezone)
    for name, job in sorted(REGISTRY.items()):
        scheduler.add_job(
            _run_now, CronTrigger(timezone=timezone, **job.cron), args=[name], id=name,
            name=name, coalesce=True, max_instances=1, misfire_grace_time=300,
            replace_existing=True)
    return scheduler


def blocking_scheduler() -> BlockingScheduler:
    return configure(BlockingScheduler(timezone=ZoneInfo(get_settings().ofair_timezone)))


def background_scheduler() -> BackgroundScheduler:
    return configure(BackgroundScheduler(timezone=ZoneInfo(get_settings().ofair_timezone)))


@contextlib.asynccontextmanager
async def scheduler_lifespan() -> AsyncIterator[None]:
    """Run the scheduler for as long as the app lives (registered with register_lifespan_task)."""
    scheduler = background_scheduler()
    scheduler.start()
    logger.info("scheduler started with %d jobs", len(REGISTRY))
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
