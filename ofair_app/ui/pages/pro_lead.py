"""`/pro/leads/{id}`: one lead as a professional sees it.

Everyone sees the public part. The owner (a member of the business that posted it) also sees
the client's details and attachments; the accepted performer and admins see a button that
reveals the client's details, and every such reveal is logged. For a referral, the page shows
what the performer would take home at the lead's budget.
"""

from __future__ import annotations

import uuid

import reflex as rx

from ofair_app import reference
from ofair_app.domain.errors import AppError
from ofair_app.domain.leads import LeadType, owner_may_cancel
from ofair_app.services import leads, professionals, subscriptions
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import error_banner, fact
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.pages.my_requests import status_badge
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState


class ProLeadState(SessionState):
    lead: dict[str, str] = {}
    client: dict[str, str] = {}
    attachments: list[dict[str, str]] = []
    split: dict[str, str] = {}
    missing: bool = False
    error: str = ""

    @rx.var
    def lead_id(self) -> str:
        return self.router.page.params.get("lead_id", "")

    def _split(self, lead, subscribed: bool) -> dict[str, str]:
        if lead.type != LeadType.professional_referral or lead.budget is None:
            return {}
        try:
            parts = leads.split_at(lead.budget, lead.type,
                                   share=lead.referrer_share_percentage, subscribed=subscribed)
        except AppError:
            return {}
        money = lambda amount: format.money(amount, self.locale)  # noqa: E731
        return {"platform": money(parts.platform_commission),
                "referrer": money(parts.referrer_fee),
                "performer": money(parts.professional_net_amount),
                "rate": f"{parts.platform_rate_pct.normalize():f}%"}

    def _load(self, caller) -> None:
        self.client, self.attachments, self.error = {}, [], ""
        try:
            lead_id = uuid.UUID(self.lead_id)
            view = self._as(caller, lambda s: leads.get_lead(session=s, caller=caller,
                                                            lead_id=lead_id))
        except (ValueError, AppError):
            self.missing, self.lead = True, {}
            return
        lead, locale = view.lead, self.locale

        def extra(session):
            business = leads.owner_business(session, lead)
            mine = professionals.get_professional(
                session=session, professional_id=self._current_business(caller))
            files = (leads.list_attachments(session=session, caller=caller, lead_id=lead.id)
                     if view.client is not None else [])
            return business, mine, files

        business, mine, files = self._as(caller, extra)
        category = reference.category(lead.category_slug)
        sub = reference.subcategory(lead.subcategory_slug) if lead.subcategory_slug else None
        locality = reference.locality(lead.locality_id) if lead.locality_id else None
        distance = reference.distance_km(mine.lat, mine.lon, lead.lat, lead.lon)
        self.missing = False
        self.lead = {
            "id": str(lead.id),
            "title": lead.title,
            "summary": lead.short_description,
            "type": str(lead.type),
            "status": str(lead.status),
            "status_label": self._text(f"ui.lead_status.{lead.status}"),
            "category": category.name(locale) if category else "",
            "subcategory": sub[1].name(locale) if sub else "",
            "city": locality.name(locale) if locality else "",
            "distance": format.distance(distance, locale),
            "posted": format.ago(lead.created_at, locale),
            "budget": format.money(lead.budget, locale),
            "share": (f"{lead.referrer_share_percentage.normalize():f}%"
                      if lead.referrer_share_percentage is not None else ""),
            "schedule": self._text(f"ui.schedule.{lead.preferred_schedule}"),
            "proposals": str(lead.proposal_count),
            "business": business.business_name if business else "",
            "visibility": str(lead.visibility),
            "is_mine": "1" if view.client is not None else "",
            "can_reveal": "1" if view.can_view_contact and view.client is None else "",
            "can_cancel": "1" if view.client is not None and owner_may_cancel(lead.status)
            else "",
        }
        if view.client is not None:
            self._show_client(view.client)
        self.attachments = [{"id": str(f.id), "name": f.filename,
                             "size": f"{max(1, f.size_bytes // 1024)} KB"} for f in files]
        self.split = self._split(lead, subscriptions.is_subscribed(mine))

    def _show_client(self, client: leads.ClientDetails) -> None:
        self.client = {"name": client.name, "phone": format.phone(client.phone),
                       "tel": client.phone, "address": client.address,
                       "description": client.full_description}

    @rx.event
    def open(self):
        caller, redirect = self._guard("business")
        if caller is None:
            return redirect
        self._load(caller)
        return None

    @rx.event
    def reveal(self):
        """The accepted performer (or an admin) asks for the client's details: logged."""
        caller = self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        ip = self.router.headers.get("x-forwarded-for", "") or self.router.session.client_ip
        user_agent = self.router.headers.user_agent[:200]
        try:
            client = self._as(caller, lambda s: leads.reveal_contact(
                session=s, caller=caller, lead_id=uuid.UUID(self.lead_id), ip=ip,
                user_agent=user_agent))
        except (ValueError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
            return None
        self._show_client(client)
        return None

    @rx.event
    def open_attachment(self, attachment_id: str):
        caller = self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        try:
            url = self._as(caller, lambda s: leads.attachment_link(
                session=s, caller=caller, attachment_id=uuid.UUID(attachment_id)))
        except (ValueError, AppError):
            self.error = self._text("errors.attachment.not_found")
            return None
        return rx.redirect(url, is_external=True)

    @rx.event
    def cancel(self):
        caller = self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        try:
            self._as(caller, lambda s: leads.cancel_lead(session=s, caller=caller,
                                                        lead_id=uuid.UUID(self.lead_id)))
        except (ValueError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
            return None
        self._load(caller)
        return None


# --- page ----------------------------------------------------------------------------------


def _split_row(label: str, value: rx.Var, strong: bool = False) -> rx.Component:
    return rx.hstack(rx.text(t(label), size="2"), rx.spacer(),
                     rx.text(value, size="3" if strong else "2",
                             weight="bold" if strong else "medium"),
                     width="100%")


def _earnings() -> rx.Component:
    split = ProLeadState.split
    return rx.cond(
        split.contains("performer"),
        rx.vstack(
            rx.text(t("ui.lead.earnings_title"), weight="bold", size="3"),
            _split_row("ui.lead.earn_performer", split["performer"], strong=True),
            _split_row("ui.lead.earn_referrer", split["referrer"]),
            rx.hstack(rx.text(t("ui.lead.earn_platform"), " (", split["rate"], ")", size="2"),
                      rx.spacer(), rx.text(split["platform"], size="2", weight="medium"),
                      width="100%"),
            rx.text(t("ui.lead.earnings_note"), size="1", color=theme.MUTED),
            spacing="2",
            width="100%",
            style=theme.card_style(),
            id="lead-earnings",
        ),
    )


def _client_box() -> rx.Component:
    lead, client = ProLeadState.lead, ProLeadState.client
    shown = rx.vstack(
        fact("user-round", "ui.request.name", client["name"]),
        rx.cond(client["phone"] != "",
                rx.hstack(rx.icon("phone", size=16, color=theme.MUTED),
                          rx.link(client["phone"], href="tel:" + client["tel"], dir="ltr",
                                  weight="bold"),
                          spacing="3", align="center")),
        fact("house", "ui.my.address", client["address"]),
        rx.cond(client["description"] != "",
                rx.text(client["description"], size="2", white_space="pre-wrap",
                        line_height="1.6")),
        spacing="3",
        width="100%",
        id="client-details",
    )
    hidden = rx.vstack(
        rx.text(t("ui.lead.client_hidden"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.cond(lead["can_reveal"] != "",
                rx.button(rx.icon("eye", size=16), t("ui.lead.reveal"), size="2",
                          on_click=ProLeadState.reveal, id="reveal-contact")),
        spacing="3",
        width="100%",
    )
    return rx.vstack(
        rx.hstack(rx.icon("lock-keyhole", size=16, color=theme.BRAND),
                  rx.text(t("ui.lead.client_title"), weight="bold", size="3"),
                  spacing="2", align="center"),
        rx.cond(client.contains("name"), shown, hidden),
        rx.cond(
            ProLeadState.attachments.length() > 0,
            rx.vstack(
                rx.text(t("ui.lead.attachments"), weight="medium", size="2"),
                rx.foreach(ProLeadState.attachments, lambda f: rx.button(
                    rx.icon("paperclip", size=14), f["name"],
                    rx.text(f["size"], size="1", color=theme.MUTED),
                    variant="ghost", size="2",
                    on_click=ProLeadState.open_attachment(f["id"]))),
                spacing="1",
                align="start",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
        style=theme.card_style(),
    )


def _detail() -> rx.Component:
    lead = ProLeadState.lead
    return rx.vstack(
        error_banner(ProLeadState.error),
        rx.vstack(
            rx.hstack(
                rx.cond(lead["type"] == "professional_referral",
                        rx.badge(rx.icon("share-2", size=12), t("ui.board.referral"),
                                 color_scheme="violet", radius="full", variant="soft"),
                        rx.badge(rx.icon("house", size=12), t("ui.board.consumer"),
                                 color_scheme="teal", radius="full", variant="soft")),
                status_badge(lead["status"], lead["status_label"]),
                rx.spacer(),
                rx.text(lead["posted"], size="1", color=theme.MUTED),
                width="100%",
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.heading(lead["title"], as_="h1", size="6", line_height="1.3"),
            rx.text(lead["summary"], size="3", line_height="1.7", id="lead-summary"),
            rx.separator(size="4"),
            rx.grid(
                fact("map-pin", "ui.request.city", lead["city"]),
                fact("navigation", "ui.lead.distance", lead["distance"]),
                fact("wrench", "ui.request.category",
                      rx.cond(lead["subcategory"] != "", lead["subcategory"],
                              lead["category"])),
                fact("calendar", "ui.request.schedule", lead["schedule"]),
                fact("wallet", "ui.board.budget", lead["budget"]),
                fact("percent", "ui.board.referral_fee", lead["share"]),
                fact("message-square", "ui.lead.proposals", lead["proposals"]),
                fact("building-2", "ui.board.from_business", lead["business"]),
                columns="2",
                spacing="4",
                width="100%",
            ),
            spacing="3",
            width="100%",
            style=theme.card_style(),
        ),
        _earnings(),
        _client_box(),
        rx.hstack(
            rx.link(rx.button(rx.icon("arrow-right", size=16, class_name="ofair-back"),
                              t("ui.lead.back"), variant="ghost", size="2"),
                    href=routes.PRO_HOME),
            rx.spacer(),
            rx.cond(lead["can_cancel"] != "",
                    rx.button(t("ui.lead.cancel"), color_scheme="red", variant="soft",
                              size="2", on_click=ProLeadState.cancel, id="cancel-lead")),
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def pro_lead() -> rx.Component:
    return pro_shell(
        rx.box(
            rx.cond(
                ProLeadState.missing,
                rx.vstack(rx.icon("search-x", size=28, color=theme.MUTED),
                          rx.text(t("ui.lead.not_found"), weight="bold", size="4"),
                          rx.link(t("ui.lead.back"), href=routes.PRO_HOME),
                          align="center", spacing="3", width="100%",
                          style=theme.card_style(padding="2.5rem 1.25rem")),
                _detail(),
            ),
            width="100%",
            max_width="44rem",
            margin_x="auto",
        ),
        active=routes.PRO_HOME,
    )
