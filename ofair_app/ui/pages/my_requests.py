"""`/my/requests` and `/my/requests/{id}`: a consumer's own requests, and one of them.

Right after posting, the request's page says it was sent and what happens next. Offers appear
on it live as professionals send them; choosing one shares the client's details with that
business only.
"""

from __future__ import annotations

import uuid

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app import reference
from ofair_app.db.lead_signals import SIGNALS
from ofair_app.domain.errors import AppError
from ofair_app.domain.tax import israel_date
from ofair_app.i18n import plural
from ofair_app.models import Lead
from ofair_app.services import leads, unlocks
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    confirm_dialog,
    dict_var,
    error_banner,
    fact,
    page_title,
)
from ofair_app.ui.components.milestones import MilestonesMixin, milestones_panel
from ofair_app.ui.components.offers import OffersMixin, offers_panel
from ofair_app.ui.components.reviews import ReviewMixin, review_panel
from ofair_app.ui.components.shells import consumer_shell, guarded
from ofair_app.ui.components.visits import VisitsMixin, visits_panel
from ofair_app.ui.state.events import event
from ofair_app.ui.state.live import LiveLeadMixin
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState


def lead_row(lead: Lead, locale: str, text) -> dict[str, str]:
    """What a list shows of one's own lead, every value ready to print."""
    category = reference.category(lead.category_slug)
    locality = reference.locality(lead.locality_id) if lead.locality_id else None
    return {
        "id": str(lead.id),
        "title": lead.title,
        "status": str(lead.status),
        "status_label": text(f"ui.lead_status.{lead.status}"),
        "category": category.name(locale) if category else "",
        "city": locality.name(locale) if locality else "",
        "budget": format.money(lead.budget, locale),
        "posted": format.ago(lead.created_at, locale),
        "proposals": plural("ui.count.proposals", lead.proposal_count, locale),
        "has_proposals": "1" if lead.proposal_count else "",
        "summary": lead.short_description,
        **hidden_note(lead, text, owner=True),
    }


def hidden_note(lead: Lead, text, *, owner: bool) -> dict[str, str]:
    """Whether an admin hid the lead from the board and, for its owner, why."""
    if lead.hidden_at is None:
        return {"hidden": "", "hidden_note": ""}
    return {"hidden": "1", "hidden_note": (
        text("ui.lead.hidden_owner", reason=lead.hidden_reason or "") if owner
        else text("ui.lead.hidden_visitor"))}


def hidden_callout(lead: rx.Var[dict[str, str]]) -> rx.Component:
    """The banner on a lead's page while an admin keeps it off the board."""
    return rx.cond(dict_var(lead)["hidden"] != "", rx.callout(
        rx.vstack(rx.text(t("ui.lead.hidden_title"), weight="bold"),
                  rx.text(dict_var(lead)["hidden_note"]), spacing="1"),
        icon="eye-off", color_scheme="orange", width="100%", id="lead-hidden"))


def status_badge(status: rx.Var, label: rx.Var, live: bool = False) -> rx.Component:
    """The lead's status in words (its colour only repeats them). `live`: on a lead's own
    page, where the other side's moves change it in place, a polite status region, so screen
    readers announce the new status without interrupting."""
    color = rx.match(status, ("active", "teal"), ("awarded", "blue"), ("in_progress", "amber"),
                     ("completed", "green"), ("closed", "gray"), ("cancelled", "red"),
                     ("disputed", "orange"), "gray")
    return rx.badge(label, color_scheme=color, radius="full", size="2", class_name="lead-status",
                    **({"role": "status"} if live else {}))


class MyRequestsState(SessionState):
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    @event
    async def open(self):
        caller, redirect = await self._guard("login")
        if caller is None:
            return redirect
        found = await self._as(caller, lambda s: leads.my_leads(session=s, caller=caller))
        self.rows = [lead_row(lead, self.locale, self._text) for lead in found]
        return None


