"""The paid pro plan (issue 21 point 1): an owner buys it with the saved card; renewals are
idempotent per period; a declined renewal is retried 1, 3 and 7 days on with a notice each
time while the 7-day grace keeps the benefits, then it lapses; cancelling stops renewals at
the period's end; every charge is a balanced ledger transaction with its tax invoice/receipt;
entitlement comes from billing state only; admin grants stay as complimentary months."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from ofair_app.adapters.psp import CardDeclined, ProviderError
from ofair_app.adapters.psp.sandbox import SandboxProvider
from ofair_app.adapters.storage import get_storage
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain import subscriptions as rules
from ofair_app.domain.errors import AppError, Forbidden, NotFound, Unauthenticated
from ofair_app.models import (
    AdminAuditLog,
    OutboxMessage,
    Professional,
    Subscription,
    SubscriptionCharge,
    TaxDocument,
    UserRole,
)
from ofair_app.services import settlement, subscriptions, tax_documents
from ofair_app.services.autopay import NoCard
from tests.factories import add_member, caller_for, make_professional, make_user, save_card
from tests.integration.test_rls_identity import count, refused, rows_changed

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def business(db):
    """A business whose owner saved a card."""
    professional, owner = make_professional(business_name="אינסטלציה אלון")
    save_card(owner, professional)
    return professional, owner


def _business(professional) -> Professional:
    with unit_of_work(SYSTEM) as session:
        found = session.get(Professional, professional.id)
        assert found is not None
        return found


def _subscriptions(professional) -> list[Subscription]:
    with unit_of_work(SYSTEM) as session:
        return list(session.exec(select(Subscription).where(
            Subscription.professional_id == professional.id)
            .order_by(col(Subscription.created_at))).all())


def _charges(professional) -> list[SubscriptionCharge]:
    with unit_of_work(SYSTEM) as session:
        return list(session.exec(select(SubscriptionCharge).where(
            SubscriptionCharge.professional_id == professional.id)
            .order_by(col(SubscriptionCharge.id))).all())


def _notices(template: str) -> int:
    with unit_of_work(SYSTEM) as session:
        return len(session.exec(select(OutboxMessage.id).where(
            OutboxMessage.template == template)).all())


def _ledger() -> list[tuple]:
    """The subscription transactions' entries: (account, amount)."""
    with unit_of_work(SYSTEM) as session:
        return [tuple(row) for row in session.execute(text(
            "SELECT a.code, e.amount FROM ledger_entries e"
            " JOIN ledger_transactions t ON t.id = e.transaction_id"
            " JOIN ledger_accounts a ON a.id = e.account_id"
            " WHERE t.kind = 'subscription' ORDER BY t.id, a.code")).all()]


def _declining(monkeypatch) -> None:
    def declined(self, *, card, amount, idempotency_key):
        raise CardDeclined()
    monkeypatch.setattr(SandboxProvider, "charge_card", declined)


def test_buying_charges_the_first_period_with_its_document_and_entitles_at_once(business):
    professional, owner = business
    bought = subscriptions.buy(caller=caller_for(owner), professional_id=professional.id,
                               ip="203.0.113.9", now=NOW)
    assert (bought.status, bought.source, bought.price) == ("active", "paid", Decimal("99.00"))
    assert bought.ends_at == NOW + rules.PERIOD and bought.next_charge_at == bought.ends_at
    assert _business(professional).subscribed_until == bought.ends_at
    [charge] = _charges(professional)
    assert (charge.status, charge.attempt, charge.price, charge.vat, charge.amount) == (
        "succeeded", 1, Decimal("99.00"), Decimal("17.82"), Decimal("116.82"))
    assert (charge.period_start, charge.period_end) == (NOW, NOW + rules.PERIOD)
    # the card's money: the platform's revenue and the VAT it owes
    assert _ledger() == [("clearing", Decimal("116.82")),
                         ("platform:revenue", Decimal("-99.00")),
                         ("platform:vat", Decimal("-17.82"))]
    with unit_of_work(SYSTEM) as session:
        document = session.get(TaxDocument, charge.tax_document_id)
        assert document is not None
        assert (document.document_type, document.status, document.total) == (
            320, "issued", Decimal("116.82"))
        assert document.number is not None and document.vat == Decimal("17.82")
        assert [line["kind"] for line in document.lines] == ["subscription", "payment"]
        assert session.exec(select(AdminAuditLog).where(
            AdminAuditLog.action == "subscription.buy")).one().ip == "203.0.113.9"
    assert _notices("subscription_paid") == 1
    # the owner downloads it: the original PDF, with the period and the card payment on it
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        found = settlement.find_document(session=session, caller=caller,
                                         document_id=document.id)
        assert tax_documents.pdf_link(session, caller, found)
    with unit_of_work(SYSTEM) as session:
        stored = session.get(TaxDocument, document.id)
        assert stored is not None and stored.pdf_key is not None
    pdf = get_storage().get(stored.pdf_key)
    assert pdf.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        shown = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf,
                               capture_output=True, check=True).stdout.decode()
        shown = shown.translate(dict.fromkeys(range(0x202a, 0x202f)) | dict.fromkeys(
            range(0x2066, 0x206a)))
        for expected in ("חשבונית מס/קבלה", "מנוי", "OFAIR Pro", "03/12/2026", "02/01/2027",
                         "₪99.00", "₪17.82", "₪116.82", "4242"):
            assert expected in shown, shown


