"""The 019 SMS adapter against the local stand-in of 019's API (`tests/sms_standin.py`): what it
sends (the bearer token, the account, the registered sender, a local number, the text as it
is), how it reads 019's verdicts (all in an HTTP 200), which failures are worth another try,
and the settings that choose it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ofair_app.adapters.messaging import (
    ConsoleSender,
    DeliveryError,
    OutgoingMessage,
    Router,
    get_sender,
)
from ofair_app.adapters.sms import MAX_MESSAGE_CHARS, Sms019Sender
from ofair_app.settings import Settings
from tests.sms_standin import (
    API_TOKEN,
    BLOCKED_NUMBER,
    OTHER_ACCOUNTS_TOKEN,
    USERNAME,
)
from tests.standin import free_port

HEBREW = "123456 הוא קוד הכניסה שלך ל-OFAIR.\n\n@ofair.co.il #123456"
MESSAGE_ID = "6f1c2a0e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
PRODUCTION: dict[str, Any] = {"ofair_env": "production", "ofair_secret_key": "a-long-random-secret",
              "stripe_webhook_secret": "whsec_live_secret",
              "database_url": "postgresql://ofair_app:pw@db.internal/ofair",
              "messaging_backend": "smtp"}


def a_text(to: str = "+972501234567", body: str = HEBREW, **fields) -> OutgoingMessage:
    return OutgoingMessage(channel="sms", to=to, subject="", body=body, message_id=MESSAGE_ID,
                           **fields)


def sender_for(url: str, **options) -> Sms019Sender:
    settings: dict[str, Any] = {"api_url": url, "username": USERNAME, "api_token": API_TOKEN,
                "sender_id": "OFAIR", "timeout": 0.5} | options
    return Sms019Sender(**settings)


def refused(sender: Sms019Sender, message: OutgoingMessage) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        sender.send(message)
    return caught.value


def test_a_send_is_exactly_the_documented_request_and_returns_our_reference(
        sms019_api) -> None:
    reference = sender_for(sms019_api.url).send(a_text())

    (request,) = sms019_api.requests
    assert request.path == "/api"
    assert request.headers["authorization"] == f"Bearer {API_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {"sms": {
        "user": {"username": USERNAME},
        "source": "OFAIR",
        "destinations": {"phone": [{"$": {"id": MESSAGE_ID}, "_": "0501234567"}]},
        "message": HEBREW,
    }}
    assert API_TOKEN not in request.raw.decode()  # the token travels in the header only
    # The reference is the id 019's delivery reports answer to.
    assert reference == MESSAGE_ID
    assert [(sent.phone, sent.id, sent.source) for sent in sms019_api.sent] == [
        ("0501234567", MESSAGE_ID, "OFAIR")]


def test_hebrew_arrives_intact_as_utf8_not_escaped(sms019_api) -> None:
    text = "שלום דנה 👋 הצעה חדשה ל\"החלפת דוד שמש\" — ₪1,250"
    sender_for(sms019_api.url).send(a_text(body=text))

    (request,) = sms019_api.requests
    assert text.encode("utf-8") in request.raw.replace(b'\\"', b'"')
    assert b"\\u05" not in request.raw
    assert sms019_api.sent[0].message == text


@pytest.mark.parametrize(("number", "status"), [
    ("+97250123", 9),  # E.164 in shape, too short for an Israeli mobile: 019's verdict
    ("+972" + BLOCKED_NUMBER[1:], 8),
])
def test_a_number_019_refuses_is_permanent(sms019_api, number, status) -> None:
    error = refused(sender_for(sms019_api.url), a_text(to=number))

    assert error.permanent is True
    assert f"status {status}" in str(error)
    assert len(sms019_api.requests) == 1 and sms019_api.sent == []


@pytest.mark.parametrize("number", ["0501234567", "+97250-123-4567", "+447700900123", ""])
def test_a_number_no_019_send_could_reach_fails_permanently_without_a_request(
        sms019_api, number) -> None:
    error = refused(sender_for(sms019_api.url), a_text(to=number))

    assert error.permanent is True
    assert sms019_api.requests == []


def test_a_text_longer_than_019_takes_fails_permanently_without_a_request(sms019_api) -> None:
    error = refused(sender_for(sms019_api.url), a_text(body="א" * (MAX_MESSAGE_CHARS + 1)))

    assert error.permanent is True
    assert sms019_api.requests == []


@pytest.mark.parametrize(("options", "status"), [
    ({"api_token": "a-revoked-token"}, 3),
    ({"api_token": OTHER_ACCOUNTS_TOKEN}, 11),
    ({"sender_id": "NOTOURS"}, 515),  # a sender 019 has not registered for us
])
def test_our_own_configuration_refused_is_transient(sms019_api, options, status) -> None:
    error = refused(sender_for(sms019_api.url, **options), a_text())

    assert error.permanent is False  # once an operator fixes it, the queued texts go out
    assert f"status {status}" in str(error)
    assert sms019_api.sent == []


@pytest.mark.parametrize(("fault", "said"), [
    ("429", "HTTP 429"), ("500", "HTTP 500"), ("timeout", "no answer within 0.5s")])
def test_throttling_an_outage_or_no_answer_is_transient(sms019_api, fault, said) -> None:
    sms019_api.fail(fault)

    error = refused(sender_for(sms019_api.url), a_text())

    assert error.permanent is False
    assert said in str(error)


def test_a_closed_port_is_transient() -> None:
    error = refused(sender_for(f"http://127.0.0.1:{free_port()}/api"), a_text())

    assert error.permanent is False
    assert "unreachable" in str(error)


def test_a_wrong_url_is_transient_not_a_verdict_on_the_message(sms019_api) -> None:
    error = refused(sender_for(sms019_api.url.removesuffix("/api") + "/v1/sms"), a_text())

    assert error.permanent is False and "HTTP 404" in str(error)


def test_019_sends_only_sms(sms019_api) -> None:
    email = OutgoingMessage(channel="email", to="dana@example.com", subject="s", body="b",
                            message_id=MESSAGE_ID)

    assert refused(sender_for(sms019_api.url), email).permanent is True
    assert sms019_api.requests == []


def test_the_router_sends_sms_through_019_when_the_settings_say_so(sms019_api) -> None:
    router = get_sender()  # from the environment the fixture set

    assert isinstance(router, Router)
    assert isinstance(router.sms, Sms019Sender) and router.sms.timeout == 0.5
    assert isinstance(router.email, ConsoleSender)
    assert isinstance(router.whatsapp, ConsoleSender)
    assert router.send(a_text()) == MESSAGE_ID
    assert [sent.phone for sent in sms019_api.sent] == ["0501234567"]


def test_console_settings_keep_sms_in_the_console() -> None:
    router = get_sender(Settings(sms_backend="console"))

    assert isinstance(router, Router) and isinstance(router.sms, ConsoleSender)


def test_the_sender_id_is_what_019_allows() -> None:
    for sender_id in ("OFAIR-IL", "OFAIR Israel", "TwelveLetter", "+97250", ""):
        with pytest.raises(ValidationError, match="sms_sender_id"):
            Settings(sms_sender_id=sender_id)
    assert Settings(sms_sender_id="OFAIR2026").sms_sender_id == "OFAIR2026"


def test_production_refuses_019_without_its_credentials() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**PRODUCTION, sms_backend="019sms")
    assert "SMS019_USERNAME" in str(caught.value)
    assert "SMS019_API_TOKEN" in str(caught.value)

    credentials: dict[str, Any] = {"sms019_username": "ofair", "sms019_api_token": "a-real-token"}
    with pytest.raises(ValidationError, match=r"SMS019_API_URL \(https only\)"):
        Settings(**PRODUCTION, sms_backend="019sms", sms019_api_url="http://019sms.co.il/api",
                 **credentials)
    settings = Settings(**PRODUCTION, sms_backend="019sms", **credentials)
    assert settings.sms019_api_url == "https://019sms.co.il/api"
    # The console needs nothing (production keeps such texts waiting in the outbox).
    assert Settings(**PRODUCTION).sms_backend == "console"

