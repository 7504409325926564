"""Cardcom (Israel), REST API v11 through `httpx`, no SDK.

- A checkout is a hosted payment page: `LowProfile/Create` (Operation `ChargeOnly`, our payment
  id as `ReturnValue`, the client sent back to the app by `SuccessRedirectUrl` /
  `FailedRedirectUrl`, Cardcom's callback to `WebHookUrl`). Bit, Apple Pay and Google Pay show
  on that page as the terminal allows; nothing here changes for them.
- Cardcom signs nothing: a callback only names a page (`LowProfileId`). The adapter asks
  Cardcom about that page (`LowProfile/GetLpResult`) and only that answer counts; a page
  Cardcom does not know is refused like a bad signature.
- Saved cards: `LowProfile/Create` with Operation `CreateTokenOnly`, read back by
  `GetLpResult`'s `TokenInfo`; a token is charged with `Transactions/Transaction`.
- Refunds: `Transactions/RefundByTransactionId` (`PartialSum`), with our ApiPassword.
- Every request carries `TerminalNumber` and `ApiName`; amounts go in shekels (Cardcom's
  `Amount` and `PartialSum` are shekel numbers, not agorot); `ResponseCode` 0 is success,
  anything else is Cardcom saying no (a decline, bad credentials, an unknown page).

Idempotency is ours: one hosted page per payment (the services open one and keep it), and one
Cardcom transaction per refund or token charge key, whatever the retries: the key is written
in `psp_operations` (`started`) before Cardcom is called and `done` with Cardcom's transaction
id after, so a retry of a finished one answers from there without calling. A token charge
also sends the key as `ExternalUniqTranId` (with `ExternalUniqTranIdResponse`), so Cardcom
answers a repeat with the first transaction. A refund whose answer was lost (a timeout) is
not sent again blindly: Cardcom has no key for refunds, so it stays `started` and the retry is
a 503 until someone checks the terminal (logged as an error).
"""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal
from typing import Any

import httpx

from ofair_app.adapters import json_wire
from ofair_app.adapters.psp import (
    BadSignature,
    CardDeclined,
    CheckoutCreated,
    EventKind,
    PaymentState,
    ProviderError,
    ProviderEvent,
    ProviderPayment,
    RefundResult,
    SavedCard,
)
from ofair_app.db import provider_operations
from ofair_app.settings import get_settings

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/api/v1/payments/webhook/cardcom"
_LOW_PROFILE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_COINS = {1: "ils", 2: "usd"}  # Cardcom's ISOCoinId / CoinId
COIN_ILS = 1


class NotAtProvider(ProviderError):
    """Cardcom answered, and does not know the page (a made-up or foreign LowProfileId)."""


class OutcomeUnknown(ProviderError):
    """The request may or may not have reached Cardcom (a timeout): not safe to send again."""


def _number(amount: Decimal) -> Decimal:
    """A shekel amount as Cardcom takes it: two places (a JSON number: `json_wire`)."""
    return amount.quantize(Decimal("0.01"))