def test_a_second_purchase_a_missing_card_and_a_declined_card_charge_nothing_more(
        business, monkeypatch):
    professional, owner = business
    subscriptions.buy(caller=caller_for(owner), professional_id=professional.id, now=NOW)
    with pytest.raises(rules.AlreadySubscribed):
        subscriptions.buy(caller=caller_for(owner), professional_id=professional.id, now=NOW)
    assert len(_charges(professional)) == 1

    cardless, cardless_owner = make_professional(business_name="שיפוצי דוד")
    with pytest.raises(NoCard):
        subscriptions.buy(caller=caller_for(cardless_owner), professional_id=cardless.id,
                          now=NOW)
    assert _subscriptions(cardless) == []

    declined, declined_owner = make_professional(business_name="חשמל רון")
    save_card(declined_owner, declined)
    _declining(monkeypatch)
    with pytest.raises(CardDeclined):
        subscriptions.buy(caller=caller_for(declined_owner), professional_id=declined.id,
                          now=NOW)
    [lapsed] = _subscriptions(declined)
    assert lapsed.status == "lapsed" and lapsed.next_charge_at is None
    assert _business(declined).subscribed_until is None
    assert [c.status for c in _charges(declined)] == ["declined"]
    assert len(_ledger()) == 3  # the first business's purchase only
    # nothing is bought, so nothing lapses by notice: the owner saw the answer
    assert _notices("subscription_lapsed") == 0


def test_only_an_owner_buys(business):
    professional, owner = business
    staff = make_user(name="עובד")
    add_member(professional, owner, staff)
    stranger = make_user(name="זר")
    with pytest.raises(Forbidden):
        subscriptions.buy(caller=caller_for(staff), professional_id=professional.id, now=NOW)
    with pytest.raises(Forbidden):
        subscriptions.buy(caller=caller_for(stranger), professional_id=professional.id,
                          now=NOW)
    with pytest.raises(Unauthenticated):
        subscriptions.buy(caller=ANONYMOUS, professional_id=professional.id, now=NOW)
    assert _subscriptions(professional) == [] and _charges(professional) == []


def test_a_renewal_is_charged_once_per_period_whoever_runs_it(business):
    professional, owner = business
    bought = subscriptions.buy(caller=caller_for(owner), professional_id=professional.id,
                               now=NOW)
    end = bought.ends_at
    assert subscriptions.renew_due(now=end - timedelta(minutes=1)) == {}
    assert subscriptions.renew_due(now=end) == {"paid": 1}
    assert subscriptions.renew_due(now=end + timedelta(minutes=5)) == {}
    assert subscriptions.renew(bought.id, now=end + timedelta(minutes=5)) == "not_due"
    [renewed] = _subscriptions(professional)
    assert renewed.ends_at == end + rules.PERIOD
    assert _business(professional).subscribed_until == renewed.ends_at
    assert [(c.period_start, c.status) for c in _charges(professional)] == [
        (NOW, "succeeded"), (end, "succeeded")]
    assert len(_ledger()) == 6


def test_a_lost_answer_is_asked_again_under_the_same_key_and_charged_once(business,
                                                                        monkeypatch):
    professional, owner = business
    bought = subscriptions.buy(caller=caller_for(owner), professional_id=professional.id,
                               now=NOW)
    real = SandboxProvider.charge_card
    keys = []

    def lost(self, *, card, amount, idempotency_key):
        keys.append(idempotency_key)
        real(self, card=card, amount=amount, idempotency_key=idempotency_key)
        raise ProviderError()  # charged, but the answer never came

    monkeypatch.setattr(SandboxProvider, "charge_card", lost)
    assert subscriptions.renew_due(now=bought.ends_at) == {"unanswered": 1}
    monkeypatch.setattr(SandboxProvider, "charge_card", real)
    assert subscriptions.renew_due(now=bought.ends_at + timedelta(minutes=30)) == {}
    assert subscriptions.renew_due(now=bought.ends_at + rules.PROVIDER_RETRY) == {"paid": 1}
    charges = _charges(professional)
    assert [(c.attempt, c.status) for c in charges] == [(1, "succeeded"), (1, "succeeded")]
    with unit_of_work(SYSTEM) as session:
        operations = session.execute(text(
            "SELECT count(*) FROM psp_operations WHERE key = :key"),
            {"key": keys[0]}).scalar_one()
    assert operations == 1


