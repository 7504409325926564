"""Projects in milestones over HTTP: a plan proposed by the performer and agreed by the client,
each step paid through `/payments/initiate` with its `milestone_id` (the sandbox provider),
said done, approved, and reported on with progress updates and photos; every bad input a 422
naming its field (never a 500) that writes nothing; 401 without a token, 403/404 for anyone
but the job's two sides, the 409 codes of a plan's life; and the OpenAPI document."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.visits import local_day
from ofair_app.models import UserRole
from ofair_app.models._base import utcnow
from tests.api.money import pay
from tests.factories import (
    PDF_BYTES,
    PNG_BYTES,
    make_lead,
    make_professional,
    make_user,
    make_won_job,
    token_for,
)

API = "/api/v1"
OPERATIONS = {  # the milestone operations: (method, path) → the errors each declares
    ("get", "/leads/{lead_id}/milestones"): {"403", "404"},
    ("put", "/leads/{lead_id}/milestones"): {"403", "404", "409"},
    ("delete", "/leads/{lead_id}/milestones"): {"403", "404", "409"},
    ("post", "/leads/{lead_id}/milestones/agree"): {"403", "404", "409"},
    ("post", "/milestones/{milestone_id}/submit"): {"403", "404", "409"},
    ("post", "/milestones/{milestone_id}/approve"): {"403", "404", "409"},
    ("post", "/milestones/{milestone_id}/updates"): {"403", "404", "409"},
    ("post", "/milestone-updates/{update_id}/photos"): {"403", "404", "409"},
    ("get", "/milestone-photos/{photo_id}/link"): {"403", "404"},
}


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def day(days_ahead: int) -> str:
    return (local_day(utcnow()) + timedelta(days=days_ahead)).isoformat()


def steps(*amounts: str) -> list[dict]:
    return [{"title": f"שלב {index}", "amount": amount, "due_on": day(7 * index)}
            for index, amount in enumerate(amounts, start=1)]


def plan(*amounts: str) -> dict:
    return {"milestones": steps(*amounts)}


def proposal_of(lead) -> str:
    with unit_of_work(SYSTEM) as session:
        return str(session.execute(text("SELECT id FROM proposals WHERE lead_id = :l AND"
                                        " status = 'accepted'"), {"l": lead.id}).scalar_one())


def fields_of(response) -> dict[str, str]:
    return response.json()["error"]["fields"]


def code_of(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def won(db):
    """(client, performer's owner, business, lead): a 3,000 job won, awarded, not paid."""
    client = make_user(name="רותם לוי")
    business, pro = make_professional(business_name="שיפוצי רותם")
    lead = make_won_job(client, pro, "3000")
    return client, pro, business, lead


async def propose(client, user, lead, *amounts: str):
    got = await client.put(f"{API}/leads/{lead.id}/milestones", json=plan(*amounts),
                           headers=bearer(user))
    assert got.status_code == 200, got.text
    return got.json()


async def agreed(client, won, *amounts: str) -> list[dict]:
    """The performer proposes, the client agrees: the steps as the client sees them."""
    owner, pro, _, lead = won
    await propose(client, pro, lead, *amounts)
    got = await client.post(f"{API}/leads/{lead.id}/milestones/agree", headers=bearer(owner))
    assert got.status_code == 200, got.text
    return got.json()["milestones"]


async def initiate(client, user, lead, milestone_id=None):
    body = {"proposal_id": proposal_of(lead)}
    if milestone_id is not None:
        body["milestone_id"] = milestone_id
    return await client.post(f"{API}/payments/initiate", json=body, headers=bearer(user))


async def pay_step(client, owner, lead, milestone_id) -> dict:
    started = await initiate(client, owner, lead, milestone_id)
    assert started.status_code == 201, started.text
    paid = await pay(client, started.json()["psp_reference"])
    assert paid.status_code == 200 and paid.json()["outcome"] == "applied", paid.text
    return started.json()


async def get_plan(client, user, lead):
    return await client.get(f"{API}/leads/{lead.id}/milestones", headers=bearer(user))


# --- the happy path ------------------------------------------------------------------------


async def test_a_plan_proposed_agreed_paid_done_approved_and_reported_on(client, won) -> None:
    owner, pro, _, lead = won
    sent = plan("1000", "2000")
    proposed = await client.put(f"{API}/leads/{lead.id}/milestones", json=sent,
                                headers=bearer(pro))
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    assert body["lead_id"] == str(lead.id) and body["proposal_id"] == proposal_of(lead)
    assert body["total"] == "3000.00"
    assert body["proposed_side"] == "performer" and body["your_side"] == "performer"
    assert body["may_agree"] is False and body["agreed_at"] is None
    assert [(s["position"], s["title"], s["amount"], s["due_on"], s["status"])
            for s in body["milestones"]] == [
        (1, "שלב 1", "1000.00", sent["milestones"][0]["due_on"], "open"),
        (2, "שלב 2", "2000.00", sent["milestones"][1]["due_on"], "open")]
    assert all(s["payment_status"] is None and s["updates"] == [] and not s["released"]
               for s in body["milestones"])

    seen = await get_plan(client, owner, lead)
    assert seen.status_code == 200
    assert seen.json()["may_agree"] is True and seen.json()["your_side"] == "owner"
    agreed_plan = await client.post(f"{API}/leads/{lead.id}/milestones/agree",
                                    headers=bearer(owner))
    assert agreed_plan.status_code == 200, agreed_plan.text
    assert agreed_plan.json()["agreed_at"] is not None
    assert agreed_plan.json()["may_agree"] is False
    first, second = (s["id"] for s in agreed_plan.json()["milestones"])

    started = await initiate(client, owner, lead, first)
    assert started.status_code == 201, started.text
    assert started.json()["amounts"]["final_amount"] == "1000.00"
    paid = await pay(client, started.json()["psp_reference"])
    assert paid.status_code == 200 and paid.json()["outcome"] == "applied"
    payment = await client.get(f"{API}/payments/{started.json()['payment_id']}",
                               headers=bearer(owner))
    assert payment.status_code == 200
    assert payment.json()["milestone_id"] == first and payment.json()["status"] == "paid"

    submitted = await client.post(f"{API}/milestones/{first}/submit", headers=bearer(pro))
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted" and submitted.json()["submitted_at"]
    approved = await client.post(f"{API}/milestones/{first}/approve", headers=bearer(owner))
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["approved_at"]

    update = await client.post(f"{API}/milestones/{second}/updates",
                               json={"body": "הקירות שויפו ומוכנים לצבע"}, headers=bearer(pro))
    assert update.status_code == 201, update.text
    assert update.json()["milestone_id"] == second and update.json()["photos"] == []
    photo = await client.post(f"{API}/milestone-updates/{update.json()['id']}/photos",
                              files={"file": ("walls.png", PNG_BYTES, "image/png")},
                              headers=bearer(pro))
    assert photo.status_code == 201, photo.text
    assert photo.json()["content_type"] == "image/png"
    assert photo.json()["size_bytes"] == len(PNG_BYTES)

    final = (await get_plan(client, owner, lead)).json()
    assert [s["status"] for s in final["milestones"]] == ["approved", "open"]
    assert final["milestones"][0]["payment_status"] == "paid"
    [note] = final["milestones"][1]["updates"]
    assert note["id"] == update.json()["id"] and note["body"] == "הקירות שויפו ומוכנים לצבע"
    assert [p["id"] for p in note["photos"]] == [photo.json()["id"]]
    link = await client.get(f"{API}/milestone-photos/{photo.json()['id']}/link",
                            headers=bearer(owner))
    assert link.status_code == 200, link.text
    assert link.json()["url"] and link.json()["expires_in"] == 300

    # the second step paid and approved: the job closes with its last step
    await pay_step(client, owner, lead, second)
    last = await client.post(f"{API}/milestones/{second}/approve", headers=bearer(owner))
    assert last.status_code == 200 and last.json()["status"] == "approved"
    with unit_of_work(SYSTEM) as session:
        closed = session.execute(text("SELECT status, final_amount FROM leads WHERE id = :l"),
                                 {"l": lead.id}).one()
    assert closed == ("closed", Decimal("3000"))


async def test_a_pending_plan_is_proposed_again_or_withdrawn(client, won) -> None:
    owner, pro, _, lead = won
    await propose(client, pro, lead, "1000", "2000")
    counter = await propose(client, owner, lead, "1500", "500", "1000")
    assert counter["proposed_side"] == "owner" and len(counter["milestones"]) == 3
    assert (await get_plan(client, pro, lead)).json()["may_agree"] is True
    dropped = await client.delete(f"{API}/leads/{lead.id}/milestones", headers=bearer(pro))
    assert dropped.status_code == 204 and dropped.content == b""
    gone = await get_plan(client, owner, lead)
    assert gone.status_code == 404 and code_of(gone) == "not_found"
    again = await client.delete(f"{API}/leads/{lead.id}/milestones", headers=bearer(pro))
    assert again.status_code == 404


async def test_a_step_is_disputed_on_its_own(client, won) -> None:
    owner, _, _, lead = won
    first, second = (s["id"] for s in await agreed(client, won, "1000", "2000"))
    await pay_step(client, owner, lead, first)
    url = f"{API}/leads/{lead.id}/disputes"
    unpaid = await client.post(url, json={"reason": "השלב השני לא בוצע בכלל",
                                          "milestone_id": second}, headers=bearer(owner))
    assert unpaid.status_code == 409 and code_of(unpaid) == "not_disputable", unpaid.text
    unknown = await client.post(url, json={"reason": "השלב השני לא בוצע בכלל",
                                           "milestone_id": str(uuid.uuid4())},
                                headers=bearer(owner))
    assert unknown.status_code == 404, unknown.text
    whole = await client.post(url, json={"reason": "העבודה לא בוצעה כמו שסוכם"},
                              headers=bearer(owner))
    assert whole.status_code == 422 and "milestone_id" in fields_of(whole)
    bad = await client.post(url, json={"reason": "העבודה לא בוצעה", "milestone_id": "x"},
                            headers=bearer(owner))
    assert bad.status_code == 422 and "milestone_id" in fields_of(bad)
    opened = await client.post(url, json={"reason": "השלב הראשון לא בוצע בכלל",
                                          "milestone_id": first}, headers=bearer(owner))
    assert opened.status_code == 201, opened.text
    assert opened.json()["milestone_id"] == first and opened.json()["status"] == "open"
    steps_now = (await get_plan(client, owner, lead)).json()["milestones"]
    assert [s["status"] for s in steps_now] == ["disputed", "open"]


# --- bad inputs: a 422 naming the field, and nothing written --------------------------------


def _step(**change) -> list[dict]:
    return [{**steps("1500")[0], **change}, steps("1500", "1500")[1]]


@pytest.mark.parametrize(("rows", "field"), [
    (steps("1000", "1000"), "milestones"),
    (steps("3000"), "milestones"),
    ([], "milestones"),
    (_step(amount="1500.001"), "milestones.0.amount"),
    (_step(amount="abc"), "milestones.0.amount"),
    (_step(amount="-5"), "milestones.0.amount"),
    (_step(amount=-5), "milestones.0.amount"),
    (_step(amount="0"), "milestones.0.amount"),
    (_step(title="א"), "milestones.0.title"),
    (_step(title="   "), "milestones.0.title"),
    (_step(due_on="2020-01-01"), "milestones.0.due_on"),
    (_step(due_on=day(-1)), "milestones.0.due_on"),
    (_step(due_on="2026-13-45"), "milestones.0.due_on"),
    (_step(note="extra"), "milestones.0.note"),
    (list(reversed(steps("1500", "1500"))), "milestones.1.due_on"),
], ids=["short-sum", "one-step", "empty", "three-decimals", "abc", "negative-text",
        "negative-number", "zero", "short-title", "blank-title", "past-date", "yesterday",
        "not-a-date", "extra-key", "out-of-order"])
async def test_a_bad_plan_is_a_422_on_its_field(client, won, rows, field) -> None:
    owner, pro, _, lead = won
    sent = await client.put(f"{API}/leads/{lead.id}/milestones", json={"milestones": rows},
                            headers=bearer(pro))
    assert sent.status_code == 422, sent.text
    assert code_of(sent) == "validation_error"
    assert field in fields_of(sent), fields_of(sent)
    assert (await get_plan(client, owner, lead)).status_code == 404


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "milestones"),
    ({"milestones": "three steps"}, "milestones"),
    ({"milestones": steps("1500", "1500"), "note": "x"}, "note"),
    ({"milestones": [*steps("1500"), "a step"]}, "milestones.1"),
], ids=["missing", "not-a-list", "extra-top-key", "not-an-object"])
async def test_a_malformed_plan_body_is_a_422(client, won, payload, field) -> None:
    _, pro, _, lead = won
    sent = await client.put(f"{API}/leads/{lead.id}/milestones", json=payload,
                            headers=bearer(pro))
    assert sent.status_code == 422, sent.text
    assert field in fields_of(sent), fields_of(sent)


