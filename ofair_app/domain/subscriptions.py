"""The pro subscription's rules: its periods, renewals, grace and what it is worth.

Entitlement comes from billing state alone: a business has the plan's benefits while a paid
(or granted) period covers the moment, or, when a renewal failed, through the grace period
after it while the charge is retried. `professionals.subscribed_until` caches the result for
every reader (the board's pinned leads, the split's discount, notifications first, the badge).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from ofair_app.domain import tax
from ofair_app.domain.errors import Conflict

PERIOD = timedelta(days=30)  # one billing period ("a month")
GRACE = timedelta(days=7)  # benefits go on this long after a renewal failed
RETRY_DAYS = (1, 3, 7)  # a failed renewal is tried again this many days after the period ended
PROVIDER_RETRY = timedelta(hours=1)  # no answer from the provider: the same key again
# The statuses the rules read (models.SubscriptionStatus holds them all, in the same words).
ACTIVE, PAST_DUE, CANCELLED = "active", "past_due", "cancelled"
LIVE = (ACTIVE, PAST_DUE)


class AlreadySubscribed(Conflict):
    code, message_key = "already_subscribed", "errors.subscription.already"


class NotCancellable(Conflict):
    code, message_key = "not_cancellable", "errors.subscription.not_cancellable"


@dataclass(frozen=True)
class Price:
    """A period's price: before VAT (the plan's price), the VAT of the day and the total."""

    before_vat: Decimal
    vat: Decimal
    total: Decimal


def price_on(before_vat: Decimal, on: date) -> Price:
    vat = tax.vat_on(before_vat, tax.vat_rate(on))
    return Price(before_vat=before_vat, vat=vat, total=before_vat + vat)


def entitled_until(status: str, starts_at: datetime, ends_at: datetime) -> datetime | None:
    """Until when a subscription in `status` whose last period ends at `ends_at` gives the
    plan's benefits (None: none; an admin cancelled it, or no period was ever paid)."""
    if status == CANCELLED or ends_at <= starts_at:
        return None
    if status == PAST_DUE:
        return ends_at + GRACE
    return ends_at


def next_retry(period_end: datetime, failures: int) -> datetime | None:
    """When to charge a period again after `failures` failed automatic charges: 1, 3 and 7
    days after the period began; None after the last (the subscription lapses)."""
    if failures > len(RETRY_DAYS):
        return None
    return period_end + timedelta(days=RETRY_DAYS[failures - 1])


def charge_key(subscription_id: uuid.UUID, period_start: datetime, attempt: int) -> str:
    """The provider's idempotency key: a charge whose answer was lost is sent again under it."""
    return f"subscription:{subscription_id}:{period_start:%Y%m%dT%H%M%S}:{attempt}"
