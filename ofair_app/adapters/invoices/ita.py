"""The Israel Tax Authority's SHAAM invoices API, through `httpx`, no SDK.

What the public descriptions say, and what this module assumed where they are silent (sources:
the FAQ of the open-api.co.il sandbox demo, e-invoice.app's and invoicedataextraction.com's
guides to the Israel Invoices model; none of them is the Authority's own specification, so
every name below must be checked against that specification before going live):

- Two hosts. Tokens come from `openapi.taxes.gov.il/shaam/<env>/longtimetoken/oauth2/...`
  (`ITA_TOKEN_URL`); invoices go to `ita-api.taxes.gov.il/shaam/<env>` (`ITA_API_BASE`),
  `<env>` being `tsandbox` (the default here) or `production`.
- OAuth2. The Authority documents the authorization-code flow: a person of the business signs in
  once, then the software holds an access token (valid about 10 minutes) and a refresh token
  (about a month). ASSUMED here: the client-credentials grant (`grant_type=client_credentials`
  with `client_id` / `client_secret` in the form body, `scope=scope` as the demo sends), the
  token answer being RFC 6749's (`access_token`, `expires_in`). The token is kept until a minute
  before it expires and fetched again once if the API answers 401.
- The approval: a JSON POST of the invoice to `Invoices/v1/Approval` with the bearer token. The
  field names (`Invoice_ID`, `Invoice_Type`, `Vat_Number`, `Customer_VAT_Number`,
  `Payment_Amount`, `VAT_Amount`, `Payment_Amount_Including_VAT`, …) are not in the sources
  found; they follow the Authority's Capitalised_Snake_Case style as its specification is
  commonly quoted. ASSUMED: dealer numbers as JSON integers, dates as `YYYY-MM-DD`, amounts as
  shekel numbers with two decimals (positive on a credit invoice too), and the answer
  `{"Status": 200, "Message": ..., "Confirmation_Number": "<9 digits>"}`, any other `Status`
  being a refusal whose code and message are kept as the reason.

Retries: a 5xx, or a connection that failed before anything was sent, is tried once more (the
Authority decided nothing). A timeout is not: the invoice may have been received, and asking
twice for one invoice is the Authority's to judge, not ours to risk; the caller asks again later.
A 4xx other than 401 is the Authority refusing the request itself (`AllocationRefused`, with the
HTTP status as the code).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from decimal import Decimal
from typing import Any

import httpx

from ofair_app.adapters import json_wire
from ofair_app.adapters.invoices import (
    AllocationRefused,
    AllocationRequest,
    AllocationResult,
    AuthorityUnavailable,
    check_request,
)
from ofair_app.settings import get_settings

logger = logging.getLogger(__name__)

APPROVAL_PATH = "Invoices/v1/Approval"
APPROVED = 200  # the answer's `Status` for a number given
TOKEN_EARLY_SECONDS = 60  # a token is replaced this long before the Authority says it expires
DEFAULT_TOKEN_SECONDS = 600  # the Authority's documented lifetime, when an answer omits it


def approval_body(request: AllocationRequest) -> dict[str, Any]:
    """A checked request in the Authority's words (see the module docstring)."""
    day = request.invoice_date.isoformat()
    return {
        "Invoice_ID": request.invoice_number,
        "Invoice_Type": request.document_type,
        "Vat_Number": int(request.vat_number),
        "Union_Vat_Number": 0,  # no VAT union (עוסק מאוחד)
        "Invoice_Reference_Number": request.invoice_number,
        "Customer_VAT_Number": int(request.customer_vat_number),
        "Invoice_Date": day,
        "Invoice_Issuance_Date": day,
        "Amount_Before_Discount": request.amount_before_vat,
        "Discount": Decimal("0.00"),
        "Payment_Amount": request.amount_before_vat,
        "VAT_Amount": request.vat_amount,
        "Payment_Amount_Including_VAT": request.total,
    }