async def test_a_body_that_is_not_json_is_a_422(client, won) -> None:
    owner, pro, _, lead = won
    for content in (b"{not json", b"\xff\xfe", b""):
        sent = await client.put(f"{API}/leads/{lead.id}/milestones", content=content,
                                headers={**bearer(pro), "Content-Type": "application/json"})
        assert sent.status_code == 422, (content, sent.text)
        assert list(fields_of(sent)) == ["body"], fields_of(sent)
    assert (await get_plan(client, owner, lead)).status_code == 404


async def test_bad_ids_updates_and_photos_are_422s(client, won) -> None:
    owner, pro, _, lead = won
    first = (await agreed(client, won, "1000", "2000"))[0]["id"]
    for milestone_id in ("x", "1", 5, ""):
        sent = await client.post(f"{API}/payments/initiate", headers=bearer(owner),
                                 json={"proposal_id": proposal_of(lead),
                                       "milestone_id": milestone_id})
        assert sent.status_code == 422, (milestone_id, sent.text)
        assert "milestone_id" in fields_of(sent)
    for path in ("/leads/not-a-uuid/milestones", "/milestones/not-a-uuid/submit",
                 "/milestone-photos/not-a-uuid/link"):
        method = client.get if path.endswith(("milestones", "link")) else client.post
        got = await method(f"{API}{path}", headers=bearer(owner))
        assert got.status_code == 422, (path, got.text)
    url = f"{API}/milestones/{first}/updates"
    for body, field in (({"body": ""}, "body"), ({"body": "   "}, "body"), ({}, "body"),
                        ({"body": 5}, "body"), ({"body": "x" * 1001}, "body"),
                        ({"body": "x" * 4001}, "body"), ({"body": "a\u0000b"}, "body"),
                        ({"body": "טוב", "extra": 1}, "extra")):
        sent = await client.post(url, json=body, headers=bearer(pro))
        assert sent.status_code == 422, (body, sent.text)
        assert field in fields_of(sent), (body, fields_of(sent))
    update = await client.post(url, json={"body": "התחלנו"}, headers=bearer(pro))
    assert update.status_code == 201
    photos = f"{API}/milestone-updates/{update.json()['id']}/photos"
    for upload in (("quote.pdf", PDF_BYTES, "application/pdf"),
                   ("fake.png", PDF_BYTES, "image/png"), ("empty.png", b"", "image/png")):
        sent = await client.post(photos, files={"file": upload}, headers=bearer(pro))
        assert sent.status_code == 422, (upload[0], sent.text)
        assert "file" in fields_of(sent), fields_of(sent)
    missing = await client.post(photos, data={"other": "x"}, headers=bearer(pro))
    assert missing.status_code == 422 and "file" in fields_of(missing)
    [note] = (await get_plan(client, owner, lead)).json()["milestones"][0]["updates"]
    assert note["photos"] == []


