"""`/admin/reports`: reports and exports (issue 18 point 5). The platform's money month by
month, and leads and their conversion by category and by city, over this month, the last 3 or
12 months or days the admin picks; each table downloaded whole as CSV or Excel by the API's
streamed exports (a link: the pages' sign-in cookie lets an admin in). What each figure means:
`services/reports.py`."""

from __future__ import annotations

import dataclasses
from datetime import date
from urllib.parse import urlencode

import reflex as rx
from babel.numbers import format_decimal
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.domain.tax import israel_date
from ofair_app.models._base import utcnow
from ofair_app.services import reports
from ofair_app.services.reports import ReportKind
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    day_range,
    empty_state,
    error_banner,
    field,
    form,
    page_title,
)
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.state.days import DaysMixin
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState

# How many months before this one each span reaches back ("custom": the days typed).
SPANS = {"month": 0, "quarter": 2, "year": 11, "custom": None}
KINDS = {kind.value for kind in ReportKind}
MONEY_COLUMNS = reports.EXPORT_COLUMNS[ReportKind.money]
CONVERSION_COLUMNS = reports.EXPORT_COLUMNS[ReportKind.leads_by_category]


@dataclasses.dataclass
class MoneyLine:
    """A month of the money report, as the page shows it."""

    month: str
    jobs: str
    gross: str
    refunds: str
    gmv: str
    commission: str
    referral_fees: str
    vat: str
    payouts: str


@dataclasses.dataclass
class ConversionLine:
    """A category's or a city's leads, as the page shows them."""

    key: str
    name: str
    posted: str
    with_proposals: str
    awarded: str
    closed: str
    conversion_pct: str


