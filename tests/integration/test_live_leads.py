"""Every move on a lead announces itself once its transaction commits (issue: the other side's
moves appear live): the triggers of migration 0008_live send `NOTIFY lead_changed, <lead id>`
for an offer, its withdrawal, an award and its cancellation, a payment, "done", a dispute and a
cancelled lead; nothing for a rolled-back change; and the process's listener wakes the watcher
of that lead."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest

from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import unit_of_work
from ofair_app.db.lead_signals import CHANNEL, LeadSignals, _conninfo, listen
from ofair_app.models import ProposalCreate
from ofair_app.services import disputes, leads, payments, proposals
from tests.factories import caller_for, make_lead, make_professional, make_user

D = Decimal


@pytest.fixture
def listener(db):
    """A LISTEN connection of the app role, and a way to read what reached it."""
    with psycopg.connect(_conninfo(), autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")

        def heard() -> list[str]:
            return [note.payload for note in conn.notifies(timeout=0.5, stop_after=50)]

        yield heard


def offer(lead_id, performer, price="500"):
    with unit_of_work(performer) as session:
        return proposals.create_proposal(
            session=session, caller=performer, lead_id=lead_id,
            data=ProposalCreate(price=D(price), description="אגיע מחר בבוקר עם כל החלקים.",
                                scheduled_date=date.today() + timedelta(days=2)))


def test_every_move_of_a_lead_is_announced_once_per_commit(listener):
    consumer = make_user(name="רונית לקוחה")
    _, pro_user = make_professional(business_name="אינסטלציה אלון")
    lead = make_lead(consumer)
    owner, performer = caller_for(consumer), caller_for(pro_user)
    lid = str(lead.id)
    listener()  # the lead's creation

    first = offer(lead.id, performer)
    assert listener() == [lid]  # the proposal, the lead's count: one signal per commit
    with unit_of_work(performer) as session:
        proposals.withdraw_proposal(session=session, caller=performer, proposal_id=first.id)
    assert listener() == [lid]

    second = offer(lead.id, performer, "600")
    listener()
    with unit_of_work(owner) as session:
        proposals.accept_proposal(session=session, caller=owner, proposal_id=second.id)
    assert listener() == [lid]
    with unit_of_work(owner) as session:
        proposals.unaward(session=session, caller=owner, lead_id=lead.id)
    assert listener() == [lid]

    third = offer(lead.id, performer, "650")
    with unit_of_work(owner) as session:
        proposals.accept_proposal(session=session, caller=owner, proposal_id=third.id)
    listener()
    payment = payments.initiate(caller=owner, proposal_id=third.id)
    assert lid in listener()
    result = SandboxProvider().pay(payment.psp_reference, SUCCESS_CARD)
    payments.handle_webhook(result.payload, result.signature)
    assert listener() == [lid]  # paid: the lead is in progress

    with unit_of_work(performer) as session:
        payments.complete(session=session, caller=performer, lead_id=lead.id)
    assert listener() == [lid]  # "done"
    with unit_of_work(owner) as session:
        disputes.open_dispute(session=session, caller=owner, lead_id=lead.id,
                              reason="העבודה לא הושלמה, נשארה נזילה מתחת לכיור.")
    assert listener() == [lid]


def test_a_cancelled_lead_is_announced_and_a_rolled_back_change_is_not(listener):
    consumer = make_user()
    lead = make_lead(consumer)
    owner = caller_for(consumer)
    listener()

    with contextlib.suppress(RuntimeError), unit_of_work(owner) as session:
        leads.cancel_lead(session=session, caller=owner, lead_id=lead.id)
        raise RuntimeError("the unit of work rolls back")
    assert listener() == []

    with unit_of_work(owner) as session:
        leads.cancel_lead(session=session, caller=owner, lead_id=lead.id)
    assert listener() == [str(lead.id)]


def test_the_process_listener_wakes_the_watcher_of_that_lead_only(db):
    consumer = make_user()
    _, pro_user = make_professional()
    watched, other = make_lead(consumer), make_lead(consumer)
    performer = caller_for(pro_user)

    async def scenario() -> tuple[bool, bool]:
        signals, ready = LeadSignals(), asyncio.Event()
        task = asyncio.create_task(listen(signals, _conninfo(), ready))
        try:
            await asyncio.wait_for(ready.wait(), 10)
            mark = signals.mark()
            await asyncio.to_thread(offer, other.id, performer)
            quiet = await signals.wait(str(watched.id), mark, 1.0)
            await asyncio.to_thread(offer, watched.id, performer)
            woken = await signals.wait(str(watched.id), mark, 10.0)
            return quiet, woken
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    quiet, woken = asyncio.run(scenario())
    assert (quiet, woken) == (False, True)
