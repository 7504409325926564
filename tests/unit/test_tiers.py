"""Performance tiers' rules (ofair_app/domain/tiers.py): the tier earned from a business's last
90 days, what the next one needs, the settings refused, and that doing better never costs a
tier."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ofair_app.domain.tiers import (
    DEFAULT_BOARD_BOOSTS,
    DEFAULT_THRESHOLDS,
    Metrics,
    Requirement,
    Tier,
    checks,
    next_tier,
    parse_board_boosts,
    parse_discounts,
    parse_thresholds,
    tier_for,
)
from ofair_app.settings import Settings

D = Decimal


@pytest.mark.parametrize(("metrics", "tier"), [
    (Metrics(), Tier.bronze),  # a new business
    (Metrics(completed_jobs=3, rating=D("4.0"), response_minutes=1440, disputes_lost=1),
     Tier.silver),
    (Metrics(completed_jobs=10, rating=D("4.5"), response_minutes=240), Tier.gold),
    (Metrics(completed_jobs=25, rating=D("4.8"), response_minutes=60), Tier.premium),
    # one requirement short is the tier below
    (Metrics(completed_jobs=25, rating=D("4.8"), response_minutes=61), Tier.gold),
    (Metrics(completed_jobs=25, rating=D("4.9"), response_minutes=30, disputes_lost=1),
     Tier.silver),
    (Metrics(completed_jobs=50, rating=None, response_minutes=10), Tier.bronze),  # no review
    (Metrics(completed_jobs=50, rating=D("5"), response_minutes=None), Tier.bronze),
])
def test_the_tier_is_the_highest_whose_every_requirement_holds(metrics, tier) -> None:
    assert tier_for(metrics) == tier


def test_what_the_next_tier_needs_is_named_requirement_by_requirement() -> None:
    metrics = Metrics(completed_jobs=7, rating=D("4.62"), response_minutes=300)
    assert tier_for(metrics) == Tier.silver and next_tier(Tier.silver) == Tier.gold
    found = {c.requirement: (c.needed, c.have, c.met)
             for c in checks(metrics, DEFAULT_THRESHOLDS[Tier.gold])}
    assert found == {Requirement.jobs: ("10", "7", False),
                     Requirement.rating: ("4.5", "4.6", True),
                     Requirement.response: ("240", "300", False),
                     Requirement.disputes: ("0", "0", True)}
    assert next_tier(Tier.premium) is None


metrics_st = st.builds(
    Metrics, completed_jobs=st.integers(0, 60),
    rating=st.none() | st.decimals(min_value=1, max_value=5, places=2),
    response_minutes=st.none() | st.integers(0, 5000), disputes_lost=st.integers(0, 4))


@given(metrics_st, st.integers(0, 10), st.integers(0, 300))
def test_doing_better_never_costs_a_tier(metrics, more_jobs, faster) -> None:
    better = Metrics(completed_jobs=metrics.completed_jobs + more_jobs, rating=metrics.rating,
                     response_minutes=(max(0, metrics.response_minutes - faster)
                                       if metrics.response_minutes is not None else None),
                     disputes_lost=max(0, metrics.disputes_lost - 1))
    assert tier_for(better).rank >= tier_for(metrics).rank


def _thresholds(**changes) -> str:
    base = {"silver": {"min_jobs": 3, "min_rating": "4.0", "max_response_minutes": 1440,
                       "max_disputes_lost": 1},
            "gold": {"min_jobs": 10, "min_rating": "4.5", "max_response_minutes": 240,
                     "max_disputes_lost": 0},
            "premium": {"min_jobs": 25, "min_rating": "4.8", "max_response_minutes": 60,
                        "max_disputes_lost": 0}}
    for tier, values in changes.items():
        base[tier] = {**base[tier], **values} if values is not None else None
    return json.dumps({k: v for k, v in base.items() if v is not None})


def test_the_settings_parse_and_refuse_what_makes_no_sense() -> None:
    assert parse_thresholds(_thresholds()) == DEFAULT_THRESHOLDS
    assert parse_discounts('{"bronze": 0, "silver": 2.5, "gold": 10, "premium": 10}')[
        Tier.silver] == D("2.5")
    for bad in (_thresholds(gold={"min_jobs": 2}),  # easier than silver
                _thresholds(premium=None),  # a tier missing
                _thresholds(silver={"min_rating": "6"}),
                _thresholds(silver={"max_response_minutes": -1}),
                '["silver"]'):
        with pytest.raises(ValueError):
            parse_thresholds(bad)
    for bad in ('{"bronze": 0, "silver": 5, "gold": 4, "premium": 15}',
                '{"bronze": 0, "silver": 5, "gold": 10}',
                '{"bronze": 0, "silver": 5, "gold": 10, "premium": 101}'):
        with pytest.raises(ValueError):
            parse_discounts(bad)
    with pytest.raises(ValueError, match="gold must ask at least"):
        Settings(tier_thresholds=_thresholds(gold={"min_jobs": 2}))
    thresholds, discounts, boosts = Settings().tier_rules()
    assert thresholds == DEFAULT_THRESHOLDS and discounts[Tier.premium] == D("15")
    assert boosts == DEFAULT_BOARD_BOOSTS


def test_the_board_head_starts_parse_and_refuse_what_makes_no_sense() -> None:
    """`TIER_BOARD_BOOST_HOURS`: hours for every tier, 0-168, never less for a higher tier."""
    assert parse_board_boosts('{"bronze": 0, "silver": 0.5, "gold": 3, "premium": 168}') == {
        Tier.bronze: timedelta(0), Tier.silver: timedelta(minutes=30),
        Tier.gold: timedelta(hours=3), Tier.premium: timedelta(days=7)}
    assert list(DEFAULT_BOARD_BOOSTS.values()) == sorted(DEFAULT_BOARD_BOOSTS.values())
    for bad in ('{"bronze": 0, "silver": 5, "gold": 4, "premium": 15}',  # gold below silver
                '{"bronze": 0, "silver": 5, "gold": 10}',  # a tier missing
                '{"bronze": -1, "silver": 5, "gold": 10, "premium": 12}',
                '{"bronze": 0, "silver": 5, "gold": 10, "premium": 169}',  # over a week
                '{"bronze": 0, "silver": "NaN", "gold": 10, "premium": 12}',
                '{"bronze": 0, "silver": "soon", "gold": 10, "premium": 12}',
                '[2, 4, 8]'):
        with pytest.raises((ValueError, ArithmeticError)):
            parse_board_boosts(bad)
    with pytest.raises(ValueError, match="never shrink"):
        Settings(tier_board_boost_hours='{"bronze": 2, "silver": 1, "gold": 4, "premium": 8}')
    assert Settings(tier_board_boost_hours='{"bronze": 0, "silver": 1, "gold": 1, "premium": 2}'
                    ).tier_rules().board_boosts[Tier.premium] == timedelta(hours=2)
