"""Proposals, acceptance, un-award and referrals through the REST contract: who may do what,
bad input (422 naming the field, nothing written), one winner, the client's details only for the
winner (every grant and revocation logged), the people on the other side told, and referral
terms frozen at the offer."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import func, select

from jobs.runner import run_job
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import Lead, Proposal, Referral, User
from ofair_app.models._base import utcnow
from ofair_app.services import leads as lead_service
from ofair_app.services import referrals as referral_service
from tests.api.test_leads_api import API, auth, consumer_body, post_lead, pro_body
from tests.factories import PNG_BYTES, make_professional, make_user

UA = {"User-Agent": "OfairTest/1.0 (phone)"}


def offer(**overrides) -> dict:
    body = {"price": "600", "description": "אגיע מחר בבוקר עם חלקים מקוריים, אחריות לשנה.",
            "scheduled_date": (utcnow() + timedelta(days=3)).date().isoformat()}
    body.update(overrides)
    return body


def sql(query: str, **params):
    with unit_of_work(SYSTEM) as session:
        return session.execute(text(query), params).all()


def messages_to(user: User, template: str) -> int:
    return sql("SELECT count(*) FROM outbox_messages WHERE user_id = :u AND template = :t",
               u=user.id, t=template)[0][0]


def count(model, **where) -> int:
    with unit_of_work(SYSTEM) as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.exec(query).one()


@pytest.fixture
def people(db):
    consumer = make_user(name="רונית לקוחה")
    pro_a, owner_a = make_professional(business_name="אינסטלציה אלון")
    pro_b, owner_b = make_professional(business_name="שרברבות בן")
    pro_c, owner_c = make_professional(business_name="צנרת כרמל")
    return {"consumer": consumer, "a": (pro_a, owner_a), "b": (pro_b, owner_b),
            "c": (pro_c, owner_c)}


async def propose(client: httpx.AsyncClient, user: User, lead_id: str, **overrides) -> dict:
    response = await client.post(f"{API}/leads/{lead_id}/proposals", json=offer(**overrides),
                                 headers=auth(user))
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def request_with_offers(client, people):
    """A consumer's request with offers from businesses A (600) and B (550)."""
    lead = await post_lead(client, people["consumer"], consumer_body())
    a = await propose(client, people["a"][1], lead["id"])
    b = await propose(client, people["b"][1], lead["id"], price="550.50")
    return lead, a, b


# --- proposing -----------------------------------------------------------------------------


async def test_the_owner_sees_every_offer_with_the_business_profile_a_pro_only_its_own(
        client, people, request_with_offers) -> None:
    lead, a, b = request_with_offers
    seen = (await client.get(f"{API}/leads/{lead['id']}/proposals",
                             headers=auth(people["consumer"]))).json()["items"]
    assert {p["id"] for p in seen} == {a["id"], b["id"]}
    profile = next(p for p in seen if p["id"] == b["id"])["professional"]
    assert profile["business_name"] == "שרברבות בן"
    assert {"rating", "review_count", "completed_jobs", "verified"} <= set(profile)
    assert next(p for p in seen if p["id"] == b["id"])["price"] == "550.50"
    for key in ("a", "b"):
        own = (await client.get(f"{API}/leads/{lead['id']}/proposals",
                                headers=auth(people[key][1]))).json()["items"]
        assert [p["id"] for p in own] == [(a if key == "a" else b)["id"]]
    assert (await client.get(f"{API}/leads/{lead['id']}/proposals",
                             headers=auth(people["c"][1]))).json()["items"] == []
    assert (await client.get(f"{API}/leads/{lead['id']}/proposals")).status_code == 401
    assert (await client.get(f"{API}/leads/{lead['id']}")).json()["proposal_count"] == 2
    assert messages_to(people["consumer"], "proposal_received") == 2


