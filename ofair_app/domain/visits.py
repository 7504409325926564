"""Site visits (issue 20 point 2): a business's visit hours and the slots they make, pure.

A business says when it visits clients: weekly hours per day of the week, exceptions on given
dates (closed, or other hours), how long a visit takes and how many it makes at once. All of it
is Israel's wall-clock time (Asia/Jerusalem), so a slot at 09:00 stays at 09:00 across the
change to and from summer time. The slots of a day are its hours cut into visits of that
length; a slot keeps `capacity` places.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from ofair_app.domain.errors import Conflict, FieldErrors, InvalidInput

ISRAEL = ZoneInfo("Asia/Jerusalem")
MINUTES_RANGE = (15, 240)
CAPACITY_RANGE = (1, 10)
MAX_RANGES_A_DAY = 4
MAX_EXCEPTIONS = 60
BOOK_AHEAD_DAYS = 60  # how far ahead a visit can be booked
NOTE_MAX = 200
# Sunday first, as an Israeli week is written; the numbers are Python's (Monday is 0).
WEEK = (6, 0, 1, 2, 3, 4, 5)


class VisitStatus(StrEnum):
    booked = "booked"
    cancelled = "cancelled"


class SlotFull(Conflict):
    code, message_key = "slot_full", "errors.visit.slot_full"


class TooLate(Conflict):
    code, message_key = "visit_locked", "errors.visit.too_late"


@dataclass(frozen=True)
class Hours:
    """One stretch of visiting time on a day of the week (0 is Monday) or a date."""

    starts: time
    ends: time


@dataclass(frozen=True)
class Exception_:
    """A date with other hours than its day of the week: none means closed all day."""

    day: date
    hours: tuple[Hours, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Availability:
    minutes: int
    capacity: int
    weekly: dict[int, tuple[Hours, ...]]
    exceptions: dict[date, Exception_]

    def hours_on(self, day: date) -> tuple[Hours, ...]:
        if day in self.exceptions:
            return self.exceptions[day].hours
        return self.weekly.get(day.weekday(), ())


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # aware, UTC
    ends_at: datetime


def _time(value: object, field: str, errors: FieldErrors) -> time | None:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.second == 0 and parsed.tzinfo is None:
            return parsed
    errors.add(field, "errors.visit.time")
    return None


def check_hours(ranges: object, field: str, errors: FieldErrors) -> tuple[Hours, ...]:
    """Stretches of a day: each starts before it ends, on whole minutes, none overlapping."""
    if not isinstance(ranges, list | tuple) or len(ranges) > MAX_RANGES_A_DAY:
        errors.add(field, "errors.visit.ranges", max=MAX_RANGES_A_DAY)
        return ()
    found: list[Hours] = []
    for index, pair in enumerate(ranges):
        where = f"{field}.{index}"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            errors.add(where, "errors.visit.time")
            continue
        starts, ends = _time(pair[0], where, errors), _time(pair[1], where, errors)
        if starts is None or ends is None:
            continue
        if ends <= starts:
            errors.add(where, "errors.visit.order")
            continue
        found.append(Hours(starts, ends))
    found.sort(key=lambda h: h.starts)
    for before, after in itertools.pairwise(found):
        if after.starts < before.ends:
            errors.add(field, "errors.visit.overlap")
            break
    return tuple(found)


def check_availability(*, minutes: object, capacity: object, weekly: object,
                       exceptions: object, today: date) -> Availability:
    """A business's visit hours as it sent them, every bad field named at once (422)."""
    errors = FieldErrors()
    if isinstance(minutes, bool) or not isinstance(minutes, int) \
            or not MINUTES_RANGE[0] <= minutes <= MINUTES_RANGE[1] or minutes % 5:
        errors.add("visit_minutes", "errors.visit.minutes", min=MINUTES_RANGE[0],
                   max=MINUTES_RANGE[1])
    if isinstance(capacity, bool) or not isinstance(capacity, int) \
            or not CAPACITY_RANGE[0] <= capacity <= CAPACITY_RANGE[1]:
        errors.add("capacity", "errors.visit.capacity", min=CAPACITY_RANGE[0],
                   max=CAPACITY_RANGE[1])
    week: dict[int, tuple[Hours, ...]] = {}
    if not isinstance(weekly, dict):
        errors.add("weekly", "errors.field.invalid")
    else:
        for key, ranges in weekly.items():
            day = int(key) if isinstance(key, int | str) and str(key).isdigit() else -1
            if not 0 <= day <= 6:
                errors.add(f"weekly.{key}", "errors.visit.weekday")
                continue
            hours = check_hours(ranges, f"weekly.{day}", errors)
            if hours:
                week[day] = hours
    special: dict[date, Exception_] = {}
    if not isinstance(exceptions, list | tuple) or len(exceptions) > MAX_EXCEPTIONS:
        errors.add("exceptions", "errors.visit.exceptions", max=MAX_EXCEPTIONS)
    else:
        for index, item in enumerate(exceptions):
            where = f"exceptions.{index}"
            raw = item.get("day") if isinstance(item, dict) else None
            when: date | None = raw if isinstance(raw, date) else None
            if isinstance(raw, str):
                try:
                    when = date.fromisoformat(raw)
                except ValueError:
                    when = None
            if when is None or when < today:
                errors.add(f"{where}.day", "errors.visit.exception_day")
                continue
            if when in special:
                errors.add(f"{where}.day", "errors.visit.exception_twice")
                continue
            note = item.get("note", "") or ""
            if not isinstance(note, str) or len(note) > NOTE_MAX:
                errors.add(f"{where}.note", "errors.field.invalid")
                note = ""
            special[when] = Exception_(when, check_hours(item.get("hours", []) or [],
                                                        f"{where}.hours", errors),
                                      note.strip())
    errors.raise_if_any()
    return Availability(minutes=minutes, capacity=capacity,  # type: ignore[arg-type]
                        weekly=week, exceptions=special)


def slots_on(availability: Availability, day: date) -> list[Slot]:
    """The day's slots: each stretch cut into visits of the business's length, in Israel's
    time (a slot that would not exist on the clock, in the spring's skipped hour, is left
    out)."""
    length = timedelta(minutes=availability.minutes)
    found: list[Slot] = []
    for hours in availability.hours_on(day):
        start = datetime.combine(day, hours.starts)
        end = datetime.combine(day, hours.ends)
        while start + length <= end:
            local = start.replace(tzinfo=ISRAEL)
            if local.astimezone(UTC).astimezone(ISRAEL).replace(tzinfo=None) == start:
                found.append(Slot(local.astimezone(UTC), (local + length).astimezone(UTC)))
            start += length
    return found


def bookable(starts_at: datetime, now: datetime, cutoff: timedelta) -> bool:
    """A slot can still be booked: after the change cutoff from now, within the booking
    horizon."""
    return now + cutoff <= starts_at <= now + timedelta(days=BOOK_AHEAD_DAYS)


def require_changeable(starts_at: datetime, now: datetime, cutoff: timedelta) -> None:
    """A visit is cancelled or moved only until `cutoff` before it (409 after)."""
    if now > starts_at - cutoff:
        raise TooLate(params={"hours": int(cutoff.total_seconds() // 3600)})


def local_day(moment: datetime) -> date:
    return moment.astimezone(ISRAEL).date()


def refuse(field: str, key: str, **params: object) -> InvalidInput:
    return InvalidInput(fields={field: key}, params=params)
