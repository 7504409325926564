"""SMS through 019 SMS (019sms.co.il), an Israeli provider, by its JSON API and `httpx`.

What 019 documents (docs.019sms.co.il: "SMS API", "Send SMS", "Errors and statuses"):
- one URL for every operation, `POST https://019sms.co.il/api`; the body's root element names
  the operation, `{"sms": {...}}` sends;
- the API token as `Authorization: Bearer …`, the account's name as `user.username`;
- `source` is what the phone shows as the sender: at most 11 English letters and digits, no
  `+`, registered with 019 beforehand (an unregistered one is status 515);
- `destinations.phone` takes local numbers (`05xxxxxxxx`), not E.164; each may carry an `id`
  of ours (JSON writes the XML attribute as `{"$": {"id": …}, "_": number}`), the key its
  delivery report is looked up by;
- `message` is at most 1005 characters;
- the answer is HTTP 200 whatever happened: `status` 0 means accepted ("SMS will be sent"),
  any other value is a refusal with a `message`.

019's answer to a send names no message id of its own: the reference we keep is the `id` we
gave the destination (the outbox message's id), which is what its delivery reports answer to.
019 takes no idempotency key either: a send whose answer never came (a timeout) is retried
by the outbox, and may then reach the phone twice.
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

MAX_MESSAGE_CHARS = 1005
_ISRAEL = "+972"

# Request statuses that say this message can never go out as it is. Every other refusal is
# about our account (token, credit, sending hours, an unregistered sender: 3, 4, 5, 10, 11,
# 12, 515 …) or about 019 itself (6), and passes once that is fixed, so it is retried.
_PERMANENT_STATUSES = {
    1: "the request could not be parsed",
    2: "a required field is missing",
    7: "the request's format is refused",
    8: "the number is on a blocked list",
    9: "the number is too short or too long",
    997: "not a valid command",
}
# HTTP answers about 019's door rather than this message (019 gives its own verdicts in a 200):
# our token at a proxy, a wrong URL, throttling, a timeout at the gateway, 019 being down.
_TRANSIENT_HTTP = {401, 403, 404, 408, 429}


class Sms019Sender:
    """One text message per call through 019 SMS, to an Israeli number."""

    name = "019sms"

    def __init__(self, *, api_url: str, username: str, api_token: str, sender_id: str,
                 timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.api_url = api_url
        self.username = username
        self.api_token = api_token
        self.sender_id = sender_id
        self.timeout = timeout
        self.client = client

    def send(self, message: OutgoingMessage) -> str | None:
        if message.channel != "sms":
            raise DeliveryError(f"019 SMS cannot deliver {message.channel}", permanent=True)
        phone = local_number(validate_address(message))
        if len(message.body) > MAX_MESSAGE_CHARS:
            raise DeliveryError(f"SMS longer than {MAX_MESSAGE_CHARS} characters "
                                f"({len(message.body)})", permanent=True)
        reference = message.message_id
        body = {"sms": {
            "user": {"username": self.username},
            "source": self.sender_id,
            "destinations": {"phone": [{"$": {"id": reference}, "_": phone}]},
            "message": message.body,
        }}
        answer = self._post(body)
        status = answer.get("status")
        if status == 0 or status == "0":
            return reference
        text = answer.get("message", "")
        try:
            code = int(status)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise DeliveryError(f"019 SMS: an answer without a status: {answer!r}"[:500],
                                permanent=False) from None
        reason = _PERMANENT_STATUSES.get(code)
        detail = f"019 SMS status {code}: {text}" + (f" ({reason})" if reason else "")
        logger.warning("SMS %s refused: %s", message.message_id, detail)
        raise DeliveryError(detail, permanent=reason is not None)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        """019's answer as a dict; a failure to get one is transient (`DeliveryError`)."""
        response = post_json(self.client, self.timeout, self.api_url, body, self.api_token,
                             "019 SMS")
        if response.status_code != 200:
            status = response.status_code
            transient = status in _TRANSIENT_HTTP or status >= 500 or status < 400
            raise DeliveryError(f"019 SMS answered HTTP {status}: {response.text[:200]}",
                                permanent=not transient)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            # Accepted or not, nobody can tell: trying again is the lesser harm.
            raise DeliveryError(f"019 SMS: an answer that is not JSON: {response.text[:200]}",
                                permanent=False)
        return answer


def local_number(e164: str) -> str:
    """An Israeli number as 019 takes it (`+972501234567` → `0501234567`); 019 sends to
    Israeli numbers only, so any other country can never succeed here."""
    if not e164.startswith(_ISRAEL):
        raise DeliveryError(f"019 SMS delivers to Israeli numbers only: {e164!r}",
                            permanent=True)
    return "0" + e164[len(_ISRAEL):]
