"""A person's notification center: the list, what is read, and how they want to be told.

Everything here is the caller's own: the database shows each person only their notifications
and choices (migration 0022), and these functions never take a user id from outside.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from pydantic import AwareDatetime
from sqlalchemy import ColumnElement, delete, func, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from ofair_app.db.engine import Caller, affected
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import FieldErrors, InvalidInput, NotFound
from ofair_app.domain.notifying import CHANNELS, GROUPS, Channel, EventGroup, QuietHours
from ofair_app.models import Notification, NotificationPreference, QuietHoursRow, User
from ofair_app.models._base import utcnow
from ofair_app.services import users
from ofair_app.services.notifications import read_choices

PAGE_MAX = 50
NOTIFICATIONS_CURSOR = CursorCodec("notifications", tuple[AwareDatetime, uuid.UUID])


def _shown(now: datetime) -> ColumnElement[bool]:
    return col(Notification.notified_at) <= now


def unread_count(*, session: Session, caller: Caller, now: datetime | None = None) -> int:
    """How many of the caller's notifications wait to be read (the bell's number)."""
    user_id = users.require_user(caller)
    return session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, col(Notification.read_at).is_(None),
        _shown(now or utcnow()))).one()


def list_notifications(*, session: Session, caller: Caller, limit: int = 20,
                       cursor: str | None = None, unread_only: bool = False,
                       now: datetime | None = None) -> tuple[list[Notification], str | None]:
    """The caller's notifications, newest first, keyset-paginated."""
    user_id = users.require_user(caller)
    query = select(Notification).where(Notification.user_id == user_id,
                                       _shown(now or utcnow()))
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    if cursor:
        moment, nid = NOTIFICATIONS_CURSOR.decode(cursor)
        query = query.where(tuple_(col(Notification.notified_at), col(Notification.id))
                            < (moment, nid))
    limit = max(1, min(limit, PAGE_MAX))
    rows = list(session.exec(query.order_by(col(Notification.notified_at).desc(),
                                            col(Notification.id).desc()).limit(limit + 1)).all())
    page = rows[:limit]
    next_cursor = (NOTIFICATIONS_CURSOR.encode((page[-1].notified_at, page[-1].id))
                   if len(rows) > limit else None)
    return page, next_cursor


def mark_read(*, session: Session, caller: Caller, notification_id: uuid.UUID) -> Notification:
    """One notification read (again: nothing changes). Someone else's is not found."""
    user_id = users.require_user(caller)
    row = session.exec(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id)).first()
    if row is None:
        raise NotFound("errors.notification.not_found")
    if row.read_at is None:
        row.read_at = utcnow()
        session.add(row)
        session.flush()
    return row


def mark_all_read(*, session: Session, caller: Caller, now: datetime | None = None) -> int:
    """Every shown notification of the caller read; how many were unread."""
    user_id = users.require_user(caller)
    now = now or utcnow()
    result = session.execute(update(Notification).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None),
        _shown(now)).values(read_at=now))
    return affected(result)


# --- preferences -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    """Every group × channel as it applies now (a choice, or the default) and quiet hours."""

    channels: dict[EventGroup, dict[Channel, bool]]
    quiet: QuietHours


def preferences(*, session: Session, caller: Caller) -> Preferences:
    user_id = users.require_user(caller)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("errors.not_found")
    choices = read_choices(session, [user_id])
    return Preferences(
        channels={group: {channel: choices.enabled(user, group, channel) for channel in CHANNELS}
                  for group in GROUPS},
        quiet=choices.quiet_hours(user_id))


def _time(value: object, field: str, errors: FieldErrors) -> time | None:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str):
        try:
            hours, minutes = value.split(":")
            if len(hours) == 2 and len(minutes) == 2:
                return time(int(hours), int(minutes))
        except ValueError:
            pass
    errors.add(field, "errors.notification.time")
    return None


def update_preferences(*, session: Session, caller: Caller,
                       channels: dict[str, dict[str, object]] | None = None,
                       quiet: dict[str, object] | None = None) -> Preferences:
    """Change some choices: `channels` maps a group to {channel: on?}; `quiet` may set
    `enabled`, `start`, `end` ("HH:MM", Israel time) and `shabbat`. Anything unknown or
    malformed is refused whole (422, per field) and nothing is written."""
    user_id = users.require_user(caller)
    errors = FieldErrors()
    wanted: list[tuple[str, str, bool]] = []
    for group, row in (channels or {}).items():
        if group not in GROUPS:
            errors.add(f"channels.{group}", "errors.notification.group")
            continue
        if not isinstance(row, dict):
            errors.add(f"channels.{group}", "errors.notification.choices")
            continue
        for channel, on in row.items():
            if channel not in CHANNELS:
                errors.add(f"channels.{group}.{channel}", "errors.notification.channel")
            elif not isinstance(on, bool):
                errors.add(f"channels.{group}.{channel}", "errors.field.type")
            else:
                wanted.append((group, channel, on))
    quiet_values: dict[str, object] = {}
    for name, value in (quiet or {}).items():
        if name in ("enabled", "shabbat"):
            if isinstance(value, bool):
                quiet_values[name] = value
            else:
                errors.add(f"quiet.{name}", "errors.field.type")
        elif name in ("start", "end"):
            moment = _time(value, f"quiet.{name}", errors)
            if moment is not None:
                quiet_values["starts" if name == "start" else "ends"] = moment
        else:
            errors.add(f"quiet.{name}", "errors.notification.quiet_field")
    errors.raise_if_any()
    if not wanted and not quiet_values and not channels and not quiet:
        raise InvalidInput(fields={"channels": "errors.field.required"})
    now = utcnow()
    if wanted:
        statement = insert(NotificationPreference).values([
            {"user_id": user_id, "event_group": g, "channel": c, "enabled": on,
             "updated_at": now} for g, c, on in wanted])
        session.execute(statement.on_conflict_do_update(
            index_elements=["user_id", "event_group", "channel"],
            set_={"enabled": statement.excluded.enabled, "updated_at": now}))
    if quiet_values:
        statement = insert(QuietHoursRow).values(user_id=user_id, updated_at=now,
                                                 **quiet_values)
        session.execute(statement.on_conflict_do_update(
            index_elements=["user_id"], set_={**quiet_values, "updated_at": now}))
    session.flush()
    return preferences(session=session, caller=caller)


def purge(*, session: Session, now: datetime, keep: timedelta) -> int:
    """Forget notifications shown more than `keep` ago (the system, from the job)."""
    result = session.execute(delete(Notification).where(
        col(Notification.notified_at) < now - keep))
    return affected(result)
