"""How a job's final amount is split (DESIGN.md §3 "Money"): pure Decimal arithmetic.

consumer lead: the platform takes 10 %, the performer the rest.
professional lead: the platform takes 5 %, each referrer of the chain `final_amount × share / 100`
(the lead's owner, then whoever passed it on; nobody when the owner performs the job), the
performer the rest. The referrers' shares together are at most 90 %. A subscribing performer gets
`SUBSCRIBER_COMMISSION_DISCOUNT_PCT` off the platform rate, and its performance tier's
`TIER_DISCOUNTS` off what is left. Each part is rounded half-up to the
agora on its own and the performer's part is what remains, so the parts always sum exactly and
none is negative on an amount of 1.00 or more (the platform and the referrers take at most 95 %,
and rounding adds at most half an agora to each of their five parts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.leads import CENT, REFERRER_SHARE_RANGE, LeadType

if TYPE_CHECKING:
    from ofair_app.settings import Settings

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Rates:
    consumer_pct: Decimal = Decimal("10")
    referral_pct: Decimal = Decimal("5")
    subscriber_discount_pct: Decimal = Decimal("20")
    min_job_amount: Decimal = Decimal("100")
    # percent off the rate for the performer's performance tier (domain/tiers.py)
    tier_discounts: tuple[tuple[str, Decimal], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Rates:
        discounts = settings.tier_rules().discounts
        return cls(consumer_pct=settings.platform_fee_consumer_pct,
                   referral_pct=settings.platform_fee_referral_pct,
                   subscriber_discount_pct=settings.subscriber_commission_discount_pct,
                   min_job_amount=settings.min_job_amount,
                   tier_discounts=tuple((str(tier), pct) for tier, pct in discounts.items()))


@dataclass(frozen=True, slots=True)
class Split:
    final_amount: Decimal
    platform_commission: Decimal
    referrer_fee: Decimal  # every referrer's fee together
    professional_net_amount: Decimal
    platform_rate_pct: Decimal
    referrer_fees: tuple[Decimal, ...] = ()  # one per referrer, in the chain's order


def _part(amount: Decimal, pct: Decimal) -> Decimal:
    return (amount * pct / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def platform_rate(lead_type: LeadType | str, *, performer_subscribed: bool,
                  performer_tier: str | None = None, rates: Rates = Rates(),
                  base_pct: Decimal | None = None) -> Decimal:
    """The platform's percentage: the lead type's (or `base_pct`, a commission rule's), less
    the subscriber discount, less the performer's tier discount (each off what the one before
    left)."""
    base = base_pct if base_pct is not None else (
        rates.consumer_pct if LeadType(lead_type) == LeadType.consumer else rates.referral_pct)
    if performer_subscribed:
        base = base * (HUNDRED - rates.subscriber_discount_pct) / HUNDRED
    tier_off = dict(rates.tier_discounts).get(str(performer_tier)) if performer_tier else None
    if tier_off:
        base = base * (HUNDRED - tier_off) / HUNDRED
    return base


def split(final_amount: Decimal, lead_type: LeadType | str, *,
          referrer_shares: Sequence[Decimal] = (), performer_subscribed: bool = False,
          performer_tier: str | None = None, rates: Rates = Rates(),
          base_pct: Decimal | None = None) -> Split:
    """The parts of `final_amount`: the platform's, one per referrer (`referrer_shares`, in
    percent, in the chain's order: the owner first), the performer's. A consumer lead has no
    referrers. Refuses an amount below the minimum job amount or with fractions of an agora,
    a share outside 0–90 %, and shares that together pass 90 %."""
    if not isinstance(final_amount, Decimal) or not final_amount.is_finite() \
            or final_amount != final_amount.quantize(CENT):
        raise InvalidInput(fields={"final_amount": "errors.field.money"})
    if final_amount < rates.min_job_amount:
        raise InvalidInput(fields={"final_amount": "errors.payment.below_minimum"},
                           params={"min": str(rates.min_job_amount)})
    check_shares(referrer_shares)
    rate = platform_rate(lead_type, performer_subscribed=performer_subscribed,
                         performer_tier=performer_tier, rates=rates, base_pct=base_pct)
    platform = _part(final_amount, rate)
    fees: tuple[Decimal, ...] = ()
    if LeadType(lead_type) == LeadType.professional_referral:
        fees = tuple(_part(final_amount, share) for share in referrer_shares)
    referrer = sum(fees, Decimal("0.00"))
    net = final_amount - platform - referrer
    return Split(final_amount=final_amount.quantize(CENT), platform_commission=platform,
                 referrer_fee=referrer, professional_net_amount=net, platform_rate_pct=rate,
                 referrer_fees=fees)


def check_shares(shares: Sequence[Decimal]) -> None:
    """Each referrer's share is 0–90 %, and so are all of them together."""
    low, high = REFERRER_SHARE_RANGE
    if any(not low <= share <= high for share in shares) or sum(shares, Decimal(0)) > high:
        raise InvalidInput(fields={"referrer_share_percentage": "errors.lead.share_range"})
