"""`/admin/leads`: every lead for admins (issue 18 point 2), narrowed by status, type,
category, days, owner and performer, newest first, more on request. A lead opens whole: its
history, proposals, payment and dispute; its client's details only on an explicit request,
which is logged as every reveal is. An open lead can be hidden from the board, and a hidden one
restored, each after a confirmation that asks why (its owner is told; audited)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import cast

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from ofair_app import reference
from ofair_app.domain.errors import AppError, InvalidInput
from ofair_app.domain.leads import LeadStatus, LeadType
from ofair_app.services import admin_leads, check_ins, leads, milestones, reviews, visits
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    confirm_dialog,
    day_range,
    dict_var,
    empty_state,
    error_banner,
    field,
    form,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.reviews import review_card, review_row
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.components.visits import when
from ofair_app.ui.state.days import DaysMixin, FilteredListMixin
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState

ANY = "any"
FILTERS = ("status", "type", "category", "owner", "performer", "since", "until", "shown")


class AdminLeadsState(FilteredListMixin, DaysMixin, SessionState):
    notice: rx.Field[str] = rx.field("")
    reason: rx.Field[str] = rx.field("")
    review: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    site_visits: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    check_ins: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    steps: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    lead: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    client: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    history: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    offers: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _filter_names(self) -> tuple[str, ...]:
        return FILTERS

    def _query(self) -> admin_leads.LeadQuery:
        values = {k: v for k, v in self.applied.items() if v and v != ANY}
        days = {}
        for name in ("since", "until"):
            if values.get(name):
                try:
                    days[name] = date.fromisoformat(values[name])
                except ValueError:
                    raise InvalidInput(fields={name: "errors.field.date"}) from None
        return admin_leads.LeadQuery(
            status=values.get("status", ""), type=values.get("type", ""),
            category=values.get("category", ""), owner=values.get("owner", ""),
            performer=values.get("performer", ""),
            hidden={"hidden": True, "shown": False}.get(values.get("shown", "")),
            since=days.get("since"), until=days.get("until"))

    def _row(self, lead) -> dict[str, str]:
        category = reference.category(lead.category_slug)
        return {"id": str(lead.id), "title": lead.title,
                "status": self._text(f"ui.lead_status.{lead.status}"),
                "type": self._text(f"ui.leads.type.{lead.type}"),
                "category": category.name(self.locale) if category else lead.category_slug,
                "when": format.moment(lead.created_at, self.locale),
                "open": "yes" if lead.status == LeadStatus.active else "",
                "hidden": "yes" if lead.hidden_at is not None else "",
                "hidden_reason": lead.hidden_reason or "",
                "hidden_when": format.moment(lead.hidden_at, self.locale)
                if lead.hidden_at else ""}

    async def _load(self, caller, *, more: bool = False) -> None:
        cursor = self.cursor if more else None
        try:
            query = self._query()
            found, next_cursor = await self._as(caller, lambda s: admin_leads.search(
                session=s, caller=caller, query=query, cursor=cursor))
        except AppError as error:
            self.errors = self._field_messages(error)
            self.error = "" if self.errors else self._message(error)
            return
        rows = [self._row(lead) for lead in found]
        self.rows = [*self.rows, *rows] if more else rows
        self.cursor = next_cursor or ""

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        self.error, self.errors, self.applied, self.lead = "", {}, {}, {}
        self.notice, self.reason = "", ""
        await self._load(caller)
        return None

    @event
    async def select(self, lead_id: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice, self.client, self.reason = "", "", {}, ""
        await self._show(caller, lead_id)
        return None

    async def _show(self, caller, lead_id: str) -> None:
        try:
            wanted = uuid.UUID(lead_id)
            found = await self._as(caller, lambda s: admin_leads.whole(
                session=s, caller=caller, lead_id=wanted, with_client=False))
        except (AppError, ValueError) as error:
            self.error = (self._message(error) if isinstance(error, AppError)
                          else self._text("errors.lead.not_found"))
            return
        lead, locale = found.lead, self.locale
        self.lead = {**self._row(lead), "budget": format.money(lead.budget, locale)
                     if lead.budget is not None else "",
                     "payment": (self._text(f"ui.payment_status.{found.payment.status}")
                                 + " · " + format.money(found.payment.final_amount, locale))
                     if found.payment else "",
                     "dispute": (self._text(f"ui.leads.dispute.{found.dispute.status}")
                                 + " · " + found.dispute.reason[:200]) if found.dispute else ""}
        # created_at is None only on a row not yet written (the database sets it)
        self.history = [{"event": self._text(f"ui.leads.event.{e.event}"),
                         "when": format.moment(cast(datetime, e.created_at), locale)}
                        for e in found.events]
        self.offers = [{"price": format.money(p.price, locale),
                        "status": self._text(f"ui.offer_status.{p.status}"),
                        "when": format.moment(cast(datetime, p.created_at), locale)}
                       for p in found.proposals]
        review, visited, checked, plan = await self._as(caller, lambda s: (
            reviews.of_lead(session=s, caller=caller, lead_id=wanted),
            visits.of_lead(session=s, caller=caller, lead_id=wanted),
            check_ins.of_lead(session=s, caller=caller, lead_id=wanted),
            milestones.view(session=s, caller=caller, lead_id=wanted)))
        self.steps = [{
            "title": step.milestone.title, "amount": format.money(step.milestone.amount, locale),
            "status": self._text(f"ui.ms.status.{step.milestone.status}"),
            "payment": self._text(f"ui.payment_status.{step.payment_status}")
            if step.payment_status else "",
            "updates": str(len(step.updates))} for step in plan.steps] if plan else []
        self.review = review_row(review, locale, self._text) if review else {}
        self.site_visits = [{"when": when(v.visit.starts_at, locale), "business": v.business_name,
                             "status": self._text(f"ui.visit.status.{v.visit.status}")}
                            for v in visited]
        # checked_in_at is NOT NULL in the table (the model leaves it None until it is written)
        self.check_ins = [{"when": when(cast(datetime, c.check_in.checked_in_at), locale),
                           "by": c.by, "business": c.business_name, "place": c.check_in.place,
                           "kind": self._text("ui.leads.check_in_visit" if c.check_in.visit_id
                                              else "ui.leads.check_in_job")}
                          for c in checked]

    @event
    def close(self):
        self.lead, self.client, self.reason, self.review = {}, {}, "", {}

    @event
    def set_reason(self, value: str):
        self.reason = value

    async def _moderate(self, step, notice: str):
        caller = await self._admin()
        if caller is None or not self.lead:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        ip, reason, lead_id = self.router.session.client_ip[:64], self.reason, self.lead["id"]
        try:
            await self._as(caller, lambda s: step(session=s, caller=caller,
                                                  lead_id=uuid.UUID(lead_id), reason=reason,
                                                  ip=ip))
        except AppError as error:
            fields = self._field_messages(error)
            self.error = " ".join(fields.values()) if fields else self._message(error)
            return None
        self.notice, self.reason = self._text(notice, title=self.lead.get("title", "")), ""
        await self._show(caller, lead_id)
        await self._load(caller)
        return None

    @event
    async def hide(self):
        return await self._moderate(admin_leads.hide, "ui.leads.hidden_notice")

    @event
    async def restore(self):
        return await self._moderate(admin_leads.restore, "ui.leads.restored_notice")

    async def _moderate_review(self, step, notice: str):
        caller = await self._admin()
        if caller is None or not self.review:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        ip, reason = self.router.session.client_ip[:64], self.reason
        review_id, lead_id = self.review["id"], self.lead["id"]
        try:
            await self._as(caller, lambda s: step(session=s, caller=caller,
                                                  review_id=uuid.UUID(review_id),
                                                  reason=reason, ip=ip))
        except AppError as error:
            fields = self._field_messages(error)
            self.error = " ".join(fields.values()) if fields else self._message(error)
            return None
        self.notice, self.reason = self._text(notice), ""
        await self._show(caller, lead_id)
        return None

    @event
    async def hide_review(self):
        return await self._moderate_review(reviews.hide, "ui.leads.review_hidden_notice")

    @event
    async def restore_review(self):
        return await self._moderate_review(reviews.restore, "ui.leads.review_restored_notice")

    @event
    async def reveal(self):
        """The client's details, on request: the read is logged (reason "admin")."""
        caller = await self._admin()
        if caller is None or not self.lead:
            return rx.redirect(routes.LOGIN)
        ip, agent = (self.router.session.client_ip[:64],
                     self.router.headers.user_agent[:200])
        try:
            wanted = uuid.UUID(self.lead["id"])
            client = await self._as(caller, lambda s: leads.reveal_contact(
                session=s, caller=caller, lead_id=wanted, ip=ip, user_agent=agent))
        except (AppError, ValueError) as error:
            self.error = (self._message(error) if isinstance(error, AppError)
                          else self._text("errors.lead.not_found"))
            return None
        self.client = {"name": client.name, "phone": format.phone(client.phone),
                       "address": client.address}
        return None