class ItaAuthority:
    name = "ita"

    def __init__(self, client: httpx.Client | None = None) -> None:
        settings = get_settings()
        self.api_base = settings.ita_api_base.rstrip("/")
        self.token_url = settings.ita_token_url
        self.client_id = settings.ita_client_id
        self.client_secret = settings.ita_client_secret
        self.client = client or httpx.Client(timeout=settings.ita_timeout_seconds)
        self._token: str | None = None
        self._token_until = 0.0  # time.monotonic() after which the token is not used
        self._token_lock = threading.Lock()

    # --- the token ------------------------------------------------------------------------

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_until:
                self._token, lifetime = self._fetch_token()
                self._token_until = time.monotonic() + lifetime - min(TOKEN_EARLY_SECONDS,
                                                                      lifetime / 2)
            return self._token

    def _forget_token(self, token: str) -> None:
        """Drop `token` (the API refused it), unless another thread replaced it already."""
        with self._token_lock:
            if self._token == token:
                self._token = None

    def _fetch_token(self) -> tuple[str, float]:
        """A new access token and its lifetime in seconds, or `AuthorityUnavailable`."""
        try:
            response = self.client.post(self.token_url, data={
                "grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret.get_secret_value(), "scope": "scope"})
        except httpx.HTTPError as error:
            logger.warning("ita token: no answer: %r", error)
            raise AuthorityUnavailable("token endpoint unreachable") from error
        if response.status_code != 200:
            logger.warning("ita token refused: %s %s", response.status_code,
                           response.text[:200])
            raise AuthorityUnavailable(f"token endpoint answered {response.status_code}")
        try:
            answer = response.json()
            token = answer["access_token"]
            lifetime = float(answer.get("expires_in") or DEFAULT_TOKEN_SECONDS)
        except (ValueError, KeyError, TypeError) as error:
            logger.warning("ita token: unreadable answer")
            raise AuthorityUnavailable("unreadable token answer") from error
        if not isinstance(token, str) or not token or lifetime <= 0:
            raise AuthorityUnavailable("unreadable token answer")
        return token, lifetime

    # --- the approval ---------------------------------------------------------------------

    def request_allocation(self, request: AllocationRequest) -> AllocationResult:
        check_request(request)
        response = self._post_approval(json_wire.dumps(approval_body(request)))
        return _allocation(request.invoice_number, response)

    def _post_approval(self, content: str) -> httpx.Response:
        """POST the invoice: a 401 fetches a new token once, a 5xx or a connection that never
        opened is tried once more; a timeout is `AuthorityUnavailable` at once."""
        refreshed = retried = False
        while True:
            token = self._access_token()
            try:
                response = self.client.post(
                    f"{self.api_base}/{APPROVAL_PATH}", content=content.encode(),
                    headers={"Authorization": f"Bearer {token}",
                             "Content-Type": "application/json", "Accept": "application/json"})
            except httpx.TimeoutException as error:
                logger.warning("ita approval timed out: the invoice may have been received")
                raise AuthorityUnavailable("timeout") from error
            except httpx.TransportError as error:
                logger.warning("ita approval unreachable: %r", error)
                if retried:
                    raise AuthorityUnavailable("unreachable") from error
                retried = True
                continue
            if response.status_code == 401 and not refreshed:
                logger.warning("ita approval: token refused, fetching a new one")
                self._forget_token(token)
                refreshed = True
                continue
            if response.status_code >= 500 and not retried:
                logger.warning("ita approval answered %s, trying once more",
                               response.status_code)
                retried = True
                continue
            return response


def _allocation(invoice_number: str, response: httpx.Response) -> AllocationResult:
    """The Authority's answer read: a number, `AllocationRefused`, or `AuthorityUnavailable`."""
    status = response.status_code
    if status == 401 or status >= 500:
        logger.warning("ita approval of %s answered %s", invoice_number, status)
        raise AuthorityUnavailable(f"approval answered {status}")
    try:
        answer = json.loads(response.content, parse_float=Decimal)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        logger.warning("ita approval of %s: unreadable answer (%s)", invoice_number, status)
        raise AuthorityUnavailable(f"unreadable answer ({status})")
    message = str(answer.get("Message") or answer.get("error_description") or "")
    if status >= 400:
        logger.warning("ita refused the request for %s: %s %s", invoice_number, status, message)
        raise AllocationRefused(AllocationResult(reason_code=f"http_{status}", reason=message))
    code, number = answer.get("Status"), answer.get("Confirmation_Number")
    if isinstance(number, int) and not isinstance(number, bool):
        number = f"{number:09d}"  # a number sent as a JSON integer loses its leading zeros
    number = number if isinstance(number, str) else ""
    if code != APPROVED:
        logger.warning("ita refused %s: %s %s", invoice_number, code, message)
        raise AllocationRefused(AllocationResult(reason_code=str(code), reason=message))
    if len(number) != 9 or not number.isdigit():
        logger.warning("ita approved %s without a readable number: %r", invoice_number, number)
        raise AuthorityUnavailable("approved without a readable number")
    return AllocationResult(allocation_number=number)
