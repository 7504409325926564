"""Reviews over HTTP: the contract's statuses (201, 409 for a second review, 403 for anyone
but the owner, 422 for a score of 0 or 6, 409 before close), the public page with its
distribution and cursor, the edit, the one reply, a pro lead's owner business, moderation,
and every bad input refused with nothing written."""

from __future__ import annotations

import uuid

import pytest

from ofair_app.models import UserRole
from tests.factories import (
    make_paid_job,
    make_professional,
    make_user,
    make_won_job,
    pro_lead_data,
    token_for,
)

API = "/api/v1"
REVIEW = {"rating": 4, "quality": 5, "punctuality": 3, "price": 4, "attitude": 5,
          "body": "עבודה טובה, קצת איחור."}


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


@pytest.fixture
def job(db):
    consumer = make_user(name="שירה כהן")
    business, pro = make_professional(business_name="חשמל שירן")
    lead = make_paid_job(consumer, pro, "1500", done=True)
    return consumer, pro, business, lead


async def test_a_review_over_http(client, job) -> None:
    consumer, pro, business, lead = job
    written = await client.post(f"{API}/leads/{lead.id}/review", json=REVIEW,
                                headers=bearer(consumer))
    assert written.status_code == 201, written.text
    body = written.json()
    assert body["reviewer"] == "שירה" and body["verified_job"] and not body["checked_in"]
    assert body["reply"] is None and not body["hidden"]
    again = await client.post(f"{API}/leads/{lead.id}/review", json=REVIEW,
                              headers=bearer(consumer))
    assert again.status_code == 409 and again.json()["error"]["code"] == "review_exists"
    assert (await client.post(f"{API}/leads/{lead.id}/review", json=REVIEW,
                              headers=bearer(pro))).status_code == 403
    assert (await client.post(f"{API}/leads/{lead.id}/review", json=REVIEW)).status_code == 401
    # the public page: no login needed
    page = (await client.get(f"{API}/professionals/{business.id}/reviews")).json()
    assert [item["id"] for item in page["items"]] == [body["id"]]
    assert page["summary"] == {"rating": "4.00", "count": 1,
                               "distribution": {"5": 0, "4": 1, "3": 0, "2": 0, "1": 0},
                               "aspects": {"quality": "5.0", "punctuality": "3.0",
                                           "price": "4.0", "attitude": "5.0"}}
    profile = (await client.get(f"{API}/professionals/{business.id}")).json()
    assert profile["review_count"] == 1
    # the reviewer edits; the business answers once
    edited = await client.put(f"{API}/reviews/{body['id']}",
                              json={**REVIEW, "rating": 5, "display": "verified"},
                              headers=bearer(consumer))
    assert edited.status_code == 200 and edited.json()["reviewer"] == ""
    assert (await client.put(f"{API}/reviews/{body['id']}", json=REVIEW,
                             headers=bearer(pro))).status_code == 403
    reply = await client.post(f"{API}/reviews/{body['id']}/reply",
                              json={"body": "תודה רבה!"}, headers=bearer(pro))
    assert reply.status_code == 200 and reply.json()["reply"]["body"] == "תודה רבה!"
    second = await client.post(f"{API}/reviews/{body['id']}/reply", json={"body": "שוב"},
                               headers=bearer(pro))
    assert second.status_code == 409 and second.json()["error"]["code"] == "reply_exists"
    mine = await client.get(f"{API}/leads/{lead.id}/review", headers=bearer(consumer))
    assert mine.json()["rating"] == 5 and mine.json()["reply"]["body"] == "תודה רבה!"


@pytest.mark.parametrize(("field", "value"), [
    ("rating", 0), ("rating", 6), ("quality", -1), ("punctuality", 10), ("price", "4"),
    ("attitude", 4.5), ("rating", True), ("rating", None), ("body", "x" * 1501),
    ("body", "bad\u0000byte"), ("display", "everyone"), ("extra", 1)])
async def test_bad_review_input_is_a_422_naming_the_field(client, job, field, value) -> None:
    consumer, _, business, lead = job
    sent = await client.post(f"{API}/leads/{lead.id}/review", json={**REVIEW, field: value},
                             headers=bearer(consumer))
    assert sent.status_code == 422, sent.text
    assert field in sent.json()["error"]["fields"]
    page = (await client.get(f"{API}/professionals/{business.id}/reviews")).json()
    assert page["items"] == [] and page["summary"]["count"] == 0


@pytest.mark.parametrize("missing", ["rating", "quality", "punctuality", "price", "attitude"])
async def test_every_score_is_required(client, job, missing) -> None:
    consumer, _, _, lead = job
    sent = await client.post(f"{API}/leads/{lead.id}/review",
                             json={k: v for k, v in REVIEW.items() if k != missing},
                             headers=bearer(consumer))
    assert sent.status_code == 422 and missing in sent.json()["error"]["fields"]


