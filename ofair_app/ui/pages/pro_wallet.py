"""`/pro/wallet`: what the business has waiting (held until jobs are done and the hold period
passes), what it may withdraw, and every movement, straight from the ledger."""

from __future__ import annotations

import reflex as rx

from ofair_app.domain.banking import BANKS
from ofair_app.domain.errors import AppError, FieldErrors, InvalidInput
from ofair_app.domain.leads import read_amount
from ofair_app.services import payouts, wallets
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import (
    empty_state,
    error_banner,
    field,
    notice_banner,
    page_title,
)
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.locale import LocaleState, t
from ofair_app.ui.state.session import SessionState


class WalletState(SessionState):
    pending: str = ""
    available: str = ""
    in_payout: str = ""
    lines: list[dict[str, str]] = []
    requests: list[dict[str, str]] = []
    error: str = ""
    notice: str = ""
    # the withdrawal form
    amount: str = ""
    bank_code: str = "12"
    branch: str = ""
    account: str = ""
    holder: str = ""
    errors: dict[str, str] = {}

    @rx.event
    async def open(self):
        caller, redirect = await self._guard("business")
        if caller is None:
            return redirect
        self.error, self.notice, self.errors = "", "", {}
        await self._load(caller)
        return None

    async def _load(self, caller) -> None:
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
        self.lines = [{
            "description": self._text(f"wallet.line.{line.kind}.{line.purpose}"),
            "amount": ("+" if line.amount > 0 else "−") + format.money(abs(line.amount), locale),
            "direction": "in" if line.amount > 0 else "out",
            "when": format.ago(line.created_at, locale),
        } for line in found.history]
        found_requests = await self._as(caller, lambda s: payouts.withdrawals(
            session=s, caller=caller, professional_id=found.professional_id, limit=20))
        self.requests = [{
            "amount": format.money(w.amount, locale),
            "status": w.status,
            "status_label": self._text(f"ui.withdrawal_status.{w.status}"),
            "bank": f"{BANKS.get(w.bank_code, ('', ''))[0 if locale == 'he' else 1]}"
                    f" · {w.branch}-{w.account}",
            "when": format.ago(w.created_at, locale),
        } for w in found_requests]

    @rx.event
    def set_amount(self, value: str):
        self.amount = value

    @rx.event
    def set_bank_code(self, value: str):
        self.bank_code = value

    @rx.event
    def set_branch(self, value: str):
        self.branch = value

    @rx.event
    def set_account(self, value: str):
        self.account = value

    @rx.event
    def set_holder(self, value: str):
        self.holder = value

    @rx.event
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


def _balance(label: str, value: rx.Var, hint: str, strong: bool, element_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(t(label), size="2", color=theme.MUTED),
        rx.text(value, size="7" if strong else "6", weight="bold", id=element_id,
                color=theme.BRAND if strong else None),
        rx.text(t(hint), size="1", color=theme.MUTED, line_height="1.5"),
        spacing="1",
        width="100%",
        style=theme.card_style(padding="1.1rem"),
    )


def _line(line: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.center(rx.icon(rx.cond(line["direction"] == "in", "arrow-down-left",
                                  "arrow-up-right"), size=16),
                  width="2rem", height="2rem", border_radius="999px", flex_shrink="0",
                  background=rx.cond(line["direction"] == "in", rx.color("teal", 3),
                                     rx.color("gray", 3))),
        rx.vstack(rx.text(line["description"], size="2", weight="medium"),
                  rx.text(line["when"], size="1", color=theme.MUTED), spacing="0",
                  align="start"),
        rx.spacer(),
        rx.text(line["amount"], size="2", weight="bold", dir="ltr", white_space="nowrap",
                color=rx.cond(line["direction"] == "in", rx.color("teal", 11), None)),
        width="100%",
        align="center",
        padding_y="0.6rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="wallet-line",
    )


def _withdraw_form() -> rx.Component:
    errors = WalletState.errors
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
        rx.button(rx.icon("landmark", size=16), t("ui.wallet.withdraw"), size="3",
                  width="100%", on_click=WalletState.withdraw, id="withdraw"),
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
            rx.vstack(
                rx.text(t("ui.wallet.history"), weight="bold", size="3"),
                rx.cond(WalletState.lines.length() > 0,
                        rx.vstack(rx.foreach(WalletState.lines, _line), spacing="0",
                                  width="100%"),
                        empty_state("ui.wallet.empty", icon="wallet")),
                spacing="2",
                width="100%",
                style=theme.card_style(),
            ),
            spacing="4",
            width="100%",
            max_width="44rem",
            margin_x="auto",
        ),
        active=routes.PRO_WALLET,
    )
