"""The platform's jobs. Each is thin: select the work, process it in batches, report a summary."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from jobs.registry import job
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import JobRun

JOB_RUN_RETENTION = timedelta(days=90)
BATCH_SIZE = 5000


@job("prune_job_runs", hour=3, minute=40)
def prune_job_runs(*, as_of: datetime) -> str:
    """Delete job run records older than 90 days, in batches."""
    cutoff = as_of - JOB_RUN_RETENTION
    deleted = 0
    while True:
        with unit_of_work(SYSTEM) as session:
            batch = select(JobRun.id).where(JobRun.started_at < cutoff).limit(BATCH_SIZE)
            result = session.execute(delete(JobRun).where(JobRun.id.in_(batch)))
        deleted += result.rowcount
        if result.rowcount < BATCH_SIZE:
            return f"deleted {deleted} job runs started before {cutoff.isoformat()}"
