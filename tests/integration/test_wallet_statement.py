"""The wallet's statement adds up: every movement names its job and the balances it moved,
and the lines of each column (held, available) sum to that balance, also when older lines are
left out (their sum is one "earlier" amount)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ofair_app.db.engine import unit_of_work
from ofair_app.domain.errors import AppError
from ofair_app.domain.ledger import ZERO, Place, TxKind
from ofair_app.models import UserRole
from ofair_app.services import wallets
from tests.factories import (
    caller_for,
    make_paid_job,
    make_professional,
    make_user,
    pay_out,
)

LATER = datetime.now(UTC) + timedelta(days=30)  # past every hold period


@pytest.fixture
def statement(db):
    """A business with a released job (₪380 → ₪342 net), ₪300 of it paid to the bank, and a
    second job paid and held (₪500 → ₪450 net)."""
    consumer = make_user(name="רונית")
    owner = make_user(name="אבי")
    make_professional(owner, business_name="אינסטלציה אבי")
    admin = make_user(role=UserRole.admin, name="מנהלת")
    released = make_paid_job(consumer, owner, "380", title="החלפת ברז", released_at=LATER)
    pay_out(owner, admin, "300")
    held = make_paid_job(consumer, owner, "500", title="פתיחת סתימה")
    return owner, released, held


def _wallet(owner, limit: int = 50) -> wallets.Wallet:
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        return wallets.wallet(session=session, caller=caller, limit=limit)


def test_each_column_of_lines_sums_to_its_balance(statement) -> None:
    owner, _, _ = statement
    found = _wallet(owner)
    assert (found.balances.pending, found.balances.available) == (Decimal("450.00"),
                                                                  Decimal("42.00"))
    assert sum((line.pending for line in found.history), ZERO) == found.balances.pending
    assert sum((line.available for line in found.history), ZERO) == found.balances.available
    assert sum((line.in_payout for line in found.history), ZERO) == found.balances.in_payout
    assert (found.earlier.pending, found.earlier.available) == (ZERO, ZERO)


def test_a_release_is_one_line_from_held_to_available_and_names_its_job(statement) -> None:
    owner, released, held = statement
    lines = {line.kind: line for line in _wallet(owner).history if line.lead_id == released.id}
    hold, post = lines[TxKind.hold], lines[TxKind.post]
    assert (hold.source, hold.destination, hold.pending, hold.available) == (
        Place.client, Place.pending, Decimal("342.00"), ZERO)
    assert (post.source, post.destination, post.pending, post.available) == (
        Place.pending, Place.available, Decimal("-342.00"), Decimal("342.00"))
    assert hold.lead_title == post.lead_title == "החלפת ברז"
    assert set(lines) == {TxKind.hold, TxKind.post}
    [held_line] = [line for line in _wallet(owner).history if line.lead_id == held.id]
    assert (held_line.kind, held_line.lead_title, held_line.pending) == (
        TxKind.hold, "פתיחת סתימה", Decimal("450.00"))


def test_a_payout_goes_from_available_to_the_bank_through_the_payout(statement) -> None:
    owner, _, _ = statement
    by_kind = {line.kind: line for line in _wallet(owner).history}
    withdrawal, payout = by_kind[TxKind.withdrawal], by_kind[TxKind.payout]
    assert (withdrawal.source, withdrawal.destination) == (Place.available, Place.payout)
    assert (withdrawal.available, withdrawal.in_payout) == (Decimal("-300.00"),
                                                            Decimal("300.00"))
    assert (payout.source, payout.destination) == (Place.payout, Place.bank)
    assert (payout.pending, payout.available, payout.in_payout) == (ZERO, ZERO,
                                                                     Decimal("-300.00"))
    assert withdrawal.lead_id is None and payout.lead_id is None


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_left_out_lines_are_summed_as_earlier(statement, limit) -> None:
    owner, _, _ = statement
    found = _wallet(owner, limit=limit)
    assert len(found.history) == limit
    assert found.earlier.pending + sum((line.pending for line in found.history), ZERO) \
        == found.balances.pending
    assert found.earlier.available + sum((line.available for line in found.history), ZERO) \
        == found.balances.available


def test_another_business_cannot_read_the_statement(statement) -> None:
    _, stranger = make_professional(business_name="סקרנים")
    owner, _, _ = statement
    caller = caller_for(stranger)
    with unit_of_work(caller) as session:
        mine = wallets.wallet(session=session, caller=caller)
    assert mine.history == [] and mine.balances.pending == ZERO
    intruder = caller_for(stranger)
    target = caller_for(owner).professional_ids[0]
    with pytest.raises(AppError), unit_of_work(intruder) as session:
        wallets.wallet(session=session, caller=intruder, professional_id=target)
