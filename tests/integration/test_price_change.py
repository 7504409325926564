"""A changed price is the price charged (issue 12, point 5), at the service level: while a
payment for an award waits on the client (`created` or `pending`), either side may still
change the agreed price; the open checkout is closed first, at the provider and on our side,
so the next payment charges the new price, and the old checkout can never credit the old
amount."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from ofair_app.adapters.psp import ProviderError, sign
from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.errors import Conflict
from ofair_app.models import Payment, Proposal, ProposalCreate, ProposalUpdate
from ofair_app.services import payments, proposals
from tests.factories import caller_for, make_lead, make_professional, make_user

D = Decimal
sandbox = SandboxProvider()


def sql(query: str, **params):
    with unit_of_work(SYSTEM) as session:
        return session.execute(text(query), params).all()


@pytest.fixture
def award(db):
    """A consumer's request awarded to a business at 600.00, not paid yet."""
    consumer = make_user(name="רונית לקוחה")
    _, owner = make_professional(business_name="אינסטלציה אלון")
    lead = make_lead(consumer)
    performer = caller_for(owner)
    with unit_of_work(performer) as session:
        proposal = proposals.create_proposal(
            session=session, caller=performer, lead_id=lead.id,
            data=ProposalCreate(price=D("600"), description="אגיע מחר בבוקר עם חלקים.",
                                scheduled_date=date.today() + timedelta(days=2)))
    client = caller_for(consumer)
    with unit_of_work(client) as session:
        proposals.accept_proposal(session=session, caller=client, proposal_id=proposal.id)
    return {"owner": client, "performer": performer, "proposal": proposal.id, "lead": lead.id}


def change(award, side: str, price: str) -> Proposal:
    return payments.edit_proposal(caller=award[side], proposal_id=award["proposal"],
                                  data=ProposalUpdate(price=D(price)))


def pay(payment: Payment) -> str:
    """The client pays the checkout and the provider's webhook arrives: its outcome."""
    result = sandbox.pay(payment.psp_reference, SUCCESS_CARD)
    if result.outcome != "paid":
        return result.outcome
    return str(payments.handle_webhook(result.payload, result.signature).outcome)


@pytest.mark.parametrize("side", ["owner", "performer"])
def test_either_side_changing_the_price_closes_the_open_checkout(award, side) -> None:
    old = payments.initiate(caller=award["owner"], proposal_id=award["proposal"])
    assert (old.status, old.final_amount) == ("pending", D("600.00"))

    assert change(award, side, "720").price == D("720.00")

    assert sql("SELECT status FROM payments WHERE id = :id", id=old.id) == [("expired",)]
    assert sql("SELECT status FROM sandbox_checkouts WHERE id = :id",
               id=old.psp_reference) == [("expired",)]
    assert pay(old) == "closed"  # its page can no longer take a card
    new = payments.initiate(caller=award["owner"], proposal_id=award["proposal"])
    assert new.id != old.id and new.psp_reference != old.psp_reference
    assert new.final_amount == D("720.00")
    assert sql("SELECT amount_total FROM sandbox_checkouts WHERE id = :id",
               id=new.psp_reference) == [(72000,)]
    assert pay(new) == "applied"
    assert sql("SELECT status, final_amount FROM leads WHERE id = :id",
               id=award["lead"]) == [("in_progress", D("720.00"))]


def test_a_late_payment_of_the_closed_checkout_is_flagged_never_applied(award) -> None:
    old = payments.initiate(caller=award["owner"], proposal_id=award["proposal"])
    change(award, "performer", "720")
    # The provider says the old checkout was paid after all (the events crossed).
    payload = _completed(old)
    result = payments.handle_webhook(payload, sign(payload))
    assert result.outcome == "flagged"
    assert result.detail == "paid 600.00 ₪, but the agreed price is now 720.00 ₪"
    assert sql("SELECT status, flagged FROM payments") == [("expired", True)]
    assert sql("SELECT count(*) FROM ledger_entries") == [(0,)]
    assert sql("SELECT status FROM leads") == [("awarded",)]


