"""Autopay (issue 17 point 6): a statement's amount is charged to the business's default card
once, whatever the retries; a decline is retried 1, 3 and 7 days after the first charge with a
notice each time; after the last the business can't send proposals until it pays; a month
the platform owes is carried or made withdrawable, as the business chose."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from ofair_app.adapters.psp import CardDeclined, ProviderError, _provider
from ofair_app.adapters.psp.sandbox import CHARGE_DECLINED_CARD, SandboxProvider
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.errors import AppError, NotFound
from ofair_app.domain.ledger import Purpose
from ofair_app.models import (
    AutopayAttempt,
    OutboxMessage,
    ProposalCreate,
    SettlementStatement,
    TaxDocument,
)
from ofair_app.services import (
    autopay,
    ledger,
    payment_methods,
    proposals,
    settlement,
    tax_documents,
)
from tests.b2b import AS_OF, account, rows, settle
from tests.factories import (
    caller_for,
    make_b2b_job,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
    save_card,
)
from tests.integration.test_rls_identity import count
from tests.standin import configured


@pytest.fixture
def month(db, monkeypatch):
    """The performer owes ₪377.00 for the month (fees 150 + VAT 27 + 200 for the referrer);
    the referrer is owed ₪200.00."""
    with configured(monkeypatch, {"SETTLEMENT_MODE": "b2b"}):
        consumer = make_user(name="רונית")
        performer_business, performer = make_professional(business_name="אינסטלציה אלון")
        referrer_business, referrer = make_professional(business_name="שיפוצי דוד")
        make_b2b_job(consumer, performer, "1000")
        make_b2b_job(referrer, performer, "1000", pro_lead_data(referrer_business))
        yield performer_business, performer, referrer_business, referrer


def statement_of(business) -> SettlementStatement:
    with unit_of_work(SYSTEM) as session:
        return session.exec(select(SettlementStatement).where(
            SettlementStatement.professional_id == business.id)).one()


def attempts_of(statement) -> list[AutopayAttempt]:
    with unit_of_work(SYSTEM) as session:
        return list(session.exec(select(AutopayAttempt).where(
            AutopayAttempt.statement_id == statement.id)
            .order_by(AutopayAttempt.attempt)).all())


def notices(template: str) -> int:
    with unit_of_work(SYSTEM) as session:
        return len(session.exec(select(OutboxMessage.id).where(
            OutboxMessage.template == template)).all())


def propose(user) -> None:
    lead = make_lead(make_user(name="לקוח חדש"))
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        proposals.create_proposal(session=session, caller=caller, lead_id=lead.id,
                                  data=ProposalCreate(price=Decimal("500"),
                                                      description="אגיע מחר עם כל החלקים."))


def test_a_due_statement_is_charged_once_to_the_default_card(month) -> None:
    business, owner, _, _ = month
    save_card(owner, business)
    settle()
    due = statement_of(business)
    assert (due.status, due.amount_due, due.next_attempt_at) == ("due", Decimal("377.00"), AS_OF)
    assert autopay.charge_due(now=AS_OF) == {"paid": 1}
    paid = statement_of(business)
    assert (paid.status, paid.paid_at, paid.next_attempt_at) == ("paid", AS_OF, None)
    [attempt] = attempts_of(paid)
    assert (attempt.status, attempt.amount, attempt.attempt) == (
        "succeeded", Decimal("377.00"), 1)
    assert attempt.provider_reference.startswith("tx_sandbox_")
    # the business owes nothing more; the provider holds the money for the platform
    assert account(Purpose.pro_settlement, business.id) == 0
    assert account(Purpose.clearing) == Decimal("377.00")
    assert autopay.charge(paid.id, now=AS_OF) == "not_due"
    assert autopay.charge_due(now=AS_OF + timedelta(days=30)) == {}
    assert len(attempts_of(paid)) == 1
    with unit_of_work(SYSTEM) as session:
        assert ledger.total_of_all_entries(session) == 0


def test_a_paid_statement_gets_one_receipt_for_its_invoice(month, tmp_path) -> None:
    business, owner, _, _ = month
    save_card(owner, business)
    settle()
    [invoice] = rows(TaxDocument, TaxDocument.professional_id == business.id)
    assert rows(TaxDocument, TaxDocument.document_type == 400) == []  # nothing paid yet
    assert autopay.charge_due(now=AS_OF) == {"paid": 1}
    assert autopay.charge_due(now=AS_OF + timedelta(days=1)) == {}
    assert autopay.charge(statement_of(business).id, now=AS_OF) == "not_due"
    [receipt] = rows(TaxDocument, TaxDocument.document_type == 400)
    assert (receipt.status, receipt.statement_id, receipt.professional_id) == (
        "issued", invoice.statement_id, business.id)
    assert receipt.number == 1  # its own numbering, apart from the invoices'
    assert (receipt.total, receipt.before_vat, receipt.vat) == (Decimal("377.00"), 0, 0)
    assert receipt.customer_name == invoice.customer_name == "אינסטלציה אלון"
    [line] = receipt.lines
    assert line["kind"] == "payment" and line["amount"] == "377.00"
    assert f"חשבונית מס מס׳ {invoice.number}" in line["description"]
    assert "4242" in line["description"]
    with unit_of_work(caller_for(owner)) as session:  # the owner reads it and downloads it
        found = settlement.find_document(session=session, caller=caller_for(owner),
                                         document_id=receipt.id)
        assert found.document_type == 400
        link = tax_documents.pdf_link(session, caller_for(owner), found)
    assert link


def test_a_declined_charge_gets_no_receipt_and_the_later_payment_does(month) -> None:
    business, owner, _, _ = month
    save_card(owner, business, CHARGE_DECLINED_CARD)
    settle()
    assert autopay.charge_due(now=AS_OF) == {"declined": 1}
    assert rows(TaxDocument, TaxDocument.document_type == 400) == []
    save_card(owner, business)  # the owner adds a card that works and makes it the default
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        [working] = [m for m in payment_methods.list_methods(
            session=session, caller=caller, professional_id=business.id) if not m.is_default]
        payment_methods.make_default(session=session, caller=caller, method_id=working.id)
    assert autopay.pay_now(caller=caller_for(owner), statement_id=statement_of(business).id) \
        == "paid"
    [receipt] = rows(TaxDocument, TaxDocument.document_type == 400)
    assert receipt.total == Decimal("377.00")


def test_declines_are_retried_after_1_3_and_7_days_then_proposals_stop(month) -> None:
    business, owner, _, _ = month
    save_card(owner, business, CHARGE_DECLINED_CARD)
    settle()
    for days, next_days in ((0, 1), (1, 3), (3, 7), (7, None)):
        assert autopay.charge_due(now=AS_OF + timedelta(days=days)) == {"declined": 1}
        due = statement_of(business)
        expected = AS_OF + timedelta(days=next_days) if next_days is not None else None
        assert due.next_attempt_at == expected, days
        if next_days is not None:  # not charged again before its day
            propose(owner)  # still allowed until the last attempt failed
            assert autopay.charge_due(
                now=AS_OF + timedelta(days=next_days) - timedelta(hours=2)) == {}
    assert [a.status for a in attempts_of(statement_of(business))] == ["declined"] * 4
    assert notices("autopay_failed") == 4
    with pytest.raises(autopay.SettlementOverdue) as overdue:
        propose(owner)
    assert (overdue.value.status, overdue.value.code) == (402, "settlement_overdue")
    assert account(Purpose.pro_settlement, business.id) == Decimal("377.00")

    # the owner saves a working card, makes it the default and pays: proposals are back
    save_card(owner, business)
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        working = [m for m in payment_methods.list_methods(
            session=session, caller=caller, professional_id=business.id) if m.last4 == "4242"]
        payment_methods.make_default(session=session, caller=caller, method_id=working[0].id)
    assert autopay.pay_now(caller=caller, statement_id=statement_of(business).id) == "paid"
    assert statement_of(business).status == "paid"
    propose(owner)


def test_an_owners_declined_pay_now_uses_up_no_retry(month) -> None:
    business, owner, _, _ = month
    save_card(owner, business, CHARGE_DECLINED_CARD)
    settle()
    assert autopay.charge_due(now=AS_OF) == {"declined": 1}  # the automatic first charge
    before = statement_of(business)
    assert (before.autopay_attempts, notices("autopay_failed")) == (1, 1)
    for _ in range(5):  # the owner tries again and again from the invoices page
        with pytest.raises(CardDeclined):
            autopay.pay_now(caller=caller_for(owner), statement_id=before.id)
    after = statement_of(business)
    assert (after.status, after.autopay_attempts, after.next_attempt_at) == (
        "due", 1, before.next_attempt_at)  # the automatic retries keep their days
    assert notices("autopay_failed") == 1  # the owner saw the answer on the page
    assert [a.status for a in attempts_of(after)] == ["declined"] * 6
    assert [a.started_by is None for a in attempts_of(after)] == [True] + [False] * 5
    propose(owner)  # not overdue: not blocked


def test_a_card_is_charged_where_it_was_saved(month, monkeypatch) -> None:
    business, owner, _, _ = month
    save_card(owner, business)  # saved through the sandbox
    settle()
    with configured(monkeypatch, {"PSP_PROVIDER": "cardcom"}, _provider):
        assert autopay.charge_due(now=AS_OF) == {"paid": 1}
    [attempt] = attempts_of(statement_of(business))
    assert (attempt.provider, attempt.status) == ("sandbox", "succeeded")
    assert attempt.provider_reference.startswith("tx_sandbox_")


def test_no_card_counts_as_a_failed_charge(month) -> None:
    business, _, _, _ = month
    settle()
    assert autopay.charge_due(now=AS_OF) == {"no_card": 1}
    [attempt] = attempts_of(statement_of(business))
    assert (attempt.status, attempt.payment_method_id) == ("no_card", None)
    assert statement_of(business).autopay_attempts == 1
    assert notices("autopay_failed") == 1


def test_a_charge_whose_answer_was_lost_is_sent_again_under_the_same_key(
        month, monkeypatch) -> None:
    business, owner, _, _ = month
    save_card(owner, business)
    settle()
    real = SandboxProvider.charge_card
    keys: list[str] = []

    def lost(self, *, card, amount, idempotency_key):
        keys.append(idempotency_key)
        real(self, card=card, amount=amount, idempotency_key=idempotency_key)
        raise ProviderError()  # charged, but the answer never came

    monkeypatch.setattr(SandboxProvider, "charge_card", lost)
    assert autopay.charge_due(now=AS_OF) == {"unanswered": 1}
    [attempt] = attempts_of(statement_of(business))
    assert attempt.status == "started"
    assert statement_of(business).next_attempt_at == AS_OF + autopay.PROVIDER_RETRY
    monkeypatch.setattr(SandboxProvider, "charge_card", real)
    assert autopay.charge_due(now=AS_OF + timedelta(hours=2)) == {"paid": 1}
    [attempt] = attempts_of(statement_of(business))  # one attempt, one charge
    assert (attempt.attempt, attempt.status) == (1, "succeeded")
    with unit_of_work(SYSTEM) as session:
        charges = session.execute(text(
            "SELECT count(*) FROM psp_operations WHERE kind = 'charge'")).scalar_one()
    assert charges == 1 and keys == [f"autopay:{attempt.statement_id}:1"]


def test_pay_now_is_for_the_owners_of_a_due_statement_with_a_card(month) -> None:
    business, owner, referrer_business, referrer = month
    settle()
    due = statement_of(business)
    for caller in (caller_for(referrer), caller_for(make_user(name="זר"))):
        with pytest.raises(NotFound):
            autopay.pay_now(caller=caller, statement_id=due.id)
    with pytest.raises(AppError) as anonymous:
        autopay.pay_now(caller=ANONYMOUS, statement_id=due.id)
    assert anonymous.value.status == 401
    with pytest.raises(autopay.NoCard):
        autopay.pay_now(caller=caller_for(owner), statement_id=due.id)
    assert attempts_of(due) == []
    save_card(owner, business, CHARGE_DECLINED_CARD)
    with pytest.raises(CardDeclined):
        autopay.pay_now(caller=caller_for(owner), statement_id=due.id)
    credit = statement_of(referrer_business)
    with pytest.raises(AppError) as nothing:
        autopay.pay_now(caller=caller_for(referrer), statement_id=credit.id)
    assert (nothing.value.status, nothing.value.code) == (409, "nothing_due")


def test_a_credit_is_carried_or_made_withdrawable_as_the_business_chose(month) -> None:
    _, _, referrer_business, _ = month
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE professionals SET settlement_credit = 'payout'"
                             " WHERE id = :id"), {"id": referrer_business.id})
    settle()
    paid = statement_of(referrer_business)
    assert (paid.status, paid.amount_due, paid.paid_at) == ("paid", Decimal("-200.00"), AS_OF)
    with unit_of_work(SYSTEM) as session:
        wallet = ledger.balances(session, referrer_business.id)
    assert wallet.available == Decimal("200.00")
    assert account(Purpose.pro_settlement, referrer_business.id) == 0
    with unit_of_work(SYSTEM) as session:
        assert ledger.total_of_all_entries(session) == 0


def test_outsiders_see_no_autopay_attempt(month) -> None:
    business, owner, _, referrer = month
    save_card(owner, business)
    settle()
    autopay.charge_due(now=AS_OF)
    assert count(caller_for(owner), "SELECT 1 FROM autopay_attempts") == 1
    for caller in (caller_for(referrer), caller_for(make_user(name="זר")), ANONYMOUS):
        assert count(caller, "SELECT 1 FROM autopay_attempts") == 0


def test_autopay_through_cardcom_charges_the_token_once_per_attempt(month, cardcom_api) -> None:
    """The same statement charged through Cardcom's API (a local stand-in): the token is
    charged with the attempt's key as `ExternalUniqTranId`; a lost answer is sent again under
    it (the adapter retries at once) and Cardcom makes one deal of the two calls."""
    business, owner, _, _ = month
    caller = caller_for(owner)
    page = payment_methods.start_saving(caller=caller, professional_id=business.id)
    cardcom_api.pay(page.rsplit("/", 1)[1])
    assert payment_methods.finish_saving(caller=caller, professional_id=business.id) == 1
    settle()
    cardcom_api.fail("Transactions/Transaction", "lost")  # done, but the answer is lost
    assert autopay.charge_due(now=AS_OF) == {"paid": 1}
    calls = cardcom_api.calls("Transactions/Transaction")
    statement = statement_of(business)
    assert [c["ExternalUniqTranId"] for c in calls] == [f"autopay:{statement.id}:1"] * 2
    assert len([d for d in cardcom_api.deals.values() if d.amount == Decimal("377.00")]) == 1
    assert statement.status == "paid"
