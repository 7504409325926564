"""A local stand-in for the Tax Authority's token endpoint and invoices approval API, written from
the public descriptions the adapter follows (`ofair_app/adapters/invoices/ita.py` names them and
what was assumed), served on a free port by the tests.

What it checks, and answers 4xx for:
- the token endpoint takes a form POST with `grant_type=client_credentials` and this client's
  id and secret (in the form, or as HTTP Basic), and answers `access_token`, `token_type`,
  `expires_in`;
- the approval is a JSON POST carrying a bearer token it issued and that is still live (401
  otherwise), with every required field present and well-formed: a document type the Authority
  numbers, dealer numbers as integers with a valid check digit, dates as `YYYY-MM-DD`, amounts
  as JSON numbers (never strings) with at most two decimals, and totals that add up
  (before discount - discount = before VAT; before VAT + VAT = total).

It answers `{"Status": 200, "Message": ..., "Confirmation_Number": "<9 digits>"}`, the same
number for the same invoice. Scenarios to order, each for the next approval call:
`fail("refuse")` refuses it (a business reason), `"500"` answers 500, `"timeout"` answers after
the client gave up, `"expired"` expires every token first (401, then fine after a new token).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ofair_app.adapters.invoices import DOCUMENT_TYPES, dealer_number_valid
from tests.standin import configured, free_port, served

CLIENT_ID = "ofair-test-client"
CLIENT_SECRET = "ofair-test-secret"
SLOW_SECONDS = 1.5  # longer than the client's timeout in the tests
REFUSAL = (310, "The customer's dealer number is not active")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AMOUNTS = ("Amount_Before_Discount", "Discount", "Payment_Amount", "VAT_Amount",
            "Payment_Amount_Including_VAT")


@dataclass
class FakeAuthority:
    tokens: set[str] = field(default_factory=set)  # live access tokens
    token_requests: list[dict] = field(default_factory=list)
    approvals: list[dict] = field(default_factory=list)  # every approval body read
    raw_approvals: list[bytes] = field(default_factory=list)
    numbers: dict[str, str] = field(default_factory=dict)  # Invoice_ID → Confirmation_Number
    faults: list[str] = field(default_factory=list)
    token_seconds: int = 600  # the `expires_in` of the tokens it gives
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(400000001))

    def fail(self, *kinds: str) -> None:
        self.faults.extend(kinds)

    # --- the token endpoint ---------------------------------------------------------------

    async def token(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        self.token_requests.append(form)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "grant_type is not supported")
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return _oauth_error(401, "invalid_client", "Invalid client ID or secret")
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return JSONResponse({"access_token": token, "token_type": "Bearer",
                             "expires_in": self.token_seconds})

    # --- the approval ---------------------------------------------------------------------

    async def approval(self, request: Request) -> JSONResponse:
        fault = self.faults.pop(0) if self.faults else None
        if fault == "expired":
            self.tokens.clear()
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _oauth_error(401, "invalid_token", "The access token is missing or expired")
        raw = await request.body()
        self.raw_approvals.append(raw)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return _bad("The body must be JSON")
        try:
            body = json.loads(raw, parse_float=Decimal)
        except ValueError:
            return _bad("The body is not JSON")
        if not isinstance(body, dict):
            return _bad("The body is not an object")
        self.approvals.append(body)
        problem = _problem(body)
        if problem:
            return _bad(problem)
        if fault == "500":
            return JSONResponse({"Message": "Internal error"}, status_code=500)
        if fault == "timeout":
            await asyncio.sleep(SLOW_SECONDS)
        if fault == "refuse":
            return JSONResponse({"Status": REFUSAL[0], "Message": REFUSAL[1],
                                 "Confirmation_Number": None})
        number = self.numbers.setdefault(body["Invoice_ID"], str(next(self._numbers)))
        return JSONResponse({"Status": 200, "Message": "Approved",
                             "Confirmation_Number": number})

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/longtimetoken/oauth2/token", self.token, methods=["POST"]),
            Route("/api/Invoices/v1/Approval", self.approval, methods=["POST"])])


def _problem(body: dict) -> str | None:
    """What is wrong with an approval body, as the Authority would refuse it; None if fine."""
    if not isinstance(body.get("Invoice_ID"), str) or not body["Invoice_ID"].strip():
        return "Invoice_ID is required"
    if body.get("Invoice_Type") not in DOCUMENT_TYPES:
        return "Invoice_Type is not a known document type"
    for name in ("Vat_Number", "Customer_VAT_Number"):
        value = body.get(name)
        if isinstance(value, bool) or not isinstance(value, int) \
                or not dealer_number_valid(f"{value:09d}"):
            return f"{name} is not a valid dealer number"
    for name in ("Invoice_Date", "Invoice_Issuance_Date"):
        if not isinstance(body.get(name), str) or not _DAY.match(body[name]):
            return f"{name} must be YYYY-MM-DD"
    amounts = {}
    for name in _AMOUNTS:
        value = body.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            return f"{name} must be a number"
        amount = Decimal(value)
        if amount != amount.quantize(Decimal("0.01")) or amount < 0:
            return f"{name} must be a non-negative amount with at most 2 decimals"
        amounts[name] = amount
    if amounts["Amount_Before_Discount"] - amounts["Discount"] != amounts["Payment_Amount"]:
        return "Amount_Before_Discount - Discount must equal Payment_Amount"
    if amounts["Payment_Amount"] + amounts["VAT_Amount"] \
            != amounts["Payment_Amount_Including_VAT"]:
        return "Payment_Amount + VAT_Amount must equal Payment_Amount_Including_VAT"
    return None


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"Status": 400, "Message": message}, status_code=400)


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


@contextmanager
def serve(fake: FakeAuthority) -> Iterator[tuple[str, str]]:
    """Serve `fake` on a free port: yields (the API base, the token URL)."""
    port = free_port()
    with served(fake.app(), port=port, name="ita-standin") as base:
        yield f"{base}/api", f"{base}/longtimetoken/oauth2/token"


@pytest.fixture
def ita_api(monkeypatch) -> Iterator[FakeAuthority]:
    """INVOICE_AUTHORITY=ita, pointed at a stand-in on a free port (a 0.5 s client timeout)."""
    from ofair_app.adapters.invoices import _authority

    fake = FakeAuthority()
    with serve(fake) as (api_base, token_url), configured(monkeypatch, {
            "INVOICE_AUTHORITY": "ita", "ITA_API_BASE": api_base, "ITA_TOKEN_URL": token_url,
            "ITA_CLIENT_ID": CLIENT_ID, "ITA_CLIENT_SECRET": CLIENT_SECRET,
            "ITA_TIMEOUT_SECONDS": "0.5"}, _authority):
        yield fake