@pytest.mark.parametrize(("overrides", "field"), [
    ({"price": "0"}, "price"), ({"price": "-5"}, "price"), ({"price": "abc"}, "price"),
    ({"price": "10.555"}, "price"), ({"price": "99999999999"}, "price"),
    ({"description": "  "}, "description"), ({"description": "x" * 2001}, "description"),
    ({"scheduled_date": "2020-01-01"}, "scheduled_date"),
])
async def test_a_bad_offer_is_refused_naming_the_field_and_nothing_is_written(
        client, people, overrides, field) -> None:
    lead = await post_lead(client, people["consumer"], consumer_body())
    response = await client.post(f"{API}/leads/{lead['id']}/proposals",
                                 json=offer(**overrides), headers=auth(people["a"][1]))
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]["fields"]
    assert count(Proposal) == 0
    assert messages_to(people["consumer"], "proposal_received") == 0


async def test_every_bad_field_is_named_at_once(client, people) -> None:
    lead = await post_lead(client, people["consumer"], consumer_body())
    response = await client.post(f"{API}/leads/{lead['id']}/proposals",
                                 json=offer(price="0", description="", scheduled_date="2000-01-01"),
                                 headers=auth(people["a"][1]))
    assert set(response.json()["error"]["fields"]) == {"price", "description", "scheduled_date"}


async def test_one_live_offer_per_business_and_a_withdrawn_one_can_be_replaced(
        client, people) -> None:
    lead = await post_lead(client, people["consumer"], consumer_body())
    first = await propose(client, people["a"][1], lead["id"])
    again = await client.post(f"{API}/leads/{lead['id']}/proposals", json=offer(),
                              headers=auth(people["a"][1]))
    assert again.status_code == 409 and again.json()["error"]["code"] == "proposal_exists"
    # another business cannot even see the offer
    assert (await client.post(f"{API}/proposals/{first['id']}/withdraw",
                              headers=auth(people["b"][1]))).status_code == 404
    withdrawn = await client.post(f"{API}/proposals/{first['id']}/withdraw",
                                  headers=auth(people["a"][1]))
    assert withdrawn.json()["status"] == "withdrawn"
    twice = await client.post(f"{API}/proposals/{first['id']}/withdraw",
                              headers=auth(people["a"][1]))
    assert twice.status_code == 409
    assert (await client.get(f"{API}/leads/{lead['id']}")).json()["proposal_count"] == 0
    await propose(client, people["a"][1], lead["id"], price="580")


async def test_no_offer_on_ones_own_lead_or_a_closed_one(client, people) -> None:
    pro_a, owner_a = people["a"]
    own = await post_lead(client, owner_a, pro_body(pro_a.id))
    response = await client.post(f"{API}/leads/{own['id']}/proposals", json=offer(),
                                 headers=auth(owner_a))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "own_lead")
    lead = await post_lead(client, people["consumer"], consumer_body())
    await client.post(f"{API}/leads/{lead['id']}/cancel", headers=auth(people["consumer"]))
    response = await client.post(f"{API}/leads/{lead['id']}/proposals", json=offer(),
                                 headers=auth(owner_a))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "lead_not_open")
    # a consumer without a business has nobody to propose as
    response = await client.post(f"{API}/leads/{own['id']}/proposals", json=offer(),
                                 headers=auth(people["consumer"]))
    assert response.status_code == 422
    assert count(Proposal) == 0


async def test_only_the_proposer_edits_a_pending_offer(client, people,
                                                       request_with_offers) -> None:
    _lead, a, _ = request_with_offers
    edited = await client.put(f"{API}/proposals/{a['id']}", json={"price": "620"},
                              headers=auth(people["a"][1]))
    assert edited.status_code == 200 and edited.json()["price"] == "620.00"
    for user, status in ((people["b"][1], 404), (people["consumer"], 403)):
        response = await client.put(f"{API}/proposals/{a['id']}", json={"price": "1"},
                                    headers=auth(user))
        assert response.status_code == status
    bad = await client.put(f"{API}/proposals/{a['id']}", json={"price": "-1"},
                           headers=auth(people["a"][1]))
    assert bad.status_code == 422


