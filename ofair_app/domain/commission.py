"""How a job's final amount is split (DESIGN.md §3 "Money"): pure Decimal arithmetic.

consumer lead: the platform takes 10 %, the performer the rest.
professional lead: the platform takes 5 %, the referrer `final_amount × share / 100` (nothing when
the referrer performs the job), the performer the rest. A subscribing performer gets
`SUBSCRIBER_COMMISSION_DISCOUNT_PCT` off the platform rate. Each part is rounded half-up to the
agora on its own and the performer's part is what remains, so the parts always sum exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.leads import CENT, REFERRER_SHARE_RANGE, LeadType

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Rates:
    consumer_pct: Decimal = Decimal("10")
    referral_pct: Decimal = Decimal("5")
    subscriber_discount_pct: Decimal = Decimal("20")
    min_job_amount: Decimal = Decimal("100")

    @classmethod
    def from_settings(cls, settings) -> Rates:
        return cls(consumer_pct=settings.platform_fee_consumer_pct,
                   referral_pct=settings.platform_fee_referral_pct,
                   subscriber_discount_pct=settings.subscriber_commission_discount_pct,
                   min_job_amount=settings.min_job_amount)


@dataclass(frozen=True, slots=True)
class Split:
    final_amount: Decimal
    platform_commission: Decimal
    referrer_fee: Decimal
    professional_net_amount: Decimal
    platform_rate_pct: Decimal


def _part(amount: Decimal, pct: Decimal) -> Decimal:
    return (amount * pct / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def platform_rate(lead_type: LeadType | str, *, performer_subscribed: bool,
                  rates: Rates = Rates()) -> Decimal:
    base = rates.consumer_pct if LeadType(lead_type) == LeadType.consumer else rates.referral_pct
    if performer_subscribed:
        base = base * (HUNDRED - rates.subscriber_discount_pct) / HUNDRED
    return base


def split(final_amount: Decimal, lead_type: LeadType | str, *,
          referrer_share_pct: Decimal = Decimal("0"), referrer_is_performer: bool = False,
          performer_subscribed: bool = False, rates: Rates = Rates()) -> Split:
    """The three parts of `final_amount`. Refuses an amount below the minimum job amount or
    with fractions of an agora, and a share outside 0–90 %."""
    if not isinstance(final_amount, Decimal) or not final_amount.is_finite() \
            or final_amount != final_amount.quantize(CENT):
        raise InvalidInput(fields={"final_amount": "errors.field.money"})
    if final_amount < rates.min_job_amount:
        raise InvalidInput(fields={"final_amount": "errors.payment.below_minimum"},
                           params={"min": str(rates.min_job_amount)})
    low, high = REFERRER_SHARE_RANGE
    if not low <= referrer_share_pct <= high:
        raise InvalidInput(fields={"referrer_share_percentage": "errors.lead.share_range"})
    rate = platform_rate(lead_type, performer_subscribed=performer_subscribed, rates=rates)
    platform = _part(final_amount, rate)
    referrer = Decimal("0.00")
    if LeadType(lead_type) == LeadType.professional_referral and not referrer_is_performer:
        referrer = _part(final_amount, referrer_share_pct)
    net = final_amount - platform - referrer
    return Split(final_amount=final_amount.quantize(CENT), platform_commission=platform,
                 referrer_fee=referrer, professional_net_amount=net, platform_rate_pct=rate)
