"""`/admin`: the back office's home: the KPI dashboard (issue 18 point 1) for a period with the
period before it beside each figure, leads per day, the funnel, what waits in the queues, and
whether the platform's database is healthy."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.domain.periods import Period
from ofair_app.services import health, kpis
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import day_range, error_banner, form
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.state.days import DaysMixin
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState, blocking

CUSTOM = "custom"
CONSUMER_COLOR, PRO_COLOR = "#0d7d6c", "#6e56cf"  # teal 11 and violet 10: AA on white


class DashboardState(DaysMixin, SessionState):
    """The dashboard's figures, every value ready to print."""

    choice: rx.Field[str] = rx.field("30")  # "7", "30", "90" or "custom"
    period: rx.Field[str] = rx.field("")
    cards: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    per_day: rx.Field[list[dict[str, str | int]]] = rx.field(default_factory=list)
    funnel: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    queues: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    error: rx.Field[str] = rx.field("")
    loading: rx.Field[bool] = rx.field(False)

    def _period(self) -> Period:
        if self.choice != CUSTOM:
            return kpis.last_days(int(self.choice))
        since, until = self._picked_days()
        return kpis.checked_period(since, until)

    def _compare(self, now: Decimal | int, before: Decimal | int) -> tuple[str, str]:
        moved = kpis.change(now, before)
        if moved is None:
            return self._text("ui.kpis.no_before"), "gray"
        sign = "+" if moved > 0 else ""
        return (self._text("ui.kpis.vs_before", change=f"{sign}{moved}%"),
                "green" if moved > 0 else ("red" if moved < 0 else "gray"))

    def _card(self, key: str, icon: str, now, before, shown: str) -> dict[str, str]:
        compared, color = self._compare(now, before)
        return {"key": key, "icon": icon, "label": self._text(f"ui.kpis.{key}"),
                "value": shown, "compared": compared, "color": color}

    def _minutes(self, value: timedelta | None) -> str:
        if value is None:
            return "—"
        from babel.dates import format_timedelta

        return format_timedelta(value, locale=self.locale, threshold=1.1)

    async def _load(self, caller) -> None:
        self.errors, self.error = {}, ""
        try:
            period = self._period()
            found = await self._as(caller, lambda s: kpis.dashboard(session=s, caller=caller,
                                                                   period=period))
        except AppError as error:
            self.errors = self._field_messages(error)
            self.error = "" if self.errors else self._message(error)
            return
        locale, now, before = self.locale, found.current, found.previous
        money = format.money
        if self.choice != CUSTOM:
            self._show_days(period.since, period.until)  # custom starts from what is shown
        self.period = self._text("ui.kpis.period", since=format.day(period.since, locale),
                                 until=format.day(period.until, locale))
        median_now = now.median_first_proposal
        median_before = before.median_first_proposal
        self.cards = [
            self._card("gmv", "banknote", now.gmv, before.gmv, money(now.gmv, locale)),
            self._card("revenue", "landmark", now.revenue, before.revenue,
                       money(now.revenue, locale)),
            self._card("referral_fees", "share-2", now.referral_fees, before.referral_fees,
                       money(now.referral_fees, locale)),
            self._card("posted", "inbox", now.funnel.posted, before.funnel.posted,
                       format.number(now.funnel.posted, locale)),
            self._card("active_businesses", "briefcase-business", now.active_businesses,
                       before.active_businesses,
                       format.number(now.active_businesses, locale)),
            {**self._card("median_first_proposal", "timer",
                          Decimal(median_now.total_seconds()) if median_now else 0,
                          Decimal(median_before.total_seconds()) if median_before else 0,
                          self._minutes(median_now)),
             "color": "gray"},
        ]
        self.per_day = [{"day": format.day(d.day, locale),
                         "consumer": d.consumer, "pro": d.professional_referral}
                        for d in found.per_day]
        funnel = now.funnel
        top = max(funnel.posted, 1)
        self.funnel = [
            {"step": self._text(f"ui.kpis.funnel.{step}"),
             "count": format.number(getattr(funnel, step), locale),
             "width": f"{max(2, round(100 * getattr(funnel, step) / top))}%",
             "rate": (self._text("ui.kpis.of_before", rate=f"{funnel.rate(step)}%")
                      if funnel.rate(step) is not None else "")}
            for step in kpis.Funnel.STEPS]
        q = found.queues
        self.queues = [
            {"label": self._text("ui.kpis.open_disputes"),
             "value": format.number(q.open_disputes, locale), "href": routes.ADMIN_DISPUTES,
             "icon": "scale"},
            {"label": self._text("ui.kpis.flagged_payments"),
             "value": format.number(q.flagged_payments, locale),
             "href": routes.ADMIN_DISPUTES, "icon": "flag"},
            {"label": self._text("ui.kpis.pending_payouts"),
             "value": self._text("ui.kpis.payouts_value",
                                 count=format.number(q.pending_payouts, locale),
                                 amount=money(q.pending_payouts_amount, locale)),
             "href": routes.ADMIN_PAYOUTS, "icon": "banknote"},
        ]

    async def _reload(self, caller):
        """The figures again, with a spinner meanwhile (sign-in again for a lost session)."""
        if caller is None:
            yield rx.redirect(routes.LOGIN)
            return
        self.loading = True
        yield
        await self._load(caller)
        self.loading = False

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            yield redirect
            return
        async for step in self._reload(caller):
            yield step

    @event
    async def pick(self, value: str | list[str]):
        if isinstance(value, list) or value not in {"7", "30", "90", CUSTOM}:
            return
        self.choice = value
        if value == CUSTOM:
            return
        async for step in self._reload(await self._admin()):
            yield step

    @event
    async def apply(self, form_data: dict):
        async for step in self._reload(await self._admin()):
            yield step