# --- accepting -----------------------------------------------------------------------------


async def test_accepting_awards_the_lead_and_shows_the_client_only_to_the_winner(
        client, people, request_with_offers) -> None:
    lead, a, b = request_with_offers
    consumer, (_, owner_a), (_, owner_b) = people["consumer"], people["a"], people["b"]
    assert (await client.post(f"{API}/proposals/{a['id']}/accept",
                              headers=auth(owner_a))).status_code == 403
    assert (await client.get(f"{API}/leads/{lead['id']}/contact",
                             headers=auth(owner_a))).status_code == 403

    response = await client.post(f"{API}/proposals/{a['id']}/accept",
                                 headers={**auth(consumer), **UA})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lead_status"] == "awarded" and body["proposal"]["status"] == "accepted"
    assert body["performer_professional_id"] == str(people["a"][0].id)

    contact = await client.get(f"{API}/leads/{lead['id']}/contact", headers=auth(owner_a))
    assert contact.status_code == 200 and contact.json()["client_phone"] == "+972501234567"
    refused = await client.get(f"{API}/leads/{lead['id']}/contact", headers=auth(owner_b))
    assert refused.status_code == 403
    as_b = (await client.get(f"{API}/leads/{lead['id']}", headers=auth(owner_b))).json()
    assert "client" not in as_b and not as_b["can_view_contact"]
    statuses = dict(sql("SELECT id::text, status FROM proposals"))
    assert statuses == {a["id"]: "accepted", b["id"]: "rejected"}

    granted = sql("SELECT user_id, professional_id, event, user_agent FROM contact_access_logs"
                  " WHERE event = 'granted'")
    assert granted == [(consumer.id, people["a"][0].id, "granted", UA["User-Agent"])]
    revealed = sql("SELECT professional_id, proposal_id::text, user_id, user_agent, ip"
                   " FROM phone_revelations")
    assert revealed == [(people["a"][0].id, a["id"], consumer.id, UA["User-Agent"],
                         "127.0.0.1")]
    assert sql("SELECT event FROM lead_events") == [("proposal_accepted",)]
    assert messages_to(owner_a, "proposal_accepted") == 1
    assert messages_to(owner_b, "proposal_rejected") == 1
    assert messages_to(owner_a, "proposal_rejected") == 0


async def test_a_second_acceptance_and_late_offers_are_refused(client, people,
                                                               request_with_offers) -> None:
    lead, a, b = request_with_offers
    consumer = people["consumer"]
    await client.post(f"{API}/proposals/{a['id']}/accept", headers=auth(consumer))
    for proposal in (b, a):
        response = await client.post(f"{API}/proposals/{proposal['id']}/accept",
                                     headers=auth(consumer))
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "lead_already_awarded"
    late = await client.post(f"{API}/leads/{lead['id']}/proposals", json=offer(),
                             headers=auth(people["c"][1]))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "lead_not_open")
    assert count(Proposal, status="accepted") == 1


async def test_the_owner_cancels_the_award_before_payment(client, people,
                                                          request_with_offers) -> None:
    lead, a, _ = request_with_offers
    consumer, owner_a = people["consumer"], people["a"][1]
    await client.post(f"{API}/proposals/{a['id']}/accept", headers=auth(consumer))
    assert (await client.post(f"{API}/leads/{lead['id']}/unaward",
                              headers=auth(owner_a))).status_code == 403
    response = await client.post(f"{API}/leads/{lead['id']}/unaward", headers=auth(consumer))
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert (await client.get(f"{API}/leads/{lead['id']}/contact",
                             headers=auth(owner_a))).status_code == 403
    assert dict(sql("SELECT id::text, status FROM proposals"))[a["id"]] == "cancelled"
    assert sql("SELECT event FROM contact_access_logs ORDER BY id") == [("granted",),
                                                                       ("revoked",)]
    assert [e for (e,) in sql("SELECT event FROM lead_events ORDER BY id")] == [
        "proposal_accepted", "award_cancelled"]
    assert messages_to(owner_a, "award_cancelled") == 1
    again = await client.post(f"{API}/leads/{lead['id']}/unaward", headers=auth(consumer))
    assert again.status_code == 409
    # open again: the rejected business may offer anew, and the owner may choose again
    fresh = await propose(client, people["b"][1], lead["id"], price="500")
    assert (await client.post(f"{API}/proposals/{fresh['id']}/accept",
                              headers=auth(consumer))).status_code == 200