# --- who may: 401, 403, 404 ----------------------------------------------------------------


def _calls(lead_id, milestone_id, update_id, photo_id) -> list[tuple[str, str, dict]]:
    return [
        ("GET", f"/leads/{lead_id}/milestones", {}),
        ("PUT", f"/leads/{lead_id}/milestones", {"json": plan("1500", "1500")}),
        ("DELETE", f"/leads/{lead_id}/milestones", {}),
        ("POST", f"/leads/{lead_id}/milestones/agree", {}),
        ("POST", f"/milestones/{milestone_id}/submit", {}),
        ("POST", f"/milestones/{milestone_id}/approve", {}),
        ("POST", f"/milestones/{milestone_id}/updates", {"json": {"body": "התקדמות"}}),
        ("POST", f"/milestone-updates/{update_id}/photos",
         {"files": {"file": ("a.png", PNG_BYTES, "image/png")}}),
        ("GET", f"/milestone-photos/{photo_id}/link", {}),
    ]


def _money_calls(lead, milestone_id) -> list[tuple[str, str, dict]]:
    """Paying and disputing a step."""
    return [
        ("POST", "/payments/initiate",
         {"json": {"proposal_id": proposal_of(lead), "milestone_id": str(milestone_id)}}),
        ("POST", f"/leads/{lead.id}/disputes",
         {"json": {"reason": "השלב לא בוצע כמו שסוכם", "milestone_id": str(milestone_id)}}),
    ]