class CardcomProvider:
    name = "cardcom"

    def __init__(self, client: httpx.Client | None = None) -> None:
        settings = get_settings()
        self.base = settings.cardcom_api_base.rstrip("/")
        self.terminal = settings.cardcom_terminal
        self.api_name = settings.cardcom_api_name
        self.api_password = settings.cardcom_api_password
        self.client = client or httpx.Client(timeout=settings.cardcom_timeout_seconds)

    # --- the wire -------------------------------------------------------------------------

    def _call(self, path: str, body: dict[str, Any], *, retry: bool) -> dict[str, Any]:
        """POST a JSON body; Cardcom's answer as a dict (Decimal numbers). A timeout or a 5xx
        is retried once when `retry` (the call is safe to repeat); then `ProviderError`."""
        attempts = 2 if retry else 1
        for attempt in range(attempts):
            try:
                response = self.client.post(f"{self.base}/{path}", content=json_wire.dumps(body),
                                            headers={"Content-Type": "application/json"})
            except httpx.TimeoutException as error:
                logger.warning("cardcom %s timed out (attempt %s)", path, attempt + 1)
                if attempt + 1 == attempts:
                    raise OutcomeUnknown() from error
                continue
            except httpx.HTTPError as error:
                logger.warning("cardcom %s unreachable: %s", path, error)
                if attempt + 1 == attempts:
                    raise ProviderError() from error
                continue
            if response.status_code >= 500:
                logger.warning("cardcom %s answered %s", path, response.status_code)
                if attempt + 1 == attempts:
                    raise ProviderError()
                continue
            try:
                answer = json.loads(response.content, parse_float=Decimal)
            except ValueError as error:
                raise ProviderError() from error
            if response.status_code >= 400 or not isinstance(answer, dict):
                logger.warning("cardcom %s answered %s", path, response.status_code)
                raise ProviderError()
            return answer
        raise ProviderError()  # pragma: no cover - the loop always returns or raises

    def _auth(self) -> dict[str, Any]:
        return {"TerminalNumber": int(self.terminal) if self.terminal.isdigit()
                else self.terminal, "ApiName": self.api_name}

    def _page(self, *, operation: str, return_value: str, amount: Decimal, description: str,
              success_url: str, cancel_url: str) -> CheckoutCreated:
        base = get_settings().ofair_public_url.rstrip("/")
        answer = self._call("LowProfile/Create", {
            **self._auth(), "Operation": operation, "ReturnValue": return_value,
            "Amount": _number(amount), "ISOCoinId": COIN_ILS, "Language": "he",
            "ProductName": description[:200] or "OFAIR",
            "SuccessRedirectUrl": success_url, "FailedRedirectUrl": cancel_url,
            "WebHookUrl": base + CALLBACK_PATH}, retry=True)
        if answer.get("ResponseCode") != 0 or not answer.get("LowProfileId") \
                or not answer.get("Url"):
            logger.warning("cardcom LowProfile/Create refused: %s %s",
                           answer.get("ResponseCode"), answer.get("Description"))
            raise ProviderError()
        return CheckoutCreated(reference=str(answer["LowProfileId"]), url=str(answer["Url"]))

    def _result(self, reference: str) -> dict[str, Any]:
        """`LowProfile/GetLpResult`: Cardcom's word on one page."""
        answer = self._call("LowProfile/GetLpResult",
                            {**self._auth(), "LowProfileId": reference}, retry=True)
        if answer.get("ResponseCode") != 0:
            raise NotAtProvider()
        return answer

    # --- the provider interface -----------------------------------------------------------

    def create_checkout(self, *, payment_id: str, amount: Decimal, currency: str,
                        description: str, success_url: str,
                        cancel_url: str) -> CheckoutCreated:
        if currency.lower() != "ils":
            raise ProviderError()
        return self._page(operation="ChargeOnly", return_value=payment_id, amount=amount,
                          description=description, success_url=success_url,
                          cancel_url=cancel_url)

    def retrieve(self, reference: str) -> ProviderPayment:
        return _payment(reference, self._result(reference))

    def expire_checkout(self, reference: str) -> ProviderPayment:
        """Cardcom has no call that closes a page: asked how it stands, an unpaid page is
        reported expired and we stop counting on it (a later payment of it is judged by the
        payments service's rules: counted if still the deal, flagged otherwise)."""
        found = self.retrieve(reference)
        if found.state == PaymentState.paid:
            return found
        return ProviderPayment(reference=found.reference, payment_id=found.payment_id,
                               state=PaymentState.expired, amount=found.amount,
                               currency=found.currency)

    def refund(self, *, charge: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        done = _begin(idempotency_key, "refund", amount)
        if done is not None:
            return RefundResult(refund_id=done[0], amount=done[1])
        if not charge.isdigit():
            _finish(idempotency_key, "failed")
            raise ProviderError()
        try:
            answer = self._call("Transactions/RefundByTransactionId", {
                "ApiName": self.api_name,
                "ApiPassword": self.api_password.get_secret_value(),
                "TransactionId": int(charge), "PartialSum": _number(amount),
                "CancelOnly": False, "AllowMultipleRefunds": True}, retry=False)
        except OutcomeUnknown:
            logger.error("cardcom refund %s of transaction %s: no answer; check the terminal "
                         "before retrying", idempotency_key, charge)
            raise
        except ProviderError:
            _finish(idempotency_key, "failed")
            raise
        if answer.get("ResponseCode") != 0:
            _finish(idempotency_key, "failed")
            logger.warning("cardcom refused refund %s: %s %s", idempotency_key,
                           answer.get("ResponseCode"), answer.get("Description"))
            raise ProviderError()
        refund_id = str(answer.get("NewTranzactionId") or "")
        _finish(idempotency_key, "done", refund_id)
        return RefundResult(refund_id=refund_id, amount=amount)

    def read_webhook(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """Cardcom's callback names a page; Cardcom's own answer about it is the event. With
        no terminal configured, nothing can vouch for a callback: refused without a call."""
        if not self.terminal.isdigit():
            raise BadSignature("Cardcom is not configured (CARDCOM_TERMINAL)")
        reference = _callback_page(payload)
        try:
            answer = self._result(reference)
        except NotAtProvider:
            raise BadSignature(f"re-query: Cardcom does not know page {reference}") from None
        found = _payment(reference, answer)
        kind = EventKind.paid if found.state == PaymentState.paid else EventKind.other
        record = {"LowProfileId": reference, "ReturnValue": answer.get("ReturnValue"),
                  "TranzactionId": answer.get("TranzactionId"),
                  "Amount": str(found.amount) if found.amount is not None else None,
                  "state": str(found.state)}
        return ProviderEvent(id=f"cardcom:{reference}:{found.state}", kind=kind,
                             type=f"LowProfile.{found.state}", payment=found, record=record)

    # --- saved cards ----------------------------------------------------------------------

    def create_card_setup(self, *, owner_reference: str, success_url: str,
                          cancel_url: str) -> CheckoutCreated:
        """A hosted page that saves a card without charging it (`CreateTokenOnly`)."""
        return self._page(operation="CreateTokenOnly", return_value=owner_reference,
                          amount=Decimal("0"), description="OFAIR", success_url=success_url,
                          cancel_url=cancel_url)

    def saved_card(self, reference: str) -> SavedCard | None:
        """The card saved on a `CreateTokenOnly` page, or None if none was (yet)."""
        answer = self._result(reference)
        token, deal = answer.get("TokenInfo") or {}, answer.get("TranzactionInfo") or {}
        if not token.get("Token"):
            return None
        return SavedCard(token=str(token["Token"]),
                         brand=str(deal.get("Brand") or deal.get("CardName") or "card"),
                         last4=str(deal.get("Last4CardDigits") or "")[-4:],
                         exp_month=int(token.get("CardMonth") or 0),
                         exp_year=int(token.get("CardYear") or 0))

    def charge_card(self, *, card: SavedCard, amount: Decimal,
                    idempotency_key: str) -> str:
        """Charge a saved card (`Transactions/Transaction`) once per key: Cardcom's
        transaction id. `CardDeclined` (402) when the issuer says no."""
        done = _begin(idempotency_key, "charge", amount)
        if done is not None:
            return done[0]
        try:
            answer = self._call("Transactions/Transaction", {
                **self._auth(), "Amount": _number(amount), "Token": card.token,
                "CardExpirationMMYY": f"{card.exp_month:02d}{card.exp_year % 100:02d}",
                "ISOCoinId": COIN_ILS, "NumOfPayments": 1,
                "ExternalUniqTranId": idempotency_key,
                "ExternalUniqTranIdResponse": True}, retry=True)
        except OutcomeUnknown:
            raise  # stays `started`: the next try sends the same ExternalUniqTranId
        except ProviderError:
            _finish(idempotency_key, "failed")
            raise
        if answer.get("ResponseCode") != 0:
            _finish(idempotency_key, "failed")
            raise CardDeclined()
        transaction = str(answer.get("TranzactionId") or "")
        _finish(idempotency_key, "done", transaction)
        return transaction


def _callback_page(payload: bytes) -> str:
    """The page a callback names: a JSON object's `LowProfileId` (or a form's
    `lowprofilecode`, as older terminals send). Nothing else in it is read."""
    reference: object = None
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        reference = body.get("LowProfileId") or body.get("LowProfileCode")
    elif body is None:
        from urllib.parse import parse_qs

        try:
            form = parse_qs(payload.decode("ascii"), max_num_fields=50)
        except (UnicodeDecodeError, ValueError):
            form = {}
        values = form.get("lowprofilecode") or form.get("LowProfileId") or []
        reference = values[0] if len(values) == 1 else None
    if not isinstance(reference, str) or not _LOW_PROFILE_ID.match(reference):
        raise BadSignature("callback names no LowProfileId")
    return reference


def _payment(reference: str, answer: dict[str, Any]) -> ProviderPayment:
    deal = answer.get("TranzactionInfo") or {}
    transaction = deal.get("TranzactionId") or answer.get("TranzactionId")
    paid = bool(deal) and deal.get("ResponseCode") == 0 and bool(transaction)
    amount = deal.get("Amount")
    return ProviderPayment(
        reference=reference, payment_id=str(answer.get("ReturnValue") or "") or None,
        state=PaymentState.paid if paid else PaymentState.open,
        amount=Decimal(str(amount)).quantize(Decimal("0.01"))
        if isinstance(amount, (int, Decimal)) and not isinstance(amount, bool) else None,
        currency=_COINS.get(deal.get("CoinId", COIN_ILS), str(deal.get("CoinId"))),
        charge=str(transaction) if paid else None)


# --- our side of idempotency (ofair_app/db/provider_operations.py) -------------------------


def _begin(key: str, kind: str, amount: Decimal) -> tuple[str, Decimal] | None:
    """Claim `key` before calling Cardcom: None to go ahead; (Cardcom's id, amount) if it
    was done already. A refund whose last try got no answer is `OutcomeUnknown` (Cardcom has
    no key for refunds); a token charge is sent again (its `ExternalUniqTranId` is the key)."""
    claimed = provider_operations.claim(provider="cardcom", key=key, kind=kind, amount=amount,
                                        resend_unanswered=kind != "refund")
    if claimed == provider_operations.UNANSWERED:
        raise OutcomeUnknown()
    return None if claimed == provider_operations.GO else tuple(claimed)  # type: ignore[return-value]


def _finish(key: str, status: str, reference: str | None = None) -> None:
    provider_operations.finish(provider="cardcom", key=key, status=status,  # type: ignore[arg-type]
                               reference=reference)
