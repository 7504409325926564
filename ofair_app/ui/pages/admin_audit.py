"""`/admin/audit`: the audit log (issue 18 point 4). Every admin action and every reveal of a
person's details in one timeline, newest first, narrowed by who acted, the action, its target,
the days and the network; more on request; exported whole as CSV or XLSX by the API's
streamed downloads (a link: the pages' sign-in cookie lets an admin in)."""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.services import audit
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    day_range,
    dict_var,
    empty_state,
    error_banner,
    field,
    form,
    page_title,
)
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.state.days import DaysMixin, FilteredListMixin
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState

FILTERS = ("who", "action", "subject", "ip", "since", "until")
PAGE = 50


class AdminAuditState(FilteredListMixin, DaysMixin, SessionState):
    def _filter_names(self) -> tuple[str, ...]:
        return FILTERS

    @rx.var
    def export_query(self) -> str:
        return urlencode({k: v for k, v in self.applied.items() if v})

    def _row(self, row: audit.AuditRow) -> dict[str, str]:
        return {"key": f"{row.source}:{row.id}", "at": format.moment(row.at, self.locale),
                "action": row.action, "actor": row.actor_name or str(row.actor_user_id or ""),
                "subject": row.subject, "ip": row.ip,
                "detail": "" if row.detail in ("{}", "") else row.detail[:160],
                "source": self._text(f"ui.audit.source.{row.source}")}

    async def _load(self, caller, *, more: bool = False) -> None:
        wanted, cursor = dict(self.applied), (self.cursor if more else None)

        def read(session):
            query = audit.narrowing(session=session, **wanted)
            if query is None:
                return [], None
            return audit.timeline(session=session, caller=caller, query=query,
                                  cursor=cursor, limit=PAGE)

        try:
            rows, next_cursor = await self._as(caller, read)
        except AppError as error:
            self.errors = self._field_messages(error)
            self.error = "" if self.errors else self._message(error)
            return
        shown = [self._row(row) for row in rows]
        self.rows = [*self.rows, *shown] if more else shown
        self.cursor = next_cursor or ""

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        self.error, self.errors, self.applied = "", {}, {}
        await self._load(caller)
        return None


def _input(name: str, label: str, *, kind: str = "text", hint: str = "",
           placeholder: str = "") -> rx.Component:
    element_id = f"audit-{name}"
    return field(label, rx.input(name=name, id=element_id, type=kind, size="2",
                                 placeholder=placeholder, dir="ltr" if kind != "text" or
                                 name in ("ip", "subject", "action") else "auto",
                                 width="100%"),
                 error=dict_var(AdminAuditState.errors).get(name, ""), hint=hint,
                 html_for=element_id)


def _download(kind: str, icon: str, label: str) -> rx.Component:
    """A plain link to the API's streamed export (the router would take a framework link
    for a page of its own); the narrowing shown is the one exported."""
    return rx.el.a(
        rx.icon(icon, size=14, aria_hidden="true"), t(label),
        href=f"/api/v1/admin/audit.{kind}?{AdminAuditState.export_query}",
        download=f"ofair-audit.{kind}", id=f"audit-export-{kind}",
        custom_attrs={"reloadDocument": True},  # the router leaves the click to the browser
        style={"display": "inline-flex", "align_items": "center", "gap": "0.3rem",
               "min_height": "44px", "padding_inline": "0.25rem",
               "color": theme.BRAND, "font_weight": "500", "font_size": "0.875rem",
               "text_decoration": "underline", "text_underline_offset": "3px"})


def _filters() -> rx.Component:
    return form(
        rx.grid(
            _input("who", "ui.audit.who", hint="ui.audit.who_hint"),
            _input("action", "ui.audit.action", placeholder="settlement."),
            _input("subject", "ui.audit.subject", placeholder="lead:"),
            _input("ip", "ui.audit.ip", placeholder="10.1."),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"), spacing="3", width="100%"),
        rx.box(day_range(AdminAuditState, "audit", dict_var(AdminAuditState.errors)), width="100%",
               max_width="40rem", padding_top="0.75rem"),
        rx.hstack(
            rx.button(rx.icon("search", size=14, aria_hidden="true"), t("ui.audit.apply"),
                      type="submit", size="2", id="audit-apply"),
            rx.spacer(),
            _download("csv", "download", "ui.audit.export_csv"),
            _download("xlsx", "sheet", "ui.audit.export_xlsx"),
            width="100%", align="center", spacing="4", wrap="wrap", padding_top="0.5rem"),
        on_submit=AdminAuditState.apply, width="100%", id="audit-filters")


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                rx.hstack(rx.code(row["action"], size="2", variant="ghost", dir="ltr"),
                          rx.badge(row["source"], variant="soft", radius="full",
                                   color_scheme="gray"),
                          spacing="2", align="center", wrap="wrap"),
                rx.text(rx.el.bdi(row["actor"]), " → ", rx.el.bdi(row["subject"], dir="ltr"),
                        size="2"),
                rx.cond(row["detail"] != "",
                        rx.text(row["detail"], size="1", color=theme.MUTED, dir="auto",
                                overflow_wrap="anywhere")),
                spacing="1", align="start", min_width="0", flex="1"),
            rx.vstack(rx.text(row["at"], size="1", white_space="nowrap"),
                      rx.text(rx.el.bdi(row["ip"], dir="ltr"), size="1", color=theme.MUTED),
                      spacing="0", align="end"),
            width="100%", align="start", spacing="3"),
        padding_y="0.6rem", border_bottom=f"1px solid {rx.color('gray', 4)}",
        list_style="none", class_name="audit-row")


def admin_audit() -> rx.Component:
    state = AdminAuditState
    return admin_shell(
        rx.vstack(
            page_title("ui.audit.title", "ui.audit.subtitle"),
            error_banner(state.error),
            rx.box(_filters(), width="100%", style=theme.card_style()),
            rx.box(
                rx.cond(
                    state.rows.length() > 0,
                    rx.vstack(
                        rx.el.ul(rx.foreach(state.rows, _row), padding="0", margin="0",
                                 width="100%", id="audit-rows",
                                 aria_label=t("ui.audit.title")),
                        rx.cond(state.cursor != "",
                                rx.button(t("ui.audit.more"), variant="soft", size="2",
                                          on_click=state.more, id="audit-more")),
                        spacing="3", width="100%", align="center"),
                    empty_state("ui.audit.empty", icon="scroll-text")),
                width="100%", style=theme.card_style()),
            spacing="4", width="100%"),
        active=routes.ADMIN_AUDIT,
    )
