"""A period of Israel's days, both ends included: what the back office's dashboard, reports and
audit log are narrowed by (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.tax import ISRAEL


@dataclass(frozen=True)
class Period:
    """Israel's days `since`..`until`, both included."""

    since: date
    until: date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def start(self) -> datetime:
        """The period's first moment (midnight in Israel)."""
        return datetime.combine(self.since, time(), tzinfo=ISRAEL)

    @property
    def end(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return datetime.combine(self.until + timedelta(days=1), time(), tzinfo=ISRAEL)

    @property
    def first_month(self) -> date:
        return self.since.replace(day=1)

    @property
    def last_month(self) -> date:
        return self.until.replace(day=1)

    def before(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))


def day_of(value: date | str | None, field: str) -> date | None:
    """A day given as a date or written YYYY-MM-DD (blank: none); anything else is refused
    on `field`."""
    if value is None or isinstance(value, date):
        return value
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(fields={field: "errors.field.date"}) from None
