"""`/notifications`: the caller's notification center and how they want to be told."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ofair_app.api.deps import CurrentCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.cursor import CURSOR_MAX_LENGTH
from ofair_app.domain.inputs import PlainText
from ofair_app.domain.notifying import Channel, EventGroup
from ofair_app.models import Notification
from ofair_app.services import notification_center

router = APIRouter(route_class=ExactJsonRoute)

CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="What happened: the message template's name "
                                  "(`proposal_received`, `new_lead`, …).")
    event_group: EventGroup
    title: str = Field(description="One line in the person's language.")
    link: str = Field(description="The page it is about, a path on this site, or empty.")
    notified_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, row: Notification) -> NotificationOut:
        return cls(id=row.id, kind=row.kind, event_group=EventGroup(row.event_group),
                   title=row.title, link=row.link, notified_at=row.notified_at,
                   read_at=row.read_at)


class NotificationPage(Page[NotificationOut]):
    unread: int = Field(description="How many of the caller's notifications are unread.")


class ReadAllOut(BaseModel):
    marked: int


class QuietHoursOut(BaseModel):
    enabled: bool
    start: str = Field(description="HH:MM, Israel time.")
    end: str = Field(description="HH:MM, Israel time.")
    shabbat: bool = Field(description="Hold messages from Friday afternoon to Saturday night.")


class PreferencesOut(BaseModel):
    channels: dict[EventGroup, dict[Channel, bool]] = Field(
        description="Every group of events and channel: whether it is used (the app's own "
                    "list is always on).")
    quiet_hours: QuietHoursOut

    @classmethod
    def of(cls, prefs: notification_center.Preferences) -> PreferencesOut:
        quiet = prefs.quiet
        return cls(channels=prefs.channels, quiet_hours=QuietHoursOut(
            enabled=quiet.enabled, start=quiet.start.strftime("%H:%M"),
            end=quiet.end.strftime("%H:%M"), shabbat=quiet.shabbat))


class QuietHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool | None = None
    start: Annotated[str, Field(pattern=CLOCK)] | None = None
    end: Annotated[str, Field(pattern=CLOCK)] | None = None
    shabbat: StrictBool | None = None


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: dict[EventGroup, dict[Channel, StrictBool]] | None = None
    quiet_hours: QuietHoursIn | None = None


@router.get("/notifications", response_model=NotificationPage,
            name="list", tags=["notifications"], responses=errors(403))
def list_notifications(
    caller: CurrentCaller,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=notification_center.PAGE_MAX)] = 20,
    cursor: Annotated[PlainText | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> NotificationPage:
    """The caller's notifications, newest first, with the unread count."""
    with unit_of_work(caller) as session:
        rows, next_cursor = notification_center.list_notifications(
            session=session, caller=caller, limit=limit, cursor=cursor,
            unread_only=unread_only)
        unread = notification_center.unread_count(session=session, caller=caller)
    return NotificationPage(items=[NotificationOut.of(r) for r in rows],
                            next_cursor=next_cursor, unread=unread)


@router.post("/notifications/read-all", response_model=ReadAllOut,
             name="read_all", tags=["notifications"], responses=errors(403))
def read_all(caller: CurrentCaller) -> ReadAllOut:
    """Mark every notification read; answers how many were unread."""
    with unit_of_work(caller) as session:
        return ReadAllOut(marked=notification_center.mark_all_read(session=session,
                                                                   caller=caller))


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut,
             name="read", tags=["notifications"], responses=errors(403, 404))
def read_one(notification_id: uuid.UUID, caller: CurrentCaller) -> NotificationOut:
    """Mark one notification read (again: no change). Another person's is 404."""
    with unit_of_work(caller) as session:
        return NotificationOut.of(notification_center.mark_read(
            session=session, caller=caller, notification_id=notification_id))


@router.get("/notifications/preferences", response_model=PreferencesOut,
            name="get_preferences", tags=["notifications"], responses=errors(403))
def get_preferences(caller: CurrentCaller) -> PreferencesOut:
    """Which channels carry each group of events, and the quiet hours."""
    with unit_of_work(caller) as session:
        return PreferencesOut.of(notification_center.preferences(session=session,
                                                                 caller=caller))


@router.put("/notifications/preferences", response_model=PreferencesOut,
            name="update_preferences", tags=["notifications"], responses=errors(403))
def put_preferences(body: PreferencesIn, caller: CurrentCaller) -> PreferencesOut:
    """Change some choices (groups and channels left out keep theirs) and the quiet hours."""
    channels: dict[str, dict[str, object]] | None = None
    if body.channels:
        channels = {group.value: {channel.value: on for channel, on in row.items()}
                    for group, row in body.channels.items()}
    quiet = body.quiet_hours.model_dump(exclude_none=True) if body.quiet_hours else None
    with unit_of_work(caller) as session:
        return PreferencesOut.of(notification_center.update_preferences(
            session=session, caller=caller, channels=channels, quiet=quiet))
