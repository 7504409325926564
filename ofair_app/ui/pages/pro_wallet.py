"""`/pro/wallet`: what the business has waiting (held until jobs are done and the hold period
passes), what it may withdraw, and every movement, straight from the ledger."""

from __future__ import annotations

import reflex as rx

from ofair_app.domain.errors import AppError
from ofair_app.services import wallets
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import empty_state, error_banner, page_title
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState


class WalletState(SessionState):
    pending: str = ""
    available: str = ""
    in_payout: str = ""
    lines: list[dict[str, str]] = []
    error: str = ""

    @rx.event
    def open(self):
        caller, redirect = self._guard("business")
        if caller is None:
            return redirect
        self.error = ""
        try:
            found = self._as(caller, lambda s: wallets.wallet(
                session=s, caller=caller, professional_id=self._current_business(caller)))
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
        rx.text(line["amount"], size="2", weight="bold", dir="ltr",
                color=rx.cond(line["direction"] == "in", rx.color("teal", 11), None)),
        width="100%",
        align="center",
        padding_y="0.6rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="wallet-line",
    )


def pro_wallet() -> rx.Component:
    return pro_shell(
        rx.vstack(
            page_title("ui.wallet.title", "ui.wallet.subtitle"),
            error_banner(WalletState.error),
            rx.grid(
                _balance("ui.wallet.available", WalletState.available,
                         "ui.wallet.available_hint", True, "available-balance"),
                _balance("ui.wallet.pending", WalletState.pending, "ui.wallet.pending_hint",
                         False, "pending-balance"),
                columns="2",
                spacing="3",
                width="100%",
            ),
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
