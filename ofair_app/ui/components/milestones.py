"""Projects in milestones on the lead pages (issue 20 point 4).

`MilestonesMixin` gives a lead page its plan (`services.milestones`): proposing the steps
(title, amount, due date) that add up to the agreed price, agreeing to the other side's,
paying a step, saying it is done, approving it, disputing it, and the performer's progress
notes with photos. `milestones_panel` draws it, phone first."""

from __future__ import annotations

import contextlib
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, cast

import reflex as rx
from babel.dates import format_date, format_datetime
from reflex.vars import ObjectVar

from ofair_app.domain import milestones as rules
from ofair_app.domain.errors import AppError, FieldErrors
from ofair_app.domain.inputs import date_from_parts
from ofair_app.domain.leads import read_amount
from ofair_app.domain.visits import ISRAEL, local_day
from ofair_app.i18n import money
from ofair_app.models._base import utcnow
from ofair_app.services import disputes, milestones, payments, settlement
from ofair_app.ui import theme
from ofair_app.ui.components.files import ACCEPT, labelled_upload
from ofair_app.ui.components.forms import (
    confirm_dialog,
    dict_var,
    error_banner,
    field,
    notice_banner,
)
from ofair_app.ui.components.forms import date_select as date_lists
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import PageMixin, blocking

if TYPE_CHECKING:
    from reflex_base.vars.base import ComputedVar

    from ofair_app.db.engine import Caller


MAX_ROWS = rules.STEPS_RANGE[1]
PHOTOS = "milestone-photos"
PHOTO_TYPES = {key: value for key, value in ACCEPT.items() if key.startswith("image/")}


def _babel(locale: str) -> str:
    return "he_IL" if locale == "he" else "en_IL"


def _blank_row(due: date) -> dict[str, str]:
    return {"title": "", "amount": "", "day": str(due.day), "month": str(due.month),
            "year": str(due.year)}


