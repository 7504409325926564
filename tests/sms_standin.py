"""A local stand-in for 019 SMS's API (019sms.co.il), written from 019's published description
(docs.019sms.co.il: "SMS API", "Send SMS", "Errors and statuses"), served on a free port by the
tests (uvicorn in a thread).

What it checks, as 019 documents it:
- one URL, `POST /api`; the body's root element names the operation (`sms` sends; anything
  else is status 997);
- `Authorization: Bearer <API token>`, the token issued to `user.username` (a wrong token is
  status 3, a token of another account status 11);
- a JSON body with `Content-Type: application/json` (a body it cannot read is status 1);
- `source`, `destinations` and `message` are required (status 2 names the missing one);
- `source` is a registered sender, at most 11 English letters and digits (else status 515);
- every `destinations.phone` is a local number, `5xxxxxxxx` or `05xxxxxxxx`, written bare or
  as `{"$": {"id": …}, "_": number}` (else status 9, "too short or too long");
- a number on the blocked list is status 8;
- every verdict comes in an HTTP 200: `{"status": 0, "message": "SMS will be sent"}` or
  `{"status": N, "message": …}`.

Faults to order: `fail("500")` answers HTTP 500 once, `"429"` HTTP 429, `"timeout"` answers
after the client gave up (the message was sent: an answer lost on the way).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from tests.standin import configured, free_port, served

USERNAME = "ofair-test"
API_TOKEN = "test-019-api-token"  # the stand-in's own
OTHER_ACCOUNTS_TOKEN = "another-accounts-token"
REGISTERED_SENDERS = frozenset({"OFAIR"})
BLOCKED_NUMBER = "0509999999"
SLOW_SECONDS = 1.5  # longer than the client's timeout in the tests
_LOCAL = re.compile(r"0?5\d{8}")
_SENDER = re.compile(r"[A-Za-z0-9]{1,11}")


@dataclass
class Request019:
    """One request as the stand-in read it."""

    path: str
    headers: dict[str, str]
    raw: bytes
    body: dict | None


@dataclass
class Sent:
    """One message 019 accepted, per destination."""

    phone: str
    id: str | None
    source: str
    message: str


@dataclass
class Fake019:
    requests: list[Request019] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    url: str = ""

    def fail(self, *kinds: str) -> None:
        self.faults.extend(kinds)

    def send(self, headers: dict[str, str], body: object) -> dict:
        token = headers.get("authorization", "")
        if token not in (f"Bearer {API_TOKEN}", f"Bearer {OTHER_ACCOUNTS_TOKEN}"):
            return _status(3, "Username or password is incorrect and API token is invalid")
        if not isinstance(body, dict) or len(body) != 1:
            return _status(1, "There was a problem parsing your XML")
        if "sms" not in body:
            return _status(997, "Not a valid command sent")
        sms = body["sms"]
        if not isinstance(sms, dict):
            return _status(1, "There was a problem parsing your XML")
        user = sms.get("user")
        username = user.get("username") if isinstance(user, dict) else None
        if not username:
            return _status(2, "Missing user.username")
        if username != USERNAME or token != f"Bearer {API_TOKEN}":
            return _status(11, "API token is valid but doesn't match username or if you have "
                               "newer token you should use it instead")
        for name in ("source", "destinations", "message"):
            if sms.get(name) in (None, "", {}):
                return _status(2, f"Missing {name}")
        source = sms["source"]
        if not isinstance(source, str) or not _SENDER.fullmatch(source) \
                or source not in REGISTERED_SENDERS:
            return _status(515, "Unverified source For more information see : "
                                "D4U.co.il/li/pmYra")
        phones = _destinations(sms["destinations"])
        if phones is None or not all(_LOCAL.fullmatch(phone) for phone, _ in phones):
            return _status(9, "At least one of the destinations is too short or too long")
        if all(phone.removeprefix("0") == BLOCKED_NUMBER[1:] for phone, _ in phones):
            return _status(8, "All numbers are on a blocked list")
        for phone, external_id in phones:
            self.sent.append(Sent(phone=phone, id=external_id, source=source,
                                  message=str(sms["message"])))
        return _status(0, "SMS will be sent")

    def app(self) -> Starlette:
        async def endpoint(request: Request) -> JSONResponse | PlainTextResponse:
            raw = await request.body()
            headers = {name.lower(): value for name, value in request.headers.items()}
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = None
            self.requests.append(Request019(path=request.url.path, headers=headers, raw=raw,
                                            body=body))
            fault = self.faults.pop(0) if self.faults else None
            if fault == "500":
                return PlainTextResponse("Internal Server Error", status_code=500)
            if fault == "429":
                return PlainTextResponse("Too Many Requests", status_code=429)
            content_type = headers.get("content-type", "").split(";")[0].strip()
            if content_type != "application/json" or body is None:
                answer = _status(1, "There was a problem parsing your XML")
            else:
                answer = self.send(headers, body)
            if fault == "timeout":
                await asyncio.sleep(SLOW_SECONDS)
            return JSONResponse(answer)

        return Starlette(routes=[Route("/api", endpoint, methods=["POST"])])


def _status(status: int, message: str) -> dict:
    return {"status": status, "message": message}


def _destinations(value: object) -> list[tuple[str, str | None]] | None:
    """`destinations.phone` as (number, id) pairs: one or many, bare or with an `id`."""
    if not isinstance(value, dict) or "phone" not in value:
        return None
    items = value["phone"] if isinstance(value["phone"], list) else [value["phone"]]
    phones: list[tuple[str, str | None]] = []
    for item in items:
        if isinstance(item, str):
            phones.append((item, None))
        elif isinstance(item, dict) and isinstance(item.get("_"), str):
            attributes = item.get("$")
            external_id = attributes.get("id") if isinstance(attributes, dict) else None
            phones.append((item["_"], external_id))
        else:
            return None
    return phones or None


@contextmanager
def serve(fake: Fake019) -> Iterator[str]:
    """Serve `fake` on a free port: yields its API URL (`http://127.0.0.1:N/api`)."""
    with served(fake.app(), port=free_port(), name="sms019-standin") as base:
        yield f"{base}/api"


@pytest.fixture
def sms019_api(monkeypatch) -> Iterator[Fake019]:
    """SMS_BACKEND=019sms, pointed at a stand-in on a free port (a 0.5 s client timeout)."""
    fake = Fake019()
    with serve(fake) as url, configured(monkeypatch, {
            "SMS_BACKEND": "019sms", "SMS019_API_URL": url, "SMS019_USERNAME": USERNAME,
            "SMS019_API_TOKEN": API_TOKEN, "SMS_SENDER_ID": "OFAIR",
            "SMS_TIMEOUT_SECONDS": "0.5"}):
        fake.url = url
        yield fake