def _choice(name: str, label: str, options: list[tuple[str, str]]) -> rx.Component:
    element_id = f"leads-{name}"
    return field(label, rx.select.root(
        rx.select.trigger(id=element_id, width="100%"),
        rx.select.content(rx.select.item(t("ui.leads.any"), value=ANY),
                          *[rx.select.item(t(key), value=value) for value, key in options]),
        name=name, default_value=ANY, size="2"), html_for=element_id)


def _input(name: str, label: str, *, kind: str = "text", hint: str = "") -> rx.Component:
    element_id = f"leads-{name}"
    errors = dict_var(AdminLeadsState.errors)
    return field(label, rx.input(name=name, id=element_id, type=kind, size="2", width="100%"),
                 error=errors.get(name, errors.get(
                     "who" if name == "owner" else name, "")),
                 hint=hint, html_for=element_id)


def _filters() -> rx.Component:
    return form(
        rx.grid(
            _choice("status", "ui.leads.status",
                    [(s.value, f"ui.lead_status.{s.value}") for s in LeadStatus]),
            _choice("type", "ui.leads.type",
                    [(k.value, f"ui.leads.type.{k.value}") for k in LeadType]),
            _choice("shown", "ui.leads.shown", [("shown", "ui.leads.shown.shown"),
                                                ("hidden", "ui.leads.shown.hidden")]),
            _input("owner", "ui.leads.owner", hint="ui.audit.who_hint"),
            _input("performer", "ui.leads.performer", hint="ui.leads.performer_hint"),
            columns=rx.breakpoints(initial="1", sm="2", lg="3"), spacing="3", width="100%"),
        rx.box(day_range(AdminLeadsState, "leads", dict_var(AdminLeadsState.errors)), width="100%",
               max_width="40rem", padding_top="0.75rem"),
        rx.button(rx.icon("search", size=14, aria_hidden="true"), t("ui.audit.apply"),
                  type="submit", size="2", id="leads-apply", margin_top="0.5rem"),
        on_submit=AdminLeadsState.apply, width="100%", id="leads-filters")


