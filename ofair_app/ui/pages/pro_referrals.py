"""`/pro/referrals`: leads colleagues offered this business (accept to take the job, decline,
or pass it on to another colleague from the lead's page) and the leads it offered others, with
the referral fee frozen at the offer."""

from __future__ import annotations

import uuid

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app import reference
from ofair_app.db.engine import Caller
from ofair_app.domain.errors import AppError
from ofair_app.services import referrals
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    card_list,
    confirm_dialog,
    error_banner,
    joined,
    list_tabs,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState


class ReferralsState(SessionState):
    tab: rx.Field[str] = rx.field("incoming")
    incoming: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    outgoing: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    async def _rows(self, caller: Caller, direction: referrals.Direction,
                    ) -> list[dict[str, str]]:
        professional_id = self._current_business(caller)
        views, _ = await self._as(caller, lambda s: referrals.list_referrals(
            session=s, caller=caller, direction=direction,
            professional_id=professional_id, limit=50))
        locale = self.locale
        rows = []
        for view in views:
            referral, lead = view.referral, view.lead
            other = view.referrer if direction == "incoming" else view.receiver
            locality = reference.locality(lead.locality_id) if lead.locality_id else None
            category = reference.category(lead.category_slug)
            rows.append({
                "id": str(referral.id), "lead_id": str(lead.id), "title": lead.title,
                "summary": lead.short_description,
                "business": other.business_name if other else "",
                "share": f"{referral.commission_percentage.normalize():f}%",
                "budget": format.money(referral.budget, locale),
                "city": locality.name(locale) if locality else "",
                "category": category.name(locale) if category else "",
                "message": referral.message,
                "status": str(referral.status),
                "status_label": self._text(f"ui.referral_status.{referral.status}"),
                "posted": format.ago(referral.created_at, locale),
                "expires": format.day(referral.expires_at.date(), locale),
            })
        return rows

    async def _reload(self, caller: Caller) -> None:
        self.incoming = await self._rows(caller, "incoming")
        self.outgoing = await self._rows(caller, "outgoing")

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.error, self.notice = "", ""
        await self._reload(caller)
        return None

    @event
    def set_tab(self, value: str):
        self.tab = value

    @event
    async def accept(self, referral_id: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        ip, user_agent = self._request_origin()
        self.error, self.notice = "", ""
        try:
            referral, _ = await self._as(caller, lambda s: referrals.accept_referral(
                session=s, caller=caller, referral_id=uuid.UUID(referral_id), ip=ip,
                user_agent=user_agent))
        except (ValueError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
            await self._reload(caller)
            return None
        return rx.redirect(routes.pro_lead(referral.lead_id))

    @event
    async def reject(self, referral_id: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        try:
            await self._as(caller, lambda s: referrals.reject_referral(
                session=s, caller=caller, referral_id=uuid.UUID(referral_id)))
            self.notice = self._text("ui.referrals.rejected")
        except (ValueError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
        await self._reload(caller)
        return None


def _terms(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(t("ui.board.budget"), size="1", color=theme.MUTED),
                  rx.text(row["budget"], weight="bold", size="3"), spacing="0"),
        rx.vstack(rx.text(t("ui.board.referral_fee"), size="1", color=theme.MUTED),
                  rx.text(row["share"], weight="bold", size="3"), spacing="0"),
        rx.vstack(rx.text(t("ui.request.city"), size="1", color=theme.MUTED),
                  rx.text(row["city"], weight="medium", size="2"), spacing="0"),
        spacing="5",
        wrap="wrap",
    )


def _incoming_card(row: ObjectVar[dict[str, str]]) -> rx.Component:
    pending = row["status"] == "pending"
    return rx.vstack(
        rx.hstack(
            rx.vstack(rx.text(row["title"], dir="auto", weight="bold", size="3"),
                      joined((t("ui.referrals.from"), " ", rx.el.bdi(row["business"])),
                             row["posted"], size="1", color=theme.MUTED),
                      spacing="1", align="start"),
            rx.spacer(),
            rx.badge(row["status_label"], radius="full", variant="soft",
                     color_scheme=rx.cond(pending, "amber", "gray")),
            width="100%", align="start"),
        rx.text(row["summary"], dir="auto", size="2", line_height="1.6", color=theme.MUTED),
        _terms(row),
        rx.cond(row["message"] != "",
                rx.hstack(rx.icon("quote", size=14, color=theme.MUTED),
                          rx.text(row["message"], size="2", font_style="italic"),
                          spacing="2", align="start")),
        rx.cond(
            pending,
            rx.vstack(
                rx.text(t("ui.referrals.expires"), " ", row["expires"], size="1",
                        color=theme.MUTED),
                rx.hstack(
                    rx.box(confirm_dialog(
                        rx.button(rx.icon("check", size=16), t("ui.referrals.accept"), size="3",
                                  width="100%", class_name="accept-referral"),
                        t_with("ui.referrals.accept_title", title=row["title"],
                               business=row["business"]),
                        t_with("ui.referrals.accept_body", budget=row["budget"],
                               share=row["share"]),
                        "ui.referrals.accept", ReferralsState.accept(row["id"]), color="teal",
                        confirm_class="confirm-accept-referral"), flex="1"),
                    confirm_dialog(
                        rx.button(t("ui.referrals.reject"), size="3", variant="soft",
                                  color_scheme="gray", class_name="reject-referral"),
                        t_with("ui.referrals.reject_title", business=row["business"]),
                        t_with("ui.referrals.reject_body", title=row["title"]),
                        "ui.referrals.reject", ReferralsState.reject(row["id"]),
                        confirm_class="confirm-reject-referral"),
                    width="100%", spacing="2"),
                rx.link(rx.icon("forward", size=14), t("ui.referrals.pass_on"),
                        href="/pro/leads/" + row["lead_id"] + "#pass-on", size="2",
                        class_name="pass-on-referral",
                        style={"display": "inline-flex", "gap": "0.35rem",
                               "align_items": "center"}),
                rx.text(t("ui.referrals.accept_note"), size="1", color=theme.MUTED,
                        line_height="1.5"),
                spacing="2", width="100%"),
            rx.cond((row["status"] == "accepted") | (row["status"] == "referred_on"),
                    rx.link(t("ui.referrals.open_lead"), href="/pro/leads/" + row["lead_id"],
                            size="2")),
        ),
        spacing="3",
        width="100%",
        style=theme.card_style(),
        class_name="referral-card",
    )


def _outgoing_card(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.vstack(rx.text(row["title"], dir="auto", weight="bold", size="2"),
                      joined((t("ui.referrals.to"), " ", rx.el.bdi(row["business"])),
                             row["share"], size="1", color=theme.MUTED),
                      spacing="1", align="start"),
            rx.spacer(),
            rx.badge(row["status_label"], radius="full", variant="soft"),
            width="100%", align="center", style=theme.card_style(padding="0.9rem 1.1rem")),
        href="/pro/leads/" + row["lead_id"], underline="none", color="inherit", width="100%",
    )


def pro_referrals() -> rx.Component:
    return pro_shell(
        rx.vstack(
            page_title("ui.referrals.title", "ui.referrals.subtitle"),
            error_banner(ReferralsState.error),
            notice_banner(ReferralsState.notice),
            list_tabs(
                ReferralsState.tab, ReferralsState.set_tab,
                (rx.fragment(t("ui.referrals.incoming"), " (",
                             ReferralsState.incoming.length(), ")"), "incoming",
                 card_list(ReferralsState.incoming, _incoming_card,
                           "ui.referrals.incoming_empty")),
                (t("ui.referrals.outgoing"), "outgoing",
                 card_list(ReferralsState.outgoing, _outgoing_card,
                           "ui.referrals.outgoing_empty")),
            ),
            spacing="4",
            width="100%",
            max_width="44rem",
            margin_x="auto",
        ),
        active=routes.PRO_REFERRALS,
    )
