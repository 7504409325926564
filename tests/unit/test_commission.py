"""How a job's final amount is split (ofair_app/domain/commission.py): the DESIGN examples, the
subscriber discount, the refusals, and properties over every amount and share."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ofair_app.domain.commission import Rates, platform_rate, split
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.leads import LeadType

D = Decimal
CENT = D("0.01")
MIN_JOB_AMOUNT = Rates().min_job_amount


def parts(result) -> tuple[Decimal, Decimal, Decimal]:
    return result.platform_commission, result.referrer_fee, result.professional_net_amount


# --- the worked examples -------------------------------------------------------------------


def test_design_example_pro_lead_1000_at_20_percent_share() -> None:
    result = split(D("1000.00"), LeadType.professional_referral, referrer_shares=(D("20"),))
    assert result.final_amount == D("1000.00")
    assert parts(result) == (D("50.00"), D("200.00"), D("750.00"))
    assert result.platform_rate_pct == D("5")
    assert [str(p) for p in parts(result)] == ["50.00", "200.00", "750.00"]


def test_consumer_lead_takes_ten_percent_and_has_no_referrer() -> None:
    result = split(D("1000"), LeadType.consumer)
    assert parts(result) == (D("100.00"), D("0.00"), D("900.00"))
    assert str(result.final_amount) == "1000.00"
    assert result.platform_rate_pct == D("10")


def test_a_consumer_lead_ignores_a_share_given_by_mistake() -> None:
    result = split(D("1000"), LeadType.consumer, referrer_shares=(D("20"),))
    assert parts(result) == (D("100.00"), D("0.00"), D("900.00"))


def test_a_referrer_who_performs_the_job_pays_no_referrer_fee() -> None:
    result = split(D("1000.00"), "professional_referral", referrer_shares=())
    assert parts(result) == (D("50.00"), D("0.00"), D("950.00"))


@pytest.mark.parametrize(("lead_type", "rate", "platform", "net"), [
    (LeadType.professional_referral, D("4"), D("40.00"), D("760.00")),
    (LeadType.consumer, D("8"), D("80.00"), D("920.00")),
])
def test_a_subscriber_gets_twenty_percent_off_the_platform_rate(lead_type, rate, platform,
                                                                net) -> None:
    assert platform_rate(lead_type, performer_subscribed=True) == rate
    share = D("20") if lead_type == LeadType.professional_referral else D("0")
    result = split(D("1000"), lead_type, referrer_shares=(share,), performer_subscribed=True)
    assert result.platform_rate_pct == rate
    assert result.platform_commission == platform
    assert result.professional_net_amount == net
    if lead_type == LeadType.professional_referral:
        assert result.referrer_fee == D("200.00")  # the discount is not the referrer's loss


def test_platform_rates_without_a_subscription() -> None:
    assert platform_rate(LeadType.consumer, performer_subscribed=False) == D("10")
    assert platform_rate(LeadType.professional_referral, performer_subscribed=False) == D("5")


def test_custom_rates_are_honoured() -> None:
    rates = Rates(consumer_pct=D("12"), referral_pct=D("6"), subscriber_discount_pct=D("50"),
                  min_job_amount=D("10"))
    result = split(D("50"), LeadType.consumer, performer_subscribed=True, rates=rates)
    assert parts(result) == (D("3.00"), D("0.00"), D("47.00"))


def test_each_part_is_rounded_half_up_to_the_agora() -> None:
    # 5% of 100.10 = 5.005 → 5.01; 33.33% of 100.10 = 33.36333 → 33.36
    result = split(D("100.10"), LeadType.professional_referral, referrer_shares=(D("33.33"),))
    assert parts(result) == (D("5.01"), D("33.36"), D("61.73"))
    # 10% of 100.05 = 10.005 → 10.01 (half-up, not banker's rounding to 10.00)
    assert split(D("100.05"), LeadType.consumer).platform_commission == D("10.01")


# --- refusals ------------------------------------------------------------------------------


def test_the_minimum_job_amount_is_accepted_and_below_it_is_refused() -> None:
    assert D("100") == MIN_JOB_AMOUNT
    assert split(D("100.00"), LeadType.consumer).platform_commission == D("10.00")
    for amount in (D("99.99"), D("0.01"), D("0"), D("-100")):
        with pytest.raises(InvalidInput) as raised:
            split(amount, LeadType.consumer)
        assert raised.value.fields == {"final_amount": "errors.payment.below_minimum"}
        assert raised.value.params == {"min": "100"}


@pytest.mark.parametrize("amount", [D("100.001"), D("1000.005"), D("123.4567")])
def test_fractions_of_an_agora_are_refused(amount) -> None:
    with pytest.raises(InvalidInput) as raised:
        split(amount, LeadType.professional_referral, referrer_shares=(D("10"),))
    assert raised.value.fields == {"final_amount": "errors.field.money"}


@pytest.mark.parametrize("amount", [1000, 1000.0, "1000", D("NaN"), D("Infinity")])
def test_only_a_finite_decimal_is_an_amount(amount) -> None:
    with pytest.raises(InvalidInput) as raised:
        split(amount, LeadType.consumer)
    assert set(raised.value.fields) == {"final_amount"}


@pytest.mark.parametrize("share", [D("90.01"), D("-0.01"), D("100")])
def test_a_share_outside_zero_to_ninety_is_refused(share) -> None:
    with pytest.raises(InvalidInput) as raised:
        split(D("1000"), LeadType.professional_referral, referrer_shares=(share,))
    assert raised.value.fields == {"referrer_share_percentage": "errors.lead.share_range"}


def test_the_extreme_share_still_leaves_the_performer_something() -> None:
    result = split(D("100.00"), LeadType.professional_referral, referrer_shares=(D("90"),))
    assert parts(result) == (D("5.00"), D("90.00"), D("5.00"))


# --- properties ----------------------------------------------------------------------------

amounts = st.integers(min_value=10_000, max_value=100_000_000).map(lambda c: D(c).scaleb(-2))
shares = st.integers(min_value=0, max_value=9_000).map(lambda c: D(c).scaleb(-2))
lead_types = st.sampled_from(list(LeadType))


def expected_rate(lead_type: LeadType, subscribed: bool) -> Decimal:
    base = D("10") if lead_type == LeadType.consumer else D("5")
    return base * D("0.8") if subscribed else base


@settings(max_examples=400, deadline=None)
@given(amount=amounts, share=shares, lead_type=lead_types, subscribed=st.booleans(),
       referrer_performs=st.booleans())
def test_the_parts_always_add_up_exactly_and_are_whole_agorot(amount, share, lead_type,
                                                             subscribed,
                                                             referrer_performs) -> None:
    result = split(amount, lead_type, referrer_shares=() if referrer_performs else (share,),
                   performer_subscribed=subscribed)
    platform, referrer, net = parts(result)
    assert result.final_amount == amount
    assert platform + referrer + net == result.final_amount
    for value in (result.final_amount, platform, referrer, net):
        assert value >= 0
        assert value.as_tuple().exponent == -2, value


@settings(max_examples=400, deadline=None)
@given(amount=amounts, share=shares, lead_type=lead_types, subscribed=st.booleans())
def test_each_part_is_its_percentage_rounded_half_up(amount, share, lead_type,
                                                      subscribed) -> None:
    result = split(amount, lead_type, referrer_shares=(share,), performer_subscribed=subscribed)
    rate = expected_rate(lead_type, subscribed)
    assert result.platform_rate_pct == rate
    assert result.platform_commission == (amount * rate / 100).quantize(
        CENT, rounding=ROUND_HALF_UP)
    if lead_type == LeadType.professional_referral:
        assert result.referrer_fee == (amount * share / 100).quantize(CENT,
                                                                      rounding=ROUND_HALF_UP)
    else:
        assert result.referrer_fee == 0
    assert result.professional_net_amount == amount - result.platform_commission \
        - result.referrer_fee


# --- referral chains (issue 22) --------------------------------------------------------------

# Up to four referrers, whose shares together are at most 90 %.
chains = st.lists(st.decimals(min_value=D("0"), max_value=D("90"), places=2),
                  min_size=1, max_size=4).filter(lambda s: sum(s) <= 90)


def test_a_three_referrer_chain_pays_each_its_share_and_the_performer_the_rest() -> None:
    result = split(D("1000.00"), LeadType.professional_referral,
                   referrer_shares=(D("20"), D("10"), D("5")))
    assert result.referrer_fees == (D("200.00"), D("100.00"), D("50.00"))
    assert parts(result) == (D("50.00"), D("350.00"), D("600.00"))


def test_shares_that_together_pass_90_percent_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        split(D("1000"), LeadType.professional_referral,
              referrer_shares=(D("50"), D("30"), D("10.01")))
    assert caught.value.fields == {"referrer_share_percentage": "errors.lead.share_range"}
    assert split(D("1000"), LeadType.professional_referral,
                 referrer_shares=(D("50"), D("30"), D("10"))).professional_net_amount == D("50")


@settings(max_examples=500, deadline=None)
@given(amount=amounts, chain=chains, subscribed=st.booleans())
def test_a_chain_always_sums_exactly_each_part_rounded_half_up_none_negative(
        amount, chain, subscribed) -> None:
    result = split(amount, LeadType.professional_referral, referrer_shares=chain,
                   performer_subscribed=subscribed)
    assert len(result.referrer_fees) == len(chain)
    for fee, share in zip(result.referrer_fees, chain, strict=True):
        assert fee == (amount * share / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        assert fee >= 0 and fee.as_tuple().exponent == -2
    assert result.referrer_fee == sum(result.referrer_fees)
    assert (result.platform_commission + sum(result.referrer_fees)
            + result.professional_net_amount) == result.final_amount == amount
    assert result.professional_net_amount >= 0
    assert result.professional_net_amount.as_tuple().exponent == -2


# --- performance tiers (issue 22 point 2) ----------------------------------------------------

TIERED = Rates(tier_discounts=(("bronze", D("0")), ("silver", D("5")), ("gold", D("10")),
                               ("premium", D("15"))))


@pytest.mark.parametrize(("tier", "subscribed", "platform"), [
    (None, False, D("100.00")), ("bronze", False, D("100.00")), ("gold", False, D("90.00")),
    ("premium", False, D("85.00")), ("gold", True, D("72.00")),  # 10 × 0.8 × 0.9
])
def test_the_performers_tier_takes_its_discount_off_the_rate_left(tier, subscribed,
                                                                  platform) -> None:
    result = split(D("1000"), LeadType.consumer, performer_tier=tier,
                   performer_subscribed=subscribed, rates=TIERED)
    assert result.platform_commission == platform
    assert result.platform_commission + result.professional_net_amount == D("1000")
