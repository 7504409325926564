"""`/login`: a one-time code by SMS or e-mail; the first login creates the account.

`?next=/pro/profile` brings the visitor back where they were headed (paths on this site only).
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from ofair_app.db.engine import SYSTEM, Caller
from ofair_app.domain import identity
from ofair_app.domain.consent import Acceptance, ConsentChannel
from ofair_app.domain.errors import AppError, InvalidInput, RateLimited
from ofair_app.services import auth, consents, leads
from ofair_app.ui import routes, theme
from ofair_app.ui.components.consent import (
    ACKNOWLEDGE,
    MARKETING,
    acknowledge_box,
    marketing_box,
    notice_summary,
    ticked,
)
from ofair_app.ui.components.forms import error_banner, field, form, notice_banner
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.state.countdown import RESEND_SECONDS, ResendCountdown
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState, safe_next


class _Target(TypedDict):
    """Who the code goes to, as the auth service's keyword arguments: one of the two."""

    phone: str | None
    email: str | None


class LoginState(ResendCountdown, SessionState):
    method: rx.Field[str] = rx.field("phone")  # phone | email
    step: rx.Field[str] = rx.field("identify")  # identify | code | consent
    # consent step: True for a new account (the code waits, unused, in `_code`), False for an
    # existing one that has not acknowledged the current documents yet
    consent_new: rx.Field[bool] = rx.field(False)
    consent_error: rx.Field[str] = rx.field("")
    _code: str = ""
    # what the visitor typed, kept when they go back to fix it
    identifier: rx.Field[str] = rx.field("")
    target_label: rx.Field[str] = rx.field("")  # where the code went, as the visitor should read it
    error: rx.Field[str] = rx.field("")
    field_error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    @rx.var
    def resend_clock(self) -> str:
        return f"{self.resend_in // 60}:{self.resend_in % 60:02d}"

    async def _next(self, caller: Caller | None) -> str:
        """Where a signed-in visitor goes: `next=` when given, else their own home (admins
        the back office, a business its board, a consumer with requests those requests)."""
        if caller is None:
            default = routes.HOME
        elif caller.role == "admin":
            default = routes.ADMIN_HOME
        elif caller.professional_ids:
            default = routes.PRO_HOME
        else:
            mine = await self._as(caller, lambda s: leads.my_leads(session=s, caller=caller,
                                                                   limit=1))
            default = routes.MY_REQUESTS if mine else routes.HOME
        return safe_next(self.router.url.query_parameters.get("next"), default)

    def _clear(self) -> None:
        self.error, self.field_error, self.notice, self.consent_error = "", "", "", ""

    def _target(self) -> _Target:
        if self.method == "email":
            return {"phone": None, "email": self.identifier}
        return {"phone": self.identifier, "email": None}

    @event
    async def open(self):
        """A signed-in visitor goes straight on; everyone else starts at the first step."""
        caller = await self._identify()
        self.access = "ok"
        if caller is not None:
            return rx.redirect(await self._next(caller))
        self.step, self._code = "identify", ""
        self._clear()
        return None

    @event
    def set_method(self, method: str | list[str]):
        if method in ("phone", "email") and method != self.method:
            self.method, self.identifier = method, ""
            self._clear()

    async def _send(self):
        self._clear()
        ip, _ = self._request_origin()
        locale, target = self.locale, self._target()
        try:
            sent = await self._as(SYSTEM, lambda s: auth.send_login_code(
                session=s, ip=ip, locale=locale, **target))
        except InvalidInput as error:
            messages = self._field_messages(error)
            self.field_error = next(iter(messages.values()), self._message(error))
            return None
        except RateLimited as error:
            self.error = self._message(error)
            if self.step == "code":
                self.resend_in = error.retry_after_seconds
                return LoginState.tick
            return None
        except AppError as error:
            self.error = self._message(error)
            return None
        value = sent.target.value
        self.target_label = identity.display_phone(value) if sent.target.channel == "sms" \
            else value
        self.step = "code"
        self.resend_in = RESEND_SECONDS
        return LoginState.tick

    @event
    async def send_code(self, form: dict):
        self.identifier = str(form.get("identifier", "")).strip()[:254]
        return await self._send()

    @event
    async def resend(self):
        if self.resend_in > 0 or self.step != "code":
            return None
        result = await self._send()
        if not self.error:
            self.notice = self._text("ui.login.resent")
        return result

    @event
    def change_target(self):
        self.step, self._code = "identify", ""
        self._clear()

    async def _login(self, code: str, acceptance: Acceptance | None) -> auth.Login:
        ip, user_agent = self._request_origin()
        locale, target = self.locale, self._target()
        return await self._as(SYSTEM, lambda s: auth.verify_login_code(
            session=s, otp=code, locale=locale, user_agent=user_agent, ip=ip,
            acceptance=acceptance, channel=ConsentChannel.web, **target))

    async def _signed_in(self, login: auth.Login):
        self.token = login.token
        caller = await self._caller()
        await self._refresh_identity(caller)
        if login.pending_consents:
            # An existing account: the documents changed since it last acknowledged them.
            self.step, self.consent_new = "consent", False
            return None
        self.step = "done"
        return rx.redirect(await self._next(caller))

    @event
    async def verify(self, form: dict):
        self._clear()
        code = "".join(ch for ch in str(form.get("otp", "")) if not ch.isspace())[:12]
        try:
            login = await self._login(code, None)
        except InvalidInput as error:
            if error.code == "consent_required":
                # The code is right and the account is new: it waits, unused, until the
                # person has read and acknowledged the documents.
                self._code, self.step, self.consent_new = code, "consent", True
                return None
            self.field_error = next(iter(self._field_messages(error).values()),
                                    self._message(error))
            return None
        except AppError as error:
            self.field_error = self._message(error)
            return None
        return await self._signed_in(login)

    @event
    async def accept(self, form: dict):
        """The documents acknowledged (required) and, for a new account, the marketing answer."""
        self._clear()
        if self.step != "consent":
            return None
        if not ticked(form, ACKNOWLEDGE):
            self.consent_error = self._text("ui.consent.required")
            return None
        if not self.consent_new:
            caller = await self._caller()
            if caller is None:
                self.step = "identify"
                return None
            acceptance = consents.current_acceptance(None)
            await self._as(caller, lambda s: consents.record(
                session=s, caller=caller, acceptance=acceptance, channel=ConsentChannel.web))
            self.step = "done"
            return rx.redirect(await self._next(caller))
        acceptance = consents.current_acceptance(ticked(form, MARKETING))
        try:
            login = await self._login(self._code, acceptance)
        except AppError as error:
            # The code expired meanwhile (or was used): back to the code, with the reason.
            self.step, self.field_error = "code", self._message(error)
            return None
        self._code = ""
        return await self._signed_in(login)


