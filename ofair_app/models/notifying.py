"""The notification center and what each person chose about being told."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from ofair_app.domain.notifying import DEFAULT_QUIET_END, DEFAULT_QUIET_START
from ofair_app.models._base import created_at_column, updated_at_column


class Notification(SQLModel, table=True):
    """One event a person was told about, in their language, with the page it is about."""

    __tablename__ = "notifications"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id")
    kind: str = Field(max_length=48)  # the message template: `proposal_received`, …
    event_group: str = Field(max_length=16)  # domain.notifying.EventGroup
    title: str = Field(max_length=300)
    link: str = Field(default="", max_length=300)  # a path on this site, or ""
    # When it shows in the list: a new lead reaches subscribers first and others later.
    notified_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class NotificationPreference(SQLModel, table=True):
    """A person's choice for one group of events on one channel (no row: the default)."""

    __tablename__ = "notification_preferences"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True)
    event_group: str = Field(max_length=16, primary_key=True)
    channel: str = Field(max_length=16, primary_key=True)
    enabled: bool
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class QuietHoursRow(SQLModel, table=True):
    """A person's quiet hours (no row: 22:00–07:00, Shabbat not held)."""

    __tablename__ = "notification_quiet_hours"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True)
    enabled: bool = True
    starts: time = DEFAULT_QUIET_START
    ends: time = DEFAULT_QUIET_END
    shabbat: bool = False
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
