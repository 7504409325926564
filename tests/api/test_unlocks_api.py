"""Unlocks over REST (issue 21 points 2-4): `POST /leads/{id}/unlock`, `GET /leads/{id}/unlocks`,
`GET /unlocks`, `POST /unlocks/{id}/refund-claim`, the client's link and the admins' queue and
decisions, each with every refusal it can answer, translated, and nothing half-written."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import LeadUnlock, OutboxMessage, UnlockRefundClaim, UserRole
from tests.api.test_leads_api import API, auth, error_of
from tests.factories import (
    add_member,
    consumer_lead_data,
    make_lead,
    make_professional,
    make_user,
    save_card,
)


@pytest.fixture
def business(db):
    professional, owner = make_professional(business_name="אינסטלציה אלון")
    save_card(owner, professional)
    return professional, owner


@pytest.fixture
def direct(db):
    consumer = make_user(name="רונית לקוחה")
    return consumer, make_lead(consumer, consumer_lead_data(direct_contact=True))


def _rows(model) -> int:
    with unit_of_work(SYSTEM) as session:
        return len(session.exec(select(model.id)).all())


async def test_an_owner_unlocks_reads_the_contact_and_the_consumer_sees_who(
        client, business, direct) -> None:
    professional, owner = business
    consumer, lead = direct
    seen = await client.get(f"{API}/leads/{lead.id}", headers=auth(owner))
    body = seen.json()
    assert body["direct_contact"] is True and body["can_view_contact"] is False
    assert body["unlock"] == {"price_before_vat": "25.00", "vat": "4.50", "price": "29.50",
                              "places_left": 3, "max_unlocks": 3}
    error_of(await client.get(f"{API}/leads/{lead.id}/contact", headers=auth(owner)), 403,
             "contact_forbidden")
    board = await client.get(f"{API}/leads/public")
    [card] = [c for c in board.json()["items"] if c["id"] == str(lead.id)]
    assert card["direct_contact"] is True and card["unlock"]["places_left"] == 3

    done = await client.post(f"{API}/leads/{lead.id}/unlock", headers=auth(owner),
                             json={"professional_id": str(professional.id)})
    assert done.status_code == 200, done.text
    unlocked = done.json()
    assert (unlocked["status"], unlocked["pay_with"], unlocked["amount"]) == (
        "succeeded", "card", "29.50")
    again = await client.post(f"{API}/leads/{lead.id}/unlock", headers=auth(owner), json={})
    assert again.json()["id"] == unlocked["id"] and _rows(LeadUnlock) == 1

    contact = await client.get(f"{API}/leads/{lead.id}/contact", headers=auth(owner))
    assert contact.status_code == 200 and contact.json()["client_phone"] == consumer.phone
    assert (await client.get(f"{API}/leads/{lead.id}", headers=auth(owner))).json()[
        "can_view_contact"] is True

    mine = await client.get(f"{API}/unlocks", headers=auth(owner))
    [row] = mine.json()
    assert (row["lead_id"], row["status"], row["claim"]) == (str(lead.id), "succeeded", None)
    assert row["claim_until"] is not None and row["tax_document_id"] is not None

    who = await client.get(f"{API}/leads/{lead.id}/unlocks", headers=auth(consumer))
    [seen_by_consumer] = who.json()
    assert seen_by_consumer["business_name"] == "אינסטלציה אלון"
    # the consumer learns who, not what the business paid or its documents
    assert seen_by_consumer["amount"] == "0" and seen_by_consumer["tax_document_id"] is None


async def test_unlock_refusals_are_translated_and_write_nothing(client, business, direct,
                                                                db) -> None:
    professional, owner = business
    consumer, lead = direct
    error_of(await client.post(f"{API}/leads/{lead.id}/unlock", json={}), 401)
    bad = await client.post(f"{API}/leads/{lead.id}/unlock", headers=auth(owner),
                            json={"pay_with": "cash"})
    assert bad.status_code == 422 and "pay_with" in str(bad.json())
    error_of(await client.post(f"{API}/leads/{uuid.uuid4()}/unlock", headers=auth(owner),
                               json={}), 404)
    error_of(await client.post(f"{API}/leads/not-an-id/unlock", headers=auth(owner),
                               json={}), 422)
    plain = make_lead(consumer)
    error_of(await client.post(f"{API}/leads/{plain.id}/unlock", headers=auth(owner),
                               json={}), 409, "not_direct_contact")
    poor = await client.post(f"{API}/leads/{lead.id}/unlock", headers=auth(owner),
                             json={"pay_with": "balance"})
    error_of(poor, 409, "insufficient_funds")
    _, no_card_owner = make_professional(business_name="בלי כרטיס")
    error_of(await client.post(f"{API}/leads/{lead.id}/unlock", headers=auth(no_card_owner),
                               json={}), 409, "no_card")
    staff = make_user(name="עובד")
    add_member(professional, owner, staff)
    error_of(await client.post(f"{API}/leads/{lead.id}/unlock", headers=auth(staff),
                               json={"professional_id": str(professional.id)}), 403)
    assert _rows(LeadUnlock) == 0


async def test_a_claim_the_client_confirms_and_the_admins_queue(client, business,
                                                               direct) -> None:
    _professional, owner = business
    _, lead = direct
    unlocked = (await client.post(f"{API}/leads/{lead.id}/unlock", headers=auth(owner),
                                  json={})).json()
    url = f"{API}/unlocks/{unlocked['id']}/refund-claim"
    bad = await client.post(url, headers=auth(owner), json={"reason": "too_expensive"})
    assert bad.status_code == 422 and "reason" in str(bad.json())
    long = await client.post(url, headers=auth(owner),
                             json={"reason": "never_asked", "note": "x" * 501})
    assert long.status_code == 422 and _rows(UnlockRefundClaim) == 0
    _other, other_owner = make_professional(business_name="עסק זר")
    error_of(await client.post(url, headers=auth(other_owner), json={"reason": "unreachable"}),
             404)
    claimed = await client.post(url, headers=auth(owner),
                                json={"reason": "never_asked", "note": "אמר שלא פנה"})
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["status"] == "open"
    error_of(await client.post(url, headers=auth(owner), json={"reason": "duplicate"}), 409,
             "already_claimed")

    admin = make_user(role=UserRole.admin)
    error_of(await client.get(f"{API}/admin/unlock-claims", headers=auth(owner)), 403)
    queue = await client.get(f"{API}/admin/unlock-claims", headers=auth(admin))
    [row] = queue.json()
    assert row["claim"]["reason"] == "never_asked" and row["number_in_service"] is True
    assert (await client.get(f"{API}/admin/unlock-claims?status=nonsense",
                             headers=auth(admin))).status_code == 422

    with unit_of_work(SYSTEM) as session:
        body = session.exec(select(OutboxMessage.body).where(
            OutboxMessage.template == "unlock_check")).one()
    token = body.rsplit("/unlock-check/", 1)[1].split()[0]
    error_of(await client.get(f"{API}/unlock-checks/{'a' * 32}"), 404)
    assert (await client.get(f"{API}/unlock-checks/bad%20token")).status_code == 422
    check = await client.get(f"{API}/unlock-checks/{token}")
    assert check.json() == {"lead_title": lead.title, "business_name": "אינסטלציה אלון",
                            "answer": None, "open": True}
    wrong = await client.post(f"{API}/unlock-checks/{token}", json={"answer": "maybe"})
    assert wrong.status_code == 422
    answered = await client.post(f"{API}/unlock-checks/{token}",
                                 json={"answer": "never_asked"})
    assert answered.json()["answer"] == "never_asked" and answered.json()["open"] is False
    claim_id = claimed.json()["id"]
    error_of(await client.post(f"{API}/admin/unlock-claims/{claim_id}/decide",
                               headers=auth(admin), json={"approve": False, "note": "לא"}),
             409, "already_decided")
    [row] = (await client.get(f"{API}/unlocks", headers=auth(owner))).json()
    assert (row["status"], row["claim"]["status"], row["claim"]["decided_how"]) == (
        "refunded", "refunded", "client_confirmed")
    error_of(await client.get(f"{API}/leads/{lead.id}/contact", headers=auth(owner)), 403,
             "contact_forbidden")


async def test_an_admin_rejects_with_a_reason_and_refunds(client, business, direct) -> None:
    _professional, owner = business
    _, lead = direct
    unlocked = (await client.post(f"{API}/leads/{lead.id}/unlock", headers=auth(owner),
                                  json={})).json()
    claim = (await client.post(f"{API}/unlocks/{unlocked['id']}/refund-claim",
                               headers=auth(owner), json={"reason": "unreachable"})).json()
    admin = make_user(role=UserRole.admin)
    decide = f"{API}/admin/unlock-claims/{claim['id']}/decide"
    error_of(await client.post(decide, headers=auth(owner), json={"approve": True}), 403)
    no_reason = await client.post(decide, headers=auth(admin), json={"approve": False})
    assert no_reason.status_code == 422 and "note" in str(no_reason.json())
    error_of(await client.post(f"{API}/admin/unlock-claims/{uuid.uuid4()}/decide",
                               headers=auth(admin), json={"approve": True}), 404)
    refunded = await client.post(decide, headers=auth(admin),
                                 json={"approve": True, "note": "אומת"})
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
