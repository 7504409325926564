"""API tests: httpx against the ASGI app, in process."""

import json
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.types import ASGIApp

from ofair_app.observability import logs
from ofair_app.settings import Settings, get_settings
from ofair_app.web.security import standalone_api
from tests.api.money import initiate
from tests.api.test_leads_api import API, auth, post_lead, pro_body
from tests.api.test_proposals_api import propose
from tests.factories import make_professional, make_user

_built: dict[str, tuple[Settings, ASGIApp]] = {}


def _api() -> ASGIApp:
    """`standalone_api()` for the settings in force: building it takes a quarter of a second
    (every route's schemas), so tests share one until a test changes the settings."""
    settings = get_settings()
    built = _built.get("api")
    if built is None or built[0] is not settings:
        built = _built["api"] = (settings, standalone_api())
    return built[1]


@pytest.fixture
async def client(db) -> AsyncIterator[httpx.AsyncClient]:
    """The API as `python -m ofair_app api` serves it: inside the security headers middleware."""
    transport = httpx.ASGITransport(app=_api(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


# --- log lines: what the app logs while a test runs ----------------------------------------


class Lines(logging.Handler):
    """Every line the app logs while the test runs, as the JSON the production log holds."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[dict] = []
        self.addFilter(logs.WorkFilter())
        self.setFormatter(logs.formatter("json"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def of(self, request_id: str) -> list[dict]:
        return [line for line in self.lines if line.get("request_id") == request_id]


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    root = logging.getLogger()
    handler, level = Lines(), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# --- money: two businesses and a consumer, DESIGN.md's example deal, and its payment ------


@pytest.fixture
def parties(db):
    referrer_business, referrer = make_professional(business_name="שיפוצי רם")
    performer_business, performer = make_professional(business_name="אינסטלציה אלון")
    return {"referrer": (referrer_business, referrer),
            "performer": (performer_business, performer),
            "consumer": make_user(name="רונית לקוחה")}


@pytest.fixture
async def referral_deal(client, parties):
    """DESIGN.md's example: a pro lead at 1,000.00 with a 20% share, won by another business."""
    (r_business, referrer), (_, performer) = parties["referrer"], parties["performer"]
    lead = await post_lead(client, referrer, pro_body(r_business.id, budget="1000",
                                                      referrer_share_percentage="20"))
    proposal = await propose(client, performer, lead["id"], price="1000")
    accepted = await client.post(f"{API}/proposals/{proposal['id']}/accept",
                                 headers=auth(referrer))
    assert accepted.status_code == 200
    return lead, proposal


@pytest.fixture
async def pending(client, parties, referral_deal):
    _, proposal = referral_deal
    return (await initiate(client, parties["referrer"][1], proposal["id"])).json()


