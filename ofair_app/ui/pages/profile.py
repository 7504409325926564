"""`/pro/profile`: the business's profile (owners edit, staff read), its certificates, its
saved cards (owners only: add through the provider's page, make default, remove), and the way
to the team page and out of the session."""

from __future__ import annotations

import uuid

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.adapters.storage import MAX_UPLOAD_BYTES
from ofair_app.domain.errors import AppError
from ofair_app.models import MemberRole
from ofair_app.models.tenancy import ProfessionalUpdate
from ofair_app.services import certificates, payment_methods, professionals
from ofair_app.ui import routes, theme
from ofair_app.ui.components.files import labelled_upload
from ofair_app.ui.components.forms import (
    confirm_dialog,
    dict_var,
    error_banner,
    field,
    form,
    notice_banner,
    section,
    status_badge,
)
from ofair_app.ui.components.pickers import (
    category_select,
    locality_picker,
    radius_slider,
    subcategory_chips,
)
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.components.visit_hours import VisitHoursMixin, visit_hours_section
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.pickers import BusinessFormState
from ofair_app.ui.state.session import blocking, enum_value

UPLOAD_ID = "certificate-upload"
ACCEPT = {"application/pdf": [".pdf"], "image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"]}


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


class ProfileState(VisitHoursMixin, BusinessFormState):
    professional_id: rx.Field[str] = rx.field("")
    is_owner: rx.Field[bool] = rx.field(False)
    status: rx.Field[str] = rx.field("")
    verified: rx.Field[bool] = rx.field(False)
    welcome: rx.Field[bool] = rx.field(False)
    notice: rx.Field[str] = rx.field("")
    certificates: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    cert_title: rx.Field[str] = rx.field("")
    cert_error: rx.Field[str] = rx.field("")
    uploading: rx.Field[bool] = rx.field(False)
    # shown fields only: never the provider's token
    cards: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    card_error: rx.Field[str] = rx.field("")
    card_notice: rx.Field[str] = rx.field("")
    adding_card: rx.Field[bool] = rx.field(False)

    async def _business(self):
        """The caller and the business this tab acts for, re-checked on every event."""
        caller = await self._caller()
        if caller is None or not caller.professional_ids:
            return None, None
        wanted = uuid.UUID(self.professional_id) if self.professional_id else None
        pid = wanted if wanted in caller.professional_ids else self._current_business(caller)
        return caller, pid

    async def _load_certificates(self, caller, pid) -> None:
        rows = await self._as(caller, lambda s: certificates.list_certificates(
            session=s, caller=caller, professional_id=pid))
        self.certificates = [
            {"id": str(c.id), "title": c.title, "filename": c.filename,
             "status": enum_value(c.status),
             "size": _size(c.size_bytes),
             "date": c.created_at.strftime("%d.%m.%Y") if c.created_at else ""}
            for c in rows]

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.welcome = self.router.url.query_parameters.get("welcome") == "1"
        self.errors, self.error, self.notice, self.cert_error = {}, "", "", ""
        pid = self._current_business(caller)
        mine = await self._as(caller, lambda s: professionals.my_professionals(session=s,
                                                                         caller=caller))
        professional, role = next(((p, r) for p, r in mine if p.id == pid), mine[0])
        self.professional_id = str(professional.id)
        self.is_owner = role == MemberRole.owner
        self.status = enum_value(professional.status)
        self.verified = professional.verified
        self._fill_from(professional)
        await self._load_certificates(caller, professional.id)
        await self._load_hours(caller, professional.id)
        self.cards, self.card_error, self.card_notice, self.adding_card = [], "", "", False
        if self.is_owner:
            came_back = self.router.url.query_parameters.get("card")
            if came_back == "saved":
                try:
                    saved = await blocking(payment_methods.finish_saving, caller=caller,
                                           professional_id=professional.id)
                except AppError as error:
                    self.card_error = self._message(error)
                else:
                    self.card_notice = self._text(
                        "ui.cards.saved" if saved else "ui.cards.not_saved")
            await self._load_cards(caller, professional.id)
        return None

    async def _load_cards(self, caller, pid) -> None:
        rows = await self._as(caller, lambda s: payment_methods.list_methods(
            session=s, caller=caller, professional_id=pid))
        self.cards = [{"id": str(c.id), "brand": c.brand, "last4": c.last4,
                       "expiry": f"{c.exp_month:02d}/{c.exp_year % 100:02d}",
                       "default": "1" if c.is_default else ""} for c in rows]

    @event
    async def add_card(self):
        caller, pid = await self._business()
        if caller is None:
            yield rx.redirect(routes.LOGIN)
            return
        if self.adding_card:
            return
        self.card_error, self.card_notice, self.adding_card = "", "", True
        yield
        try:
            url = await blocking(payment_methods.start_saving, caller=caller,
                                 professional_id=pid)
        except AppError as error:
            self.adding_card = False
            self.card_error = self._message(error)
            return
        yield rx.redirect(url)  # the provider's page, in this tab (as a checkout is)

    @event
    async def make_default_card(self, method_id: str):
        await self._change_card(method_id, payment_methods.make_default, "ui.cards.defaulted")

    @event
    async def remove_card(self, method_id: str):
        await self._change_card(method_id, payment_methods.remove, "ui.cards.removed")

    async def _change_card(self, method_id: str, action, done: str) -> None:
        caller, pid = await self._business()
        if caller is None:
            return
        self.card_error, self.card_notice = "", ""
        try:
            wanted = uuid.UUID(method_id)
            await self._as(caller, lambda s: action(session=s, caller=caller,
                                                    method_id=wanted))
        except (AppError, ValueError) as error:
            self.card_error = self._message(error) if isinstance(error, AppError) else \
                self._text("errors.payment_method.not_found")
            return
        self.card_notice = self._text(done)
        await self._load_cards(caller, pid)

    @event
    async def save(self, form: dict):
        caller, pid = await self._business()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.errors, self.error, self.notice = {}, "", ""
        self.business_name = str(form.get("business_name", ""))[:200]
        self.business_number = str(form.get("business_id", ""))[:20]
        self.about = str(form.get("about", ""))[:4000]
        try:
            # Built inside the try: a value the input model refuses is a field error too.
            data = ProfessionalUpdate(
                business_name=self.business_name, business_id=self.business_number,
                category=self.category or None, subcategories=list(self.subcategories),
                locality_id=self.locality_id or None, service_radius_km=self.radius,
                specialties=self._specialty_list(), about=self.about)
            professional = await self._as(caller, lambda s: professionals.update_professional(
                session=s, caller=caller, professional_id=pid, data=data))
        except AppError as error:
            self.errors = self._field_messages(error)
            self.error = self._text("errors.validation") if self.errors else \
                self._message(error)
            return None
        self.status = enum_value(professional.status)
        self.verified = professional.verified
        self._fill_from(professional)
        self.notice = self._text("ui.profile.saved")
        return None

    @event
    def set_cert_title(self, value: str):
        self.cert_title = value[:120]

    @event
    async def upload_certificate(self, files: list[rx.UploadFile]):
        caller, pid = await self._business()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.cert_error, self.notice = "", ""
        if not files:
            self.cert_error = self._text("ui.profile.cert_choose_file")
            return None
        upload = files[0]
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        filename = upload.filename or "file"
        title = self.cert_title
        try:
            await self._as(caller, lambda s: certificates.upload_certificate(
                session=s, caller=caller, professional_id=pid, title=title,
                filename=filename, data=data))
        except AppError as error:
            messages = self._field_messages(error)
            self.cert_error = next(iter(messages.values()), self._message(error))
            return rx.clear_selected_files(UPLOAD_ID)
        self.cert_title = ""
        self.notice = self._text("ui.profile.cert_uploaded")
        await self._load_certificates(caller, pid)
        return rx.clear_selected_files(UPLOAD_ID)

    @event
    async def open_certificate(self, certificate_id: str):
        caller, _ = await self._business()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        try:
            url = await self._as(caller, lambda s: certificates.download_link(
                session=s, caller=caller, certificate_id=uuid.UUID(certificate_id)))
        except (AppError, ValueError):
            self.cert_error = self._text("errors.certificate.not_found")
            return None
        return rx.redirect(url, is_external=True)

    @event
    async def delete_certificate(self, certificate_id: str):
        caller, pid = await self._business()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.cert_error, self.notice = "", ""
        try:
            await self._as(caller, lambda s: certificates.delete_certificate(
                session=s, caller=caller, certificate_id=uuid.UUID(certificate_id)))
        except (AppError, ValueError) as error:
            self.cert_error = self._message(error) if isinstance(error, AppError) else \
                self._text("errors.certificate.not_found")
            return None
        await self._load_certificates(caller, pid)
        return None


