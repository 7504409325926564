"""`/admin/finance` (b2b settlement): a month's statements for every business (and their CSV
for the accountant), statements whose autopay failed, and tax invoices held for an allocation
number, each with the Tax Authority's reason and a button to ask again."""

from __future__ import annotations

import uuid
from datetime import date

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain import settlement as rules
from ofair_app.domain.errors import AppError
from ofair_app.services import settlement
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    empty_state,
    error_banner,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState, blocking


class AdminFinanceState(SessionState):
    # value (YYYY-MM) and label
    months: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    month: rx.Field[str] = rx.field("")
    statements: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    failures: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    held: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    def _row(self, row: settlement.StatementRow) -> dict[str, str]:
        s, locale = row.statement, self.locale
        return {"id": str(s.id), "business": row.business_name,
                "number": row.business_number, "month": format.month(s.month, locale),
                "amount": format.money(abs(s.amount_due), locale), "status": str(s.status),
                "status_label": self._text(f"ui.invoices.status.{s.status}"),
                "jobs": str(s.jobs), "attempts": str(s.autopay_attempts),
                "blocked": "yes" if rules.overdue(s.status, s.autopay_attempts,
                                                  s.next_attempt_at) else ""}

    async def _load(self, caller) -> None:
        wanted = self.month

        def read(session):
            months = settlement.statement_months(session=session, caller=caller)
            chosen = next((m for m in months if f"{m:%Y-%m}" == wanted), None) or (
                months[0] if months else None)
            rows = (settlement.month_statements(session=session, caller=caller, month=chosen)
                    if chosen else [])
            held = settlement.held_documents(session=session, caller=caller)
            return (months, chosen, rows,
                    settlement.autopay_failures(session=session, caller=caller), held)

        months, chosen, rows, failures, held = await self._as(caller, read)
        locale = self.locale
        self.months = [{"value": f"{m:%Y-%m}", "label": format.month(m, locale)}
                       for m in months]
        self.month = f"{chosen:%Y-%m}" if chosen else ""
        self.statements = [self._row(row) for row in rows]
        self.failures = [self._row(row) for row in failures]
        self.held = [{"id": str(d.id), "business": d.customer_name,
                      "number": d.customer_number,
                      "amount": format.money(d.before_vat, locale),
                      "reason": (self._text("ui.finance.awaiting")
                                 if d.held_reason == settlement.AWAITING_ALLOCATION
                                 else d.held_reason),
                      "when": format.ago(d.created_at, locale)}
                     for d in held]

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        self.error, self.notice = "", ""
        await self._load(caller)
        return None

    @event
    async def choose_month(self, value: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.month = value
        await self._load(caller)
        return None

    @event
    async def export(self):
        caller = await self._admin()
        if caller is None or not self.month:
            return None
        month = date(int(self.month[:4]), int(self.month[5:7]), 1)
        content = await self._as(caller, lambda s: settlement.statements_csv(
            session=s, caller=caller, month=month))
        return rx.download(data=content, filename=f"ofair-statements-{self.month}.csv")

    @event
    async def retry(self, document_id: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        try:
            outcome, _ = await blocking(settlement.retry_allocation, caller=caller,
                                        document_id=uuid.UUID(document_id))
        except AppError as error:
            self.error = self._message(error)
        else:
            self.notice = self._text(f"ui.finance.retry_{outcome}")
        await self._load(caller)
        return None


def _statement(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(row["business"], weight="bold", size="2"),
                  rx.text(rx.el.bdi(row["number"]), " · ", row["month"], size="1",
                          color=theme.MUTED),
                  spacing="0", align="start", min_width="0", flex="1"),
        rx.badge(row["status_label"], radius="full", variant="soft",
                 color_scheme=rx.match(row["status"], ("due", "amber"), ("paid", "green"),
                                       ("credit", "teal"), ("carried", "blue"), "gray")),
        rx.text(rx.el.bdi(row["amount"], dir="ltr"), weight="bold", size="2",
                min_width="6rem", text_align="end"),
        width="100%", align="center", spacing="3", padding_y="0.5rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}", class_name="finance-statement")


def _failure(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(row["business"], weight="bold", size="2"),
                  rx.text(row["month"], " · ", t("ui.finance.attempts"), " ",
                          rx.el.bdi(row["attempts"]), size="1", color=theme.MUTED),
                  spacing="0", align="start", min_width="0", flex="1"),
        rx.cond(row["blocked"] != "",
                rx.badge(t("ui.finance.blocked"), color_scheme="red", radius="full",
                         variant="soft")),
        rx.text(rx.el.bdi(row["amount"], dir="ltr"), weight="bold", size="2"),
        width="100%", align="center", spacing="3", padding_y="0.5rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}", class_name="finance-failure")


