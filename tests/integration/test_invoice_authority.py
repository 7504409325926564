"""The Tax Authority adapters: the sandbox (the same number for the same invoice, a refusal on
demand) and `ita` against the local stand-in of the Authority's token and approval endpoints
(`tests/ita_standin.py`): what it sends (a bearer token, the invoice's fields, exact amounts),
how it reads an approval or a refusal, and what a fault does: a 5xx tried once more, a timeout
not, an expired token replaced once, a token reused while it lives. No database."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date
from decimal import Decimal

import httpx
import pytest

from ofair_app.adapters.invoices import (
    AllocationRefused,
    AllocationRequest,
    AuthorityUnavailable,
    get_authority,
)
from ofair_app.adapters.invoices.ita import ItaAuthority
from ofair_app.adapters.invoices.sandbox import REFUSED_CUSTOMERS, SandboxAuthority
from tests.ita_standin import CLIENT_ID, CLIENT_SECRET, REFUSAL

D = Decimal
PLATFORM = "516179157"
CUSTOMER = "512345679"

REQUEST = AllocationRequest(
    invoice_number="INV-2026-000123", document_type=305, invoice_date=date(2026, 12, 1),
    vat_number=PLATFORM, customer_vat_number=CUSTOMER, amount_before_vat=D("12345.67"),
    vat_amount=D("2222.22"), total=D("14567.89"))


# --- the sandbox ------------------------------------------------------------------------------


def test_the_sandbox_gives_the_same_number_to_the_same_invoice() -> None:
    sandbox = get_authority("sandbox")
    assert isinstance(sandbox, SandboxAuthority)
    first = sandbox.request_allocation(REQUEST)
    assert first.approved and len(first.allocation_number) == 9
    assert first.allocation_number.isdigit()
    assert sandbox.request_allocation(REQUEST) == first
    other = sandbox.request_allocation(replace(REQUEST, invoice_number="INV-2026-000124"))
    assert other.allocation_number != first.allocation_number


def test_the_sandbox_refuses_its_documented_customers() -> None:
    (refused_customer,) = REFUSED_CUSTOMERS
    with pytest.raises(AllocationRefused) as refused:
        SandboxAuthority().request_allocation(
            replace(REQUEST, customer_vat_number=refused_customer))
    result = refused.value.result
    assert not result.approved
    assert (result.reason_code, result.reason) == REFUSED_CUSTOMERS[refused_customer]


def test_the_sandbox_checks_requests_like_the_real_one() -> None:
    with pytest.raises(ValueError, match="customer_vat_number"):
        SandboxAuthority().request_allocation(replace(REQUEST, customer_vat_number="512345678"))
    with pytest.raises(ValueError, match="total"):
        SandboxAuthority().request_allocation(replace(REQUEST, total=D("14567.88")))
    with pytest.raises(ValueError, match="agorot"):
        SandboxAuthority().request_allocation(replace(REQUEST, vat_amount=D("2222.225")))
    with pytest.raises(ValueError, match="document_type"):
        SandboxAuthority().request_allocation(replace(REQUEST, document_type=400))


# --- the Authority, through the stand-in ------------------------------------------------------


def test_an_approval_sends_the_invoice_with_exact_amounts(ita_api) -> None:
    authority = get_authority()
    assert isinstance(authority, ItaAuthority)
    result = authority.request_allocation(REQUEST)
    assert result.approved
    assert result.allocation_number == ita_api.numbers[REQUEST.invoice_number]
    (token_request,) = ita_api.token_requests
    assert (token_request["grant_type"], token_request["client_id"],
            token_request["client_secret"]) == ("client_credentials", CLIENT_ID, CLIENT_SECRET)
    (sent,) = ita_api.approvals
    assert (sent["Invoice_ID"], sent["Invoice_Type"], sent["Vat_Number"],
            sent["Customer_VAT_Number"], sent["Invoice_Date"]) == (
        "INV-2026-000123", 305, int(PLATFORM), int(CUSTOMER), "2026-12-01")
    assert (sent["Payment_Amount"], sent["VAT_Amount"],
            sent["Payment_Amount_Including_VAT"]) == (D("12345.67"), D("2222.22"), D("14567.89"))
    raw = ita_api.raw_approvals[0].decode()
    assert '"Payment_Amount": 12345.67' in raw  # a number, written exactly: no float, no string


def test_a_refusal_is_raised_with_the_authoritys_reason(ita_api) -> None:
    ita_api.fail("refuse")
    with pytest.raises(AllocationRefused) as refused:
        get_authority().request_allocation(REQUEST)
    assert (refused.value.result.reason_code, refused.value.result.reason) == (
        str(REFUSAL[0]), REFUSAL[1])
    assert not refused.value.result.approved


def test_a_5xx_is_tried_once_more(ita_api) -> None:
    ita_api.fail("500")
    assert get_authority().request_allocation(REQUEST).approved
    assert len(ita_api.approvals) == 2
    ita_api.fail("500", "500")
    with pytest.raises(AuthorityUnavailable):
        get_authority().request_allocation(REQUEST)
    assert len(ita_api.approvals) == 4


def test_a_timeout_is_unavailable_and_not_sent_again(ita_api) -> None:
    ita_api.fail("timeout")
    with pytest.raises(AuthorityUnavailable, match="timeout"):
        get_authority().request_allocation(REQUEST)
    assert len(ita_api.approvals) == 1  # it may have been received: the caller asks later


def test_an_expired_token_is_replaced_once(ita_api) -> None:
    authority = get_authority()
    authority.request_allocation(REQUEST)
    ita_api.fail("expired")
    assert authority.request_allocation(REQUEST).approved
    assert len(ita_api.token_requests) == 2
    assert len(ita_api.approvals) == 2  # the 401 was answered before the body was read


def test_a_token_refused_twice_is_unavailable(ita_api) -> None:
    ita_api.fail("expired", "expired")
    with pytest.raises(AuthorityUnavailable, match="401"):
        get_authority().request_allocation(REQUEST)
    assert len(ita_api.token_requests) == 2  # one refresh, no more


def test_the_token_is_kept_while_it_lives(ita_api) -> None:
    authority = get_authority()
    authority.request_allocation(REQUEST)
    authority.request_allocation(replace(REQUEST, invoice_number="INV-2026-000124"))
    assert len(ita_api.token_requests) == 1
    assert len(ita_api.approvals) == 2


def test_a_token_is_replaced_shortly_before_it_expires(ita_api) -> None:
    ita_api.token_seconds = 1  # kept for half of it: a short lifetime keeps half a margin
    authority = get_authority()
    authority.request_allocation(REQUEST)
    authority.request_allocation(REQUEST)
    assert len(ita_api.token_requests) == 1
    time.sleep(0.6)
    authority.request_allocation(REQUEST)
    assert len(ita_api.token_requests) == 2
    assert len(ita_api.approvals) == 3  # no 401 on the way: replaced before it was refused


def test_wrong_credentials_are_unavailable_and_send_no_invoice(ita_api, monkeypatch) -> None:
    authority = get_authority()
    monkeypatch.setattr(authority, "client_id", "someone-else")
    with pytest.raises(AuthorityUnavailable, match="token"):
        authority.request_allocation(REQUEST)
    assert ita_api.approvals == []


def test_a_bad_dealer_number_is_refused_before_any_call(ita_api) -> None:
    for platform, customer in (("516179158", CUSTOMER), (PLATFORM, "51234567"),
                               (PLATFORM, "51234567X")):
        with pytest.raises(ValueError, match="dealer number"):
            get_authority().request_allocation(
                replace(REQUEST, vat_number=platform, customer_vat_number=customer))
    assert (ita_api.token_requests, ita_api.approvals) == ([], [])


def test_the_standin_refuses_what_the_authority_would(ita_api) -> None:
    """The stand-in is only worth its checks: a body the Authority would refuse is a 400."""
    from ofair_app.adapters.invoices.ita import APPROVAL_PATH, approval_body
    from ofair_app.settings import get_settings

    settings = get_settings()
    token = httpx.post(settings.ita_token_url, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET}).json()["access_token"]
    url = f"{settings.ita_api_base}/{APPROVAL_PATH}"
    good = {key: str(value) if isinstance(value, Decimal) else value
            for key, value in approval_body(REQUEST).items()}
    good.update({"Payment_Amount": 12345.67, "Amount_Before_Discount": 12345.67,
                 "Discount": 0, "VAT_Amount": 2222.22, "Payment_Amount_Including_VAT": 14567.89})
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(url, json=good, headers=headers).status_code == 200
    for change in ({"VAT_Amount": "2222.22"}, {"VAT_Amount": 2222.225},
                   {"Payment_Amount_Including_VAT": 14567.88}, {"Customer_VAT_Number": 512345678},
                   {"Invoice_Date": "01/12/2026"}, {"Invoice_Type": 999}):
        answer = httpx.post(url, json={**good, **change}, headers=headers)
        assert answer.status_code == 400, change
    assert httpx.post(url, json=good).status_code == 401
    assert httpx.post(settings.ita_token_url, data={
        "grant_type": "password", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET}).status_code == 400


def _authority_answering(approval: httpx.Response | Exception) -> tuple[ItaAuthority, list]:
    """An `ita` adapter whose Authority gives tokens and answers every approval with
    `approval`; the list collects the approval calls."""
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 600})
        calls.append(request)
        if isinstance(approval, Exception):
            raise approval
        return approval

    return ItaAuthority(client=httpx.Client(transport=httpx.MockTransport(answer))), calls


def test_answers_that_are_not_an_approval() -> None:
    authority, calls = _authority_answering(
        httpx.Response(400, json={"Status": 400, "Message": "Invoice_ID is required"}))
    with pytest.raises(AllocationRefused) as refused:
        authority.request_allocation(REQUEST)
    assert (refused.value.result.reason_code, refused.value.result.reason) == (
        "http_400", "Invoice_ID is required")
    assert len(calls) == 1  # a refusal is never sent again
    for unreadable in (httpx.Response(200, json={"Status": 200, "Confirmation_Number": "12"}),
                       httpx.Response(200, text="<html>maintenance</html>"),
                       httpx.Response(200, json=[1])):
        with pytest.raises(AuthorityUnavailable):
            _authority_answering(unreadable)[0].request_allocation(REQUEST)
    authority, _ = _authority_answering(
        httpx.Response(200, json={"Status": 200, "Confirmation_Number": 12345678}))
    assert authority.request_allocation(REQUEST).allocation_number == "012345678"


def test_a_connection_that_never_opened_is_tried_once_more() -> None:
    authority, calls = _authority_answering(httpx.ConnectError("connection refused"))
    with pytest.raises(AuthorityUnavailable, match="unreachable"):
        authority.request_allocation(REQUEST)
    assert len(calls) == 2
