"""Scheduled jobs (DESIGN.md §6): a registry, a runner that holds an advisory lock, a scheduler.

A job is a plain function `fn(*, as_of: datetime) -> str` that finds its work, processes it in
batches (each batch its own unit of work, through the same services the app calls) and returns a
one-line summary. `as_of` is its notion of "now", so operators can backfill and tests can travel
in time: `python -m jobs run JOB --as-of 2026-11-23T09:00:00+02:00`.
"""

from jobs import definitions
from jobs.registry import REGISTRY, Job, job
from jobs.runner import JobOutcome, run_job

__all__ = ["REGISTRY", "Job", "JobOutcome", "definitions", "job", "run_job"]
