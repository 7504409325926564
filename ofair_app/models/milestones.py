"""Projects in milestones, their plans and the performer's progress updates (migration 0026)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Date, DateTime, Numeric, SmallInteger, String
from sqlmodel import Field, SQLModel

from ofair_app.models._base import created_at_column


def _moment(nullable: bool = True) -> datetime:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class MilestonePlan(SQLModel, table=True):
    """An accepted offer split into steps: proposed by one side, agreed by the other."""

    __tablename__ = "milestone_plans"

    proposal_id: uuid.UUID = Field(foreign_key="proposals.id", primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    proposed_side: str = Field(sa_type=String(10))  # domain.milestones.Side
    proposed_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    proposed_at: datetime | None = Field(default=None, sa_column=created_at_column())
    agreed_at: datetime | None = _moment()
    agreed_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class Milestone(SQLModel, table=True):
    """One step of a plan: paid, done, approved and released (or disputed) on its own."""

    __tablename__ = "milestones"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="milestone_plans.proposal_id")
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    position: int = Field(sa_type=SmallInteger)
    title: str = Field(max_length=120)
    amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    due_on: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(default="open", sa_type=String(10))  # domain.milestones.MilestoneStatus
    submitted_at: datetime | None = _moment()
    approved_at: datetime | None = _moment()
    approved_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    cancelled_at: datetime | None = _moment()
    released_at: datetime | None = _moment()


class MilestoneUpdate(SQLModel, table=True):
    """The performer's word on how a step is going, with photos (`MilestonePhoto`)."""

    __tablename__ = "milestone_updates"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    milestone_id: uuid.UUID = Field(foreign_key="milestones.id")
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    author_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    body: str = Field(max_length=1000)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class MilestonePhoto(SQLModel, table=True):
    __tablename__ = "milestone_photos"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    update_id: uuid.UUID = Field(foreign_key="milestone_updates.id")
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    storage_key: str = Field(max_length=200)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=40)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
