"""The business's visit hours on its profile (issue 20 point 2): how long a visit takes, how
many at once, the hours of each day of the week (up to two stretches), and closed dates.

A date the API gave its own hours keeps them when the form is saved (the form shows it as a
special date; only closed dates are added here)."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import TYPE_CHECKING

import reflex as rx
from babel.dates import format_date, get_day_names
from reflex.vars import ObjectVar

from ofair_app.domain import visits as rules
from ofair_app.domain.errors import AppError
from ofair_app.domain.inputs import date_from_parts
from ofair_app.models._base import utcnow
from ofair_app.services import visits
from ofair_app.ui import theme
from ofair_app.ui.components.forms import (
    date_select,
    dict_var,
    error_banner,
    form,
    notice_banner,
    section,
)
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import PageMixin

if TYPE_CHECKING:
    from reflex_base.event import EventType

    from ofair_app.db.engine import Caller


MINUTE_CHOICES = ("30", "45", "60", "90", "120", "180")
CAPACITY_CHOICES = tuple(str(n) for n in range(1, 6))


def _day_names(locale: str) -> dict[int, str]:
    names = get_day_names("wide", locale="he_IL" if locale == "he" else "en_IL")
    return {day: names[day] for day in range(7)}


def _hm(value: time | None) -> str:
    return value.strftime("%H:%M") if value else ""


class VisitHoursMixin(PageMixin, mixin=True):
    vh_minutes: rx.Field[str] = rx.field("60")
    vh_capacity: rx.Field[str] = rx.field("1")
    vh_days: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    vh_closed: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    vh_new_day: rx.Field[str] = rx.field("")
    vh_new_month: rx.Field[str] = rx.field("")
    vh_new_year: rx.Field[str] = rx.field("")
    vh_new_note: rx.Field[str] = rx.field("")
    vh_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    vh_error: rx.Field[str] = rx.field("")
    vh_notice: rx.Field[str] = rx.field("")

    if TYPE_CHECKING:
        # What the final state class gets besides the session's: ProfileState's `_business`
        # (the caller and the business the tab acts for).

        async def _business(self) -> tuple[Caller | None, uuid.UUID | None]: ...

    def _fill_hours(self, found: rules.Availability | None) -> None:
        names = _day_names(self.locale)
        days = []
        for day in rules.WEEK:
            stretches = list(found.weekly.get(day, ())) if found else []
            first = stretches[0] if stretches else None
            second = stretches[1] if len(stretches) > 1 else None
            days.append({"day": str(day), "label": names[day],
                         "open": "1" if first else "",
                         "from": _hm(first.starts) if first else "08:00",
                         "to": _hm(first.ends) if first else "16:00",
                         "from2": _hm(second.starts) if second else "",
                         "to2": _hm(second.ends) if second else ""})
        self.vh_days = days
        self.vh_minutes = str(found.minutes) if found else "60"
        self.vh_capacity = str(found.capacity) if found else "1"
        self.vh_closed = [self._closed_row(e.day, e.note, [
            (_hm(h.starts), _hm(h.ends)) for h in e.hours])
            for e in sorted(found.exceptions.values(), key=lambda e: e.day)] if found else []

    def _closed_row(self, day: date, note: str, hours: list[tuple[str, str]]) -> dict[str, str]:
        label = format_date(day, "EEEE, d MMM y",
                            locale="he_IL" if self.locale == "he" else "en_IL")
        return {"day": day.isoformat(), "label": label, "note": note,
                "hours": " ".join(f"{a}-{b}" for a, b in hours)}

    async def _load_hours(self, caller: Caller, pid: uuid.UUID) -> None:
        found = await self._as(caller, lambda s: visits.availability(s, pid))
        self._fill_hours(found)
        self.vh_errors, self.vh_error, self.vh_notice = {}, "", ""

    @event
    def set_vh_minutes(self, value: str):
        self.vh_minutes = value

    @event
    def set_vh_capacity(self, value: str):
        self.vh_capacity = value

    @event
    def set_day(self, index: int, key: str, value: str):
        if 0 <= index < len(self.vh_days) and key in {"from", "to", "from2", "to2"}:
            self.vh_days[index][key] = "" if value == NONE else value[:5]

    @event
    def toggle_day(self, index: int, value: bool):
        if 0 <= index < len(self.vh_days):
            self.vh_days[index]["open"] = "1" if value else ""

    @rx.var
    def vh_years(self) -> list[str]:
        this = utcnow().year
        return [str(this), str(this + 1)]

    @event
    def set_vh_new_date(self, part: str, value: str):
        if part in {"day", "month", "year"}:
            setattr(self, f"vh_new_{part}", value)

    @event
    def set_vh_new_note(self, value: str):
        self.vh_new_note = value[:rules.NOTE_MAX]

    @event
    def add_closed_day(self):
        self.vh_errors.pop("new_day", None)
        try:
            day = date_from_parts(self.vh_new_day, self.vh_new_month, self.vh_new_year,
                                  field="new_day")
        except AppError as error:
            self.vh_errors["new_day"] = next(iter(self._field_messages(error).values()))
            return
        if day is None or day < rules.local_day(utcnow()):
            self.vh_errors["new_day"] = self._text("errors.visit.exception_day")
            return
        if any(row["day"] == day.isoformat() for row in self.vh_closed):
            self.vh_errors["new_day"] = self._text("errors.visit.exception_twice")
            return
        self.vh_closed = sorted([*self.vh_closed, self._closed_row(day, self.vh_new_note, [])],
                                key=lambda row: row["day"])
        self.vh_new_day = self.vh_new_month = self.vh_new_year = self.vh_new_note = ""

    @event
    def remove_closed_day(self, day: str):
        self.vh_closed = [row for row in self.vh_closed if row["day"] != day]

    def _weekly(self) -> dict[int, list[tuple[str, str]]]:
        weekly: dict[int, list[tuple[str, str]]] = {}
        for row in self.vh_days:
            if not row.get("open"):
                continue
            stretches = [(row["from"], row["to"])]
            if row.get("from2") or row.get("to2"):
                stretches.append((row.get("from2", ""), row.get("to2", "")))
            weekly[int(row["day"])] = stretches
        return weekly

    @event
    async def save_visit_hours(self):
        caller, pid = await self._business()
        if caller is None or pid is None:
            return rx.redirect("/login")
        exceptions = [{"day": row["day"], "note": row["note"],
                       "hours": [tuple(pair.split("-")) for pair in row["hours"].split()]}
                      for row in self.vh_closed]
        minutes = int(self.vh_minutes) if self.vh_minutes.isdigit() else self.vh_minutes
        capacity = int(self.vh_capacity) if self.vh_capacity.isdigit() else self.vh_capacity
        weekly = self._weekly()
        self.vh_errors, self.vh_error, self.vh_notice = {}, "", ""
        try:
            found = await self._as(caller, lambda s: visits.set_availability(
                session=s, caller=caller, professional_id=uuid.UUID(str(pid)),
                visit_minutes=minutes, capacity=capacity, weekly=weekly,
                exceptions=exceptions))
        except AppError as error:
            messages = self._field_messages(error)
            names = {row["day"]: row["label"] for row in self.vh_days}
            # weekly.<day>[.<n>] → the day's row; others by their own name
            for key, message in messages.items():
                parts = key.split(".")
                if parts[0] == "weekly" and len(parts) > 1:
                    self.vh_errors[f"day-{parts[1]}"] = message
                    self.vh_error = self.vh_error or f"{names.get(parts[1], '')}: {message}"
                else:
                    self.vh_errors[parts[0]] = message
                    self.vh_error = self.vh_error or message
            if not messages:
                self.vh_error = self._message(error)
            return None
        self._fill_hours(found)
        self.vh_notice = self._text("ui.visit_hours.saved")
        return None


def _choice(state: type[VisitHoursMixin], name: str, label: str, choices: tuple[str, ...],
            value: rx.Var[str], on_change: EventType[str], unit: str = "") -> rx.Component:
    return rx.vstack(
        rx.el.label(t(label), html_for=f"vh-{name}", font_weight="500", font_size="0.9rem"),
        rx.select.root(
            rx.select.trigger(id=f"vh-{name}", width="100%", min_height="44px"),
            rx.select.content(*(rx.select.item(
                rx.fragment(c, " ", t(unit)) if unit else c, value=c) for c in choices)),
            value=value, on_change=on_change,
        ),
        spacing="1",
        flex="1",
        min_width="8rem",
    )


# Times a stretch can start or end at, every half hour (a list, not the browser's own time
# field: one stop for the keyboard, the same 24-hour clock in every browser and language).
TIMES = tuple(f"{h:02d}:{m:02d}" for h in range(5, 24) for m in (0, 30))
NONE = "-"  # a select item's value cannot be empty


def _time_input(state: type[VisitHoursMixin], index: rx.Var[int], key: str, value: rx.Var[str],
                label: rx.Var[str]) -> rx.Component:
    items = [rx.select.item(t("ui.visit_hours.none"), value=NONE)] if key.endswith("2") else []
    return rx.select.root(
        rx.select.trigger(aria_label=label, min_height="44px", width="6.5rem", dir="ltr"),
        rx.select.content(*items, *(rx.select.item(x, value=x) for x in TIMES),
                          position="popper"),
        value=rx.cond(value == "", NONE, value),
        on_change=lambda v: state.set_day(index, key, v),
        size="2",
    )



def _day_row(state: type[VisitHoursMixin], row: ObjectVar[dict[str, str]],
             index: rx.Var[int]) -> rx.Component:
    open_ = row["open"] != ""
    errors = dict_var(state.vh_errors)
    return rx.vstack(
        rx.hstack(
            rx.button(
                rx.icon(rx.cond(open_, "square-check", "square"), size=18),
                row["label"],
                type="button", variant=rx.cond(open_, "soft", "outline"),
                color_scheme=rx.cond(open_, "teal", "gray"), size="2", min_height="44px",
                min_width="8rem", justify_content="start",
                aria_pressed=rx.cond(open_, "true", "false"),
                on_click=state.toggle_day(index, ~open_),
                class_name="vh-day",
            ),
            rx.cond(
                open_,
                rx.flex(
                    _time_input(state, index, "from", row["from"], row["label"] + " ⇥"),
                    rx.text("–", color=theme.MUTED),
                    _time_input(state, index, "to", row["to"], row["label"] + " ⇤"),
                    rx.text(t("ui.visit_hours.and"), size="1", color=theme.MUTED),
                    _time_input(state, index, "from2", row["from2"], row["label"] + " 2 ⇥"),
                    rx.text("–", color=theme.MUTED),
                    _time_input(state, index, "to2", row["to2"], row["label"] + " 2 ⇤"),
                    wrap="wrap", gap="0.4rem", align="center",
                ),
                rx.text(t("ui.visit_hours.closed"), size="2", color=theme.MUTED),
            ),
            wrap="wrap",
            spacing="3",
            align="center",
            width="100%",
        ),
        rx.cond(errors.contains("day-" + row["day"]),
                rx.text(errors["day-" + row["day"]], size="1",
                        color=rx.color("red", 11), role="alert")),
        spacing="1",
        width="100%",
        padding_y="0.25rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def _closed_row(state: type[VisitHoursMixin], row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(row["label"], size="2", weight="medium"),
            rx.text(rx.cond(row["hours"] != "", row["hours"], t("ui.visit_hours.closed")),
                    rx.cond(row["note"] != "", rx.fragment(" · ", row["note"])), size="1",
                    color=theme.MUTED, dir="auto"),
            spacing="0",
        ),
        rx.spacer(),
        rx.icon_button(rx.icon("x", size=16), variant="ghost", color_scheme="gray",
                       size="3", aria_label=t("ui.visit_hours.remove_day"),
                       on_click=state.remove_closed_day(row["day"]), type="button"),
        width="100%",
        align="center",
    )


def visit_hours_section(state: type[VisitHoursMixin]) -> rx.Component:
    errors = dict_var(state.vh_errors)
    return section(
        "ui.visit_hours.title",
        notice_banner(state.vh_notice),
        error_banner(state.vh_error),
        form(
            rx.vstack(
                rx.flex(
                    _choice(state, "minutes", "ui.visit_hours.length", MINUTE_CHOICES,
                            state.vh_minutes, state.set_vh_minutes, "ui.visit_hours.minutes"),
                    _choice(state, "capacity", "ui.visit_hours.capacity", CAPACITY_CHOICES,
                            state.vh_capacity, state.set_vh_capacity),
                    gap="1rem", wrap="wrap", width="100%",
                ),
                rx.vstack(
                    rx.text(t("ui.visit_hours.week"), weight="medium", size="2"),
                    rx.foreach(state.vh_days, lambda row, i: _day_row(state, row, i)),
                    spacing="1",
                    width="100%",
                ),
                rx.vstack(
                    rx.text(t("ui.visit_hours.special"), weight="medium", size="2"),
                    rx.foreach(state.vh_closed, lambda row: _closed_row(state, row)),
                    rx.flex(
                        rx.box(date_select("vh-new-day", state.vh_new_day, state.vh_new_month,
                                           state.vh_new_year, state.vh_years,
                                           state.set_vh_new_date),
                               flex="2", min_width="14rem",
                               aria_label=t("ui.visit_hours.new_day")),
                        rx.input(value=state.vh_new_note, on_change=state.set_vh_new_note,
                                 placeholder=t("ui.visit_hours.note"), size="2",
                                 min_height="44px", aria_label=t("ui.visit_hours.note"),
                                 max_length=rules.NOTE_MAX, flex="1", min_width="8rem"),
                        rx.button(rx.icon("calendar-x", size=15), t("ui.visit_hours.add_day"),
                                  type="button", variant="soft", size="2", min_height="44px",
                                  on_click=state.add_closed_day),
                        gap="0.5rem", wrap="wrap", width="100%", align="center",
                    ),
                    rx.cond(errors.contains("new_day"),
                            rx.text(errors["new_day"], size="1", color=rx.color("red", 11),
                                    role="alert")),
                    spacing="2",
                    width="100%",
                ),
                rx.button(rx.icon("save", size=16), t("ui.visit_hours.save"), type="submit",
                          size="3", id="vh-save", min_height="44px"),
                spacing="4",
                width="100%",
            ),
            on_submit=state.save_visit_hours,
            width="100%",
        ),
        subtitle="ui.visit_hours.subtitle",
        id="visit-hours",
    )