def test_a_declined_renewal_is_retried_in_grace_then_lapses(business, monkeypatch):
    professional, owner = business
    bought = subscriptions.buy(caller=caller_for(owner), professional_id=professional.id,
                               now=NOW)
    end = bought.ends_at
    _declining(monkeypatch)
    assert subscriptions.renew_due(now=end) == {"declined": 1}
    [due] = _subscriptions(professional)
    assert (due.status, due.failed_charges, due.next_charge_at) == (
        "past_due", 1, end + timedelta(days=1))
    # the grace keeps the benefits a week past the period
    assert _business(professional).subscribed_until == end + rules.GRACE
    assert subscriptions.is_subscribed(_business(professional), end + timedelta(days=6))
    for day in (1, 3):
        assert subscriptions.renew_due(now=end + timedelta(days=day)) == {"declined": 1}
    assert _notices("subscription_renewal_failed") == 3
    assert subscriptions.renew_due(now=end + timedelta(days=7)) == {"declined": 1}
    [lapsed] = _subscriptions(professional)
    assert (lapsed.status, lapsed.next_charge_at) == ("lapsed", None)
    assert _business(professional).subscribed_until == end
    assert not subscriptions.is_subscribed(_business(professional), end + timedelta(days=7))
    assert _notices("subscription_lapsed") == 1
    assert [c.attempt for c in _charges(professional)] == [1, 1, 2, 3, 4]
    assert subscriptions.renew_due(now=end + timedelta(days=30)) == {}
    # lapsed, the owner may buy again (a new subscription, charged now)
    monkeypatch.undo()
    again = subscriptions.buy(caller=caller_for(owner), professional_id=professional.id,
                              now=end + timedelta(days=8))
    assert again.id != bought.id and again.status == "active"


def test_a_retry_that_goes_through_keeps_the_periods_back_to_back(business, monkeypatch):
    professional, owner = business
    bought = subscriptions.buy(caller=caller_for(owner), professional_id=professional.id,
                               now=NOW)
    end = bought.ends_at
    real = SandboxProvider.charge_card
    _declining(monkeypatch)
    subscriptions.renew_due(now=end)
    monkeypatch.setattr(SandboxProvider, "charge_card", real)
    assert subscriptions.renew_due(now=end + timedelta(days=1)) == {"paid": 1}
    [renewed] = _subscriptions(professional)
    assert (renewed.status, renewed.failed_charges) == ("active", 0)
    assert renewed.ends_at == end + rules.PERIOD  # the period paid starts where the last ended
    assert _business(professional).subscribed_until == renewed.ends_at


def test_cancelling_stops_renewals_at_the_periods_end_and_resuming_undoes_it(business):
    professional, owner = business
    caller = caller_for(owner)
    bought = subscriptions.buy(caller=caller, professional_id=professional.id, now=NOW)
    cancelled = subscriptions.cancel_at_period_end(caller=caller, subscription_id=bought.id)
    assert cancelled.cancel_at_period_end
    again = subscriptions.cancel_at_period_end(caller=caller, subscription_id=bought.id)
    assert again.cancel_at_period_end  # idempotent
    assert _business(professional).subscribed_until == bought.ends_at  # paid for: kept
    resumed = subscriptions.cancel_at_period_end(caller=caller, subscription_id=bought.id,
                                                 resume=True)
    assert not resumed.cancel_at_period_end
    subscriptions.cancel_at_period_end(caller=caller, subscription_id=bought.id)
    assert subscriptions.renew_due(now=bought.ends_at) == {"ended": 1}
    [ended] = _subscriptions(professional)
    assert (ended.status, ended.next_charge_at) == ("ended", None)
    assert len(_charges(professional)) == 1
    assert not subscriptions.is_subscribed(_business(professional), bought.ends_at)
    with pytest.raises(rules.NotCancellable):
        subscriptions.cancel_at_period_end(caller=caller, subscription_id=bought.id)
    audited = {"subscription.cancel", "subscription.resume"}
    with unit_of_work(SYSTEM) as session:
        actions = [row.action for row in session.exec(select(AdminAuditLog).where(
            col(AdminAuditLog.action).in_(audited))).all()]
    assert sorted(actions) == ["subscription.cancel", "subscription.cancel",
                               "subscription.resume"]