def _row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.vstack(rx.text(row["title"], weight="bold", size="2"),
                      rx.text(row["status"], " · ", row["type"], " · ", row["category"],
                              size="1", color=theme.MUTED),
                      rx.hstack(rx.text(row["when"], size="1", color=theme.MUTED),
                                rx.cond(row["hidden"] != "",
                                        rx.badge(rx.icon("eye-off", size=12, aria_hidden="true"),
                                                 t("ui.leads.hidden_badge"),
                                                 color_scheme="orange", size="1")),
                                spacing="2", align="center"),
                      spacing="0", align="start", min_width="0", flex="1"),
            rx.button(t("ui.users.open"), size="1", variant="soft",
                      on_click=AdminLeadsState.select(row["id"]), class_name="leads-open"),
            width="100%", align="center", spacing="3"),
        padding_y="0.6rem", border_bottom=f"1px solid {rx.color('gray', 4)}",
        list_style="none", class_name="leads-row")


def _list(title: str, rows: ArrayVar[Sequence[dict[str, str]]],
          render: Callable[[ObjectVar[dict[str, str]]], rx.Component],
          empty: str) -> rx.Component:
    return rx.vstack(
        rx.heading(t(title), as_="h3", size="3"),
        rx.cond(rows.length() > 0,
                rx.el.ul(rx.foreach(rows, lambda r: rx.el.li(render(r), list_style="none",
                                                                padding_y="0.2rem")),
                         padding="0", margin="0", width="100%"),
                rx.text(t(empty), size="2", color=theme.MUTED)),
        spacing="1", width="100%")


