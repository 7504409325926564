"""Acceptance under real concurrency: transactions on separate connections, released together.

Two acceptances racing on one lead (two tabs, a double tap): exactly one wins, the other gets
409, and the lead has one accepted offer. An offer racing the award either lands before it (and
is then rejected with the rest) or is refused: no pending offer is left on an awarded lead.
The same for two businesses racing to claim one lead offered to both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, Caller, unit_of_work
from ofair_app.domain.errors import AppError
from ofair_app.domain.leads import LeadVisibility
from ofair_app.models import ProposalCreate, ReferralCreate
from ofair_app.services import proposals, referrals
from tests.factories import caller_for, make_lead, make_professional, make_user, pro_lead_data

ROUNDS = 5


def race(*steps: Callable[[], object]) -> list[object]:
    """Run each step in its own thread, released at once; the outcome of each (its result, or
    the `AppError` it raised), in order."""
    barrier = threading.Barrier(len(steps))
    outcomes: list[object] = [None] * len(steps)

    def run(index: int, step: Callable[[], object]) -> None:
        barrier.wait()
        try:
            outcomes[index] = step()
        except AppError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def offer(caller: Caller, lead_id, price: str = "500"):
    with unit_of_work(caller) as session:
        return proposals.create_proposal(
            session=session, caller=caller, lead_id=lead_id,
            data=ProposalCreate(price=Decimal(price), description="אגיע מחר עם כל החלקים."))


def accept(caller: Caller, proposal_id) -> Callable[[], object]:
    def step() -> object:
        with unit_of_work(caller) as session:
            return proposals.accept_proposal(session=session, caller=caller,
                                             proposal_id=proposal_id)
    return step


def statuses(lead_id) -> list[str]:
    with unit_of_work(SYSTEM) as session:
        return sorted(session.execute(text("SELECT status FROM proposals WHERE lead_id = :l"),
                                      {"l": lead_id}).scalars())


@pytest.fixture
def pros(db):
    return [caller_for(make_professional(business_name=f"עסק {i}")[1]) for i in range(3)]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_acceptances_on_one_lead_exactly_one_wins(pros, round_) -> None:
    owner_user = make_user(name="רונית")
    owner = caller_for(owner_user)
    lead = make_lead(owner_user)
    first, second = offer(pros[0], lead.id), offer(pros[1], lead.id, "450")
    outcomes = race(accept(owner, first.id), accept(owner, second.id))
    errors = [o for o in outcomes if isinstance(o, AppError)]
    assert len(errors) == 1, outcomes
    assert (errors[0].status, errors[0].code) == (409, "lead_already_awarded")
    assert statuses(lead.id) == ["accepted", "rejected"]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_same_acceptance_twice_at_once_wins_once(pros, round_) -> None:
    owner_user = make_user(name="רונית")
    owner = caller_for(owner_user)
    lead = make_lead(owner_user)
    only = offer(pros[0], lead.id)
    outcomes = race(accept(owner, only.id), accept(owner, only.id))
    assert sum(isinstance(o, AppError) and o.status == 409 for o in outcomes) == 1, outcomes
    with unit_of_work(SYSTEM) as session:
        revealed = session.execute(text("SELECT count(*) FROM phone_revelations")).scalar_one()
    assert revealed == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_an_offer_racing_the_award_never_stays_pending(pros, round_) -> None:
    owner_user = make_user(name="רונית")
    owner = caller_for(owner_user)
    lead = make_lead(owner_user)
    winner = offer(pros[0], lead.id)
    outcomes = race(accept(owner, winner.id), lambda: offer(pros[1], lead.id, "300"))
    assert not isinstance(outcomes[0], AppError), outcomes
    late = outcomes[1]
    if isinstance(late, AppError):
        assert (late.status, late.code) == (409, "lead_not_open")
        assert statuses(lead.id) == ["accepted"]
    else:
        assert statuses(lead.id) == ["accepted", "rejected"]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_businesses_claiming_one_referral_one_wins(pros, round_) -> None:
    business, referrer_user = make_professional(business_name="המפנה")
    referrer = caller_for(referrer_user)
    lead = make_lead(referrer_user, pro_lead_data(business, visibility=LeadVisibility.private))
    offers = []
    with unit_of_work(referrer) as session:
        for pro in pros[:2]:
            offers.append(referrals.share_lead(
                session=session, caller=referrer, lead_id=lead.id,
                data=ReferralCreate(receiver_professional_id=pro.professional_ids[0])))

    def claim(pro: Caller, referral_id) -> Callable[[], object]:
        def step() -> object:
            with unit_of_work(pro) as session:
                return referrals.accept_referral(session=session, caller=pro,
                                                 referral_id=referral_id)
        return step

    outcomes = race(claim(pros[0], offers[0].id), claim(pros[1], offers[1].id))
    errors = [o for o in outcomes if isinstance(o, AppError)]
    assert len(errors) == 1 and errors[0].status in (403, 409), outcomes
    assert statuses(lead.id) == ["accepted"]
    with unit_of_work(SYSTEM) as session:
        referral_states = sorted(session.execute(text("SELECT status FROM referrals")).scalars())
    assert referral_states == ["accepted", "expired"]