def test_others_may_not_cancel_a_business_subscription(business):
    professional, owner = business
    bought = subscriptions.buy(caller=caller_for(owner), professional_id=professional.id,
                               now=NOW)
    staff = make_user(name="עובד")
    add_member(professional, owner, staff)
    _, other_owner = make_professional(business_name="שיפוצי דוד")
    for caller in (caller_for(staff), caller_for(other_owner)):
        with pytest.raises(NotFound):
            subscriptions.cancel_at_period_end(caller=caller, subscription_id=bought.id)
    with pytest.raises(AppError):
        subscriptions.cancel_at_period_end(caller=ANONYMOUS, subscription_id=bought.id)
    assert not _subscriptions(professional)[0].cancel_at_period_end


def test_complimentary_months_move_the_renewal_and_a_purchase_waits_for_them(business):
    professional, owner = business
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    bought = subscriptions.buy(caller=caller_for(owner), professional_id=professional.id,
                               now=NOW)
    with unit_of_work(admin) as session:
        subscriptions.grant(session=session, caller=admin, professional_id=professional.id,
                            months=2, now=NOW)
    paid = next(s for s in _subscriptions(professional) if s.source == "paid")
    assert paid.ends_at == bought.ends_at + 2 * rules.PERIOD == paid.next_charge_at
    assert _business(professional).subscribed_until == paid.ends_at
    assert subscriptions.renew_due(now=bought.ends_at) == {}  # the given months are not paid

    # a business given months first buys: its paid periods start when they end
    given, given_owner = make_professional(business_name="שיפוצי דוד")
    save_card(given_owner, given)
    with unit_of_work(admin) as session:
        grant = subscriptions.grant(session=session, caller=admin, professional_id=given.id,
                                    months=1, now=NOW)
    waiting = subscriptions.buy(caller=caller_for(given_owner), professional_id=given.id,
                                now=NOW)
    assert waiting.starts_at == grant.ends_at == waiting.ends_at and _charges(given) == []
    assert subscriptions.renew_due(now=grant.ends_at) == {"paid": 1}
    assert _business(given).subscribed_until == grant.ends_at + rules.PERIOD


def test_an_admin_ends_a_paid_subscription_at_once(business):
    professional, owner = business
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    bought = subscriptions.buy(caller=caller_for(owner), professional_id=professional.id,
                               now=NOW)
    with unit_of_work(admin) as session:
        subscriptions.cancel(session=session, caller=admin, subscription_id=bought.id)
    assert _business(professional).subscribed_until is None
    assert subscriptions.renew_due(now=bought.ends_at) == {}


def test_the_plan_is_shown_to_members_and_its_charges_to_owners(business):
    professional, owner = business
    subscriptions.buy(caller=caller_for(owner), professional_id=professional.id, now=NOW)
    staff = make_user(name="עובד")
    add_member(professional, owner, staff)
    for user, owner_view in ((owner, True), (staff, False)):
        caller = caller_for(user)
        with unit_of_work(caller) as session:
            plan = subscriptions.state(session=session, caller=caller,
                                       professional_id=professional.id, now=NOW)
        assert plan.subscribed and plan.subscription is not None
        assert plan.price.total == Decimal("116.82")
        assert plan.may_manage is owner_view and len(plan.charges) == (1 if owner_view else 0)
    stranger = caller_for(make_user(name="זר"))
    with unit_of_work(stranger) as session, pytest.raises(Forbidden):
        subscriptions.state(session=session, caller=stranger, professional_id=professional.id)


def test_charges_are_read_by_the_businesss_owners_and_admins_only(business):
    professional, owner = business
    subscriptions.buy(caller=caller_for(owner), professional_id=professional.id, now=NOW)
    staff = make_user(name="עובד")
    add_member(professional, owner, staff)
    _, other_owner = make_professional(business_name="שיפוצי דוד")
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    sql = "SELECT id FROM subscription_charges"
    assert count(caller_for(owner), sql) == 1
    assert count(admin, sql) == 1
    for denied in (caller_for(staff), caller_for(other_owner), ANONYMOUS):
        assert count(denied, sql) == 0
    # only the platform writes them
    assert rows_changed(caller_for(owner),
                        "UPDATE subscription_charges SET status = 'declined'") == 0
    assert refused(caller_for(owner), "INSERT INTO subscription_charges (subscription_id,"
                   " professional_id, period_start, period_end, attempt, price, vat, amount,"
                   " provider) SELECT id, professional_id, ends_at,"
                   " ends_at + interval '30 days', 1, 1, 0, 1, 'sandbox'"
                   " FROM subscriptions LIMIT 1")
