"""`/admin/commission-rules`: the platform's rates as rules (issue 22, point 3). An admin writes
a rule (a rate for the jobs it names: lead type, category and subcategory, city, tier,
subscription, for a period or for good), sees what it would change on the last 90 days' jobs
before saving it, and retires rules. The default rule (the configured rates) stays."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app import reference
from ofair_app.domain.errors import AppError, FieldErrors, InvalidInput
from ofair_app.domain.inputs import date_from_parts
from ofair_app.domain.tax import israel_date
from ofair_app.domain.tiers import ORDER
from ofair_app.models import CommissionRule, CommissionRuleCreate
from ofair_app.models._base import utcnow
from ofair_app.services import commission
from ofair_app.settings import get_settings
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    confirm_dialog,
    date_select,
    dict_var,
    error_banner,
    field,
    form,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.pickers import locality_picker, localized
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.place import PlaceMixin
from ofair_app.ui.state.session import SessionState

ANY = "any"


@dataclasses.dataclass
class RuleRow:
    id: str
    rate: str
    applies: str  # what the rule names, in words
    period: str
    note: str
    is_default: bool
    retired: bool


@dataclasses.dataclass
class PreviewRow:
    title: str
    amount: str
    now: str
    with_rule: str


class AdminCommissionState(PlaceMixin, SessionState):
    rules: rx.Field[list[RuleRow]] = rx.field(default_factory=list)
    show_retired: rx.Field[bool] = rx.field(False)
    # the rule being written
    rate: rx.Field[str] = rx.field("")
    lead_type: rx.Field[str] = rx.field(ANY)
    category: rx.Field[str] = rx.field(ANY)
    subcategory: rx.Field[str] = rx.field(ANY)
    tier: rx.Field[str] = rx.field(ANY)
    subscribed: rx.Field[str] = rx.field(ANY)
    note: rx.Field[str] = rx.field("")
    from_day: rx.Field[str] = rx.field("")
    from_month: rx.Field[str] = rx.field("")
    from_year: rx.Field[str] = rx.field("")
    until_day: rx.Field[str] = rx.field("")
    until_month: rx.Field[str] = rx.field("")
    until_year: rx.Field[str] = rx.field("")
    preview: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    preview_jobs: rx.Field[list[PreviewRow]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    @rx.var
    def years(self) -> list[str]:
        """A period is this year or the next two."""
        this = israel_date(utcnow()).year
        return [str(year) for year in range(this, this + 3)]

    @rx.var
    def sub_options(self) -> list[dict[str, str]]:
        category = reference.category(self.category) if self.category != ANY else None
        return [{"slug": s.slug, "he": s.name_he, "en": s.name_en}
                for s in (category.subcategories if category else [])]

    def _words(self, row: CommissionRule) -> str:
        """What a rule applies to, in the reader's language."""
        locale, parts = self.locale, []
        if row.lead_type:
            parts.append(self._text(f"ui.rules.type.{row.lead_type}"))
        category = reference.category(row.category_slug) if row.category_slug else None
        if category:
            sub = reference.subcategory(row.subcategory_slug) if row.subcategory_slug else None
            parts.append(category.name(locale) + (f" › {sub[1].name(locale)}" if sub else ""))
        locality = reference.locality(row.locality_id) if row.locality_id else None
        if locality:
            parts.append(locality.name(locale))
        if row.tier:
            parts.append(self._text("ui.rules.tier_of", tier=self._text(f"ui.tier.{row.tier}")))
        if row.subscribed is not None:
            parts.append(self._text("ui.rules.subscribers" if row.subscribed
                                    else "ui.rules.not_subscribers"))
        return " · ".join(parts) or self._text("ui.rules.every_job")

    async def _load(self, caller) -> None:
        retired, locale = self.show_retired, self.locale
        try:
            rows = await self._as(caller, lambda s: commission.all_rules(
                session=s, caller=caller, retired=retired))
        except AppError as error:
            self.error, self.rules = self._message(error), []
            return
        settings = get_settings()
        default_rate = self._text("ui.rules.default_rate",
                                  consumer=f"{settings.platform_fee_consumer_pct.normalize():f}",
                                  referral=f"{settings.platform_fee_referral_pct.normalize():f}")
        day = lambda d: format.day(d, locale) if d else ""  # noqa: E731
        self.rules = [RuleRow(
            id=str(r.id),
            rate=f"{r.rate_pct.normalize():f}%" if r.rate_pct is not None else default_rate,
            applies=self._words(r),
            period=(self._text("ui.rules.period", since=day(r.valid_from) or "…",
                               until=day(r.valid_until) or "…")
                    if r.valid_from or r.valid_until else self._text("ui.rules.always")),
            note=r.note if r.id != commission.DEFAULT_RULE_ID else "",
            is_default=r.id == commission.DEFAULT_RULE_ID,
            retired=r.retired_at is not None) for r in rows]

    @event
    async def open(self):
        caller, redirect = await self._guard("admin")
        if caller is None:
            return redirect
        self.error, self.notice, self.errors = "", "", {}
        self.preview, self.preview_jobs = {}, []
        await self._load(caller)
        return None

    @event
    async def toggle_retired(self, value: bool):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.show_retired = bool(value)
        await self._load(caller)
        return None

    def _changed(self) -> None:
        self.preview, self.preview_jobs, self.notice = {}, [], ""

    @event
    def set_field(self, name: str, value: str | list[str]):
        if name in ("rate", "lead_type", "category", "subcategory", "tier", "subscribed",
                    "note") and isinstance(value, str) and len(value) <= 300:
            setattr(self, name, value)
            if name == "category":
                self.subcategory = ANY
            self.errors = {k: v for k, v in self.errors.items() if k != _FIELDS.get(name)}
            self._changed()

    @event
    def set_from(self, part: str, value: str | list[str]):
        if part in ("day", "month", "year") and isinstance(value, str) and len(value) <= 4:
            setattr(self, f"from_{part}", value)
            self._changed()

    @event
    def set_until(self, part: str, value: str | list[str]):
        if part in ("day", "month", "year") and isinstance(value, str) and len(value) <= 4:
            setattr(self, f"until_{part}", value)
            self._changed()

    @event
    def clear_city(self):
        self._set_locality(None)
        self._changed()

    def _data(self) -> CommissionRuleCreate | None:
        """The rule as written; None with every bad field named."""
        checks = FieldErrors()
        since = checks(date_from_parts, self.from_day, self.from_month, self.from_year,
                       field="valid_from")
        until = checks(date_from_parts, self.until_day, self.until_month, self.until_year,
                       field="valid_until")
        errors: dict[str, str] = {}
        try:
            checks.raise_if_any()
        except AppError as error:
            errors.update(self._field_messages(error))
        pick = lambda value: None if value == ANY else value  # noqa: E731
        try:
            data = CommissionRuleCreate(
                # the rate as typed: the model parses it (SQLModel's dataclass_transform makes
                # mypy read the constructor as taking the parsed Decimal)
                rate_pct=self.rate.strip() or None,  # type: ignore[arg-type]
                lead_type=pick(self.lead_type),
                category_slug=pick(self.category), subcategory_slug=pick(self.subcategory),
                locality_id=self.locality_id or None, tier=pick(self.tier),
                subscribed={"yes": True, "no": False}.get(self.subscribed),
                valid_from=since, valid_until=until, note=self.note.strip())
        except InvalidInput as error:  # the model names each field it could not read
            for name, message in self._field_messages(error).items():
                errors.setdefault(name, self._text("errors.rule.rate") if name == "rate_pct"
                                  else message)
            data = None
        self.errors = errors
        return data if not errors else None

    async def _run(self, service):
        """`service(session=, caller=, data=)` on the rule as written, as the admin, in one unit
        of work off the event loop: (its answer, a redirect); a bad field is named beside it."""
        caller = await self._admin()
        if caller is None:
            return None, rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        data = self._data()
        if data is None:
            return None, None
        try:
            return await self._as(caller, lambda s: service(session=s, caller=caller,
                                                            data=data)), None
        except AppError as error:
            fields = self._field_messages(error)
            self.errors = fields
            if not fields:
                self.error = self._message(error)
            return None, None

    @event
    async def show_preview(self):
        found, redirect = await self._run(commission.preview)
        if redirect is not None or found is None:
            return redirect
        locale = self.locale
        money = lambda amount: format.money(amount, locale)  # noqa: E731
        difference = found.commission_with_rule - found.commission_now
        self.preview = {
            "checked": str(found.jobs_checked), "changed": str(len(found.jobs_changed)),
            "now": money(found.commission_now), "with_rule": money(found.commission_with_rule),
            "difference": ("+" if difference > 0 else "") + money(difference)}
        self.preview_jobs = [PreviewRow(title=j.title, amount=money(j.amount),
                                        now=money(j.commission_now),
                                        with_rule=money(j.commission_with_rule))
                             for j in found.jobs_changed[:10]]
        return None

    @event
    async def save(self):
        created, redirect = await self._run(commission.create)
        if redirect is not None or created is None:
            return redirect
        self.rate, self.lead_type, self.category, self.subcategory = "", ANY, ANY, ANY
        self.tier, self.subscribed, self.note = ANY, ANY, ""
        for end in ("from", "until"):
            for part in ("day", "month", "year"):
                setattr(self, f"{end}_{part}", "")
        self._set_locality(None)
        self._changed()
        self.notice = self._text("ui.rules.saved")
        caller = await self._admin()
        await self._load(caller)
        return None

    @event
    async def retire(self, rule_id: str):
        caller = await self._admin()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""

        try:
            await self._as(caller, lambda s: commission.retire(
                session=s, caller=caller, rule_id=uuid.UUID(rule_id)))
        except ValueError:
            self.error = self._text("errors.rule.not_found")
        except AppError as error:
            self.error = self._message(error)
        else:
            self.notice = self._text("ui.rules.retired_notice")
        await self._load(caller)
        return None


