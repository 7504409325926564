"""Stripe: Checkout Sessions, refunds and retrieval, through the official library.

`STRIPE_API_BASE` points the library elsewhere (a local stand-in for Stripe's API in tests).
Every call carries an idempotency key where Stripe accepts one, so a retry never pays twice.
"""

from __future__ import annotations

import stripe

from ofair_app.adapters.psp import Checkout, ProviderError, SessionState
from ofair_app.settings import get_settings


class StripeProvider:
    name = "stripe"

    def __init__(self) -> None:
        settings = get_settings()
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        self.client = stripe.StripeClient(settings.stripe_secret_key.get_secret_value(),
                                          base_addresses=base, max_network_retries=2)

    def create_checkout(self, *, payment_id: str, amount: int, currency: str,
                        description: str, success_url: str, cancel_url: str) -> Checkout:
        try:
            session = self.client.v1.checkout.sessions.create(
                {"mode": "payment", "client_reference_id": payment_id,
                 "success_url": success_url, "cancel_url": cancel_url,
                 "metadata": {"payment_id": payment_id},
                 "payment_intent_data": {"metadata": {"payment_id": payment_id}},
                 "line_items": [{"quantity": 1, "price_data": {
                     "currency": currency, "unit_amount": amount,
                     "product_data": {"name": description[:200] or "OFAIR"}}}]},
                {"idempotency_key": f"checkout-{payment_id}"})
        except stripe.StripeError as error:
            raise ProviderError() from error
        return Checkout(reference=session.id, url=session.url or "")

    def retrieve(self, reference: str) -> SessionState:
        try:
            session = self.client.v1.checkout.sessions.retrieve(reference)
        except stripe.StripeError as error:
            raise ProviderError() from error
        return _state(session)

    def expire_checkout(self, reference: str) -> SessionState:
        """Stripe expires only an open session; one that is not open any more (paid, or
        expired already) is asked for how it ended."""
        try:
            session = self.client.v1.checkout.sessions.expire(reference)
        except stripe.InvalidRequestError:
            return self.retrieve(reference)
        except stripe.StripeError as error:
            raise ProviderError() from error
        return _state(session)

    def refund(self, *, payment_intent: str, amount: int, idempotency_key: str) -> str:
        try:
            refund = self.client.v1.refunds.create(
                {"payment_intent": payment_intent, "amount": amount},
                {"idempotency_key": idempotency_key})
        except stripe.StripeError as error:
            raise ProviderError() from error
        return refund.id


def _state(session) -> SessionState:
    intent = session.payment_intent
    return SessionState(reference=session.id, status=session.status or "open",
                        payment_status=session.payment_status or "unpaid",
                        amount_total=session.amount_total or 0,
                        currency=session.currency or "",
                        payment_intent=intent if isinstance(intent, str) or intent is None
                        else intent.id,
                        client_reference_id=session.client_reference_id)
