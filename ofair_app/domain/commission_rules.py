"""Commission rules (issue 22, point 3): pure, no I/O.

The platform's rate is an effective-dated rule an admin manages. A rule may name a lead type,
a category (and a subcategory of it), a city, a performance tier and whether the performer
subscribes, and may hold only for a period (a seasonal adjustment); whatever it leaves empty
it does not care about. For a job, the rule in force is the most specific rule that matches
and holds on the day: more conditions win; among as many, the one whose period started last;
then the newest. A default rule, naming nothing and holding always, answers every case, so
there is always one.

The rule's rate replaces the platform's settings for the lead type (the default rule has no
rate of its own: it stands for those settings). The subscriber discount
and the tier discount still apply, unless the rule itself names subscription or tier (then the
rule's rate is already the rate for them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.leads import LeadType

RATE_RANGE = (Decimal("0"), Decimal("50"))


@dataclass(frozen=True, slots=True)
class Rule:
    id: uuid.UUID
    rate_pct: Decimal | None  # none: the platform's configured rate of the lead type
    lead_type: LeadType | None = None
    category_slug: str | None = None
    subcategory_slug: str | None = None
    locality_id: int | None = None
    tier: str | None = None
    subscribed: bool | None = None
    valid_from: date | None = None  # inclusive; none: since always
    valid_until: date | None = None  # exclusive; none: for good
    created_order: int = 0  # the later written, the higher

    @property
    def is_default(self) -> bool:
        return self.conditions == 0 and self.valid_from is None and self.valid_until is None

    @property
    def conditions(self) -> int:
        """How many things the rule names (a subcategory counts with its category)."""
        return sum(value is not None for value in (
            self.lead_type, self.category_slug, self.subcategory_slug, self.locality_id,
            self.tier, self.subscribed))


@dataclass(frozen=True, slots=True)
class Case:
    """A job to price: what it is, where, who performs it, and on which day."""

    lead_type: LeadType
    on: date
    category_slug: str | None = None
    subcategory_slug: str | None = None
    locality_id: int | None = None
    tier: str | None = None
    subscribed: bool = False


def holds_on(rule: Rule, day: date) -> bool:
    return ((rule.valid_from is None or rule.valid_from <= day)
            and (rule.valid_until is None or day < rule.valid_until))


def matches(rule: Rule, case: Case) -> bool:
    """The rule holds on the case's day and each thing it names is the case's."""
    return (holds_on(rule, case.on)
            and rule.lead_type in (None, case.lead_type)
            and rule.category_slug in (None, case.category_slug)
            and rule.subcategory_slug in (None, case.subcategory_slug)
            and rule.locality_id in (None, case.locality_id)
            and rule.tier in (None, case.tier)
            and rule.subscribed in (None, case.subscribed))


def _rank(rule: Rule) -> tuple[int, date, int]:
    return rule.conditions, rule.valid_from or date.min, rule.created_order


class NoDefaultRule(ValueError):
    """No rule matched: the default rule is missing (the database keeps one)."""


def rule_for(rules: Iterable[Rule], case: Case) -> Rule:
    """The most specific rule that matches `case`."""
    found = [rule for rule in rules if matches(rule, case)]
    if not found:
        raise NoDefaultRule(f"no commission rule matches {case}")
    return max(found, key=_rank)


def check(rule: Rule) -> None:
    """A rule an admin may save: a rate of 0–50 %, a subcategory only with its category, a
    period that ends after it starts. Names every bad field at once."""
    fields: dict[str, str] = {}
    low, high = RATE_RANGE
    if rule.rate_pct is None or not rule.rate_pct.is_finite() \
            or not low <= rule.rate_pct <= high \
            or rule.rate_pct != rule.rate_pct.quantize(Decimal("0.01")):
        fields["rate_pct"] = "errors.rule.rate"
    if rule.subcategory_slug is not None and rule.category_slug is None:
        fields["subcategory_slug"] = "errors.rule.subcategory_needs_category"
    if rule.valid_from is not None and rule.valid_until is not None \
            and rule.valid_until <= rule.valid_from:
        fields["valid_until"] = "errors.rule.period"
    if fields:
        raise InvalidInput(fields=fields)
