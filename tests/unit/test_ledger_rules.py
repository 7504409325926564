"""The ledger's posting rules (pure): every transaction balances, a hold resolved by a post or a
void leaves nothing pending, and a partial refund's pro rata parts always sum exactly."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ofair_app.domain import ledger as book
from ofair_app.domain.commission import split
from ofair_app.domain.leads import LeadType
from ofair_app.domain.ledger import (
    MOVES,
    ZERO,
    Leg,
    Place,
    Purpose,
    Shares,
    TxKind,
    Unbalanced,
    wallet_move,
)

PERFORMER, REFERRER = uuid.uuid4(), uuid.uuid4()
amounts = st.decimals(min_value=Decimal("100.00"), max_value=Decimal("250000.00"), places=2)
shares_pct = st.decimals(min_value=Decimal("0"), max_value=Decimal("90"), places=2)


def shares_for(amount: Decimal, share: Decimal) -> Shares:
    parts = split(amount, LeadType.professional_referral, referrer_shares=(share,))
    return Shares(final_amount=amount, platform=parts.platform_commission,
                  referrer=parts.referrer_fee, performer=parts.professional_net_amount,
                  performer_id=PERFORMER, referrer_id=REFERRER)


def by_account(*leg_sets: list[Leg]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for legs in leg_sets:
        for leg in legs:
            totals[leg.code] = totals.get(leg.code, Decimal(0)) + leg.amount
    return {code: total for code, total in totals.items() if total}


def test_the_design_example_is_held_then_released() -> None:
    shares = shares_for(Decimal("1000.00"), Decimal("20"))
    held = by_account(book.hold(shares))
    assert held == {"clearing": Decimal("1000.00"), "platform:pending": Decimal("-50.00"),
                    f"pro:{PERFORMER}:pending": Decimal("-750.00"),
                    f"pro:{REFERRER}:pending": Decimal("-200.00")}
    released = by_account(book.hold(shares), book.post(shares))
    assert released == {"clearing": Decimal("1000.00"), "platform:revenue": Decimal("-50.00"),
                        f"pro:{PERFORMER}:available": Decimal("-750.00"),
                        f"pro:{REFERRER}:available": Decimal("-200.00")}


@given(amounts, shares_pct)
def test_every_rule_balances_and_a_resolved_hold_leaves_nothing_pending(amount, share) -> None:
    shares = shares_for(amount, share)
    for legs in (book.hold(shares), book.post(shares), book.void(shares),
                 book.refund_after_release(shares)):
        assert sum(leg.amount for leg in legs) == 0
    assert by_account(book.hold(shares), book.void(shares)) == {}
    posted = by_account(book.hold(shares), book.post(shares))
    assert not any(code.endswith("pending") for code in posted)


@given(amounts, shares_pct, st.integers(min_value=1, max_value=99))
def test_a_partial_share_sums_exactly_and_never_exceeds_the_whole(amount, share, pct) -> None:
    shares = shares_for(amount, share)
    part = (amount * pct / 100).quantize(Decimal("0.01"))
    if part <= 0:
        return
    scaled = shares.scaled(part)
    assert scaled.platform + scaled.referrer + scaled.performer == part
    rest = shares.scaled(amount - part)
    assert rest.platform + rest.referrer + rest.performer == amount - part
    for piece in (scaled, rest):
        assert min(piece.platform, piece.referrer, piece.performer) >= 0


def test_an_unbalanced_set_of_legs_is_refused() -> None:
    with pytest.raises(Unbalanced):
        book.balanced([Leg(Purpose.clearing, Decimal("10")),
                       Leg(Purpose.platform_pending, Decimal("-9.99"))])


def test_accounts_are_named_by_purpose_and_owner() -> None:
    assert book.account_code(Purpose.clearing) == "clearing"
    assert book.account_code(Purpose.pro_available, PERFORMER) == f"pro:{PERFORMER}:available"
    with pytest.raises(ValueError):
        book.account_code(Purpose.pro_pending)


def test_withdrawals_and_payouts_move_money_out_through_the_payout_account() -> None:
    legs = by_account(book.withdrawal(PERFORMER, Decimal("300")),
                      book.payout(PERFORMER, Decimal("300")))
    assert legs == {f"pro:{PERFORMER}:available": Decimal("300"),
                    "clearing": Decimal("-300")}
    undone = by_account(book.withdrawal(PERFORMER, Decimal("300")),
                        book.withdrawal_reversal(PERFORMER, Decimal("300")))
    assert undone == {}


# --- what a transaction does to a business's wallet -----------------------------------------

def test_every_kind_of_transaction_says_where_the_money_went() -> None:
    assert set(MOVES) == set(TxKind)
    assert all(source != destination for source, destination in MOVES.values())


@pytest.mark.parametrize(("kind", "entries", "expected"), [
    # a hold credits pending (ledger sign −): the wallet's held column goes up
    (TxKind.hold, {Purpose.pro_pending: Decimal("-342.00")},
     (Place.client, Place.pending, Decimal("342.00"), ZERO, ZERO)),
    # a release: one line, held down and available up by the same amount
    (TxKind.post, {Purpose.pro_pending: Decimal("342.00"),
                   Purpose.pro_available: Decimal("-342.00")},
     (Place.pending, Place.available, Decimal("-342.00"), Decimal("342.00"), ZERO)),
    (TxKind.withdrawal, {Purpose.pro_available: Decimal("300.00"),
                         Purpose.pro_payout: Decimal("-300.00")},
     (Place.available, Place.payout, ZERO, Decimal("-300.00"), Decimal("300.00"))),
    (TxKind.payout, {Purpose.pro_payout: Decimal("300.00")},
     (Place.payout, Place.bank, ZERO, ZERO, Decimal("-300.00"))),
    (TxKind.void, {Purpose.pro_pending: Decimal("100.00")},
     (Place.pending, Place.client, Decimal("-100.00"), ZERO, ZERO)),
])
def test_wallet_move_changes_each_balance_once(kind, entries, expected) -> None:
    move = wallet_move(kind, entries)
    assert (move.source, move.destination, move.pending, move.available,
            move.in_payout) == expected


# --- referral chains (issue 22) --------------------------------------------------------------

CHAIN = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
chain_shares = st.lists(st.decimals(min_value=Decimal("0"), max_value=Decimal("30"), places=2),
                        min_size=3, max_size=3)


def chain_for(amount: Decimal, percents: list[Decimal]) -> Shares:
    parts = split(amount, LeadType.professional_referral, referrer_shares=percents)
    return Shares(final_amount=amount, platform=parts.platform_commission,
                  referrer=parts.referrer_fee, performer=parts.professional_net_amount,
                  performer_id=PERFORMER, referrer_id=CHAIN[0],
                  chain=tuple(zip(CHAIN, parts.referrer_fees, strict=True)))


def test_each_referrer_of_a_chain_is_held_and_released_its_own_fee() -> None:
    shares = chain_for(Decimal("1000.00"), [Decimal("20"), Decimal("10"), Decimal("5")])
    released = by_account(book.hold(shares), book.post(shares))
    assert released == {"clearing": Decimal("1000.00"), "platform:revenue": Decimal("-50.00"),
                        f"pro:{PERFORMER}:available": Decimal("-600.00"),
                        f"pro:{CHAIN[0]}:available": Decimal("-200.00"),
                        f"pro:{CHAIN[1]}:available": Decimal("-100.00"),
                        f"pro:{CHAIN[2]}:available": Decimal("-50.00")}


@given(amounts, chain_shares, st.integers(min_value=1, max_value=99))
def test_a_chain_scaled_for_a_partial_refund_sums_exactly(amount, percents, pct) -> None:
    shares = chain_for(amount, percents)
    part = (amount * pct / 100).quantize(Decimal("0.01"))
    scaled = shares.scaled(part)
    assert scaled.referrer == sum(fee for _, fee in scaled.chain)
    assert [pid for pid, _ in scaled.chain] == list(CHAIN)
    assert scaled.platform + scaled.referrer + scaled.performer == part
    for legs in (book.hold(scaled), book.void(scaled), book.refund_after_release(scaled)):
        assert sum(leg.amount for leg in legs) == 0
    assert by_account(book.hold(shares), book.void(shares)) == {}
