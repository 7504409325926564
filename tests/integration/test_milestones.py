"""Projects in milestones, on real PostgreSQL: a plan proposed by one side and agreed by the
other before payment, its amounts adding up to the price; each step paid and held on its own,
said done, approved, and released after the hold period; the job closing with its last step;
a dispute freezing only its step; b2b charges per approved step; progress updates with photos;
and RLS denial on every new table for another user, another business and nobody."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from jobs.runner import run_job
from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from ofair_app.domain.leads import LeadStatus
from ofair_app.domain.visits import local_day
from ofair_app.models import Lead, ProposalCreate, ProposalUpdate, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import (
    disputes,
    ledger,
    milestones,
    notifications,
    payments,
    proposals,
    settlement,
)
from tests.factories import (
    PDF_BYTES,
    PNG_BYTES,
    caller_for,
    make_professional,
    make_user,
    make_won_job,
    settlement_mode,
)

D = Decimal


def steps(*amounts: str) -> list[dict]:
    today = local_day(utcnow())
    return [{"title": f"שלב {index}", "amount": amount,
             "due_on": (today + timedelta(days=7 * index)).isoformat()}
            for index, amount in enumerate(amounts, start=1)]


@pytest.fixture
def won(db):
    """(client, performer's owner, business, lead): a 3,000 job won, awarded, not paid."""
    client = make_user(name="רותם לוי")
    business, pro = make_professional(business_name="שיפוצי רותם")
    lead = make_won_job(client, pro, "3000")
    return client, pro, business, lead


def propose(user, lead, *amounts: str):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return milestones.propose(session=session, caller=caller, lead_id=lead.id,
                                  steps=steps(*amounts))


def agree(user, lead):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return milestones.agree(session=session, caller=caller, lead_id=lead.id)


def plan_of(user, lead):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return milestones.view(session=session, caller=caller, lead_id=lead.id)


def agreed(won, *amounts: str):
    client, pro, _, lead = won
    propose(pro, lead, *amounts)
    return agree(client, lead)


def proposal_of(lead) -> object:
    with unit_of_work(SYSTEM) as session:
        return session.execute(text("SELECT id FROM proposals WHERE lead_id = :l AND"
                                    " status = 'accepted'"), {"l": lead.id}).scalar_one()


def pay_step(client, lead, milestone_id):
    payment = payments.initiate(caller=caller_for(client), proposal_id=proposal_of(lead),
                                milestone_id=milestone_id)
    paid = SandboxProvider().pay(payment.psp_reference or "", SUCCESS_CARD)
    assert payments.handle_webhook(paid.payload, paid.signature).outcome == "applied"
    return payment


def act(user, action, milestone_id):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return action(session=session, caller=caller, milestone_id=milestone_id)


def status_of(lead) -> str:
    with unit_of_work(SYSTEM) as session:
        return session.get(Lead, lead.id).status


def balances(business):
    with unit_of_work(SYSTEM) as session:
        return ledger.balances(session, business.id)


def unbalanced() -> int:
    with unit_of_work(SYSTEM) as session:
        return session.execute(text(
            "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries"
            " GROUP BY transaction_id HAVING sum(amount) <> 0) t")).scalar_one()


# --- the plan ------------------------------------------------------------------------------


def test_a_plan_is_proposed_by_one_side_and_agreed_by_the_other(won) -> None:
    client, pro, _, lead = won
    view = propose(pro, lead, "1000", "1500", "500")
    assert [s.milestone.amount for s in view.steps] == [D("1000"), D("1500"), D("500")]
    assert view.total == D("3000") and not view.agreed and not view.may_agree
    notifications.drain()
    assert plan_of(client, lead).may_agree
    with pytest.raises(Conflict) as own:
        agree(pro, lead)
    assert own.value.code == "own_plan"
    view = agree(client, lead)
    assert view.agreed and view.plan.agreed_by == client.id
    with pytest.raises(Conflict) as again:
        propose(client, lead, "1500", "1500")
    assert again.value.code == "plan_agreed"
    caller = caller_for(pro)
    with pytest.raises(Conflict), unit_of_work(caller) as session:
        milestones.withdraw(session=session, caller=caller, lead_id=lead.id)


def test_the_other_side_may_propose_again_or_withdraw_before_agreeing(won) -> None:
    client, pro, _, lead = won
    propose(pro, lead, "1000", "2000")
    view = propose(client, lead, "1500", "1500")  # a counter-proposal replaces it
    assert view.plan.proposed_side == "owner" and len(view.steps) == 2
    agree(pro, lead)
    assert plan_of(client, lead).agreed


@pytest.mark.parametrize(("rows", "field"), [
    (steps("1000", "1000"), "milestones"),  # 2,000 of 3,000
    (steps("3000"), "milestones"),  # one step is no plan
    (steps(*["250"] * 12) + steps("0"), "milestones"),  # 13 steps
    (steps("0", "3000"), "milestones.0.amount"),
    (steps("1000.001", "1999.999"), "milestones.0.amount"),
    ([{"title": "א", "amount": "1500", "due_on": "2030-01-01"}, *steps("1500")],
     "milestones.0.title"),
    ([{"title": 5, "amount": "1500", "due_on": "2030-01-01"}, *steps("1500")],
     "milestones.0.title"),
    ([{"title": "שלב", "amount": "1500", "due_on": "2020-01-01"}, *steps("1500")],
     "milestones.0.due_on"),
    ([{"title": "שלב", "amount": "1500", "due_on": "not a date"}, *steps("1500")],
     "milestones.0.due_on"),
    (list(reversed(steps("1500", "1500"))), "milestones.1.due_on"),
    ("three steps", "milestones"),
], ids=["short-sum", "one-step", "thirteen", "zero", "three-decimals", "short-title",
        "number-title", "past", "bad-date", "out-of-order", "not-a-list"])
def test_a_bad_plan_names_its_field_and_writes_nothing(won, rows, field) -> None:
    _, pro, _, lead = won
    caller = caller_for(pro)
    with pytest.raises(InvalidInput) as refused, unit_of_work(caller) as session:
        milestones.propose(session=session, caller=caller, lead_id=lead.id, steps=rows)
    assert field in refused.value.fields
    assert plan_of(pro, lead) is None


def test_only_the_two_sides_plan_and_see_it(won) -> None:
    _client, pro, _, lead = won
    propose(pro, lead, "1000", "2000")
    _, stranger_pro = make_professional(business_name="עסק אחר")
    stranger = make_user(name="זר")
    for user in (stranger, stranger_pro):
        caller = caller_for(user)
        with pytest.raises((Forbidden, NotFound)), unit_of_work(caller) as session:
            milestones.view(session=session, caller=caller, lead_id=lead.id)
        with pytest.raises((Forbidden, NotFound)):
            propose(user, lead, "1500", "1500")
        with pytest.raises((Forbidden, NotFound)):
            agree(user, lead)
    with pytest.raises(Unauthenticated), unit_of_work(ANONYMOUS) as session:
        milestones.view(session=session, caller=ANONYMOUS, lead_id=lead.id)
    admin = make_user(role=UserRole.admin, name="מנהלת")
    assert plan_of(admin, lead).side is None


def test_a_plan_waits_for_agreement_before_any_payment(won) -> None:
    client, pro, _, lead = won
    propose(pro, lead, "1000", "2000")
    with pytest.raises(Conflict) as pending:
        payments.initiate(caller=caller_for(client), proposal_id=proposal_of(lead))
    assert pending.value.code == "plan_pending"
    agree(client, lead)
    with pytest.raises(InvalidInput) as whole:
        payments.initiate(caller=caller_for(client), proposal_id=proposal_of(lead))
    assert "milestone_id" in whole.value.fields
    first = plan_of(client, lead).steps[0].milestone
    pay_step(client, lead, first.id)
    with pytest.raises(Conflict) as paid:
        propose(pro, lead, "1500", "1500")
    assert paid.value.code in {"plan_agreed", "not_plannable"}


def test_a_new_price_drops_a_pending_plan_and_is_refused_once_agreed(won) -> None:
    client, pro, _, lead = won
    propose(pro, lead, "1000", "2000")
    payments.edit_proposal(caller=caller_for(client), proposal_id=proposal_of(lead),
                           data=ProposalUpdate(price=D("2800")))
    assert plan_of(client, lead) is None
    propose(pro, lead, "1000", "1800")
    agree(client, lead)
    with pytest.raises(Conflict) as refused:
        payments.edit_proposal(caller=caller_for(client), proposal_id=proposal_of(lead),
                               data=ProposalUpdate(price=D("2500")))
    assert refused.value.code == "plan_agreed"


# --- escrow: each step on its own ----------------------------------------------------------


def test_each_step_is_paid_held_approved_and_released_on_its_own(won) -> None:
    client, pro, business, lead = won
    first, second = (s.milestone for s in agreed(won, "1000", "2000").steps)
    payment = pay_step(client, lead, first.id)
    assert payment.final_amount == D("1000") and status_of(lead) == LeadStatus.in_progress
    held = balances(business).pending
    assert D("0") < held < D("1000")
    with pytest.raises(Conflict) as twice:
        payments.initiate(caller=caller_for(client), proposal_id=proposal_of(lead),
                          milestone_id=first.id)
    assert twice.value.code == "payment_exists"
    # the second step cannot be said done before it is paid
    with pytest.raises(Conflict) as unpaid:
        act(pro, milestones.submit, second.id)
    assert unpaid.value.code == "milestone_not_paid"
    with pytest.raises(Forbidden):
        act(client, milestones.submit, first.id)
    assert act(pro, milestones.submit, first.id).status == "submitted"
    with pytest.raises(Forbidden):
        act(pro, milestones.approve, first.id)
    assert act(client, milestones.approve, first.id).status == "approved"
    assert status_of(lead) == LeadStatus.in_progress  # one step of two
    with unit_of_work(SYSTEM) as session:  # not before the hold period
        assert payments.release_due(session=session, now=utcnow()) == 0
    later = utcnow() + timedelta(days=8)
    with unit_of_work(SYSTEM) as session:
        assert payments.release_due(session=session, now=later) == 1
    after = balances(business)
    assert after.available == held and after.pending == 0
    with unit_of_work(SYSTEM) as session:  # once
        assert payments.release_due(session=session, now=later) == 0
    pay_step(client, lead, second.id)
    act(client, milestones.approve, second.id)  # the owner need not wait for "done"
    assert status_of(lead) == LeadStatus.closed
    with unit_of_work(SYSTEM) as session:
        assert session.get(Lead, lead.id).final_amount == D("3000")
        assert session.execute(text("SELECT count(*) FROM review_requests WHERE lead_id = :l"),
                               {"l": lead.id}).scalar_one() == 1
    with unit_of_work(SYSTEM) as session:
        assert payments.release_due(session=session, now=later) == 1
    assert balances(business).pending == 0 and unbalanced() == 0


def test_two_steps_paid_in_one_webhook_batch_are_each_held_and_start_the_job_once(won) -> None:
    """Webhooks that arrive together share a batch: each step's checkout is judged with the
    lead as the step before left it, and the lead is written once."""
    client, _, _, lead = won
    provider = SandboxProvider()
    events = []
    for step in (s.milestone for s in agreed(won, "1000", "2000").steps):
        payment = payments.initiate(caller=caller_for(client), proposal_id=proposal_of(lead),
                                    milestone_id=step.id)
        paid = provider.pay(payment.psp_reference or "", SUCCESS_CARD)
        events.append((provider.read_webhook(paid.payload, paid.signature), "sandbox"))
    assert [str(result.outcome) for result in payments.record_events(events)] == [
        "applied", "applied"]
    assert status_of(lead) == LeadStatus.in_progress
    with unit_of_work(SYSTEM) as session:
        assert session.get(Lead, lead.id).final_amount == D("3000")
        assert session.execute(text("SELECT count(*) FROM ledger_transactions"
                                    " WHERE kind = 'hold'")).scalar_one() == 2
    assert unbalanced() == 0


def test_the_job_level_steps_are_refused_for_a_job_in_milestones(won) -> None:
    client, pro, _, lead = won
    first = agreed(won, "1000", "2000").steps[0].milestone
    pay_step(client, lead, first.id)
    caller = caller_for(pro)
    with pytest.raises(Conflict) as refused, unit_of_work(caller) as session:
        payments.complete(session=session, caller=caller, lead_id=lead.id)
    assert refused.value.code == "in_milestones"
    caller = caller_for(client)
    with pytest.raises(InvalidInput), unit_of_work(caller) as session:
        disputes.open_dispute(session=session, caller=caller, lead_id=lead.id,
                              reason="העבודה לא בוצעה כמו שסוכם")


def test_a_dispute_freezes_only_its_step(won) -> None:
    client, _pro, business, lead = won
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    first, second = (s.milestone for s in agreed(won, "1000", "2000").steps)
    pay_step(client, lead, first.id)
    pay_step(client, lead, second.id)
    act(client, milestones.approve, first.id)
    caller = caller_for(client)
    with unit_of_work(caller) as session:
        dispute = disputes.open_dispute(session=session, caller=caller, lead_id=lead.id,
                                        reason="השלב השני לא בוצע בכלל",
                                        milestone_id=second.id)
    assert dispute.milestone_id == second.id
    assert status_of(lead) == LeadStatus.in_progress  # the job goes on
    with pytest.raises(Conflict), unit_of_work(caller) as session:  # one open per step
        disputes.open_dispute(session=session, caller=caller, lead_id=lead.id,
                              reason="השלב השני לא בוצע בכלל", milestone_id=second.id)
    with pytest.raises(Conflict):
        act(client, milestones.approve, second.id)
    later = utcnow() + timedelta(days=8)
    with unit_of_work(SYSTEM) as session:  # the first step's money goes out, not the second's
        assert payments.release_due(session=session, now=later) == 1
    disputes.resolve(caller=admin, dispute_id=dispute.id, resolution="refund_full",
                     note="הכסף הוחזר ללקוח")
    view = plan_of(client, lead)
    assert [s.milestone.status for s in view.steps] == ["approved", "cancelled"]
    assert view.steps[1].payment_status == "refunded"
    assert status_of(lead) == LeadStatus.closed  # every step ended, one approved
    assert balances(business).pending == 0 and unbalanced() == 0


def test_a_partly_refunded_step_is_approved_and_its_rest_released(won) -> None:
    client, pro, business, lead = won
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    first, _second = (s.milestone for s in agreed(won, "1000", "2000").steps)
    pay_step(client, lead, first.id)
    caller = caller_for(pro)
    with unit_of_work(caller) as session:
        dispute = disputes.open_dispute(session=session, caller=caller, lead_id=lead.id,
                                        reason="הלקוח לא מאשר שלב שבוצע",
                                        milestone_id=first.id)
    disputes.resolve(caller=admin, dispute_id=dispute.id, resolution="refund_partial",
                     refund_amount="200", note="פשרה")
    view = plan_of(client, lead)
    assert view.steps[0].milestone.status == "approved" and view.steps[0].released
    assert view.steps[1].milestone.status == "open"
    assert status_of(lead) == LeadStatus.in_progress
    assert balances(business).available > 0 and unbalanced() == 0


def test_a_step_said_done_is_approved_automatically_after_the_wait(won) -> None:
    client, pro, _, lead = won
    first = agreed(won, "1000", "2000").steps[0].milestone
    pay_step(client, lead, first.id)
    act(pro, milestones.submit, first.id)
    run_job("auto_confirm_completion", as_of=utcnow())
    assert plan_of(client, lead).steps[0].milestone.status == "submitted"
    detail = run_job("auto_confirm_completion", as_of=utcnow() + timedelta(days=8)).detail
    assert "approved 1 milestones" in detail
    assert plan_of(client, lead).steps[0].milestone.status == "approved"


# --- b2b: a charge per approved step -------------------------------------------------------


def test_b2b_records_each_approved_step_and_nothing_more_at_close(db) -> None:
    with settlement_mode("b2b"):
        client = make_user(name="רותם לוי")
        _business, pro = make_professional(business_name="שיפוצי רותם")
        lead = make_won_job(client, pro, "3000")
        propose(client, lead, "1200", "1800")
        caller = caller_for(pro)
        with pytest.raises(Conflict), unit_of_work(caller) as session:  # not while pending
            settlement.start_work(session=session, caller=caller, lead_id=lead.id)
        agree(pro, lead)
        with unit_of_work(caller) as session:
            settlement.start_work(session=session, caller=caller, lead_id=lead.id)
        first, second = (s.milestone for s in plan_of(client, lead).steps)
        act(pro, milestones.submit, first.id)
        act(client, milestones.approve, first.id)
        act(client, milestones.approve, second.id)
        assert status_of(lead) == LeadStatus.closed
        with unit_of_work(SYSTEM) as session:
            charges = session.execute(text(
                "SELECT milestone_id, final_amount FROM b2b_charges WHERE lead_id = :l"
                " ORDER BY final_amount"), {"l": lead.id}).all()
        assert charges == [(first.id, D("1200.00")), (second.id, D("1800.00"))]
        assert unbalanced() == 0


# --- progress updates ----------------------------------------------------------------------


def test_the_performer_posts_progress_with_photos_that_only_the_two_sides_see(won) -> None:
    client, pro, _, lead = won
    first = agreed(won, "1000", "2000").steps[0].milestone
    caller = caller_for(pro)
    with unit_of_work(caller) as session:
        update = milestones.add_update(session=session, caller=caller, milestone_id=first.id,
                                       body="הקירות שויפו ומוכנים לצבע")
    with unit_of_work(caller) as session:
        photo = milestones.add_photo(session=session, caller=caller, update_id=update.id,
                                     filename="walls.png", data=PNG_BYTES)
    with pytest.raises(InvalidInput), unit_of_work(caller) as session:  # photos only
        milestones.add_photo(session=session, caller=caller, update_id=update.id,
                             filename="quote.pdf", data=PDF_BYTES)
    for _ in range(3):
        with unit_of_work(caller) as session:
            milestones.add_photo(session=session, caller=caller, update_id=update.id,
                                 filename="more.png", data=PNG_BYTES)
    with pytest.raises(Conflict), unit_of_work(caller) as session:
        milestones.add_photo(session=session, caller=caller, update_id=update.id,
                             filename="fifth.png", data=PNG_BYTES)
    view = plan_of(client, lead)
    ((note, photos),) = view.steps[0].updates
    assert note.body == "הקירות שויפו ומוכנים לצבע" and len(photos) == 4
    owner = caller_for(client)
    with unit_of_work(owner) as session:
        assert milestones.photo_link(session=session, caller=owner, photo_id=photo.id)
    with pytest.raises(Forbidden), unit_of_work(owner) as session:  # the client posts none
        milestones.add_update(session=session, caller=owner, milestone_id=first.id,
                              body="שאלה")
    _, stranger_pro = make_professional(business_name="עסק אחר")
    stranger = caller_for(stranger_pro)
    with pytest.raises(NotFound), unit_of_work(stranger) as session:
        milestones.photo_link(session=session, caller=stranger, photo_id=photo.id)
    with pytest.raises((NotFound, Forbidden)), unit_of_work(stranger) as session:
        milestones.add_photo(session=session, caller=stranger, update_id=update.id,
                             filename="x.png", data=PNG_BYTES)


# --- RLS -----------------------------------------------------------------------------------


TABLES = ("milestone_plans", "milestones", "milestone_updates", "milestone_photos")


def test_rls_denies_every_milestone_table_to_others(won) -> None:
    client, pro, _, lead = won
    first = agreed(won, "1000", "2000").steps[0].milestone
    caller = caller_for(pro)
    with unit_of_work(caller) as session:
        update = milestones.add_update(session=session, caller=caller, milestone_id=first.id,
                                       body="התחלנו")
        milestones.add_photo(session=session, caller=caller, update_id=update.id,
                             filename="start.png", data=PNG_BYTES)
    _, stranger_pro = make_professional(business_name="עסק אחר")
    others = [caller_for(make_user(name="זר")), caller_for(stranger_pro), ANONYMOUS]
    for table in TABLES:
        for side in (caller_for(client), caller_for(pro)):
            with unit_of_work(side) as session:
                assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() >= 1
        for other in others:
            with unit_of_work(other) as session:
                assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    # nobody but the platform writes a plan or a step, not even the two sides: RLS finds
    # no row to change, and nothing changes
    for side in (caller_for(client), caller_for(pro)):
        with unit_of_work(side) as session:
            changed = session.execute(text(
                "UPDATE milestones SET amount = 1, status = 'approved', approved_at = now()"
                " WHERE lead_id = :l"), {"l": lead.id}).rowcount
            assert changed == 0
            changed = session.execute(text("UPDATE milestone_plans SET agreed_at = NULL"
                                           " WHERE lead_id = :l"), {"l": lead.id}).rowcount
            assert changed == 0
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM milestones WHERE lead_id = :l"
                                    " AND status = 'open'"), {"l": lead.id}).scalar_one() == 2
    # another business may not post an update on someone else's step
    stranger = caller_for(stranger_pro)
    with pytest.raises(DBAPIError), unit_of_work(stranger) as session:
        session.execute(text(
            "INSERT INTO milestone_updates (milestone_id, lead_id, professional_id,"
            " author_user_id, body) VALUES (:m, :l, :p, :u, 'x')"),
            {"m": first.id, "l": lead.id, "p": stranger.professional_ids[0],
             "u": stranger.user_id})


