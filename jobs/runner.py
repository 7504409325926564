"""Run one job once, under a Postgres advisory lock, and record the run in `job_runs`.

The lock is session-level, on its own pooled connection of the application role, and is tried,
not waited for: if another scheduler (another app instance, another `python -m jobs`) is running
the same job, this run is skipped. A crashed process drops its connection and so its lock.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import text

from jobs.registry import REGISTRY
from ofair_app.db.engine import SYSTEM, app_engine, unit_of_work
from ofair_app.models import JobRun, JobRunStatus
from ofair_app.observability import context, errors, metrics

logger = logging.getLogger(__name__)

LOCK_NAMESPACE = "ofair.job."


class UnknownJob(LookupError):
    pass


@dataclass(frozen=True)
class JobOutcome:
    name: str
    status: Literal["succeeded", "failed", "skipped"]
    detail: str = ""
    run_id: int | None = None


def run_job(name: str, *, as_of: datetime | None = None) -> JobOutcome:
    """Run job `name` with `as_of` as its "now"; skipped if another process holds its lock."""
    job = REGISTRY.get(name)
    if job is None:
        raise UnknownJob(name)
    as_of = as_of or datetime.now(UTC)
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")

    with app_engine().connect() as lock_conn:
        key = {"key": LOCK_NAMESPACE + name}
        acquired = lock_conn.execute(
            text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))"), key).scalar_one()
        lock_conn.commit()  # hold the lock, not a transaction
        if not acquired:
            logger.info("job %s is already running elsewhere; skipped", name)
            metrics.JOB_RUNS.labels(name, "skipped").inc()
            return JobOutcome(name=name, status="skipped", detail="already running elsewhere")
        try:
            return _run_locked(job, as_of)
        finally:
            lock_conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))"), key)
            lock_conn.commit()


def _run_locked(job, as_of: datetime) -> JobOutcome:
    """The run, observed: its lines carry `job:<name>:<run>` as their request id; its outcome
    and duration are metrics."""
    started = time.perf_counter()
    with context.working(f"job:{job.name}:{uuid.uuid4().hex[:12]}"):
        outcome = _run_recorded(job, as_of)
    metrics.JOB_RUNS.labels(job.name, outcome.status).inc()
    metrics.JOB_SECONDS.labels(job.name).observe(time.perf_counter() - started)
    return outcome


def _run_recorded(job, as_of: datetime) -> JobOutcome:
    with unit_of_work(SYSTEM) as session:
        run = JobRun(job_name=job.name, as_of=as_of)
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        detail = job(as_of=as_of) or ""
    except Exception as exc:
        logger.exception("job %s failed", job.name)
        errors.report(exc)
        _finish(run_id, JobRunStatus.failed, f"{exc.__class__.__name__}: {exc}")
        return JobOutcome(name=job.name, status="failed", detail=str(exc), run_id=run_id)
    _finish(run_id, JobRunStatus.succeeded, detail)
    logger.info("job %s succeeded: %s", job.name, detail)
    return JobOutcome(name=job.name, status="succeeded", detail=detail, run_id=run_id)


def _finish(run_id: int | None, status: JobRunStatus, detail: str) -> None:
    with unit_of_work(SYSTEM) as session:
        run = session.get_one(JobRun, run_id)  # the row this run inserted
        run.status = status
        run.detail = detail[:2000]
        run.finished_at = datetime.now(UTC)