def test_a_late_payment_after_a_newer_checkout_started_is_flagged(award) -> None:
    old = payments.initiate(caller=award["owner"], proposal_id=award["proposal"])
    change(award, "owner", "720")
    change(award, "owner", "600")  # back to the old price: the amount would match again
    payments.initiate(caller=award["owner"], proposal_id=award["proposal"])
    payload = _completed(old)
    result = payments.handle_webhook(payload, sign(payload))
    assert result.outcome == "flagged" and "is newer" in result.detail
    assert sql("SELECT count(*) FROM ledger_entries") == [(0,)]


def test_a_checkout_paid_just_before_the_change_is_kept_and_the_change_refused(award) -> None:
    payment = payments.initiate(caller=award["owner"], proposal_id=award["proposal"])
    assert sandbox.pay(payment.psp_reference, SUCCESS_CARD).outcome == "paid"  # no webhook yet
    with pytest.raises(Conflict) as refused:
        change(award, "performer", "720")
    assert refused.value.code == "payment_exists"
    assert refused.value.message_key == "errors.payment.paid_meanwhile"
    assert sql("SELECT status FROM payments") == [("paid",)]  # recorded from the provider
    assert sql("SELECT price FROM proposals") == [(D("600.00"),)]
    assert sql("SELECT status FROM leads") == [("in_progress",)]


def test_a_provider_outage_changes_nothing(award, monkeypatch) -> None:
    payment = payments.initiate(caller=award["owner"], proposal_id=award["proposal"])

    def down(self, reference):
        raise ProviderError()

    monkeypatch.setattr(SandboxProvider, "expire_checkout", down)
    with pytest.raises(ProviderError):
        change(award, "owner", "720")
    assert sql("SELECT status FROM payments WHERE id = :id", id=payment.id) == [("pending",)]
    assert sql("SELECT price FROM proposals") == [(D("600.00"),)]


def test_a_price_change_while_the_checkout_is_being_opened_wins(award, monkeypatch) -> None:
    """The owner taps "pay"; while the provider opens the checkout, the performer changes the
    price. That checkout is closed as soon as it exists and the owner is told to start again;
    the next payment charges the new price."""
    opened: list[str] = []
    real_create = SandboxProvider.create_checkout

    def create_then_change(self, **kwargs):
        checkout = real_create(self, **kwargs)
        opened.append(checkout.reference)
        if len(opened) == 1:
            change(award, "performer", "720")
        return checkout

    monkeypatch.setattr(SandboxProvider, "create_checkout", create_then_change)
    with pytest.raises(Conflict) as refused:
        payments.initiate(caller=award["owner"], proposal_id=award["proposal"])
    assert refused.value.code == "price_changed"
    assert sql("SELECT status FROM sandbox_checkouts WHERE id = :id",
               id=opened[0]) == [("expired",)]
    assert sql("SELECT status, psp_reference FROM payments") == [("expired", None)]
    again = payments.initiate(caller=award["owner"], proposal_id=award["proposal"])
    assert again.final_amount == D("720.00") and again.status == "pending"


def test_without_the_door_the_service_refuses_a_price_change_under_an_open_checkout(
        award) -> None:
    payments.initiate(caller=award["owner"], proposal_id=award["proposal"])
    with pytest.raises(proposals.CheckoutOpen), unit_of_work(award["owner"]) as session:
        proposals.update_proposal(session=session, caller=award["owner"],
                                  proposal_id=award["proposal"],
                                  data=ProposalUpdate(price=D("720")))
    assert sql("SELECT price FROM proposals") == [(D("600.00"),)]


def _completed(payment: Payment) -> bytes:
    from ofair_app.adapters.psp import event_payload

    row = sql("SELECT * FROM sandbox_checkouts WHERE id = :id", id=payment.psp_reference)[0]
    return event_payload(f"evt_test_{payment.id.hex[:8]}", "checkout.session.completed", {
        "id": row.id, "object": "checkout.session", "client_reference_id": str(payment.id),
        "amount_total": row.amount_total, "currency": row.currency, "payment_status": "paid",
        "status": "complete", "payment_intent": row.payment_intent})
