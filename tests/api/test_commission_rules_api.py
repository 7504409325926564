"""Commission rules through the REST contract (issue 22, point 3): admins write effective-dated
rules, preview what one would change, and retire them; the most specific rule in force prices
each job and is frozen with its split; bad rules are refused naming every field; only admins
write them (row-level security on the new table)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from ofair_app import reference
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.tax import israel_date
from ofair_app.models import UserRole
from ofair_app.models._base import utcnow
from ofair_app.services.commission import DEFAULT_RULE_ID
from tests.api.money import initiate, pay
from tests.api.test_leads_api import API, auth, consumer_body, post_lead
from tests.api.test_proposals_api import propose
from tests.factories import caller_for, make_professional, make_user

RULES = f"{API}/admin/commission-rules"
FIRST, SECOND = reference.categories()[0], reference.categories()[1]


@pytest.fixture
def people(db):
    business, owner = make_professional(business_name="אינסטלציה רון")
    return {"admin": make_user(role=UserRole.admin, name="נועה"),
            "consumer": make_user(name="רונית"), "owner": owner, "business": business}


async def _job(client, people, category, price="600") -> dict:
    """A consumer's job in `category`, won by the business at `price`: its payment started."""
    lead = await post_lead(client, people["consumer"], consumer_body(
        category=category.slug, subcategory=category.subcategories[0].slug))
    proposal = await propose(client, people["owner"], lead["id"], price=price)
    await client.post(f"{API}/proposals/{proposal['id']}/accept", headers=auth(people["consumer"]))
    started = await initiate(client, people["consumer"], proposal["id"])
    assert started.status_code == 201, started.text
    return started.json()


def _rule_of(payment_id: str):
    with unit_of_work(SYSTEM) as session:
        return session.execute(text("SELECT commission_rule_id FROM payments WHERE id = :id"),
                               {"id": payment_id}).scalar_one()


async def test_the_most_specific_rule_prices_a_job_and_is_frozen_with_it(client, people):
    admin = people["admin"]
    before = await _job(client, people, FIRST)  # the default: the configured 10 %
    assert before["amounts"]["platform_commission"] == "60.00"
    assert _rule_of(before["payment_id"]) == DEFAULT_RULE_ID
    await pay(client, before["psp_reference"])

    body = {"rate_pct": "8", "lead_type": "consumer", "category_slug": FIRST.slug,
            "note": "מבצע אינסטלציה"}
    # before saving: what it would change on the last 90 days' jobs
    preview = await client.post(f"{RULES}/preview", json=body, headers=auth(admin))
    assert preview.status_code == 200, preview.text
    found = preview.json()
    assert (found["jobs_changed"], found["commission_now"], found["commission_with_rule"],
            found["difference"]) == (1, "60.00", "48.00", "-12.00")
    assert found["jobs"][0]["amount"] == "600.00"
    assert [row["is_default"] for row in (await client.get(RULES, headers=auth(admin))).json()
            ] == [True]  # the preview wrote nothing

    created = await client.post(RULES, json=body, headers=auth(admin))
    assert created.status_code == 201, created.text
    rule = created.json()
    after = await _job(client, people, FIRST)
    assert after["amounts"]["platform_commission"] == "48.00"
    assert str(_rule_of(after["payment_id"])) == rule["id"]
    other = await _job(client, people, SECOND)  # another category: still the default
    assert other["amounts"]["platform_commission"] == "60.00"

    # retired: new jobs go back to the default; the paid job keeps what it was frozen with
    retired = await client.post(f"{RULES}/{rule['id']}/retire", headers=auth(admin))
    assert retired.status_code == 200 and retired.json()["retired_at"]
    again = await client.post(f"{RULES}/{rule['id']}/retire", headers=auth(admin))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "rule_retired")
    assert str(_rule_of(after["payment_id"])) == rule["id"]
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT platform_commission::text FROM payments"
                                    " WHERE id = :id"), {"id": after["payment_id"]}
                               ).scalar_one() == "48.00"
    listed = (await client.get(f"{RULES}?retired=true", headers=auth(admin))).json()
    assert [r["id"] for r in listed] == [rule["id"], str(DEFAULT_RULE_ID)]
    audited = (await client.get(f"{API}/admin/audit?action=commission_rule.create",
                                headers=auth(admin))).json()["items"]
    assert audited and audited[0]["subject"] == f"commission_rule:{rule['id']}"