def _reason() -> rx.Component:
    return rx.vstack(
        rx.el.label(t("ui.users.reason"), html_for="leads-reason", font_weight="500",
                    font_size="0.9rem"),
        rx.text_area(value=AdminLeadsState.reason, on_change=AdminLeadsState.set_reason,
                     id="leads-reason", rows="3", width="100%", max_length=500),
        spacing="1", width="100%", margin_top="0.75rem")


def _moderation() -> rx.Component:
    """Hide an open lead from the board, or restore a hidden one: each asks why first."""
    state, lead = AdminLeadsState, dict_var(AdminLeadsState.lead)
    return rx.cond(
        lead.get("hidden", "") != "",
        confirm_dialog(
            rx.button(rx.icon("eye", size=15, aria_hidden="true"), t("ui.leads.restore"),
                      variant="soft", id="leads-restore"),
            "ui.leads.restore_title",
            rx.vstack(rx.text(t("ui.leads.restore_body")), _reason(), spacing="1",
                      width="100%"),
            "ui.leads.restore", state.restore, color="teal"),
        rx.cond(lead.get("open", "") != "", confirm_dialog(
            rx.button(rx.icon("eye-off", size=15, aria_hidden="true"), t("ui.leads.hide"),
                      color_scheme="red", variant="soft", id="leads-hide"),
            "ui.leads.hide_title",
            rx.vstack(rx.text(t("ui.leads.hide_body")), _reason(), spacing="1", width="100%"),
            "ui.leads.hide", state.hide)))


def _review() -> rx.Component:
    """The job's review, with hiding it (or showing it again), each after asking why."""
    state, review = AdminLeadsState, dict_var(AdminLeadsState.review)
    return rx.cond(review.length() > 0, rx.vstack(
        rx.heading(t("ui.review.title"), as_="h3", size="3"),
        rx.cond(review["hidden"] != "",
                rx.callout.root(rx.callout.icon(rx.icon("eye-off", size=16)),
                                rx.callout.text(t("ui.review.hidden_note"), " ",
                                                review["hidden_reason"], dir="auto"),
                                color_scheme="orange", size="1", width="100%")),
        review_card(review),
        rx.cond(
            review["hidden"] != "",
            confirm_dialog(
                rx.button(rx.icon("eye", size=15, aria_hidden="true"),
                          t("ui.leads.review_restore"), variant="soft", id="review-restore"),
                "ui.leads.review_restore_title",
                rx.vstack(rx.text(t("ui.leads.review_restore_body")), _reason(), spacing="1",
                          width="100%"),
                "ui.leads.review_restore", state.restore_review, color="teal"),
            confirm_dialog(
                rx.button(rx.icon("eye-off", size=15, aria_hidden="true"),
                          t("ui.leads.review_hide"), color_scheme="red", variant="soft",
                          id="review-hide"),
                "ui.leads.review_hide_title",
                rx.vstack(rx.text(t("ui.leads.review_hide_body")), _reason(), spacing="1",
                          width="100%"),
                "ui.leads.review_hide", state.hide_review)),
        spacing="2", width="100%", padding_top="0.5rem", id="leads-review"))


