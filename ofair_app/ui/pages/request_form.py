"""The consumer's request form on the landing page: what, where, when, how much, who.

A visitor who is not signed in confirms their phone inline with a one-time code (which also
opens their account) and the request is posted right after; a signed-in visitor posts at once.
Every field is checked before a code is sent, so nobody waits for an SMS to learn a typo.
"""

from __future__ import annotations

import reflex as rx

from ofair_app import reference
from ofair_app.db.engine import SYSTEM
from ofair_app.domain import identity
from ofair_app.domain.consent import ConsentChannel
from ofair_app.domain.errors import AppError, FieldErrors, RateLimited
from ofair_app.domain.leads import LeadType, PreferredSchedule, read_amount
from ofair_app.models import LeadCreate
from ofair_app.services import auth, consents, leads, users
from ofair_app.ui import routes, theme
from ofair_app.ui.components.consent import (
    ACKNOWLEDGE,
    MARKETING,
    acknowledge_box,
    check_box,
    marketing_box,
    notice_summary,
    ticked,
)
from ofair_app.ui.components.forms import dict_var, error_banner, field, form
from ofair_app.ui.components.pickers import category_select, locality_picker
from ofair_app.ui.state.countdown import RESEND_SECONDS, ResendCountdown
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.place import PlaceMixin
from ofair_app.ui.state.session import SessionState

SCHEDULES = [s.value for s in PreferredSchedule]
DIRECT_CONTACT = "direct_contact"


class RequestState(ResendCountdown, PlaceMixin, SessionState):
    category: rx.Field[str] = rx.field("")
    schedule: rx.Field[str] = rx.field(PreferredSchedule.this_week.value)
    description: rx.Field[str] = rx.field("")
    budget: rx.Field[str] = rx.field("")
    name: rx.Field[str] = rx.field("")
    phone: rx.Field[str] = rx.field("")
    # "Let professionals contact me directly": a few may pay to get the phone and call.
    direct_contact: rx.Field[bool] = rx.field(False)
    step: rx.Field[str] = rx.field("form")  # form | code
    phone_label: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    code_error: rx.Field[str] = rx.field("")
    sending: rx.Field[bool] = rx.field(False)
    form_version: rx.Field[int] = rx.field(0)
    # The privacy notice and the terms must be acknowledged before the phone is taken: by
    # every visitor who is not signed in, and by an account that has not seen their current
    # versions. What was ticked waits for the code.
    consent_needed: rx.Field[bool] = rx.field(True)
    _acknowledged: bool = False
    _marketing: bool = False

    @event
    async def open(self):
        """Who is here: a signed-in visitor's name and phone fill the form."""
        caller = await self._identify()
        self.access = "ok"
        self.consent_needed = True
        if caller is not None:
            status = await self._as(caller, lambda s: consents.status(session=s, caller=caller))
            self.consent_needed = bool(status.pending)
        if caller is not None and self.step == "form":
            user = await self._as(caller, lambda s: users.get_me(session=s, caller=caller))
            self.name = self.name or user.name
            self.phone = self.phone or (identity.display_phone(user.phone) if user.phone
                                        else "")
            self.form_version += 1

    @event
    def set_category(self, slug: str):
        self.category = slug if reference.category(slug) else ""
        self.errors = {k: v for k, v in self.errors.items() if k != "category"}

    @event
    def set_schedule(self, value: str | list[str]):
        if value in SCHEDULES:
            self.schedule = str(value)

    def _check(self) -> LeadCreate | None:
        """The request if every field is right; otherwise every bad field's message at once,
        each by its field (the budget as typed and the rules of `check_lead` together)."""
        self.errors, self.error = {}, ""
        checks = FieldErrors()
        budget = checks(read_amount, self.budget, field="budget")
        data = checks(LeadCreate,
                      type=LeadType.consumer,
                      title=leads.request_title(self.category, self.locality_id, self.locale),
                      description=self.description, category=self.category,
                      locality_id=self.locality_id or None, budget=budget,
                      preferred_schedule=PreferredSchedule(self.schedule),
                      client_name=self.name, client_phone=self.phone,
                      direct_contact=self.direct_contact)
        if data is not None:
            checks(leads.check_lead, data)
        if checks:
            # The title is made from the category and the city; name those instead.
            if "title" in checks and not ("category" in checks or "locality_id" in checks):
                checks.add("description", checks.fields["title"],
                           **checks.params.get("title", {}))
            checks.fields.pop("title", None)
            self.errors = self._field_messages(checks.error())
            return None
        return data

    async def _post(self, caller, data: LeadCreate):
        lead = await self._as(caller, lambda s: leads.create_lead(session=s, caller=caller,
                                                                  data=data))
        self.step, self.description, self.budget = "form", "", ""
        self.direct_contact = False
        self.form_version += 1
        return rx.redirect(routes.my_request(lead.id, sent=True))

    @event
    async def submit(self, form: dict):
        self.description = str(form.get("description", ""))[:2000]
        self.budget = str(form.get("budget", ""))[:20]
        self.name = str(form.get("name", ""))[:120]
        self.phone = str(form.get("phone", ""))[:32]
        self.direct_contact = ticked(form, DIRECT_CONTACT)
        data = self._check()
        self._acknowledged = ticked(form, ACKNOWLEDGE)
        self._marketing = ticked(form, MARKETING)
        if self.consent_needed and not self._acknowledged:
            self.errors = {**self.errors, "consent": self._text("ui.consent.required")}
            return None
        if data is None:
            return None
        caller = await self._caller()
        try:
            if caller is not None:
                if self.consent_needed:
                    acceptance = consents.current_acceptance(None)
                    await self._as(caller, lambda s: consents.record(
                        session=s, caller=caller, acceptance=acceptance,
                        channel=ConsentChannel.web))
                    self.consent_needed = False
                return await self._post(caller, data)
            return await self._send_code()
        except AppError as error:
            self.error = self._message(error)
            self.errors = self._field_messages(error)
            return None

    async def _send_code(self):
        ip, _ = self._request_origin()
        phone, locale = self.phone, self.locale
        try:
            sent = await self._as(SYSTEM, lambda s: auth.send_login_code(
                session=s, ip=ip, phone=phone, locale=locale))
        except RateLimited as error:
            self.error = self._message(error)
            self.resend_in = error.retry_after_seconds
            return RequestState.tick if self.step == "code" else None
        self.phone_label = identity.display_phone(sent.target.value)
        self.step = "code"
        self.code_error = ""
        self.resend_in = RESEND_SECONDS
        return RequestState.tick

    @event
    async def resend(self):
        if self.resend_in > 0 or self.step != "code":
            return None
        self.error = ""
        return await self._send_code()

    @event
    def back_to_form(self):
        self.step, self.code_error, self.error = "form", "", ""
        self.form_version += 1

    @event
    async def verify(self, form: dict):
        self.code_error, self.error = "", ""
        code = "".join(ch for ch in str(form.get("otp", "")) if not ch.isspace())[:12]
        ip, user_agent = self._request_origin()
        phone, locale = self.phone, self.locale
        acceptance = consents.current_acceptance(self._marketing) if self._acknowledged else None
        try:
            login = await self._as(SYSTEM, lambda s: auth.verify_login_code(
                session=s, phone=phone, otp=code, locale=locale, user_agent=user_agent,
                ip=ip, acceptance=acceptance, channel=ConsentChannel.web))
        except AppError as error:
            self.code_error = next(iter(self._field_messages(error).values()),
                                   self._message(error))
            return None
        self.token = login.token
        self.consent_needed = False
        caller = await self._caller()
        await self._refresh_identity(caller)
        data = self._check()
        if caller is None or data is None:
            self.step = "form"
            return None
        try:
            return await self._post(caller, data)
        except AppError as error:
            self.step = "form"
            self.error = self._message(error)
            self.errors = self._field_messages(error)
            return None



