"""`/pro/leads/new`: a professional posts a lead of their own, to refer it to a colleague.

Five steps: Basic → Client info → Attachments → Commission terms → Publish. Each step is checked
before the next; the commission step shows, live, what the platform, the referrer and the
performer would get at the estimated budget. Publishing writes the lead, the client's details
and the attachments in one transaction: a bad file leaves nothing behind.
"""

from __future__ import annotations

from decimal import Decimal

import reflex as rx

from ofair_app import reference
from ofair_app.adapters.storage import MAX_UPLOAD_BYTES, validate_upload
from ofair_app.domain import leads as rules
from ofair_app.domain.errors import AppError, FieldErrors, InvalidInput
from ofair_app.domain.leads import LeadType, LeadVisibility, PreferredSchedule, read_amount
from ofair_app.models import LeadCreate
from ofair_app.services import leads
from ofair_app.settings import get_settings
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.files import file_drop
from ofair_app.ui.components.forms import dict_var, error_banner, field
from ofair_app.ui.components.pickers import category_select, locality_picker, localized
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.place import PlaceMixin
from ofair_app.ui.state.session import SessionState

STEPS = ["basic", "client", "files", "terms", "publish"]
STEP_FIELDS = {
    "basic": {"title", "description", "category", "subcategory", "locality_id", "lat"},
    "client": {"client_name", "client_phone", "client_address"},
    "files": set(),
    "terms": {"budget", "referrer_share_percentage", "visibility"},
}
UPLOAD_ID = "lead-files"


