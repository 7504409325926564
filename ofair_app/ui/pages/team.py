"""`/pro/team`: who works for the business. Owners add colleagues by phone and remove them."""

from __future__ import annotations

import uuid

import reflex as rx

from ofair_app.domain import identity
from ofair_app.domain.errors import AppError
from ofair_app.models import MemberRole
from ofair_app.services import professionals
from ofair_app.ui import routes, theme
from ofair_app.ui.components.forms import error_banner, field, notice_banner, page_title, section
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState, blocking, enum_value


class TeamState(SessionState):
    members: list[dict[str, str]] = []
    is_owner: bool = False
    error: str = ""
    notice: str = ""
    phone_error: str = ""
    form_version: int = 0

    async def _load(self, caller, pid) -> None:
        members = await self._as(caller, lambda s: professionals.list_members(
            session=s, caller=caller, professional_id=pid))
        self.members = [
            {"user_id": str(m.user_id), "name": m.name or "—",
             "phone": identity.display_phone(m.phone or ""), "role": enum_value(m.role),
             "me": "1" if m.user_id == caller.user_id else ""}
            for m in members]
        self.is_owner = any(m.user_id == caller.user_id and m.role == MemberRole.owner
                            for m in members)

    @rx.event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.error, self.notice, self.phone_error = "", "", ""
        try:
            await self._load(caller, self._current_business(caller))
        except AppError as error:
            self.members, self.error = [], self._message(error)
        return None

    @rx.event
    async def add(self, form: dict):
        caller = await self._caller()
        if caller is None or not caller.professional_ids:
            return rx.redirect(routes.LOGIN)
        pid = self._current_business(caller)
        self.error, self.notice, self.phone_error = "", "", ""
        role = MemberRole.owner if form.get("role") == "owner" else MemberRole.staff
        try:
            member = await blocking(
                professionals.add_member_by_phone,
                caller=caller, professional_id=pid, phone=str(form.get("phone", ""))[:40],
                name=str(form.get("name", ""))[:120], role=role, locale=self.locale)
        except AppError as error:
            messages = self._field_messages(error)
            self.phone_error = messages.get("phone", "")
            self.error = "" if self.phone_error else \
                next(iter(messages.values()), self._message(error))
            return None
        self.notice = self._text("ui.team.added",
                                 phone=identity.display_phone(member.phone or ""))
        self.form_version += 1
        await self._load(caller, pid)
        return None

    @rx.event
    async def remove(self, user_id: str):
        caller = await self._caller()
        if caller is None or not caller.professional_ids:
            return rx.redirect(routes.LOGIN)
        pid = self._current_business(caller)
        self.error, self.notice = "", ""
        try:
            await self._as(caller, lambda s: professionals.remove_member(
                session=s, caller=caller, professional_id=pid, user_id=uuid.UUID(user_id)))
        except (AppError, ValueError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else \
                self._text("errors.member.not_found")
            return None
        if user_id == str(caller.user_id):  # left the business
            return rx.redirect(routes.PRO_ONBOARDING)
        await self._load(caller, pid)
        return None


def _member(member: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.center(rx.icon("user-round", size=18, color=theme.BRAND), width="2.4rem",
                  height="2.4rem", border_radius="999px", background=rx.color("teal", 3),
                  flex_shrink="0"),
        rx.vstack(
            rx.hstack(
                rx.text(member["name"], weight="bold", size="2"),
                rx.cond(member["me"] == "1", rx.badge(t("ui.team.you"), variant="soft",
                                                      color_scheme="gray")),
                spacing="2",
                align="center",
            ),
            rx.text(member["phone"], size="1", color=theme.MUTED, dir="ltr"),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.cond(member["role"] == "owner",
                rx.badge(t("ui.team.owner"), color_scheme="teal"),
                rx.badge(t("ui.team.staff"), color_scheme="gray")),
        rx.cond(
            TeamState.is_owner,
            rx.icon_button(rx.icon("user-minus", size=16), variant="ghost", color_scheme="red",
                           size="2", on_click=TeamState.remove(member["user_id"]),
                           aria_label=t("ui.team.remove"), title=t("ui.team.remove")),
        ),
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.7rem",
        border_bottom=f"1px solid {theme.BORDER}",
        class_name="team-member",
    )


def _add_form() -> rx.Component:
    return section(
        "ui.team.add_title",
        rx.form(
            rx.vstack(
                field("ui.team.phone",
                      rx.input(name="phone", id="f-member-phone", type="tel", input_mode="tel",
                               dir="ltr", text_align="start", placeholder="050-123-4567",
                               size="3", width="100%", required=True),
                      TeamState.phone_error, html_for="f-member-phone"),
                field("ui.team.name",
                      rx.input(name="name", id="f-member-name", size="3", width="100%"),
                      html_for="f-member-name"),
                field("ui.team.role",
                      rx.radio_group.root(
                          rx.hstack(
                              rx.radio_group.item(value="staff", id="role-staff"),
                              rx.el.label(t("ui.team.staff"), html_for="role-staff"),
                              rx.radio_group.item(value="owner", id="role-owner"),
                              rx.el.label(t("ui.team.owner"), html_for="role-owner"),
                              spacing="2",
                              align="center",
                          ),
                          name="role",
                          default_value="staff",
                      )),
                rx.button(rx.icon("user-plus", size=16), t("ui.team.add"), type="submit",
                          size="3", id="member-add"),
                spacing="4",
                width="100%",
            ),
            key=TeamState.form_version,
            on_submit=TeamState.add,
            width="100%",
        ),
        subtitle="ui.team.add_note",
    )


def team() -> rx.Component:
    return pro_shell(
        rx.vstack(
            page_title("ui.team.title", "ui.team.subtitle"),
            error_banner(TeamState.error),
            notice_banner(TeamState.notice),
            rx.grid(
                section("ui.team.members",
                        rx.vstack(rx.foreach(TeamState.members, _member), spacing="0",
                                  width="100%", id="team-list")),
                rx.cond(TeamState.is_owner, _add_form(),
                        rx.callout(t("ui.team.owner_only"), icon="info", color_scheme="gray")),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
                align_items="start",
            ),
            spacing="4",
            width="100%",
        ),
        active=routes.PRO_PROFILE,
    )
