"""A local stand-in for Meta's WhatsApp Cloud API (`/messages` with template messages), written
from Meta's published description (developers.facebook.com, WhatsApp Business Platform: sending
template messages, template parameter formats, "WhatsApp error codes"), served on a free port
by the tests (uvicorn in a thread).

What it checks, as Meta documents it:
- `POST /{version}/{phone number id}/messages`, `Authorization: Bearer <token>` (another token
  is HTTP 401, `OAuthException` code 190: the token expired); a phone number id of nobody's is
  HTTP 400, code 100 with subcode 33 ("object does not exist");
- a JSON body: `messaging_product` "whatsapp", `recipient_type` "individual", `to` the number
  in international form, digits only, `type` "template" (else code 100, invalid parameter);
- `template.name` and `template.language.code` name an approved template in that language
  (else HTTP 404, code 132001 "Template name does not exist in the translation");
- a template created with named parameters takes a `body` component whose `parameters` are
  `{"type": "text", "parameter_name": …, "text": …}`, exactly its own names (code 132000 when
  they differ, 132012 when they are positional); a value with a line break, a tab or more
  than four spaces in a row is code 100;
- a number that is not on WhatsApp is code 131026, "Message undeliverable";
- success is HTTP 200 `{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
  "messages": [{"id": "wamid…", "message_status": "accepted"}]}`; errors are Graph API errors
  `{"error": {"message", "type", "code", "error_subcode"?, "error_data": {"messaging_product",
  "details"}, "fbtrace_id"}}`.

Faults to order: `fail("rate")` answers code 130429 (throughput reached, HTTP 429) once,
`"pair"` code 131056 (too many messages to one number, HTTP 400), `"500"` code 131000 (HTTP
500), `"timeout"` answers after the client gave up (the message was sent: an answer lost).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standin import configured, free_port, served

TOKEN = "EAAtest-whatsapp-token"  # the stand-in's own
PHONE_NUMBER_ID = "106540352242922"
API_VERSION = "v23.0"
NOT_ON_WHATSAPP = "972509999999"
# Approved templates: (name, language) → their named body parameters (as submitted to Meta
# from our own SMS texts and their parameters).
APPROVED = {
    ("ofair_proposal_received", "he"): ("lead_title", "business_name", "price", "lead_url"),
    ("ofair_proposal_received", "en"): ("lead_title", "business_name", "price", "lead_url"),
    ("ofair_job_paid", "he"): ("amount",),
    ("ofair_welcome", "he"): (),
}
SLOW_SECONDS = 1.5  # longer than the client's timeout in the tests
_NUMBER = re.compile(r"[1-9]\d{6,14}")
_CROWDED = re.compile(r"[\n\t]| {5,}")


@dataclass
class CloudRequest:
    """One request as the stand-in read it."""

    path: str
    headers: dict[str, str]
    raw: bytes
    body: dict | None


@dataclass
class Delivered:
    """One template message Meta accepted."""

    id: str
    to: str
    template: str
    language: str
    values: dict[str, str]


class GraphError(Exception):
    def __init__(self, status: int, code: int, message: str, *, details: str = "",
                 subcode: int | None = None, kind: str = "OAuthException") -> None:
        super().__init__(message)
        self.status, self.code, self.subcode = status, code, subcode
        self.details, self.kind = details, kind

    def answer(self) -> JSONResponse:
        error: dict = {"message": f"(#{self.code}) {self}" if self.code != 190 else str(self),
                       "type": self.kind, "code": self.code,
                       "fbtrace_id": "AbCdEfGhIjKlMnOp"}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        return JSONResponse({"error": error}, status_code=self.status)


@dataclass
class FakeCloudApi:
    requests: list[CloudRequest] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    base_url: str = ""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail(self, *kinds: str) -> None:
        self.faults.extend(kinds)

    def message(self, phone_number_id: str, headers: dict[str, str], body: object) -> dict:
        if headers.get("authorization") != f"Bearer {TOKEN}":
            raise GraphError(401, 190, "Error validating access token: Session has expired.",
                             subcode=463)
        if phone_number_id != PHONE_NUMBER_ID:
            raise GraphError(400, 100, f"Unsupported post request. Object with ID "
                             f"'{phone_number_id}' does not exist, cannot be loaded due to "
                             f"missing permissions, or does not support this operation.",
                             subcode=33, kind="GraphMethodException")
        if not isinstance(body, dict):
            raise GraphError(400, 100, "Invalid parameter", details="The body is not JSON")
        if body.get("messaging_product") != "whatsapp":
            raise GraphError(400, 100, "The parameter messaging_product is required.")
        if body.get("recipient_type", "individual") != "individual":
            raise GraphError(400, 100, "Invalid parameter",
                             details="recipient_type must be individual")
        to = body.get("to")
        if not isinstance(to, str) or not _NUMBER.fullmatch(to):
            raise GraphError(400, 100, "Invalid parameter",
                             details="to: a phone number with its country code, digits only")
        if body.get("type") != "template" or not isinstance(body.get("template"), dict):
            raise GraphError(400, 100, "Invalid parameter",
                             details="type template needs a template object")
        template = body["template"]
        language = template.get("language")
        code = language.get("code") if isinstance(language, dict) else None
        name = template.get("name")
        if not isinstance(name, str) or not isinstance(code, str) \
                or (name, code) not in APPROVED:
            raise GraphError(404, 132001, "Template name does not exist in the translation",
                             details=f"template name ({name}) does not exist in {code}")
        values = self._values(template, APPROVED[(name, code)])
        if to == NOT_ON_WHATSAPP:
            raise GraphError(400, 131026, "Message undeliverable",
                             details="Message Undeliverable.")
        wamid = f"wamid.HBgMOTcy{next(self._ids):08d}"
        self.delivered.append(Delivered(id=wamid, to=to, template=name, language=code,
                                        values=values))
        return {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid, "message_status": "accepted"}]}

    @staticmethod
    def _values(template: dict, names: tuple[str, ...]) -> dict[str, str]:
        components = template.get("components", [])
        if not isinstance(components, list):
            raise GraphError(400, 100, "Invalid parameter", details="components: an array")
        parameters: list = []
        for component in components:
            if not isinstance(component, dict) or component.get("type") != "body":
                raise GraphError(400, 100, "Invalid parameter",
                                 details="this template has a body component only")
            parameters.extend(component.get("parameters", []))
        values: dict[str, str] = {}
        for parameter in parameters:
            if not isinstance(parameter, dict) or parameter.get("type") != "text" \
                    or not isinstance(parameter.get("text"), str):
                raise GraphError(400, 100, "Invalid parameter",
                                 details="a body parameter is {type: text, text}")
            if "parameter_name" not in parameter:
                raise GraphError(400, 132012, "Parameter format does not match format in "
                                 "the created template", details="expected named parameters")
            if _CROWDED.search(parameter["text"]):
                raise GraphError(400, 100, "Invalid parameter", details=(
                    "Param text cannot have new-line/tab characters or more than 4 "
                    "consecutive spaces"))
            values[parameter["parameter_name"]] = parameter["text"]
        if sorted(values) != sorted(names) or len(values) != len(parameters):
            raise GraphError(400, 132000, "Number of parameters does not match the expected "
                             "number of params", details=(
                                 f"body: number of localizable_params ({len(parameters)}) "
                                 f"does not match the expected number of params "
                                 f"({len(names)})"))
        return values

    def app(self) -> Starlette:
        async def endpoint(request: Request) -> JSONResponse:
            raw = await request.body()
            headers = {name.lower(): value for name, value in request.headers.items()}
            content_type = headers.get("content-type", "").split(";")[0].strip()
            try:
                body = json.loads(raw.decode("utf-8")) if content_type == "application/json" \
                    else None
            except ValueError:
                body = None
            self.requests.append(CloudRequest(path=request.url.path, headers=headers,
                                              raw=raw, body=body))
            fault = self.faults.pop(0) if self.faults else None
            if fault == "rate":
                return GraphError(429, 130429, "Rate limit hit", details=(
                    "Cloud API message throughput has been reached.")).answer()
            if fault == "pair":
                return GraphError(400, 131056, "(Business Account, Consumer Account) pair "
                                  "rate limit hit").answer()
            if fault == "500":
                return GraphError(500, 131000, "Something went wrong").answer()
            try:
                answer = self.message(request.path_params["phone_number_id"], headers, body)
            except GraphError as error:
                return error.answer()
            if fault == "timeout":
                await asyncio.sleep(SLOW_SECONDS)
            return JSONResponse(answer)

        return Starlette(routes=[Route(r"/{version:str}/{phone_number_id:str}/messages",
                                       endpoint, methods=["POST"])])


@contextmanager
def serve(fake: FakeCloudApi) -> Iterator[str]:
    """Serve `fake` on a free port: yields its base URL (`http://127.0.0.1:N`)."""
    with served(fake.app(), port=free_port(), name="whatsapp-standin") as base:
        fake.base_url = base
        yield base


@pytest.fixture
def whatsapp_api(monkeypatch) -> Iterator[FakeCloudApi]:
    """WHATSAPP_BACKEND=cloud, pointed at a stand-in on a free port (a 0.5 s client timeout)."""
    fake = FakeCloudApi()
    with serve(fake) as base, configured(monkeypatch, {
            "WHATSAPP_BACKEND": "cloud", "WHATSAPP_API_URL": base,
            "WHATSAPP_API_VERSION": API_VERSION, "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_TOKEN": TOKEN, "WHATSAPP_TIMEOUT_SECONDS": "0.5"}):
        yield fake