class NewLeadState(PlaceMixin, SessionState):
    step: rx.Field[int] = rx.field(0)
    title: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    category: rx.Field[str] = rx.field("")
    subcategory: rx.Field[str] = rx.field("")
    sub_options: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    schedule: rx.Field[str] = rx.field(PreferredSchedule.flexible.value)
    client_name: rx.Field[str] = rx.field("")
    client_phone: rx.Field[str] = rx.field("")
    client_address: rx.Field[str] = rx.field("")
    budget: rx.Field[str] = rx.field("")
    share: rx.Field[int] = rx.field(20)
    visibility: rx.Field[str] = rx.field(LeadVisibility.public.value)
    error: rx.Field[str] = rx.field("")
    publishing: rx.Field[bool] = rx.field(False)

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.error = ""
        return None

    # --- fields (set when a field loses focus, or on choice) ------------------------------

    @event
    def set_text(self, name: str, value: str):
        if name in {"title", "description", "client_name", "client_phone", "client_address",
                    "budget"}:
            setattr(self, name, str(value)[:2000])
            self.errors = {k: v for k, v in self.errors.items() if k != name}

    @event
    def set_category(self, slug: str):
        category = reference.category(slug)
        self.category = category.slug if category else ""
        self.sub_options = [{"slug": s.slug, "he": s.name_he, "en": s.name_en}
                            for s in (category.subcategories if category else ())]
        self.subcategory = ""

    @event
    def set_subcategory(self, slug: str):
        self.subcategory = slug if any(o["slug"] == slug for o in self.sub_options) else ""

    @event
    def set_schedule(self, value: str):
        if value in {s.value for s in PreferredSchedule}:
            self.schedule = value

    @event
    def set_share(self, value: list[int | float]):
        if value:
            self.share = max(0, min(90, int(value[0])))

    @event
    def set_visibility(self, value: str | list[str]):
        if value in {v.value for v in LeadVisibility}:
            self.visibility = str(value)

    # --- the preview ---------------------------------------------------------------------

    @rx.var
    def preview(self) -> dict[str, str]:
        """What each side would get at the estimated budget (empty below the minimum job)."""
        try:
            budget = read_amount(self.budget, field="budget")
        except InvalidInput:
            return {}
        if budget is None:
            return {}
        try:
            parts = leads.split_at(budget, LeadType.professional_referral,
                                   shares=(Decimal(self.share),))
        except InvalidInput as error:
            if error.fields.get("final_amount") == "errors.payment.below_minimum":
                return {"below": format.money(get_settings().min_job_amount, self.locale)}
            return {}
        return {"platform": format.money(parts.platform_commission, self.locale),
                "referrer": format.money(parts.referrer_fee, self.locale),
                "performer": format.money(parts.professional_net_amount, self.locale),
                "total": format.money(parts.final_amount, self.locale)}

    # --- moving through the steps --------------------------------------------------------

    def _data(self, caller, budget: Decimal | None) -> LeadCreate:
        return LeadCreate(
            type=LeadType.professional_referral, title=self.title,
            description=self.description, category=self.category,
            subcategory=self.subcategory or None, locality_id=self.locality_id or None,
            budget=budget,
            preferred_schedule=PreferredSchedule(self.schedule), client_name=self.client_name,
            client_phone=self.client_phone, client_address=self.client_address,
            professional_id=self._current_business(caller),
            referrer_share_percentage=Decimal(self.share),
            visibility=LeadVisibility(self.visibility))

    def _checked(self, caller) -> tuple[LeadCreate | None, FieldErrors]:
        """The lead as typed and every bad field of it at once: the budget as a person
        writes it, then every rule of `check_lead`."""
        checks = FieldErrors()
        budget = checks(read_amount, self.budget, field="budget")
        data = checks(self._data, caller, budget)
        if data is not None:
            checks(leads.check_lead, data)
        return data, checks

    def _errors_until(self, caller, last_step: int) -> dict[str, str]:
        """Field errors of the steps up to `last_step` (later steps are not judged yet)."""
        wanted = set().union(*(STEP_FIELDS.get(s, set()) for s in STEPS[:last_step + 1]))
        _, checks = self._checked(caller)
        return {k: v for k, v in self._field_messages(checks.error()).items() if k in wanted}

    @event
    async def next_step(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.errors = self._errors_until(caller, self.step)
        if not self.errors and self.step < len(STEPS) - 1:
            self.step += 1
        return None

    @event
    def previous_step(self):
        self.errors, self.error = {}, ""
        self.step = max(0, self.step - 1)

    @event
    def go_to(self, index: int):
        if 0 <= index < self.step:
            self.step = index

    @event
    async def publish(self, files: list[rx.UploadFile]):
        """Write the lead, its client's details and its attachments, or nothing at all."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error = ""
        uploads = [(f.name or "file", await f.read(MAX_UPLOAD_BYTES + 1)) for f in files]
        try:
            if len(uploads) > rules.MAX_ATTACHMENTS:
                raise InvalidInput("errors.lead.too_many_attachments",
                                   fields={"file": "errors.lead.too_many_attachments"},
                                   params={"max": rules.MAX_ATTACHMENTS})
            for name, content in uploads:
                validate_upload(content, name)
            data, checks = self._checked(caller)
            checks.raise_if_any()
            assert data is not None

            def write(session):
                lead = leads.create_lead(session=session, caller=caller, data=data)
                for name, content in uploads:
                    leads.add_attachment(session=session, caller=caller, lead_id=lead.id,
                                         filename=name, data=content)
                return lead.id

            lead_id = await self._as(caller, write)
        except AppError as error:
            messages = self._field_messages(error)
            self.errors = messages
            self.error = self._message(error) if not messages else next(iter(messages.values()))
            return None
        self.step = 0
        self.title = self.description = self.client_name = self.client_phone = ""
        self.client_address = self.budget = ""
        return [rx.clear_selected_files(UPLOAD_ID), rx.redirect(routes.pro_lead(lead_id))]


# --- the steps -----------------------------------------------------------------------------


def _error(name: str) -> rx.Var:
    return dict_var(NewLeadState.errors).get(name, "")


def _text_input(name: str, label: str, **props) -> rx.Component:
    return field(label, rx.input(id=f"w-{name}", default_value=getattr(NewLeadState, name),
                                 on_blur=lambda v: NewLeadState.set_text(name, v), size="3",
                                 width="100%", **props),
                 _error(name), html_for=f"w-{name}")


def _basic() -> rx.Component:
    return rx.vstack(
        _text_input("title", "ui.wizard.title", placeholder=t("ui.wizard.title_placeholder")),
        field("ui.wizard.description",
              rx.text_area(id="w-description", default_value=NewLeadState.description,
                           on_blur=lambda v: NewLeadState.set_text("description", v),
                           rows="4", size="3", width="100%"),
              _error("description"), hint="ui.wizard.description_hint",
              html_for="w-description"),
        field("ui.request.category",
              category_select(NewLeadState, "w-category", "ui.request.category_placeholder"),
            _error("category"), html_for="w-category"),
        rx.cond(NewLeadState.sub_options.length() > 0, field("ui.wizard.subcategory",
            rx.select.root(
                rx.select.trigger(placeholder=t("ui.wizard.subcategory_placeholder"),
                                  width="100%", id="w-subcategory"),
                rx.select.content(rx.foreach(NewLeadState.sub_options, lambda o: rx.select.item(
                    localized(o["he"], o["en"]), value=o["slug"])), position="popper"),
                value=NewLeadState.subcategory, on_change=NewLeadState.set_subcategory,
                size="3"),
            _error("subcategory"))),
        field("ui.request.city", locality_picker(NewLeadState), _error("locality_id"),
              html_for="f-locality"),
        field("ui.request.schedule", rx.select.root(
            rx.select.trigger(width="100%", id="w-schedule"),
            rx.select.content(*(rx.select.item(t(f"ui.schedule.{s.value}"), value=s.value)
                                for s in PreferredSchedule), position="popper"),
            value=NewLeadState.schedule, on_change=NewLeadState.set_schedule, size="3"),
            html_for="w-schedule"),
        spacing="4",
        width="100%",
    )


def _client() -> rx.Component:
    return rx.vstack(
        rx.callout(t("ui.wizard.client_private"), icon="lock-keyhole", color_scheme="teal",
                   size="1", width="100%"),
        _text_input("client_name", "ui.wizard.client_name", auto_complete="off"),
        _text_input("client_phone", "ui.wizard.client_phone", type="tel", input_mode="tel",
                    placeholder="050-123-4567", dir="ltr", text_align="start"),
        _text_input("client_address", "ui.wizard.client_address"),
        spacing="4",
        width="100%",
    )


def _files() -> rx.Component:
    return rx.vstack(
        rx.text(t("ui.wizard.files_hint"), size="2", color=theme.MUTED),
        file_drop(UPLOAD_ID, rules.MAX_ATTACHMENTS),
        rx.cond(_error("file") != "", rx.text(_error("file"), color=rx.color("red", 11),
                                              size="2")),
        spacing="3",
        width="100%",
    )


def _preview_row(label: str, key: str, strong: bool = False) -> rx.Component:
    return rx.hstack(rx.text(t(label), size="2"), rx.spacer(),
                     rx.text(NewLeadState.preview[key], size="3" if strong else "2",
                             weight="bold" if strong else "medium", id=f"preview-{key}"),
                     width="100%")


def _terms() -> rx.Component:
    preview = NewLeadState.preview
    return rx.vstack(
        _text_input("budget", "ui.wizard.budget", input_mode="decimal", dir="ltr",
                    text_align="start", placeholder="3000"),
        rx.vstack(
            rx.hstack(rx.text(t("ui.wizard.share"), size="2", weight="medium"), rx.spacer(),
                      rx.text(NewLeadState.share, "%", weight="bold", id="share-value"),
                      width="100%"),
            rx.slider(value=[NewLeadState.share], min=0, max=90, step=1,
                      on_change=NewLeadState.set_share.throttle(80), width="100%",
                      id="w-share"),
            rx.text(t("ui.wizard.share_hint"), size="1", color=theme.MUTED),
            spacing="2",
            width="100%",
        ),
        rx.vstack(
            rx.text(t("ui.wizard.preview_title"), weight="bold", size="3"),
            rx.cond(
                preview.contains("performer"),
                rx.vstack(
                    _preview_row("ui.wizard.preview_referrer", "referrer", strong=True),
                    _preview_row("ui.wizard.preview_performer", "performer"),
                    _preview_row("ui.wizard.preview_platform", "platform"),
                    rx.separator(size="4"),
                    _preview_row("ui.wizard.preview_total", "total"),
                    spacing="2",
                    width="100%",
                ),
                rx.text(rx.cond(preview.contains("below"), t("ui.wizard.preview_below"),
                                t("ui.wizard.preview_empty")), " ", preview["below"],
                        size="2", color=theme.MUTED),
            ),
            spacing="3",
            width="100%",
            padding="1rem",
            border_radius="14px",
            background=rx.color("teal", 2),
            border=f"1px solid {rx.color('teal', 5)}",
            id="commission-preview",
        ),
        field("ui.wizard.visibility", rx.segmented_control.root(
            rx.segmented_control.item(t("ui.wizard.public"), value="public"),
            rx.segmented_control.item(t("ui.wizard.private"), value="private"),
            value=NewLeadState.visibility, on_change=NewLeadState.set_visibility,
            width="100%", id="w-visibility"), hint="ui.wizard.visibility_hint"),
        spacing="4",
        width="100%",
    )


def _summary_line(label: str, value: rx.Var) -> rx.Component:
    return rx.hstack(rx.text(t(label), size="2", color=theme.MUTED, min_width="7rem"),
                     rx.text(value, size="2", weight="medium"), width="100%", align="start")


def _publish() -> rx.Component:
    return rx.vstack(
        _summary_line("ui.wizard.title", NewLeadState.title),
        _summary_line("ui.request.city", localized(NewLeadState.locality_he,
                                                   NewLeadState.locality_en)),
        _summary_line("ui.wizard.client_name", NewLeadState.client_name),
        _summary_line("ui.wizard.budget", NewLeadState.preview["total"]),
        _summary_line("ui.wizard.share", NewLeadState.share.to_string() + "%"),
        _summary_line("ui.wizard.files", rx.selected_files(UPLOAD_ID).length().to_string()),
        rx.text(t("ui.wizard.publish_note"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.button(rx.icon("send", size=16), t("ui.wizard.publish"), size="3", width="100%",
                  loading=NewLeadState.publishing,
                  on_click=NewLeadState.publish(rx.upload_files(upload_id=UPLOAD_ID)),
                  id="w-publish"),
        spacing="3",
        width="100%",
    )


def _progress() -> rx.Component:
    def dot(index: int, name: str) -> rx.Component:
        done = NewLeadState.step > index
        here = NewLeadState.step == index
        return rx.vstack(
            rx.center(rx.cond(done, rx.icon("check", size=14), rx.text(str(index + 1),
                                                                        size="1")),
                      width="1.75rem", height="1.75rem", border_radius="999px",
                      background=rx.cond(done | here, theme.BRAND, rx.color("gray", 4)),
                      color=rx.cond(done | here, "white", theme.MUTED),
                      on_click=NewLeadState.go_to(index),
                      cursor=rx.cond(done, "pointer", "default")),
            rx.text(t(f"ui.wizard.step_{name}"), size="1",
                    weight=rx.cond(here, "bold", "regular"),
                    color=rx.cond(here, theme.INK, theme.MUTED)),
            align="center",
            spacing="1",
            flex="1",
        )

    return rx.hstack(*(dot(i, name) for i, name in enumerate(STEPS)), width="100%",
                     spacing="1", id="wizard-progress")


def new_lead() -> rx.Component:
    step = NewLeadState.step
    return pro_shell(
        rx.vstack(
            rx.vstack(rx.heading(t("ui.wizard.heading"), as_="h1", size="6"),
                      rx.text(t("ui.wizard.subheading"), size="2", color=theme.MUTED),
                      spacing="1"),
            _progress(),
            error_banner(NewLeadState.error),
            rx.box(
                rx.box(_basic(), display=rx.cond(step == 0, "block", "none")),
                rx.box(_client(), display=rx.cond(step == 1, "block", "none")),
                rx.box(_files(), display=rx.cond(step == 2, "block", "none")),
                rx.box(_terms(), display=rx.cond(step == 3, "block", "none")),
                rx.box(_publish(), display=rx.cond(step == 4, "block", "none")),
                width="100%",
                style=theme.card_style(),
            ),
            rx.hstack(
                rx.cond(step > 0, rx.button(rx.icon("arrow-right", size=16,
                                                    class_name="ofair-back"),
                                            t("ui.wizard.back"), variant="soft",
                                            color_scheme="gray", size="3",
                                            on_click=NewLeadState.previous_step,
                                            id="w-back")),
                rx.spacer(),
                rx.cond(step < 4, rx.button(t("ui.wizard.next"),
                                            rx.icon("arrow-left", size=16,
                                                    class_name="ofair-forward"),
                                            size="3", on_click=NewLeadState.next_step,
                                            id="w-next")),
                width="100%",
            ),
            spacing="4",
            width="100%",
            max_width="40rem",
            margin_x="auto",
        ),
        active=routes.PRO_MY_LEADS,
    )
