"""`/pro/plan`: the OFAIR Pro plan next to the free one, and the business's own plan: buy it with
the saved card, stop or resume the renewals, the charges with their tax invoice/receipt. Owners
manage it; other members see what the business has.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from decimal import Decimal

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.db.engine import Caller
from ofair_app.domain.errors import AppError
from ofair_app.domain.leads import LeadType
from ofair_app.domain.tax import israel_date
from ofair_app.i18n import plural
from ofair_app.services import subscriptions
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import error_banner, notice_banner, page_title
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.components.tier import TierMixin, tier_card
from ofair_app.ui.state.documents import DocumentsMixin
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState, blocking


@dataclasses.dataclass
class ChargeRow:
    id: str
    period: str
    status: str  # started | succeeded | declined | no_card
    amount: str
    card: str
    document_id: str  # its tax invoice/receipt, "" when none


def _day(moment: datetime, locale: str) -> str:
    """A moment as its day in Israel."""
    return format.day(israel_date(moment), locale)


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f}%"


class PlanState(DocumentsMixin, TierMixin, SessionState):
    loaded: rx.Field[bool] = rx.field(False)
    subscribed: rx.Field[bool] = rx.field(False)
    until: rx.Field[str] = rx.field("")  # the benefits' end, as shown
    status: rx.Field[str] = rx.field("")  # the paid subscription's: "" (none), active, past_due
    subscription_id: rx.Field[str] = rx.field("")
    # the paid one renews (not cancelled at the period's end)
    renews: rx.Field[bool] = rx.field(False)
    next_charge: rx.Field[str] = rx.field("")
    grace_until: rx.Field[str] = rx.field("")
    complimentary_until: rx.Field[str] = rx.field("")
    price: rx.Field[str] = rx.field("")  # before VAT
    price_total: rx.Field[str] = rx.field("")  # with VAT
    has_card: rx.Field[bool] = rx.field(False)
    may_manage: rx.Field[bool] = rx.field(False)
    charges: rx.Field[list[ChargeRow]] = rx.field(default_factory=list)
    consumer_free: rx.Field[str] = rx.field("")
    consumer_pro: rx.Field[str] = rx.field("")
    referral_free: rx.Field[str] = rx.field("")
    referral_pro: rx.Field[str] = rx.field("")
    # how much sooner a subscriber hears of a new lead ("10 minutes")
    head_start: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.error, self.notice = "", ""
        await self._load(caller)
        return None

    async def _load(self, caller: Caller) -> None:
        professional_id = self._current_business(caller)
        if professional_id is None:
            return
        try:
            plan = await self._as(caller, lambda s: subscriptions.state(
                session=s, caller=caller, professional_id=professional_id))
        except AppError as error:
            self.error, self.loaded = self._message(error), False
            return
        locale = self.locale
        paid = plan.subscription
        self.subscribed = plan.subscribed
        self.until = _day(plan.entitled_until, locale) if plan.entitled_until else ""
        self.status = str(paid.status) if paid is not None else ""
        self.subscription_id = str(paid.id) if paid is not None else ""
        self.renews = paid is not None and not paid.cancel_at_period_end
        self.next_charge = (_day(paid.next_charge_at, locale)
                            if paid is not None and paid.next_charge_at else "")
        self.grace_until = _day(plan.grace_until, locale) if plan.grace_until else ""
        self.complimentary_until = (_day(plan.complimentary_until, locale)
                                    if plan.complimentary_until else "")
        self.price = format.money(plan.price.before_vat, locale)
        self.price_total = format.money(plan.price.total, locale)
        self.has_card, self.may_manage = plan.has_card, plan.may_manage
        self.charges = [ChargeRow(
            id=str(c.id),
            period=f"{_day(c.period_start, locale)} – {_day(c.period_end, locale)}",
            status=c.status, amount=format.money(c.amount, locale), card=c.card,
            document_id=str(c.tax_document_id or "")) for c in plan.charges]
        consumer, referral = (plan.rates[LeadType.consumer],
                              plan.rates[LeadType.professional_referral])
        self.consumer_free, self.consumer_pro = _pct(consumer[0]), _pct(consumer[1])
        self.referral_free, self.referral_pro = _pct(referral[0]), _pct(referral[1])
        self.head_start = plural("units.minutes", plan.head_start_minutes, locale)
        await self._load_tier(caller, professional_id)
        self.loaded = True

    @event
    async def buy(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        professional_id = self._current_business(caller)
        if professional_id is None:
            return None
        self.error, self.notice = "", ""
        ip, _ = self._request_origin()
        try:
            await blocking(subscriptions.buy, caller=caller, professional_id=professional_id,
                           ip=ip)
        except AppError as error:
            self.error = self._message(error)
        else:
            self.notice = self._text("ui.plan.bought")
        await self._load(caller)
        return None

    async def _renewals(self, resume: bool):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        ip, _ = self._request_origin()
        try:
            await blocking(subscriptions.cancel_at_period_end, caller=caller,
                           subscription_id=uuid.UUID(self.subscription_id), ip=ip,
                           resume=resume)
        except AppError as error:
            self.error = self._message(error)
        except ValueError:
            self.error = self._text("errors.subscription.not_found")
        else:
            self.notice = self._text("ui.plan.resumed" if resume else "ui.plan.cancelled")
        await self._load(caller)
        return None

    @event
    async def cancel(self):
        return await self._renewals(resume=False)

    @event
    async def resume(self):
        return await self._renewals(resume=True)


def _row(label: str, free: rx.Component | rx.Var[str], pro: rx.Component | rx.Var[str],
         ) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(t(label)),
        rx.table.cell(free),
        rx.table.cell(pro, font_weight="bold"),
    )


def _figure(value: rx.Var | str) -> rx.Component:
    """A number (a price, a percentage) kept in its own direction inside the Hebrew table."""
    return rx.el.bdi(value, dir="ltr")


def _comparison() -> rx.Component:
    s = PlanState
    return rx.vstack(
        rx.heading(t("ui.plan.compare"), as_="h2", size="4"),
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell(rx.el.span(t("ui.plan.benefit"))),
                rx.table.column_header_cell(t("ui.plan.free")),
                rx.table.column_header_cell(t("ui.plan.pro")))),
            rx.table.body(
                _row("ui.plan.price_row", _figure("₪0"),
                     rx.vstack(_figure(s.price),
                               rx.text(t("ui.plan.every_period"), size="1", weight="regular"),
                               spacing="0")),
                _row("ui.plan.consumer_commission", _figure(s.consumer_free),
                     _figure(s.consumer_pro)),
                _row("ui.plan.referral_commission", _figure(s.referral_free),
                     _figure(s.referral_pro)),
                _row("ui.plan.pinned", t("ui.plan.no"), t("ui.plan.yes")),
                _row("ui.plan.first", t_with("ui.plan.later", wait=s.head_start),
                     t("ui.plan.at_once")),
                _row("ui.plan.badge_row", t("ui.plan.no"), t("ui.plan.yes")),
            ),
            variant="surface", size="2", width="100%"),
        rx.text(t("ui.plan.vat_note"), size="1", color=theme.MUTED),
        spacing="2", width="100%", id="plan-compare")


def _status() -> rx.Component:
    s = PlanState
    return rx.vstack(
        rx.hstack(
            rx.icon("crown", size=22, color=rx.cond(s.subscribed, rx.color("violet", 11),
                                                     theme.MUTED), aria_hidden="true"),
            rx.heading(rx.cond(s.subscribed, t("ui.plan.yours_pro"), t("ui.plan.yours_free")),
                       as_="h2", size="4"),
            rx.spacer(),
            rx.cond(s.status == "past_due",
                    rx.badge(t("ui.plan.status.past_due"), color_scheme="amber",
                             radius="full", variant="soft"),
                    rx.cond(s.subscribed,
                            rx.badge(t("ui.plan.status.active"), color_scheme="green",
                                     radius="full", variant="soft"))),
            width="100%", align="center", spacing="2"),
        rx.cond(s.subscribed, rx.text(t_with("ui.plan.until", day=s.until), size="2",
                                      id="plan-until")),
        rx.cond(s.status == "past_due",
                rx.callout(t_with("ui.plan.past_due", next=s.next_charge, day=s.grace_until),
                           icon="triangle-alert", color_scheme="amber", width="100%")),
        rx.cond((s.status == "active") & s.renews,
                rx.text(t_with("ui.plan.renews", day=s.next_charge, price=s.price_total),
                        size="2", color=theme.MUTED, id="plan-renews")),
        rx.cond((s.status != "") & ~s.renews,
                rx.text(t_with("ui.plan.ends", day=s.until), size="2", color=theme.MUTED,
                        id="plan-ends")),
        rx.cond((s.status == "") & (s.complimentary_until != ""),
                rx.text(t_with("ui.plan.complimentary", day=s.complimentary_until), size="2",
                        color=theme.MUTED)),
        rx.cond(s.may_manage, _actions(),
                rx.text(t("ui.plan.owners_only"), size="2", color=theme.MUTED)),
        spacing="2", width="100%", style=theme.card_style(), id="plan-status")


def _actions() -> rx.Component:
    s = PlanState
    return rx.cond(
        s.status == "",
        rx.cond(
            s.has_card,
            rx.vstack(
                rx.text(rx.cond(s.complimentary_until != "",
                                t_with("ui.plan.buy_after", day=s.complimentary_until,
                                       price=s.price_total),
                                t_with("ui.plan.buy_now", price=s.price_total)),
                        size="2"),
                rx.button(rx.icon("crown", size=16, aria_hidden="true"), t("ui.plan.buy"),
                          size="3", width="100%", on_click=PlanState.buy, id="plan-buy"),
                spacing="2", width="100%"),
            rx.hstack(
                rx.text(t("ui.plan.save_card_first"), size="2", flex="1"),
                rx.link(t("ui.invoices.manage_card"), href=routes.PRO_PROFILE, size="2",
                        weight="bold", id="plan-save-card"),
                width="100%", align="center", spacing="3")),
        rx.cond(s.renews,
                rx.button(t("ui.plan.cancel"), size="3", variant="soft", color_scheme="gray",
                          width="100%", on_click=PlanState.cancel, id="plan-cancel"),
                rx.button(t("ui.plan.resume"), size="3", width="100%",
                          on_click=PlanState.resume, id="plan-resume")))


_CHARGE_STATUSES = ("succeeded", "declined", "no_card", "started")


def _charge(row: ObjectVar[ChargeRow]) -> rx.Component:
    return rx.hstack(
        rx.icon("receipt-text", size=20, color=theme.MUTED, aria_hidden="true"),
        rx.vstack(
            rx.text(row.period, size="2", weight="bold"),
            rx.text(rx.el.bdi(row.amount, dir="ltr"),
                    rx.cond(row.card != "", rx.fragment(" · ", rx.el.bdi(row.card, dir="ltr"))),
                    size="1", color=theme.MUTED),
            spacing="0", align="start", flex="1", min_width="0"),
        rx.badge(rx.match(row.status, *[(s, t(f"ui.plan.charge.{s}"))
                                        for s in _CHARGE_STATUSES], row.status),
                 color_scheme=rx.match(row.status, ("succeeded", "green"), ("started", "blue"),
                                       "red"),
                 radius="full", variant="soft"),
        rx.cond(row.document_id != "",
                rx.button(rx.icon("download", size=16, aria_hidden="true"),
                          t("ui.plan.receipt"), size="2", variant="soft",
                          on_click=PlanState.download(row.document_id),
                          class_name="plan-receipt")),
        width="100%", align="center", spacing="3", padding_y="0.6rem", wrap="wrap",
        border_bottom=f"1px solid {rx.color('gray', 4)}", class_name="plan-charge")


def pro_plan() -> rx.Component:
    return pro_shell(
        rx.vstack(
            page_title("ui.plan.title", "ui.plan.subtitle"),
            error_banner(PlanState.error),
            notice_banner(PlanState.notice),
            rx.cond(PlanState.loaded, rx.fragment(
                _status(),
                tier_card(PlanState),
                rx.box(_comparison(), style=theme.card_style(), width="100%"),
                rx.cond(PlanState.charges.length() > 0, rx.vstack(
                    rx.heading(t("ui.plan.charges"), as_="h2", size="4"),
                    rx.vstack(rx.foreach(PlanState.charges, _charge), spacing="0",
                              width="100%"),
                    spacing="2", width="100%", style=theme.card_style(), id="plan-charges")),
            )),
            spacing="4", width="100%", max_width="44rem", margin_x="auto"),
        active=routes.PRO_PROFILE,
    )
