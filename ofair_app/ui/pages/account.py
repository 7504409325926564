"""`/account`: the signed-in person's own profile, whoever they are (consumer, professional or
admin): name, e-mail (a new address counts only once the code sent to it is typed back) and
language; their rights over their data (download it all, close the account); and the way out
of the session."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx
from babel.dates import format_datetime

from ofair_app.domain import identity
from ofair_app.domain.consent import Acceptance, ConsentChannel
from ofair_app.domain.errors import AppError, Conflict
from ofair_app.services import consents, privacy, users
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.consent import ACKNOWLEDGE, acknowledge_box, document_link, ticked
from ofair_app.ui.components.forms import (
    dict_var,
    error_banner,
    field,
    form,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.notification_settings import notification_settings
from ofair_app.ui.components.shells import consumer_shell, guarded
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import LocaleState, t, t_with
from ofair_app.ui.state.session import SessionState

_ISRAEL = ZoneInfo("Asia/Jerusalem")


def _until(moment: datetime | None, locale: str) -> str:
    if moment is None:
        return ""
    return format_datetime(moment.astimezone(_ISRAEL), "d MMM, HH:mm",
                           locale="he_IL" if locale == "he" else "en_IL")


@dataclasses.dataclass
class ExportRow:
    """One "download all my data" request as the page lists it."""

    id: str
    status: str  # pending | ready | failed | expired
    # Both languages, so the language switch needs no reload.
    until_he: str
    until_en: str


def _rows(views: list[privacy.ExportView]) -> list[ExportRow]:
    now = datetime.now(_ISRAEL)
    rows = []
    for view in views:
        status = str(view.status)
        if status == "ready" and (view.expires_at is None or view.expires_at <= now):
            status = "expired"
        rows.append(ExportRow(id=str(view.id), status=status,
                              until_he=_until(view.expires_at, "he"),
                              until_en=_until(view.expires_at, "en")))
    return rows


class AccountState(SessionState):
    name: rx.Field[str] = rx.field("")
    email: rx.Field[str] = rx.field("")
    phone: rx.Field[str] = rx.field("")
    language: rx.Field[str] = rx.field("he")
    # A new e-mail waiting for its code (empty when none).
    pending_email: rx.Field[str] = rx.field("")
    # A new phone number waiting for its code (E.164; empty when none), and how it reads.
    pending_phone: rx.Field[str] = rx.field("")
    pending_phone_display: rx.Field[str] = rx.field("")
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    # Consents: marketing (a switch), and which versions of the documents were acknowledged.
    marketing: rx.Field[bool] = rx.field(False)
    privacy_version: rx.Field[str] = rx.field("")
    privacy_on: rx.Field[str] = rx.field("")
    terms_version: rx.Field[str] = rx.field("")
    terms_on: rx.Field[str] = rx.field("")
    consent_pending: rx.Field[bool] = rx.field(False)
    consent_error: rx.Field[str] = rx.field("")
    consent_notice: rx.Field[str] = rx.field("")
    accept_error: rx.Field[str] = rx.field("")

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

    @event
    async def set_marketing(self, value: bool):
        """Opt in to marketing messages, or withdraw, at any time."""
        return await self._record(Acceptance(marketing=bool(value)),
                                  "ui.account.marketing_on" if value
                                  else "ui.account.marketing_off")

    @event
    async def accept_documents(self, form: dict):
        self.accept_error = ""
        if not ticked(form, ACKNOWLEDGE):
            self.accept_error = self._text("ui.consent.required")
            return None
        return await self._record(consents.current_acceptance(None), "ui.account.accepted")

    exports: rx.Field[list[ExportRow]] = rx.field(default_factory=list)
    # Closing the account: the dialog, what must be settled first, the confirmation's error.
    close_open: rx.Field[bool] = rx.field(False)
    close_blockers: rx.Field[list[str]] = rx.field(default_factory=list)
    close_error: rx.Field[str] = rx.field("")

    def _show(self, user) -> None:
        self.name, self.email = user.name or "", user.email or ""
        self.phone = identity.display_phone(user.phone) if user.phone else ""
        self.language = str(user.locale or "he")

    def _fail(self, error: AppError) -> None:
        self.errors = self._field_messages(error)
        self.error = "" if self.errors else self._message(error)

    @event
    async def open(self):
        caller, redirect = await self._guard("login")
        if caller is None:
            return redirect
        self.errors, self.error, self.notice, self.pending_email = {}, "", "", ""
        self.pending_phone, self.pending_phone_display = "", ""
        self.close_open, self.close_blockers, self.close_error = False, [], ""
        self.consent_error, self.consent_notice = "", ""
        user, exports, consented = await self._as(caller, lambda s: (
            users.get_me(session=s, caller=caller),
            privacy.my_exports(session=s, caller=caller),
            consents.status(session=s, caller=caller)))
        self._show(user)
        self.exports = _rows(exports)
        self._show_consents(consented)
        return None

    @event
    async def request_phone(self, form: dict):
        """A code to the new number; the number changes once it is typed back."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.errors, self.error, self.notice = {}, "", ""
        phone = str(form.get("new_phone", "")).strip()[:40]
        try:
            sent = await self._as(caller, lambda s: users.request_phone_change(
                session=s, caller=caller, phone=phone))
        except AppError as error:
            fields = self._field_messages(error)
            self.errors = {"new_phone": fields.get("phone") or self._message(error)}
            return None
        if sent is None:
            self.notice = self._text("ui.account.phone_same")
            return None
        self.pending_phone = sent.target.value
        self.pending_phone_display = identity.display_phone(sent.target.value)
        self.notice = self._text("ui.account.phone_code_sent")
        return None

    @event
    async def confirm_phone(self, form: dict):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.errors, self.error, self.notice = {}, "", ""
        code = "".join(ch for ch in str(form.get("otp", "")) if not ch.isspace())[:12]
        phone = self.pending_phone
        try:
            user = await self._as(caller, lambda s: users.confirm_phone(
                session=s, caller=caller, phone=phone, otp=code))
        except AppError as error:
            fields = self._field_messages(error)
            self.errors = {"phone_otp": fields.get("otp") or fields.get("phone")
                           or self._message(error)}
            return None
        self._show(user)
        self.pending_phone, self.pending_phone_display = "", ""
        self.notice = self._text("ui.account.phone_confirmed")
        return None

    @event
    async def request_export(self):
        """Ask for the archive; the job builds it in the background."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        ip, _ = self._request_origin()
        try:
            exports = await self._as(caller, lambda s: (
                privacy.request_export(session=s, caller=caller, ip=ip),
                privacy.my_exports(session=s, caller=caller))[1])
        except AppError as error:
            self.error = self._message(error)
            return None
        self.exports = _rows(exports)
        self.notice = self._text("ui.account.export_requested")
        return None

    @event
    async def refresh_exports(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.exports = _rows(await self._as(caller, lambda s: privacy.my_exports(
            session=s, caller=caller)))
        return None

    @event
    async def download_export(self, export_id: str):
        """A fresh five-minute link to the caller's own archive (anyone else's is not found)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error = ""
        try:
            wanted = uuid.UUID(str(export_id)[:36])
        except ValueError:
            return None
        ip, _ = self._request_origin()
        try:
            view = await self._as(caller, lambda s: privacy.export_status(
                session=s, caller=caller, export_id=wanted, ip=ip))
        except AppError as error:
            self.error = self._message(error)
            return None
        if view.download_url is None:
            return AccountState.refresh_exports
        return rx.redirect(view.download_url, is_external=True)

    @event
    async def start_closing(self):
        """Open the confirmation, with what must be settled first (if anything)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        reasons = await self._as(caller, lambda s: privacy.closure_check(session=s,
                                                                          caller=caller))
        self.close_blockers = [self._text(key) for key in reasons]
        self.close_error, self.close_open = "", True
        return None

    @event
    def set_close_open(self, value: bool):
        self.close_open = bool(value)
        if not value:
            self.close_error = ""

    @event
    async def close_account(self, form: dict):
        """Close the account for good; then the session ends here too."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        typed = str(form.get("confirmation", ""))[:254]
        try:
            await self._as(caller, lambda s: privacy.close_account(
                session=s, caller=caller, confirmation=typed))
        except Conflict as error:
            self.close_blockers = list(self._field_messages(error).values())
            self.close_error = "" if self.close_blockers else self._message(error)
            return None
        except AppError as error:
            fields = self._field_messages(error)
            self.close_error = fields.get("confirmation") or self._message(error)
            return None
        self.close_open = False
        self.token = ""
        self.signed_in, self.user_name, self.user_role = False, "", ""
        return rx.redirect(routes.HOME)

    @event
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

    @event
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
    errors = dict_var(AccountState.errors)
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
                    dict_var(AccountState.errors).get("otp", ""), html_for="account-otp"),
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