async def test_a_season_holds_from_its_first_day_and_a_tier_rule_takes_no_tier_discount(
        client, people):
    admin, today = people["admin"], israel_date(utcnow())
    later = {"rate_pct": "4", "valid_from": (today + timedelta(days=1)).isoformat(),
             "valid_until": (today + timedelta(days=30)).isoformat()}
    assert (await client.post(RULES, json=later, headers=auth(admin))).status_code == 201
    assert (await _job(client, people, FIRST))["amounts"]["platform_commission"] == "60.00"
    # a business of the gold tier: 10 % less, unless the rule names the tier itself
    with unit_of_work(SYSTEM) as session:
        evaluation = session.execute(text(
            "INSERT INTO tier_evaluations (professional_id, month, tier, previous_tier,"
            " completed_jobs, disputes_lost) VALUES (:p, '2026-11-01', 'gold', 'bronze', 12, 0)"
            " RETURNING id"), {"p": people["business"].id}).scalar_one()
        session.execute(text("INSERT INTO professional_tiers VALUES (:p, 'gold', now(), :e)"),
                        {"p": people["business"].id, "e": evaluation})
    assert (await _job(client, people, FIRST))["amounts"]["platform_commission"] == "54.00"
    gold = {"rate_pct": "7", "tier": "gold"}
    assert (await client.post(RULES, json=gold, headers=auth(admin))).status_code == 201
    assert (await _job(client, people, FIRST))["amounts"]["platform_commission"] == "42.00"


@pytest.mark.parametrize(("body", "fields"), [
    ({"rate_pct": "50.01"}, {"rate_pct"}),
    ({"rate_pct": "-1"}, {"rate_pct"}),
    ({"rate_pct": "abc"}, {"rate_pct"}),
    ({"rate_pct": "5", "subcategory_slug": "boilers"}, {"subcategory_slug"}),
    ({"rate_pct": "5", "category_slug": "no-such-trade"}, {"category_slug"}),
    ({"rate_pct": "5", "category_slug": FIRST.slug,
      "subcategory_slug": SECOND.subcategories[0].slug}, {"subcategory_slug"}),
    ({"rate_pct": "5", "locality_id": 999999}, {"locality_id"}),
    ({"rate_pct": "5", "valid_from": "2027-03-01", "valid_until": "2027-02-01"},
     {"valid_until"}),
    ({"rate_pct": "5", "valid_until": "2020-01-01"}, {"valid_until"}),
    ({"rate_pct": "5", "tier": "diamond"}, {"tier"}),
    ({"rate_pct": "5", "lead_type": "other"}, {"lead_type"}),
    ({}, {"rate_pct"}),
])
async def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_written(
        client, people, body, fields):
    for path in (RULES, f"{RULES}/preview"):
        response = await client.post(path, json=body, headers=auth(people["admin"]))
        assert response.status_code == 422, (path, response.text)
        assert fields <= set(response.json()["error"]["fields"]), response.json()
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM commission_rules")).scalar() == 1


async def test_only_admins_write_rules_and_the_default_stays(client, people):
    admin, owner = people["admin"], people["owner"]
    for user, status in ((owner, 403), (people["consumer"], 403), (None, 401)):
        headers = auth(user) if user else {}
        assert (await client.get(RULES, headers=headers)).status_code == status
        assert (await client.post(RULES, json={"rate_pct": "1"}, headers=headers)
                ).status_code == status
    default = await client.post(f"{RULES}/{DEFAULT_RULE_ID}/retire", headers=auth(admin))
    assert (default.status_code, default.json()["error"]["code"]) == (409, "default_rule")
    assert (await client.post(f"{RULES}/{uuid.uuid4()}/retire", headers=auth(admin))
            ).status_code == 404


def test_rules_are_read_by_all_and_written_by_admins_only(people):
    """Row-level security: another business, a consumer and anonymous callers read the rules
    (public terms) but write none and retire none; and no rule is ever edited or deleted."""
    for caller in (caller_for(people["owner"]), caller_for(people["consumer"]), ANONYMOUS):
        with unit_of_work(caller) as session:
            assert session.execute(text("SELECT count(*) FROM commission_rules")).scalar() == 1
            assert session.execute(text("UPDATE commission_rules SET retired_at = now()")
                                   ).rowcount == 0
        with pytest.raises(Exception, match=r"row-level security|permission denied"), \
                unit_of_work(caller) as session:
            session.execute(text("INSERT INTO commission_rules (rate_pct) VALUES (1)"))
    with pytest.raises(Exception, match="only retired"), unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE commission_rules SET rate_pct = 3"))
    with pytest.raises(Exception, match=r"never deleted|permission denied"), \
            unit_of_work(SYSTEM) as session:
        session.execute(text("DELETE FROM commission_rules"))
