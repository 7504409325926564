"""Performance tiers (issue 22, point 2; migration 0030): a business's tier, and the monthly
evaluations behind it."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Column, DateTime, Interval, Numeric, String
from sqlmodel import Field, SQLModel

from ofair_app.domain.tiers import Tier


class TierEvaluation(SQLModel, table=True):
    """One business's month: the figures of its last 90 days and the tier they gave. Written
    once by the `update_tiers` job, never changed: the audit of every tier change."""

    __tablename__ = "tier_evaluations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    month: date
    tier: Tier = Field(sa_type=String(10))
    previous_tier: Tier = Field(sa_type=String(10))
    completed_jobs: int
    rating: Decimal | None = Field(default=None, sa_column=Column(Numeric(3, 2)))
    response_minutes: int | None = None
    disputes_lost: int
    evaluated_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), nullable=False, server_default="now()"))


class ProfessionalTier(SQLModel, table=True):
    """A business's tier now (none: Bronze, never evaluated yet)."""

    __tablename__ = "professional_tiers"

    professional_id: uuid.UUID = Field(foreign_key="professionals.id", primary_key=True)
    tier: Tier = Field(sa_type=String(10))
    since: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    evaluation_id: uuid.UUID = Field(foreign_key="tier_evaluations.id")
    # Its leads' head start on the Lead Board (TIER_BOARD_BOOST_HOURS when the tier was set;
    # the database moves the leads when it changes, migration 0032).
    board_boost: timedelta = Field(default=timedelta(0), sa_column=Column(
        Interval(), nullable=False, server_default="0"))
