"""B2B settlement's pure rules: which month a moment is in (Israel), which month a run may
settle, the ledger legs of a closed job, the netting of a month, and the autopay schedule."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ofair_app.domain import settlement as rules
from ofair_app.domain.commission import split
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.ledger import ZERO, Purpose, balanced

PERFORMER, REFERRER = uuid.uuid4(), uuid.uuid4()


def test_the_month_is_israels() -> None:
    # 22:30 UTC on 30 November is already 1 December in Israel (UTC+2)
    assert rules.month_of(datetime(2026, 11, 30, 22, 30, tzinfo=UTC)) == date(2026, 12, 1)
    assert rules.month_of(datetime(2026, 11, 30, 21, 59, tzinfo=UTC)) == date(2026, 11, 1)
    assert rules.previous_month(datetime(2026, 1, 1, 0, 30, tzinfo=UTC)) == date(2025, 12, 1)
    assert rules.next_month(date(2026, 12, 1)) == date(2027, 1, 1)


def test_only_a_month_that_is_over_may_be_settled() -> None:
    as_of = datetime.fromisoformat("2026-12-01T02:00:00+02:00")
    assert rules.settleable(date(2026, 11, 1), as_of) == date(2026, 11, 1)
    for month in (date(2026, 12, 1), date(2027, 1, 1), date(2026, 11, 2)):
        with pytest.raises(InvalidInput):
            rules.settleable(month, as_of)
    with pytest.raises(InvalidInput):  # 23:59 on 30 November in Israel: not over yet
        rules.settleable(date(2026, 11, 1),
                         datetime.fromisoformat("2026-11-30T23:59:00+02:00"))


def test_a_closed_job_owes_what_design_md_says() -> None:
    consumer = split(Decimal("1000.00"), "consumer")
    legs = rules.accrual_legs(consumer, performer_id=PERFORMER, referrers=())
    assert [(leg.purpose, leg.amount) for leg in balanced(legs)] == [
        (Purpose.pro_settlement, Decimal("100.00")), (Purpose.platform_revenue,
                                                      Decimal("-100.00"))]
    referral = split(Decimal("1000.00"), "professional_referral",
                     referrer_shares=(Decimal("20"),))
    legs = balanced(rules.accrual_legs(referral, performer_id=PERFORMER,
                                       referrers=[(REFERRER, referral.referrer_fee)]))
    assert {(leg.purpose, leg.professional_id): leg.amount for leg in legs} == {
        (Purpose.pro_settlement, PERFORMER): Decimal("250.00"),
        (Purpose.platform_revenue, None): Decimal("-50.00"),
        (Purpose.pro_settlement, REFERRER): Decimal("-200.00")}
    assert sum(leg.amount for leg in rules.reversal_legs(legs)) == 0
    # a chain: each referrer is owed its own fee, the performer owes them all
    chain = split(Decimal("1000.00"), "professional_referral",
                  referrer_shares=(Decimal("20"), Decimal("10")))
    other = uuid.uuid4()
    legs = balanced(rules.accrual_legs(chain, performer_id=PERFORMER, referrers=list(
        zip((REFERRER, other), chain.referrer_fees, strict=True))))
    assert {(leg.purpose, leg.professional_id): leg.amount for leg in legs} == {
        (Purpose.pro_settlement, PERFORMER): Decimal("350.00"),
        (Purpose.platform_revenue, None): Decimal("-50.00"),
        (Purpose.pro_settlement, REFERRER): Decimal("-200.00"),
        (Purpose.pro_settlement, other): Decimal("-100.00")}


def _line(fee="0", owed="0", earned="0") -> rules.ChargeLine:
    return rules.ChargeLine(charge_id=uuid.uuid4(), lead_id=uuid.uuid4(),
                            final_amount=Decimal("1000"), fee=Decimal(fee),
                            referral_owed=Decimal(owed), referral_earned=Decimal(earned))


def test_a_month_nets_fees_with_vat_and_referral_fees_without() -> None:
    figures = rules.net([_line("50.00", "200.00"), _line("100.00")], carried_in=ZERO,
                        on=date(2026, 12, 1))
    assert (figures.fees, figures.vat_rate, figures.vat, figures.referral_owed,
            figures.amount_due, figures.status) == (
        Decimal("150.00"), Decimal("0.18"), Decimal("27.00"), Decimal("200.00"),
        Decimal("377.00"), rules.StatementStatus.due)
    # the rate of the statement's date: 17% on a statement of 31 December 2024
    assert rules.net([_line("100.00")], carried_in=ZERO, on=date(2024, 12, 31)).vat == \
        Decimal("17.00")
    credit = rules.net([_line(earned="200.00")], carried_in=Decimal("-50.00"),
                       on=date(2026, 12, 1))
    assert (credit.amount_due, credit.status) == (Decimal("-250.00"),
                                                  rules.StatementStatus.credit)
    assert rules.net([], carried_in=ZERO, on=date(2026, 12, 1)).status == \
        rules.StatementStatus.settled
    # VAT is rounded half up to the agora: 0.18 × 0.25 = 0.045 → 0.05
    assert rules.net([_line("0.25")], carried_in=ZERO, on=date(2026, 12, 1)).vat == \
        Decimal("0.05")


def test_autopay_retries_after_1_3_and_7_days_then_stops() -> None:
    first = datetime(2026, 12, 1, 2, tzinfo=UTC)
    assert [rules.next_attempt(first, n) for n in range(5)] == [
        first, first + timedelta(days=1), first + timedelta(days=3),
        first + timedelta(days=7), None]


def test_a_statement_is_overdue_only_when_still_due_after_the_last_retry() -> None:
    now = datetime(2026, 12, 8, tzinfo=UTC)
    assert rules.overdue("due", 4, None)
    assert not rules.overdue("due", 3, now)  # a retry is still to come
    assert not rules.overdue("due", 0, None)  # never charged yet
    assert not rules.overdue("paid", 4, None)
