"""WhatsApp through Meta's WhatsApp Cloud API, with approved templates, by `httpx`.

A business may start a WhatsApp conversation only with a template Meta approved, so a message
here is a template's name and values, never our own text: `POST {base}/{version}/{phone number
id}/messages` with `Authorization: Bearer {token}` and

    {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "9725…",
     "type": "template",
     "template": {"name": "ofair_<template>", "language": {"code": "he"},
                  "components": [{"type": "body", "parameters": [
                      {"type": "text", "parameter_name": "lead_title", "text": "…"}]}]}}

Our templates are created at Meta with named parameters (`parameter_format: NAMED`) under the
name `ofair_<our template's name>`, in Hebrew (`he`) and English (`en`). Meta answers
`{"messages": [{"id": "wamid…"}]}`, or a Graph API error `{"error": {"code", "message",
"error_subcode", "error_data": {"details"}, "fbtrace_id"}}`; the `code` says whether trying
again can help (developers.facebook.com: WhatsApp Business Platform, "WhatsApp error codes").
Acceptance is not delivery: a message Meta later fails to deliver comes back by webhook.
The Cloud API takes no idempotency key: a send whose answer never came (a timeout) is retried
by the outbox and may reach the phone twice.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from ofair_app.adapters.messaging import (
    DeliveryError,
    OutgoingMessage,
    post_json,
    validate_address,
)

logger = logging.getLogger(__name__)

TEMPLATE_PREFIX = "ofair_"

# Meta's error codes that say this message can never go out as it is.
_PERMANENT_CODES = {
    100,     # invalid parameter (but subcode 33, below, is our phone number id)
    131008,  # a required parameter is missing
    131009,  # a parameter value is not valid
    131021,  # the recipient is our own number
    131026,  # undeliverable: not a WhatsApp number, old client, terms not accepted
    131030,  # the recipient is not on the test number's allowed list
    131047,  # outside the customer service window (a template is the way in)
    131051,  # unsupported message type
    132000,  # the number of parameters does not match the template
    132001,  # no such template (in that language)
    132005,  # the text with its values is too long
    132007,  # the template's content breaks WhatsApp's policy
    132012,  # the parameters' format does not match the template's (named or positional)
    132016,  # the template was disabled for its quality
    135000,  # a generic user error
}
# Codes about our token, our account or Meta itself: an operator (or time) fixes them.
_TRANSIENT_CODES = {
    0, 3, 10, 190,                                  # authentication, permissions, expiry
    4, 80007, 130429, 131048, 131056, 133016,       # rate limits (app, account, pair, spam)
    1, 2, 131000, 131016, 131057, 133004,           # Meta's side: unknown, down, maintenance
    368, 131031, 131042, 133010,                    # the business account's state
    132015,                                         # a paused template resumes in hours
}
_OBJECT_MISSING = 33  # code 100 with this subcode: the phone number id is not ours / unknown
_TRANSIENT_HTTP = {401, 403, 408, 429}


class WhatsAppCloudSender:
    """One template message per call through the WhatsApp Cloud API."""

    name = "whatsapp-cloud"

    def __init__(self, *, api_url: str, api_version: str, phone_number_id: str, token: str,
                 timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.url = f"{api_url.rstrip('/')}/{api_version}/{phone_number_id}/messages"
        self.token = token
        self.timeout = timeout
        self.client = client

    def send(self, message: OutgoingMessage) -> str | None:
        if message.channel != "whatsapp":
            raise DeliveryError(f"WhatsApp cannot deliver {message.channel}", permanent=True)
        to = validate_address(message)
        if not message.template:
            raise DeliveryError("WhatsApp starts a conversation only with an approved "
                                "template: this message names none", permanent=True)
        template: dict[str, Any] = {"name": TEMPLATE_PREFIX + message.template,
                                    "language": {"code": message.locale}}
        if message.params:
            template["components"] = [{"type": "body", "parameters": [
                {"type": "text", "parameter_name": name, "text": _one_line(value)}
                for name, value in message.params.items()]}]
        body = {"messaging_product": "whatsapp", "recipient_type": "individual",
                "to": to.removeprefix("+"), "type": "template", "template": template}
        response = self._post(body)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code == 200 and isinstance(answer, dict):
            messages = answer.get("messages")
            if isinstance(messages, list) and messages and isinstance(messages[0], dict) \
                    and messages[0].get("id"):
                return str(messages[0]["id"])
        error = _classify(response.status_code, answer, response.text)
        logger.warning("WhatsApp %s refused: %s", message.message_id, error)
        raise error

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        return post_json(self.client, self.timeout, self.url, body, self.token, "WhatsApp")


def _one_line(value: str) -> str:
    """A parameter's text as Meta takes it: no line breaks or tabs, never more than four
    spaces in a row (Meta refuses such a value, and the whole message with it)."""
    return " ".join(value.split())


def _classify(status: int, answer: object, text: str) -> DeliveryError:
    """Permanent when Meta's code says this message cannot be sent; transient when it is about
    our credentials, a rate limit or Meta; an unknown code is judged by the HTTP status."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        permanent = 400 <= status < 500 and status not in _TRANSIENT_HTTP
        return DeliveryError(f"WhatsApp answered HTTP {status}: {text[:200]}",
                             permanent=permanent and status != 200)
    code = error.get("code")
    subcode = error.get("error_subcode")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    described = (f"WhatsApp error {code}"
                 + (f"/{subcode}" if subcode is not None else "")
                 + f" (HTTP {status}): {error.get('message', '')}"
                 + (f" — {details}" if details else "")
                 + (f" [fbtrace_id {error['fbtrace_id']}]" if error.get("fbtrace_id") else ""))
    if code == 100 and subcode == _OBJECT_MISSING:
        permanent = False
    elif code in _PERMANENT_CODES:
        permanent = True
    elif code in _TRANSIENT_CODES or (isinstance(code, int) and 200 <= code <= 299):
        permanent = False
    else:
        permanent = 400 <= status < 500 and status not in _TRANSIENT_HTTP
    return DeliveryError(described[:1000], permanent=permanent)
