"""`/pro/my-leads`: the leads a business posted (with their offers waiting) and the offers it
sent on other leads. Each row opens the lead's page, where the owner chooses an offer."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.services import leads, proposals
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import card_list, list_tabs, page_title
from ofair_app.ui.components.offers import offer_status_badge
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.pages.my_requests import lead_row, status_badge
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState


class MyLeadsState(SessionState):
    tab: rx.Field[str] = rx.field("posted")
    posted: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    sent: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        business = self._current_business(caller)
        locale = self.locale
        found = await self._as(caller, lambda s: leads.my_leads(session=s, caller=caller,
                                                          professional_id=business))
        self.posted = [lead_row(lead, locale, self._text) for lead in found]
        offers = await self._as(caller, lambda s: proposals.proposals_for_business(
            session=s, caller=caller, professional_id=business))
        self.sent = [{"lead_id": str(lead.id), "title": lead.title,
                      "price": format.money(p.price, locale), "status": str(p.status),
                      "status_label": self._text(f"ui.offer_status.{p.status}"),
                      "posted": format.ago(p.created_at, locale)} for p, lead in offers]
        return None

    @event
    def set_tab(self, value: str):
        self.tab = value


def _posted_card(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.link(
        rx.vstack(
            rx.hstack(rx.text(row["title"], dir="auto", weight="bold", size="3"), rx.spacer(),
                      status_badge(row["status"], row["status_label"]), width="100%",
                      align="center"),
            rx.hstack(
                rx.hstack(rx.icon("message-square", size=14),
                          rx.text(row["proposals"], size="1",
                                  weight=rx.cond(row["has_proposals"] != "", "bold", "regular")),
                          spacing="1", align="center"),
                rx.text(row["city"], size="1"),
                rx.text(row["budget"], size="1", weight="medium"),
                rx.text(row["posted"], size="1"),
                spacing="4", color=theme.MUTED, wrap="wrap"),
            spacing="2",
            width="100%",
            style=theme.card_style(padding="1rem 1.1rem"),
            _hover={"border_color": rx.color("teal", 7)},
        ),
        href="/pro/leads/" + row["id"], underline="none", color="inherit", width="100%",
        class_name="my-lead",
    )


def _sent_card(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.vstack(rx.text(row["title"], dir="auto", weight="bold", size="2"),
                      rx.text(row["posted"], size="1", color=theme.MUTED), spacing="1",
                      align="start"),
            rx.spacer(),
            rx.vstack(rx.text(row["price"], weight="bold", size="3"),
                      offer_status_badge(row["status"], row["status_label"]), spacing="1",
                      align="end"),
            width="100%",
            align="center",
            style=theme.card_style(padding="0.9rem 1.1rem"),
        ),
        href="/pro/leads/" + row["lead_id"], underline="none", color="inherit", width="100%",
        class_name="sent-offer",
    )


def pro_my_leads() -> rx.Component:
    return pro_shell(
        rx.vstack(
            rx.hstack(
                page_title("ui.my_leads.title", "ui.my_leads.subtitle"),
                rx.link(rx.button(rx.icon("plus", size=16), t("ui.my_leads.new"), size="2",
                                  variant="soft"), href=routes.PRO_LEAD_NEW, flex_shrink="0"),
                width="100%", align="start"),
            list_tabs(
                MyLeadsState.tab, MyLeadsState.set_tab,
                (t("ui.my_leads.posted"), "posted",
                 card_list(MyLeadsState.posted, _posted_card, "ui.my_leads.posted_empty")),
                (t("ui.my_leads.sent"), "sent",
                 card_list(MyLeadsState.sent, _sent_card, "ui.my_leads.sent_empty")),
            ),
            spacing="4",
            width="100%",
            max_width="44rem",
            margin_x="auto",
        ),
        active=routes.PRO_MY_LEADS,
    )
