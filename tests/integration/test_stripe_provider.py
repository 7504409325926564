"""The Stripe adapter against a local HTTP endpoint standing in for Stripe's API (the official
library, pointed at it through `STRIPE_API_BASE`): shekels in, Checkout Sessions in agorot out
with our payment id as the client reference and an idempotency key, retrieval for
reconciliation read back into shekels, refunds with the caller's idempotency key, and provider
errors turned into a 503 the caller can retry."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ofair_app.adapters.psp import PaymentState, ProviderError, _provider, get_provider
from ofair_app.adapters.psp.stripe_provider import StripeProvider
from ofair_app.settings import get_settings
from tests.standin import served


class FakeStripe:
    """Just enough of Stripe's API: what it was asked, and answers shaped like Stripe's."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict, dict]] = []
        self.sessions: dict[str, dict] = {}
        self.refunds_by_key: dict[str, dict] = {}  # Stripe answers a repeated key the same
        self.refunded: dict[str, int] = {}  # agorot refunded per payment intent
        self.failures_left = 0
        app = FastAPI()

        @app.api_route("/v1/{path:path}", methods=["GET", "POST"])
        async def handle(path: str, request: Request):
            form = parse_qs((await request.body()).decode())
            fields = {key: values[0] for key, values in form.items()}
            self.requests.append((request.method, path, fields, dict(request.headers)))
            if self.failures_left:
                self.failures_left -= 1
                return JSONResponse({"error": {"type": "api_error",
                                               "message": "Stripe is down"}}, status_code=500)
            if path == "checkout/sessions" and request.method == "POST":
                session_id = f"cs_test_{len(self.sessions) + 1}"
                self.sessions[session_id] = {
                    "id": session_id, "object": "checkout.session",
                    "url": f"https://checkout.stripe.test/{session_id}",
                    "client_reference_id": fields.get("client_reference_id"),
                    "amount_total": int(fields["line_items[0][price_data][unit_amount]"]),
                    "currency": fields["line_items[0][price_data][currency]"],
                    "status": "open", "payment_status": "unpaid", "payment_intent": None}
                return self.sessions[session_id]
            if path.startswith("checkout/sessions/") and path.endswith("/expire"):
                found = self.sessions.get(path.split("/")[2])
                if found is None or found["status"] != "open":
                    return JSONResponse({"error": {
                        "type": "invalid_request_error",
                        "message": "Only Checkout Sessions with a status in [\"open\"] can "
                                   "be expired."}}, status_code=400)
                found["status"] = "expired"
                return found
            if path.startswith("checkout/sessions/"):
                found = self.sessions.get(path.rsplit("/", 1)[1])
                if found is None:
                    return JSONResponse({"error": {"type": "invalid_request_error",
                                                   "message": "No such session"}},
                                        status_code=404)
                return found
            if path == "refunds":
                key = request.headers.get("idempotency-key", "")
                if key in self.refunds_by_key:
                    return self.refunds_by_key[key]
                refund = {"id": f"re_test_{len(self.refunds_by_key) + 1}", "object": "refund",
                          "amount": int(fields["amount"]),
                          "payment_intent": fields["payment_intent"], "status": "succeeded"}
                intent = fields["payment_intent"]
                self.refunded[intent] = self.refunded.get(intent, 0) + refund["amount"]
                self.refunds_by_key[key] = refund
                return refund
            return JSONResponse({"error": {"type": "invalid_request_error"}}, status_code=404)

        self.app = app


@pytest.fixture
def stripe_api(monkeypatch) -> Iterator[FakeStripe]:
    fake = FakeStripe()
    with served(fake.app, name="stripe-standin") as base:
        monkeypatch.setenv("PSP_PROVIDER", "stripe")
        monkeypatch.setenv("STRIPE_API_BASE", base)
        monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_local")
        get_settings.cache_clear()
        _provider.cache_clear()
        yield fake
    get_settings.cache_clear()
    _provider.cache_clear()


