"""Leads for admins over REST (issue 18 point 2): every lead narrowed by status, type,
category, days, owner and performer, in cursor pages; one lead whole with its client's
details (the read logged as a reveal), history, proposals, payment and dispute; nobody but an
admin reads any of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.tax import israel_date
from ofair_app.models import AdminAuditLog, ContactAccessLog, Lead, UserRole
from ofair_app.models._base import utcnow
from tests.api.test_leads_api import API, auth
from tests.factories import (
    make_lead,
    make_paid_job,
    make_professional,
    make_user,
)


@pytest.fixture
def world(db):
    admin = make_user(role=UserRole.admin, name="נועה")
    consumer = make_user(name="רונית", phone="+972521112233")
    other = make_user(name="משה")
    business, performer = make_professional(make_user(name="אלון"),
                                            business_name="אינסטלציה אלון")
    open_lead = make_lead(consumer)
    paid = make_paid_job(consumer, performer, "900", title="החלפת ברז")
    make_lead(other)
    return {"admin": admin, "consumer": consumer, "other": other, "business": business,
            "performer": performer, "open": open_lead, "paid": paid}


async def test_nobody_but_an_admin_reads_leads_here(client, world) -> None:
    for path in ("/admin/leads", f"/admin/leads/{world['open'].id}"):
        assert (await client.get(f"{API}{path}")).status_code == 401
        for user in ("consumer", "performer"):
            answer = await client.get(f"{API}{path}", headers=auth(world[user]))
            assert answer.status_code == 403, (path, user)
    with unit_of_work(SYSTEM) as session:
        assert session.exec(select(ContactAccessLog).where(
            ContactAccessLog.reason == "admin")).all() == []


async def test_leads_narrow_by_status_owner_performer_and_days(client, world) -> None:
    admin = auth(world["admin"])

    async def ids(**params) -> list[str]:
        answer = await client.get(f"{API}/admin/leads", headers=admin, params=params)
        assert answer.status_code == 200, answer.text
        return [lead["id"] for lead in answer.json()["items"]]

    everything = await ids()
    assert len(everything) == 3
    assert await ids(owner="052-111-2233") == [str(world["paid"].id), str(world["open"].id)]
    assert await ids(status="in_progress") == [str(world["paid"].id)]
    assert await ids(performer=world["business"].business_id) == [str(world["paid"].id)]
    assert await ids(performer=str(world["business"].id)) == [str(world["paid"].id)]
    assert await ids(type="professional_referral") == []
    today = israel_date(utcnow())  # days are Israel's
    assert len(await ids(since=str(today), until=str(today))) == 3
    assert await ids(since=str(today + timedelta(days=1))) == []
    assert await ids(owner="nobody@example.com") == []
    pages, cursor = [], None
    while True:
        answer = (await client.get(f"{API}/admin/leads", headers=admin, params={
            "limit": 1, **({"cursor": cursor} if cursor else {})})).json()
        pages += [lead["id"] for lead in answer["items"]]
        cursor = answer["next_cursor"]
        if not cursor:
            break
    assert pages == everything


@pytest.mark.parametrize(("params", "field"), [
    ({"status": "lost"}, "status"), ({"type": "x"}, "type"), ({"since": "2026-13-01"}, "since"),
    ({"since": "2026-12-02", "until": "2026-12-01"}, "until"), ({"owner": "not a phone"}, "who"),
    ({"performer": "abc"}, "performer"), ({"cursor": "zzz"}, "cursor"), ({"limit": "0"}, "limit"),
])
async def test_a_bad_narrowing_is_a_clear_422(client, world, params, field) -> None:
    answer = await client.get(f"{API}/admin/leads", headers=auth(world["admin"]), params=params)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"], answer.json()


async def test_a_lead_whole_and_its_client_read_is_logged(client, world) -> None:
    paid = world["paid"]
    answer = await client.get(f"{API}/admin/leads/{paid.id}", headers={
        **auth(world["admin"]), "User-Agent": "admin-browser"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["lead"]["id"] == str(paid.id) and body["lead"]["status"] == "in_progress"
    assert body["client"]["client_phone"]
    assert [p["status"] for p in body["proposals"]] == ["accepted"]
    assert body["payment"]["amounts"]["final_amount"] == "900.00"
    assert body["dispute"] is None
    assert "proposal_accepted" in [event["event"] for event in body["history"]]
    with unit_of_work(SYSTEM) as session:
        [logged] = session.exec(select(ContactAccessLog).where(
            ContactAccessLog.reason == "admin")).all()
    assert (logged.lead_id, logged.user_id, logged.user_agent) == (
        paid.id, world["admin"].id, "admin-browser")
    missing = await client.get(f"{API}/admin/leads/00000000-0000-4000-8000-000000000000",
                               headers=auth(world["admin"]))
    assert missing.status_code == 404


# --- moderation ----------------------------------------------------------------------------


async def _moderate(client, world, step: str, lead_id, reason: str = "מספר טלפון בתיאור",
                    user: str = "admin"):
    return await client.post(f"{API}/admin/leads/{lead_id}/{step}", headers=auth(world[user]),
                             json={"reason": reason})


async def test_a_hidden_lead_leaves_the_board_refuses_offers_and_its_owner_is_told(
        client, world) -> None:
    from tests.api.test_leads_api import public_ids
    from tests.api.test_proposals_api import messages_to, offer

    lead = world["open"]
    assert str(lead.id) in await public_ids(client)
    answer = await _moderate(client, world, "hide", lead.id)
    assert answer.status_code == 200, answer.text
    assert answer.json()["hidden"] is True
    assert answer.json()["hidden_reason"] == "מספר טלפון בתיאור"
    assert str(lead.id) not in await public_ids(client)
    assert messages_to(world["consumer"], "lead_hidden") == 1
    # a business may not offer on it; its owner sees why, a business does not
    refused = await client.post(f"{API}/leads/{lead.id}/proposals", json=offer(),
                                headers=auth(world["performer"]))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "lead_hidden"
    seen = (await client.get(f"{API}/leads/{lead.id}", headers=auth(world["performer"]))).json()
    assert seen["hidden"] is True and seen["hidden_reason"] is None
    assert "propose" not in seen["actions"]
    mine = (await client.get(f"{API}/leads/{lead.id}", headers=auth(world["consumer"]))).json()
    assert mine["hidden_reason"] == "מספר טלפון בתיאור"
    assert "choose_proposal" not in mine["actions"]
    # hiding again changes nothing and tells nobody twice
    assert (await _moderate(client, world, "hide", lead.id)).status_code == 200
    assert messages_to(world["consumer"], "lead_hidden") == 1
    listed = (await client.get(f"{API}/admin/leads", headers=auth(world["admin"]),
                               params={"hidden": "true"})).json()["items"]
    assert [item["id"] for item in listed] == [str(lead.id)]

    restored = await _moderate(client, world, "restore", lead.id, "התיאור תוקן")
    assert restored.status_code == 200 and restored.json()["hidden"] is False
    assert str(lead.id) in await public_ids(client)
    assert messages_to(world["consumer"], "lead_restored") == 1
    again = await client.post(f"{API}/leads/{lead.id}/proposals", json=offer(),
                              headers=auth(world["performer"]))
    assert again.status_code == 201, again.text
    with unit_of_work(SYSTEM) as session:
        rows = session.exec(select(AdminAuditLog).where(
            AdminAuditLog.subject_id == str(lead.id)).order_by(AdminAuditLog.id)).all()
    assert [(row.action, row.detail["before"]["hidden_reason"], row.detail["after"][
        "hidden_reason"]) for row in rows] == [
        ("lead.hide", None, "מספר טלפון בתיאור"), ("lead.restore", "מספר טלפון בתיאור", None)]
    assert rows[0].detail["reason"] == "מספר טלפון בתיאור"


async def test_only_an_admin_moderates_and_only_an_open_lead_is_hidden(client, world) -> None:
    lead = world["open"]
    for step in ("hide", "restore"):
        anonymous = await client.post(f"{API}/admin/leads/{lead.id}/{step}",
                                      json={"reason": "ספאם ברור"})
        assert anonymous.status_code == 401
        for user in ("consumer", "performer", "other"):
            answer = await _moderate(client, world, step, lead.id, user=user)
            assert answer.status_code == 403, (step, user)
    closed = await _moderate(client, world, "hide", world["paid"].id)
    assert closed.status_code == 409, closed.text
    short = await _moderate(client, world, "hide", lead.id, reason="x")
    assert short.status_code == 422 and "reason" in short.json()["error"]["fields"]
    missing = await _moderate(client, world, "hide", "00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    with unit_of_work(SYSTEM) as session:
        assert session.get(Lead, lead.id).hidden_at is None
        assert session.exec(select(AdminAuditLog).where(
            AdminAuditLog.action.startswith("lead."))).all() == []


def test_the_owner_cannot_hide_or_unhide_a_lead_even_past_the_service(world) -> None:
    """The database refuses it (leads_moderation_guard), whatever the application does."""
    import sqlalchemy.exc

    from tests.factories import caller_for

    lead = world["open"]
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="only the platform"), \
            unit_of_work(caller_for(world["consumer"])) as session:
        session.execute(text("UPDATE leads SET hidden_at = now(), hidden_reason = 'x', "
                             "hidden_by = owner_user_id WHERE id = :id"), {"id": lead.id})
