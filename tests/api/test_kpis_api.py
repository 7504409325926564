"""The admin dashboard's figures over REST (issue 18 point 1): real money and leads counted
into the right period, the period before beside it, the queues now; only admins read it, and
a bad period is a clear 422."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.tax import israel_date
from ofair_app.models import Payment, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import kpis
from tests.api.test_leads_api import API, auth
from tests.factories import make_lead, make_paid_job, make_professional, make_user


@pytest.fixture
def world(db):
    admin = make_user(role=UserRole.admin, name="נועה")
    consumer = make_user(name="רונית")
    business, performer = make_professional(make_user(name="אלון"),
                                            business_name="אינסטלציה אלון")
    make_lead(consumer)
    paid = make_paid_job(consumer, performer, "900", title="החלפת ברז")
    make_lead(make_user(name="משה"))
    return {"admin": admin, "consumer": consumer, "performer": performer,
            "business": business, "paid": paid}


async def test_a_paid_job_and_the_leads_are_counted_in_todays_period(client, world) -> None:
    answer = await client.get(f"{API}/admin/kpis", headers=auth(world["admin"]),
                              params={"days": 7})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    with unit_of_work(SYSTEM) as session:
        payment = session.exec(select(Payment).where(
            Payment.lead_id == world["paid"].id)).one()
    now = body["current"]
    assert Decimal(now["gmv"]) == payment.final_amount == Decimal("900.00")
    assert Decimal(now["revenue"]) == payment.platform_commission > 0
    assert Decimal(now["referral_fees"]) == Decimal("0")
    assert now["funnel"] == {"posted": 3, "proposed": 1, "awarded": 1, "paid": 1, "closed": 0,
                             "proposed_rate": "33.3", "awarded_rate": "100.0",
                             "paid_rate": "100.0", "closed_rate": "0.0"}
    assert now["median_first_proposal_minutes"] is not None
    assert now["active_businesses"] == 1
    today = israel_date(utcnow())
    assert (now["since"], now["until"]) == (str(today - timedelta(days=6)), str(today))
    before = body["previous"]
    assert (before["since"], before["until"]) == (str(today - timedelta(days=13)),
                                                  str(today - timedelta(days=7)))
    assert before["funnel"]["posted"] == 0 and Decimal(before["gmv"]) == 0
    assert len(body["per_day"]) == 7
    assert body["per_day"][-1] == {"day": str(today), "consumer": 3,
                                   "professional_referral": 0}
    assert body["queues"] == {"open_disputes": 0, "flagged_payments": 0, "pending_payouts": 0,
                              "pending_payouts_amount": "0.00"}
    # a custom period that ends yesterday sees none of it
    past = await client.get(f"{API}/admin/kpis", headers=auth(world["admin"]), params={
        "since": str(today - timedelta(days=30)), "until": str(today - timedelta(days=1))})
    assert past.status_code == 200
    assert past.json()["current"]["funnel"]["posted"] == 0


async def test_only_an_admin_reads_the_dashboard(client, world) -> None:
    assert (await client.get(f"{API}/admin/kpis")).status_code == 401
    for user in ("consumer", "performer"):
        answer = await client.get(f"{API}/admin/kpis", headers=auth(world[user]))
        assert answer.status_code == 403, user


@pytest.mark.parametrize(("params", "field"), [
    ({"days": 0}, "days"), ({"days": 400}, "days"),
    ({"since": "2026-13-01", "until": "2026-12-01"}, "since"),
    ({"since": "2026-12-01"}, "until"), ({"until": "2026-12-01"}, "since"),
    ({"since": "2026-11-02", "until": "2026-11-01"}, "until"),
    ({"since": "2024-01-01", "until": "2025-12-31"}, "until"),
    ({"since": "2999-01-01", "until": "2999-01-02"}, "since"),
])
async def test_a_bad_period_is_a_clear_422(client, world, params, field) -> None:
    answer = await client.get(f"{API}/admin/kpis", headers=auth(world["admin"]), params=params)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"], answer.json()


def test_the_period_before_has_the_same_length_and_rates_skip_empty_steps() -> None:
    period = kpis.Period(since=israel_date(utcnow()) - timedelta(days=29),
                         until=israel_date(utcnow()))
    before = period.before()
    assert before.days == period.days == 30 and before.until == period.since - timedelta(1)
    assert kpis.Funnel(posted=0).rate("proposed") is None
    assert kpis.Funnel(posted=3, proposed=2).rate("proposed") == Decimal("66.7")
    assert kpis.change(Decimal("150"), Decimal("100")) == Decimal("50.0")
    assert kpis.change(5, 0) is None


def _recount() -> tuple[list, list]:
    """What `lead_days` and `lead_first_proposals` should hold, counted from `leads` now."""
    from sqlalchemy import text

    with unit_of_work(SYSTEM) as session:
        kept = session.execute(text(
            "SELECT day, type, posted, proposed, awarded, paid, closed FROM lead_days "
            "WHERE posted + proposed + awarded + paid + closed > 0 ORDER BY 1, 2")).all()
        kept_delays = session.execute(text(
            "SELECT day, bucket, leads FROM lead_first_proposals WHERE leads > 0 "
            "ORDER BY 1, 2")).all()
    from ofair_app.db.engine import owner_engine

    with owner_engine().connect() as conn:  # the recount is the schema owner's (a bulk load's)
        recount = conn.begin()
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        conn.execute(text("SELECT kpi_days_rebuild()"))
        counted = conn.execute(text(
            "SELECT day, type, posted, proposed, awarded, paid, closed FROM lead_days "
            "ORDER BY 1, 2")).all()
        counted_delays = conn.execute(text(
            "SELECT day, bucket, leads FROM lead_first_proposals ORDER BY 1, 2")).all()
        recount.rollback()
    return [tuple(r) for r in kept], [tuple(r) for r in counted], \
        [tuple(r) for r in kept_delays], [tuple(r) for r in counted_delays]


def test_the_daily_counts_follow_every_lead_along_its_life(db) -> None:
    """The trigger keeps `lead_days` equal to a recount from `leads` through posting, offers,
    award, payment, completion, closing, cancelling."""
    from ofair_app.services import leads as lead_service
    from tests.factories import caller_for

    consumer = make_user(name="רונית")
    _, performer = make_professional(make_user(name="אלון"))
    make_paid_job(consumer, performer, "700", done=True)  # closed
    make_paid_job(consumer, performer, "500")  # paid
    cancelled = make_lead(consumer)
    with unit_of_work(caller_for(consumer)) as session:
        lead_service.cancel_lead(session=session, caller=caller_for(consumer),
                                 lead_id=cancelled.id)
    make_lead(consumer)
    kept, counted, kept_delays, counted_delays = _recount()
    assert kept == counted
    assert kept_delays == counted_delays
    [(_, kind, posted, proposed, awarded, paid, closed)] = kept
    assert (kind, posted, proposed, awarded, paid, closed) == ("consumer", 4, 2, 2, 2, 1)


async def test_nobody_but_an_admin_reads_the_daily_counts(client, world) -> None:
    """RLS: another user, a business and an anonymous caller read no row of either table."""
    from sqlalchemy import text

    from ofair_app.db.engine import ANONYMOUS
    from tests.factories import caller_for

    for caller in (ANONYMOUS, caller_for(world["consumer"]), caller_for(world["performer"])):
        with unit_of_work(caller) as session:
            for table in ("lead_days", "lead_first_proposals"):
                assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    with unit_of_work(caller_for(world["admin"])) as session:
        assert session.execute(text("SELECT count(*) FROM lead_days")).scalar_one() == 1