# --- page ----------------------------------------------------------------------------------


def _header() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.heading(ProfileState.business_name, as_="h1", size="7", id="business-name"),
            rx.hstack(
                status_badge(ProfileState.status, ProfileState.verified),
                rx.link(
                    rx.hstack(rx.icon("external-link", size=14), t("ui.profile.public_page"),
                              spacing="1", align="center"),
                    href="/pros/" + ProfileState.professional_id,
                    size="2",
                    id="public-page-link",
                ),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            spacing="2",
        ),
        rx.spacer(),
        width="100%",
        align="start",
    )


def _welcome() -> rx.Component:
    return rx.cond(
        ProfileState.welcome,
        rx.callout(t("ui.profile.welcome"), icon="party-popper", color_scheme="teal",
                   width="100%", id="welcome"),
    )


def _edit_form() -> rx.Component:
    owner = ProfileState.is_owner
    errors = dict_var(ProfileState.errors)
    return section(
        "ui.profile.details",
        form(
            rx.vstack(
                field("ui.business.name",
                      rx.input(name="business_name", id="f-business-name",
                               default_value=ProfileState.business_name, size="3",
                               width="100%", read_only=~owner),
                      errors.get("business_name", ""),
                      html_for="f-business-name"),
                field("ui.business.id",
                      rx.input(name="business_id", id="f-business-id",
                               default_value=ProfileState.business_number, input_mode="numeric",
                               dir="ltr", text_align="start", size="3", width="100%",
                               read_only=~owner),
                      errors.get("business_id", ""),
                      hint="ui.profile.business_id_hint", html_for="f-business-id"),
                field("ui.business.category", category_select(ProfileState),
                      errors.get("category", ""), html_for="f-category"),
                subcategory_chips(ProfileState),
                field("ui.business.specialties",
                      rx.input(value=ProfileState.specialties,
                               on_change=ProfileState.set_specialties, id="f-specialties",
                               name="specialties",
                               size="3", width="100%"),
                      errors.get("specialties", ""),
                      hint="ui.business.specialties_hint", html_for="f-specialties"),
                field("ui.business.locality", locality_picker(ProfileState),
                      errors.get("locality_id", ""), html_for="f-locality"),
                field("ui.business.radius", radius_slider(ProfileState),
                      errors.get("service_radius_km", ""), html_for="f-radius"),
                field("ui.business.about",
                      rx.text_area(name="about", id="f-about",
                                   default_value=ProfileState.about, rows="5", size="3",
                                   width="100%", read_only=~owner),
                      errors.get("about", ""), html_for="f-about"),
                rx.cond(
                    owner,
                    rx.button(rx.icon("save", size=16), t("ui.profile.save"), type="submit",
                              size="3", id="profile-save"),
                    rx.callout(t("ui.profile.staff_note"), icon="info", color_scheme="gray",
                               size="1", width="100%"),
                ),
                spacing="4",
                width="100%",
            ),
            key=ProfileState.form_version,
            on_submit=ProfileState.save,
            reset_on_submit=False,
            width="100%",
        ),
    )