async def test_before_close_unknown_ids_and_bad_parameters(client, job) -> None:
    consumer, pro, business, _ = job
    open_job = make_won_job(consumer, pro, "400")
    early = await client.post(f"{API}/leads/{open_job.id}/review", json=REVIEW,
                              headers=bearer(consumer))
    assert early.status_code == 409 and early.json()["error"]["code"] == "job_not_closed"
    nobody = uuid.uuid4()
    assert (await client.post(f"{API}/leads/{nobody}/review", json=REVIEW,
                              headers=bearer(consumer))).status_code == 404
    assert (await client.get(f"{API}/leads/{open_job.id}/review",
                             headers=bearer(consumer))).status_code == 404
    assert (await client.put(f"{API}/reviews/{nobody}", json=REVIEW,
                             headers=bearer(consumer))).status_code == 404
    assert (await client.get(f"{API}/professionals/{nobody}/reviews")).status_code == 404
    for params in ({"limit": 0}, {"limit": 51}, {"limit": "x"}, {"cursor": "not-a-cursor"},
                   {"cursor": "x" * 600}):
        got = await client.get(f"{API}/professionals/{business.id}/reviews", params=params)
        assert got.status_code == 422, (params, got.text)
    assert (await client.post(f"{API}/leads/not-a-uuid/review", json=REVIEW,
                              headers=bearer(consumer))).status_code == 422


async def test_the_cursor_walks_every_review_once(client, db) -> None:
    business, pro = make_professional(business_name="הובלות דוד")
    written = []
    for n in range(5):
        consumer = make_user(name=f"לקוח{n}")
        lead = make_paid_job(consumer, pro, "600", done=True)
        got = await client.post(f"{API}/leads/{lead.id}/review",
                                json={**REVIEW, "rating": 1 + n}, headers=bearer(consumer))
        written.append(got.json()["id"])
    seen, cursor = [], None
    while True:
        page = (await client.get(f"{API}/professionals/{business.id}/reviews",
                                 params={"limit": 2, **({"cursor": cursor} if cursor else {})}
                                 )).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == written[::-1]
    assert page["summary"]["rating"] == "3.00" and page["summary"]["count"] == 5


async def test_a_pro_leads_owner_business_reviews_its_performer(client, db) -> None:
    referrer_business, referrer = make_professional(business_name="שיפוצים ירושלים")
    _, performer = make_professional(business_name="טיח ובנייה")
    from ofair_app.db.engine import unit_of_work
    from ofair_app.services import payments, settlement
    from tests.factories import caller_for, settlement_mode

    with settlement_mode("b2b"):
        lead = make_won_job(referrer, performer, "2000", pro_lead_data(referrer_business))
        with unit_of_work(caller_for(performer)) as session:
            settlement.start_work(session=session, caller=caller_for(performer),
                                  lead_id=lead.id)
        with unit_of_work(caller_for(performer)) as session:
            payments.complete(session=session, caller=caller_for(performer), lead_id=lead.id)
        with unit_of_work(caller_for(referrer)) as session:
            payments.confirm_completion(session=session, caller=caller_for(referrer),
                                        lead_id=lead.id)
    got = await client.post(f"{API}/leads/{lead.id}/review", json=REVIEW,
                            headers=bearer(referrer))
    assert got.status_code == 201, got.text
    assert (await client.post(f"{API}/leads/{lead.id}/review", json=REVIEW,
                              headers=bearer(performer))).status_code == 403


async def test_moderation_is_for_admins_and_needs_a_reason(client, job) -> None:
    consumer, pro, business, lead = job
    review = (await client.post(f"{API}/leads/{lead.id}/review", json=REVIEW,
                                headers=bearer(consumer))).json()
    admin = make_user(role=UserRole.admin)
    url = f"{API}/admin/reviews/{review['id']}"
    for user in (consumer, pro):
        assert (await client.post(f"{url}/hide", json={"reason": "לא ראוי לפרסום"},
                                  headers=bearer(user))).status_code == 403
    for bad in ({}, {"reason": "x"}, {"reason": "y" * 501}):
        assert (await client.post(f"{url}/hide", json=bad,
                                  headers=bearer(admin))).status_code == 422
    hidden = await client.post(f"{url}/hide", json={"reason": "פרטים אישיים בטקסט"},
                               headers=bearer(admin))
    assert hidden.status_code == 200 and hidden.json()["hidden"]
    page = (await client.get(f"{API}/professionals/{business.id}/reviews")).json()
    assert page["items"] == [] and page["summary"]["count"] == 0
    reply = await client.post(f"{API}/reviews/{review['id']}/reply", json={"body": "תודה"},
                              headers=bearer(pro))
    assert reply.status_code == 409
    restored = await client.post(f"{url}/restore", json={"reason": "נבדק, תקין"},
                                 headers=bearer(admin))
    assert restored.status_code == 200 and not restored.json()["hidden"]
    assert (await client.get(f"{API}/professionals/{business.id}/reviews")
            ).json()["summary"]["count"] == 1