async def test_the_winner_declines_and_the_lead_is_open_again(client, people,
                                                              request_with_offers) -> None:
    lead, a, _ = request_with_offers
    consumer, owner_a = people["consumer"], people["a"][1]
    assert (await client.post(f"{API}/proposals/{a['id']}/decline",
                              headers=auth(owner_a))).status_code == 409  # not accepted yet
    await client.post(f"{API}/proposals/{a['id']}/accept", headers=auth(consumer))
    assert (await client.post(f"{API}/proposals/{a['id']}/decline",
                              headers=auth(people["b"][1]))).status_code == 404
    response = await client.post(f"{API}/proposals/{a['id']}/decline", headers=auth(owner_a))
    assert response.status_code == 200 and response.json()["status"] == "declined"
    shown = (await client.get(f"{API}/leads/{lead['id']}", headers=auth(consumer))).json()
    assert shown["status"] == "active"
    assert (await client.get(f"{API}/leads/{lead['id']}/contact",
                             headers=auth(owner_a))).status_code == 403
    assert sql("SELECT event FROM lead_events ORDER BY id")[-1] == ("award_declined",)
    assert sql("SELECT event FROM contact_access_logs ORDER BY id")[-1] == ("revoked",)
    assert messages_to(consumer, "award_declined") == 1
    # the board shows it again
    board = (await client.get(f"{API}/leads/public")).json()["items"]
    assert lead["id"] in {card["id"] for card in board}


async def test_after_acceptance_only_the_price_changes_by_either_side(
        client, people, request_with_offers) -> None:
    _lead, a, _ = request_with_offers
    consumer, owner_a = people["consumer"], people["a"][1]
    await client.post(f"{API}/proposals/{a['id']}/accept", headers=auth(consumer))
    for user, price in ((consumer, "650"), (owner_a, "700")):
        response = await client.put(f"{API}/proposals/{a['id']}", json={"price": price},
                                    headers=auth(user))
        assert response.status_code == 200 and response.json()["price"] == f"{price}.00"
    response = await client.put(f"{API}/proposals/{a['id']}", json={"description": "אחר לגמרי"},
                                headers=auth(owner_a))
    assert response.status_code == 409
    assert (await client.put(f"{API}/proposals/{a['id']}", json={"price": "1"},
                             headers=auth(people["b"][1]))).status_code == 404


async def test_cancelling_an_awarded_lead_ends_the_winners_access(client, people,
                                                                  request_with_offers) -> None:
    lead, a, _ = request_with_offers
    consumer, owner_a = people["consumer"], people["a"][1]
    await client.post(f"{API}/proposals/{a['id']}/accept", headers=auth(consumer))
    response = await client.post(f"{API}/leads/{lead['id']}/cancel", headers=auth(consumer))
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert (await client.get(f"{API}/leads/{lead['id']}/contact",
                             headers=auth(owner_a))).status_code == 403
    assert messages_to(owner_a, "award_cancelled") == 1


# --- referrals -----------------------------------------------------------------------------


@pytest.fixture
async def private_lead(client, people):
    pro_a, owner_a = people["a"]
    return await post_lead(client, owner_a, pro_body(pro_a.id, visibility="private"))