def _certificate_row(cert: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.center(rx.icon("file-badge", size=18, color=theme.BRAND), width="2.25rem",
                  height="2.25rem", border_radius="10px", background=rx.color("teal", 3),
                  flex_shrink="0"),
        rx.vstack(
            rx.text(cert["title"], weight="bold", size="2"),
            rx.text(cert["filename"], " · ", cert["size"], " · ", cert["date"], size="1",
                    color=theme.MUTED, dir="auto"),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.match(
            cert["status"],
            ("approved", rx.badge(t("ui.certificate.approved"), color_scheme="teal")),
            ("rejected", rx.badge(t("ui.certificate.rejected"), color_scheme="red")),
            rx.badge(t("ui.certificate.pending"), color_scheme="amber"),
        ),
        rx.icon_button(rx.icon("eye", size=16), variant="ghost", size="2",
                       on_click=ProfileState.open_certificate(cert["id"]),
                       aria_label=t("ui.certificate.view"), title=t("ui.certificate.view")),
        rx.cond(
            cert["status"] != "approved",
            confirm_dialog(
                rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red",
                               size="2", aria_label=t("ui.certificate.delete"),
                               title=t("ui.certificate.delete")),
                t_with("ui.certificate.delete_title", title=cert["title"]),
                "ui.certificate.delete_body", "ui.certificate.delete",
                ProfileState.delete_certificate(cert["id"])),
        ),
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.6rem",
        border_bottom=f"1px solid {theme.BORDER}",
        class_name="certificate-row",
    )