class MyRequestState(LiveLeadMixin, OffersMixin, ReviewMixin, VisitsMixin, MilestonesMixin,
                     SessionState):
    lead: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    # A direct-contact request: the businesses that unlocked the client's details.
    unlocked_by: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    sent: rx.Field[bool] = rx.field(False)
    missing: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @rx.var
    def lead_id(self) -> str:
        return self.rx_router_page.params.get("lead_id", "")

    async def _load(self, caller) -> None:
        try:
            lead_id = uuid.UUID(self.lead_id)
            view = await self._as(caller, lambda s: leads.get_lead(session=s, caller=caller,
                                                            lead_id=lead_id))
        except (ValueError, AppError):
            self.missing, self.lead = True, {}
            return
        if view.client is None:  # not theirs: a consumer's page shows only their own requests
            self.missing, self.lead = True, {}
            return
        locale = self.locale
        self.missing = False
        self.lead_status = str(view.lead.status)
        await self._load_offers(caller)
        await self._load_actions(caller)
        await self._load_review(caller)
        await self._load_visits(caller)
        await self._load_milestones(caller)
        views = (await self._as(caller, lambda s: unlocks.for_lead(
            session=s, caller=caller, lead_id=lead_id)) if view.lead.direct_contact else [])
        self.unlocked_by = [
            {"business": v.business_name, "href": routes.public_pro(v.professional_id),
             "day": format.day(israel_date(v.unlocked_at), locale) if v.unlocked_at else "",
             "refunded": "1" if v.status == "refunded" else ""} for v in views]
        self.lead = {
            **lead_row(view.lead, locale, self._text),
            "direct": "1" if view.lead.direct_contact else "",
            "description": view.client.full_description,
            "client_name": view.client.name,
            "client_phone": format.phone(view.client.phone),
            "client_address": view.client.address,
            "schedule": self._text(f"ui.schedule.{view.lead.preferred_schedule}"),
        }

    @event
    async def open(self):
        caller, redirect = await self._guard("login")
        if caller is None:
            return redirect
        self.sent = self.router.url.query_parameters.get("sent") == "1"
        self.error = ""
        self._live_mark = SIGNALS.mark()
        await self._load(caller)
        return MyRequestState.watch_lead

    @event
    async def cancel(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        try:
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: leads.cancel_lead(session=s, caller=caller,
                                                        lead_id=lead_id))
        except (ValueError, AppError) as error:
            self.error = self._message(error) if isinstance(error, AppError) else ""
            return None
        self.sent = False
        await self._load(caller)
        return None


# --- pages ---------------------------------------------------------------------------------