def _lead() -> rx.Component:
    state = AdminLeadsState
    lead, client = dict_var(state.lead), dict_var(state.client)
    return rx.vstack(
        rx.hstack(rx.heading(lead.get("title", ""), as_="h2", size="5"), rx.spacer(),
                  rx.button(rx.icon("x", size=14, aria_hidden="true"), t("ui.users.close"),
                            size="1", variant="ghost", on_click=state.close),
                  width="100%", align="center"),
        rx.text(lead.get("status", ""), " · ", lead.get("type", ""), " · ",
                lead.get("category", ""), size="2", color=theme.MUTED),
        rx.cond(lead.get("budget", "") != "",
                rx.text(t("ui.leads.budget"), " ", rx.el.bdi(lead.get("budget", "")), size="2")),
        rx.cond(client.get("name", "") != "",
                rx.vstack(rx.text(client.get("name", ""), weight="bold", size="2"),
                          rx.text(rx.el.bdi(client.get("phone", ""), dir="ltr"),
                                  size="2"),
                          rx.text(client.get("address", ""), size="2"),
                          spacing="0", id="leads-client", padding="0.5rem",
                          background=rx.color("amber", 2), border_radius="0.5rem",
                          width="100%"),
                rx.button(rx.icon("eye", size=14, aria_hidden="true"), t("ui.leads.reveal"),
                          size="2", variant="soft", on_click=state.reveal,
                          id="leads-reveal")),
        rx.cond(lead.get("hidden", "") != "",
                rx.callout(rx.vstack(
                    rx.text(t("ui.leads.hidden_since"), " ", lead.get("hidden_when", ""),
                            weight="bold"),
                    rx.text(lead.get("hidden_reason", "")), spacing="1"),
                    icon="eye-off", color_scheme="orange", size="1", width="100%",
                    id="leads-hidden")),
        _moderation(),
        rx.cond(lead.get("payment", "") != "",
                rx.text(t("ui.leads.payment"), " ", lead.get("payment", ""), size="2")),
        rx.cond(lead.get("dispute", "") != "",
                rx.text(t("ui.leads.dispute"), " ", lead.get("dispute", ""), size="2")),
        _list("ui.leads.proposals", state.offers, lambda o: rx.text(
            rx.el.bdi(o["price"]), " · ", o["status"], " · ", o["when"], size="2"),
            "ui.leads.no_proposals"),
        _list("ui.leads.history", state.history, lambda e: rx.text(
            e["event"], " · ", e["when"], size="2"), "ui.leads.no_history"),
        _list("ui.leads.milestones", state.steps, lambda m: rx.text(
            rx.el.bdi(m["title"]), " · ", rx.el.bdi(m["amount"]), " · ", m["status"],
            rx.cond(m["payment"] != "", rx.fragment(" · ", m["payment"])), size="2"),
            "ui.leads.no_milestones"),
        _list("ui.leads.visits", state.site_visits, lambda v: rx.text(
            v["when"], " · ", rx.el.bdi(v["business"]), " · ", v["status"], size="2"),
            "ui.leads.no_visits"),
        _list("ui.leads.check_ins", state.check_ins, lambda c: rx.text(
            c["when"], " · ", rx.el.bdi(c["business"]), " (", rx.el.bdi(c["by"]), ") · ",
            c["kind"], rx.cond(c["place"] != "", rx.fragment(" · ", rx.el.bdi(c["place"]))),
            size="2"), "ui.leads.no_check_ins"),
        _review(),
        spacing="3", width="100%", style=theme.card_style(), id="leads-lead")


def admin_leads_page() -> rx.Component:
    state = AdminLeadsState
    return admin_shell(
        rx.vstack(
            page_title("ui.leads.title", "ui.leads.subtitle"),
            error_banner(state.error),
            notice_banner(state.notice),
            rx.cond(dict_var(state.lead).get("id", "") != "", _lead()),
            rx.box(_filters(), width="100%", style=theme.card_style()),
            rx.box(
                rx.cond(state.rows.length() > 0,
                        rx.vstack(
                            rx.el.ul(rx.foreach(state.rows, _row), padding="0", margin="0",
                                     width="100%", id="leads-rows",
                                     aria_label=t("ui.leads.title")),
                            rx.cond(state.cursor != "",
                                    rx.button(t("ui.users.more"), variant="soft", size="2",
                                              on_click=state.more, id="leads-more")),
                            spacing="3", width="100%", align="center"),
                        empty_state("ui.leads.empty", icon="inbox")),
                width="100%", style=theme.card_style()),
            spacing="4", width="100%"),
        active=routes.ADMIN_LEADS,
    )
