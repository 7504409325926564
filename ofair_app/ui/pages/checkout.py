"""`/checkout/{reference}`: the sandbox provider's hosted checkout (a stand-in for Stripe's).

Anyone with the link may pay (the client of a professional lead has no account). The test card
`4242 4242 4242 4242` pays: the page sends the provider's signed `checkout.session.completed`
to our webhook, as Stripe would, and returns to the lead's page. `4000 0000 0000 0002` is
declined. Only served while `PSP_PROVIDER=sandbox`.
"""

from __future__ import annotations

import reflex as rx

from ofair_app.adapters.psp import get_provider
from ofair_app.adapters.psp.sandbox import SandboxProvider, deliver_async
from ofair_app.ui import format, theme
from ofair_app.ui.components.forms import error_banner, field
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState, blocking


def _sandbox() -> SandboxProvider | None:
    provider = get_provider()
    return provider if isinstance(provider, SandboxProvider) else None


class CheckoutState(SessionState):
    amount: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")  # open | complete | expired | missing
    card: rx.Field[str] = rx.field("")
    expiry: rx.Field[str] = rx.field("")
    cvc: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    paying: rx.Field[bool] = rx.field(False)
    cancel_url: rx.Field[str] = rx.field("")
    # a page that saves a card for a business, not a payment
    setup: rx.Field[bool] = rx.field(False)
    # the reference the fields were last loaded for (tests wait on it)
    loaded: rx.Field[str] = rx.field("")

    @rx.var
    def reference(self) -> str:
        return self.rx_router_page.params.get("reference", "")

    @event
    async def open(self):
        await self._identify()
        self.access = "ok"
        self.error, self.card, self.expiry, self.cvc, self.paying = "", "", "", "", False
        sandbox = _sandbox()
        found = await blocking(sandbox.describe, self.reference) if sandbox else None
        if found is None:
            self.status = "missing"
            return
        self.setup = bool(found.get("setup"))
        self.loaded = self.reference
        self.amount = "" if self.setup else format.money(found["amount"], self.locale)
        self.description = found["description"]
        self.status = "expired" if found["expired"] else found["status"]
        self.cancel_url = found["cancel_url"]

    @event
    def set_card(self, value: str):
        digits = "".join(ch for ch in value if ch.isdigit())[:16]
        self.card = " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))

    @event
    def set_expiry(self, value: str):
        self.expiry = value[:5]

    @event
    def set_cvc(self, value: str):
        self.cvc = "".join(ch for ch in value if ch.isdigit())[:4]

    @event
    async def pay(self):
        sandbox = _sandbox()
        if sandbox is None or self.paying:
            return
        self.error = ""
        if len(self.cvc) < 3 or len(self.expiry) < 4:
            self.error = self._text("ui.checkout.card_details")
            return
        self.paying = True
        yield
        result = await blocking(sandbox.pay, self.reference, self.card)
        if result.outcome == "saved":
            self.status = "complete"
            yield rx.redirect(result.redirect_url)
            return
        if result.outcome != "paid":
            self.paying = False
            self.error = self._text(f"ui.checkout.{result.outcome}")
            return
        await deliver_async(result.payload, result.signature)
        self.status = "complete"
        yield rx.redirect(result.redirect_url)


def _card_form() -> rx.Component:
    return rx.vstack(
        field("ui.checkout.card", rx.input(
            value=CheckoutState.card, on_change=CheckoutState.set_card, dir="ltr",
            placeholder="4242 4242 4242 4242", input_mode="numeric", size="3",
            auto_complete="cc-number", id="card-number", width="100%")),
        rx.grid(
            field("ui.checkout.expiry", rx.input(
                value=CheckoutState.expiry, on_change=CheckoutState.set_expiry, dir="ltr",
                placeholder="MM/YY", size="3", auto_complete="cc-exp", id="card-expiry",
                width="100%")),
            field("ui.checkout.cvc", rx.input(
                value=CheckoutState.cvc, on_change=CheckoutState.set_cvc, dir="ltr",
                placeholder="123", input_mode="numeric", size="3", auto_complete="cc-csc",
                id="card-cvc", width="100%")),
            columns="2", spacing="3", width="100%"),
        error_banner(CheckoutState.error),
        rx.button(rx.icon("lock", size=16),
                  rx.cond(CheckoutState.setup, t("ui.checkout.save_card"),
                          rx.fragment(t("ui.checkout.pay"), " ", CheckoutState.amount)),
                  size="3", width="100%", loading=CheckoutState.paying,
                  on_click=CheckoutState.pay, id="pay"),
        rx.link(rx.cond(CheckoutState.setup, t("ui.checkout.cancel_setup"),
                        t("ui.checkout.cancel")), href=CheckoutState.cancel_url, size="2",
                align="center", width="100%"),
        rx.callout(t("ui.checkout.test_cards"), icon="flask-conical", color_scheme="amber",
                   size="1", width="100%"),
        spacing="3",
        width="100%",
    )


def checkout() -> rx.Component:
    return consumer_shell(rx.center(
        rx.vstack(
            rx.hstack(
                rx.hstack(rx.icon("shield-check", size=18, color=theme.BRAND),
                          rx.text(t("ui.checkout.title"), weight="bold", size="3"),
                          spacing="2", align="center"),
                rx.spacer(),
                rx.badge(t("ui.checkout.sandbox"), color_scheme="amber", radius="full"),
                width="100%",
                align="center",
            ),
            rx.cond(
                CheckoutState.status == "missing",
                rx.text(t("ui.checkout.missing"), size="2", color=theme.MUTED),
                rx.vstack(
                    rx.cond(
                        CheckoutState.setup,
                        rx.vstack(
                            rx.heading(t("ui.checkout.save_card_title"), size="6",
                                       id="checkout-setup"),
                            rx.text(t("ui.checkout.save_card_note"), size="1",
                                    color=theme.MUTED, line_height="1.6"),
                            spacing="1",
                            width="100%",
                        ),
                        rx.vstack(
                            rx.text(CheckoutState.description, size="2", color=theme.MUTED),
                            rx.heading(CheckoutState.amount, size="8", id="checkout-amount"),
                            rx.text(t("ui.checkout.escrow"), size="1", color=theme.MUTED,
                                    line_height="1.6"),
                            spacing="1",
                            width="100%",
                        ),
                    ),
                    rx.separator(size="4"),
                    rx.match(
                        CheckoutState.status,
                        ("open", _card_form()),
                        ("complete", rx.callout(
                            rx.cond(CheckoutState.setup, t("ui.checkout.card_saved"),
                                    t("ui.checkout.paid")),
                            icon="circle-check", color_scheme="green", width="100%")),
                        ("expired", rx.callout(t("ui.checkout.closed"), icon="clock",
                                               color_scheme="gray", width="100%")),
                        rx.spinner(),
                    ),
                    spacing="4",
                    width="100%",
                ),
            ),
            spacing="4",
            width="100%",
            max_width="26rem",
            style=theme.card_style(padding="1.5rem"),
            custom_attrs={"data-loaded": CheckoutState.loaded},
        ),
        padding=rx.breakpoints(initial="1.5rem 1rem 3rem", md="3rem 1rem"),
        width="100%",
    ))