async def share(client, owner: User, lead_id: str, receiver_id, **extra) -> httpx.Response:
    return await client.post(f"{API}/leads/{lead_id}/share",
                             json={"receiver_professional_id": str(receiver_id), **extra},
                             headers=auth(owner))


async def test_sharing_offers_a_private_lead_to_one_business_at_frozen_terms(
        client, people, private_lead) -> None:
    (_pro_a, owner_a), (pro_b, owner_b), (_pro_c, owner_c) = people["a"], people["b"], people["c"]
    lead_id = private_lead["id"]
    assert (await client.get(f"{API}/leads/{lead_id}", headers=auth(owner_b))).status_code == 404
    public = (await client.get(f"{API}/leads/public")).json()["items"]
    assert lead_id not in {card["id"] for card in public}

    response = await share(client, owner_a, lead_id, pro_b.id, message="לקוח מצוין, תתקשר מהר")
    assert response.status_code == 201, response.text
    referral = response.json()
    assert (referral["commission_percentage"], referral["budget"]) == ("20.00", "3000.00")
    assert referral["status"] == "pending"
    assert messages_to(owner_b, "referral_received") == 1
    seen = await client.get(f"{API}/leads/{lead_id}", headers=auth(owner_b))
    assert seen.status_code == 200 and "client" not in seen.json()
    assert (await client.get(f"{API}/leads/{lead_id}", headers=auth(owner_c))).status_code == 404

    # a later edit of the lead does not change what was offered
    edit = await client.put(f"{API}/leads/{lead_id}",
                            json={"referrer_share_percentage": "35", "budget": "4000"},
                            headers=auth(owner_a))
    assert edit.status_code == 200
    incoming = (await client.get(f"{API}/referrals?direction=incoming",
                                 headers=auth(owner_b))).json()["items"]
    assert [(r["id"], r["commission_percentage"], r["budget"]) for r in incoming] == [
        (referral["id"], "20.00", "3000.00")]
    assert incoming[0]["referrer"]["business_name"] == "אינסטלציה אלון"
    outgoing = (await client.get(f"{API}/referrals?direction=outgoing",
                                 headers=auth(owner_a))).json()["items"]
    assert [r["id"] for r in outgoing] == [referral["id"]]
    assert (await client.get(f"{API}/referrals?direction=incoming",
                             headers=auth(owner_a))).json()["items"] == []
    assert (await client.get(f"{API}/referrals?direction=sideways",
                             headers=auth(owner_a))).status_code == 422


async def test_who_may_share_and_with_whom(client, people, private_lead) -> None:
    (pro_a, owner_a), (pro_b, owner_b) = people["a"], people["b"]
    lead_id = private_lead["id"]
    assert (await share(client, owner_b, lead_id, people["c"][0].id)).status_code in (403, 404)
    self_share = await share(client, owner_a, lead_id, pro_a.id)
    assert self_share.status_code == 422
    assert "receiver_professional_id" in self_share.json()["error"]["fields"]
    assert (await share(client, owner_a, lead_id, uuid.uuid4())).status_code == 422
    assert (await share(client, owner_a, lead_id, pro_b.id)).status_code == 201
    again = await share(client, owner_a, lead_id, pro_b.id)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "referral_exists")
    consumer_lead = await post_lead(client, people["consumer"], consumer_body())
    refused = await share(client, people["consumer"], consumer_lead["id"], pro_b.id)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_shareable")
    assert count(Referral) == 1