def _certificates() -> rx.Component:
    chosen = rx.selected_files(UPLOAD_ID)
    return section(
        "ui.profile.certificates",
        rx.cond(
            ProfileState.certificates.length() > 0,
            rx.vstack(rx.foreach(ProfileState.certificates, _certificate_row), spacing="0",
                      width="100%", id="certificate-list"),
            rx.text(t("ui.profile.no_certificates"), size="2", color=theme.MUTED),
        ),
        field("ui.certificate.title",
              rx.input(value=ProfileState.cert_title, on_change=ProfileState.set_cert_title,
                       id="f-cert-title", size="3", width="100%",
                       placeholder=t("ui.certificate.title_placeholder")),
              html_for="f-cert-title"),
        labelled_upload(
            rx.vstack(
                rx.icon("cloud-upload", size=26, color=theme.BRAND, aria_hidden="true"),
                rx.cond(
                    chosen.length() > 0,
                    rx.text(chosen[0], weight="bold", size="2", dir="auto"),
                    rx.text(t("ui.certificate.drop"), size="2", text_align="center"),
                ),
                rx.text(t("ui.certificate.limits"), size="1", color=theme.MUTED,
                        id=f"{UPLOAD_ID}-hint"),
                align="center",
                spacing="1",
            ),
            label="ui.certificate.drop",
            hint_id=f"{UPLOAD_ID}-hint",
            id=UPLOAD_ID,
            accept=ACCEPT,
            max_files=1,
            multiple=False,
            border=f"2px dashed {theme.BORDER}",
            border_radius="14px",
            padding="1.25rem",
            width="100%",
            cursor="pointer",
            background=theme.PAGE,
        ),
        error_banner(ProfileState.cert_error),
        rx.button(
            rx.icon("upload", size=16),
            t("ui.certificate.upload"),
            on_click=ProfileState.upload_certificate(rx.upload_files(upload_id=UPLOAD_ID)),
            size="3",
            id="certificate-upload-button",
            disabled=chosen.length() == 0,
        ),
        subtitle="ui.profile.certificates_note",
    )


def _card_row(card: ObjectVar[dict[str, str]]) -> rx.Component:
    label = rx.text(card["brand"], " •••• ", card["last4"], weight="bold", size="2",
                    dir="ltr")
    return rx.hstack(
        rx.center(rx.icon("credit-card", size=18, color=theme.BRAND), width="2.25rem",
                  height="2.25rem", border_radius="10px", background=rx.color("teal", 3),
                  flex_shrink="0", aria_hidden="true"),
        rx.vstack(
            rx.el.bdi(label),
            rx.text(t("ui.cards.expires"), " ", rx.el.bdi(card["expiry"]), size="1",
                    color=theme.MUTED),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.cond(
            card["default"] == "1",
            rx.badge(t("ui.cards.default"), color_scheme="teal", class_name="card-default"),
            rx.button(t("ui.cards.make_default"), variant="soft", size="2",
                      on_click=ProfileState.make_default_card(card["id"]),
                      class_name="card-make-default"),
        ),
        confirm_dialog(
            rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red",
                           size="2", aria_label=t("ui.cards.remove"),
                           title=t("ui.cards.remove"), class_name="card-remove"),
            "ui.cards.remove_title", "ui.cards.remove_body", "ui.cards.remove",
            ProfileState.remove_card(card["id"])),
        align="center",
        spacing="3",
        width="100%",
        padding_y="0.6rem",
        border_bottom=f"1px solid {theme.BORDER}",
        class_name="card-row",
    )


def _cards() -> rx.Component:
    return section(
        "ui.cards.title",
        error_banner(ProfileState.card_error),
        notice_banner(ProfileState.card_notice),
        rx.cond(
            ProfileState.cards.length() > 0,
            rx.vstack(rx.foreach(ProfileState.cards, _card_row), spacing="0", width="100%",
                      id="card-list"),
            rx.text(t("ui.cards.none"), size="2", color=theme.MUTED),
        ),
        rx.button(rx.icon("plus", size=16), t("ui.cards.add"), size="3", variant="soft",
                  on_click=ProfileState.add_card, loading=ProfileState.adding_card,
                  id="add-card"),
        subtitle="ui.cards.note",
        id="saved-cards",
    )


def _account() -> rx.Component:
    return rx.hstack(
        rx.link(rx.button(rx.icon("users", size=16), t("ui.profile.team"), variant="soft",
                          size="3"), href=routes.PRO_TEAM, id="team-link"),
        rx.link(rx.button(rx.icon("crown", size=16), t("ui.profile.plan"), variant="soft",
                          size="3"), href=routes.PRO_PLAN, id="plan-link"),
        rx.link(rx.button(rx.icon("phone", size=16), t("ui.profile.unlocks"), variant="soft",
                          size="3"), href=routes.PRO_UNLOCKS, id="unlocks-link"),
        rx.spacer(),
        rx.button(rx.icon("log-out", size=16), t("ui.nav.logout"), variant="soft",
                  color_scheme="red", size="3", on_click=ProfileState.logout,
                  id="profile-logout"),
        width="100%",
        wrap="wrap",
        spacing="3",
    )


def profile() -> rx.Component:
    return pro_shell(
        rx.vstack(
            _header(),
            _welcome(),
            error_banner(ProfileState.error),
            notice_banner(ProfileState.notice),
            rx.grid(
                _edit_form(),
                rx.vstack(_certificates(), visit_hours_section(ProfileState),
                          rx.cond(ProfileState.is_owner, _cards()),
                          _account(), spacing="4", width="100%"),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
                align_items="start",
            ),
            spacing="4",
            width="100%",
        ),
        active=routes.PRO_PROFILE,
    )
