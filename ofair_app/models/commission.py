"""Commission rules (issue 22, point 3; migration 0031)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, DateTime, Identity, Numeric, String
from sqlmodel import Field, SQLModel

from ofair_app.domain.inputs import PlainText
from ofair_app.domain.leads import LeadType
from ofair_app.domain.tiers import Tier
from ofair_app.models._base import InputModel, Percent, created_at_column


class CommissionRule(SQLModel, table=True):
    """A rate for the jobs the rule names, for a period or for good; never edited, only
    retired. The default rule (no conditions, no rate: the configured rates) is never
    retired."""

    __tablename__ = "commission_rules"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(always=True),
                                                           nullable=False, unique=True))
    rate_pct: Decimal | None = Field(default=None, sa_column=Column(Numeric(5, 2)))
    lead_type: LeadType | None = Field(default=None, sa_type=String(24))
    category_slug: str | None = Field(default=None, foreign_key="categories.slug")
    subcategory_slug: str | None = None
    locality_id: int | None = Field(default=None, foreign_key="localities.id")
    tier: Tier | None = Field(default=None, sa_type=String(10))
    subscribed: bool | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    note: str = Field(default="", max_length=300)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    retired_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    retired_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")


class CommissionRuleCreate(InputModel):
    """A rule an admin writes (or previews): a rate, and what it applies to and when."""

    rate_pct: Percent
    lead_type: LeadType | None = None
    category_slug: PlainText | None = Field(default=None, max_length=64)
    subcategory_slug: PlainText | None = Field(default=None, max_length=64)
    locality_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    tier: Tier | None = None
    subscribed: bool | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    note: PlainText = Field(default="", max_length=300)
