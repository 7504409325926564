"""The notification center over HTTP: the list with its cursor and unread count, reading one and
all, and the choices (channels and quiet hours) with every bad input refused whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import Notification
from ofair_app.models._base import utcnow
from tests.factories import make_user, token_for

API = "/api/v1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seed(user, count: int) -> None:
    now = utcnow()
    with unit_of_work(SYSTEM) as session:
        for i in range(count):
            session.add(Notification(user_id=user.id, kind="job_paid", event_group="jobs",
                                     title=f"שולם #{i}", link="/pro/wallet",
                                     notified_at=now - timedelta(minutes=i)))


async def test_the_list_pages_with_a_cursor_and_counts_unread(client) -> None:
    user = make_user()
    seed(user, 25)
    headers = bearer(token_for(user))
    first = (await client.get(f"{API}/notifications", params={"limit": 20},
                              headers=headers)).json()
    assert len(first["items"]) == 20 and first["unread"] == 25 and first["next_cursor"]
    item = first["items"][0]
    assert set(item) == {"id", "kind", "event_group", "title", "link", "notified_at", "read_at"}
    assert (item["title"], item["link"], item["read_at"]) == ("שולם #0", "/pro/wallet", None)
    second = (await client.get(f"{API}/notifications",
                               params={"limit": 20, "cursor": first["next_cursor"]},
                               headers=headers)).json()
    assert [i["title"] for i in second["items"]] == [f"שולם #{i}" for i in range(20, 25)]
    assert second["next_cursor"] is None


async def test_reading_one_then_all(client) -> None:
    user = make_user()
    seed(user, 3)
    headers = bearer(token_for(user))
    items = (await client.get(f"{API}/notifications", headers=headers)).json()["items"]
    answer = await client.post(f"{API}/notifications/{items[0]['id']}/read", headers=headers)
    assert answer.status_code == 200 and answer.json()["read_at"]
    listed = (await client.get(f"{API}/notifications", params={"unread_only": "true"},
                               headers=headers)).json()
    assert listed["unread"] == 2 and len(listed["items"]) == 2
    answer = await client.post(f"{API}/notifications/read-all", headers=headers)
    assert answer.json() == {"marked": 2}
    assert (await client.get(f"{API}/notifications", headers=headers)).json()["unread"] == 0


async def test_another_persons_notification_is_not_found_and_anonymous_is_refused(client
                                                                                  ) -> None:
    owner, stranger = make_user(), make_user()
    seed(owner, 1)
    items = (await client.get(f"{API}/notifications",
                              headers=bearer(token_for(owner)))).json()["items"]
    answer = await client.post(f"{API}/notifications/{items[0]['id']}/read",
                               headers=bearer(token_for(stranger)))
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert (await client.get(f"{API}/notifications",
                             headers=bearer(token_for(stranger)))).json()["items"] == []
    for method, path in (("get", "/notifications"), ("post", "/notifications/read-all"),
                         ("post", f"/notifications/{items[0]['id']}/read"),
                         ("get", "/notifications/preferences"),
                         ("put", "/notifications/preferences")):
        answer = await client.request(method, f"{API}{path}", json={})
        assert answer.status_code == 401, path


async def test_preferences_read_and_change(client) -> None:
    user = make_user(email="dana@example.com")
    headers = bearer(token_for(user))
    prefs = (await client.get(f"{API}/notifications/preferences", headers=headers)).json()
    assert set(prefs["channels"]) == {"leads", "proposals", "referrals", "jobs", "money",
                                      "chat", "account"}
    assert prefs["channels"]["proposals"] == {"push": True, "sms": True, "whatsapp": False,
                                              "email": False}
    assert prefs["quiet_hours"] == {"enabled": False, "start": "22:00", "end": "07:00",
                                    "shabbat": False}
    answer = await client.put(f"{API}/notifications/preferences", headers=headers, json={
        "channels": {"proposals": {"email": True}, "chat": {"sms": True}},
        "quiet_hours": {"enabled": True, "start": "23:30", "end": "06:00", "shabbat": True}})
    assert answer.status_code == 200
    changed = answer.json()
    assert changed["channels"]["proposals"]["email"] and changed["channels"]["chat"]["sms"]
    assert changed["channels"]["proposals"]["sms"]  # untouched
    assert changed["quiet_hours"] == {"enabled": True, "start": "23:30", "end": "06:00",
                                      "shabbat": True}


@pytest.mark.parametrize("body", [
    {},
    {"channels": {"nonsense": {"sms": True}}},
    {"channels": {"proposals": {"pigeon": True}}},
    {"channels": {"proposals": {"sms": "yes"}}},
    {"channels": {"proposals": {"sms": 1}}},
    {"channels": {"proposals": True}},
    {"channels": []},
    {"quiet_hours": {"start": "25:00"}},
    {"quiet_hours": {"start": "7:00"}},
    {"quiet_hours": {"end": "07:00:00"}},
    {"quiet_hours": {"enabled": "true"}},
    {"quiet_hours": {"volume": 3}},
    {"quiet_hours": "22:00-07:00"},
    {"channels": {"proposals": {"sms": False}}, "extra": 1},
])
async def test_bad_preferences_are_refused_whole_and_change_nothing(client, body) -> None:
    user = make_user()
    headers = bearer(token_for(user))
    before = (await client.get(f"{API}/notifications/preferences", headers=headers)).json()
    answer = await client.put(f"{API}/notifications/preferences", headers=headers, json=body)
    assert answer.status_code == 422, body
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and error["message"]
    after = (await client.get(f"{API}/notifications/preferences", headers=headers)).json()
    assert after == before


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 51}, {"limit": "x"},
                                    {"cursor": "not-a-cursor"}, {"unread_only": "maybe"}])
async def test_bad_list_parameters_are_422(client, params) -> None:
    answer = await client.get(f"{API}/notifications", params=params,
                              headers=bearer(token_for(make_user())))
    assert answer.status_code == 422, params


async def test_a_malformed_id_is_422(client) -> None:
    answer = await client.post(f"{API}/notifications/not-a-uuid/read",
                               headers=bearer(token_for(make_user())))
    assert answer.status_code == 422
