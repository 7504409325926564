"""`/pro/invoices` (b2b mode, where it replaces the wallet): what the business owes the platform
or is owed this month so far, its monthly statements, its tax invoices with their PDFs, and the
card the platform charges. For the business's owners; staff and strangers see "not allowed".
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from ofair_app.db.engine import Caller
from ofair_app.domain.errors import AppError
from ofair_app.domain.tax import DocumentType
from ofair_app.services import autopay, ledger, payment_methods, settlement
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    empty_state,
    error_banner,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.documents import DocumentsMixin
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState, blocking


@dataclasses.dataclass
class StatementRow:
    id: str
    month: str
    jobs: str
    fees: str
    vat: str
    referral_owed: str
    referral_earned: str
    carried_in: str
    credits: str  # credit notes since the previous statement ("" when none)
    amount: str  # what is due, or what the platform owes (no sign: `status` says which)
    status: str


@dataclasses.dataclass
class InvoiceRow:
    id: str
    kind: str  # the document type's catalog key
    number: str
    day: str
    total: str
    status: str  # issued | held


class InvoicesState(DocumentsMixin, SessionState):
    balance: rx.Field[str] = rx.field("")
    balance_side: rx.Field[str] = rx.field("")  # owe | owed | even
    month: rx.Field[str] = rx.field("")
    month_jobs: rx.Field[str] = rx.field("0")
    month_fees: rx.Field[str] = rx.field("")
    month_owed: rx.Field[str] = rx.field("")
    month_earned: rx.Field[str] = rx.field("")
    statements: rx.Field[list[StatementRow]] = rx.field(default_factory=list)
    invoices: rx.Field[list[InvoiceRow]] = rx.field(default_factory=list)
    card: rx.Field[str] = rx.field("")  # the default card, as shown (brand and last 4), or ""
    # months the platform owed, made withdrawable ("" when none)
    available: rx.Field[str] = rx.field("")
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
            return None
        try:
            found, statements, documents, cards, wallet = await self._as(caller, lambda s: (
                settlement.balance(session=s, caller=caller, professional_id=professional_id),
                settlement.statements(session=s, caller=caller,
                                      professional_id=professional_id),
                settlement.documents(session=s, caller=caller,
                                     professional_id=professional_id),
                payment_methods.list_methods(session=s, caller=caller,
                                             professional_id=professional_id),
                ledger.balances(s, professional_id)))
        except AppError as error:
            self.error, self.statements, self.invoices = self._message(error), [], []
            return None
        locale = self.locale
        self.balance = format.money(abs(found.balance), locale)
        self.balance_side = ("owe" if found.balance > 0 else
                             "owed" if found.balance < 0 else "even")
        self.month = format.month(found.month, locale)
        self.month_jobs = str(found.month_jobs)
        self.month_fees = format.money(found.month_fees, locale)
        self.month_owed = format.money(found.month_referral_owed, locale)
        self.month_earned = format.money(found.month_referral_earned, locale)
        self.available = (format.money(wallet.available, locale) if wallet.available > 0
                          else "")
        self.statements = [StatementRow(
            id=str(s.id), month=format.month(s.month, locale), jobs=str(s.jobs),
            fees=format.money(s.fees, locale), vat=format.money(s.vat, locale),
            referral_owed=format.money(s.referral_owed, locale),
            referral_earned=format.money(s.referral_earned, locale),
            carried_in=format.money(s.carried_in, locale) if s.carried_in else "",
            credits=format.money(s.credits, locale) if s.credits else "",
            amount=format.money(abs(s.amount_due), locale), status=str(s.status))
            for s in statements]
        self.invoices = [InvoiceRow(
            id=str(d.id), kind=DocumentType(d.document_type).name,
            number=str(d.number) if d.number is not None else "",
            day=format.day(d.document_date, locale), total=format.money(d.total, locale),
            status=d.status) for d in documents]
        default = next((card for card in cards if card.is_default), None)
        self.card = f"{default.brand} •••• {default.last4}" if default else ""
        return None

    @event
    async def pay(self, statement_id: str):
        """Pay a due statement now with the default card (a business whose autopay failed
        for good sends proposals again once it has)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.error, self.notice = "", ""
        try:
            await blocking(autopay.pay_now, caller=caller, statement_id=uuid.UUID(statement_id))
        except AppError as error:
            self.error = self._message(error)
            return None
        except ValueError:
            self.error = self._text("errors.settlement.no_statement")
            return None
        self.notice = self._text("ui.invoices.paid")
        await self._load(caller)
        return None