async def test_the_receiver_claims_the_lead_and_the_other_offers_expire(
        client, people, private_lead) -> None:
    (_pro_a, owner_a), (pro_b, owner_b), (pro_c, owner_c) = people["a"], people["b"], people["c"]
    lead_id = private_lead["id"]
    to_b = (await share(client, owner_a, lead_id, pro_b.id)).json()
    to_c = (await share(client, owner_a, lead_id, pro_c.id)).json()
    # another business does not see the offer; the referrer sees it but may not answer it
    assert (await client.post(f"{API}/referrals/{to_b['id']}/accept",
                              headers=auth(owner_c))).status_code == 404
    assert (await client.post(f"{API}/referrals/{to_b['id']}/accept",
                              headers=auth(owner_a))).status_code == 403

    response = await client.post(f"{API}/referrals/{to_b['id']}/accept",
                                 headers={**auth(owner_b), **UA})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted" and response.json()["proposal_id"]
    with unit_of_work(SYSTEM) as session:
        lead = session.get(Lead, uuid.UUID(lead_id))
        proposal = session.get(Proposal, uuid.UUID(response.json()["proposal_id"]))
        statuses = {str(r.id): r.status for r in session.exec(select(Referral)).all()}
    assert (lead.status, lead.performer_professional_id) == ("awarded", pro_b.id)
    assert (proposal.status, proposal.origin, str(proposal.price)) == (
        "accepted", "referral", "3000.00")
    assert statuses == {to_b["id"]: "accepted", to_c["id"]: "expired"}
    contact = await client.get(f"{API}/leads/{lead_id}/contact", headers=auth(owner_b))
    assert contact.status_code == 200 and contact.json()["client_name"] == "משה הלקוח"
    assert (await client.get(f"{API}/leads/{lead_id}/contact",
                             headers=auth(owner_c))).status_code == 403
    assert sql("SELECT professional_id, user_id, user_agent FROM phone_revelations") == [
        (pro_b.id, owner_b.id, UA["User-Agent"])]
    assert messages_to(owner_a, "referral_accepted") == 1

    twice = await client.post(f"{API}/referrals/{to_b['id']}/accept", headers=auth(owner_b))
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "referral_not_pending")
    expired = await client.post(f"{API}/referrals/{to_c['id']}/accept", headers=auth(owner_c))
    assert expired.status_code == 409
    # the owner edits the lead's terms afterwards: the deal keeps the share it was offered at
    with unit_of_work(SYSTEM) as session:
        lead = session.get(Lead, uuid.UUID(lead_id))
        assert referral_service.agreed_share(session, lead) == 20


async def test_a_receiver_may_name_its_own_price_and_reject_instead(client, people,
                                                                    private_lead) -> None:
    (_, owner_a), (pro_b, owner_b), (pro_c, owner_c) = people["a"], people["b"], people["c"]
    lead_id = private_lead["id"]
    to_b = (await share(client, owner_a, lead_id, pro_b.id)).json()
    to_c = (await share(client, owner_a, lead_id, pro_c.id)).json()
    rejected = await client.post(f"{API}/referrals/{to_b['id']}/reject", headers=auth(owner_b))
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (await client.post(f"{API}/referrals/{to_b['id']}/accept",
                              headers=auth(owner_b))).status_code == 409
    bad = await client.post(f"{API}/referrals/{to_c['id']}/accept", json={"price": "0"},
                            headers=auth(owner_c))
    assert bad.status_code == 422 and "price" in bad.json()["error"]["fields"]
    accepted = await client.post(f"{API}/referrals/{to_c['id']}/accept", json={"price": "2800"},
                                 headers=auth(owner_c))
    assert accepted.status_code == 200
    assert sql("SELECT price::text FROM proposals") == [("2800.00",)]


async def test_unanswered_offers_expire_through_the_job(client, people, private_lead) -> None:
    (_, owner_a), (pro_b, owner_b) = people["a"], people["b"]
    to_b = (await share(client, owner_a, private_lead["id"], pro_b.id)).json()
    assert "expired 0" in run_job("expire_referrals", as_of=utcnow()).detail
    later = utcnow() + timedelta(days=8)
    assert "expired 1" in run_job("expire_referrals", as_of=later).detail
    assert sql("SELECT status FROM referrals") == [("expired",)]
    response = await client.post(f"{API}/referrals/{to_b['id']}/accept", headers=auth(owner_b))
    assert response.status_code == 409


