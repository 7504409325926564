"""Performance tiers (issue 22, point 2): the monthly `update_tiers` job gives each business
its tier from its last 90 days, once a month, each change kept as an evaluation; the API shows
the tier to anyone and the figures and the next tier's requirements to the business only;
row-level security on the new tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from jobs.runner import run_job
from ofair_app import reference
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.leads import LeadStatus, LeadType
from ofair_app.models import Lead, Proposal, Review
from tests.api.money import initiate
from tests.api.test_leads_api import API, auth, consumer_body, post_lead
from tests.api.test_proposals_api import propose
from tests.factories import caller_for, make_professional, make_user

AS_OF = datetime(2026, 12, 1, 1, 15, tzinfo=UTC)  # 03:15 in Israel on the 1st


def _jobs(business_id: uuid.UUID, count: int, rating: int, answer_minutes: int) -> None:
    """`count` jobs the business completed in the last 90 days, each reviewed at `rating`, on
    leads it answered `answer_minutes` after they were posted."""
    consumer = make_user(name="לקוחה")
    category = reference.categories()[0].slug
    written = []
    with unit_of_work(SYSTEM) as session:
        for n in range(count):
            posted = AS_OF - timedelta(days=30 + n)
            lead = Lead(type=LeadType.consumer, title="עבודה", short_description="עבודה",
                        category_slug=category, lat=32.8, lon=35.0, owner_user_id=consumer.id,
                        budget=500, status=LeadStatus.closed, created_at=posted,
                        performer_professional_id=business_id,
                        closed_at=posted + timedelta(days=3))
            session.add(lead)
            session.flush()
            session.add(Proposal(lead_id=lead.id, professional_id=business_id,
                                 created_by=consumer.id, price=500, description="הצעה",
                                 status="accepted",
                                 created_at=posted + timedelta(minutes=answer_minutes)))
            written.append((lead.id, posted))
        session.flush()
    client = caller_for(consumer)  # a review is its writer's
    with unit_of_work(client) as session:
        for lead_id, posted in written:
            session.add(Review(lead_id=lead_id, professional_id=business_id,
                               reviewer_user_id=consumer.id, rating=rating, quality=rating,
                               punctuality=rating, price=rating, attitude=rating,
                               created_at=posted + timedelta(days=4)))


def _activate(*businesses) -> None:
    with unit_of_work(SYSTEM) as session:
        for business in businesses:
            session.execute(text("UPDATE professionals SET status = 'active' WHERE id = :id"),
                            {"id": business.id})


@pytest.fixture
def businesses(db):
    found = {key: make_professional(business_name=name) for key, name in (
        ("gold", "אינסטלציה זהב"), ("silver", "שרברבות כסף"), ("new", "עסק חדש"))}
    _activate(*(business for business, _ in found.values()))
    _jobs(found["gold"][0].id, 12, 5, 30)
    _jobs(found["silver"][0].id, 4, 4, 600)
    return found


async def test_the_month_gives_each_business_its_tier_once_and_keeps_the_change(
        client, businesses) -> None:
    detail = run_job("update_tiers", as_of=AS_OF).detail
    assert "3 businesses evaluated" in detail, detail
    assert "bronze→gold 1" in detail and "bronze→silver 1" in detail
    tiers = dict(_sql("SELECT professional_id, tier FROM professional_tiers"))
    (gold, gold_owner), (silver, _), (new, _) = (businesses[k] for k in ("gold", "silver", "new"))
    assert (tiers[gold.id], tiers[silver.id], tiers[new.id]) == ("gold", "silver", "bronze")
    # a second run of the month evaluates nobody again
    assert "0 businesses evaluated" in run_job("update_tiers", as_of=AS_OF).detail
    assert _sql("SELECT count(*) FROM tier_evaluations") == [(3,)]
    # each evaluation keeps the figures and the tier before: the audit of the change
    assert _sql("SELECT completed_jobs, rating::text, response_minutes, disputes_lost,"
                " previous_tier, tier FROM tier_evaluations WHERE professional_id = :p",
                p=gold.id) == [(12, "5.00", 30, 0, "bronze", "gold")]
    with pytest.raises(Exception, match=r"permission denied|never changed"), \
            unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE tier_evaluations SET tier = 'premium'"))

    # anyone sees the tier; the business also what it took and what Premium needs
    public = (await client.get(f"{API}/professionals/{gold.id}/tier")).json()
    assert (public["tier"], public["commission_discount_pct"]) == ("gold", "10")
    assert public["figures"] is None and public["next_requires"] == []
    own = (await client.get(f"{API}/professionals/{gold.id}/tier",
                            headers=auth(gold_owner))).json()
    assert own["figures"]["completed_jobs"] == 12 and own["next_tier"] == "premium"
    assert {c["requirement"]: (c["needed"], c["have"], c["met"])
            for c in own["next_requires"]} == {
        "jobs": ("25", "12", False), "rating": ("4.8", "5.0", True),
        "response": ("60", "30", True), "disputes": ("0", "0", True)}
    assert (await client.get(f"{API}/professionals/{uuid.uuid4()}/tier")).status_code == 404

    # next month the business did nothing: its 90 days thin out, and it drops with a new row
    later = AS_OF + timedelta(days=92)
    run_job("update_tiers", as_of=later)
    assert dict(_sql("SELECT professional_id, tier FROM professional_tiers"))[gold.id] == "bronze"
    assert _sql("SELECT previous_tier, tier FROM tier_evaluations WHERE professional_id = :p"
                " ORDER BY month", p=gold.id) == [("bronze", "gold"), ("gold", "bronze")]


async def test_a_gold_business_pays_ten_percent_less_commission(client, businesses) -> None:
    run_job("update_tiers", as_of=AS_OF)
    gold_owner = businesses["gold"][1]
    consumer = make_user(name="רונית")
    lead = await post_lead(client, consumer, consumer_body())
    proposal = await propose(client, gold_owner, lead["id"], price="600")
    await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=auth(consumer))
    started = (await initiate(client, consumer, proposal["id"])).json()
    assert started["amounts"]["platform_commission"] == "54.00"  # 10 % less 10 %: 9 %
    assert started["amounts"]["professional_net_amount"] == "546.00"
    preview = await client.get(f"{API}/commission/preview?amount=600&type=consumer&tier=gold")
    assert preview.json()["platform_commission"] == "54.00"
    bad = await client.get(f"{API}/commission/preview?amount=600&type=consumer&tier=diamond")
    assert bad.status_code == 422


def test_tiers_are_written_by_the_platform_and_figures_read_by_the_business(businesses):
    """Row-level security: another business, another user and anonymous callers read no
    evaluation of a business and write no tier; the business reads its own."""
    run_job("update_tiers", as_of=AS_OF)
    (gold, gold_owner), (_, silver_owner) = businesses["gold"], businesses["silver"]
    with unit_of_work(caller_for(gold_owner)) as session:
        assert session.execute(text("SELECT count(*) FROM tier_evaluations")).scalar() == 1
    for caller in (caller_for(silver_owner), caller_for(make_user(name="זר")), ANONYMOUS):
        with unit_of_work(caller) as session:
            assert session.execute(text(
                "SELECT count(*) FROM tier_evaluations WHERE professional_id = :p"),
                {"p": gold.id}).scalar() == 0
            assert session.execute(text("SELECT count(*) FROM professional_tiers")).scalar() == 3
        with unit_of_work(caller) as session:  # a tier's row is not the caller's to change
            assert session.execute(text("UPDATE professional_tiers SET tier = 'premium'"
                                        " WHERE professional_id = :p"),
                                   {"p": gold.id}).rowcount == 0
        _refused_evaluation(caller, gold.id)
    _refused_evaluation(caller_for(gold_owner), gold.id)  # not even its own
    with unit_of_work(caller_for(gold_owner)) as session:
        assert session.execute(text("UPDATE professional_tiers SET tier = 'premium'")
                               ).rowcount == 0
    assert dict(_sql("SELECT professional_id, tier FROM professional_tiers"))[gold.id] == "gold"


def _refused_evaluation(caller, business_id) -> None:
    with pytest.raises(Exception, match=r"row-level security|permission denied"), \
            unit_of_work(caller) as session:
        session.execute(text(
            "INSERT INTO tier_evaluations (professional_id, month, tier, previous_tier,"
            " completed_jobs, rating, response_minutes, disputes_lost)"
            " VALUES (:p, '2027-01-01', 'premium', 'gold', 99, 5, 1, 0)"), {"p": business_id})


def _sql(query: str, **params):
    with unit_of_work(SYSTEM) as session:
        return session.execute(text(query), params).all()
