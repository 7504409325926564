"""Chat and push devices over HTTP: the threads of a lead, a thread's messages with a cursor,
writing, the read receipt, and every bad input refused with its status and nothing written."""

from __future__ import annotations

import base64
import os

import pytest

from ofair_app.models import ProposalCreate
from ofair_app.services import proposals
from tests.factories import caller_for, make_lead, make_professional, make_user, token_for

API = "/api/v1"


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


@pytest.fixture
def deal(db):
    from ofair_app.db.engine import unit_of_work

    consumer = make_user(name="מיכל")
    lead = make_lead(consumer)
    business, pro = make_professional(business_name="גינון ירוק")
    caller = caller_for(pro)
    with unit_of_work(caller) as session:
        proposals.create_proposal(session=session, caller=caller, lead_id=lead.id,
                                  data=ProposalCreate(price="900", description="גיזום ושתילה.",
                                                      professional_id=business.id))
    return consumer, pro, lead


async def test_a_conversation_over_http(client, deal) -> None:
    consumer, pro, lead = deal
    [thread] = (await client.get(f"{API}/leads/{lead.id}/threads",
                                 headers=bearer(pro))).json()["items"]
    assert thread["business_name"] == "גינון ירוק" and thread["side"] == "pro"
    assert thread["masked"] and thread["writable"] and thread["last_message"] is None
    url = f"{API}/threads/{thread['id']}/messages"
    sent = await client.post(url, json={"body": "אפשר להתקשר 050-7654321?"},
                             headers=bearer(pro))
    assert sent.status_code == 201
    assert sent.json()["mine"] and "7654321" not in sent.json()["body"]
    for n in range(3):
        await client.post(url, json={"body": f"תשובה {n}"}, headers=bearer(consumer))
    page = (await client.get(url, params={"limit": 2}, headers=bearer(consumer))).json()
    assert [m["body"] for m in page["items"]] == ["תשובה 2", "תשובה 1"] and page["next_cursor"]
    rest = (await client.get(url, params={"limit": 2, "cursor": page["next_cursor"]},
                             headers=bearer(consumer))).json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    [mine] = (await client.get(f"{API}/leads/{lead.id}/threads",
                               headers=bearer(pro))).json()["items"]
    assert mine["unread"] == 3
    read = await client.post(f"{API}/threads/{thread['id']}/read", headers=bearer(pro))
    assert read.json() == {"marked": 3}
    seen = (await client.get(url, headers=bearer(consumer))).json()["items"]
    assert all(m["read_at"] for m in seen if m["mine"])


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body"), ({"body": ""}, "body"), ({"body": "x" * 2001}, "body"),
    ({"body": 5}, "body"), ({"body": "a\u0000b"}, "body"), ({"body": "ok", "extra": 1}, "extra"),
])
async def test_bad_messages_are_422_and_nothing_is_written(client, deal, body, field) -> None:
    _consumer, pro, lead = deal
    [thread] = (await client.get(f"{API}/leads/{lead.id}/threads",
                                 headers=bearer(pro))).json()["items"]
    url = f"{API}/threads/{thread['id']}/messages"
    answer = await client.post(url, json=body, headers=bearer(pro))
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert (await client.get(url, headers=bearer(pro))).json()["items"] == []


async def test_who_may_not(client, deal) -> None:
    _consumer, pro, lead = deal
    [thread] = (await client.get(f"{API}/leads/{lead.id}/threads",
                                 headers=bearer(pro))).json()["items"]
    url = f"{API}/threads/{thread['id']}/messages"
    stranger = make_user()
    assert (await client.get(url)).status_code == 401
    assert (await client.post(url, json={"body": "x"})).status_code == 401
    assert (await client.get(url, headers=bearer(stranger))).status_code == 404
    assert (await client.post(url, json={"body": "x"},
                              headers=bearer(stranger))).status_code == 404
    assert (await client.post(f"{API}/threads/{thread['id']}/read",
                              headers=bearer(stranger))).status_code == 404
    assert (await client.get(f"{API}/leads/{lead.id}/threads",
                             headers=bearer(stranger))).json()["items"] == []
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        answer = await client.get(f"{API}/threads/{bad}/messages", headers=bearer(pro))
        assert answer.status_code in (404, 422)
    for params in ({"limit": 0}, {"limit": 101}, {"cursor": "garbage"}, {"limit": "x"}):
        answer = await client.get(url, params=params, headers=bearer(pro))
        assert answer.status_code == 422, params


def _b64(size: int, first: bytes = b"") -> str:
    return base64.urlsafe_b64encode(first + os.urandom(size - len(first))).decode().rstrip("=")


async def test_push_devices_over_http(client, db) -> None:
    user = make_user()
    key = (await client.get(f"{API}/push/key")).json()["public_key"]
    assert len(base64.urlsafe_b64decode(key + "==")) == 65
    body = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
            "expirationTime": None, "keys": {"p256dh": _b64(65, b"\x04"), "auth": _b64(16)}}
    assert (await client.post(f"{API}/push/subscriptions", json=body)).status_code == 401
    made = await client.post(f"{API}/push/subscriptions", json=body, headers=bearer(user))
    assert made.status_code == 201 and made.json()["endpoint"] == body["endpoint"]
    again = await client.post(f"{API}/push/subscriptions", json=body, headers=bearer(user))
    assert again.json()["id"] == made.json()["id"]
    for bad, field in (({**body, "endpoint": "http://evil.example/x"}, "endpoint"),
                       ({**body, "keys": {**body["keys"], "p256dh": _b64(32)}}, "p256dh"),
                       ({**body, "keys": {**body["keys"], "auth": "!!!notbase64!!!"}}, "auth"),
                       ({**body, "keys": {"p256dh": body["keys"]["p256dh"]}}, "auth")):
        answer = await client.post(f"{API}/push/subscriptions", json=bad, headers=bearer(user))
        assert answer.status_code == 422 and field in answer.text, bad
    gone = await client.post(f"{API}/push/subscriptions/delete",
                             json={"endpoint": body["endpoint"]}, headers=bearer(user))
    assert gone.status_code == 204
