"""A period picked as two days, "from" and "to", each as three lists (day, month by name,
year: `components.forms.date_select`), never the browser's own date input (which reads
`mm/dd/yyyy` and validates on its own). A mixin for the admin pages that narrow by days;
`components.forms.day_range` renders it. With it, `FilteredListMixin`: the filter form's
"apply" and the "more" of the admin lists that narrow by days (audit log, leads)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import reflex as rx

from ofair_app.domain.errors import AppError, FieldErrors
from ofair_app.domain.inputs import date_from_parts
from ofair_app.domain.tax import israel_date
from ofair_app.models._base import utcnow
from ofair_app.ui import routes
from ofair_app.ui.state.events import event
from ofair_app.ui.state.session import PageMixin

if TYPE_CHECKING:
    from ofair_app.db.engine import Caller

YEARS_BACK = 5
PARTS = ("day", "month", "year")


class DaysMixin(PageMixin, mixin=True):
    since_day: rx.Field[str] = rx.field("")
    since_month: rx.Field[str] = rx.field("")
    since_year: rx.Field[str] = rx.field("")
    until_day: rx.Field[str] = rx.field("")
    until_month: rx.Field[str] = rx.field("")
    until_year: rx.Field[str] = rx.field("")

    @rx.var
    def day_years(self) -> list[str]:
        """The years a day may be picked in: this one and the few before it."""
        this = israel_date(utcnow()).year
        return [str(year) for year in range(this, this - YEARS_BACK - 1, -1)]

    def _set_part(self, end: str, part: str, value: str | list[str]) -> None:
        if part in PARTS and isinstance(value, str) and len(value) <= 4:
            setattr(self, f"{end}_{part}", value)

    @event
    def set_since(self, part: str, value: str | list[str]):
        self._set_part("since", part, value)

    @event
    def set_until(self, part: str, value: str | list[str]):
        self._set_part("until", part, value)

    def _picked_days(self) -> tuple[date | None, date | None]:
        """The two days picked (None where all three lists are blank); a partial or
        impossible day is refused on its field, both named at once."""
        checks = FieldErrors()
        since = checks(date_from_parts, self.since_day, self.since_month, self.since_year,
                       field="since")
        until = checks(date_from_parts, self.until_day, self.until_month, self.until_year,
                       field="until")
        checks.raise_if_any()
        return since, until

    def _show_days(self, since: date | None, until: date | None) -> None:
        """Put these days in the lists (a period chosen some other way, shown as days)."""
        for end, day in (("since", since), ("until", until)):
            for part in PARTS:
                setattr(self, f"{end}_{part}", str(getattr(day, part)) if day else "")


class FilteredListMixin(PageMixin, mixin=True):
    """An admin list narrowed by a filter form and the days of a `DaysMixin`, newest first, a
    cursor page at a time ("more"). The page names its form's fields (`_filter_names`) and
    reads a page (`_load(caller, more=...)`, which fills `rows` and `cursor`)."""

    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    cursor: rx.Field[str] = rx.field("")
    # the narrowing the rows show (an export's too)
    applied: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    error: rx.Field[str] = rx.field("")

    if TYPE_CHECKING:
        # What the final state class gets besides the session's: DaysMixin's (same
        # signatures) and what the page itself defines (see the class's docstring).
        def _picked_days(self) -> tuple[date | None, date | None]: ...
        def _filter_names(self) -> tuple[str, ...]: ...
        async def _load(self, caller: Caller, *, more: bool = False) -> None: ...

    @event
    async def apply(self, form_data: dict):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.errors = "", {}
        try:
            since, until = self._picked_days()
        except AppError as error:
            self.errors = self._field_messages(error)
            return None
        self.applied = {name: str(form_data.get(name, "") or "")[:254]
                        for name in self._filter_names() if name not in ("since", "until")}
        self.applied |= {"since": since.isoformat() if since else "",
                         "until": until.isoformat() if until else ""}
        await self._load(caller)
        return None

    @event
    async def more(self):
        caller = await self._admin()
        if caller is None or not self.cursor:
            return None
        await self._load(caller, more=True)
        return None
