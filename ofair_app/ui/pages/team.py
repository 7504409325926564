"""`/pro/team`: who works for the business, and who was invited.

Owners invite colleagues by phone (they join only once they accept, at `/invitations`), resend
or cancel open invitations, make a member an owner or staff again, and remove people. Anyone
may leave, except the last owner.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable

import reflex as rx
from reflex.vars import ObjectVar
from sqlmodel import Session

from ofair_app.db.engine import Caller
from ofair_app.domain.errors import AppError, NotFound
from ofair_app.domain.invitations import InvitationStatus
from ofair_app.models import MemberRole
from ofair_app.services import invitations, professionals
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    confirm_dialog,
    error_banner,
    field,
    form,
    notice_banner,
    page_title,
    section,
)
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import LocaleState, t, t_with
from ofair_app.ui.state.session import SessionState, enum_value, login_url


@dataclasses.dataclass
class TeamMember:
    user_id: str
    name: str
    phone: str
    role: str
    me: bool


@dataclasses.dataclass
class PendingInvitation:
    id: str
    target: str  # the phone (or e-mail) as the owner gave it
    # Both languages, so the language switch needs no reload.
    expires_he: str
    expires_en: str
    send_count: int


class TeamState(SessionState):
    members: rx.Field[list[TeamMember]] = rx.field(default_factory=list)
    pending: rx.Field[list[PendingInvitation]] = rx.field(default_factory=list)
    is_owner: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    phone_error: rx.Field[str] = rx.field("")
    form_version: rx.Field[int] = rx.field(0)
    # A member action started from the member's menu waits here for its confirmation.
    asking: rx.Field[str] = rx.field("")  # "remove" or "owner"
    asking_user: rx.Field[str] = rx.field("")
    asking_name: rx.Field[str] = rx.field("")

    async def _read(self, caller, pid):
        def read(session):
            members = professionals.list_members(session=session, caller=caller,
                                                 professional_id=pid)
            pending = invitations.list_invitations(session=session, caller=caller,
                                                   professional_id=pid,
                                                   status=InvitationStatus.pending)
            return members, pending

        members, pending = await self._as(caller, read)
        return (
            [TeamMember(user_id=str(m.user_id), name=m.name or "—",
                        phone=format.phone(m.phone), role=enum_value(m.role),
                        me=m.user_id == caller.user_id) for m in members],
            [PendingInvitation(id=str(i.id), target=format.phone(i.phone) or (i.email or ""),
                               expires_he=format.day(i.expires_at.date(), "he"),
                               expires_en=format.day(i.expires_at.date(), "en"),
                               send_count=i.send_count) for i in pending],
            any(m.user_id == caller.user_id and m.role == MemberRole.owner for m in members),
        )

    @rx.var
    def can_leave(self) -> bool:
        """Anyone may leave but the last owner (the service refuses it too): the button is
        not offered to someone it would only tell no."""
        owners = [m for m in self.members if m.role == MemberRole.owner.value]
        return not (self.is_owner and len(owners) <= 1)

    async def _reload(self, caller, pid) -> None:
        self.members, self.pending, self.is_owner = await self._read(caller, pid)

    async def _acting(self):
        """The caller and the business this tab acts for, checked again on every event."""
        caller = await self._caller()
        if caller is None or not caller.professional_ids:
            return None, None
        return caller, self._current_business(caller)

    async def _run(self, caller, work):
        """Run `work(session)` as the caller off the event loop; an AppError becomes the
        page's message (and None is returned)."""
        try:
            return await self._as(caller, work), True
        except AppError as error:
            self.error = self._message(error)
            return None, False

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.error, self.notice, self.phone_error = "", "", ""
        try:
            await self._reload(caller, self._current_business(caller))
        except AppError as error:
            self.members, self.pending, self.error = [], [], self._message(error)
        return None

    @event
    async def invite(self, form: dict):
        caller, pid = await self._acting()
        if caller is None:
            return rx.redirect(login_url(routes.PRO_TEAM))
        self.error, self.notice, self.phone_error = "", "", ""
        phone, locale = str(form.get("phone", ""))[:40], self.locale
        try:
            invitation = await self._as(caller, lambda s: (
                invitations.invite_member(session=s, caller=caller, professional_id=pid,
                                          phone=phone, locale=locale)))
        except AppError as error:
            self.phone_error = self._field_messages(error).get("phone", "")
            self.error = "" if self.phone_error else self._message(error)
            return None
        self.notice = self._text("ui.team.invited", phone=format.phone(invitation.phone))
        self.form_version += 1
        await self._reload(caller, pid)
        return None

    async def _change(self, work: Callable[[Session, Caller, uuid.UUID], object],
                      notice: str = ""):
        """One action on the team: who acts and for which business (checked again), the
        change off the event loop, then its notice or error and the lists as they are now."""
        caller, pid = await self._acting()
        if caller is None:
            return rx.redirect(login_url(routes.PRO_TEAM))
        self.error, self.notice = "", ""
        _, done = await self._run(caller, lambda s: work(s, caller, pid))
        if done and notice:
            self.notice = self._text(notice)
        await self._reload(caller, pid)
        return None

    @event
    async def resend(self, invitation_id: str):
        locale = self.locale
        return await self._change(lambda s, caller, pid: invitations.resend_invitation(
            session=s, caller=caller, professional_id=pid,
            invitation_id=_id(invitation_id, "errors.invitation.not_found"), locale=locale),
            notice="ui.team.resent")

    @event
    async def cancel(self, invitation_id: str):
        return await self._change(lambda s, caller, pid: invitations.cancel_invitation(
            session=s, caller=caller, professional_id=pid,
            invitation_id=_id(invitation_id, "errors.invitation.not_found")),
            notice="ui.team.cancelled")

    @event
    async def set_role(self, user_id: str, role: str):
        def change(session: Session, caller: Caller, pid: uuid.UUID) -> None:
            if role not in {r.value for r in MemberRole}:
                raise NotFound("errors.member.not_found")
            professionals.change_member_role(
                session=session, caller=caller, professional_id=pid,
                user_id=_id(user_id, "errors.member.not_found"), role=MemberRole(role))

        return await self._change(change)

    @event
    def ask(self, action: str, user_id: str, name: str):
        """Open the confirmation of a member action (nothing changes until it is confirmed)."""
        self.asking, self.asking_user, self.asking_name = action, user_id, name

    @event
    def stop_asking(self, still_open: bool = False):
        if not still_open:
            self.asking, self.asking_user, self.asking_name = "", "", ""

    @event
    async def confirmed(self):
        """The confirmed member action: remove the member, or make them an owner."""
        action, user_id = self.asking, self.asking_user
        self.asking, self.asking_user, self.asking_name = "", "", ""
        if action == "remove":
            return TeamState.remove(user_id)
        if action == "owner":
            return TeamState.set_role(user_id, "owner")
        return None

    @event
    async def remove(self, user_id: str):
        return await self._change(lambda s, caller, pid: professionals.remove_member(
            session=s, caller=caller, professional_id=pid,
            user_id=_id(user_id, "errors.member.not_found")))

    @event
    async def leave(self):
        caller, pid = await self._acting()
        if caller is None:
            return rx.redirect(login_url(routes.PRO_TEAM))
        self.error, self.notice = "", ""
        _, done = await self._run(caller, lambda s: professionals.leave_business(
            session=s, caller=caller, professional_id=pid))
        if done:
            self.business_choice = ""
            return rx.redirect(routes.PRO_HOME)
        return None


