"""Direct-contact leads (issue 21 points 2-3): a business pays to unlock the client, by card or
from its balance; at most UNLOCK_MAX_PER_LEAD, and concurrent takers of the last place give
exactly one; unlocking twice never charges twice; every unlock and refund is a balanced
ledger transaction with its tax document; entitlement is checked in the service and in RLS;
the consumer sees who unlocked; fair refunds (automatic when the platform can tell, the
client's link, otherwise an admin)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import select

from ofair_app.adapters.psp import CardDeclined, ProviderError
from ofair_app.adapters.psp.sandbox import CHARGE_DECLINED_CARD, SandboxProvider
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain import unlocks as rules
from ofair_app.domain.errors import AppError, Forbidden, InvalidInput, NotFound
from ofair_app.models import (
    ClaimDecision,
    ClientAnswer,
    ContactAccessLog,
    Lead,
    LeadUnlock,
    OutboxMessage,
    RefundClaimCreate,
    TaxDocument,
    UnlockCreate,
    UnlockRefundClaim,
    UserRole,
)
from ofair_app.services import board, leads, payment_methods, payouts, unlocks
from ofair_app.services.autopay import NoCard
from ofair_app.settings import get_settings
from tests.factories import (
    add_member,
    caller_for,
    consumer_lead_data,
    make_lead,
    make_paid_job,
    make_professional,
    make_user,
    save_card,
)
from tests.integration.test_rls_identity import count, refused, rows_changed

CARD = UnlockCreate()
BALANCE = UnlockCreate(pay_with="balance")


@pytest.fixture
def consumer(db):
    return make_user(name="רונית לקוחה")


@pytest.fixture
def direct(consumer):
    """A consumer's request open to direct contact (client phone: the consumer's)."""
    return make_lead(consumer, consumer_lead_data(direct_contact=True))


@pytest.fixture
def pro(db):
    """A business whose owner saved a card."""
    professional, owner = make_professional(business_name="אינסטלציה אלון")
    save_card(owner, professional)
    return professional, owner


def _pro(name: str, card: str | None = "4242424242424242"):
    professional, owner = make_professional(business_name=name)
    if card:
        save_card(owner, professional, card)
    return professional, owner


def _lead(lead_id) -> Lead:
    with unit_of_work(SYSTEM) as session:
        found = session.get(Lead, lead_id)
        assert found is not None
        return found


def _unlocks(lead_id) -> list[LeadUnlock]:
    with unit_of_work(SYSTEM) as session:
        return list(session.exec(select(LeadUnlock).where(LeadUnlock.lead_id == lead_id)))


def _entries(kind: str) -> list[tuple]:
    with unit_of_work(SYSTEM) as session:
        return [tuple(row) for row in session.execute(text(
            "SELECT a.code, e.amount FROM ledger_entries e"
            " JOIN ledger_transactions t ON t.id = e.transaction_id"
            " JOIN ledger_accounts a ON a.id = e.account_id"
            " WHERE t.kind = :kind ORDER BY t.id, a.code"), {"kind": kind}).all()]


def _charges() -> int:
    with unit_of_work(SYSTEM) as session:
        return session.execute(text(
            "SELECT count(*) FROM psp_operations WHERE kind = 'charge'")).scalar_one()


def _outbox(template: str) -> list[OutboxMessage]:
    with unit_of_work(SYSTEM) as session:
        return list(session.exec(select(OutboxMessage).where(
            OutboxMessage.template == template)))


def _contact(user, lead_id):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return leads.reveal_contact(session=session, caller=caller, lead_id=lead_id)


def _sees_client(user, lead_id) -> int:
    return count(caller_for(user), "SELECT 1 FROM consumer_leads WHERE lead_id = :id",
                 id=lead_id)


def _claim(user, unlock_id, reason: str, note: str = "", now=None) -> UnlockRefundClaim:
    return unlocks.claim_refund(caller=caller_for(user), unlock_id=unlock_id,
                                data=RefundClaimCreate(reason=reason, note=note), now=now)


# --- unlocking -------------------------------------------------------------------------------


def test_a_card_unlock_charges_once_opens_the_client_and_tells_the_consumer(direct, consumer,
                                                                             pro):
    professional, owner = pro
    assert _sees_client(owner, direct.id) == 0
    with pytest.raises(Forbidden):
        _contact(owner, direct.id)
    done = unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=CARD)
    assert (done.status, done.pay_with, done.attempt) == ("succeeded", "card", 1)
    # UNLOCK_PRICE 25 before VAT (18 %): 29.50 in all
    assert (done.price, done.vat, done.amount) == (
        Decimal("25.00"), Decimal("4.50"), Decimal("29.50"))
    assert _lead(direct.id).unlock_count == 1
    assert _entries("unlock") == [("clearing", Decimal("29.50")),
                                  ("platform:revenue", Decimal("-25.00")),
                                  ("platform:vat", Decimal("-4.50"))]
    with unit_of_work(SYSTEM) as session:
        document = session.get(TaxDocument, done.tax_document_id)
        assert document is not None and document.professional_id == professional.id
        assert (document.document_type, document.status, document.total) == (
            320, "issued", Decimal("29.50"))
        assert [line["kind"] for line in document.lines] == ["unlock", "payment"]
        granted = session.exec(select(ContactAccessLog).where(
            ContactAccessLog.lead_id == direct.id)).one()
        assert (granted.reason, granted.event, granted.professional_id) == (
            "unlock", "granted", professional.id)
    # the business sees the client now, in the service and in the database, and is logged
    assert _contact(owner, direct.id).phone == consumer.phone
    assert _sees_client(owner, direct.id) == 1
    with unit_of_work(SYSTEM) as session:
        reads = session.exec(select(ContactAccessLog).where(
            ContactAccessLog.lead_id == direct.id, ContactAccessLog.event == "read")).all()
        assert [(r.reason, r.professional_id) for r in reads] == [("unlock", professional.id)]
    # the lead says so to the business
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        assert leads.get_lead(session=session, caller=caller,
                              lead_id=direct.id).can_view_contact
    # the consumer is told and sees who unlocked
    [notice] = [m for m in _outbox("lead_unlocked") if m.channel == "sms"]
    assert notice.to_address == consumer.phone and "אינסטלציה אלון" in notice.body
    client = caller_for(consumer)
    with unit_of_work(client) as session:
        [seen] = unlocks.for_lead(session=session, caller=client, lead_id=direct.id)
        assert (seen.business_name, seen.status) == ("אינסטלציה אלון", "succeeded")
    # unlocking again changes nothing and charges nothing
    charges = _charges()
    again = unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=CARD)
    assert again.id == done.id and _charges() == charges and _lead(direct.id).unlock_count == 1
    assert len(_entries("unlock")) == 3


def test_a_member_of_the_business_sees_the_client_but_only_an_owner_spends(direct, pro):
    professional, owner = pro
    staff = make_user(name="עובד")
    add_member(professional, owner, staff)
    with pytest.raises(Forbidden):
        unlocks.unlock(caller=caller_for(staff), lead_id=direct.id, data=CARD)
    assert _lead(direct.id).unlock_count == 0
    unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=CARD)
    assert _contact(staff, direct.id).name == "רונית לקוחה"


def test_paying_from_the_balance_moves_the_available_money(db, consumer):
    performer = make_user(role=UserRole.professional, name="בעל עסק")
    professional, _ = make_professional(performer, business_name="שיפוצי הצפון")
    make_paid_job(consumer, performer, "200", done=True,
                  released_at=datetime.now(UTC) + timedelta(days=30))
    with unit_of_work(SYSTEM) as session:
        before = payouts.available_balance(session, professional.id)
    assert before > Decimal("29.50")
    lead = make_lead(make_user(), consumer_lead_data(direct_contact=True))
    done = unlocks.unlock(caller=caller_for(performer), lead_id=lead.id, data=BALANCE)
    assert (done.status, done.pay_with, done.payment_method_id) == ("succeeded", "balance", None)
    with unit_of_work(SYSTEM) as session:
        assert payouts.available_balance(session, professional.id) == before - Decimal("29.50")
    assert sorted((code.split(":")[-1], amount) for code, amount in _entries("unlock")) == [
        ("available", Decimal("29.50")), ("revenue", Decimal("-25.00")),
        ("vat", Decimal("-4.50"))]


def test_not_enough_balance_no_card_a_lead_not_direct_or_ones_own_write_nothing(direct,
                                                                               consumer):
    professional, owner = _pro("בלי כרטיס", card=None)
    with pytest.raises(payouts.InsufficientFunds):
        unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=BALANCE)
    with pytest.raises(NoCard):
        unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=CARD)
    assert _unlocks(direct.id) == [] and _lead(direct.id).unlock_count == 0
    plain = make_lead(consumer)
    with pytest.raises(rules.NotDirectContact):
        unlocks.unlock(caller=caller_for(owner), lead_id=plain.id, data=CARD)
    # a consumer with no business has nothing to unlock for; an owner's own request is theirs
    with pytest.raises(InvalidInput):
        unlocks.unlock(caller=caller_for(consumer), lead_id=direct.id, data=CARD)
    mine = make_lead(owner, consumer_lead_data(direct_contact=True))
    with pytest.raises(rules.OwnLead):
        unlocks.unlock(caller=caller_for(owner), lead_id=mine.id, data=CARD)
    with pytest.raises(NotFound):
        unlocks.unlock(caller=caller_for(owner), lead_id=professional.id, data=CARD)
    with pytest.raises(InvalidInput) as bad:
        UnlockCreate(pay_with="cash")
    assert "pay_with" in bad.value.fields
    # only consumers' requests may be direct-contact
    with pytest.raises(InvalidInput) as refused_lead:
        from tests.factories import pro_lead_data
        leads.check_lead(pro_lead_data(professional, direct_contact=True))
    assert "direct_contact" in refused_lead.value.fields


def test_a_declined_card_frees_the_place_and_a_retry_is_a_new_attempt(direct):
    professional, owner = _pro("כרטיס נדחה", card=CHARGE_DECLINED_CARD)
    with pytest.raises(CardDeclined):
        unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=CARD)
    [row] = _unlocks(direct.id)
    assert row.status == "declined" and _lead(direct.id).unlock_count == 0
    assert _entries("unlock") == []
    save_card(owner, professional)  # a second card; make it the default
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE payment_methods SET is_default = (last4 = '4242')"
                             " WHERE professional_id = :p"), {"p": professional.id})
    done = unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=CARD)
    assert (done.status, done.attempt) == ("succeeded", 2)
    assert _lead(direct.id).unlock_count == 1


def test_a_lost_answer_holds_the_place_and_is_resent_under_the_same_key(direct, pro,
                                                                        monkeypatch):
    professional, owner = pro
    keys: list[str] = []
    real = SandboxProvider.charge_card

    def lost(self, *, card, amount, idempotency_key):
        keys.append(idempotency_key)
        real(self, card=card, amount=amount, idempotency_key=idempotency_key)
        raise ProviderError()  # charged, but the answer never came

    monkeypatch.setattr(SandboxProvider, "charge_card", lost)
    with pytest.raises(ProviderError):
        unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=CARD)
    [row] = _unlocks(direct.id)
    assert row.status == "started" and _lead(direct.id).unlock_count == 1
    assert _sees_client(owner, direct.id) == 0
    monkeypatch.setattr(SandboxProvider, "charge_card", real)
    # the job sends it again under the same key: the provider answers its first charge
    assert unlocks.resume_unanswered(now=datetime.now(UTC) + timedelta(minutes=11)) == {
        "paid": 1}
    assert _charges() == 1
    [row] = _unlocks(direct.id)
    assert row.status == "succeeded" and keys == [rules.charge_key(direct.id, professional.id,
                                                                   1)]
    assert _sees_client(owner, direct.id) == 1


def test_the_places_run_out_and_two_takers_of_the_last_one_give_exactly_one(direct):
    takers = [_pro(f"עסק {i}") for i in range(4)]
    for professional, owner in takers[:2]:
        unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=CARD)
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def take(owner) -> None:
        start.wait()
        try:
            outcomes.append(unlocks.unlock(caller=caller_for(owner), lead_id=direct.id,
                                           data=CARD).status)
        except AppError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=take, args=(owner,)) for _, owner in takers[2:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == ["no_places_left", "succeeded"]
    assert _lead(direct.id).unlock_count == 3
    assert sum(1 for u in _unlocks(direct.id) if u.status == "succeeded") == 3
    # the board shows none left
    with unit_of_work(SYSTEM) as session:
        cards, _ = board.search(session=session, filters=board.BoardFilters(), limit=50)
    [card] = [c for c in cards if c.lead_id == direct.id]
    assert card.unlock is not None and card.unlock.places_left == 0


def test_the_board_card_shows_the_price_and_the_places_left(direct, pro, consumer,
                                                             monkeypatch):
    make_lead(consumer)  # not direct-contact
    monkeypatch.setenv("UNLOCK_PRICES", json.dumps({direct.category_slug: "40"}))
    get_settings.cache_clear()
    try:
        with unit_of_work(SYSTEM) as session:
            cards, _ = board.search(session=session, filters=board.BoardFilters(), limit=50)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    [card] = [c for c in cards if c.lead_id == direct.id]
    assert card.unlock is not None
    assert (card.unlock.price.before_vat, card.unlock.price.total,
            card.unlock.places_left) == (Decimal("40"), Decimal("47.20"), 3)
    assert len(cards) == 2 and all(c.unlock is None for c in cards if c.lead_id != direct.id)


def test_a_bad_price_setting_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("UNLOCK_PRICES", json.dumps({"plumbing": "-3"}))
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="UNLOCK_PRICES"):
            get_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_the_lead_closes_to_unlocks_once_taken_but_an_unlock_stays(direct, pro, consumer):
    _professional, owner = pro
    unlocks.unlock(caller=caller_for(owner), lead_id=direct.id, data=CARD)
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE leads SET status = 'cancelled' WHERE id = :id"),
                        {"id": direct.id})
    _other, other_owner = _pro("מאוחר מדי")
    with pytest.raises(rules.UnlockClosed):
        unlocks.unlock(caller=caller_for(other_owner), lead_id=direct.id, data=CARD)
    assert unlocks.unlock(caller=caller_for(owner), lead_id=direct.id,
                          data=CARD).status == "succeeded"


# --- refunds ---------------------------------------------------------------------------------


def _unlocked(lead, owner) -> LeadUnlock:
    return unlocks.unlock(caller=caller_for(owner), lead_id=lead.id, data=CARD)


def test_an_admin_refunds_to_the_card_with_a_credit_note_and_the_access_ends(direct, pro):
    _professional, owner = pro
    done = _unlocked(direct, owner)
    claim = _claim(owner, done.id, "unreachable", "לא ענו שלוש פעמים")
    assert (claim.status, claim.decided_how) == ("open", None)
    admin = make_user(role=UserRole.admin, name="מנהלת")
    with unit_of_work(caller_for(admin)) as session:
        [row] = unlocks.queue(session=session, caller=caller_for(admin))
    assert (row.claim.id, row.number_in_service, row.had_before) == (claim.id, True, False)
    with pytest.raises(InvalidInput):  # a rejection says why
        unlocks.decide(caller=caller_for(admin), claim_id=claim.id,
                       data=ClaimDecision(approve=False))
    decided = unlocks.decide(caller=caller_for(admin), claim_id=claim.id,
                             data=ClaimDecision(approve=True, note="אומת מול הלקוח"))
    assert (decided.status, decided.decided_how, decided.decided_by) == (
        "refunded", "admin", admin.id)
    [row] = _unlocks(direct.id)
    assert row.status == "refunded" and row.refund_reference.startswith("re_sandbox_")
    assert _entries("unlock_refund") == [("clearing", Decimal("-29.50")),
                                         ("platform:revenue", Decimal("25.00")),
                                         ("platform:vat", Decimal("4.50"))]
    with unit_of_work(SYSTEM) as session:
        credit = session.get(TaxDocument, row.refund_document_id)
        assert credit is not None and credit.corrects_id == row.tax_document_id
        assert (credit.document_type, credit.total) == (330, Decimal("29.50"))
    # the business no longer sees the client; the place stays taken
    assert _sees_client(owner, direct.id) == 0
    with pytest.raises(Forbidden):
        _contact(owner, direct.id)
    assert _lead(direct.id).unlock_count == 1
    assert len(_outbox("unlock_claim_decided")) >= 1
    # deciding again: 409; approving again only retries a refund (nothing more)
    with pytest.raises(rules.AlreadyDecided):
        unlocks.decide(caller=caller_for(admin), claim_id=claim.id,
                       data=ClaimDecision(approve=False, note="לא"))
    with pytest.raises(Forbidden):
        unlocks.decide(caller=caller_for(owner), claim_id=claim.id,
                       data=ClaimDecision(approve=True))


def test_a_rejected_claim_keeps_the_unlock_and_tells_the_business_why(direct, pro):
    _professional, owner = pro
    done = _unlocked(direct, owner)
    claim = _claim(owner, done.id, "unreachable")
    admin = make_user(role=UserRole.admin)
    decided = unlocks.decide(caller=caller_for(admin), claim_id=claim.id,
                             data=ClaimDecision(approve=False, note="הלקוח ענה בשיחה ביום ב׳"))
    assert decided.status == "rejected"
    assert _unlocks(direct.id)[0].status == "succeeded" and _entries("unlock_refund") == []
    [notice] = [m for m in _outbox("unlock_claim_decided") if m.channel == "sms"]
    assert "הלקוח ענה בשיחה" in notice.body


def test_a_number_our_sms_could_not_reach_is_refunded_at_once(direct, pro, consumer):
    _professional, owner = pro
    done = _unlocked(direct, owner)
    with unit_of_work(SYSTEM) as session:
        session.add(OutboxMessage(channel="sms", to_address=consumer.phone, template="otp_code",
                                  locale="he", subject="", body="x", status="failed",
                                  next_attempt_at=datetime.now(UTC)))
    claim = _claim(owner, done.id, "not_in_service")
    assert (claim.status, claim.decided_how) == ("refunded", "number_invalid")
    # the admins' queue reads the same check (our own messages are the platform's)
    other = _unlocked(make_lead(consumer, consumer_lead_data(direct_contact=True,
                                                             title="צביעה")), owner)
    _claim(owner, other.id, "unreachable")
    admin = make_user(role=UserRole.admin)
    with unit_of_work(caller_for(admin)) as session:
        [row] = unlocks.queue(session=session, caller=caller_for(admin))
    assert (row.number_in_service, row.had_before) == (False, True)


def test_a_working_number_claimed_not_in_service_waits_for_an_admin(direct, pro):
    _professional, owner = pro
    done = _unlocked(direct, owner)
    assert _claim(owner, done.id, "not_in_service").status == "open"


def test_a_client_the_business_already_had_is_refunded_at_once(db, pro, consumer):
    _professional, owner = pro
    first = make_lead(consumer, consumer_lead_data(direct_contact=True))
    _unlocked(first, owner)
    second = make_lead(consumer, consumer_lead_data(direct_contact=True,
                                                    title="צביעת דירה"))
    done = _unlocked(second, owner)
    claim = _claim(owner, done.id, "duplicate")
    assert (claim.status, claim.decided_how) == ("refunded", "duplicate")
    # the first one was not a duplicate of anything
    [first_unlock] = _unlocks(first.id)
    assert _claim(owner, first_unlock.id, "duplicate").status == "open"


def test_the_client_confirms_through_the_link_that_they_never_asked(direct, pro, consumer):
    _professional, owner = pro
    done = _unlocked(direct, owner)
    claim = _claim(owner, done.id, "never_asked")
    assert claim.status == "open"
    [sms] = _outbox("unlock_check")
    assert sms.to_address == consumer.phone and sms.sensitive
    token = sms.body.rsplit("/unlock-check/", 1)[1].split()[0]
    check = unlocks.client_check(token)
    assert (check.business_name, check.open) == ("אינסטלציה אלון", True)
    answered = unlocks.client_answer(token, ClientAnswer(answer="never_asked"))
    assert (answered.answer, answered.open) == ("never_asked", False)
    with unit_of_work(SYSTEM) as session:
        decided = session.get(UnlockRefundClaim, claim.id)
        assert (decided.status, decided.decided_how) == ("refunded", "client_confirmed")
    # answered once: a second answer changes nothing
    assert unlocks.client_answer(token, ClientAnswer(answer="asked")).answer == "never_asked"
    with pytest.raises(NotFound):
        unlocks.client_check("x" * 32)


def test_a_client_who_did_ask_leaves_the_claim_to_an_admin(direct, pro):
    _professional, owner = pro
    done = _unlocked(direct, owner)
    claim = _claim(owner, done.id, "never_asked")
    token = _outbox("unlock_check")[0].body.rsplit("/unlock-check/", 1)[1].split()[0]
    unlocks.client_answer(token, ClientAnswer(answer="asked"))
    admin = make_user(role=UserRole.admin)
    with unit_of_work(caller_for(admin)) as session:
        [row] = unlocks.queue(session=session, caller=caller_for(admin))
    assert (row.claim.id, row.claim.client_answer, row.claim.status) == (claim.id, "asked",
                                                                         "open")
    # the link expires
    with pytest.raises(NotFound):
        unlocks.client_check(token, now=datetime.now(UTC) + timedelta(days=15))


def test_one_claim_per_unlock_within_the_window_by_its_business(direct, pro):
    _professional, owner = pro
    done = _unlocked(direct, owner)
    _other, other_owner = _pro("עסק אחר")
    with pytest.raises(NotFound):
        _claim(other_owner, done.id, "unreachable")
    with pytest.raises(rules.ClaimWindowClosed):
        _claim(owner, done.id, "unreachable", now=datetime.now(UTC) + timedelta(days=8))
    _claim(owner, done.id, "unreachable")
    with pytest.raises(rules.AlreadyClaimed):
        _claim(owner, done.id, "duplicate")
    with pytest.raises(InvalidInput):
        RefundClaimCreate(reason="too_expensive")
    with pytest.raises(InvalidInput):
        RefundClaimCreate(reason="unreachable", note="x" * 501)


def test_a_refund_to_the_balance_goes_back_to_the_available_money(db, consumer):
    performer = make_user(role=UserRole.professional, name="בעל עסק")
    professional, _ = make_professional(performer, business_name="שיפוצי הצפון")
    make_paid_job(consumer, performer, "200", done=True,
                  released_at=datetime.now(UTC) + timedelta(days=30))
    with unit_of_work(SYSTEM) as session:
        before = payouts.available_balance(session, professional.id)
    lead = make_lead(make_user(), consumer_lead_data(direct_contact=True))
    done = unlocks.unlock(caller=caller_for(performer), lead_id=lead.id, data=BALANCE)
    claim = _claim(performer, done.id, "unreachable")
    unlocks.decide(caller=caller_for(make_user(role=UserRole.admin)), claim_id=claim.id,
                   data=ClaimDecision(approve=True))
    with unit_of_work(SYSTEM) as session:
        assert payouts.available_balance(session, professional.id) == before


def test_a_card_refund_the_provider_did_not_answer_is_retried_by_the_job(direct, pro,
                                                                         monkeypatch):
    _professional, owner = pro
    done = _unlocked(direct, owner)
    claim = _claim(owner, done.id, "unreachable")
    real = SandboxProvider.refund

    def down(self, **kwargs):
        raise ProviderError()

    monkeypatch.setattr(SandboxProvider, "refund", down)
    admin = make_user(role=UserRole.admin)
    assert unlocks.decide(caller=caller_for(admin), claim_id=claim.id,
                          data=ClaimDecision(approve=True)).status == "approved"
    assert _unlocks(direct.id)[0].status == "succeeded"
    monkeypatch.setattr(SandboxProvider, "refund", real)
    assert unlocks.retry_refunds(now=datetime.now(UTC)) == {"refunded": 1}
    assert unlocks.retry_refunds(now=datetime.now(UTC)) == {}
    assert _unlocks(direct.id)[0].status == "refunded"
    assert len(_entries("unlock_refund")) == 3


# --- row-level security ----------------------------------------------------------------------


def test_unlocks_and_claims_are_read_by_their_business_the_consumer_and_admins_only(direct,
                                                                                   pro,
                                                                                   consumer):
    professional, owner = pro
    done = _unlocked(direct, owner)
    _claim(owner, done.id, "unreachable")
    other, other_owner = _pro("עסק זר")
    stranger = make_user(name="זר")
    admin = make_user(role=UserRole.admin)
    unlock_sql = "SELECT 1 FROM lead_unlocks WHERE id = :id"
    claim_sql = "SELECT 1 FROM unlock_refund_claims WHERE unlock_id = :id"
    assert count(caller_for(owner), unlock_sql, id=done.id) == 1
    assert count(caller_for(consumer), unlock_sql, id=done.id) == 1  # who unlocked my request
    assert count(caller_for(admin), unlock_sql, id=done.id) == 1
    for denied in (caller_for(other_owner), caller_for(stranger), ANONYMOUS):
        assert count(denied, unlock_sql, id=done.id) == 0
        assert count(denied, claim_sql, id=done.id) == 0
        assert count(denied, "SELECT 1 FROM consumer_leads WHERE lead_id = :id",
                     id=direct.id) == 0
    assert count(caller_for(owner), claim_sql, id=done.id) == 1
    assert count(caller_for(consumer), claim_sql, id=done.id) == 0
    # only the platform writes them, and counts the places
    assert rows_changed(caller_for(owner), "UPDATE lead_unlocks SET status = 'succeeded'"
                        " WHERE id = :id", id=done.id) == 0
    assert refused(caller_for(owner), "INSERT INTO lead_unlocks (lead_id, professional_id,"
                   " pay_with, price, vat, amount, status, unlocked_at) VALUES (:l, :p,"
                   " 'balance', 1, 0, 1, 'succeeded', now())", l=direct.id, p=other.id)
    assert refused(caller_for(owner), "INSERT INTO unlock_refund_claims (unlock_id, lead_id,"
                   " professional_id, reason) VALUES (:u, :l, :p, 'unreachable')",
                   u=done.id, l=direct.id, p=professional.id)
    assert refused(caller_for(consumer), "UPDATE leads SET unlock_count = 0 WHERE id = :id",
                   id=direct.id)
    assert _lead(direct.id).unlock_count == 1


# --- through Cardcom (a local stand-in of its API) --------------------------------------------


def test_an_unlock_and_its_refund_through_cardcom(direct, cardcom_api):
    """The saved Cardcom token is charged with the unlock's key as `ExternalUniqTranId`, once;
    the refund is `RefundByTransactionId` of that deal, with the refund's key, once."""
    professional, owner = make_professional(business_name="חשמל כרמל")
    caller = caller_for(owner)
    page = payment_methods.start_saving(caller=caller, professional_id=professional.id)
    cardcom_api.pay(page.rsplit("/", 1)[1])
    assert payment_methods.finish_saving(caller=caller, professional_id=professional.id) == 1
    cardcom_api.fail("Transactions/Transaction", "lost")  # done, but the answer is lost
    done = unlocks.unlock(caller=caller, lead_id=direct.id, data=CARD)
    assert (done.status, done.provider) == ("succeeded", "cardcom")
    calls = cardcom_api.calls("Transactions/Transaction")
    assert {c["ExternalUniqTranId"] for c in calls} == {
        rules.charge_key(direct.id, professional.id, 1)}
    [deal] = [d for d in cardcom_api.deals.values() if d.amount == Decimal("29.50")]
    claim = _claim(owner, done.id, "unreachable")
    admin = make_user(role=UserRole.admin)
    assert unlocks.decide(caller=caller_for(admin), claim_id=claim.id,
                          data=ClaimDecision(approve=True)).status == "refunded"
    [refund] = cardcom_api.calls("Transactions/RefundByTransactionId")
    assert (refund["TransactionId"], refund["PartialSum"]) == (
        int(done.provider_reference), Decimal("29.5"))
    assert deal.refunded == Decimal("29.50")
    assert unlocks.retry_refunds(now=datetime.now(UTC)) == {}
    assert len(cardcom_api.calls("Transactions/RefundByTransactionId")) == 1