def _figure(label: str, value: rx.Var[str], element_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(t(label), size="1", color=theme.MUTED),
        rx.text(rx.el.bdi(value, dir="ltr"), size="3", weight="bold", id=element_id),
        spacing="0", align="start", min_width="0")


def _balance() -> rx.Component:
    side = InvoicesState.balance_side
    return rx.vstack(
        rx.text(rx.match(side, ("owe", t("ui.invoices.you_owe")),
                         ("owed", t("ui.invoices.you_are_owed")), t("ui.invoices.even")),
                size="2", color=theme.MUTED),
        rx.text(rx.el.bdi(InvoicesState.balance, dir="ltr"), size="7", weight="bold",
                id="settlement-balance",
                color=rx.match(side, ("owed", rx.color("teal", 11)), None)),
        rx.text(t_with("ui.invoices.month_so_far", month=InvoicesState.month), size="2",
                weight="bold", margin_top="0.5rem"),
        rx.grid(
            _figure("ui.invoices.jobs", InvoicesState.month_jobs, "month-jobs"),
            _figure("ui.invoices.fees", InvoicesState.month_fees, "month-fees"),
            _figure("ui.invoices.referral_owed", InvoicesState.month_owed, "month-owed"),
            _figure("ui.invoices.referral_earned", InvoicesState.month_earned, "month-earned"),
            columns=rx.breakpoints(initial="2", sm="4"), spacing="3", width="100%"),
        rx.text(t("ui.invoices.how_it_works"), size="1", color=theme.MUTED, line_height="1.6"),
        spacing="1", width="100%", style=theme.card_style(), id="settlement-summary")


def _available() -> rx.Component:
    return rx.cond(InvoicesState.available != "", rx.hstack(
        rx.icon("wallet", size=20, color=theme.BRAND, aria_hidden="true"),
        rx.vstack(
            rx.text(t("ui.invoices.available"), size="2", weight="bold"),
            rx.text(rx.el.bdi(InvoicesState.available, dir="ltr"), size="2",
                    id="settlement-available"),
            spacing="0", align="start", flex="1", min_width="0"),
        rx.link(t("ui.invoices.withdraw"), href=routes.PRO_WALLET, size="2", weight="bold"),
        width="100%", align="center", spacing="3", style=theme.card_style(padding="1rem")))


def _card() -> rx.Component:
    return rx.hstack(
        rx.icon("credit-card", size=20, color=theme.BRAND, aria_hidden="true"),
        rx.vstack(
            rx.text(t("ui.invoices.card"), size="2", weight="bold"),
            rx.cond(InvoicesState.card != "",
                    rx.text(rx.el.bdi(InvoicesState.card, dir="ltr"), size="2"),
                    rx.text(t("ui.invoices.no_card"), size="2", color=theme.MUTED)),
            spacing="0", align="start", flex="1", min_width="0"),
        rx.link(t("ui.invoices.manage_card"), href=routes.PRO_PROFILE, size="2",
                weight="bold"),
        width="100%", align="center", spacing="3", style=theme.card_style(padding="1rem"),
        id="settlement-card")


_STATUS_COLORS = (("due", "amber"), ("paid", "green"), ("credit", "teal"),
                  ("carried", "blue"), "gray")