def test_a_checkout_session_in_agorot_with_our_reference_and_an_idempotency_key(
        stripe_api) -> None:
    provider = get_provider()
    assert isinstance(provider, StripeProvider)
    checkout = provider.create_checkout(
        payment_id="0b4f6f2e-1111-4c4c-9a9a-0123456789ab", amount=Decimal("1000.00"),
        currency="ils",
        description="החלפת דוד שמש", success_url="https://ofair.test/ok",
        cancel_url="https://ofair.test/back")
    assert checkout.reference == "cs_test_1"
    assert checkout.url == "https://checkout.stripe.test/cs_test_1"
    method, path, fields, headers = stripe_api.requests[-1]
    assert (method, path) == ("POST", "checkout/sessions")
    assert fields["mode"] == "payment"
    assert fields["client_reference_id"] == "0b4f6f2e-1111-4c4c-9a9a-0123456789ab"
    assert fields["line_items[0][price_data][unit_amount]"] == "100000"
    assert fields["line_items[0][price_data][currency]"] == "ils"
    assert fields["line_items[0][price_data][product_data][name]"] == "החלפת דוד שמש"
    assert fields["metadata[payment_id]"] == fields["client_reference_id"]
    assert headers["idempotency-key"] == "checkout-0b4f6f2e-1111-4c4c-9a9a-0123456789ab"
    assert headers["authorization"] == "Bearer sk_test_local"


def test_retrieval_for_reconciliation(stripe_api) -> None:
    provider = get_provider()
    checkout = provider.create_checkout(payment_id="p-1", amount=Decimal("600.00"), currency="ils",
                                        description="x", success_url="https://a/ok",
                                        cancel_url="https://a/no")
    stripe_api.sessions[checkout.reference].update(
        status="complete", payment_status="paid", payment_intent="pi_test_9")
    state = provider.retrieve(checkout.reference)
    assert (state.state, state.amount, state.currency, state.charge, state.payment_id) == (
        PaymentState.paid, Decimal("600.00"), "ils", "pi_test_9", "p-1")
    with pytest.raises(ProviderError):
        provider.retrieve("cs_test_missing")


def test_refunds_carry_the_callers_idempotency_key(stripe_api) -> None:
    refund = get_provider().refund(charge="pi_test_9", amount=Decimal("400.00"),
                                   idempotency_key="dispute:42")
    assert (refund.refund_id, refund.amount) == ("re_test_1", Decimal("400.00"))
    method, path, fields, headers = stripe_api.requests[-1]
    assert (method, path, fields["amount"], fields["payment_intent"]) == (
        "POST", "refunds", "40000", "pi_test_9")
    assert headers["idempotency-key"] == "dispute:42"


def test_a_provider_failure_is_retried_with_the_same_key_then_a_503(stripe_api) -> None:
    stripe_api.failures_left = 10
    with pytest.raises(ProviderError) as caught:
        get_provider().refund(charge="pi_x", amount=Decimal("1.00"), idempotency_key="k-1")
    assert caught.value.status == 503
    attempts = [headers["idempotency-key"] for _, path, _, headers in stripe_api.requests
                if path == "refunds"]
    assert attempts == ["k-1"] * 3  # the library's two retries, one key: paid at most once


def test_closing_an_open_checkout_and_one_the_client_already_paid(stripe_api) -> None:
    provider = get_provider()
    open_one, paid_one = (provider.create_checkout(
        payment_id=f"p-{n}", amount=Decimal("600.00"), currency="ils", description="x",
        success_url="https://a/ok", cancel_url="https://a/no") for n in (1, 2))
    state = provider.expire_checkout(open_one.reference)
    assert state.state == PaymentState.expired
    assert stripe_api.requests[-1][:2] == ("POST", f"checkout/sessions/{open_one.reference}/expire")
    stripe_api.sessions[paid_one.reference].update(
        status="complete", payment_status="paid", payment_intent="pi_test_9")
    state = provider.expire_checkout(paid_one.reference)  # Stripe refuses: it says how it ended
    assert (state.state, state.charge) == (PaymentState.paid, "pi_test_9")
    with pytest.raises(ProviderError):
        provider.expire_checkout("cs_test_missing")