async def _progress(client, won) -> tuple[str, str, str]:
    """An agreed plan, its first step paid, an update with a photo: (step, update, photo)."""
    owner, pro, _, lead = won
    first = (await agreed(client, won, "1000", "2000"))[0]["id"]
    await pay_step(client, owner, lead, first)
    update = await client.post(f"{API}/milestones/{first}/updates", json={"body": "התחלנו"},
                               headers=bearer(pro))
    photo = await client.post(f"{API}/milestone-updates/{update.json()['id']}/photos",
                              files={"file": ("a.png", PNG_BYTES, "image/png")},
                              headers=bearer(pro))
    assert photo.status_code == 201
    return first, update.json()["id"], photo.json()["id"]


async def test_every_operation_needs_a_token(client, won) -> None:
    _, _, _, lead = won
    ids = await _progress(client, won)
    calls = _calls(lead.id, *ids) + _money_calls(lead, ids[0]) \
        + _calls(uuid.uuid4(), *(uuid.uuid4() for _ in range(3)))
    for method, path, extra in calls:
        got = await client.request(method, f"{API}{path}", **extra)
        assert got.status_code == 401, (method, path, got.text)
        assert code_of(got) == "unauthenticated", (method, path)
        bad = await client.request(method, f"{API}{path}", **extra,
                                   headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401, (method, path)


EXPECTED_FOR_STRANGERS = {  # what another business and another consumer get
    "GET /leads/{}/milestones": 403, "PUT /leads/{}/milestones": 403,
    "DELETE /leads/{}/milestones": 403, "POST /leads/{}/milestones/agree": 403,
    "POST /milestones/{}/submit": 404, "POST /milestones/{}/approve": 404,
    "POST /milestones/{}/updates": 404, "POST /milestone-updates/{}/photos": 404,
    "GET /milestone-photos/{}/link": 404,
}


@pytest.mark.parametrize("who", ["business", "consumer"])
async def test_anyone_but_the_two_sides_is_refused_and_nothing_changes(client, won,
                                                                       who) -> None:
    owner, _, _, lead = won
    ids = await _progress(client, won)
    before = (await get_plan(client, owner, lead)).json()
    stranger = make_professional(business_name="עסק אחר")[1] if who == "business" \
        else make_user(name="זר")
    for (method, path, extra), key in zip(_calls(lead.id, *ids), EXPECTED_FOR_STRANGERS,
                                          strict=True):
        got = await client.request(method, f"{API}{path}", **extra, headers=bearer(stranger))
        assert got.status_code == EXPECTED_FOR_STRANGERS[key], (method, path, got.text)
        assert set(got.json()["error"]) >= {"code", "message", "fields"}
    (_, pay_path, pay_extra), (_, dispute_path, dispute_extra) = _money_calls(lead, ids[0])
    paid = await client.post(f"{API}{pay_path}", **pay_extra, headers=bearer(stranger))
    assert paid.status_code == 404, paid.text  # the offer is not theirs to see
    disputed = await client.post(f"{API}{dispute_path}", **dispute_extra,
                                 headers=bearer(stranger))
    assert disputed.status_code == 403 and code_of(disputed) == "not_a_party", disputed.text
    assert (await get_plan(client, owner, lead)).json() == before


async def test_each_side_may_do_only_its_own_steps(client, won) -> None:
    owner, pro, _, lead = won
    first, update_id, _ = await _progress(client, won)
    refused = await client.post(f"{API}/milestones/{first}/submit", headers=bearer(owner))
    assert refused.status_code == 403 and code_of(refused) == "not_performer"
    refused = await client.post(f"{API}/milestones/{first}/approve", headers=bearer(pro))
    assert refused.status_code == 403 and code_of(refused) == "not_lead_owner"
    refused = await client.post(f"{API}/milestones/{first}/updates", json={"body": "שאלה"},
                                headers=bearer(owner))
    assert refused.status_code == 403 and code_of(refused) == "not_performer"
    refused = await client.post(f"{API}/milestone-updates/{update_id}/photos",
                                files={"file": ("a.png", PNG_BYTES, "image/png")},
                                headers=bearer(owner))
    assert refused.status_code == 403 and code_of(refused) == "not_author"
    for path in (f"/milestones/{uuid.uuid4()}/submit", f"/milestones/{uuid.uuid4()}/approve"):
        got = await client.post(f"{API}{path}", headers=bearer(owner))
        assert got.status_code == 404, path
    got = await client.get(f"{API}/leads/{uuid.uuid4()}/milestones", headers=bearer(owner))
    assert got.status_code == 404
    steps_now = (await get_plan(client, owner, lead)).json()["milestones"]
    assert [s["status"] for s in steps_now] == ["open", "open"]


# --- 409s: the plan's life -----------------------------------------------------------------


async def test_the_plans_conflicts(client, won) -> None:
    owner, pro, _, lead = won
    nothing = await client.post(f"{API}/leads/{lead.id}/milestones/agree",
                                headers=bearer(owner))
    assert nothing.status_code == 404
    no_plan = await initiate(client, owner, lead, str(uuid.uuid4()))
    assert no_plan.status_code == 404, no_plan.text
    await propose(client, pro, lead, "1000", "2000")
    own = await client.post(f"{API}/leads/{lead.id}/milestones/agree", headers=bearer(pro))
    assert own.status_code == 409 and code_of(own) == "own_plan"
    pending = await initiate(client, owner, lead)
    assert pending.status_code == 409 and code_of(pending) == "plan_pending"
    update = await client.post(f"{API}/milestones/{uuid.uuid4()}/updates",
                               json={"body": "התחלנו"}, headers=bearer(pro))
    assert update.status_code == 404
    first, second = (s["id"] for s in (await get_plan(client, pro, lead)).json()["milestones"])
    early = await client.post(f"{API}/milestones/{first}/updates", json={"body": "התחלנו"},
                              headers=bearer(pro))
    assert early.status_code == 409 and code_of(early) == "plan_pending"
    early = await client.post(f"{API}/milestones/{first}/submit", headers=bearer(pro))
    assert early.status_code == 409 and code_of(early) == "plan_pending"

    assert (await client.post(f"{API}/leads/{lead.id}/milestones/agree",
                              headers=bearer(owner))).status_code == 200
    twice = await client.post(f"{API}/leads/{lead.id}/milestones/agree", headers=bearer(owner))
    assert twice.status_code == 409 and code_of(twice) == "plan_agreed"
    after = await client.put(f"{API}/leads/{lead.id}/milestones", json=plan("1500", "1500"),
                             headers=bearer(owner))
    assert after.status_code == 409 and code_of(after) == "plan_agreed"
    withdrawn = await client.delete(f"{API}/leads/{lead.id}/milestones", headers=bearer(pro))
    assert withdrawn.status_code == 409 and code_of(withdrawn) == "plan_agreed"
    whole = await initiate(client, owner, lead)
    assert whole.status_code == 422 and "milestone_id" in fields_of(whole)
    foreign = await initiate(client, owner, lead, str(uuid.uuid4()))
    assert foreign.status_code == 404, foreign.text
    by_performer = await initiate(client, pro, lead, first)
    assert by_performer.status_code == 403, by_performer.text
    repriced = await client.put(f"{API}/proposals/{proposal_of(lead)}", json={"price": "2500"},
                                headers=bearer(owner))
    assert repriced.status_code == 409 and code_of(repriced) == "plan_agreed"
    unpaid = await client.post(f"{API}/milestones/{first}/submit", headers=bearer(pro))
    assert unpaid.status_code == 409 and code_of(unpaid) == "milestone_not_paid"
    unpaid = await client.post(f"{API}/milestones/{first}/approve", headers=bearer(owner))
    assert unpaid.status_code == 409 and code_of(unpaid) == "milestone_not_paid"

    opened = await initiate(client, owner, lead, first)
    assert opened.status_code == 201
    same = await initiate(client, owner, lead, first)  # not paid yet: the same checkout
    assert same.status_code == 201
    assert same.json()["payment_id"] == opened.json()["payment_id"]
    assert (await pay(client, opened.json()["psp_reference"])).json()["outcome"] == "applied"
    paid_twice = await initiate(client, owner, lead, first)
    assert paid_twice.status_code == 409 and code_of(paid_twice) == "payment_exists"
    replan = await client.put(f"{API}/leads/{lead.id}/milestones", json=plan("1500", "1500"),
                              headers=bearer(pro))
    assert replan.status_code == 409 and code_of(replan) == "not_plannable"
    still_unpaid = await client.post(f"{API}/milestones/{second}/submit", headers=bearer(pro))
    assert still_unpaid.status_code == 409 and code_of(still_unpaid) == "milestone_not_paid"
    assert (await client.post(f"{API}/milestones/{first}/submit", headers=bearer(pro))
            ).status_code == 200
    again = await client.post(f"{API}/milestones/{first}/submit", headers=bearer(pro))
    assert again.status_code == 409 and code_of(again) == "milestone_status"
    assert (await client.post(f"{API}/milestones/{first}/approve", headers=bearer(owner))
            ).status_code == 200
    again = await client.post(f"{API}/milestones/{first}/approve", headers=bearer(owner))
    assert again.status_code == 409 and code_of(again) == "milestone_status"
    done = await client.post(f"{API}/milestones/{first}/updates", json={"body": "עוד"},
                             headers=bearer(pro))
    assert done.status_code == 409 and code_of(done) == "milestone_status"


async def test_a_fifth_photo_is_a_409(client, won) -> None:
    owner, pro, _, lead = won
    _, update_id, _ = await _progress(client, won)
    url = f"{API}/milestone-updates/{update_id}/photos"
    for _ in range(3):
        got = await client.post(url, files={"file": ("b.png", PNG_BYTES, "image/png")},
                                headers=bearer(pro))
        assert got.status_code == 201
    fifth = await client.post(url, files={"file": ("c.png", PNG_BYTES, "image/png")},
                              headers=bearer(pro))
    assert fifth.status_code == 409 and code_of(fifth) == "too_many_photos"
    [note] = (await get_plan(client, owner, lead)).json()["milestones"][0]["updates"]
    assert len(note["photos"]) == 4


async def test_a_plan_is_made_only_between_the_award_and_the_first_payment(client, won
                                                                         ) -> None:
    owner, pro, _, lead = won
    open_lead = make_lead(owner)
    early = await client.put(f"{API}/leads/{open_lead.id}/milestones",
                             json=plan("1500", "1500"), headers=bearer(owner))
    assert early.status_code == 409 and code_of(early) == "not_plannable", early.text
    stranger = await client.put(f"{API}/leads/{open_lead.id}/milestones",
                                json=plan("1500", "1500"), headers=bearer(pro))
    assert stranger.status_code == 403 and code_of(stranger) == "not_a_party"
    started = await initiate(client, owner, lead)  # the whole job, no plan
    assert started.status_code == 201 and started.json()["amounts"]["final_amount"] == "3000.00"
    assert (await pay(client, started.json()["psp_reference"])).json()["outcome"] == "applied"
    payment = await client.get(f"{API}/payments/{started.json()['payment_id']}",
                               headers=bearer(owner))
    assert payment.status_code == 200 and payment.json()["milestone_id"] is None
    late = await client.put(f"{API}/leads/{lead.id}/milestones", json=plan("1500", "1500"),
                            headers=bearer(pro))
    assert late.status_code == 409 and code_of(late) == "not_plannable", late.text
    assert (await get_plan(client, owner, lead)).status_code == 404


async def test_a_plan_ends_with_the_award(client, won) -> None:
    owner, pro, _, lead = won
    await agreed(client, won, "1000", "2000")
    taken_back = await client.post(f"{API}/leads/{lead.id}/unaward", headers=bearer(owner))
    assert taken_back.status_code == 200, taken_back.text
    gone = await get_plan(client, owner, lead)
    assert gone.status_code == 404 and code_of(gone) == "not_found"
    assert (await get_plan(client, pro, lead)).status_code == 403


async def test_an_admin_reads_the_plan_and_takes_no_part(client, won) -> None:
    owner, _, _, lead = won
    first, _, photo = await _progress(client, won)
    admin = make_user(role=UserRole.admin, name="מנהלת")
    seen = await get_plan(client, admin, lead)
    assert seen.status_code == 200
    assert seen.json()["your_side"] is None and seen.json()["may_agree"] is False
    assert seen.json() == {**(await get_plan(client, owner, lead)).json(),
                           "your_side": None, "may_agree": False}
    link = await client.get(f"{API}/milestone-photos/{photo}/link", headers=bearer(admin))
    assert link.status_code == 200 and link.json()["url"]
    for method, path, extra in (
            ("PUT", f"/leads/{lead.id}/milestones", {"json": plan("1500", "1500")}),
            ("POST", f"/milestones/{first}/submit", {}),
            ("POST", f"/milestones/{first}/approve", {}),
            ("POST", f"/milestones/{first}/updates", {"json": {"body": "בדיקה"}})):
        got = await client.request(method, f"{API}{path}", **extra, headers=bearer(admin))
        assert got.status_code == 403 and code_of(got) == "not_a_party", (path, got.text)


# --- the OpenAPI document ------------------------------------------------------------------


async def test_the_openapi_document_lists_the_milestone_operations(client) -> None:
    schema = (await client.get(f"{API}/openapi.json")).json()
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for (method, path), declared in OPERATIONS.items():
        operation = schema["paths"][f"{API}{path}"][method]
        assert operation["tags"] == ["milestones"], (method, path)
        assert operation["operationId"].startswith("milestones-"), (method, path)
        responses = operation["responses"]
        for status in declared | {"401", "422"}:
            assert responses[status]["content"]["application/json"]["schema"] == envelope, \
                (method, path, status)
    tagged = {(method, path.removeprefix(API)) for path, item in schema["paths"].items()
              for method, operation in item.items() if "milestones" in operation.get("tags", [])}
    assert tagged == set(OPERATIONS)
    initiate_in = schema["components"]["schemas"]["InitiateIn"]["properties"]
    assert "milestone_id" in initiate_in
    for name in ("PaymentOut", "DisputeOut"):
        assert "milestone_id" in schema["components"]["schemas"][name]["properties"], name
    assert "milestone_id" in schema["components"]["schemas"]["DisputeIn"]["properties"]