def _statement(row: ObjectVar[StatementRow]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(row.month, weight="bold", size="3"),
            rx.spacer(),
            rx.badge(rx.match(row.status, *[(s, t(f"ui.invoices.status.{s}"))
                                            for s in ("due", "paid", "credit", "carried",
                                                      "settled")], row.status),
                     color_scheme=rx.match(row.status, *_STATUS_COLORS), radius="full",
                     variant="soft"),
            width="100%", align="center"),
        rx.grid(
            _figure("ui.invoices.jobs", row.jobs, ""),
            _figure("ui.invoices.fees", row.fees, ""),
            _figure("ui.invoices.vat", row.vat, ""),
            _figure("ui.invoices.referral_owed", row.referral_owed, ""),
            _figure("ui.invoices.referral_earned", row.referral_earned, ""),
            rx.cond(row.carried_in != "",
                    _figure("ui.invoices.carried_in", row.carried_in, "")),
            rx.cond(row.credits != "", _figure("ui.invoices.credits", row.credits, "")),
            columns=rx.breakpoints(initial="2", sm="3"), spacing="3", width="100%"),
        rx.hstack(
            rx.text(rx.cond(row.status == "due", t("ui.invoices.amount_due"),
                            t("ui.invoices.amount_owed_to_you")), size="2"),
            rx.spacer(),
            rx.text(rx.el.bdi(row.amount, dir="ltr"), size="4", weight="bold"),
            width="100%", align="center", padding_top="0.5rem",
            border_top=f"1px solid {rx.color('gray', 4)}"),
        rx.cond(row.status == "due",
                rx.cond(InvoicesState.card != "",
                        rx.button(rx.icon("credit-card", size=16, aria_hidden="true"),
                                  t("ui.invoices.pay_now"), size="3", width="100%",
                                  on_click=InvoicesState.pay(row.id), class_name="statement-pay"),
                        rx.link(t("ui.invoices.save_card_to_pay"), href=routes.PRO_PROFILE,
                                size="2", weight="bold", class_name="statement-save-card"))),
        spacing="2", width="100%", padding_y="0.75rem", class_name="statement-row",
        border_bottom=f"1px solid {rx.color('gray', 4)}")


def _invoice(row: ObjectVar[InvoiceRow]) -> rx.Component:
    kinds = [kind.name for kind in DocumentType]
    return rx.hstack(
        rx.icon("file-text", size=20, color=theme.MUTED, aria_hidden="true"),
        rx.vstack(
            rx.text(rx.match(row.kind, *[(k, t(f"ui.invoices.kind.{k}")) for k in kinds], ""),
                    rx.cond(row.number != "", rx.fragment(" ", rx.el.bdi(row.number))),
                    size="2", weight="bold"),
            rx.text(row.day, " · ", rx.el.bdi(row.total, dir="ltr"), size="1",
                    color=theme.MUTED),
            spacing="0", align="start", flex="1", min_width="0"),
        rx.cond(row.status == "issued",
                rx.button(rx.icon("download", size=16, aria_hidden="true"),
                          t("ui.invoices.download"), size="2", variant="soft",
                          on_click=InvoicesState.download(row.id),
                          class_name="invoice-download"),
                rx.badge(t("ui.invoices.held"), color_scheme="amber", radius="full",
                         variant="soft")),
        width="100%", align="center", spacing="3", padding_y="0.6rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}", class_name="invoice-row")


# a row of a section's list: a statement or an invoice
ROW = TypeVar("ROW")


def _section(title: str, items: ArrayVar[Sequence[ROW]],
             render: Callable[[ObjectVar[ROW]], rx.Component], empty: str, icon: str,
             element_id: str) -> rx.Component:
    return rx.vstack(
        rx.heading(t(title), as_="h2", size="4"),
        rx.cond(items.length() > 0,
                rx.vstack(rx.foreach(items, render), spacing="0", width="100%"),
                empty_state(empty, icon=icon)),
        spacing="2", width="100%", style=theme.card_style(), id=element_id)


def pro_invoices() -> rx.Component:
    return pro_shell(
        rx.vstack(
            page_title("ui.invoices.title", "ui.invoices.subtitle"),
            error_banner(InvoicesState.error),
            notice_banner(InvoicesState.notice),
            _balance(),
            _available(),
            _card(),
            _section("ui.invoices.statements", InvoicesState.statements, _statement,
                     "ui.invoices.no_statements", "calendar", "statements"),
            _section("ui.invoices.documents", InvoicesState.invoices, _invoice,
                     "ui.invoices.no_documents", "file-text", "invoices"),
            spacing="4", width="100%", max_width="44rem", margin_x="auto"),
        active=routes.PRO_INVOICES,
    )


