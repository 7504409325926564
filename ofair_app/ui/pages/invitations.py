"""`/invitations`: team invitations addressed to the signed-in person, to accept or decline.

The invitation SMS links here; a visitor signs in first (`/login?next=/invitations`). Joining
happens only on "Join the team", and the business learns nothing about someone who declines.
"""

from __future__ import annotations

import dataclasses
import uuid

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.services import invitations
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    confirm_dialog,
    error_banner,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.shells import consumer_shell, guarded
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import LocaleState, t, t_with
from ofair_app.ui.state.session import SessionState, login_url


@dataclasses.dataclass
class InvitationCard:
    id: str
    business_name: str
    role: str
    # Both languages, so the language switch needs no reload.
    expires_he: str
    expires_en: str


class InvitationsState(SessionState):
    items: rx.Field[list[InvitationCard]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    # Set after accepting: the business to go to.
    joined: rx.Field[bool] = rx.field(False)

    async def _read(self, caller) -> list[InvitationCard]:
        mine = await self._as(caller,
                              lambda s: invitations.my_invitations(session=s, caller=caller))
        return [InvitationCard(id=str(i.id), business_name=i.business_name, role=str(i.role),
                               expires_he=format.day(i.expires_at.date(), "he"),
                               expires_en=format.day(i.expires_at.date(), "en"))
                for i in mine]

    async def _reload(self, caller) -> None:
        self.items = await self._read(caller)
        self.pending_invitations = len(self.items)

    @event
    async def open(self):
        caller, redirect = await self._guard("login")
        if caller is None:
            return redirect
        self.error, self.notice, self.joined = "", "", False
        await self._reload(caller)
        return None

    async def _answer(self, invitation_id: str, accept: bool):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(login_url(routes.INVITATIONS))
        self.error, self.notice = "", ""
        card = next((c for c in self.items if c.id == invitation_id), None)
        try:
            wanted = uuid.UUID(invitation_id)
            if accept:
                business = await self._as(caller, lambda s: (
                    invitations.accept_invitation(session=s, caller=caller,
                                                  invitation_id=wanted)))
                # Act for the business just joined from now on.
                self.business_choice = str(business.id)
                self.joined = True
                self.notice = self._text("ui.invitations.joined", business=business.business_name)
            else:
                await self._as(caller, lambda s: (
                    invitations.decline_invitation(session=s, caller=caller,
                                                   invitation_id=wanted)))
                self.notice = self._text("ui.invitations.declined",
                                         business=card.business_name if card else "")
        except ValueError:
            self.error = self._text("errors.invitation.not_found")
        except AppError as error:
            self.error = self._message(error)
        await self._reload(caller)
        return None

    @event
    async def accept(self, invitation_id: str):
        return await self._answer(invitation_id, accept=True)

    @event
    async def decline(self, invitation_id: str):
        return await self._answer(invitation_id, accept=False)


# Full width when stacked (a flex basis of 0 would flatten them), half each side by side.
_HALF = {"width": rx.breakpoints(initial="100%", sm="auto"),
         "flex": rx.breakpoints(initial="none", sm="1")}


def _card(card: ObjectVar[InvitationCard]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.center(rx.icon("building-2", size=20, color=theme.BRAND), width="2.75rem",
                      height="2.75rem", border_radius="999px", background=rx.color("teal", 3),
                      flex_shrink="0"),
            rx.vstack(
                rx.text(card.business_name, weight="bold", size="3", dir="auto"),
                rx.text(t("ui.invitations.as_staff"), size="2", color=theme.MUTED),
                spacing="0",
                min_width="0",
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        rx.text(t("ui.invitations.explain"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.text(t("ui.team.expires_on"), " ",
                rx.cond(LocaleState.locale == "en", card.expires_en, card.expires_he),
                size="1", color=theme.MUTED),
        # Stacked on a phone (thumb-sized, "join" first), side by side when there is room.
        rx.flex(
            rx.button(rx.icon("check", size=16), t("ui.invitations.accept"), size="3",
                      on_click=InvitationsState.accept(card.id), **_HALF,
                      white_space="nowrap", class_name="invitation-accept"),
            rx.box(confirm_dialog(
                rx.button(t("ui.invitations.decline"), size="3", variant="soft",
                          color_scheme="gray", width="100%", white_space="nowrap",
                          class_name="invitation-decline"),
                t_with("ui.invitations.decline_title", business=card.business_name),
                "ui.invitations.decline_body", "ui.invitations.decline",
                InvitationsState.decline(card.id), confirm_class="confirm-decline"), **_HALF),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="3",
            width="100%",
        ),
        spacing="3",
        width="100%",
        style=theme.card_style(),
        class_name="invitation-card",
    )


def _empty() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("mail-open", size=28, color=theme.MUTED),
            rx.text(t("ui.invitations.none"), color=theme.MUTED, size="2", text_align="center"),
            align="center",
            spacing="2",
        ),
        padding="2.5rem 1rem",
        width="100%",
        id="invitations-empty",
    )


def invitations_page() -> rx.Component:
    return consumer_shell(
        rx.box(
            guarded(
                rx.vstack(
                    page_title("ui.invitations.title", "ui.invitations.subtitle"),
                    error_banner(InvitationsState.error),
                    notice_banner(InvitationsState.notice),
                    rx.cond(
                        InvitationsState.joined,
                        rx.link(rx.button(rx.icon("users", size=16), t("ui.invitations.to_team"),
                                          size="3", width="100%"),
                                href=routes.PRO_TEAM, width="100%", id="invitation-to-team"),
                    ),
                    rx.cond(InvitationsState.items.length() > 0,
                            rx.vstack(rx.foreach(InvitationsState.items, _card), spacing="3",
                                      width="100%", id="invitations-list"),
                            rx.cond(~InvitationsState.joined, _empty())),
                    spacing="4",
                    width="100%",
                ),
            ),
            max_width="36rem",
            margin_x="auto",
            padding="1.5rem 1rem 3rem",
            width="100%",
        ),
    )