async def test_an_offer_past_its_time_cannot_be_accepted_before_the_job_runs(
        client, people, private_lead, monkeypatch) -> None:
    (_, owner_a), (pro_b, owner_b) = people["a"], people["b"]
    to_b = (await share(client, owner_a, private_lead["id"], pro_b.id)).json()
    later = utcnow() + timedelta(days=7, seconds=1)
    monkeypatch.setattr(referral_service, "utcnow", lambda: later)
    response = await client.post(f"{API}/referrals/{to_b['id']}/accept", headers=auth(owner_b))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "referral_expired")
    with unit_of_work(SYSTEM) as session:
        assert lead_service.find_lead(session, uuid.UUID(private_lead["id"])).status == "active"


async def test_a_claimed_referral_keeps_the_terms_it_was_offered_at(client, people,
                                                                   private_lead) -> None:
    (_, owner_a), (pro_b, owner_b) = people["a"], people["b"]
    lead_id = private_lead["id"]
    to_b = (await share(client, owner_a, lead_id, pro_b.id)).json()
    edit = await client.put(f"{API}/leads/{lead_id}",
                            json={"referrer_share_percentage": "35", "budget": "4000"},
                            headers=auth(owner_a))
    assert edit.status_code == 200
    await client.post(f"{API}/referrals/{to_b['id']}/accept", headers=auth(owner_b))
    with unit_of_work(SYSTEM) as session:
        lead = session.get(Lead, uuid.UUID(lead_id))
        assert lead.referrer_share_percentage == 35  # the lead says 35 …
        amount, chain = referral_service.deal_terms(session, lead)
        share_pct = chain[0].share
    assert (str(amount), str(share_pct)) == ("3000.00", "20.00")  # … the deal says 20 at 3000
    # and once awarded, nobody edits the lead's terms
    late = await client.put(f"{API}/leads/{lead_id}", json={"referrer_share_percentage": "10"},
                            headers=auth(owner_a))
    assert late.status_code == 409


async def test_an_offer_carries_photos_seen_by_the_owner_only(client, people,
                                                             request_with_offers) -> None:
    lead, a, _ = request_with_offers
    consumer, owner_a, owner_b = people["consumer"], people["a"][1], people["b"][1]
    upload = await client.post(f"{API}/proposals/{a['id']}/media", headers=auth(owner_a),
                               files={"file": ("earlier-job.png", PNG_BYTES, "image/png")})
    assert upload.status_code == 201, upload.text
    media_id = upload.json()["id"]
    bad = await client.post(f"{API}/proposals/{a['id']}/media", headers=auth(owner_a),
                            files={"file": ("x.png", b"not an image", "image/png")})
    assert bad.status_code == 422
    assert (await client.post(f"{API}/proposals/{a['id']}/media", headers=auth(owner_b),
                              files={"file": ("x.png", PNG_BYTES, "image/png")})
            ).status_code == 404
    seen = (await client.get(f"{API}/leads/{lead['id']}/proposals",
                             headers=auth(consumer))).json()["items"]
    assert [m["filename"] for m in next(p for p in seen if p["id"] == a["id"])["media"]] == [
        "earlier-job.png"]
    assert (await client.get(f"{API}/proposal-media/{media_id}/link",
                             headers=auth(consumer))).status_code == 200
    assert (await client.get(f"{API}/proposal-media/{media_id}/link",
                             headers=auth(owner_b))).status_code == 404
    await client.post(f"{API}/proposals/{a['id']}/accept", headers=auth(consumer))
    closed = await client.post(f"{API}/proposals/{a['id']}/media", headers=auth(owner_a),
                               files={"file": ("late.png", PNG_BYTES, "image/png")})
    assert closed.status_code == 409
