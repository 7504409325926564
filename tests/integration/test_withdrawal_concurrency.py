"""Withdrawals at once (gate C, issue 23): one owner on two devices asking at the same moment
for more than the wallet holds between them gets exactly what it holds; the wallet never goes
below zero and every ledger transaction still balances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import Withdrawal
from ofair_app.services import payouts
from ofair_app.services.payouts import InsufficientFunds
from tests.api.money import balances
from tests.factories import caller_for, make_paid_job, make_professional, make_user
from tests.integration.test_acceptance_concurrency import race

BANK = {"bank_code": "12", "branch": "608", "account": "123456", "account_holder": "אלון לוי"}
LATER = datetime.now(UTC) + timedelta(days=30)  # past every hold period
ROUNDS = 3


def _withdraw(caller, business_id, amount: str):
    def step() -> Withdrawal:
        with unit_of_work(caller) as session:
            return payouts.request_withdrawal(session=session, caller=caller,
                                              professional_id=business_id, amount=amount,
                                              **BANK)
    return step


def test_two_withdrawals_at_once_never_take_more_than_the_wallet_holds(db) -> None:
    business, owner = make_professional(make_user(name="אלון לוי"), business_name="אלון שיפוצים")
    for _ in range(ROUNDS):
        make_paid_job(make_user(name="לקוחה"), owner, "1000", released_at=LATER)
    _, available = balances(business.id)
    assert available > 0
    pro = caller_for(owner)
    share = (available * Decimal("0.6") / ROUNDS).quantize(Decimal("0.01"))
    for _ in range(ROUNDS):  # each round: two asks of 60% of a third, with a third there
        outcomes = race(_withdraw(pro, business.id, str(share)),
                        _withdraw(pro, business.id, str(share)))
        assert sorted(type(o).__name__ for o in outcomes).count("Withdrawal") >= 1
    # Whatever interleaving: never more out than there was, and the refusals were for funds.
    _, left = balances(business.id)
    with unit_of_work(SYSTEM) as session:
        taken = session.execute(text(
            "SELECT coalesce(sum(amount), 0) FROM withdrawals WHERE professional_id = :p"),
            {"p": business.id}).scalar_one()
        unbalanced = session.execute(text(
            "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries"
            " GROUP BY transaction_id HAVING sum(amount) <> 0) t")).scalar_one()
    assert left >= 0 and taken + left == available and unbalanced == 0


def test_two_asks_for_the_whole_wallet_at_once_pay_it_once(db) -> None:
    business, owner = make_professional(make_user(name="דנה כהן"), business_name="דנה חשמל")
    make_paid_job(make_user(name="לקוח"), owner, "800", released_at=LATER)
    _, available = balances(business.id)
    pro = caller_for(owner)
    outcomes = race(_withdraw(pro, business.id, str(available)),
                    _withdraw(pro, business.id, str(available)))
    assert sorted(type(o).__name__ for o in outcomes) == ["InsufficientFunds", "Withdrawal"]
    refused = next(o for o in outcomes if isinstance(o, InsufficientFunds))
    assert refused.params == {"available": "0.00"}
    assert balances(business.id)[1] == 0