class AdminHomeState(rx.State):
    # "checking" until the first answer, then "ok", "unsafe" (connected, but as a role that
    # bypasses row-level security) or "down".
    db_status: rx.Field[str] = rx.field("checking")
    db_latency: rx.Field[str] = rx.field("")
    db_role: rx.Field[str] = rx.field("")
    checking: rx.Field[bool] = rx.field(False)

    @event
    async def refresh(self):
        """Query the database as the application role (the same check as /api/v1/health)."""
        self.checking = True
        yield
        result = await blocking(health.check_database)
        if result.ok:
            self.db_status = "ok"
        elif result.role is not None:
            self.db_status = "unsafe"
        else:
            self.db_status = "down"
        self.db_latency = f"{result.latency_ms:.1f} ms"
        self.db_role = result.role or "—"
        self.checking = False


def _row(label: str, value: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.text(t(label), color=theme.MUTED, size="2"),
        rx.spacer(),
        value,
        width="100%",
        align="center",
        padding_y="0.75rem",
        border_bottom=f"1px solid {theme.BORDER}",
    )


def _badge(icon: str, label: str, color: str) -> rx.Component:
    return rx.badge(rx.icon(icon, size=14), t(label), color_scheme=color, size="2")


def _status_badge() -> rx.Component:
    return rx.match(
        AdminHomeState.db_status,
        ("ok", _badge("circle-check", "ui.admin.db_ok", "green")),
        ("unsafe", _badge("triangle-alert", "ui.admin.db_unsafe", "red")),
        ("down", _badge("circle-x", "ui.admin.db_down", "red")),
        rx.badge(t("ui.admin.db_checking"), color_scheme="gray", size="2"),
    )


def _health_card() -> rx.Component:
    s = AdminHomeState
    return rx.vstack(
        rx.hstack(
            rx.center(
                rx.icon("database", size=20, color=theme.BRAND),
                width="2.5rem",
                height="2.5rem",
                border_radius="10px",
                background=rx.color("teal", 3),
            ),
            rx.vstack(
                rx.text(t("ui.admin.db"), weight="bold", size="3"),
                rx.text(t("ui.admin.db_hint"), color=theme.MUTED, size="1"),
                spacing="0",
            ),
            rx.spacer(),
            rx.box(_status_badge(), id="db-status"),
            align="center",
            width="100%",
            padding_bottom="0.5rem",
            border_bottom=f"1px solid {theme.BORDER}",
        ),
        rx.cond(
            s.db_status == "down",
            rx.text(t("ui.admin.db_down_hint"), color=theme.MUTED, size="2", padding_y="0.75rem"),
        ),
        rx.cond(
            (s.db_status == "ok") | (s.db_status == "unsafe"),
            rx.fragment(
                _row(
                    "ui.admin.latency", rx.text(s.db_latency, dir="ltr", size="2", weight="medium")
                ),
                _row("ui.admin.role", rx.code(s.db_role, dir="ltr")),
                _row(
                    "ui.admin.rls",
                    rx.cond(
                        s.db_status == "ok",
                        rx.badge(t("ui.admin.rls_on"), color_scheme="green"),
                        rx.badge(t("ui.admin.rls_off"), color_scheme="red"),
                    ),
                ),
            ),
        ),
        rx.button(
            rx.icon("refresh-cw", size=16),
            t("ui.admin.refresh"),
            on_click=s.refresh,
            loading=s.checking,
            variant="soft",
            margin_top="0.75rem",
        ),
        spacing="0",
        width="100%",
        max_width="34rem",
        style=theme.card_style(),
    )


def _picker() -> rx.Component:
    state = DashboardState
    return rx.vstack(
        rx.hstack(
            rx.segmented_control.root(
                *[rx.segmented_control.item(t(f"ui.kpis.days_{value}"), value=value)
                  for value in ("7", "30", "90")],
                rx.segmented_control.item(t("ui.kpis.custom"), value=CUSTOM),
                value=state.choice, on_change=state.pick, size="2", id="kpis-period",
                aria_label=t("ui.kpis.period_label")),
            rx.cond(state.loading, rx.spinner(size="2")),
            spacing="3", align="center", wrap="wrap"),
        rx.cond(state.choice == CUSTOM, form(
            rx.vstack(
                day_range(state, "kpis", state.errors),
                rx.button(t("ui.audit.apply"), type="submit", size="2", id="kpis-apply",
                          min_height="44px"),
                spacing="3", width="100%", max_width="40rem"),
            on_submit=state.apply, id="kpis-custom", width="100%")),
        rx.text(state.period, size="2", color=theme.MUTED, id="kpis-range"),
        spacing="2", width="100%")


