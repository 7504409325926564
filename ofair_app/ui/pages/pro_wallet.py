"""`/pro/wallet`: what the business has waiting (held until jobs are done and the hold period
passes), what it may withdraw, and every movement, straight from the ledger.

The movements are a statement with two columns, held and available: each line names its job
(a link to the lead's page) and where the money went (client → held → available → bank), and
each column adds up to the balance shown above it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from typing import cast

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.db.engine import Caller
from ofair_app.domain.banking import BANKS
from ofair_app.domain.errors import AppError, FieldErrors, InvalidInput
from ofair_app.domain.leads import read_amount
from ofair_app.domain.ledger import Place, TxKind
from ofair_app.services import payouts, wallets
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    confirm_dialog,
    dict_var,
    empty_state,
    error_banner,
    field,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import LocaleState, t, t_with
from ofair_app.ui.state.session import SessionState


@dataclasses.dataclass
class WalletRow:
    """One movement on the statement; amounts already formatted, empty where it changed
    nothing."""

    kind: str
    source: str
    destination: str
    moved: str  # how much went from source to destination
    pending: str  # its change to the held column (+₪342 / −₪342)
    available: str  # its change to the available column
    lead_title: str
    lead_url: str
    when: str


def _signed(change: Decimal, locale: str) -> str:
    if not change:
        return ""
    return ("+" if change > 0 else "−") + format.money(abs(change), locale)


class WalletState(SessionState):
    pending: rx.Field[str] = rx.field("")
    available: rx.Field[str] = rx.field("")
    in_payout: rx.Field[str] = rx.field("")
    lines: rx.Field[list[WalletRow]] = rx.field(default_factory=list)
    earlier: rx.Field[WalletRow | None] = rx.field(None)
    requests: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    # the withdrawal form
    amount: rx.Field[str] = rx.field("")
    bank_code: rx.Field[str] = rx.field("12")
    branch: rx.Field[str] = rx.field("")
    account: rx.Field[str] = rx.field("")
    holder: rx.Field[str] = rx.field("")
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)

    @event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.error, self.notice, self.errors = "", "", {}
        await self._load(caller)
        return None

    async def _load(self, caller: Caller) -> None:
        professional_id = self._current_business(caller)
        try:
            found = await self._as(caller, lambda s: wallets.wallet(
                session=s, caller=caller, professional_id=professional_id))
        except AppError as error:
            self.error, self.lines = self._message(error), []
            return None
        locale = self.locale
        self.pending = format.money(found.balances.pending, locale)
        self.available = format.money(found.balances.available, locale)
        self.in_payout = format.money(found.balances.in_payout, locale)
        self.lines = [WalletRow(
            kind=str(line.kind), source=str(line.source), destination=str(line.destination),
            moved=format.money(abs(line.amount), locale),
            pending=_signed(line.pending, locale), available=_signed(line.available, locale),
            lead_title=line.lead_title,
            lead_url=routes.pro_lead(line.lead_id) if line.lead_id else "",
            when=format.ago(line.created_at, locale)) for line in found.history]
        earlier = found.earlier
        self.earlier = WalletRow(
            kind="", source="", destination="", moved="",
            pending=_signed(earlier.pending, locale),
            available=_signed(earlier.available, locale), lead_title="", lead_url="",
            when="") if earlier.pending or earlier.available else None
        found_requests = await self._as(caller, lambda s: payouts.withdrawals(
            session=s, caller=caller, professional_id=found.professional_id, limit=20))
        self.requests = [{
            "amount": format.money(w.amount, locale),
            "status": w.status,
            "status_label": self._text(f"ui.withdrawal_status.{w.status}"),
            "bank": format.joined(BANKS.get(w.bank_code, ('', ''))[0 if locale == 'he' else 1],
                                  f"{w.branch}-{w.account}"),
            "when": format.ago(w.created_at, locale),
        } for w in found_requests]

    @rx.var
    def bank_label(self) -> str:
        """The chosen bank as the confirmation names it: `12 · בנק הפועלים`."""
        names = BANKS.get(self.bank_code)
        if names is None:
            return self.bank_code
        return f"{self.bank_code} · {names[1] if self.locale == 'en' else names[0]}"

    @event
    def set_amount(self, value: str):
        self.amount = value

    @event
    def set_bank_code(self, value: str):
        self.bank_code = value

    @event
    def set_branch(self, value: str):
        self.branch = value

    @event
    def set_account(self, value: str):
        self.account = value

    @event
    def set_holder(self, value: str):
        self.holder = value

    @event
    async def withdraw(self):
        """Ask to be paid out (the business's owners only; never more than available)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        self.errors, self.error, self.notice = {}, "", ""
        # An amount the form cannot read is named together with the service's refusals of
        # the bank details, not one round before them.
        checks = FieldErrors()
        amount = checks(read_amount, self.amount, field="amount")
        details = {"professional_id": self._current_business(caller),
                   "amount": amount if amount is not None else "",
                   "bank_code": self.bank_code, "branch": self.branch,
                   "account": self.account, "account_holder": self.holder}
        try:
            await self._as(caller, lambda s: payouts.request_withdrawal(
                session=s, caller=caller, **details))
        except InvalidInput as error:
            checks.merge(error)
        except AppError as error:
            self.errors = self._field_messages(error)
            if not self.errors:
                self.error = self._message(error)
            return None
        if checks:
            self.errors = self._field_messages(checks.error())
            return None
        self.amount = ""
        self.notice = self._text("ui.wallet.requested")
        await self._load(caller)
        return None


def _balance(label: str, value: rx.Var[str], hint: str, strong: bool, element_id: str,
             ) -> rx.Component:
    return rx.vstack(
        rx.text(t(label), size="2", color=theme.MUTED),
        rx.text(value, size="7" if strong else "6", weight="bold", id=element_id,
                color=theme.BRAND if strong else None),
        rx.text(t(hint), size="1", color=theme.MUTED, line_height="1.5"),
        spacing="1",
        width="100%",
        style=theme.card_style(padding="1.1rem"),
    )


def _catalog_choice(value: rx.Var[str], prefix: str, names: Iterable[str]) -> rx.Var:
    """The catalog text `prefix.<value>` for one of `names`, in the reader's language."""
    return rx.match(value, *[(name, t(f"{prefix}.{name}")) for name in names], "")


def _amount_cell(value: rx.Var | str, element_class: str, strong: bool = False) -> rx.Component:
    # the amount reads left to right inside the line's direction; the cell aligns to the
    # end of the line in either language, under its column's heading
    return rx.text(rx.el.bdi(value, dir="ltr"), size="2", weight="bold" if strong else "medium",
                   white_space="nowrap", text_align="end", class_name=element_class,
                   color=rx.cond(value.to(str).startswith("+"), rx.color("teal", 11), None)
                   if isinstance(value, rx.Var) else None)


_COLUMNS = "minmax(0, 1fr) 5.25rem 5.25rem"


def _statement_row(*cells: rx.Component, **props) -> rx.Component:
    props.setdefault("border_bottom", f"1px solid {rx.color('gray', 4)}")
    return rx.grid(*cells, grid_template_columns=_COLUMNS, column_gap="0.5rem",
                   align_items="center", width="100%", padding_y="0.6rem", **props)


def _line(line: ObjectVar[WalletRow]) -> rx.Component:
    kinds = [str(kind) for kind in TxKind]
    places = [str(place) for place in Place]
    return _statement_row(
        rx.vstack(
            rx.cond(line.lead_url != "",
                    rx.link(line.lead_title, href=line.lead_url, size="2", weight="bold",
                            class_name="wallet-job"),
                    rx.text(t("ui.wallet.withdrawal_line"), size="2", weight="bold")),
            rx.text(_catalog_choice(line.kind, "wallet.kind", kinds), size="1"),
            # the arrow points the way the line reads (right to left in Hebrew)
            rx.text(rx.el.bdi(line.moved, dir="ltr"), ": ",
                    _catalog_choice(line.source, "wallet.place", places),
                    rx.cond(LocaleState.locale == "en", " → ", " ← "),
                    _catalog_choice(line.destination, "wallet.place", places),
                    size="1", color=theme.MUTED, class_name="wallet-move"),
            rx.text(line.when, size="1", color=theme.MUTED),
            spacing="0", align="start", min_width="0",
        ),
        _amount_cell(line.pending, "wallet-pending"),
        _amount_cell(line.available, "wallet-available"),
        class_name="wallet-line",
    )


def _statement() -> rx.Component:
    header = _statement_row(
        rx.text(t("ui.wallet.history"), weight="bold", size="3"),
        rx.text(t("ui.wallet.col_pending"), size="1", color=theme.MUTED, text_align="end"),
        rx.text(t("ui.wallet.col_available"), size="1", color=theme.MUTED, text_align="end"))
    # Reflex types `Field.__get__` for pyright: mypy reads this optional row's var as an
    # `ArrayVar`; at run time it is the row's `ObjectVar` (its values used only when set)
    earlier_row = cast("ObjectVar[WalletRow]", WalletState.earlier)
    earlier = rx.cond(earlier_row, _statement_row(
        rx.text(t("ui.wallet.earlier"), size="2", color=theme.MUTED),
        _amount_cell(earlier_row.pending, "wallet-pending"),
        _amount_cell(earlier_row.available, "wallet-available"),
        class_name="wallet-line wallet-earlier"))
    total = _statement_row(
        rx.text(t("ui.wallet.total"), size="2", weight="bold"),
        _amount_cell(WalletState.pending, "wallet-total-pending", strong=True),
        _amount_cell(WalletState.available, "wallet-total-available", strong=True),
        border_bottom="none", id="wallet-totals")
    return rx.vstack(
        rx.cond(WalletState.lines.length() > 0,
                rx.vstack(header, rx.foreach(WalletState.lines, _line), earlier, total,
                          spacing="0", width="100%", id="wallet-statement"),
                rx.vstack(rx.text(t("ui.wallet.history"), weight="bold", size="3"),
                          empty_state("ui.wallet.empty", icon="wallet"), width="100%")),
        spacing="2",
        width="100%",
        style=theme.card_style(),
    )


def _withdraw_form() -> rx.Component:
    errors = dict_var(WalletState.errors)
    return rx.vstack(
        rx.text(t("ui.wallet.withdraw_title"), weight="bold", size="3"),
        rx.text(t("ui.wallet.withdraw_body"), size="2", color=theme.MUTED, line_height="1.6"),
        field("ui.wallet.amount", rx.input(
            rx.input.slot("₪"), value=WalletState.amount, on_change=WalletState.set_amount,
            input_mode="decimal", dir="ltr", text_align="start", size="3",
            id="withdraw-amount", width="100%"),
            errors.get("amount", ""), html_for="withdraw-amount", required=True),
        field("ui.wallet.bank", rx.select.root(
            rx.select.trigger(width="100%", id="withdraw-bank"),
            rx.select.content(*[rx.select.item(
                rx.cond(LocaleState.locale == "en", f"{code} · {names[1]}", f"{code} · {names[0]}"),
                value=code) for code, names in BANKS.items()]),
            value=WalletState.bank_code, on_change=WalletState.set_bank_code, size="3"),
            errors.get("bank_code", ""), html_for="withdraw-bank"),
        rx.grid(
            field("ui.wallet.branch", rx.input(
                value=WalletState.branch, on_change=WalletState.set_branch,
                input_mode="numeric", dir="ltr", size="3", id="withdraw-branch", width="100%"),
                errors.get("branch", ""), html_for="withdraw-branch", required=True),
            field("ui.wallet.account", rx.input(
                value=WalletState.account, on_change=WalletState.set_account,
                input_mode="numeric", dir="ltr", size="3", id="withdraw-account", width="100%"),
                errors.get("account", ""), html_for="withdraw-account", required=True),
            columns="2", spacing="3", width="100%"),
        field("ui.wallet.holder", rx.input(
            value=WalletState.holder, on_change=WalletState.set_holder, size="3",
            id="withdraw-holder", width="100%"), errors.get("account_holder", ""),
            html_for="withdraw-holder", required=True),
        confirm_dialog(
            rx.button(rx.icon("landmark", size=16), t("ui.wallet.withdraw"), size="3",
                      width="100%", id="withdraw"),
            t_with("ui.wallet.withdraw_confirm_title", amount=WalletState.amount),
            t_with("ui.wallet.withdraw_confirm_body", bank=WalletState.bank_label,
                   branch=WalletState.branch, account=WalletState.account,
                   holder=WalletState.holder),
            "ui.wallet.withdraw", WalletState.withdraw, color="teal",
            confirm_class="confirm-withdraw"),
        spacing="3",
        width="100%",
        style=theme.card_style(),
        id="withdraw-form",
    )


def pro_wallet() -> rx.Component:
    return pro_shell(
        rx.vstack(
            page_title("ui.wallet.title", "ui.wallet.subtitle"),
            error_banner(WalletState.error),
            notice_banner(WalletState.notice),
            rx.grid(
                _balance("ui.wallet.available", WalletState.available,
                         "ui.wallet.available_hint", True, "available-balance"),
                _balance("ui.wallet.pending", WalletState.pending, "ui.wallet.pending_hint",
                         False, "pending-balance"),
                columns="2",
                spacing="3",
                width="100%",
            ),
            _withdraw_form(),
            rx.cond(WalletState.requests.length() > 0, rx.vstack(
                rx.text(t("ui.wallet.requests"), weight="bold", size="3"),
                rx.foreach(WalletState.requests, lambda r: rx.hstack(
                    rx.vstack(rx.text(r["amount"], weight="bold", size="2"),
                              rx.text(r["bank"], " · ", r["when"], size="1",
                                      color=theme.MUTED), spacing="0", align="start"),
                    rx.spacer(),
                    rx.badge(r["status_label"], radius="full", variant="soft",
                             color_scheme=rx.match(r["status"], ("paid", "green"),
                                                   ("rejected", "red"), ("approved", "blue"),
                                                   "amber")),
                    width="100%", align="center", class_name="withdrawal-row")),
                spacing="2", width="100%", style=theme.card_style())),
            _statement(),
            spacing="4",
            width="100%",
            max_width="44rem",
            margin_x="auto",
        ),
        active=routes.PRO_WALLET,
    )
