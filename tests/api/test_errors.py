"""The error envelope of DESIGN.md §5, for every kind of error the API can answer."""

from decimal import Decimal
from typing import Literal

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from ofair_app.api.errors import install_error_handlers
from ofair_app.domain.errors import Conflict, NotFound, RateLimited


def _envelope(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    # A 429 also says when to retry; nothing else adds to the envelope.
    extra = {"retry_after"} if response.status_code == 429 else set()
    assert set(body["error"]) == {"code", "message", "fields"} | extra
    assert body["error"]["message"]
    return body["error"]


async def test_unknown_api_route_is_a_404_envelope(client):
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert _envelope(response)["code"] == "not_found"


async def test_unknown_route_outside_v1_is_also_enveloped(client):
    response = await client.post("/api/v2/leads", json={})
    assert response.status_code == 404
    assert _envelope(response)["code"] == "not_found"


async def test_wrong_method_on_a_known_path_is_405(client):
    response = await client.delete("/api/v1/health")
    assert response.status_code == 405
    assert _envelope(response)["code"] == "method_not_allowed"


async def test_messages_follow_accept_language(client):
    hebrew = _envelope(await client.get("/api/v1/nope"))
    english = _envelope(await client.get("/api/v1/nope", headers={"Accept-Language": "en-US"}))
    assert hebrew["message"] == "הדף או הפריט המבוקש לא נמצא."
    assert english["message"] == "The page or item you asked for was not found."


async def test_openapi_and_docs_live_under_api_v1(client):
    schema = (await client.get("/api/v1/openapi.json")).json()
    assert schema["info"]["title"] == "OFAIR API"
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert (await client.get("/api/v1/docs")).status_code == 200
    assert (await client.get("/docs")).status_code == 404


# A throwaway API with inputs, to exercise the handlers every real router will rely on.
class Payment(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    kind: Literal["consumer", "professional_referral"]
    note: str = Field(default="", max_length=10)


def _probe_api() -> FastAPI:
    api = FastAPI()
    install_error_handlers(api)

    @api.post("/api/v1/probe")
    def probe(payment: Payment, limit: int = 20):
        return {"amount": str(payment.amount)}

    @api.get("/api/v1/conflict")
    def conflict():
        raise Conflict("errors.conflict")

    @api.get("/api/v1/missing")
    def missing():
        raise NotFound(fields={"lead_id": "errors.field.invalid"})

    @api.get("/api/v1/slow-down")
    def slow_down():
        raise RateLimited(42)

    @api.get("/api/v1/bug")
    def bug():
        raise RuntimeError("secret internals: password=hunter2")

    return api


@pytest.fixture
async def probe():
    transport = httpx.ASGITransport(app=_probe_api(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_validation_errors_name_each_field(probe):
    response = await probe.post("/api/v1/probe?limit=many",
                                json={"amount": "-5", "note": "far too long for this"},
                                headers={"Accept-Language": "en"})
    assert response.status_code == 422
    error = _envelope(response)
    assert error["code"] == "validation_error"
    assert error["fields"] == {  # every bad field at once, each with the limit it missed
        "amount": "Enter a value above 0.",
        "kind": "This field is required.",
        "note": "Enter at most 10 characters.",
        "limit": "Enter a number.",
    }
    hebrew = await probe.post("/api/v1/probe?limit=many",
                              json={"amount": "-5", "note": "far too long for this"})
    assert _envelope(hebrew)["fields"]["note"] == "יש להזין עד 10 תווים."


async def test_malformed_json_is_a_422_not_a_500(probe):
    response = await probe.post("/api/v1/probe", content=b"{not json",
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert _envelope(response)["code"] == "validation_error"


async def test_valid_input_passes(probe):
    response = await probe.post("/api/v1/probe", json={"amount": "1000.00", "kind": "consumer"})
    assert response.status_code == 200
    assert response.json() == {"amount": "1000.00"}


async def test_domain_errors_carry_their_status_and_fields(probe):
    assert (await probe.get("/api/v1/conflict")).status_code == 409
    missing = await probe.get("/api/v1/missing", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert _envelope(missing)["fields"] == {"lead_id": "Invalid value."}


async def test_rate_limits_say_when_to_retry(probe):
    response = await probe.get("/api/v1/slow-down", headers={"Accept-Language": "en"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "42"
    error = _envelope(response)
    assert "42 seconds" in error["message"] and error["retry_after"] == 42


async def test_unexpected_errors_hide_their_details(probe):
    response = await probe.get("/api/v1/bug")
    assert response.status_code == 500
    error = _envelope(response)
    assert error["code"] == "internal_error"
    assert "hunter2" not in response.text and "Traceback" not in response.text