def _phone_change() -> rx.Component:
    """Correct the phone number: a code to the new one, then the code."""
    errors = dict_var(AccountState.errors)
    return rx.cond(
        AccountState.pending_phone == "",
        form(
            rx.vstack(
                field("ui.account.new_phone", rx.input(
                    name="new_phone", type="tel", input_mode="tel", dir="ltr", size="3",
                    width="100%", id="account-new-phone", placeholder="050-123-4567"),
                    errors.get("new_phone", ""), html_for="account-new-phone"),
                rx.button(t("ui.account.phone_send"), type="submit", size="3",
                          variant="soft", width="100%", id="account-phone-send"),
                spacing="3", width="100%"),
            on_submit=AccountState.request_phone, reset_on_submit=False, width="100%",
        ),
        form(
            rx.vstack(
                rx.text(t("ui.account.code_for"), " ",
                        rx.el.bdi(AccountState.pending_phone_display, font_weight="600",
                                  dir="ltr"), size="2"),
                field("ui.login.code_label", rx.input(
                    name="otp", input_mode="numeric", auto_complete="one-time-code",
                    max_length=6, dir="ltr", size="3", width="100%", id="account-phone-otp"),
                    errors.get("phone_otp", ""), html_for="account-phone-otp"),
                rx.button(t("ui.account.confirm_phone"), type="submit", size="3",
                          width="100%", id="account-confirm-phone"),
                spacing="3", width="100%"),
            on_submit=AccountState.confirm_phone, reset_on_submit=True, width="100%",
        ),
    )


