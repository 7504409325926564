"""Operations: the run log of scheduled jobs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Identity, Index, String
from sqlmodel import Field, SQLModel

from ofair_app.models._base import created_at_column


class JobRunStatus(StrEnum):
    """How one run of a job ended."""

    running = "running"
    succeeded = "succeeded"
    failed = "failed"


# One run of one job: when it ran, for which notion of "now", and what it reported.
class JobRun(SQLModel, table=True):
    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="job_runs_status"),
        Index("job_runs_job_started", "job_name", "started_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    job_name: str = Field(max_length=64)
    as_of: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status: JobRunStatus = Field(default=JobRunStatus.running, sa_type=String(16))
    detail: str = Field(default="")
    started_at: datetime | None = Field(default=None, sa_column=created_at_column())
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
