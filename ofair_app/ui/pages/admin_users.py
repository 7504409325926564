"""`/admin/users`: people and their businesses (issue 18 point 3). An admin finds a person by
phone, e-mail, business number or name, opens their page (businesses, leads, sign-ins), and
suspends or reinstates them or changes their role: each after a confirmation that asks why,
each audited with before and after."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.services import admin_users
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    confirm_dialog,
    dict_var,
    empty_state,
    error_banner,
    field,
    form,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState

ROLES = ("consumer", "professional", "admin")


class AdminUsersState(SessionState):
    q: rx.Field[str] = rx.field("")
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    cursor: rx.Field[str] = rx.field("")
    person: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    user_businesses: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    leads: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    sign_ins: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    reason: rx.Field[str] = rx.field("")
    new_role: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    def _summary(self, found: admin_users.UserSummary) -> dict[str, str]:
        user = found.user
        return {"id": str(user.id), "name": user.name or "—",
                "contact": format.joined(format.phone(user.phone), user.email or ""),
                "role": self._text(f"ui.users.role.{user.role}"),
                "suspended": "" if user.is_active else self._text("ui.users.suspended"),
                "businesses": ", ".join(b.business_name for b in found.businesses)}

    async def _search(self, caller, *, more: bool = False) -> None:
        q, cursor = self.q, (self.cursor if more else None)
        try:
            found, next_cursor = await self._as(caller, lambda s: admin_users.search(
                session=s, caller=caller, q=q, cursor=cursor))
        except AppError as error:
            self.error = self._message(error)
            return
        rows = [self._summary(f) for f in found]
        self.rows = [*self.rows, *rows] if more else rows
        self.cursor = next_cursor or ""

    async def _show(self, caller, user_id: uuid.UUID) -> None:
        found = await self._as(caller, lambda s: admin_users.detail(
            session=s, caller=caller, user_id=user_id))
        user, locale = found.user, self.locale
        self.person = {"id": str(user.id), "name": user.name or "—",
                       "contact": format.joined(format.phone(user.phone), user.email or ""),
                       "role": str(user.role),
                       "role_label": self._text(f"ui.users.role.{user.role}"),
                       "active": "yes" if user.is_active else "",
                       "closed": "yes" if user.closed_at else "",
                       "since": format.long_day(user.created_at.date(), locale)
                       if user.created_at else "",
                       "leads_posted": str(found.leads_posted)}
        self.new_role = str(user.role)
        self.user_businesses = [{"name": b.business_name, "number": b.business_number,
                            "member": self._text(f"ui.users.member.{b.member_role}"),
                            "status": self._text(f"ui.users.business.{b.status}")}
                           for b in found.businesses]
        self.leads = [{"id": str(lead.id), "title": lead.title,
                       "status": self._text(f"ui.lead_status.{lead.status}"),
                       "when": format.day(lead.created_at.date(), locale)}
                      for lead in found.recent_leads]
        self.sign_ins = [{"started": format.moment(s.started_at, locale),
                          "used": format.moment(s.last_used_at, locale) if s.last_used_at
                          else "",
                          "ended": format.moment(s.revoked_at, locale) if s.revoked_at
                          else "",
                          "device": s.user_agent[:80]} for s in found.sign_ins]

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        self.error, self.notice, self.person, self.q = "", "", {}, ""
        await self._search(caller)
        return None

    @event
    async def find(self, form_data: dict):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        self.q = str(form_data.get("q", "") or "")[:120]
        await self._search(caller)
        return None

    @event
    async def more(self):
        caller = await self._admin()
        if caller is None or not self.cursor:
            return None
        await self._search(caller, more=True)
        return None

    @event
    async def select(self, user_id: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice, self.reason = "", "", ""
        try:
            await self._show(caller, uuid.UUID(user_id))
        except (AppError, ValueError) as error:
            self.error = (self._message(error) if isinstance(error, AppError)
                          else self._text("errors.admin.no_user"))
        return None

    @event
    def close(self):
        self.person, self.reason = {}, ""

    @event
    def set_reason(self, value: str):
        self.reason = value

    @event
    def set_new_role(self, value: str):
        self.new_role = value

    async def _change(self, change, notice: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        ip, reason = self.router.session.client_ip[:64], self.reason
        try:
            user_id = uuid.UUID(self.person.get("id", ""))
            await self._as(caller, lambda s: change(s, caller, user_id, reason, ip))
        except ValueError:
            self.error = self._text("errors.admin.no_user")
            return None
        except AppError as error:
            fields = self._field_messages(error)
            self.error = " ".join(fields.values()) if fields else self._message(error)
            return None
        self.notice, self.reason = self._text(notice, name=self.person.get("name", "")), ""
        await self._show(caller, user_id)
        await self._search(caller)
        return None

    @event
    async def suspend(self):
        return await self._change(lambda s, c, uid, reason, ip: admin_users.set_suspended(
            session=s, caller=c, user_id=uid, suspended=True, reason=reason, ip=ip),
            "ui.users.suspended_notice")

    @event
    async def reinstate(self):
        return await self._change(lambda s, c, uid, reason, ip: admin_users.set_suspended(
            session=s, caller=c, user_id=uid, suspended=False, reason=reason, ip=ip),
            "ui.users.reinstated_notice")

    @event
    async def change_role(self):
        role = self.new_role
        return await self._change(lambda s, c, uid, reason, ip: admin_users.set_role(
            session=s, caller=c, user_id=uid, role=role, reason=reason, ip=ip),
            "ui.users.role_notice")


def _reason() -> rx.Component:
    return rx.vstack(
        rx.el.label(t("ui.users.reason"), html_for="users-reason", font_weight="500",
                    font_size="0.9rem"),
        rx.text_area(value=AdminUsersState.reason, on_change=AdminUsersState.set_reason,
                     id="users-reason", rows="3", width="100%", max_length=500),
        spacing="1", width="100%", margin_top="0.75rem")


def _dialog_body(key: str) -> rx.Component:
    return rx.vstack(rx.text(t(key)), _reason(), spacing="1", width="100%")


def _person_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.vstack(
                rx.hstack(rx.text(row["name"], weight="bold", size="2"),
                          rx.badge(row["role"], variant="soft", radius="full"),
                          rx.cond(row["suspended"] != "",
                                  rx.badge(row["suspended"], color_scheme="red",
                                           variant="soft", radius="full")),
                          spacing="2", align="center", wrap="wrap"),
                rx.text(row["contact"], size="1", color=theme.MUTED),
                rx.cond(row["businesses"] != "",
                        rx.text(row["businesses"], size="1", color=theme.MUTED)),
                spacing="1", align="start", min_width="0", flex="1"),
            rx.button(t("ui.users.open"), size="1", variant="soft",
                      on_click=AdminUsersState.select(row["id"]), class_name="users-open",
                      aria_label=t("ui.users.open")),
            width="100%", align="center", spacing="3"),
        padding_y="0.6rem", border_bottom=f"1px solid {rx.color('gray', 4)}",
        list_style="none", class_name="users-row")


def _facts(title: str, rows: ArrayVar[Sequence[dict[str, str]]],
           render: Callable[[ObjectVar[dict[str, str]]], rx.Component],
           empty: str) -> rx.Component:
    return rx.vstack(
        rx.heading(t(title), as_="h3", size="3"),
        rx.cond(rows.length() > 0,
                rx.el.ul(rx.foreach(rows, render), padding="0", margin="0", width="100%"),
                rx.text(t(empty), size="2", color=theme.MUTED)),
        spacing="2", width="100%")


def _line(*parts) -> rx.Component:
    return rx.el.li(rx.text(*parts, size="2"), list_style="none", padding_y="0.25rem",
                    border_bottom=f"1px solid {rx.color('gray', 3)}")


def _person() -> rx.Component:
    state, person = AdminUsersState, dict_var(AdminUsersState.person)
    active = person.get("active", "") != ""
    return rx.vstack(
        rx.hstack(
            rx.heading(person.get("name", ""), as_="h2", size="5"),
            rx.spacer(),
            rx.button(rx.icon("x", size=14, aria_hidden="true"), t("ui.users.close"),
                      size="1", variant="ghost", on_click=state.close, id="users-close"),
            width="100%", align="center"),
        rx.text(person.get("contact", ""), size="2", color=theme.MUTED),
        rx.hstack(rx.badge(person.get("role_label", ""), variant="soft", radius="full"),
                  rx.cond(active, rx.badge(t("ui.users.active"), color_scheme="green",
                                           variant="soft", radius="full"),
                          rx.badge(t("ui.users.suspended"), color_scheme="red",
                                   variant="soft", radius="full")),
                  rx.text(t("ui.users.since"), " ", person.get("since", ""), size="1",
                          color=theme.MUTED),
                  spacing="2", align="center", wrap="wrap", id="users-status"),
        _facts("ui.users.businesses", state.user_businesses, lambda b: _line(
            rx.text.strong(b["name"]), " · ", rx.el.bdi(b["number"]), " · ", b["member"],
            " · ", b["status"]), "ui.users.no_businesses"),
        rx.text(t("ui.users.leads_posted"), " ", rx.el.bdi(person.get("leads_posted", "0")),
                size="2", weight="medium"),
        _facts("ui.users.recent_leads", state.leads, lambda lead: _line(
            lead["title"], " · ", lead["status"], " · ", lead["when"]), "ui.users.no_leads"),
        _facts("ui.users.sign_ins", state.sign_ins, lambda s: _line(
            s["started"], rx.cond(s["used"] != "", rx.fragment(" · ", t("ui.users.used"), " ",
                                                                s["used"])),
            rx.cond(s["ended"] != "", rx.fragment(" · ", t("ui.users.ended"), " ",
                                                  s["ended"]))), "ui.users.no_sign_ins"),
        rx.cond(person.get("closed", "") == "", rx.hstack(
            rx.cond(active,
                    confirm_dialog(
                        rx.button(rx.icon("ban", size=15, aria_hidden="true"),
                                  t("ui.users.suspend"), color_scheme="red", variant="soft",
                                  id="users-suspend"),
                        "ui.users.suspend_title", _dialog_body("ui.users.suspend_body"),
                        "ui.users.suspend", state.suspend),
                    confirm_dialog(
                        rx.button(rx.icon("rotate-ccw", size=15, aria_hidden="true"),
                                  t("ui.users.reinstate"), variant="soft",
                                  id="users-reinstate"),
                        "ui.users.reinstate_title", _dialog_body("ui.users.reinstate_body"),
                        "ui.users.reinstate", state.reinstate, color="teal")),
            rx.spacer(),
            rx.el.label(t("ui.users.role"), html_for="users-role", font_size="0.875rem"),
            rx.select.root(
                rx.select.trigger(id="users-role", min_width="9rem"),
                rx.select.content(*[rx.select.item(t(f"ui.users.role.{r}"), value=r)
                                    for r in ROLES]),
                value=state.new_role, on_change=state.set_new_role, size="2"),
            confirm_dialog(
                rx.button(t("ui.users.change_role"), variant="soft", id="users-change-role",
                          disabled=state.new_role == person.get("role", "")),
                "ui.users.role_title", _dialog_body("ui.users.role_body"),
                "ui.users.change_role", state.change_role, color="teal"),
            width="100%", align="center", spacing="3", wrap="wrap", padding_top="0.5rem")),
        spacing="3", width="100%", style=theme.card_style(), id="users-person")


def admin_users_page() -> rx.Component:
    state = AdminUsersState
    return admin_shell(
        rx.vstack(
            page_title("ui.users.title", "ui.users.subtitle"),
            error_banner(state.error),
            notice_banner(state.notice),
            rx.cond(dict_var(state.person).get("id", "") != "", _person()),
            rx.box(
                form(rx.hstack(
                    rx.box(field("ui.users.search", rx.input(
                        name="q", id="users-q", size="2", width="100%",
                        default_value=state.q), hint="ui.users.search_hint",
                        html_for="users-q"), flex="1", min_width="12rem"),
                    rx.button(rx.icon("search", size=14, aria_hidden="true"),
                              t("ui.users.find"), type="submit", size="2", id="users-find"),
                    align="end", spacing="3", width="100%", wrap="wrap"),
                    on_submit=state.find, width="100%"),
                width="100%", style=theme.card_style()),
            rx.box(
                rx.cond(state.rows.length() > 0,
                        rx.vstack(
                            rx.el.ul(rx.foreach(state.rows, _person_row), padding="0",
                                     margin="0", width="100%", id="users-rows",
                                     aria_label=t("ui.users.title")),
                            rx.cond(state.cursor != "",
                                    rx.button(t("ui.users.more"), variant="soft", size="2",
                                              on_click=state.more, id="users-more")),
                            spacing="3", width="100%", align="center"),
                        empty_state("ui.users.empty", icon="users")),
                width="100%", style=theme.card_style()),
            spacing="4", width="100%"),
        active=routes.ADMIN_USERS,
    )
