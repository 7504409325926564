"""Performance tiers (issue 22, point 2): pure rules, no I/O.

Each month every business gets a tier from its last 90 days: jobs it completed, the rating
its clients gave, how fast it answers new leads, and disputes it lost. A tier is earned when
every one of its requirements holds; the business gets the highest tier it earns (Bronze needs
nothing). The thresholds are a setting (`TIER_THRESHOLDS`), as is what each tier is worth
(`TIER_DISCOUNTS`: percent off the platform's commission rate; `TIER_BOARD_BOOST_HOURS`: the
head start its leads get on the Lead Board, which orders them as if posted that much later)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

WINDOW = timedelta(days=90)


class Tier(StrEnum):
    bronze = "bronze"
    silver = "silver"
    gold = "gold"
    premium = "premium"

    @property
    def rank(self) -> int:
        return ORDER.index(self)


ORDER = (Tier.bronze, Tier.silver, Tier.gold, Tier.premium)


@dataclass(frozen=True, slots=True)
class Metrics:
    """A business's last 90 days."""

    completed_jobs: int = 0  # jobs it performed that closed
    rating: Decimal | None = None  # the average of its reviews (none: no review)
    response_minutes: int | None = None  # median minutes from a lead's posting to its offer
    disputes_lost: int = 0  # disputes decided with a refund against it


@dataclass(frozen=True, slots=True)
class Threshold:
    """What a tier requires."""

    min_jobs: int
    min_rating: Decimal
    max_response_minutes: int
    max_disputes_lost: int


DEFAULT_THRESHOLDS: dict[Tier, Threshold] = {
    Tier.silver: Threshold(min_jobs=3, min_rating=Decimal("4.0"), max_response_minutes=24 * 60,
                           max_disputes_lost=1),
    Tier.gold: Threshold(min_jobs=10, min_rating=Decimal("4.5"), max_response_minutes=4 * 60,
                         max_disputes_lost=0),
    Tier.premium: Threshold(min_jobs=25, min_rating=Decimal("4.8"), max_response_minutes=60,
                            max_disputes_lost=0),
}
DEFAULT_DISCOUNTS: dict[Tier, Decimal] = {Tier.bronze: Decimal("0"), Tier.silver: Decimal("5"),
                                          Tier.gold: Decimal("10"), Tier.premium: Decimal("15")}

DEFAULT_BOARD_BOOSTS: dict[Tier, timedelta] = {
    Tier.bronze: timedelta(0), Tier.silver: timedelta(hours=2), Tier.gold: timedelta(hours=4),
    Tier.premium: timedelta(hours=8)}
MAX_BOARD_BOOST = timedelta(days=7)  # as the database allows (migration 0032)


class TierRules(NamedTuple):
    """What the tiers require and what each is worth (the settings, or the defaults)."""

    thresholds: dict[Tier, Threshold]
    discounts: dict[Tier, Decimal]
    board_boosts: dict[Tier, timedelta]


class Requirement(StrEnum):
    jobs = "jobs"
    rating = "rating"
    response = "response"
    disputes = "disputes"


@dataclass(frozen=True, slots=True)
class Check:
    """One requirement of a tier against the business's figure: met, or what is missing."""

    requirement: Requirement
    needed: str  # the threshold, as shown ("10", "4.5", "240", "0")
    have: str  # the business's figure ("" when it has none: no reviews, no offers)
    met: bool


def checks(metrics: Metrics, threshold: Threshold) -> list[Check]:
    """Each requirement of `threshold` against `metrics`."""
    rating = metrics.rating
    response = metrics.response_minutes
    return [
        Check(Requirement.jobs, str(threshold.min_jobs), str(metrics.completed_jobs),
              metrics.completed_jobs >= threshold.min_jobs),
        Check(Requirement.rating, f"{threshold.min_rating:f}",
              f"{rating:.1f}" if rating is not None else "",
              rating is not None and rating >= threshold.min_rating),
        Check(Requirement.response, str(threshold.max_response_minutes),
              str(response) if response is not None else "",
              response is not None and response <= threshold.max_response_minutes),
        Check(Requirement.disputes, str(threshold.max_disputes_lost), str(metrics.disputes_lost),
              metrics.disputes_lost <= threshold.max_disputes_lost),
    ]