class MilestonesMixin(PageMixin, mixin=True):
    ms_plan: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    ms_steps: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    ms_updates: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    ms_photos: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    ms_can_plan: rx.Field[bool] = rx.field(False)
    ms_editing: rx.Field[bool] = rx.field(False)
    ms_rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    ms_field_errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    ms_error: rx.Field[str] = rx.field("")
    ms_notice: rx.Field[str] = rx.field("")
    ms_update_for: rx.Field[str] = rx.field("")
    ms_update_body: rx.Field[str] = rx.field("")
    ms_dispute_for: rx.Field[str] = rx.field("")
    ms_dispute_reason: rx.Field[str] = rx.field("")

    if TYPE_CHECKING:
        # What the final state class gets besides the session's: its own `lead_id` computed
        # var and `_load`.
        lead_id: ClassVar[ComputedVar[str]]  # a computed var: not a field of the mixin

        async def _load(self, caller: Caller) -> None: ...

    @rx.var
    def ms_years(self) -> list[str]:
        this = local_day(utcnow()).year
        return [str(this + n) for n in range(3)]

    @rx.var
    def ms_rows_total(self) -> str:
        total = Decimal("0")
        for row in self.ms_rows:
            try:
                total += read_amount(row.get("amount", ""), field="amount") or Decimal("0")
            except AppError:
                continue
        return money(total, self.locale)

    async def _load_milestones(self, caller: Caller) -> None:
        try:
            lead_id = uuid.UUID(self.lead_id)
            view, can_plan = await self._as(caller, lambda s: (
                milestones.view(session=s, caller=caller, lead_id=lead_id),
                milestones.may_plan(session=s, caller=caller, lead_id=lead_id)))
        except (ValueError, AppError):
            self.ms_plan, self.ms_steps, self.ms_updates, self.ms_photos = {}, [], [], []
            self.ms_can_plan = False
            return
        self.ms_can_plan = can_plan
        if view is None:
            self.ms_plan, self.ms_steps, self.ms_updates, self.ms_photos = {}, [], [], []
            return
        locale, b2b = self.locale, settlement.b2b()
        side = str(view.side) if view.side else ""
        self.ms_plan = {
            "proposal_id": str(view.plan.proposal_id),
            "agreed": "1" if view.agreed else "",
            "may_agree": "1" if view.may_agree else "",
            "mine": "1" if side and side == view.plan.proposed_side else "",
            "side": side,
            "total": money(view.total, locale),
            "status": self._text("ui.ms.agreed" if view.agreed else (
                "ui.ms.waiting_you" if view.may_agree else "ui.ms.waiting_other")),
        }
        steps, updates, photos = [], [], []
        for step in view.steps:
            m = step.milestone
            steps.append({
                "id": str(m.id), "position": str(m.position), "title": m.title,
                "amount": money(m.amount, locale),
                "due": format_date(m.due_on, "d MMM yyyy", locale=_babel(locale)),
                "status": m.status, "status_label": self._text(f"ui.ms.status.{m.status}"),
                "money": self._money_label(step, b2b),
                "pay": "1" if step.may_pay else "",
                "checkout": step.checkout_url or "",
                "submit": "1" if step.may_submit else "",
                "approve": "1" if step.may_approve else "",
                "dispute": "1" if step.may_dispute else "",
                "post": "1" if step.may_post else "",
            })
            for update, shown in step.updates:
                updates.append({
                    "milestone_id": str(m.id), "id": str(update.id), "body": update.body,
                    "when": format_datetime(update.created_at.astimezone(ISRAEL),
                                            "d MMM, HH:mm", locale=_babel(locale))
                    if update.created_at else ""})
                photos += [{"update_id": str(update.id), "id": str(p.id), "name": p.filename}
                           for p in shown]
        self.ms_steps, self.ms_updates, self.ms_photos = steps, updates, photos

    def _money_label(self, step: milestones.StepView, b2b: bool) -> str:
        if b2b:
            return ""
        if step.released:
            return self._text("ui.ms.money.released")
        if step.payment_status in ("paid", "partially_refunded"):
            return self._text("ui.ms.money.held")
        if step.payment_status == "refunded":
            return self._text("ui.ms.money.refunded")
        if step.payment_status == "pending":
            return self._text("ui.ms.money.pending")
        return self._text("ui.ms.money.unpaid")

    async def _after_change(self, caller: Caller, notice: str) -> None:
        self.ms_notice = self._text(notice) if notice else ""
        await self._load(caller)

    def _fail(self, error: Exception) -> None:
        if isinstance(error, AppError):
            self.ms_error = (next(iter(self._field_messages(error).values()), "")
                             or self._message(error))

    # --- the plan ------------------------------------------------------------------------

    @event
    def start_plan(self):
        self.ms_error, self.ms_notice, self.ms_field_errors = "", "", {}
        today = local_day(utcnow())
        if self.ms_steps and not self.ms_plan.get("agreed"):  # start from the proposal
            self.ms_rows = [_blank_row(today + timedelta(days=14 * (n + 1))) | {
                "title": s["title"]} for n, s in enumerate(self.ms_steps)]
        else:
            self.ms_rows = [_blank_row(today + timedelta(days=14 * (n + 1))) for n in range(2)]
        self.ms_editing = True

    @event
    def stop_plan(self):
        self.ms_editing, self.ms_rows, self.ms_field_errors = False, [], {}

    @event
    def add_ms_row(self):
        if len(self.ms_rows) < MAX_ROWS:
            last = self.ms_rows[-1] if self.ms_rows else None
            due = local_day(utcnow()) + timedelta(days=14)
            if last:
                with contextlib.suppress(ValueError):
                    due = date(int(last["year"]), int(last["month"]), int(last["day"])) \
                        + timedelta(days=14)
            self.ms_rows = [*self.ms_rows, _blank_row(due)]

    @event
    def remove_ms_row(self, index: int):
        if len(self.ms_rows) > rules.STEPS_RANGE[0] and 0 <= index < len(self.ms_rows):
            self.ms_rows = [row for n, row in enumerate(self.ms_rows) if n != index]
            self.ms_field_errors = {}

    @event
    def set_ms_row(self, index: int, key: str, value: str):
        if 0 <= index < len(self.ms_rows) and key in {"title", "amount", "day", "month",
                                                       "year"}:
            rows = [dict(row) for row in self.ms_rows]
            rows[index][key] = value
            self.ms_rows = rows

    @event
    async def save_plan(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.ms_error, self.ms_notice = "", ""
        checks, steps = FieldErrors(), []
        for n, row in enumerate(self.ms_rows):
            where = f"milestones.{n}"
            amount = checks(read_amount, row["amount"], field=f"{where}.amount")
            due = checks(date_from_parts, row["day"], row["month"], row["year"],
                         field=f"{where}.due_on")
            steps.append({"title": row["title"],
                          "amount": amount if amount is not None else row["amount"],
                          "due_on": due.isoformat() if due else ""})
        try:
            checks.raise_if_any()
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: milestones.propose(
                session=s, caller=caller, lead_id=lead_id, steps=steps))
        except ValueError:
            return None
        except AppError as error:
            self.ms_field_errors = self._field_messages(error)
            if not self.ms_field_errors:
                self.ms_error = self._message(error)
            elif "milestones" in self.ms_field_errors:
                self.ms_error = self.ms_field_errors["milestones"]
            else:
                self.ms_error = self._text("ui.ms.fix_fields")
            return None
        self.ms_editing, self.ms_rows, self.ms_field_errors = False, [], {}
        await self._after_change(caller, "ui.ms.proposed")
        return None

    @event
    async def agree_plan(self):
        await self._plan_step(milestones.agree, "ui.ms.agreed_notice")

    @event
    async def withdraw_plan(self):
        await self._plan_step(milestones.withdraw, "ui.ms.withdrawn")

    async def _plan_step(self, action, notice: str):
        caller = await self._caller()
        if caller is None:
            return
        self.ms_error, self.ms_notice = "", ""
        try:
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: action(session=s, caller=caller, lead_id=lead_id))
        except (ValueError, AppError) as error:
            self._fail(error)
            return
        await self._after_change(caller, notice)

    # --- each step -----------------------------------------------------------------------

    @event
    async def pay_step(self, milestone_id: str):
        """The owner pays one step: the provider's checkout opens (a referrer's client gets
        the link by SMS instead, and the referrer stays here)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.ms_error, self.ms_notice = "", ""
        chosen = self.ms_plan.get("proposal_id", "")
        try:
            payment = await blocking(payments.initiate, caller=caller,
                                     proposal_id=uuid.UUID(chosen),
                                     milestone_id=uuid.UUID(milestone_id))
        except (ValueError, AppError) as error:
            self._fail(error)
            return None
        if getattr(self, "viewer_role", "") == "referrer":
            await self._after_change(caller, "ui.pay.link_sent")
            return None
        return rx.redirect(payment.checkout_url or "/")

    @event
    async def submit_step(self, milestone_id: str):
        await self._step(milestones.submit, milestone_id, "ui.ms.submitted")

    @event
    async def approve_step(self, milestone_id: str):
        await self._step(milestones.approve, milestone_id, "ui.ms.approved")

    async def _step(self, action, milestone_id: str, notice: str):
        caller = await self._caller()
        if caller is None:
            return
        self.ms_error, self.ms_notice = "", ""
        try:
            mid = uuid.UUID(milestone_id)
            await self._as(caller, lambda s: action(session=s, caller=caller, milestone_id=mid))
        except (ValueError, AppError) as error:
            self._fail(error)
            return
        await self._after_change(caller, notice)

    @event
    def start_ms_dispute(self, milestone_id: str):
        self.ms_dispute_for, self.ms_dispute_reason, self.ms_error = milestone_id, "", ""

    @event
    def stop_ms_dispute(self):
        self.ms_dispute_for = ""

    @event
    def set_ms_dispute_reason(self, value: str):
        self.ms_dispute_reason = value

    @event
    async def send_ms_dispute(self):
        caller = await self._caller()
        if caller is None:
            return
        self.ms_error, self.ms_notice = "", ""
        reason, step = self.ms_dispute_reason, self.ms_dispute_for
        try:
            lead_id = uuid.UUID(self.lead_id)
            await self._as(caller, lambda s: disputes.open_dispute(
                session=s, caller=caller, lead_id=lead_id, reason=reason,
                milestone_id=uuid.UUID(step)))
        except (ValueError, AppError) as error:
            self._fail(error)
            return
        self.ms_dispute_for, self.ms_dispute_reason = "", ""
        await self._after_change(caller, "ui.ms.disputed")

    # --- progress updates ----------------------------------------------------------------

    @event
    def start_ms_update(self, milestone_id: str):
        self.ms_update_for, self.ms_update_body = milestone_id, ""
        self.ms_error, self.ms_notice = "", ""
        return rx.clear_selected_files(PHOTOS)

    @event
    def stop_ms_update(self):
        self.ms_update_for = ""
        return rx.clear_selected_files(PHOTOS)

    @event
    def set_ms_update_body(self, value: str):
        self.ms_update_body = value

    @event
    async def post_ms_update(self, files: list[rx.UploadFile]):
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        self.ms_error, self.ms_notice = "", ""
        uploads = [(f.name or "photo", await f.read(10 * 1024 * 1024 + 1)) for f in files]
        body, step = self.ms_update_body, self.ms_update_for

        def post(session):
            update = milestones.add_update(session=session, caller=caller,
                                           milestone_id=uuid.UUID(step), body=body)
            for name, data in uploads[:rules.MAX_PHOTOS]:
                milestones.add_photo(session=session, caller=caller, update_id=update.id,
                                     filename=name, data=data)
            if len(uploads) > rules.MAX_PHOTOS:
                raise InvalidPhotos(params={"max": rules.MAX_PHOTOS})

        try:
            await self._as(caller, post)
        except (ValueError, AppError) as error:
            self._fail(error)
            return None
        self.ms_update_for, self.ms_update_body = "", ""
        await self._after_change(caller, "ui.ms.posted")
        return rx.clear_selected_files(PHOTOS)

    @event
    async def open_ms_photo(self, photo_id: str):
        caller = await self._caller()
        if caller is None:
            return rx.redirect("/login")
        try:
            url = await self._as(caller, lambda s: milestones.photo_link(
                session=s, caller=caller, photo_id=uuid.UUID(photo_id)))
        except (ValueError, AppError):
            return None
        return rx.redirect(url, is_external=True)


class InvalidPhotos(AppError):
    status, code, message_key = 422, "too_many_photos", "errors.milestone.photos"


# --- drawing -------------------------------------------------------------------------------

# mypy takes an item of a list-of-dicts state var for a BooleanVar (see `dict_var`): at run
# time it is the row's ObjectVar.


def _editor_row(state: type[MilestonesMixin], index: int) -> rx.Component:
    row = cast("ObjectVar[dict[str, str]]", state.ms_rows[index])
    errors = dict_var(state.ms_field_errors)
    where = f"milestones.{index}"
    title_id, amount_id, due_id = f"ms-title-{index}", f"ms-amount-{index}", f"ms-due-{index}"
    return rx.vstack(
        rx.hstack(
            rx.text(t("ui.ms.step"), " ", str(index + 1), weight="bold", size="2"),
            rx.spacer(),
            rx.cond(state.ms_rows.length() > rules.STEPS_RANGE[0],
                    rx.button(rx.icon("trash-2", size=15), t("ui.ms.remove_step"),
                              variant="ghost", color_scheme="red", size="2",
                              min_height="44px", on_click=state.remove_ms_row(index))),
            width="100%", align="center"),
        field("ui.ms.title_label", rx.input(
            value=row["title"], on_change=lambda v: state.set_ms_row(index, "title", v),
            id=title_id, name=title_id, max_length=rules.TITLE_LENGTH[1], size="3",
            width="100%"), error=errors.get(f"{where}.title", ""),
            html_for=title_id, required=True),
        rx.flex(
            rx.box(field("ui.ms.amount_label", rx.input(
                value=row["amount"], on_change=lambda v: state.set_ms_row(index, "amount", v),
                id=amount_id, name=amount_id, input_mode="decimal", dir="ltr", size="3",
                width="100%"), error=errors.get(f"{where}.amount", ""),
                html_for=amount_id, required=True), flex="1 1 8rem", min_width="0"),
            rx.box(field("ui.ms.due_label", date_lists(
                due_id, row["day"], row["month"], row["year"], state.ms_years,
                lambda part, value: state.set_ms_row(index, part, value)),
                error=errors.get(f"{where}.due_on", ""), html_for=due_id),
                flex="2 1 14rem", min_width="0"),
            gap="0.75rem", wrap="wrap", width="100%"),
        spacing="2",
        width="100%",
        padding="0.75rem",
        border_radius="12px",
        border=f"1px solid {rx.color('gray', 5)}",
        class_name="ms-editor-row",
    )


def _editor(state: type[MilestonesMixin]) -> rx.Component:
    return rx.vstack(
        rx.text(t("ui.ms.editor_hint"), size="2", color=theme.MUTED, line_height="1.6"),
        *[rx.cond(state.ms_rows.length() > n, _editor_row(state, n)) for n in range(MAX_ROWS)],
        rx.hstack(
            rx.button(rx.icon("plus", size=15), t("ui.ms.add_step"), variant="soft", size="2",
                      min_height="44px", on_click=state.add_ms_row, id="ms-add-step"),
            rx.spacer(),
            rx.text(t("ui.ms.total"), " ", rx.el.bdi(state.ms_rows_total), size="2",
                    weight="bold", id="ms-total"),
            width="100%", align="center", wrap="wrap"),
        rx.hstack(
            rx.button(t("ui.ms.send_plan"), size="3", min_height="44px",
                      on_click=state.save_plan, id="ms-send-plan"),
            rx.button(t("ui.ms.cancel_edit"), variant="soft", color_scheme="gray", size="3",
                      min_height="44px", on_click=state.stop_plan),
            spacing="2", wrap="wrap"),
        spacing="3",
        width="100%",
        id="ms-editor",
    )


def _photos_of(state: type[MilestonesMixin], update: ObjectVar[dict[str, str]],
               ) -> rx.Component:
    return rx.flex(
        rx.foreach(state.ms_photos, lambda photo: rx.cond(
            photo["update_id"] == update["id"],
            rx.button(rx.icon("image", size=14), rx.el.bdi(photo["name"]), variant="soft",
                      size="1", min_height="44px", on_click=state.open_ms_photo(photo["id"]),
                      class_name="ms-photo"))),
        gap="0.5rem", wrap="wrap")


def _update_form(state: type[MilestonesMixin]) -> rx.Component:
    return rx.vstack(
        field("ui.ms.update_label", rx.text_area(
            value=state.ms_update_body, on_change=state.set_ms_update_body, rows="3",
            id="ms-update-body", name="ms-update-body",
            max_length=rules.NOTE_LENGTH[1], width="100%"), html_for="ms-update-body",
            required=True),
        labelled_upload(
            rx.hstack(rx.icon("camera", size=18, color=theme.BRAND, aria_hidden="true"),
                      rx.text(t("ui.ms.photos_drop"), size="2"), spacing="2", align="center"),
            label="ui.ms.photos_drop", id=PHOTOS, multiple=True, max_files=rules.MAX_PHOTOS,
            accept=PHOTO_TYPES, border=f"2px dashed {rx.color('teal', 6)}",
            border_radius="12px", padding="0.75rem", width="100%", cursor="pointer"),
        rx.foreach(rx.selected_files(PHOTOS), lambda name: rx.text(name, size="1")),
        rx.hstack(
            rx.button(t("ui.ms.post_update"), size="2", min_height="44px",
                      on_click=state.post_ms_update(rx.upload_files(upload_id=PHOTOS)),
                      id="ms-post-update"),
            rx.button(t("ui.ms.cancel_edit"), variant="soft", color_scheme="gray", size="2",
                      min_height="44px", on_click=state.stop_ms_update),
            spacing="2"),
        spacing="2",
        width="100%",
        padding="0.75rem",
        border_radius="12px",
        background=rx.color("teal", 2),
    )


def _dispute_form(state: type[MilestonesMixin]) -> rx.Component:
    return rx.vstack(
        rx.text(t("ui.ms.dispute_body"), size="2", color=theme.MUTED, line_height="1.6"),
        field("ui.dispute.reason", rx.text_area(
            value=state.ms_dispute_reason, on_change=state.set_ms_dispute_reason, rows="3",
            id="ms-dispute-reason", name="ms-dispute-reason", width="100%"),
            html_for="ms-dispute-reason", required=True),
        rx.hstack(
            rx.button(t("ui.dispute.send"), color_scheme="orange", size="2",
                      min_height="44px", on_click=state.send_ms_dispute, id="ms-send-dispute"),
            rx.button(t("ui.ms.cancel_edit"), variant="soft", color_scheme="gray", size="2",
                      min_height="44px", on_click=state.stop_ms_dispute),
            spacing="2"),
        spacing="2",
        width="100%",
        padding="0.75rem",
        border_radius="12px",
        background=rx.color("orange", 2),
    )


_STATUS_COLOR = {"open": "gray", "submitted": "blue", "approved": "green",
                 "disputed": "orange", "cancelled": "gray"}


def _step_row(state: type[MilestonesMixin], step: ObjectVar[dict[str, str]]) -> rx.Component:
    color = rx.match(step["status"], *_STATUS_COLOR.items(), "gray")
    return rx.vstack(
        rx.hstack(
            rx.center(step["position"], width="2rem", height="2rem", border_radius="999px",
                      background=rx.color("teal", 3), color=rx.color("teal", 11),
                      font_weight="700", flex_shrink="0", aria_hidden="true"),
            rx.vstack(
                rx.text(rx.el.bdi(step["title"]), weight="bold", size="3"),
                rx.text(t("ui.ms.due"), " ", step["due"], size="1", color=theme.MUTED),
                spacing="0", min_width="0"),
            rx.spacer(),
            rx.vstack(
                rx.text(rx.el.bdi(step["amount"]), weight="bold", size="3"),
                rx.badge(step["status_label"], color_scheme=color, radius="full",
                         variant="soft"),
                spacing="1", align="end"),
            width="100%", align="start"),
        rx.cond(step["money"] != "", rx.text(step["money"], size="1", color=theme.MUTED)),
        rx.foreach(state.ms_updates, lambda u: rx.cond(
            u["milestone_id"] == step["id"],
            rx.vstack(
                rx.text(u["when"], size="1", color=theme.MUTED),
                rx.text(u["body"], size="2", dir="auto", white_space="pre-wrap",
                        line_height="1.6"),
                _photos_of(state, u),
                spacing="1", width="100%", padding_inline_start="0.75rem",
                border_inline_start=f"3px solid {rx.color('teal', 6)}",
                class_name="ms-update"))),
        rx.cond(state.ms_update_for == step["id"], _update_form(state)),
        rx.cond(state.ms_dispute_for == step["id"], _dispute_form(state)),
        rx.flex(
            rx.cond(step["pay"] != "", rx.button(
                rx.icon("lock", size=15), t("ui.ms.pay"), " ", rx.el.bdi(step["amount"]),
                size="2", min_height="44px", on_click=state.pay_step(step["id"]),
                class_name="ms-pay")),
            rx.cond(step["submit"] != "", rx.button(
                rx.icon("circle-check", size=15), t("ui.ms.submit"), size="2",
                min_height="44px", on_click=state.submit_step(step["id"]),
                class_name="ms-submit")),
            rx.cond(step["approve"] != "", confirm_dialog(
                rx.button(rx.icon("badge-check", size=15), t("ui.ms.approve"), size="2",
                          min_height="44px", color_scheme="green", class_name="ms-approve"),
                "ui.ms.approve_title", "ui.ms.approve_body", "ui.ms.approve",
                state.approve_step(step["id"]), dismiss="ui.offers.not_yet")),
            rx.cond((step["post"] != "") & (state.ms_update_for != step["id"]), rx.button(
                rx.icon("camera", size=15), t("ui.ms.add_update"), variant="soft", size="2",
                min_height="44px", on_click=state.start_ms_update(step["id"]),
                class_name="ms-add-update")),
            rx.cond((step["dispute"] != "") & (state.ms_dispute_for != step["id"]), rx.button(
                rx.icon("scale", size=15), t("ui.ms.dispute"), variant="ghost",
                color_scheme="gray", size="2", min_height="44px",
                on_click=state.start_ms_dispute(step["id"]), class_name="ms-dispute")),
            gap="0.5rem", wrap="wrap"),
        spacing="2",
        width="100%",
        padding="0.75rem",
        border_radius="12px",
        border=f"1px solid {rx.color('gray', 5)}",
        class_name="ms-step",
    )


def milestones_panel(state: type[MilestonesMixin]) -> rx.Component:
    """The job's milestones: the plan and its steps, or the way to propose one."""
    plan = dict_var(state.ms_plan)
    has_plan = plan.contains("total")
    return rx.cond(
        has_plan | state.ms_can_plan,
        rx.vstack(
            rx.hstack(rx.icon("milestone", size=16, color=theme.BRAND),
                      rx.heading(t("ui.ms.title"), as_="h2", size="4"),
                      rx.spacer(),
                      rx.cond(has_plan, rx.badge(plan["status"], radius="full",
                                                 color_scheme=rx.cond(plan["agreed"] != "",
                                                                      "green", "amber"),
                                                 variant="soft")),
                      spacing="2", align="center", width="100%"),
            notice_banner(state.ms_notice),
            error_banner(state.ms_error),
            rx.cond(
                state.ms_editing,
                _editor(state),
                rx.vstack(
                    rx.cond(
                        has_plan,
                        rx.vstack(
                            rx.foreach(state.ms_steps, lambda s: _step_row(state, s)),
                            rx.text(t("ui.ms.total"), " ", rx.el.bdi(plan["total"]), size="2",
                                    weight="bold"),
                            spacing="2", width="100%"),
                        rx.text(t("ui.ms.intro"), size="2", color=theme.MUTED,
                                line_height="1.6"),
                    ),
                    rx.cond(plan["may_agree"] != "", rx.text(
                        t("ui.ms.agree_hint"), size="2", line_height="1.6")),
                    rx.flex(
                        rx.cond(plan["may_agree"] != "", rx.button(
                            rx.icon("handshake", size=15), t("ui.ms.agree"), size="3",
                            min_height="44px", on_click=state.agree_plan, id="ms-agree")),
                        rx.cond(state.ms_can_plan, rx.button(
                            rx.icon("list-plus", size=15),
                            rx.cond(has_plan, t("ui.ms.counter"), t("ui.ms.propose")),
                            variant=rx.cond(has_plan, "soft", "solid"), size="3",
                            min_height="44px", on_click=state.start_plan, id="ms-propose")),
                        rx.cond(has_plan & (plan["agreed"] == "") & state.ms_can_plan,
                                rx.button(t("ui.ms.withdraw"), variant="ghost",
                                          color_scheme="gray", size="3", min_height="44px",
                                          on_click=state.withdraw_plan, id="ms-withdraw")),
                        gap="0.5rem", wrap="wrap"),
                    spacing="3", width="100%"),
            ),
            spacing="3",
            width="100%",
            style=theme.card_style(),
            id="milestones-panel",
        ),
    )