def _id(value: str, missing: str) -> uuid.UUID:
    """A row id the browser sent; anything else is the row not found (any client may call any
    handler with any argument)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(missing) from None


def _avatar(icon: str) -> rx.Component:
    return rx.center(rx.icon(icon, size=18, color=theme.BRAND), width="2.4rem",
                     height="2.4rem", border_radius="999px", background=rx.color("teal", 3),
                     flex_shrink="0")


def _member_actions(member: ObjectVar[TeamMember]) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.icon_button(rx.icon("ellipsis-vertical", size=16), variant="ghost",
                                       color_scheme="gray", size="2",
                                       aria_label=t("ui.team.actions"),
                                       class_name="member-actions")),
        rx.menu.content(
            rx.cond(
                member.role == "owner",
                rx.menu.item(rx.icon("user-round", size=14), t("ui.team.make_staff"),
                             on_click=TeamState.set_role(member.user_id, "staff")),
                rx.menu.item(rx.icon("crown", size=14), t("ui.team.make_owner"),
                             on_click=TeamState.ask("owner", member.user_id, member.name),
                             class_name="make-owner"),
            ),
            rx.cond(
                ~member.me,
                rx.fragment(
                    rx.menu.separator(),
                    rx.menu.item(rx.icon("user-minus", size=14), t("ui.team.remove"),
                                 color_scheme="red", class_name="remove-member",
                                 on_click=TeamState.ask("remove", member.user_id,
                                                        member.name)),
                ),
            ),
        ),
    )


def _member(member: ObjectVar[TeamMember]) -> rx.Component:
    return rx.hstack(
        _avatar("user-round"),
        rx.vstack(
            rx.hstack(
                rx.text(member.name, weight="bold", size="2", overflow="hidden",
                        text_overflow="ellipsis", white_space="nowrap"),
                rx.cond(member.me, rx.badge(t("ui.team.you"), variant="soft",
                                            color_scheme="gray")),
                spacing="2",
                align="center",
                min_width="0",
            ),
            rx.text(member.phone, size="1", color=theme.MUTED, dir="ltr"),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.cond(member.role == "owner",
                rx.badge(t("ui.team.owner"), color_scheme="teal"),
                rx.badge(t("ui.team.staff"), color_scheme="gray")),
        rx.cond(TeamState.is_owner, _member_actions(member)),
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.7rem",
        border_bottom=f"1px solid {theme.BORDER}",
        class_name="team-member",
    )


def _pending(invitation: ObjectVar[PendingInvitation]) -> rx.Component:
    return rx.hstack(
        _avatar("mail"),
        rx.vstack(
            rx.text(invitation.target, weight="bold", size="2", dir="ltr",
                    text_align="start"),
            rx.text(t("ui.team.expires_on"), " ",
                    rx.cond(LocaleState.locale == "en", invitation.expires_en,
                            invitation.expires_he), size="1",
                    color=theme.MUTED),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.badge(t("ui.team.pending"), color_scheme="amber", variant="soft"),
        rx.cond(
            TeamState.is_owner,
            rx.hstack(
                rx.icon_button(rx.icon("rotate-cw", size=16), variant="ghost", size="2",
                               on_click=TeamState.resend(invitation.id),
                               aria_label=t("ui.team.resend"), title=t("ui.team.resend"),
                               class_name="invitation-resend"),
                confirm_dialog(
                    rx.icon_button(rx.icon("x", size=16), variant="ghost", color_scheme="red",
                                   size="2", aria_label=t("ui.team.cancel"),
                                   title=t("ui.team.cancel"), class_name="invitation-cancel"),
                    t_with("ui.team.cancel_title", target=invitation.target),
                    "ui.team.cancel_body", "ui.team.cancel", TeamState.cancel(invitation.id),
                    confirm_class="confirm-cancel-invitation"),
                spacing="1",
            ),
        ),
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.7rem",
        border_bottom=f"1px solid {theme.BORDER}",
        class_name="team-invitation",
    )


def _invite_form() -> rx.Component:
    return section(
        "ui.team.invite_title",
        form(
            rx.vstack(
                field("ui.team.phone",
                      rx.input(name="phone", id="f-member-phone", type="tel", input_mode="tel",
                               dir="ltr", text_align="start", placeholder="050-123-4567",
                               size="3", width="100%"),
                      TeamState.phone_error, html_for="f-member-phone", required=True),
                rx.button(rx.icon("send", size=16), t("ui.team.invite"), type="submit",
                          size="3", id="member-invite", width="100%"),
                spacing="4",
                width="100%",
            ),
            key=TeamState.form_version,
            on_submit=TeamState.invite,
            width="100%",
        ),
        subtitle="ui.team.invite_note",
    )


def _team_list() -> rx.Component:
    return section(
        "ui.team.members",
        rx.vstack(rx.foreach(TeamState.members, _member), spacing="0", width="100%",
                  id="team-list"),
        rx.cond(
            TeamState.pending.length() > 0,
            rx.vstack(
                rx.heading(t("ui.team.pending_title"), as_="h3", size="3"),
                rx.vstack(rx.foreach(TeamState.pending, _pending), spacing="0",
                          width="100%"),
                spacing="2",
                width="100%",
                id="team-pending",
            ),
        ),
        rx.cond(
            TeamState.can_leave,
            confirm_dialog(
                rx.button(rx.icon("log-out", size=16), t("ui.team.leave"), variant="ghost",
                          color_scheme="red", size="2", id="team-leave"),
                "ui.team.leave_title", "ui.team.leave_body", "ui.team.leave", TeamState.leave,
                confirm_class="confirm-leave"),
        ),
        # the member actions started from a member's menu
        confirm_dialog(None, t_with("ui.team.remove_title", name=TeamState.asking_name),
                       "ui.team.remove_body", "ui.team.remove", TeamState.confirmed,
                       open=TeamState.asking == "remove", on_open_change=TeamState.stop_asking,
                       confirm_class="confirm-remove"),
        confirm_dialog(None, t_with("ui.team.make_owner_title", name=TeamState.asking_name),
                       "ui.team.make_owner_body", "ui.team.make_owner", TeamState.confirmed,
                       color="teal", open=TeamState.asking == "owner",
                       on_open_change=TeamState.stop_asking, confirm_class="confirm-owner"),
    )


def team() -> rx.Component:
    return pro_shell(
        rx.vstack(
            page_title("ui.team.title", "ui.team.subtitle"),
            error_banner(TeamState.error),
            notice_banner(TeamState.notice),
            rx.grid(
                _team_list(),
                rx.cond(TeamState.is_owner, _invite_form(),
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