# --- the form ------------------------------------------------------------------------------


def _schedule_picker() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(width="100%", id="r-schedule"),
        rx.select.content(*(rx.select.item(t(f"ui.schedule.{s}"), value=s) for s in SCHEDULES),
                          position="popper"),
        value=RequestState.schedule,
        on_change=RequestState.set_schedule,
        size="3",
    )


def _error(name: str) -> rx.Var:
    return dict_var(RequestState.errors).get(name, "")


def _form_step() -> rx.Component:
    signed_in = RequestState.signed_in
    return form(
        rx.vstack(
            field("ui.request.category",
                  category_select(RequestState, "r-category", "ui.request.category_placeholder"),
                  _error("category"),
                  html_for="r-category"),
            field("ui.request.city", locality_picker(RequestState), _error("locality_id"),
                  html_for="f-locality"),
            field("ui.request.description",
                  rx.text_area(name="description", id="r-description",
                               default_value=RequestState.description,
                               placeholder=t("ui.request.description_placeholder"),
                               rows="4", size="3", width="100%", max_length=2000),
                  _error("description"), hint="ui.request.description_hint",
                  html_for="r-description", required=True),
            rx.grid(
                field("ui.request.budget",
                      rx.input(rx.input.slot("₪"), name="budget", id="r-budget",
                               default_value=RequestState.budget, input_mode="decimal",
                               placeholder=t("ui.request.budget_placeholder"), size="3",
                               width="100%", dir="ltr", text_align="start"),
                      _error("budget"), hint="ui.request.budget_hint", html_for="r-budget"),
                field("ui.request.schedule", _schedule_picker(), html_for="r-schedule"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="4",
                width="100%",
            ),
            rx.grid(
                field("ui.request.name",
                      rx.input(name="name", id="r-name", default_value=RequestState.name,
                               auto_complete="name", size="3", width="100%"),
                      _error("client_name"), html_for="r-name", required=True),
                field("ui.request.phone",
                      rx.input(name="phone", id="r-phone", default_value=RequestState.phone,
                               type="tel", input_mode="tel", auto_complete="tel",
                               placeholder="050-123-4567", size="3", width="100%", dir="ltr",
                               text_align="start", read_only=signed_in),
                      _error("client_phone"),
                      hint=rx.cond(signed_in, t("ui.request.phone_account"),
                                   t("ui.request.phone_hint")),
                      html_for="r-phone", required=True),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="4",
                width="100%",
            ),
            check_box(DIRECT_CONTACT, "r-direct", t("ui.request.direct_contact"),
                      checked=RequestState.direct_contact, hint="ui.request.direct_contact_hint"),
            rx.cond(
                RequestState.consent_needed,
                rx.vstack(
                    notice_summary("ui.request.privacy_summary"),
                    acknowledge_box("r-accept", _error("consent")),
                    rx.cond(~signed_in, marketing_box("r-marketing")),
                    spacing="2",
                    width="100%",
                ),
            ),
            rx.button(
                rx.cond(signed_in, t("ui.request.post"), t("ui.request.continue")),
                rx.icon("arrow-left", size=16, class_name="ofair-forward"),
                type="submit", size="3", width="100%", id="r-submit",
            ),
            rx.hstack(
                rx.icon("lock-keyhole", size=14, color=theme.BRAND, flex_shrink="0"),
                rx.text(t("ui.request.privacy"), size="1", color=theme.MUTED),
                spacing="2",
                align="center",
            ),
            spacing="4",
            width="100%",
            key=RequestState.form_version,
        ),
        on_submit=RequestState.submit,
        reset_on_submit=False,
        width="100%",
    )


def _code_step() -> rx.Component:
    return form(
        rx.vstack(
            rx.hstack(
                rx.icon("message-square-text", size=18, color=theme.BRAND, flex_shrink="0"),
                rx.text(t("ui.login.code_sent_to"), " ",
                        rx.el.bdi(RequestState.phone_label, font_weight="600"), size="2"),
                spacing="2",
                align="center",
            ),
            field("ui.request.code",
                  rx.input(name="otp", id="r-otp", input_mode="numeric",
                           auto_complete="one-time-code", max_length=6,
                           placeholder="······", dir="ltr", text_align="center", size="3",
                           width="100%", letter_spacing="0.5em", font_size="1.35rem",
                           auto_focus=True),
                  RequestState.code_error, hint="ui.request.code_hint", html_for="r-otp",
                  required=True),
            rx.button(t("ui.request.verify_and_post"), type="submit", size="3", width="100%",
                      id="r-verify"),
            rx.hstack(
                rx.cond(
                    RequestState.resend_in > 0,
                    rx.text(t("ui.login.resend_in"), " ",
                            rx.el.span(RequestState.resend_in, dir="ltr",
                                       font_variant_numeric="tabular-nums"),
                            size="2", color=theme.MUTED),
                    rx.button(t("ui.login.resend"), variant="ghost", size="2", type="button",
                              on_click=RequestState.resend, id="r-resend"),
                ),
                rx.spacer(),
                rx.button(t("ui.request.edit"), variant="ghost", color_scheme="gray", size="2",
                          type="button", on_click=RequestState.back_to_form),
                width="100%",
                align="center",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=RequestState.verify,
        reset_on_submit=False,
        width="100%",
    )


def request_card() -> rx.Component:
    """The form as a card; the landing page's hero holds it."""
    return rx.vstack(
        rx.hstack(
            rx.center(rx.icon("clipboard-pen", size=20, color=theme.BRAND), width="2.5rem",
                      height="2.5rem", border_radius="12px", background=rx.color("teal", 3),
                      flex_shrink="0"),
            rx.vstack(
                rx.heading(t("ui.request.heading"), as_="h2", size="5"),
                rx.text(t("ui.request.subheading"), size="2", color=theme.MUTED),
                spacing="0",
            ),
            spacing="3",
            align="center",
        ),
        error_banner(RequestState.error),
        rx.cond(
            RequestState.access == "ok",
            rx.cond(RequestState.step == "code", _code_step(), _form_step()),
            rx.center(rx.spinner(size="3"), padding="3rem", width="100%"),
        ),
        id="request",
        spacing="4",
        width="100%",
        max_width="34rem",
        scroll_margin_top="72px",
        style=theme.card_style(padding="1.5rem 1.25rem"),
        box_shadow="0 24px 48px -24px rgba(13,122,111,0.35), 0 2px 6px rgba(18,38,43,0.05)",
    )