def _card(card: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.icon(card["icon"], size=16, color=theme.BRAND, aria_hidden="true"),
                  rx.text(card["label"], size="2", color=theme.MUTED),
                  spacing="2", align="center"),
        rx.text(rx.el.bdi(card["value"]), size="6", weight="bold"),
        rx.badge(card["compared"], color_scheme=card["color"], variant="soft", size="1"),
        spacing="1", align="start", style=theme.card_style(), width="100%",
        class_name="kpis-card", id="kpis-" + card["key"])


def _per_day_chart() -> rx.Component:
    state = DashboardState
    return rx.el.figure(
        rx.heading(t("ui.kpis.per_day"), as_="h2", size="4"),
        rx.box(
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
                rx.recharts.x_axis(data_key="day", tick_size=4, min_tick_gap=16),
                rx.recharts.y_axis(allow_decimals=False, width=40),
                rx.recharts.graphing_tooltip(),
                rx.recharts.legend(),
                rx.recharts.bar(data_key="consumer", stack_id="leads", fill=CONSUMER_COLOR,
                                name=t("ui.kpis.consumer")),
                rx.recharts.bar(data_key="pro", stack_id="leads", fill=PRO_COLOR,
                                name=t("ui.kpis.pro")),
                data=state.per_day, width="100%", height=260,
                # the chart is a picture of the table below: no keyboard stop of its own
                custom_attrs={"accessibilityLayer": False}),
            width="100%", dir="ltr", aria_hidden="true"),
        rx.el.details(
            rx.el.summary(t("ui.kpis.as_table"), min_height="44px", display="flex",
                          align_items="center", cursor="pointer"),
            rx.el.table(
                rx.el.thead(rx.el.tr(rx.el.th(t("ui.kpis.day"), scope="col"),
                                     rx.el.th(t("ui.kpis.consumer"), scope="col"),
                                     rx.el.th(t("ui.kpis.pro"), scope="col"))),
                rx.el.tbody(rx.foreach(state.per_day, lambda d: rx.el.tr(
                    rx.el.td(d["day"]), rx.el.td(d["consumer"]), rx.el.td(d["pro"])))),
                width="100%", font_size="0.875rem"),
            id="kpis-per-day-table"),
        rx.el.figcaption(t("ui.kpis.per_day_caption"), font_size="0.8rem",
                         color=theme.MUTED),
        margin="0", width="100%", style=theme.card_style(), id="kpis-per-day")


def _funnel() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.kpis.funnel"), as_="h2", size="4"),
        rx.el.ol(rx.foreach(DashboardState.funnel, lambda step: rx.el.li(
            rx.hstack(rx.text(step["step"], size="2", weight="medium"), rx.spacer(),
                      rx.text(rx.el.bdi(step["count"]), size="2", weight="bold"),
                      width="100%"),
            rx.box(rx.box(width=step["width"], height="0.6rem", border_radius="4px",
                          background=CONSUMER_COLOR),
                   width="100%", background=rx.color("gray", 3), border_radius="4px"),
            rx.text(step["rate"], size="1", color=theme.MUTED),
            list_style="none", padding_y="0.35rem")),
            padding="0", margin="0", width="100%", id="kpis-funnel"),
        spacing="2", width="100%", style=theme.card_style())


def _queues() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.kpis.queues"), as_="h2", size="4"),
        rx.el.ul(rx.foreach(DashboardState.queues, lambda q: rx.el.li(
            rx.link(rx.hstack(rx.icon(q["icon"], size=16, aria_hidden="true"),
                              rx.text(q["label"], size="2"), rx.spacer(),
                              rx.text(rx.el.bdi(q["value"]), size="2", weight="bold"),
                              width="100%", align="center", min_height="44px"),
                    href=q["href"], underline="none", color="inherit", width="100%"),
            list_style="none", border_bottom=f"1px solid {theme.BORDER}")),
            padding="0", margin="0", width="100%", id="kpis-queues"),
        spacing="2", width="100%", style=theme.card_style())


def admin_home() -> rx.Component:
    return admin_shell(
        rx.vstack(
            rx.vstack(
                rx.heading(t("ui.admin.nav.dashboard"), as_="h1", size="7"),
                rx.text(t("ui.admin.dashboard_subtitle"), color=theme.MUTED, size="2"),
                spacing="1",
            ),
            _picker(),
            error_banner(DashboardState.error),
            rx.grid(rx.foreach(DashboardState.cards, _card),
                    columns=rx.breakpoints(initial="2", md="3"), spacing="3", width="100%"),
            _per_day_chart(),
            rx.grid(_funnel(), _queues(), columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3", width="100%"),
            rx.heading(t("ui.admin.health_title"), as_="h2", size="4", margin_top="0.5rem"),
            _health_card(),
            spacing="4",
            width="100%",
        ),
        active=routes.ADMIN_HOME,
    )
