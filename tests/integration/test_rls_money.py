"""Row-level security on every money table: another user, another business and anonymous
callers see nothing and write nothing; only the platform writes the ledger, which is
append-only and refuses an unbalanced transaction even from the platform."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.domain.ledger import Leg, Purpose, TxKind
from ofair_app.models import ProposalCreate, UserRole, WebhookRejection
from ofair_app.services import disputes, ledger, payments, payouts, proposals
from tests.factories import caller_for, make_lead, make_professional, make_user
from tests.integration.test_rls_identity import count, refused, rows_changed

MONEY_TABLES = ("payments", "payment_webhook_events", "sandbox_checkouts", "ledger_accounts",
                "ledger_transactions", "ledger_entries", "disputes", "withdrawals",
                "payout_batches")


@dataclass
class World:
    consumer: Caller
    performer: Caller
    other_user: Caller
    other_member: Caller
    admin: Caller


@pytest.fixture
def world(db) -> World:
    consumer_user = make_user(name="רונית")
    consumer = caller_for(consumer_user)
    _, performer_user = make_professional(business_name="אינסטלציה אלון")
    performer = caller_for(performer_user)
    lead = make_lead(consumer_user)
    with unit_of_work(performer) as session:
        proposal = proposals.create_proposal(
            session=session, caller=performer, lead_id=lead.id,
            data=ProposalCreate(price=Decimal("600"), description="אגיע מחר עם החלקים."))
    with unit_of_work(consumer) as session:
        proposals.accept_proposal(session=session, caller=consumer, proposal_id=proposal.id)
    payment = payments.initiate(caller=consumer, proposal_id=proposal.id)
    paid = SandboxProvider().pay(payment.psp_reference or "", SUCCESS_CARD)
    assert payments.handle_webhook(paid.payload, paid.signature).outcome == "applied"
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    # a released earlier job pays for a withdrawal in a batch; this one is disputed
    with unit_of_work(SYSTEM) as session:
        ledger.record(session, kind=TxKind.manual_payout, idempotency_key="seed",
                      legs=[Leg(Purpose.clearing, Decimal("300")),
                            Leg(Purpose.pro_available, Decimal("-300"),
                                performer.professional_ids[0])])
    with unit_of_work(performer) as session:
        payouts.request_withdrawal(session=session, caller=performer,
                                   professional_id=performer.professional_ids[0],
                                   amount=Decimal("100"), bank_code="12", branch="608",
                                   account="123456", account_holder="אלון")
    with unit_of_work(admin) as session:
        for withdrawal in payouts.withdrawals(session=session, caller=admin):
            payouts.decide(session=session, caller=admin, withdrawal_id=withdrawal.id,
                           approve=True)
        payouts.export_batch(session=session, caller=admin)
    with unit_of_work(consumer) as session:
        disputes.open_dispute(session=session, caller=consumer, lead_id=lead.id,
                              reason="העבודה לא הסתיימה כמו שסוכם")
    return World(consumer=consumer, performer=performer,
                 other_user=caller_for(make_user(name="זר")),
                 other_member=caller_for(make_professional(business_name="סקרנים")[1]),
                 admin=admin)


def outsiders(world: World) -> list[tuple[str, Caller]]:
    return [("another user", world.other_user), ("another business", world.other_member),
            ("anonymous", ANONYMOUS)]


@pytest.mark.parametrize("table", MONEY_TABLES)
def test_outsiders_see_no_money_row(world, table) -> None:
    for name, caller in outsiders(world):
        assert count(caller, f"SELECT 1 FROM {table}") == 0, (table, name)
    assert count(world.admin, f"SELECT 1 FROM {table}") > 0, table


def test_the_parties_see_their_own_payment_and_wallet_only(world) -> None:
    assert count(world.consumer, "SELECT id FROM payments") == 1
    assert count(world.performer, "SELECT id FROM payments") == 1
    # the performer reads its own accounts (held, available, paying out) and their entries:
    # the hold's part, the seeded credit, both sides of its withdrawal; nothing else
    assert count(world.performer, "SELECT id FROM ledger_accounts") == 3
    assert count(world.performer, "SELECT id FROM ledger_entries") == 4
    assert count(world.performer, "SELECT id FROM ledger_transactions") == 3
    assert count(world.consumer, "SELECT id FROM ledger_entries") == 0
    for caller in (world.consumer, world.performer):
        assert count(caller, "SELECT id FROM payment_webhook_events") == 0
        assert count(caller, "SELECT id FROM sandbox_checkouts") == 0
        assert count(caller, "SELECT id FROM payout_batches") == 0
        assert count(caller, "SELECT id FROM disputes") == 1  # both parties see it
    assert count(world.performer, "SELECT id FROM withdrawals") == 1
    assert count(world.consumer, "SELECT id FROM withdrawals") == 0


@pytest.mark.parametrize("caller_name", ["consumer", "performer", "other_member", "anonymous"])
def test_nobody_but_the_platform_writes_money(world, caller_name) -> None:
    caller = ANONYMOUS if caller_name == "anonymous" else getattr(world, caller_name)
    assert rows_changed(caller, "UPDATE payments SET status = 'refunded'") == 0
    assert rows_changed(caller, "UPDATE disputes SET status = 'resolved',"
                                " resolution = 'release'") == 0
    assert rows_changed(caller, "UPDATE withdrawals SET status = 'paid'") == 0
    assert refused(caller, "INSERT INTO withdrawals (professional_id, requested_by, amount,"
                           " bank_code, branch, account, account_holder) SELECT id, created_by,"
                           " 1000, '12', '608', '123456', 'x' FROM professionals")
    assert refused(caller, "INSERT INTO ledger_transactions (kind, idempotency_key)"
                           " VALUES ('manual_payout', 'forged')")
    assert refused(caller, "INSERT INTO ledger_accounts (code, purpose)"
                           " VALUES ('forged', 'clearing')")
    assert refused(caller, "INSERT INTO payment_webhook_events (id, provider, type, outcome,"
                           " payload) VALUES ('evt_forged', 'sandbox', 'x', 'applied', '{}')")


@pytest.mark.parametrize("table", ["ledger_accounts", "ledger_transactions", "ledger_entries"])
def test_the_ledger_is_append_only_even_for_admins(world, table) -> None:
    for caller in (world.admin, world.performer, SYSTEM):
        assert refused(caller, f"UPDATE {table} SET created_at = now()"), table
        assert refused(caller, f"DELETE FROM {table}"), table


def test_an_unbalanced_transaction_cannot_commit_even_for_the_platform(world) -> None:
    with pytest.raises(DBAPIError) as caught, unit_of_work(SYSTEM) as session:
        tx = session.execute(text(
            "INSERT INTO ledger_transactions (kind, idempotency_key)"
            " VALUES ('manual_payout', 'unbalanced') RETURNING id")).scalar_one()
        account = session.execute(text(
            "SELECT id FROM ledger_accounts WHERE code = 'clearing'")).scalar_one()
        session.execute(text("INSERT INTO ledger_entries (transaction_id, account_id,"
                             " amount) VALUES (:t, :a, 10)"), {"t": tx, "a": account})
    assert getattr(caught.value.orig, "sqlstate", None) == "23514"
    assert count(SYSTEM, "SELECT 1 FROM ledger_transactions WHERE idempotency_key ="
                         " 'unbalanced'") == 0
    assert count(SYSTEM, "SELECT 1 FROM ledger_transactions WHERE idempotency_key ="
                         " 'unbalanced'") == 0


def test_a_payments_split_is_frozen(world) -> None:
    with pytest.raises(DBAPIError), unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE payments SET platform_commission = 0,"
                             " professional_net_amount = final_amount"))


# --- rejected webhooks ---------------------------------------------------------------------


def test_rejected_webhooks_are_read_by_admins_only_and_written_by_the_platform_only(world):
    with unit_of_work(SYSTEM) as session:
        session.add(WebhookRejection(provider="sandbox", reason="not JSON", body_sha256="0" * 64,
                                     body_bytes=3, body_excerpt="abc"))
    assert count(world.admin, "SELECT * FROM webhook_rejections") == 1
    insert = ("INSERT INTO webhook_rejections (provider, reason, body_sha256, body_bytes)"
              " VALUES ('sandbox', 'forged', repeat('0', 64), 1)")
    callers = [*outsiders(world), ("a party", world.consumer), ("a business", world.performer)]
    for name, caller in callers:
        assert count(caller, "SELECT * FROM webhook_rejections") == 0, name
        assert refused(caller, insert), name
    for caller in (world.admin, SYSTEM):
        assert refused(caller, "UPDATE webhook_rejections SET reason = 'changed'")
        # Deleting is the retention job's, and only past 90 days (migration 0009).
        with unit_of_work(caller) as session:
            assert session.execute(text("DELETE FROM webhook_rejections")).rowcount == 0
    assert count(world.admin, "SELECT * FROM webhook_rejections") == 1
    assert refused(world.admin, insert)