def tier_for(metrics: Metrics, thresholds: dict[Tier, Threshold] = DEFAULT_THRESHOLDS) -> Tier:
    """The highest tier whose every requirement `metrics` meets (Bronze at least)."""
    earned = Tier.bronze
    for tier in ORDER[1:]:
        threshold = thresholds.get(tier)
        if threshold is None or not all(check.met for check in checks(metrics, threshold)):
            break
        earned = tier
    return earned


def next_tier(tier: Tier) -> Tier | None:
    return ORDER[tier.rank + 1] if tier.rank + 1 < len(ORDER) else None


def parse_thresholds(raw: str) -> dict[Tier, Threshold]:
    """`TIER_THRESHOLDS`: a JSON object of tier → {min_jobs, min_rating, max_response_minutes,
    max_disputes_lost}, for silver, gold and premium, each at least as demanding as the one
    below. Raises ValueError on anything else."""
    data = json.loads(raw)
    if not isinstance(data, dict) or set(data) != {"silver", "gold", "premium"}:
        raise ValueError("TIER_THRESHOLDS names silver, gold and premium")
    parsed: dict[Tier, Threshold] = {}
    for name, values in data.items():
        if not isinstance(values, dict) or set(values) != {
                "min_jobs", "min_rating", "max_response_minutes", "max_disputes_lost"}:
            raise ValueError(f"TIER_THRESHOLDS[{name}] needs min_jobs, min_rating,"
                             " max_response_minutes and max_disputes_lost")
        threshold = Threshold(min_jobs=int(values["min_jobs"]),
                              min_rating=Decimal(str(values["min_rating"])),
                              max_response_minutes=int(values["max_response_minutes"]),
                              max_disputes_lost=int(values["max_disputes_lost"]))
        if threshold.min_jobs < 0 or not Decimal(0) <= threshold.min_rating <= Decimal(5) \
                or threshold.max_response_minutes < 0 or threshold.max_disputes_lost < 0:
            raise ValueError(f"TIER_THRESHOLDS[{name}] is out of range")
        parsed[Tier(name)] = threshold
    for lower, higher in itertools.pairwise(ORDER[1:]):
        a, b = parsed[lower], parsed[higher]
        if b.min_jobs < a.min_jobs or b.min_rating < a.min_rating \
                or b.max_response_minutes > a.max_response_minutes \
                or b.max_disputes_lost > a.max_disputes_lost:
            raise ValueError(f"TIER_THRESHOLDS: {higher} must ask at least what {lower} asks")
    return parsed


def parse_discounts(raw: str) -> dict[Tier, Decimal]:
    """`TIER_DISCOUNTS`: a JSON object of tier → percent off the platform's rate (0–100),
    for every tier, never less for a higher tier."""
    data = json.loads(raw)
    if not isinstance(data, dict) or set(data) != {tier.value for tier in ORDER}:
        raise ValueError("TIER_DISCOUNTS names bronze, silver, gold and premium")
    parsed = {Tier(name): Decimal(str(value)) for name, value in data.items()}
    if any(not Decimal(0) <= value <= Decimal(100) for value in parsed.values()):
        raise ValueError("TIER_DISCOUNTS are percentages between 0 and 100")
    if any(parsed[b] < parsed[a] for a, b in itertools.pairwise(ORDER)):
        raise ValueError("TIER_DISCOUNTS never shrink as the tier grows")
    return parsed


def parse_board_boosts(raw: str) -> dict[Tier, timedelta]:
    """`TIER_BOARD_BOOST_HOURS`: a JSON object of tier → hours of head start on the Lead Board
    (0 to 168), for every tier, never less for a higher tier."""
    data = json.loads(raw)
    if not isinstance(data, dict) or set(data) != {tier.value for tier in ORDER}:
        raise ValueError("TIER_BOARD_BOOST_HOURS names bronze, silver, gold and premium")
    hours = {Tier(name): Decimal(str(value)) for name, value in data.items()}
    if any(not value.is_finite() or not Decimal(0) <= value <= Decimal(168)
           for value in hours.values()):
        raise ValueError("TIER_BOARD_BOOST_HOURS are hours between 0 and 168")
    if any(hours[b] < hours[a] for a, b in itertools.pairwise(ORDER)):
        raise ValueError("TIER_BOARD_BOOST_HOURS never shrink as the tier grows")
    return {tier: timedelta(seconds=int(value * 3600)) for tier, value in hours.items()}
