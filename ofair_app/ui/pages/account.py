"""`/account`: the signed-in person's own profile, whoever they are (consumer, professional or
admin): name, e-mail (a new address counts only once the code sent to it is typed back) and
language, and the way out of the session."""

from __future__ import annotations

import reflex as rx

from ofair_app.domain import identity
from ofair_app.domain.consent import Acceptance, ConsentChannel
from ofair_app.domain.errors import AppError
from ofair_app.services import consents, users
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.consent import ACKNOWLEDGE, acknowledge_box, document_link, ticked
from ofair_app.ui.components.forms import error_banner, field, form, notice_banner, page_title
from ofair_app.ui.components.shells import consumer_shell, guarded
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState


class AccountState(SessionState):
    name: str = ""
    email: str = ""
    phone: str = ""
    language: str = "he"
    # A new e-mail waiting for its code (empty when none).
    pending_email: str = ""
    errors: dict[str, str] = {}
    error: str = ""
    notice: str = ""
    # Consents: marketing (a switch), and which versions of the documents were acknowledged.
    marketing: bool = False
    privacy_version: str = ""
    privacy_on: str = ""
    terms_version: str = ""
    terms_on: str = ""
    consent_pending: bool = False
    consent_error: str = ""
    consent_notice: str = ""
    accept_error: str = ""

    def _show_consents(self, status: consents.ConsentStatus) -> None:
        def on(moment) -> str:
            return format.day(moment.date(), self.locale) if moment else ""
        self.marketing = status.marketing
        self.privacy_version = status.privacy_notice.accepted_version or ""
        self.privacy_on = on(status.privacy_notice.accepted_at)
        self.terms_version = status.terms.accepted_version or ""
        self.terms_on = on(status.terms.accepted_at)
        self.consent_pending = bool(status.pending)

    async def _record(self, acceptance: Acceptance, notice: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.consent_error, self.consent_notice = "", ""
        try:
            status = await self._as(caller, lambda s: consents.record(
                session=s, caller=caller, acceptance=acceptance, channel=ConsentChannel.web))
        except AppError as error:
            self.consent_error = self._message(error)
            return None
        self._show_consents(status)
        self.consent_notice = self._text(notice)
        return None

    @rx.event
    async def set_marketing(self, value: bool):
        """Opt in to marketing messages, or withdraw, at any time."""
        return await self._record(Acceptance(marketing=bool(value)),
                                  "ui.account.marketing_on" if value
                                  else "ui.account.marketing_off")

    @rx.event
    async def accept_documents(self, form: dict):
        self.accept_error = ""
        if not ticked(form, ACKNOWLEDGE):
            self.accept_error = self._text("ui.consent.required")
            return None
        return await self._record(consents.current_acceptance(None), "ui.account.accepted")

    def _show(self, user) -> None:
        self.name, self.email = user.name or "", user.email or ""
        self.phone = identity.display_phone(user.phone) if user.phone else ""
        self.language = str(user.locale or "he")

    def _fail(self, error: AppError) -> None:
        self.errors = self._field_messages(error)
        self.error = "" if self.errors else self._message(error)

    @rx.event
    async def open(self):
        caller, redirect = await self._guard("login")
        if caller is None:
            return redirect
        self.errors, self.error, self.notice, self.pending_email = {}, "", "", ""
        self._show(await self._as(caller, lambda s: users.get_me(session=s, caller=caller)))
        self.consent_error, self.consent_notice = "", ""
        self._show_consents(await self._as(caller, lambda s: consents.status(session=s,
                                                                              caller=caller)))
        return None

    @rx.event
    async def save(self, form: dict):
        """Name and language at once; a changed e-mail gets a code first."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.errors, self.error, self.notice = {}, "", ""
        name = str(form.get("name", ""))[:200]
        email = str(form.get("email", "")).strip()[:254]
        language = str(form.get("language", self.language))[:5]
        self.name, self.language = name, language
        try:
            user, sent = await self._as(caller, lambda s: users.update_me(
                session=s, caller=caller, name=name, email=email, locale=language))
        except AppError as error:
            self._fail(error)
            return None
        self._show(user)
        self.pending_email = sent.target.value if sent is not None else ""
        self.notice = self._text("ui.account.code_sent" if sent else "ui.account.saved")
        await self._refresh_identity(caller)
        if language != self.locale:  # the page speaks the language just chosen
            self.locale = language
            return self._apply_to_document()
        return None

    @rx.event
    async def confirm_email(self, form: dict):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.errors, self.error, self.notice = {}, "", ""
        code = "".join(ch for ch in str(form.get("otp", "")) if not ch.isspace())[:12]
        address = self.pending_email
        try:
            user = await self._as(caller, lambda s: users.confirm_email(
                session=s, caller=caller, email=address, otp=code))
        except AppError as error:
            self._fail(error)
            if not self.errors:
                self.errors = {"otp": self.error}
                self.error = ""
            return None
        self._show(user)
        self.pending_email = ""
        self.notice = self._text("ui.account.email_confirmed")
        return None


def _details() -> rx.Component:
    errors = AccountState.errors
    return form(
        rx.vstack(
            rx.cond(AccountState.phone != "",
                    field("ui.account.phone", rx.input(value=AccountState.phone, read_only=True,
                                                       dir="ltr", size="3", width="100%",
                                                       id="account-phone"),
                          hint="ui.account.phone_hint", html_for="account-phone")),
            field("ui.account.name", rx.input(name="name", default_value=AccountState.name,
                                              key=AccountState.name, size="3", width="100%",
                                              max_length=120, id="account-name"),
                  errors.get("name", ""), html_for="account-name"),
            field("ui.account.email", rx.input(name="email", type="email", dir="ltr",
                                               default_value=AccountState.email,
                                               key=AccountState.email, size="3",
                                               width="100%", id="account-email",
                                               placeholder="name@example.com"),
                  errors.get("email", ""), hint="ui.account.email_hint",
                  html_for="account-email"),
            field("ui.account.language", rx.select.root(
                rx.select.trigger(width="100%", id="account-language"),
                rx.select.content(rx.select.item("עברית", value="he"),
                                  rx.select.item("English", value="en")),
                name="language", default_value=AccountState.language,
                key=AccountState.language, size="3"),
                errors.get("locale", ""), html_for="account-language"),
            rx.button(t("ui.account.save"), type="submit", size="3", width="100%",
                      id="account-save"),
            spacing="4",
            width="100%",
        ),
        on_submit=AccountState.save,
        reset_on_submit=False,
        width="100%",
    )


def _email_code() -> rx.Component:
    return rx.cond(
        AccountState.pending_email != "",
        form(
            rx.vstack(
                rx.text(t("ui.account.code_for"), " ", rx.el.bdi(AccountState.pending_email,
                                                                 font_weight="600"),
                        size="2"),
                field("ui.login.code_label", rx.input(
                    name="otp", input_mode="numeric", auto_complete="one-time-code",
                    max_length=6, dir="ltr", size="3", width="100%", id="account-otp"),
                    AccountState.errors.get("otp", ""), html_for="account-otp"),
                rx.button(t("ui.account.confirm_email"), type="submit", size="3",
                          width="100%", id="account-confirm-email"),
                spacing="3",
                width="100%",
            ),
            on_submit=AccountState.confirm_email,
            reset_on_submit=True,
            width="100%",
        ),
    )


def _document_line(label: str, href: str, version: rx.Var, on: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("file-text", size=16, color=theme.MUTED, flex_shrink="0", margin_top="3px"),
        rx.vstack(
            document_link(label, href),
            rx.cond(version != "",
                    rx.text(t("ui.account.version"), " ", rx.el.bdi(version), " · ",
                            t("ui.account.acknowledged_on"), " ", rx.el.bdi(on),
                            size="1", color=theme.MUTED),
                    rx.text(t("ui.account.not_acknowledged"), size="1", color=theme.MUTED)),
            spacing="0",
        ),
        spacing="2",
        align="start",
    )


def _privacy() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.account.privacy_title"), as_="h2", size="4"),
        error_banner(AccountState.consent_error),
        notice_banner(AccountState.consent_notice),
        rx.el.label(
            rx.switch(checked=AccountState.marketing, on_change=AccountState.set_marketing,
                      id="account-marketing", size="3", flex_shrink="0", margin_top="2px"),
            rx.vstack(
                rx.text(t("ui.account.marketing"), size="2", weight="medium"),
                rx.text(t("ui.account.marketing_hint"), size="1", color=theme.MUTED),
                spacing="0",
            ),
            html_for="account-marketing",
            display="flex",
            gap="0.75rem",
            align_items="flex-start",
            cursor="pointer",
        ),
        _document_line("ui.consent.privacy_notice_title", routes.PRIVACY,
                       AccountState.privacy_version, AccountState.privacy_on),
        _document_line("ui.consent.terms_title", routes.TERMS, AccountState.terms_version,
                       AccountState.terms_on),
        rx.cond(
            AccountState.consent_pending,
            form(
                rx.vstack(
                    acknowledge_box("account-accept", AccountState.accept_error),
                    rx.button(t("ui.consent.continue"), type="submit", size="3", width="100%",
                              id="account-accept-submit"),
                    spacing="3", width="100%",
                ),
                on_submit=AccountState.accept_documents,
                reset_on_submit=True,
                width="100%",
            ),
        ),
        rx.text(t("ui.account.rights"), size="1", color=theme.MUTED, line_height="1.6"),
        spacing="4",
        width="100%",
        id="account-privacy",
        style=theme.card_style(),
    )


def account() -> rx.Component:
    return consumer_shell(guarded(rx.vstack(
        page_title("ui.account.title", "ui.account.subtitle"),
        error_banner(AccountState.error),
        notice_banner(AccountState.notice),
        rx.vstack(_details(), _email_code(), spacing="5", width="100%",
                  style=theme.card_style()),
        _privacy(),
        rx.hstack(
            rx.link(rx.button(rx.icon("clipboard-list", size=16), t("ui.nav.my_requests"),
                              variant="soft", size="3"), href=routes.MY_REQUESTS),
            rx.spacer(),
            rx.button(rx.icon("log-out", size=16), t("ui.nav.logout"), variant="soft",
                      color_scheme="red", size="3", on_click=AccountState.logout,
                      id="account-logout"),
            width="100%",
            wrap="wrap",
            spacing="3",
        ),
        spacing="5", width="100%", max_width="32rem", margin_x="auto",
        padding=rx.breakpoints(initial="1.5rem 1rem 3rem", md="3rem 1rem"),
    )))