def test_an_award_taken_back_leaves_its_plan_on_record_and_the_next_starts_afresh(won) -> None:
    client, _pro, _, lead = won
    first = agreed(won, "1000", "2000").steps[0].milestone
    opened = payments.initiate(caller=caller_for(client), proposal_id=proposal_of(lead),
                               milestone_id=first.id)  # a step's checkout open, not paid
    caller = caller_for(client)
    with unit_of_work(caller) as session:
        proposals.unaward(session=session, caller=caller, lead_id=lead.id)
    assert status_of(lead) == LeadStatus.active
    with unit_of_work(SYSTEM) as session:  # on record, with the step's payment
        assert session.execute(text("SELECT count(*) FROM milestones WHERE lead_id = :l"),
                               {"l": lead.id}).scalar_one() == 2
        assert session.execute(text("SELECT milestone_id FROM payments WHERE id = :p"),
                               {"p": opened.id}).scalar_one() == first.id
    assert plan_of(client, lead) is None
    # the client chooses another business: no plan, and a new one can be made
    business, other = make_professional(business_name="צבעי הגליל")
    with unit_of_work(caller_for(other)) as session:
        offer = proposals.create_proposal(
            session=session, caller=caller_for(other), lead_id=lead.id,
            data=ProposalCreate(price=D("2800"), description="אסיים תוך שבוע."))
    with unit_of_work(caller) as session:
        proposals.accept_proposal(session=session, caller=caller, proposal_id=offer.id)
    assert plan_of(client, lead) is None
    view = propose(other, lead, "800", "2000")
    assert view.plan.professional_id == business.id and view.total == D("2800")
    agree(client, lead)
    # the old step cannot be paid nor worked on any more
    with pytest.raises(NotFound):
        act(other, milestones.submit, first.id)
    with pytest.raises(NotFound):
        payments.initiate(caller=caller, proposal_id=offer.id, milestone_id=first.id)
