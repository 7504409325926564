"""A correctly signed webhook whose body is not an event of the expected shape is a 400 in the
envelope, recorded for admins (`GET /admin/payments/webhook-rejections`), and changes nothing
else; an unsigned one is a 400 recorded nowhere."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from ofair_app.adapters.psp import sign
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import PaymentWebhookEvent, UserRole, WebhookRejection
from tests.api.money import deliver
from tests.api.test_leads_api import API, auth
from tests.factories import make_professional, make_user


def _count(model) -> int:
    with unit_of_work(SYSTEM) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _event(**overrides) -> bytes:
    event = {"id": "evt_shape_1", "object": "event", "type": "checkout.session.completed",
             "data": {"object": {"id": "cs_1", "client_reference_id": "x",
                                 "amount_total": 45000, "currency": "ils",
                                 "payment_status": "paid"}}}
    event.update(overrides)
    return json.dumps(event).encode()


MALFORMED = [
    pytest.param(b"not json at all", "not JSON", id="not-json"),
    pytest.param(b"\xff\xfe\x00binary", "not JSON", id="not-utf8"),
    pytest.param(b"[1, 2, 3]", "not an object", id="a-list"),
    pytest.param(b'"a string"', "not an object", id="a-string"),
    pytest.param(b"null", "not an object", id="null"),
    pytest.param(b"{}", "id", id="empty-object"),
    pytest.param(b'{"id": "evt_1", "type": "x", "data": {"object": {"amount_total": NaN}}}',
                 "not JSON", id="nan"),
    pytest.param(_event(id=12345), "id", id="id-not-a-string"),
    pytest.param(_event(id=""), "id", id="id-empty"),
    pytest.param(_event(data="object"), "data", id="data-a-string"),
    pytest.param(_event(data={"object": [1]}), "data.object", id="object-a-list"),
    pytest.param(_event(data={"object": {"amount_total": "45000"}}), "amount_total",
                 id="amount-a-string"),
    pytest.param(_event(data={"object": {"amount_total": 10**30}}), "amount_total",
                 id="amount-huge"),
    pytest.param(_event(data={"object": {"client_reference_id": {"a": 1}}}),
                 "client_reference_id", id="reference-an-object"),
    pytest.param(_event(data={"object": {"payment_intent": "pi_" + "x" * 300}}),
                 "payment_intent", id="intent-too-long"),
    pytest.param(_event(id="evt_\u0000nul"), "stored", id="nul-in-id"),
    pytest.param(_event(data={"object": {"note": "\ud800"}}), "stored", id="lone-surrogate"),
    pytest.param(_event(type="charge.refunded", data={"object": {"object": "charge"}}),
                 "amount_refunded", id="refund-without-amount"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "not JSON", id="nested-deep"),
]


@pytest.mark.parametrize(("payload", "reason"), MALFORMED)
async def test_a_signed_body_of_the_wrong_shape_is_a_400_recorded_for_admins(
        client, payload, reason):
    response = await deliver(client, payload)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "malformed_event" and error["message"]
    assert _count(PaymentWebhookEvent) == 0
    with unit_of_work(SYSTEM) as session:
        rejection = session.exec(select(WebhookRejection)).one()
    assert reason in rejection.reason
    assert rejection.body_bytes == len(payload)
    assert "\x00" not in rejection.body_excerpt and len(rejection.body_excerpt) <= 2000


async def test_an_unsigned_or_badly_signed_body_is_a_400_and_recorded_nowhere(client):
    payload = b"[1, 2, 3]"
    for signature in ("", "t=1,v1=deadbeef", "garbage", sign(payload, secret="not-ours")):
        response = await deliver(client, payload, signature)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_signature"
    response = await client.post(f"{API}/payments/webhook", content=payload)
    assert response.status_code == 400
    assert _count(WebhookRejection) == 0


async def test_admins_see_rejected_webhooks_and_others_do_not(client):
    await deliver(client, b"<html>not an event</html>")
    admin = make_user(role=UserRole.admin, name="מנהלת")
    response = await client.get(f"{API}/admin/payments/webhook-rejections", headers=auth(admin))
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["reason"] == "not JSON"
    assert item["body_excerpt"] == "<html>not an event</html>"
    assert item["body_bytes"] == 25 and len(item["body_sha256"]) == 64
    flagged = await client.get(f"{API}/admin/payments/flagged", headers=auth(admin))
    assert flagged.status_code == 200
    assert flagged.json()["items"] == []
    assert [r["id"] for r in flagged.json()["webhook_rejections"]] == [item["id"]]
    _, pro = make_professional()
    for path in ("/admin/payments/webhook-rejections", "/admin/payments/flagged"):
        for headers, status in ((auth(pro), 403), (auth(make_user()), 403), ({}, 401)):
            response = await client.get(f"{API}{path}", headers=headers)
            assert response.status_code == status, (path, headers)


async def test_a_well_formed_event_still_goes_through(client):
    response = await deliver(client, _event(type="customer.created"))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert _count(WebhookRejection) == 0