def _method_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(
            rx.hstack(rx.icon("smartphone", size=15), t("ui.login.by_phone"), spacing="2",
                      align="center"),
            value="phone",
        ),
        rx.segmented_control.item(
            rx.hstack(rx.icon("mail", size=15), t("ui.login.by_email"), spacing="2",
                      align="center"),
            value="email",
        ),
        value=LoginState.method,
        on_change=LoginState.set_method,
        width="100%",
        size="2",
        id="login-method",
    )


def _identify_step() -> rx.Component:
    phone = LoginState.method == "phone"
    return form(
        rx.vstack(
            _method_switch(),
            field(
                "ui.login.phone_label",
                rx.input(
                    name="identifier",
                    id="login-identifier",
                    default_value=LoginState.identifier,
                    key=LoginState.method,
                    type=rx.cond(phone, "tel", "email"),
                    input_mode=rx.cond(phone, "tel", "email"),
                    auto_complete=rx.cond(phone, "tel", "email"),
                    placeholder=rx.cond(phone, "050-123-4567", "name@example.com"),
                    dir="ltr",
                    text_align="start",
                    size="3",
                    width="100%",
                    auto_focus=True,
                ),
                error=LoginState.field_error,
                hint="ui.login.phone_hint",
                html_for="login-identifier",
                required=True,
            ),
            rx.button(
                t("ui.login.send_code"),
                rx.icon("arrow-left", size=16, class_name="ofair-forward"),
                type="submit",
                size="3",
                width="100%",
                id="login-send",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=LoginState.send_code,
        reset_on_submit=False,
        width="100%",
    )


def _resend() -> rx.Component:
    return rx.cond(
        LoginState.resend_in > 0,
        rx.text(
            t("ui.login.resend_in"), " ",
            rx.el.span(
                LoginState.resend_clock,
                dir="ltr",
                font_variant_numeric="tabular-nums",
                id="resend-countdown",
            ),
            size="2",
            color=theme.MUTED,
        ),
        rx.button(t("ui.login.resend"), variant="ghost", size="2", on_click=LoginState.resend,
                  type="button", id="login-resend"),
    )


def _code_step() -> rx.Component:
    return form(
        rx.vstack(
            rx.hstack(
                rx.icon("message-square-text", size=18, color=theme.BRAND, flex_shrink="0"),
                rx.text(
                    t("ui.login.code_sent_to"), " ",
                    rx.el.bdi(LoginState.target_label, font_weight="600"),
                    size="2",
                ),
                spacing="2",
                align="center",
            ),
            field(
                "ui.login.code_label",
                rx.input(
                    name="otp",
                    id="login-otp",
                    input_mode="numeric",
                    auto_complete="one-time-code",
                    max_length=6,
                    placeholder="······",
                    dir="ltr",
                    text_align="center",
                    size="3",
                    width="100%",
                    letter_spacing="0.5em",
                    font_size="1.35rem",
                    auto_focus=True,
                ),
                error=LoginState.field_error,
                html_for="login-otp",
                required=True,
            ),
            rx.button(t("ui.login.verify"), type="submit", size="3", width="100%",
                      id="login-verify"),
            rx.hstack(
                _resend(),
                rx.spacer(),
                rx.button(t("ui.login.change_target"), variant="ghost", color_scheme="gray",
                          size="2", type="button", on_click=LoginState.change_target),
                width="100%",
                align="center",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=LoginState.verify,
        reset_on_submit=False,
        width="100%",
    )


def _consent_step() -> rx.Component:
    return form(
        rx.vstack(
            rx.heading(rx.cond(LoginState.consent_new, t("ui.consent.signup_title"),
                               t("ui.consent.updated_title")), as_="h2", size="4"),
            notice_summary(),
            acknowledge_box("login-accept", LoginState.consent_error),
            rx.cond(LoginState.consent_new, marketing_box("login-marketing")),
            rx.button(t("ui.consent.continue"), type="submit", size="3", width="100%",
                      id="login-accept-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=LoginState.accept,
        reset_on_submit=False,
        width="100%",
        id="login-consent",
    )


def login() -> rx.Component:
    return consumer_shell(
        rx.center(
            rx.vstack(
                rx.center(
                    rx.icon("shield-check", size=26, color=theme.BRAND),
                    width="3.25rem",
                    height="3.25rem",
                    border_radius="999px",
                    background=rx.color("teal", 3),
                ),
                rx.heading(t("ui.login.title"), as_="h1", size="6", text_align="center"),
                rx.text(t("ui.login.subtitle"), color=theme.MUTED, size="2",
                        text_align="center", line_height="1.6"),
                error_banner(LoginState.error),
                notice_banner(LoginState.notice),
                # The form appears once the page is live (its handlers attached and `open`
                # done), so an early tap never submits it the browser's own way.
                rx.cond(
                    LoginState.access == "ok",
                    rx.match(LoginState.step,
                             ("code", _code_step()),
                             ("consent", _consent_step()),
                             _identify_step()),
                    rx.spinner(size="3", margin="2rem auto"),
                ),
                rx.text(t("ui.login.terms"), size="1", color=theme.MUTED, text_align="center"),
                spacing="4",
                align="center",
                width="100%",
                max_width="26rem",
                style=theme.card_style(padding="2rem 1.5rem"),
            ),
            padding=rx.breakpoints(initial="1.5rem 1rem 3rem", md="4rem 1rem"),
        ),
    )