# The form's fields by the name the service gives their errors.
_FIELDS = {"rate": "rate_pct", "lead_type": "lead_type", "category": "category_slug",
           "subcategory": "subcategory_slug", "tier": "tier", "note": "note"}


def _select(name: str, value: rx.Var[str], options: Sequence[tuple[str, rx.Var[str]]],
            element_id: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(width="100%", id=element_id),
        rx.select.content(*(rx.select.item(label, value=key) for key, label in options),
                          position="popper"),
        value=value, on_change=lambda v: AdminCommissionState.set_field(name, v), size="3")


def _form() -> rx.Component:
    s = AdminCommissionState
    errors, preview = dict_var(s.errors), dict_var(s.preview)
    categories = [(ANY, t("ui.rules.any"))] + [
        (c.slug, localized(c.name_he, c.name_en)) for c in reference.categories()]
    return form(
        rx.vstack(
            rx.heading(t("ui.rules.new"), as_="h2", size="4"),
            rx.grid(
                field("ui.rules.rate", rx.input(
                    value=s.rate, on_change=lambda v: s.set_field("rate", v),
                    input_mode="decimal", size="3", width="100%", id="rule-rate", dir="ltr"),
                    error=errors.get("rate_pct", ""), hint="ui.rules.rate_hint",
                    html_for="rule-rate", required=True),
                field("ui.rules.lead_type", _select("lead_type", s.lead_type, [
                    (ANY, t("ui.rules.any")),
                    ("consumer", t("ui.rules.type.consumer")),
                    ("professional_referral", t("ui.rules.type.professional_referral"))],
                    "rule-type"), error=errors.get("lead_type", ""), html_for="rule-type"),
                field("ui.rules.category", _select("category", s.category, categories,
                                                   "rule-category"),
                      error=errors.get("category_slug", ""), html_for="rule-category"),
                field("ui.rules.subcategory", rx.select.root(
                    rx.select.trigger(width="100%", id="rule-subcategory"),
                    rx.select.content(
                        rx.select.item(t("ui.rules.any"), value=ANY),
                        rx.foreach(s.sub_options, lambda o: rx.select.item(
                            localized(o["he"], o["en"]), value=o["slug"])),
                        position="popper"),
                    value=s.subcategory, on_change=lambda v: s.set_field("subcategory", v),
                    disabled=s.category == ANY, size="3"),
                    error=errors.get("subcategory_slug", ""), html_for="rule-subcategory"),
                field("ui.rules.tier", _select("tier", s.tier, [(ANY, t("ui.rules.any"))] + [
                    (str(tier), t(f"ui.tier.{tier}")) for tier in ORDER], "rule-tier"),
                    error=errors.get("tier", ""), html_for="rule-tier"),
                field("ui.rules.subscribed", _select("subscribed", s.subscribed, [
                    (ANY, t("ui.rules.any")), ("yes", t("ui.rules.subscribers")),
                    ("no", t("ui.rules.not_subscribers"))], "rule-subscribed"),
                    html_for="rule-subscribed"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
            rx.vstack(
                rx.el.label(t("ui.rules.city"), html_for="f-locality", font_weight="500",
                            font_size="0.9rem"),
                locality_picker(s),
                rx.cond(s.locality_id > 0, rx.button(
                    t("ui.rules.any_city"), on_click=s.clear_city, type="button",
                    variant="ghost", size="1")),
                rx.cond(errors.contains("locality_id"),
                        rx.text(errors["locality_id"], size="2", color=rx.color("red", 11),
                                role="alert")),
                spacing="1", width="100%"),
            rx.grid(
                field("ui.rules.valid_from", date_select(
                    "rule-from", s.from_day, s.from_month, s.from_year, s.years, s.set_from),
                    error=errors.get("valid_from", ""), hint="ui.rules.valid_from_hint",
                    html_for="rule-from"),
                field("ui.rules.valid_until", date_select(
                    "rule-until", s.until_day, s.until_month, s.until_year, s.years,
                    s.set_until),
                    error=errors.get("valid_until", ""), hint="ui.rules.valid_until_hint",
                    html_for="rule-until"),
                columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%"),
            field("ui.rules.note", rx.input(
                value=s.note, on_change=lambda v: s.set_field("note", v), size="3",
                width="100%", id="rule-note", max_length=300),
                error=errors.get("note", ""), html_for="rule-note"),
            rx.hstack(
                rx.button(rx.icon("calculator", size=16), t("ui.rules.preview"), type="submit",
                          size="3", variant="soft", id="rule-preview"),
                rx.cond(preview.contains("changed"), confirm_dialog(
                    rx.button(t("ui.rules.save"), size="3", type="button", id="rule-save"),
                    "ui.rules.save_title",
                    t_with("ui.rules.save_body", changed=preview["changed"],
                           difference=preview["difference"]),
                    "ui.rules.save", s.save, confirm_class="confirm-rule-save")),
                spacing="2", wrap="wrap"),
            rx.text(t("ui.rules.preview_first"), size="1", color=theme.MUTED),
            _preview(),
            spacing="3", width="100%"),
        on_submit=lambda _: s.show_preview(),
        width="100%", style=theme.card_style(), id="rule-form")


def _preview() -> rx.Component:
    s = AdminCommissionState
    p = dict_var(s.preview)
    return rx.cond(p.contains("changed"), rx.vstack(
        rx.text(t_with("ui.rules.preview_summary", checked=p["checked"], changed=p["changed"]),
                size="2", weight="medium"),
        rx.grid(
            rx.vstack(rx.text(t("ui.rules.commission_now"), size="1", color=theme.MUTED),
                      rx.text(p["now"], size="3", weight="bold"), spacing="0"),
            rx.vstack(rx.text(t("ui.rules.commission_with_rule"), size="1", color=theme.MUTED),
                      rx.text(p["with_rule"], size="3", weight="bold"), spacing="0"),
            rx.vstack(rx.text(t("ui.rules.difference"), size="1", color=theme.MUTED),
                      rx.text(p["difference"], size="3", weight="bold", dir="ltr"), spacing="0"),
            columns="3", spacing="3", width="100%"),
        rx.foreach(s.preview_jobs, lambda j: rx.hstack(
            rx.text(j.title, size="2", dir="auto", flex="1", min_width="0"),
            rx.text(j.amount, size="1", color=theme.MUTED),
            rx.text(j.now, " → ", j.with_rule, size="2", weight="medium"),
            width="100%", align="center", spacing="3", class_name="preview-job")),
        spacing="2", width="100%", padding="0.9rem", border_radius="12px",
        background=rx.color("teal", 2), role="status", id="rule-preview-result"))


def _rule(row: ObjectVar[RuleRow]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(rx.text(row.rate, size="4", weight="bold"),
                      rx.cond(row.is_default, rx.badge(t("ui.rules.default"), radius="full",
                                                       variant="soft")),
                      rx.cond(row.retired, rx.badge(t("ui.rules.retired"), radius="full",
                                                    variant="soft", color_scheme="gray")),
                      spacing="2", align="center"),
            rx.text(row.applies, size="2"),
            rx.text(row.period, size="1", color=theme.MUTED),
            rx.cond(row.note != "", rx.text(row.note, size="1", color=theme.MUTED, dir="auto")),
            spacing="1", align="start", flex="1", min_width="0"),
        rx.cond(row.is_default | row.retired, rx.fragment(), confirm_dialog(
            rx.button(t("ui.rules.retire"), size="2", variant="soft", color_scheme="red",
                      class_name="rule-retire"),
            "ui.rules.retire_title", t_with("ui.rules.retire_body", rate=row.rate,
                                               applies=row.applies),
            "ui.rules.retire", AdminCommissionState.retire(row.id),
            confirm_class="confirm-rule-retire", color="red")),
        width="100%", align="start", spacing="3", padding_y="0.75rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}", class_name="rule-row")


def admin_commission() -> rx.Component:
    s = AdminCommissionState
    return admin_shell(
        rx.vstack(
            page_title("ui.rules.title", "ui.rules.subtitle"),
            error_banner(s.error),
            notice_banner(s.notice),
            _form(),
            rx.vstack(
                rx.hstack(rx.heading(t("ui.rules.list"), as_="h2", size="4"), rx.spacer(),
                          rx.button(rx.icon("archive", size=14, aria_hidden="true"),
                                    t("ui.rules.show_retired"), type="button", size="2",
                                    variant=rx.cond(s.show_retired, "solid", "soft"),
                                    color_scheme="gray", min_height="44px",
                                    aria_pressed=rx.cond(s.show_retired, "true", "false"),
                                    on_click=s.toggle_retired(~s.show_retired),
                                    id="rules-retired"),
                          width="100%", align="center", wrap="wrap"),
                rx.vstack(rx.foreach(s.rules, _rule), spacing="0", width="100%"),
                spacing="2", width="100%", style=theme.card_style(), id="rules"),
            spacing="4", width="100%", max_width="52rem", margin_x="auto"),
        active=routes.ADMIN_FINANCE,
    )
