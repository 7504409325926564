"""Site visits, their slots and hours, and the one-time check-in on site (migration 0025)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import Column, Date, DateTime, SmallInteger, String, Time
from sqlmodel import Field, SQLModel

from ofair_app.models._base import created_at_column, updated_at_column


def _moment(nullable: bool = False) -> datetime:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


class VisitSettings(SQLModel, table=True):
    """How long a business's visit takes and how many it makes at once."""

    __tablename__ = "visit_settings"

    professional_id: uuid.UUID = Field(foreign_key="professionals.id", primary_key=True)
    visit_minutes: int = Field(default=60, sa_type=SmallInteger)
    capacity: int = Field(default=1, sa_type=SmallInteger)
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class VisitHours(SQLModel, table=True):
    """A stretch of visiting time: every `weekday` (0 is Monday), or on one `day`."""

    __tablename__ = "visit_hours"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    weekday: int | None = Field(default=None, sa_type=SmallInteger)
    day: date | None = Field(default=None, sa_column=Column(Date))
    starts: time = Field(sa_column=Column(Time, nullable=False))
    ends: time = Field(sa_column=Column(Time, nullable=False))


class VisitException(SQLModel, table=True):
    """A date with its own hours (its `VisitHours` rows), or none: closed."""

    __tablename__ = "visit_exceptions"

    professional_id: uuid.UUID = Field(foreign_key="professionals.id", primary_key=True)
    day: date = Field(sa_column=Column(Date, primary_key=True))
    note: str = Field(default="", max_length=200)


class VisitSlot(SQLModel, table=True):
    """The inventory of one start: `booked` of `capacity` places taken (locked to book)."""

    __tablename__ = "visit_slots"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    starts_at: datetime = _moment()
    ends_at: datetime = _moment()
    capacity: int = Field(sa_type=SmallInteger)
    booked: int = Field(default=0, sa_type=SmallInteger)


class SiteVisit(SQLModel, table=True):
    """A business's visit to a lead's client, booked in one of its slots."""

    __tablename__ = "site_visits"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    slot_id: uuid.UUID = Field(foreign_key="visit_slots.id")
    starts_at: datetime = _moment()
    ends_at: datetime = _moment()
    status: str = Field(default="booked", sa_type=String(10))  # domain.visits.VisitStatus
    booked_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    cancelled_at: datetime | None = _moment(nullable=True)
    cancelled_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    reminded_at: datetime | None = _moment(nullable=True)


class CheckInPass(SQLModel, table=True):
    """What the client shows on site, for a visit or the job: the QR code's and the short
    code's subject (read only by the client and admins)."""

    __tablename__ = "check_in_passes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    visit_id: uuid.UUID | None = Field(default=None, foreign_key="site_visits.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    code: str = Field(max_length=8)
    expires_at: datetime = _moment()
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class CheckIn(SQLModel, table=True):
    """A pass consumed: the business was on site (one per pass, ever)."""

    __tablename__ = "check_ins"

    pass_id: uuid.UUID = Field(foreign_key="check_in_passes.id", primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    visit_id: uuid.UUID | None = Field(default=None, foreign_key="site_visits.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    checked_in_at: datetime | None = _moment()  # NOT NULL: the database stamps it
    place: str = Field(default="", max_length=200)
    lat: float | None = None
    lon: float | None = None
