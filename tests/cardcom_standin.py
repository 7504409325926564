"""A local stand-in for Cardcom's REST API v11, written from Cardcom's published description,
served on a free port by the tests (uvicorn in a thread).

What it checks, as Cardcom documents it:
- every call is a JSON POST to `<base>/<Controller>/<Action>`;
- `TerminalNumber` (a number) and `ApiName` must be the terminal's; refunds also need
  `ApiPassword`; otherwise `ResponseCode` is not 0 and nothing happens;
- amounts (`Amount`, `PartialSum`) are shekel numbers with at most two decimals (not agorot);
- `ResponseCode` 0 is success, anything else a refusal with a `Description`;
- `LowProfile/Create` answers `LowProfileId` and the hosted page's `Url`; the page (here
  `pay()`, the client typing a card) then calls the `WebHookUrl` with the page's id and
  redirects to `SuccessRedirectUrl` or `FailedRedirectUrl`;
- `LowProfile/GetLpResult` answers the page's `ReturnValue`, `TranzactionInfo` (the deal:
  its own `ResponseCode`, `TranzactionId`, `Amount`, `CoinId`, `Last4CardDigits`) and, for
  `CreateTokenOnly` / `ChargeAndCreateToken`, `TokenInfo` (`Token`, `CardMonth`, `CardYear`);
- `Transactions/Transaction` charges a `Token` with its `CardExpirationMMYY`; a repeated
  `ExternalUniqTranId` with `ExternalUniqTranIdResponse` answers the first transaction again;
- `Transactions/RefundByTransactionId` refunds `PartialSum` of `TransactionId` (never more than
  is left) and answers `NewTranzactionId`.

Faults to order: `fail("LowProfile/Create", "500")` answers 500 once; `"timeout"` answers after
the client gave up (nothing done); `"lost"` does the work, then answers too late.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standin import configured, free_port, served

TERMINAL = 1000
API_NAME = "test-api-name"
API_PASSWORD = "test-api-password"
PAYING_CARD = "4580000000000000"  # Cardcom's documented test card
DECLINED_CARD = "4000000000000002"
SLOW_SECONDS = 1.5  # longer than the client's timeout in the tests


@dataclass
class Page:
    id: str
    operation: str
    return_value: str
    amount: Decimal
    webhook_url: str
    success_url: str
    failed_url: str
    deal: dict | None = None
    token: dict | None = None


@dataclass
class Deal:
    id: int
    amount: Decimal
    refunded: Decimal = Decimal("0")


@dataclass
class FakeCardcom:
    pages: dict[str, Page] = field(default_factory=dict)
    deals: dict[int, Deal] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)
    unique: dict[str, dict] = field(default_factory=dict)  # ExternalUniqTranId → answer
    requests: list[tuple[str, dict]] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=dict)
    base_url: str = ""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(7000001))

    def fail(self, path: str, *kinds: str) -> None:
        self.faults.setdefault(path, []).extend(kinds)

    def calls(self, path: str) -> list[dict]:
        return [body for called, body in self.requests if called == path]

    # --- the hosted page ----------------------------------------------------------------

    def pay(self, page_id: str, card: str = PAYING_CARD) -> tuple[bytes, str]:
        """The client types a card on the page: (the callback body Cardcom posts to the
        `WebHookUrl`, where the client is redirected)."""
        page = self.pages[page_id]
        digits = "".join(ch for ch in card if ch.isdigit())
        approved = digits == PAYING_CARD
        deal_id = next(self._ids)
        page.deal = {"ResponseCode": 0 if approved else 5001,
                     "Description": "OK" if approved else "Declined by the issuer",
                     "TranzactionId": deal_id if approved else 0,
                     "Amount": page.amount, "CoinId": 1, "Last4CardDigits": digits[-4:],
                     "CardMonth": 12, "CardYear": 2030, "Brand": "Visa"}
        if approved and page.operation != "CreateTokenOnly":
            self.deals[deal_id] = Deal(deal_id, page.amount)
        if approved and page.operation in ("CreateTokenOnly", "ChargeAndCreateToken"):
            token = str(uuid.uuid4())
            page.token = {"Token": token, "CardMonth": 12, "CardYear": 2030,
                          "TokenApprovalNumber": "0012345"}
            self.tokens[token] = {"mmyy": "1230", "declines": False}
        callback = json.dumps({"ResponseCode": page.deal["ResponseCode"],
                               "LowProfileId": page.id, "ReturnValue": page.return_value,
                               "TerminalNumber": TERMINAL}).encode()
        return callback, page.success_url if approved else page.failed_url

    # --- the API --------------------------------------------------------------------------

    def _auth(self, body: dict, *, password: bool = False) -> dict | None:
        if not password and body.get("TerminalNumber") != TERMINAL:
            return _refused(1, "Invalid TerminalNumber")
        if body.get("ApiName") != API_NAME:
            return _refused(2, "Invalid ApiName")
        if password and body.get("ApiPassword") != API_PASSWORD:
            return _refused(3, "Invalid ApiPassword")
        return None

    def create(self, body: dict) -> dict:
        operation = body.get("Operation", "ChargeOnly")
        amount = _shekels(body.get("Amount"))
        if operation not in ("ChargeOnly", "ChargeAndCreateToken", "CreateTokenOnly",
                             "SuspendedDeal"):
            return _refused(10, "Invalid Operation")
        if amount is None or (amount <= 0 and operation != "CreateTokenOnly"):
            return _refused(11, "Invalid Amount")
        for name in ("SuccessRedirectUrl", "FailedRedirectUrl", "WebHookUrl"):
            if not str(body.get(name, "")).startswith(("http://", "https://")):
                return _refused(12, f"Invalid {name}")
        if body.get("ISOCoinId", 1) != 1:
            return _refused(13, "This terminal takes shekels only")
        page = Page(id=str(uuid.uuid4()), operation=operation,
                    return_value=str(body.get("ReturnValue", "")), amount=amount,
                    webhook_url=body["WebHookUrl"], success_url=body["SuccessRedirectUrl"],
                    failed_url=body["FailedRedirectUrl"])
        self.pages[page.id] = page
        return {"ResponseCode": 0, "Description": "OK", "LowProfileId": page.id,
                "Url": f"{self.base_url}/pay/{page.id}"}

    def result(self, body: dict) -> dict:
        page = self.pages.get(str(body.get("LowProfileId")))
        if page is None:
            return _refused(5033, "LowProfileId not found")
        answer = {"ResponseCode": 0, "Description": "OK", "LowProfileId": page.id,
                  "ReturnValue": page.return_value, "Operation": page.operation,
                  "TranzactionId": (page.deal or {}).get("TranzactionId", 0)}
        if page.deal is not None:
            answer["TranzactionInfo"] = page.deal
        if page.token is not None:
            answer["TokenInfo"] = page.token
        return answer

    def transaction(self, body: dict) -> dict:
        key = body.get("ExternalUniqTranId")
        if key and key in self.unique and body.get("ExternalUniqTranIdResponse"):
            return self.unique[key]
        token = self.tokens.get(str(body.get("Token")))
        amount = _shekels(body.get("Amount"))
        if token is None or body.get("CardExpirationMMYY") != token["mmyy"]:
            return _refused(20, "Invalid Token or CardExpirationMMYY")
        if amount is None or amount <= 0:
            return _refused(11, "Invalid Amount")
        if token["declines"]:
            answer = _refused(5001, "Declined by the issuer")
        else:
            deal = Deal(next(self._ids), amount)
            self.deals[deal.id] = deal
            answer = {"ResponseCode": 0, "Description": "OK", "TranzactionId": deal.id,
                      "Amount": amount}
        if key:
            self.unique[key] = answer
        return answer

    def refund(self, body: dict) -> dict:
        deal = self.deals.get(body.get("TransactionId"))  # type: ignore[arg-type]
        if deal is None:
            return _refused(30, "TransactionId not found")
        amount = _shekels(body.get("PartialSum", deal.amount - deal.refunded))
        if amount is None or amount <= 0 or deal.refunded + amount > deal.amount:
            return _refused(31, "Invalid PartialSum")
        if deal.refunded and not body.get("AllowMultipleRefunds"):
            return _refused(32, "Transaction already refunded")
        deal.refunded += amount
        return {"ResponseCode": 0, "Description": "OK", "NewTranzactionId": next(self._ids)}

    def app(self) -> Starlette:
        handlers = {"LowProfile/Create": (self.create, False),
                    "LowProfile/GetLpResult": (self.result, False),
                    "Transactions/Transaction": (self.transaction, False),
                    "Transactions/RefundByTransactionId": (self.refund, True)}

        async def endpoint(request: Request) -> JSONResponse:
            path = request.path_params["path"]
            if path not in handlers:
                return JSONResponse({"Message": "No such action"}, status_code=404)
            try:
                body = json.loads(await request.body(), parse_float=Decimal)
            except ValueError:
                return JSONResponse({"Message": "The body is not JSON"}, status_code=400)
            self.requests.append((path, body))
            queued = self.faults.get(path)
            fault = queued.pop(0) if queued else None
            if fault == "500":
                return JSONResponse({"Message": "An error has occurred."}, status_code=500)
            if fault == "timeout":
                await asyncio.sleep(SLOW_SECONDS)
                return JSONResponse(_refused(99, "too late"))
            handler, password = handlers[path]
            answer = self._auth(body, password=password) or handler(body)
            if fault == "lost":
                await asyncio.sleep(SLOW_SECONDS)
            return JSONResponse(json.loads(json.dumps(answer, default=_json_number)))

        return Starlette(routes=[Route("/api/v11/{path:path}", endpoint, methods=["POST"])])


def _refused(code: int, description: str) -> dict:
    return {"ResponseCode": code, "Description": description}


def _shekels(value: object) -> Decimal | None:
    """A Cardcom amount: a JSON number of shekels with at most two decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    amount = Decimal(value)
    return amount if amount == amount.quantize(Decimal("0.01")) else None


def _json_number(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value))


@contextmanager
def serve(fake: FakeCardcom) -> Iterator[str]:
    """Serve `fake` on a free port: yields its API base (`http://127.0.0.1:N/api/v11`)."""
    port = free_port()
    fake.base_url = f"http://127.0.0.1:{port}"
    with served(fake.app(), port=port, name="cardcom-standin"):
        yield f"{fake.base_url}/api/v11"


@pytest.fixture
def cardcom_api(monkeypatch) -> Iterator[FakeCardcom]:
    """PSP_PROVIDER=cardcom, pointed at a stand-in on a free port (a 0.5 s client timeout)."""
    from ofair_app.adapters.psp import _provider

    fake = FakeCardcom()
    with serve(fake) as base, configured(monkeypatch, {
            "PSP_PROVIDER": "cardcom", "CARDCOM_API_BASE": base,
            "CARDCOM_TERMINAL": str(TERMINAL), "CARDCOM_API_NAME": API_NAME,
            "CARDCOM_API_PASSWORD": API_PASSWORD, "CARDCOM_TIMEOUT_SECONDS": "0.5"}, _provider):
        yield fake
