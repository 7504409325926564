"""Money input is exact (issue 12, point 4): every amount a client sends is ASCII digits with an
optional point and at most two decimals, or a JSON number with at most two decimals. Anything
else is a 422 naming the field, and nothing is written; nothing is read loosely or rounded."""

from __future__ import annotations

import json

import pytest
from fastapi.routing import APIRoute

from ofair_app.api import create_api
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.models import Proposal
from tests.api.test_leads_api import API, auth, consumer_body, post_lead
from tests.api.test_proposals_api import count, offer
from tests.factories import make_professional, make_user

# What a client might send for an amount, each refused: other digit scripts, underscores,
# spaces, exponents, signs, missing digits, too many decimals, not a number at all.
NOT_AMOUNTS = ["١٢٣", "۱۲۳", "１２３", "1_000", " 100 ", "100 ", "1e3", "1E3", "-100", "+100",
               "100.", ".5", "100.001", "1,000", "0x64", "NaN", "Infinity", "", "₪100",
               1.0000001, 100.001, True, None, [100], {"amount": 100}]


def raw_json(body: dict, **numbers: str) -> bytes:
    """`body` as JSON, with some values written as literal JSON numbers (no float on the way)."""
    text = json.dumps({**body, **{name: f"@{name}@" for name in numbers}}, ensure_ascii=False)
    for name, literal in numbers.items():
        text = text.replace(f'"@{name}@"', literal)
    return text.encode()


@pytest.fixture
async def open_lead(client):
    consumer = make_user(name="רונית לקוחה")
    _, owner = make_professional(business_name="אינסטלציה אלון")
    lead = await post_lead(client, consumer, consumer_body())
    return lead, owner


@pytest.mark.parametrize("price", NOT_AMOUNTS)
async def test_a_price_that_is_not_exactly_an_amount_is_422(client, open_lead, price) -> None:
    lead, owner = open_lead
    response = await client.post(f"{API}/leads/{lead['id']}/proposals", json=offer(price=price),
                                 headers={**auth(owner), "Accept-Language": "en"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"price"}
    if price is not None:
        assert error["fields"]["price"].startswith("Enter an amount in shekels")
    assert count(Proposal) == 0


@pytest.mark.parametrize("literal", ["100.0000000000000001", "1.0000001", "600.001",
                                     "6.00e2000", "NaN", "-600"])
async def test_a_json_number_with_more_than_two_decimals_is_not_rounded(client, open_lead,
                                                                         literal) -> None:
    lead, owner = open_lead
    response = await client.post(
        f"{API}/leads/{lead['id']}/proposals", content=raw_json(offer(), price=literal),
        headers={**auth(owner), "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]["fields"]) == {"price"}
    assert count(Proposal) == 0


@pytest.mark.parametrize(("literal", "stored"), [("600", "600.00"), ("600.5", "600.50"),
                                                 ("600.25", "600.25"), ("600.250", "600.25"),
                                                 ("6e2", "600.00"), ('"600.25"', "600.25"),
                                                 ('"600"', "600.00")])
async def test_exact_amounts_are_taken_as_sent(client, open_lead, literal, stored) -> None:
    lead, owner = open_lead
    response = await client.post(
        f"{API}/leads/{lead['id']}/proposals", content=raw_json(offer(), price=literal),
        headers={**auth(owner), "Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["price"] == stored


@pytest.mark.parametrize("budget", ["١٢٣٤", "1_000", " 1000 ", 1000.0000001])
async def test_a_lead_budget_follows_the_same_rule(client, budget) -> None:
    consumer = make_user(name="רונית לקוחה")
    response = await client.post(f"{API}/leads", json=consumer_body(budget=budget),
                                 headers=auth(consumer))
    assert response.status_code == 422, response.text
    assert "budget" in response.json()["error"]["fields"]


@pytest.mark.parametrize("share", ["٢٠", "2_0", " 20", 20.001])
async def test_a_referrer_share_is_exact_too(client, share) -> None:
    response = await client.get(f"{API}/commission/preview",
                                params={"amount": "1000", "referrer_share_percentage": share})
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]["fields"]) == {"referrer_share_percentage"}


@pytest.mark.parametrize("amount", ["١٠٠٠", "1_000", " 1000", "1e3", "1000.001"])
async def test_query_amounts_are_exact(client, amount) -> None:
    preview = await client.get(f"{API}/commission/preview", params={"amount": amount})
    assert preview.status_code == 422 and set(preview.json()["error"]["fields"]) == {"amount"}
    board = await client.get(f"{API}/leads/public", params={"budget_min": amount})
    assert board.status_code == 422 and set(board.json()["error"]["fields"]) == {"budget_min"}
    ok = await client.get(f"{API}/commission/preview", params={"amount": "1000.50"})
    assert ok.status_code == 200 and ok.json()["final_amount"] == "1000.50"


async def test_a_withdrawal_amount_is_exact(client) -> None:
    business, owner = make_professional(business_name="אינסטלציה אלון")
    response = await client.post(
        f"{API}/wallets/{business.id}/withdraw",
        headers={**auth(owner), "Content-Type": "application/json"},
        content=raw_json({"bank_code": "12", "branch": "608", "account": "123456",
                          "account_holder": "אלון לוי"}, amount="100.0000000000000001"))
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]["fields"]) == {"amount"}


def test_every_api_route_reads_json_numbers_exactly() -> None:
    """A router added without `route_class=ExactJsonRoute` would read JSON numbers as floats
    (only routes that read a body can be affected)."""
    def api_routes(routes) -> list[APIRoute]:
        found: list[APIRoute] = []
        for route in routes:
            included = getattr(route, "original_router", None)  # an included router
            if included is not None:
                found += api_routes(included.routes)
            elif (isinstance(route, APIRoute) and "{path:path}" not in route.path
                  and route.body_field is not None):
                found.append(route)
        return found

    routes = api_routes(create_api().routes)
    assert routes and all(isinstance(route, ExactJsonRoute) for route in routes), [
        route.path for route in routes if not isinstance(route, ExactJsonRoute)]


async def test_the_openapi_schema_still_renders(client) -> None:
    response = await client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert "price" in json.dumps(response.json()["components"]["schemas"])