def _request_card(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.link(
        rx.vstack(
            rx.hstack(
                rx.text(row["title"], dir="auto", weight="bold", size="3"),
                rx.spacer(),
                status_badge(row["status"], row["status_label"]),
                width="100%",
                align="center",
            ),
            rx.text(row["summary"], dir="auto", size="2", color=theme.MUTED, line_height="1.6",
                    class_name="clamp-2"),
            rx.hstack(
                rx.hstack(rx.icon("clock", size=14), rx.text(row["posted"], size="1"),
                          spacing="1", align="center"),
                rx.hstack(rx.icon("message-square", size=14),
                          rx.text(row["proposals"], size="1"),
                          spacing="1", align="center"),
                rx.cond(row["budget"] != "",
                        rx.text(row["budget"], size="1", weight="medium")),
                spacing="4",
                color=theme.MUTED,
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
            style=theme.card_style(padding="1rem 1.1rem"),
            _hover={"border_color": rx.color("teal", 7)},
        ),
        href="/my/requests/" + row["id"],
        underline="none",
        color="inherit",
        width="100%",
        class_name="my-request",
    )


def _empty() -> rx.Component:
    return rx.vstack(
        rx.icon("clipboard-list", size=28, color=theme.BRAND),
        rx.text(t("ui.my.empty_title"), weight="bold", size="4"),
        rx.text(t("ui.my.empty_body"), size="2", color=theme.MUTED, text_align="center"),
        rx.link(rx.button(t("ui.my.new_request"), size="3"), href=routes.REQUEST_FORM),
        align="center",
        spacing="3",
        width="100%",
        style=theme.card_style(padding="2.5rem 1.25rem"),
    )


def _narrow(*children) -> rx.Component:
    return rx.vstack(*children, spacing="5", width="100%", max_width="44rem", margin_x="auto",
                     padding=rx.breakpoints(initial="1.5rem 1rem 3rem", md="3rem 1rem"))


def my_requests() -> rx.Component:
    return consumer_shell(guarded(_narrow(
        rx.hstack(
            page_title("ui.my.title", "ui.my.subtitle"),
            rx.link(rx.button(rx.icon("plus", size=16), t("ui.my.new_request"), size="2",
                              variant="soft"), href=routes.REQUEST_FORM, flex_shrink="0"),
            width="100%",
            align="start",
        ),
        rx.cond(MyRequestsState.rows.length() > 0,
                rx.vstack(rx.foreach(MyRequestsState.rows, _request_card), spacing="3",
                          width="100%"),
                _empty()),
    )))


def _sent_banner() -> rx.Component:
    return rx.cond(
        MyRequestState.sent,
        rx.vstack(
            rx.hstack(
                rx.center(rx.icon("check", size=22, color="white"), width="2.5rem",
                          height="2.5rem", border_radius="999px", background=theme.BRAND,
                          flex_shrink="0"),
                rx.vstack(rx.heading(t("ui.my.sent_title"), as_="h2", size="5"),
                          rx.text(t("ui.my.sent_body"), size="2", line_height="1.6"),
                          spacing="1"),
                spacing="3",
                align="center",
            ),
            id="request-sent",
            width="100%",
            padding="1.25rem",
            border_radius="16px",
            background=rx.color("teal", 3),
            border=f"1px solid {rx.color('teal', 6)}",
        ),
    )


def _request_detail() -> rx.Component:
    lead = dict_var(MyRequestState.lead)
    return rx.vstack(
        _sent_banner(),
        error_banner(MyRequestState.error),
        hidden_callout(MyRequestState.lead),
        rx.vstack(
            rx.hstack(
                rx.heading(lead["title"], dir="auto", as_="h1", size="6"),
                rx.spacer(),
                status_badge(lead["status"], lead["status_label"], live=True),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(lead["posted"], size="1", color=theme.MUTED),
            rx.text(lead["description"], dir="auto", size="3", line_height="1.7",
                    white_space="pre-wrap"),
            rx.separator(size="4"),
            rx.grid(
                fact("wrench", "ui.request.category", lead["category"]),
                fact("map-pin", "ui.request.city", lead["city"]),
                fact("wallet", "ui.request.budget", lead["budget"]),
                fact("calendar", "ui.request.schedule", lead["schedule"]),
                columns="2",
                spacing="4",
                width="100%",
            ),
            spacing="3",
            width="100%",
            style=theme.card_style(),
        ),
        offers_panel(MyRequestState),
        milestones_panel(MyRequestState),
        visits_panel(MyRequestState),
        review_panel(MyRequestState),
        rx.vstack(
            rx.hstack(rx.icon("lock-keyhole", size=16, color=theme.BRAND),
                      rx.text(t("ui.my.contact_title"), weight="bold", size="3"),
                      spacing="2", align="center"),
            rx.text(rx.cond(MyRequestState.performer.contains("business"),
                            t("ui.my.contact_shared"), t("ui.my.contact_body")),
                    size="2", color=theme.MUTED, line_height="1.6", id="contact-note"),
            fact("user-round", "ui.request.name", lead["client_name"]),
            fact("phone", "ui.request.phone", lead["client_phone"]),
            fact("house", "ui.my.address", lead["client_address"]),
            rx.cond(lead["direct"] != "", _unlocked_by()),
            spacing="3",
            width="100%",
            style=theme.card_style(),
        ),
        rx.hstack(
            rx.link(rx.button(rx.icon("arrow-right", size=16, class_name="ofair-back"),
                              t("ui.my.back"), variant="ghost", size="2"),
                    href=routes.MY_REQUESTS),
            rx.spacer(),
            rx.cond(
                MyRequestState.actions.contains("cancel_lead"),
                confirm_dialog(
                    rx.button(t("ui.my.cancel"), color_scheme="red", variant="soft", size="2",
                              id="cancel-request"),
                    "ui.my.cancel_title", "ui.my.cancel_body", "ui.my.cancel_confirm",
                    MyRequestState.cancel, dismiss="ui.my.keep"),
            ),
            width="100%",
            align="center",
        ),
        spacing="4",
        width="100%",
    )


def _unlocked_by() -> rx.Component:
    """Who got the client's details of a direct-contact request, and when."""
    return rx.vstack(
        rx.separator(size="4"),
        rx.text(t("ui.my.direct_title"), weight="bold", size="2"),
        rx.cond(
            MyRequestState.unlocked_by.length() > 0,
            rx.el.ul(
                rx.foreach(MyRequestState.unlocked_by, lambda u: rx.el.li(
                    rx.hstack(
                        rx.icon("building-2", size=14, color=theme.MUTED, flex_shrink="0"),
                        rx.link(u["business"], href=u["href"], dir="auto", weight="medium"),
                        rx.text(u["day"], size="1", color=theme.MUTED),
                        rx.cond(u["refunded"] != "",
                                rx.text(t("ui.my.direct_refunded"), size="1",
                                        color=theme.MUTED)),
                        spacing="2", align="center", wrap="wrap"),
                    padding_y="0.25rem")),
                id="unlocked-by", style={"list_style": "none", "padding": "0",
                                         "margin": "0"}),
            rx.text(t("ui.my.direct_none"), size="2", color=theme.MUTED),
        ),
        spacing="2",
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.vstack(
        rx.icon("search-x", size=28, color=theme.MUTED),
        rx.text(t("ui.my.not_found"), weight="bold", size="4"),
        rx.link(t("ui.my.back"), href=routes.MY_REQUESTS),
        align="center",
        spacing="3",
        width="100%",
        style=theme.card_style(padding="2.5rem 1.25rem"),
    )


def my_request() -> rx.Component:
    return consumer_shell(guarded(_narrow(
        rx.box(rx.cond(MyRequestState.missing, _not_found(), _request_detail()),
               on_unmount=MyRequestState.stop_watching, width="100%"),
    )))
