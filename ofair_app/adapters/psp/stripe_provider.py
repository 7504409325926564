"""Stripe: Checkout Sessions, refunds and retrieval, through the official library.

`STRIPE_API_BASE` points the library elsewhere (a local stand-in for Stripe's API in tests).
Every call carries an idempotency key where Stripe accepts one, so a retry never pays twice.
Amounts cross this module in shekels; Stripe is spoken to in agorot.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import stripe

from ofair_app.adapters.psp import (
    CheckoutCreated,
    ProviderError,
    ProviderEvent,
    ProviderPayment,
    RefundResult,
    SavedCard,
)
from ofair_app.adapters.psp.stripe_scheme import read_event, session_payment
from ofair_app.domain.payments import from_agorot, to_agorot
from ofair_app.settings import get_settings

if TYPE_CHECKING:
    # What `StripeClient(base_addresses=...)` takes; the library does not export it.
    from stripe._base_address import BaseAddresses


class StripeProvider:
    name = "stripe"

    def __init__(self) -> None:
        settings = get_settings()
        base: BaseAddresses | None = ({"api": settings.stripe_api_base}
                                      if settings.stripe_api_base else None)
        self.client = stripe.StripeClient(settings.stripe_secret_key.get_secret_value(),
                                          base_addresses=base, max_network_retries=2)

    def create_checkout(self, *, payment_id: str, amount: Decimal, currency: str,
                        description: str, success_url: str,
                        cancel_url: str) -> CheckoutCreated:
        try:
            session = self.client.v1.checkout.sessions.create(
                {"mode": "payment", "client_reference_id": payment_id,
                 "success_url": success_url, "cancel_url": cancel_url,
                 "metadata": {"payment_id": payment_id},
                 "payment_intent_data": {"metadata": {"payment_id": payment_id}},
                 "line_items": [{"quantity": 1, "price_data": {
                     "currency": currency, "unit_amount": to_agorot(amount),
                     "product_data": {"name": description[:200] or "OFAIR"}}}]},
                {"idempotency_key": f"checkout-{payment_id}"})
        except stripe.StripeError as error:
            raise ProviderError() from error
        return CheckoutCreated(reference=session.id, url=session.url or "")

    def retrieve(self, reference: str) -> ProviderPayment:
        try:
            session = self.client.v1.checkout.sessions.retrieve(reference)
        except stripe.StripeError as error:
            raise ProviderError() from error
        return _state(session)

    def expire_checkout(self, reference: str) -> ProviderPayment:
        """Stripe expires only an open session; one that is not open any more (paid, or
        expired already) is asked for how it ended."""
        try:
            session = self.client.v1.checkout.sessions.expire(reference)
        except stripe.InvalidRequestError:
            return self.retrieve(reference)
        except stripe.StripeError as error:
            raise ProviderError() from error
        return _state(session)

    def refund(self, *, charge: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        try:
            refund = self.client.v1.refunds.create(
                {"payment_intent": charge, "amount": to_agorot(amount)},
                {"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise ProviderError() from error
        return RefundResult(refund_id=refund.id, amount=from_agorot(refund.amount))

    def read_webhook(self, payload: bytes, signature: str | None) -> ProviderEvent:
        return read_event(payload, signature)

    def create_card_setup(self, *, owner_reference: str, success_url: str,
                          cancel_url: str) -> CheckoutCreated:
        """Saving a card through Stripe (SetupIntents) is not built: Stripe serves
        deployments outside Israel, where saved cards are not used yet. A 503."""
        raise ProviderError()

    def saved_card(self, reference: str) -> SavedCard | None:
        raise ProviderError()

    def charge_card(self, *, card: SavedCard, amount: Decimal, idempotency_key: str) -> str:
        """No card is ever saved through Stripe (see `create_card_setup`): a 503."""
        raise ProviderError()


def _state(session) -> ProviderPayment:
    intent = session.payment_intent
    return session_payment({
        "id": session.id, "status": session.status or "open",
        "payment_status": session.payment_status or "unpaid",
        "amount_total": session.amount_total, "currency": session.currency or "",
        "payment_intent": intent if isinstance(intent, str) or intent is None else intent.id,
        "client_reference_id": session.client_reference_id})
