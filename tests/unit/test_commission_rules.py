"""Commission rules (ofair_app/domain/commission_rules.py): the most specific rule in force
answers every case, seasons start and end on their days, and bad rules are refused."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ofair_app.domain.commission_rules import (
    Case,
    NoDefaultRule,
    Rule,
    check,
    matches,
    rule_for,
)
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.leads import LeadType

D = Decimal
DEFAULT = Rule(id=uuid.uuid4(), rate_pct=D("10"))
REFERRAL = Rule(id=uuid.uuid4(), rate_pct=D("5"), lead_type=LeadType.professional_referral)
PLUMBING = Rule(id=uuid.uuid4(), rate_pct=D("8"), lead_type=LeadType.consumer,
                category_slug="plumbing")
BOILERS = Rule(id=uuid.uuid4(), rate_pct=D("7"), lead_type=LeadType.consumer,
               category_slug="plumbing", subcategory_slug="boilers")
SUMMER_AC = Rule(id=uuid.uuid4(), rate_pct=D("12"), category_slug="air-conditioning",
                 valid_from=date(2027, 6, 1), valid_until=date(2027, 9, 1))
GOLD = Rule(id=uuid.uuid4(), rate_pct=D("6"), lead_type=LeadType.consumer, tier="gold")
# written in this order (the database numbers them)
DEFAULT, REFERRAL, PLUMBING, BOILERS, SUMMER_AC, GOLD = RULES = [
    replace(rule, created_order=n)
    for n, rule in enumerate((DEFAULT, REFERRAL, PLUMBING, BOILERS, SUMMER_AC, GOLD))]
DAY = date(2027, 3, 1)


@pytest.mark.parametrize(("case", "expected"), [
    (Case(LeadType.consumer, DAY, "painting"), DEFAULT),
    (Case(LeadType.professional_referral, DAY, "plumbing"), REFERRAL),
    (Case(LeadType.consumer, DAY, "plumbing", "leaks"), PLUMBING),
    (Case(LeadType.consumer, DAY, "plumbing", "boilers"), BOILERS),  # most specific wins
    (Case(LeadType.consumer, DAY, "air-conditioning"), DEFAULT),  # not summer yet
    (Case(LeadType.consumer, date(2027, 6, 1), "air-conditioning"), SUMMER_AC),
    (Case(LeadType.consumer, date(2027, 8, 31), "air-conditioning"), SUMMER_AC),
    (Case(LeadType.consumer, date(2027, 9, 1), "air-conditioning"), DEFAULT),  # it ended
    (Case(LeadType.consumer, DAY, "painting", tier="gold"), GOLD),
    # as specific as each other (two conditions): the one written later wins
    (Case(LeadType.consumer, DAY, "plumbing", tier="gold"), GOLD),
])
def test_the_most_specific_rule_in_force_answers(case, expected) -> None:
    assert rule_for(RULES, case) == expected


def test_a_later_season_wins_over_an_earlier_one_of_the_same_shape() -> None:
    early = Rule(id=uuid.uuid4(), rate_pct=D("9"), category_slug="x",
                 valid_from=date(2027, 1, 1))
    late = Rule(id=uuid.uuid4(), rate_pct=D("11"), category_slug="x",
                valid_from=date(2027, 2, 1))
    assert rule_for([DEFAULT, early, late], Case(LeadType.consumer, DAY, "x")) == late


cases = st.builds(Case, lead_type=st.sampled_from(list(LeadType)),
                  on=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
                  category_slug=st.sampled_from(["plumbing", "air-conditioning", "x", None]),
                  subcategory_slug=st.sampled_from(["boilers", "leaks", None]),
                  locality_id=st.sampled_from([1, 2, None]),
                  tier=st.sampled_from(["bronze", "gold", None]), subscribed=st.booleans())


@given(cases)
def test_every_case_has_one_rule_and_it_matches(case) -> None:
    found = rule_for(RULES, case)
    assert matches(found, case)
    assert all(rule.conditions <= found.conditions for rule in RULES if matches(rule, case))


def test_without_the_default_rule_nothing_answers() -> None:
    with pytest.raises(NoDefaultRule):
        rule_for([PLUMBING], Case(LeadType.consumer, DAY, "painting"))


def test_a_bad_rule_names_every_bad_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        check(Rule(id=uuid.uuid4(), rate_pct=D("50.001"), subcategory_slug="boilers",
                   valid_from=date(2027, 2, 1), valid_until=date(2027, 2, 1)))
    assert caught.value.fields == {"rate_pct": "errors.rule.rate",
                                   "subcategory_slug": "errors.rule.subcategory_needs_category",
                                   "valid_until": "errors.rule.period"}
    check(BOILERS)
    check(SUMMER_AC)
