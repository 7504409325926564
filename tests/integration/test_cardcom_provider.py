"""The Cardcom adapter against the local stand-in of Cardcom's REST API v11
(`tests/cardcom_standin.py`): what it sends (terminal and API name, shekels, the hosted page's
URLs), how it reads Cardcom's answers (ResponseCode, the deal, the token), and what a fault
does: a decline, a timeout then a retry, a 5xx, a refund or a token charge retried with the
same key (one Cardcom transaction whatever the retries), and callbacks it cannot trust."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from ofair_app.adapters.psp import (
    BadSignature,
    CardDeclined,
    EventKind,
    PaymentState,
    ProviderError,
    get_provider,
)
from ofair_app.adapters.psp.cardcom import CALLBACK_PATH, CardcomProvider, OutcomeUnknown
from tests.cardcom_standin import (
    API_NAME,
    API_PASSWORD,
    DECLINED_CARD,
    TERMINAL,
)

D = Decimal
PAYMENT_ID = "0b4f6f2e-1111-4c4c-9a9a-0123456789ab"


def _checkout(provider, amount: str = "1000.00"):
    return provider.create_checkout(payment_id=PAYMENT_ID, amount=D(amount), currency="ils",
                                    description="החלפת דוד שמש",
                                    success_url="https://ofair.test/ok",
                                    cancel_url="https://ofair.test/back")


def test_a_hosted_page_in_shekels_with_the_terminals_credentials(cardcom_api, db) -> None:
    provider = get_provider()
    assert isinstance(provider, CardcomProvider)
    checkout = _checkout(provider, "1250.50")
    assert checkout.url == f"{cardcom_api.base_url}/pay/{checkout.reference}"
    (sent,) = cardcom_api.calls("LowProfile/Create")
    assert (sent["TerminalNumber"], sent["ApiName"]) == (TERMINAL, API_NAME)
    assert sent["Amount"] == D("1250.5")  # shekels, as Cardcom takes them, not agorot
    assert (sent["Operation"], sent["ReturnValue"], sent["ISOCoinId"]) == (
        "ChargeOnly", PAYMENT_ID, 1)
    assert sent["WebHookUrl"].endswith(CALLBACK_PATH)
    assert (sent["SuccessRedirectUrl"], sent["FailedRedirectUrl"]) == (
        "https://ofair.test/ok", "https://ofair.test/back")
    assert "ApiPassword" not in sent  # the password goes only where Cardcom asks for it
    found = provider.retrieve(checkout.reference)
    assert (found.state, found.payment_id, found.charge) == (PaymentState.open, PAYMENT_ID, None)


def test_wrong_credentials_are_a_503_not_a_page(cardcom_api, db, monkeypatch) -> None:
    provider = get_provider()
    monkeypatch.setattr(provider, "api_name", "someone-else")
    with pytest.raises(ProviderError) as caught:
        _checkout(provider)
    assert caught.value.status == 503
    assert cardcom_api.pages == {}


def test_paid_and_declined_as_the_re_query_says(cardcom_api, db) -> None:
    provider = get_provider()
    declined, paid = _checkout(provider, "600.00"), _checkout(provider, "600.00")
    cardcom_api.pay(declined.reference, DECLINED_CARD)
    found = provider.retrieve(declined.reference)
    assert (found.state, found.charge) == (PaymentState.open, None)  # the client may retry
    cardcom_api.pay(paid.reference)
    found = provider.retrieve(paid.reference)
    assert (found.state, found.amount, found.currency) == (PaymentState.paid, D("600.00"), "ils")
    assert found.charge is not None and found.charge.isdigit()
    assert provider.expire_checkout(declined.reference).state == PaymentState.expired
    assert provider.expire_checkout(paid.reference).state == PaymentState.paid
    with pytest.raises(ProviderError):
        provider.retrieve("no-such-page")


def test_a_timeout_then_a_retry_and_a_5xx(cardcom_api, db) -> None:
    provider = get_provider()
    checkout = _checkout(provider)
    cardcom_api.fail("LowProfile/GetLpResult", "timeout")
    assert provider.retrieve(checkout.reference).state == PaymentState.open  # retried once
    assert len(cardcom_api.calls("LowProfile/GetLpResult")) == 2
    cardcom_api.fail("LowProfile/Create", "500")
    assert _checkout(provider).reference in cardcom_api.pages  # a 5xx, then the retry
    cardcom_api.fail("LowProfile/Create", "500", "500")
    with pytest.raises(ProviderError) as caught:
        _checkout(provider)
    assert caught.value.status == 503


def test_a_refund_retried_with_the_same_key_refunds_once(cardcom_api, db) -> None:
    provider = get_provider()
    checkout = _checkout(provider)
    cardcom_api.pay(checkout.reference)
    charge = provider.retrieve(checkout.reference).charge
    first = provider.refund(charge=charge, amount=D("400.00"), idempotency_key="dispute:1")
    again = provider.refund(charge=charge, amount=D("400.00"), idempotency_key="dispute:1")
    assert again == first and first.amount == D("400.00")
    (sent,) = cardcom_api.calls("Transactions/RefundByTransactionId")
    assert (sent["ApiName"], sent["ApiPassword"], sent["TransactionId"], sent["PartialSum"]) == (
        API_NAME, API_PASSWORD, int(charge), D("400"))
    assert cardcom_api.deals[int(charge)].refunded == D("400.00")
    # a refused refund can be tried again; Cardcom never refunds more than was paid
    with pytest.raises(ProviderError):
        provider.refund(charge=charge, amount=D("700.00"), idempotency_key="dispute:2")
    assert provider.refund(charge=charge, amount=D("600.00"),
                           idempotency_key="dispute:2").amount == D("600.00")
    assert cardcom_api.deals[int(charge)].refunded == D("1000.00")


def test_a_refund_whose_answer_was_lost_is_never_sent_again(cardcom_api, db) -> None:
    provider = get_provider()
    checkout = _checkout(provider)
    cardcom_api.pay(checkout.reference)
    charge = provider.retrieve(checkout.reference).charge
    cardcom_api.fail("Transactions/RefundByTransactionId", "lost")
    for _ in range(2):
        with pytest.raises(OutcomeUnknown) as caught:
            provider.refund(charge=charge, amount=D("100.00"), idempotency_key="dispute:9")
        assert caught.value.status == 503
    assert len(cardcom_api.calls("Transactions/RefundByTransactionId")) == 1
    assert cardcom_api.deals[int(charge)].refunded == D("100.00")  # done once at Cardcom


def test_a_saved_card_is_a_token_charged_once_per_key(cardcom_api, db) -> None:
    provider = get_provider()
    setup = provider.create_card_setup(owner_reference="card:biz-1",
                                       success_url="https://ofair.test/ok",
                                       cancel_url="https://ofair.test/back")
    (sent,) = cardcom_api.calls("LowProfile/Create")
    assert (sent["Operation"], sent["Amount"]) == ("CreateTokenOnly", 0)
    assert provider.saved_card(setup.reference) is None  # nothing typed yet
    cardcom_api.pay(setup.reference)
    card = provider.saved_card(setup.reference)
    assert card is not None
    assert (card.last4, card.exp_month, card.exp_year, card.brand) == ("0000", 12, 2030, "Visa")
    cardcom_api.fail("Transactions/Transaction", "lost")  # done, but the answer came too late
    first = provider.charge_card(card=card, amount=D("118.00"), idempotency_key="inv:1")
    again = provider.charge_card(card=card, amount=D("118.00"), idempotency_key="inv:1")
    assert first == again
    calls = cardcom_api.calls("Transactions/Transaction")
    assert [c["ExternalUniqTranId"] for c in calls] == ["inv:1", "inv:1"]
    assert (calls[0]["Token"], calls[0]["CardExpirationMMYY"], calls[0]["Amount"]) == (
        card.token, "1230", D("118"))
    assert len([d for d in cardcom_api.deals.values() if d.amount == D("118.00")]) == 1
    cardcom_api.tokens[card.token]["declines"] = True
    with pytest.raises(CardDeclined):
        provider.charge_card(card=card, amount=D("50.00"), idempotency_key="inv:2")


def test_a_callback_is_only_a_hint(cardcom_api, db) -> None:
    provider = get_provider()
    checkout = _checkout(provider)
    body, redirect = cardcom_api.pay(checkout.reference)
    assert redirect == "https://ofair.test/ok"
    event = provider.read_webhook(body, None)
    assert (event.kind, event.payment.state, event.payment.payment_id) == (
        EventKind.paid, PaymentState.paid, PAYMENT_ID)
    assert event.id == f"cardcom:{checkout.reference}:paid"
    # the body's own claims count for nothing: only the page id is read, then re-queried
    forged = json.dumps({"LowProfileId": "3f1c0e3a-0000-4000-8000-000000000000",
                         "ResponseCode": 0, "ReturnValue": PAYMENT_ID}).encode()
    for bad in (forged, b"", b"[1]", b'{"LowProfileId": "../x"}', b"\xff\xfe"):
        with pytest.raises(BadSignature):
            provider.read_webhook(bad, None)


def test_callbacks_are_refused_without_a_terminal(monkeypatch) -> None:
    sent: list[httpx.Request] = []
    client = httpx.Client(transport=httpx.MockTransport(
        lambda request: sent.append(request) or httpx.Response(500)))
    provider = CardcomProvider(client=client)
    monkeypatch.setattr(provider, "terminal", "change-me")
    with pytest.raises(BadSignature) as refused:
        provider.read_webhook(b'{"LowProfileId": "3f1c0e3a-0000-4000-8000-000000000000"}',
                              None)
    assert "not configured" in refused.value.reason
    assert sent == []  # nobody asked