def span_days(span: str, today: date) -> tuple[date, date]:
    """The days of a span ending today: from the first of this month, or of 2 or 11 months
    before it."""
    back = SPANS.get(span) or 0
    months = today.year * 12 + today.month - 1 - back
    return date(months // 12, months % 12 + 1, 1), today


class AdminReportsState(DaysMixin, SessionState):
    report: rx.Field[str] = rx.field(ReportKind.money.value)
    span: rx.Field[str] = rx.field("month")
    # the days the table shows (YYYY-MM-DD), and the downloads export
    since: rx.Field[str] = rx.field("")
    until: rx.Field[str] = rx.field("")
    days_label: rx.Field[str] = rx.field("")  # the same days as the reader writes them
    months: rx.Field[list[MoneyLine]] = rx.field(default_factory=list)
    groups: rx.Field[list[ConversionLine]] = rx.field(default_factory=list)
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    error: rx.Field[str] = rx.field("")

    @rx.var
    def export_query(self) -> str:
        return urlencode({"report": self.report, "since": self.since, "until": self.until})

    def _money_line(self, row: reports.MoneyMonth) -> MoneyLine:
        locale = self.locale
        return MoneyLine(month=format.month(row.month, locale), jobs=str(row.jobs),
                         **{name: format.money(getattr(row, name), locale)
                            for name in MONEY_COLUMNS[2:]})

    def _conversion_line(self, row: reports.LeadConversion) -> ConversionLine:
        rate = format_decimal(row.conversion_pct, format="#,##0.#",
                              locale="he_IL" if self.locale == "he" else "en_IL")
        return ConversionLine(key=row.key, name=row.name, posted=str(row.posted),
                              with_proposals=str(row.with_proposals), awarded=str(row.awarded),
                              closed=str(row.closed), conversion_pct=f"{rate}%")

    async def _load(self, caller, since: str, until: str) -> None:
        kind, locale = ReportKind(self.report), self.locale

        def read(session):
            period = reports.period_of(since=since, until=until)
            return period, list(reports.rows(session=session, caller=caller, report=kind,
                                             period=period, locale=locale))

        try:
            period, found = await self._as(caller, read)
        except AppError as error:
            self.errors = self._field_messages(error)
            self.error = "" if self.errors else self._message(error)
            return
        self.errors, self.error = {}, ""
        self.since, self.until = period.since.isoformat(), period.until.isoformat()
        self._show_days(period.since, period.until)
        self.days_label = (f"{format.day(period.since, locale)} – "
                           f"{format.day(period.until, locale)}")
        if kind == ReportKind.money:
            self.months, self.groups = [self._money_line(row) for row in found], []
        else:
            self.months, self.groups = [], [self._conversion_line(row) for row in found]

    async def _show_span(self, caller) -> None:
        if SPANS.get(self.span) is None:  # custom: the days shown stay until new ones come
            await self._load(caller, self.since, self.until)
            return
        since, until = span_days(self.span, israel_date(utcnow()))
        await self._load(caller, since.isoformat(), until.isoformat())

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        self.error, self.errors = "", {}
        if self.report not in KINDS:
            self.report = ReportKind.money.value
        await self._show_span(caller)
        return None

    @event
    async def choose_report(self, value: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        if value in KINDS:
            self.report = value
            await self._show_span(caller)
        return None

    @event
    async def choose_span(self, value: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        if value in SPANS:
            self.span = value
            await self._show_span(caller)
        return None

    @event
    async def apply_days(self, form_data: dict):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.span = "custom"
        try:
            since, until = self._picked_days()
        except AppError as error:
            self.errors, self.error = self._field_messages(error), ""
            return None
        await self._load(caller, since.isoformat() if since else "",
                         until.isoformat() if until else "")
        return None


def _picker(name: str, label: str, value: rx.Var, on_change, options) -> rx.Component:
    element_id = f"reports-{name}"
    return field(label, rx.select.root(
        rx.select.trigger(id=element_id, width="100%"),
        rx.select.content(*[rx.select.item(t(key), value=option) for option, key in options]),
        value=value, on_change=on_change, size="2"), html_for=element_id)


def _download(kind: str, icon: str, label: str) -> rx.Component:
    """A plain link to the API's streamed export of the table shown (the router would take
    a framework link for a page of its own)."""
    return rx.el.a(
        rx.icon(icon, size=14, aria_hidden="true"), t(label),
        href=f"/api/v1/admin/reports.{kind}?{AdminReportsState.export_query}",
        download=f"ofair-report.{kind}", id=f"reports-export-{kind}",
        custom_attrs={"reloadDocument": True},  # the router leaves the click to the browser
        style={"display": "inline-flex", "align_items": "center", "gap": "0.3rem",
               "min_height": "44px", "min_width": "44px", "padding_inline": "0.25rem",
               "color": theme.BRAND, "font_weight": "500", "font_size": "0.875rem",
               "text_decoration": "underline", "text_underline_offset": "3px"})


def _controls() -> rx.Component:
    state = AdminReportsState
    return rx.vstack(
        rx.grid(
            _picker("report", "ui.reports.report", state.report, state.choose_report,
                    [(kind.value, f"ui.reports.kind.{kind.value}") for kind in ReportKind]),
            _picker("span", "ui.reports.period", state.span, state.choose_span,
                    [(span, f"ui.reports.span.{span}") for span in SPANS]),
            columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
        rx.cond(state.span == "custom", form(
            day_range(state, "reports", state.errors, since="ui.reports.since",
                      until="ui.reports.until"),
            rx.button(rx.icon("search", size=14, aria_hidden="true"), t("ui.reports.apply"),
                      type="submit", size="2", id="reports-apply", margin_top="0.5rem",
                      min_height="44px"),
            on_submit=state.apply_days, width="100%", id="reports-days")),
        rx.hstack(
            rx.text(t("ui.reports.days"), " ", rx.el.bdi(state.days_label), size="2",
                    color=theme.MUTED, id="reports-shown"),
            rx.spacer(),
            _download("csv", "download", "ui.reports.export_csv"),
            _download("xlsx", "sheet", "ui.reports.export_xlsx"),
            width="100%", align="center", spacing="4", wrap="wrap"),
        spacing="3", width="100%")


_CELL = {"white_space": "nowrap", "padding": "0.5rem 0.75rem",
         "border_bottom": f"1px solid {theme.BORDER}", "text_align": "start"}


def _number(value: rx.Var) -> rx.Component:
    return rx.el.td(rx.el.bdi(value, dir="ltr"), style={**_CELL, "text_align": "end"})


def _table(report: str, columns: tuple[str, ...], rows: rx.Var, row) -> rx.Component:
    """A table that scrolls sideways on a phone (the region takes the keyboard's focus so
    it can be scrolled without a mouse). A plain HTML table: Radix's table scrolls inside a
    viewport of its own that no key reaches."""
    return rx.box(
        rx.el.table(
            rx.el.thead(rx.el.tr(*[
                rx.el.th(t(f"export.reports.{report}.{column}"), scope="col",
                         style={**_CELL, "font_weight": "600", "color": theme.MUTED})
                for column in columns])),
            rx.el.tbody(rx.foreach(rows, row)),
            width="100%", font_size="0.875rem", border_collapse="collapse"),
        overflow_x="auto", width="100%", tab_index=0, role="region",
        aria_label=t(f"ui.reports.kind.{report}"), id=f"reports-{report}")


def _money_row(line: ObjectVar[MoneyLine]) -> rx.Component:
    return rx.el.tr(
        rx.el.th(line.month, scope="row", style={**_CELL, "font_weight": "500"}),
        *[_number(getattr(line, column)) for column in MONEY_COLUMNS[1:]],
        class_name="reports-row")


def _conversion_row(line: ObjectVar[ConversionLine]) -> rx.Component:
    return rx.el.tr(
        rx.el.th(line.name, scope="row", style={**_CELL, "font_weight": "500"}),
        *[_number(getattr(line, column)) for column in CONVERSION_COLUMNS[1:]],
        class_name="reports-row")


def _results() -> rx.Component:
    state = AdminReportsState
    return rx.match(
        state.report,
        (ReportKind.money.value, rx.cond(
            state.months.length() > 0,
            _table(ReportKind.money.value, MONEY_COLUMNS, state.months, _money_row),
            empty_state("ui.reports.empty", icon="chart-column"))),
        rx.cond(
            state.groups.length() > 0,
            rx.match(
                state.report,
                (ReportKind.leads_by_city.value,
                 _table(ReportKind.leads_by_city.value, CONVERSION_COLUMNS, state.groups,
                        _conversion_row)),
                _table(ReportKind.leads_by_category.value, CONVERSION_COLUMNS, state.groups,
                       _conversion_row)),
            empty_state("ui.reports.empty", icon="chart-column")))


def admin_reports() -> rx.Component:
    state = AdminReportsState
    return admin_shell(
        rx.vstack(
            page_title("ui.reports.title", "ui.reports.subtitle"),
            error_banner(state.error),
            rx.box(_controls(), width="100%", style=theme.card_style()),
            rx.box(_results(), width="100%", style=theme.card_style()),
            spacing="4", width="100%"),
        active=routes.ADMIN_REPORTS,
    )