def _export_row(row: ExportRow) -> rx.Component:
    return rx.hstack(
        rx.match(
            row.status,
            ("pending", rx.hstack(rx.icon("loader", size=16),
                                  rx.text(t("ui.account.export_pending"), size="2"),
                                  spacing="2", align="center")),
            ("ready", rx.text(t_with("ui.account.export_ready",
                                     until=rx.cond(LocaleState.locale == "en", row.until_en,
                                                   row.until_he)), size="2")),
            ("failed", rx.text(t("ui.account.export_failed"), size="2", color=theme.MUTED)),
            rx.text(t("ui.account.export_expired"), size="2", color=theme.MUTED),
        ),
        rx.spacer(),
        rx.cond(row.status == "ready",
                rx.button(rx.icon("download", size=16), t("ui.account.export_download"),
                          size="2", on_click=AccountState.download_export(row.id),
                          class_name="export-download")),
        rx.cond(row.status == "pending",
                rx.button(rx.icon("refresh-cw", size=16), t("ui.account.export_refresh"),
                          size="2", variant="soft", on_click=AccountState.refresh_exports,
                          class_name="export-refresh")),
        width="100%", align="center", wrap="wrap", spacing="2", min_height="44px",
        class_name="export-row",
    )


def _export() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.account.export_title"), as_="h3", size="3"),
        rx.text(t("ui.account.export_text"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.foreach(AccountState.exports, _export_row),
        rx.button(rx.icon("archive", size=16), t("ui.account.export_request"), size="3",
                  variant="soft", on_click=AccountState.request_export, id="export-request"),
        spacing="3", width="100%", id="account-export",
    )


def _close_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("ui.account.close_dialog_title")),
            rx.alert_dialog.description(
                rx.vstack(
                    rx.text(t("ui.account.close_erased"), size="2", line_height="1.6"),
                    rx.text(t("ui.account.close_kept"), size="2", line_height="1.6",
                            color=theme.MUTED),
                    spacing="3"),
                size="2"),
            rx.cond(
                AccountState.close_blockers.length() > 0,
                rx.callout.root(
                    rx.callout.text(rx.vstack(
                        rx.text(t("ui.account.close_blocked"), weight="bold"),
                        rx.el.ul(rx.foreach(AccountState.close_blockers,
                                            lambda reason: rx.el.li(reason)),
                                 style={"padding_inline_start": "1.25rem", "margin": "0"}),
                        spacing="1")),
                    color_scheme="orange", width="100%", margin_top="1rem",
                    id="close-blockers", role="alert"),
            ),
            form(
                rx.vstack(
                    field("ui.account.close_confirm_label", rx.input(
                        name="confirmation", dir="ltr", size="3", width="100%",
                        id="close-confirmation", auto_complete="off",
                        disabled=AccountState.close_blockers.length() > 0),
                        AccountState.close_error, html_for="close-confirmation"),
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button(t("ui.account.cancel"), type="button",
                                                         variant="soft", color_scheme="gray",
                                                         size="3")),
                        rx.button(t("ui.account.close_confirm"), type="submit",
                                  color_scheme="red", size="3", id="close-confirm",
                                  disabled=AccountState.close_blockers.length() > 0),
                        spacing="3", justify="end", width="100%", wrap="wrap"),
                    spacing="4", width="100%", margin_top="1rem"),
                on_submit=AccountState.close_account,
                reset_on_submit=False,
                width="100%",
            ),
            max_width="30rem",
        ),
        open=AccountState.close_open,
        on_open_change=AccountState.set_close_open,
    )


def _close() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.account.close_title"), as_="h3", size="3"),
        rx.text(t("ui.account.close_text"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.button(rx.icon("user-x", size=16), t("ui.account.close_button"), size="3",
                  variant="outline", color_scheme="red", on_click=AccountState.start_closing,
                  id="close-account"),
        _close_dialog(),
        spacing="3", width="100%", id="account-close",
    )


def _rights() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.account.data_title"), as_="h2", size="4"),
        rx.text(t("ui.account.correct_hint"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.cond(AccountState.business_id != "",
                rx.link(t("ui.account.business_profile"), href=routes.PRO_PROFILE, size="2",
                        id="account-business-profile")),
        rx.divider(),
        _export(),
        rx.divider(),
        _close(),
        spacing="4", width="100%", style=theme.card_style(), id="account-rights",
    )


def account() -> rx.Component:
    return consumer_shell(guarded(rx.vstack(
        page_title("ui.account.title", "ui.account.subtitle"),
        error_banner(AccountState.error),
        notice_banner(AccountState.notice),
        rx.vstack(_details(), _email_code(), rx.divider(), _phone_change(), spacing="5",
                  width="100%", style=theme.card_style()),
        notification_settings(),
        _privacy(),
        _rights(),
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
