"""The WhatsApp Cloud API adapter against the local stand-in of Meta's API
(`tests/whatsapp_standin.py`): the template message it sends (URL, bearer token, named
parameters, `ofair_` names, the language), how it reads Meta's answers and error codes, which
failures are worth another try, the settings that choose it, and the message that carries a
template's values."""

from __future__ import annotations

import logging
import pickle
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
from ofair_app.adapters.whatsapp import WhatsAppCloudSender
from ofair_app.settings import Settings
from tests.standin import free_port
from tests.whatsapp_standin import (
    API_VERSION,
    NOT_ON_WHATSAPP,
    PHONE_NUMBER_ID,
    TOKEN,
)

MESSAGE_ID = "0d9a6c1e-7b2f-4c3d-9e8f-1a2b3c4d5e6f"
PROPOSAL = {"lead_title": "החלפת דוד שמש בחיפה", "business_name": "יוסי אינסטלציה",
            "price": "₪1,200", "lead_url": "https://ofair.co.il/leads/42"}
PRODUCTION: dict[str, Any] = {"ofair_env": "production", "ofair_secret_key": "a-long-random-secret",
              "stripe_webhook_secret": "whsec_live_secret",
              "database_url": "postgresql://ofair_app:pw@db.internal/ofair",
              "messaging_backend": "smtp"}


def a_notice(to: str = "+972501234567", template: str = "proposal_received",
             params: dict[str, str] | None = None, **fields) -> OutgoingMessage:
    return OutgoingMessage(channel="whatsapp", to=to, subject="", body="(the SMS text)",
                           message_id=MESSAGE_ID, template=template,
                           params=PROPOSAL if params is None else params, **fields)


def sender_for(base: str, **options) -> WhatsAppCloudSender:
    settings: dict[str, Any] = {"api_url": base, "api_version": API_VERSION,
                "phone_number_id": PHONE_NUMBER_ID, "token": TOKEN, "timeout": 0.5} | options
    return WhatsAppCloudSender(**settings)


def refused(sender: WhatsAppCloudSender, message: OutgoingMessage) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        sender.send(message)
    return caught.value


def test_a_template_message_is_exactly_the_documented_request(whatsapp_api) -> None:
    reference = sender_for(whatsapp_api.base_url).send(a_notice())

    (request,) = whatsapp_api.requests
    assert request.path == f"/{API_VERSION}/{PHONE_NUMBER_ID}/messages"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "messaging_product": "whatsapp", "recipient_type": "individual",
        "to": "972501234567", "type": "template",
        "template": {"name": "ofair_proposal_received", "language": {"code": "he"},
                     "components": [{"type": "body", "parameters": [
                         {"type": "text", "parameter_name": "lead_title",
                          "text": PROPOSAL["lead_title"]},
                         {"type": "text", "parameter_name": "business_name",
                          "text": PROPOSAL["business_name"]},
                         {"type": "text", "parameter_name": "price",
                          "text": PROPOSAL["price"]},
                         {"type": "text", "parameter_name": "lead_url",
                          "text": PROPOSAL["lead_url"]}]}]},
    }
    (delivered,) = whatsapp_api.delivered
    assert reference == delivered.id and delivered.id.startswith("wamid.")


def test_hebrew_values_arrive_intact_and_english_readers_get_the_english_template(
        whatsapp_api) -> None:
    sender = sender_for(whatsapp_api.base_url)
    sender.send(a_notice())
    sender.send(a_notice(locale="en", params=PROPOSAL | {"business_name": "Yossi Plumbing"}))

    hebrew, english = whatsapp_api.delivered
    assert (hebrew.language, hebrew.values) == ("he", PROPOSAL)
    assert PROPOSAL["lead_title"].encode("utf-8") in whatsapp_api.requests[0].raw
    assert b"\\u05" not in whatsapp_api.requests[0].raw
    assert (english.language, english.values["business_name"]) == ("en", "Yossi Plumbing")


def test_a_value_meta_would_refuse_for_its_line_breaks_is_sent_on_one_line(
        whatsapp_api) -> None:
    title = "דוד שמש\nדחוף!\t(קומה 3)     בבקשה"
    sender_for(whatsapp_api.base_url).send(a_notice(params=PROPOSAL | {"lead_title": title}))

    assert whatsapp_api.delivered[0].values["lead_title"] == "דוד שמש דחוף! (קומה 3) בבקשה"


def test_a_template_without_values_sends_no_components(whatsapp_api) -> None:
    sender_for(whatsapp_api.base_url).send(a_notice(template="welcome", params={}))

    assert "components" not in whatsapp_api.requests[0].body["template"]
    assert whatsapp_api.delivered[0].template == "ofair_welcome"


@pytest.mark.parametrize(("message", "code"), [
    (a_notice(template="no_such_template"), 132001),
    (a_notice(template="job_paid", locale="en", params={"amount": "₪100"}), 132001),
    (a_notice(params={"lead_title": "דוד"}), 132000),  # the other values are missing
    (a_notice(params=PROPOSAL | {"extra": "x"}), 132000),
    (a_notice(to="+" + NOT_ON_WHATSAPP), 131026),
])
def test_what_meta_says_can_never_be_sent_is_permanent(whatsapp_api, message, code) -> None:
    error = refused(sender_for(whatsapp_api.base_url), message)

    assert error.permanent is True
    assert f"WhatsApp error {code}" in str(error)
    assert "fbtrace_id" in str(error)  # what Meta's support asks for
    assert whatsapp_api.delivered == []