def _held(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(row["business"], weight="bold", size="2"),
                  rx.text(rx.el.bdi(row["amount"], dir="ltr"), " · ", row["when"], size="1",
                          color=theme.MUTED),
                  rx.text(row["reason"], size="1", color=rx.color("orange", 11), dir="auto"),
                  spacing="0", align="start", min_width="0", flex="1"),
        rx.button(rx.icon("refresh-cw", size=14, aria_hidden="true"), t("ui.finance.retry"),
                  size="1", variant="soft", on_click=AdminFinanceState.retry(row["id"]),
                  class_name="finance-retry"),
        width="100%", align="center", spacing="3", padding_y="0.5rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}", class_name="finance-held")


def _section(title: str, body: rx.Component, *, element_id: str) -> rx.Component:
    return rx.vstack(rx.heading(t(title), as_="h2", size="4"), body, spacing="2",
                     width="100%", style=theme.card_style(), id=element_id)


def admin_finance() -> rx.Component:
    state = AdminFinanceState
    return admin_shell(
        rx.vstack(
            page_title("ui.finance.title", "ui.finance.subtitle"),
            rx.link(rx.icon("percent", size=14, aria_hidden="true"), t("ui.rules.link"),
                    href=routes.ADMIN_COMMISSION, size="2", id="rules-link",
                    style={"display": "inline-flex", "gap": "0.35rem", "align_items": "center"}),
            error_banner(state.error),
            notice_banner(state.notice),
            _section("ui.finance.statements", rx.vstack(
                rx.cond(state.months.length() > 0, rx.hstack(
                    rx.el.label(t("ui.finance.month"), html_for="finance-month",
                                font_size="0.875rem"),
                    rx.select.root(
                        rx.select.trigger(id="finance-month", min_width="10rem"),
                        rx.select.content(rx.foreach(state.months, lambda m: rx.select.item(
                            m["label"], value=m["value"]))),
                        value=state.month, on_change=state.choose_month, size="2"),
                    rx.spacer(),
                    rx.button(rx.icon("download", size=14, aria_hidden="true"),
                              t("ui.finance.export"), size="2", variant="soft",
                              on_click=state.export, id="finance-export"),
                    width="100%", align="center", spacing="3", wrap="wrap")),
                rx.cond(state.statements.length() > 0,
                        rx.vstack(rx.foreach(state.statements, _statement), spacing="0",
                                  width="100%"),
                        empty_state("ui.finance.no_statements", icon="calendar")),
                spacing="3", width="100%"), element_id="finance-statements"),
            _section("ui.finance.failures", rx.cond(
                state.failures.length() > 0,
                rx.vstack(rx.foreach(state.failures, _failure), spacing="0", width="100%"),
                empty_state("ui.finance.no_failures", icon="circle-check")),
                element_id="finance-failures"),
            _section("ui.finance.held", rx.cond(
                state.held.length() > 0,
                rx.vstack(rx.foreach(state.held, _held), spacing="0", width="100%"),
                empty_state("ui.finance.no_held", icon="circle-check")),
                element_id="finance-held"),
            spacing="4", width="100%"),
        active=routes.ADMIN_FINANCE,
    )
