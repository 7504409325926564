"""Site visits and check-in over HTTP: hours, free slots, booking, moving and cancelling, the
calendar file, the client's passes, the duplicate-scan contract as a client reads it, and every
bad input a 422 (or 404/409) that changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from icalendar import Calendar

from ofair_app.db.engine import unit_of_work
from ofair_app.domain import visits as rules
from ofair_app.models import ProposalCreate
from ofair_app.models._base import utcnow
from ofair_app.services import proposals
from tests.factories import caller_for, make_lead, make_professional, make_user, token_for

API = "/api/v1"
HOURS = {"visit_minutes": 60, "capacity": 1,
         "weekly": {str(d): [{"starts": "09:00", "ends": "13:00"}] for d in range(7)},
         "exceptions": []}


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


@pytest.fixture
def deal(db):
    consumer = make_user(name="ליאור")
    lead = make_lead(consumer)
    business, pro = make_professional(business_name="אינסטלציה ליאור")
    with unit_of_work(caller_for(pro)) as session:
        proposals.create_proposal(session=session, caller=caller_for(pro), lead_id=lead.id,
                                  data=ProposalCreate(price="500", description="אגיע לבדוק."))
    return consumer, lead, business, pro


async def _slots(client, business, days_ahead=2):
    day = (rules.local_day(utcnow()) + timedelta(days=days_ahead)).isoformat()
    got = await client.get(f"{API}/professionals/{business.id}/visit-slots",
                           params={"from": day, "days": 1})
    assert got.status_code == 200, got.text
    return got.json()["items"]


async def test_hours_slots_a_booking_a_move_and_the_calendar(client, deal) -> None:
    consumer, lead, business, pro = deal
    assert (await client.get(f"{API}/professionals/{business.id}/visit-hours")
            ).status_code == 404
    put = await client.put(f"{API}/professionals/{business.id}/visit-hours", json=HOURS,
                           headers=bearer(pro))
    assert put.status_code == 200, put.text
    assert put.json()["weekly"]["0"] == [{"starts": "09:00:00", "ends": "13:00:00"}]
    assert (await client.put(f"{API}/professionals/{business.id}/visit-hours", json=HOURS,
                             headers=bearer(consumer))).status_code == 403
    slots = await _slots(client, business)
    assert len(slots) == 4 and all(s["free"] == 1 for s in slots)
    booked = await client.post(f"{API}/leads/{lead.id}/visits",
                               json={"professional_id": str(business.id),
                                     "starts_at": slots[0]["starts_at"]},
                               headers=bearer(consumer))
    assert booked.status_code == 201, booked.text
    visit = booked.json()
    assert visit["status"] == "booked" and visit["changeable"]
    assert len(await _slots(client, business)) == 3
    moved = await client.post(f"{API}/visits/{visit['id']}/reschedule",
                              json={"starts_at": slots[2]["starts_at"]}, headers=bearer(pro))
    assert moved.status_code == 200 and moved.json()["starts_at"] != visit["starts_at"]
    ics = await client.get(moved.json()["ics_url"].split("localhost:3000", 1)[-1])
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(ics.content).walk("VEVENT")
    assert event.decoded("dtstart").isoformat().startswith(slots[2]["starts_at"][:16])
    listed = (await client.get(f"{API}/leads/{lead.id}/visits", headers=bearer(pro))).json()
    assert [v["id"] for v in listed["items"]] == [visit["id"]]
    cancelled = await client.post(f"{API}/visits/{visit['id']}/cancel",
                                  headers=bearer(consumer))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await client.post(f"{API}/visits/{visit['id']}/cancel", headers=bearer(consumer))
    assert again.status_code == 409


async def test_the_duplicate_scan_contract(client, deal) -> None:
    consumer, lead, business, pro = deal
    await client.put(f"{API}/professionals/{business.id}/visit-hours", json=HOURS,
                     headers=bearer(pro))
    slot = (await _slots(client, business))[0]
    await client.post(f"{API}/leads/{lead.id}/visits", headers=bearer(consumer),
                      json={"professional_id": str(business.id), "starts_at": slot["starts_at"]})
    [shown] = (await client.get(f"{API}/leads/{lead.id}/check-in-passes",
                                headers=bearer(consumer))).json()["items"]
    assert (await client.get(f"{API}/leads/{lead.id}/check-in-passes",
                             headers=bearer(pro))).json()["items"] == []
    token = shown["link"].split("t=")[1]
    first = await client.post(f"{API}/check-ins", json={"token": token, "place": "בחצר"},
                              headers=bearer(pro))
    assert first.status_code == 201, first.text
    second = await client.post(f"{API}/check-ins", json={"code": shown["code"]},
                               headers=bearer(pro))
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "already_checked_in"
    assert error["checked_in_at"][:19] == first.json()["checked_in_at"][:19]
    assert error["checked_in_by"] == first.json()["checked_in_by"]
    seen = (await client.get(f"{API}/leads/{lead.id}/check-ins", headers=bearer(consumer))
            ).json()["items"]
    assert [c["place"] for c in seen] == ["בחצר"]


@pytest.mark.parametrize(("change", "field"), [
    ({"visit_minutes": 62}, "visit_minutes"), ({"visit_minutes": 5}, "visit_minutes"),
    ({"visit_minutes": "60"}, "visit_minutes"), ({"capacity": 0}, "capacity"),
    ({"capacity": True}, "capacity"), ({"weekly": {"7": []}}, "weekly.7.[key]"),
    ({"weekly": {"1": [{"starts": "25:00", "ends": "26:00"}]}}, "weekly.1.0.starts"),
    ({"weekly": {"1": [{"starts": "12:00", "ends": "09:00"}]}}, "weekly.1.0"),
    ({"weekly": {"1": [{"starts": "09:00", "ends": "12:00", "x": 1}]}}, "weekly.1.0.x"),
    ({"exceptions": [{"day": "2020-02-30"}]}, "exceptions.0.day"),
    ({"exceptions": [{"day": "2020-01-01"}]}, "exceptions.0.day"),
    ({"extra": 1}, "extra"),
], ids=["minutes-odd", "minutes-short", "minutes-text", "capacity-0", "capacity-bool",
        "weekday-7", "time-25", "backwards", "extra-in-hours", "bad-date", "past-date",
        "extra"])
async def test_bad_hours_are_a_422_on_the_field(client, deal, change, field) -> None:
    _, _, business, pro = deal
    got = await client.put(f"{API}/professionals/{business.id}/visit-hours",
                           json={**HOURS, **change}, headers=bearer(pro))
    assert got.status_code == 422, got.text
    fields = got.json()["error"]["fields"]
    assert any(name.startswith(field.split(".[")[0]) for name in fields), fields
    assert (await client.get(f"{API}/professionals/{business.id}/visit-hours")
            ).status_code == 404


async def test_bad_bookings_and_parameters(client, deal) -> None:
    consumer, lead, business, pro = deal
    await client.put(f"{API}/professionals/{business.id}/visit-hours", json=HOURS,
                     headers=bearer(pro))
    slot = (await _slots(client, business))[0]
    url = f"{API}/leads/{lead.id}/visits"
    for body in ({"professional_id": str(business.id), "starts_at": slot["starts_at"][:19]},
                 {"professional_id": str(business.id), "starts_at": "tomorrow"},
                 {"professional_id": "x", "starts_at": slot["starts_at"]},
                 {"starts_at": slot["starts_at"]}):
        assert (await client.post(url, json=body, headers=bearer(consumer))
                ).status_code == 422, body
    off = slot["starts_at"].replace(":00:00", ":17:00")
    assert (await client.post(url, json={"professional_id": str(business.id),
                                         "starts_at": off}, headers=bearer(consumer))
            ).status_code == 422
    assert (await client.post(f"{API}/leads/{uuid.uuid4()}/visits", headers=bearer(consumer),
                              json={"professional_id": str(business.id),
                                    "starts_at": slot["starts_at"]})).status_code == 404
    for params in ({"days": 0}, {"days": 15}, {"from": "2026-13-01"}):
        assert (await client.get(f"{API}/professionals/{business.id}/visit-slots",
                                 params=params)).status_code == 422, params
    assert (await client.get(f"{API}/visits/{uuid.uuid4()}.ics",
                             params={"token": "nope"})).status_code == 404
    for body in ({}, {"code": "12"}, {"code": "ABCD-EFGH", "lat": 91, "lon": 0},
                 {"code": "ABCD-EFGH", "extra": 1}):
        assert (await client.post(f"{API}/check-ins", json=body, headers=bearer(pro))
                ).status_code == 422, body
    assert (await client.post(f"{API}/check-ins", json={"code": "ABCD-EFGH"},
                              headers=bearer(pro))).status_code == 404
    assert (await client.post(f"{API}/check-ins", json={"code": "ABCD-EFGH"})
            ).status_code == 401
