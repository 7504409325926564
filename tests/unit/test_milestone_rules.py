"""Milestone plans (domain/milestones.py) and what a plan changes in a lead's steps
(domain/lead_actions.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.lead_actions import LeadAction, LeadSituation, ViewerRole, allowed_actions
from ofair_app.domain.leads import LeadStatus, LeadType
from ofair_app.domain.milestones import all_cancelled, all_done, check_plan

TODAY = date(2026, 12, 3)
A = LeadAction


def row(title: str, amount: object, days: int) -> dict:
    return {"title": title, "amount": amount, "due_on": (TODAY + timedelta(days=days))}


def test_a_plan_that_adds_up_is_read_exactly() -> None:
    steps = check_plan([row("הכנה", "1000.50", 7), row("ביצוע", 1999.5, 14)],
                       price=Decimal("3000"), today=TODAY)
    assert [s.amount for s in steps] == [Decimal("1000.50"), Decimal("1999.50")]
    assert steps[0].due_on == TODAY + timedelta(days=7)


def test_every_bad_step_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_plan([row("x", "0", 7), row("ביצוע", "1e3", -1), row("סיום", "١٠٠", 3000)],
                   price=Decimal("3000"), today=TODAY)
    assert set(refused.value.fields) == {
        "milestones.0.title", "milestones.0.amount", "milestones.1.amount",
        "milestones.1.due_on", "milestones.2.amount", "milestones.2.due_on"}


def test_the_sum_must_be_the_price_to_the_agora() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_plan([row("הכנה", "1000", 7), row("ביצוע", "1999.99", 14)],
                   price=Decimal("3000"), today=TODAY)
    assert refused.value.fields == {"milestones": "errors.milestone.sum"}
    assert refused.value.field_params["milestones"] == {"total": "2,999.99", "price": "3,000"}


@pytest.mark.parametrize("rows", [[], [row("הכל", "3000", 7)], None, "steps",
                                  [row("שלב", "250", 7)] * 13])
def test_a_plan_has_two_to_twelve_steps(rows) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_plan(rows, price=Decimal("3000"), today=TODAY)
    assert "milestones" in refused.value.fields


def test_due_dates_follow_the_steps() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_plan([row("הכנה", "1000", 14), row("ביצוע", "2000", 7)],
                   price=Decimal("3000"), today=TODAY)
    assert refused.value.fields == {"milestones.1.due_on": "errors.milestone.due_order"}


def test_when_the_job_is_over() -> None:
    assert all_done(["approved", "approved"]) and all_done(["approved", "cancelled"])
    assert not all_done(["approved", "disputed"]) and not all_done(["cancelled", "cancelled"])
    assert not all_done([]) and all_cancelled(["cancelled", "cancelled"])


@pytest.mark.parametrize(("role", "status", "plan", "absent", "present"), [
    (ViewerRole.client, LeadStatus.awarded, "agreed", {A.pay, A.change_price},
     {A.cancel_award}),
    (ViewerRole.client, LeadStatus.awarded, "proposed", {A.pay}, {A.change_price}),
    (ViewerRole.referrer, LeadStatus.awarded, "agreed", {A.send_payment_link}, set()),
    (ViewerRole.performer, LeadStatus.in_progress, "agreed", {A.mark_done}, {A.view_client}),
    (ViewerRole.client, LeadStatus.in_progress, "agreed", {A.open_dispute}, set()),
    (ViewerRole.client, LeadStatus.awarded, None, set(), {A.pay, A.change_price}),
])
def test_a_plan_moves_the_job_level_steps_into_the_milestones(role, status, plan, absent,
                                                                present) -> None:
    lead_type = LeadType.professional_referral if role == ViewerRole.referrer \
        else LeadType.consumer
    allowed = allowed_actions(role, LeadSituation(lead_type=lead_type, status=status,
                                                  paid=True, plan=plan))
    assert not (absent & allowed) and present <= allowed