def test_a_message_without_a_template_fails_permanently_without_a_request(
        whatsapp_api) -> None:
    error = refused(sender_for(whatsapp_api.base_url), a_notice(template=""))

    assert error.permanent is True and "template" in str(error)
    assert whatsapp_api.requests == []


@pytest.mark.parametrize("number", ["0501234567", "+97250-123-4567", ""])
def test_a_malformed_number_fails_permanently_without_a_request(whatsapp_api, number) -> None:
    assert refused(sender_for(whatsapp_api.base_url), a_notice(to=number)).permanent is True
    assert whatsapp_api.requests == []


@pytest.mark.parametrize(("options", "said"), [
    ({"token": "EAAexpired"}, "WhatsApp error 190/463 (HTTP 401)"),
    ({"phone_number_id": "999999999999999"}, "WhatsApp error 100/33 (HTTP 400)"),
])
def test_our_token_or_number_id_refused_is_transient(whatsapp_api, options, said) -> None:
    error = refused(sender_for(whatsapp_api.base_url, **options), a_notice())

    assert error.permanent is False  # a new token or the right id, and the queue goes out
    assert said in str(error)
    assert whatsapp_api.delivered == []


@pytest.mark.parametrize(("fault", "said"), [
    ("rate", "WhatsApp error 130429 (HTTP 429)"),
    ("pair", "WhatsApp error 131056 (HTTP 400)"),  # a 400 that is only a rate limit
    ("500", "WhatsApp error 131000 (HTTP 500)"),
    ("timeout", "no answer within 0.5s"),
])
def test_rate_limits_an_outage_or_no_answer_are_transient(whatsapp_api, fault, said) -> None:
    whatsapp_api.fail(fault)

    error = refused(sender_for(whatsapp_api.base_url), a_notice())

    assert error.permanent is False
    assert said in str(error)


def test_a_closed_port_is_transient() -> None:
    error = refused(sender_for(f"http://127.0.0.1:{free_port()}"), a_notice())

    assert error.permanent is False and "unreachable" in str(error)


def test_whatsapp_sends_only_whatsapp(whatsapp_api) -> None:
    sms = OutgoingMessage(channel="sms", to="+972501234567", subject="", body="b",
                          message_id=MESSAGE_ID, template="proposal_received", params=PROPOSAL)

    assert refused(sender_for(whatsapp_api.base_url), sms).permanent is True
    assert whatsapp_api.requests == []


def test_the_router_sends_whatsapp_through_the_cloud_api_when_the_settings_say_so(
        whatsapp_api) -> None:
    router = get_sender()  # from the environment the fixture set

    assert isinstance(router, Router)
    assert isinstance(router.whatsapp, WhatsAppCloudSender)
    assert router.whatsapp.url == (
        f"{whatsapp_api.base_url}/{API_VERSION}/{PHONE_NUMBER_ID}/messages")
    assert isinstance(router.sms, ConsoleSender) and isinstance(router.email, ConsoleSender)
    assert router.send(a_notice()) == whatsapp_api.delivered[0].id


def test_the_console_shows_a_whatsapp_template_and_its_values(caplog) -> None:
    router = get_sender(Settings(whatsapp_backend="console"))
    assert isinstance(router, Router) and isinstance(router.whatsapp, ConsoleSender)

    with caplog.at_level(logging.INFO, logger="ofair.messages"):
        assert router.send(a_notice()) == "console"

    (record,) = [r for r in caplog.records if r.name == "ofair.messages"]
    text = record.getMessage()
    assert text.startswith("WHATSAPP to +972501234567")
    assert "Template: proposal_received (he)" in text
    assert f"lead_title={PROPOSAL['lead_title']}" in text


def test_production_refuses_the_cloud_api_without_its_credentials() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**PRODUCTION, whatsapp_backend="cloud")
    assert "WHATSAPP_TOKEN" in str(caught.value)
    assert "WHATSAPP_PHONE_NUMBER_ID" in str(caught.value)

    credentials: dict[str, Any] = {"whatsapp_token": "EAAlive",
                                   "whatsapp_phone_number_id": PHONE_NUMBER_ID}
    with pytest.raises(ValidationError, match=r"WHATSAPP_API_URL \(https only\)"):
        Settings(**PRODUCTION, whatsapp_backend="cloud",
                 whatsapp_api_url="http://graph.facebook.com", **credentials)
    settings = Settings(**PRODUCTION, whatsapp_backend="cloud", **credentials)
    assert settings.whatsapp_api_url == "https://graph.facebook.com"
    with pytest.raises(ValidationError, match="whatsapp_api_version"):
        Settings(whatsapp_api_version="23")


def test_a_message_with_template_values_stays_hashable_comparable_and_picklable() -> None:
    values = {"lead_title": "דוד"}
    message = a_notice(params=values)
    values["lead_title"] = "changed after the message was built"

    assert message.params == {"lead_title": "דוד"}
    assert pickle.loads(pickle.dumps(message)) == message
    assert hash(message) == hash(a_notice(params={"lead_title": "דוד"}))
    assert message != a_notice(params={"lead_title": "אחר"})
    plain = OutgoingMessage(channel="sms", to="+972501234567", subject="", body="b",
                            message_id="m1")  # every existing caller, unchanged
    assert (plain.template, plain.locale, plain.params) == ("", "he", {})
    assert {plain, plain} == {plain}
