"""B2B settlement (issue 17 points 1-4 and 11): what a closed job owes is recorded at close, the
month is netted into one statement per business, the platform's fees are invoiced with VAT,
numbers have no gap, an invoice that needs an allocation number waits for it, and only the
business's owners and admins read any of it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.documents.pdf import render_html
from ofair_app.domain import settlement as rules
from ofair_app.domain.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from ofair_app.domain.leads import LeadStatus
from ofair_app.domain.ledger import Purpose
from ofair_app.domain.tax import ISRAEL
from ofair_app.models import (
    B2bCharge,
    Lead,
    Professional,
    SettlementStatement,
    TaxDocument,
    User,
    UserRole,
)
from ofair_app.models._base import utcnow
from ofair_app.services import autopay, disputes, ledger, payments, settlement, tax_documents
from tests.b2b import AS_OF, MONTH, account, rows, settle
from tests.factories import (
    caller_for,
    consumer_lead_data,
    make_b2b_job,
    make_professional,
    make_user,
    make_won_job,
    pro_lead_data,
    save_card,
)
from tests.integration.test_rls_identity import count, refused, rows_changed
from tests.standin import configured


@pytest.fixture
def b2b(db, monkeypatch):
    with configured(monkeypatch, {"SETTLEMENT_MODE": "b2b"}):
        yield


def won(owner: User, performer: User, price: str, data=None):
    return make_won_job(owner, performer, price, data)


def closed_job(owner: User, performer: User, price: str, data=None):
    lead = make_b2b_job(owner, performer, price, data)
    assert lead.status == LeadStatus.closed
    return lead


@dataclass
class Month:
    consumer: User
    performer: User  # won the consumer's ₪1,000 job and the referrer's ₪1,000 job
    referrer: User  # posted a pro lead at 20 %
    performer_id: object
    referrer_id: object


@pytest.fixture
def month(b2b) -> Month:
    consumer = make_user(name="רונית")
    performer_business, performer = make_professional(business_name="אינסטלציה אלון")
    referrer_business, referrer = make_professional(business_name="שיפוצי דוד")
    closed_job(consumer, performer, "1000")
    closed_job(referrer, performer, "1000", pro_lead_data(referrer_business))
    return Month(consumer=consumer, performer=performer, referrer=referrer,
                 performer_id=performer_business.id, referrer_id=referrer_business.id)


# --- 1. recording at close -----------------------------------------------------------------


def test_a_closed_job_records_what_its_performer_owes(month) -> None:
    charges = {c.referrer_professional_id is None: c for c in rows(B2bCharge)}
    consumer_job, referral_job = charges[True], charges[False]
    assert (consumer_job.final_amount, consumer_job.platform_commission,
            consumer_job.referrer_fee) == (Decimal("1000.00"), Decimal("100.00"), Decimal("0"))
    assert (referral_job.platform_commission, referral_job.referrer_fee) == (
        Decimal("50.00"), Decimal("200.00"))
    assert referral_job.referrer_professional_id == month.referrer_id
    assert {c.month for c in charges.values()} == {MONTH}
    assert {c.status for c in charges.values()} == {rules.ChargeStatus.open}
    # the performer owes 100 + 50 + 200; the referrer is owed 200; the platform earned 150
    assert account(Purpose.pro_settlement, month.performer_id) == Decimal("350.00")
    assert account(Purpose.pro_settlement, month.referrer_id) == Decimal("-200.00")
    assert account(Purpose.platform_revenue) == Decimal("-150.00")
    with unit_of_work(SYSTEM) as session:
        assert ledger.total_of_all_entries(session) == 0


def test_a_job_is_recorded_once_also_when_the_close_is_recorded_again(month) -> None:
    charge = rows(B2bCharge)[0]
    with unit_of_work(SYSTEM) as session:
        lead = session.get(Lead, charge.lead_id)
        assert settlement.record_close(session, SYSTEM, lead).id == charge.id
    assert len(rows(B2bCharge)) == 2
    assert account(Purpose.pro_settlement, month.performer_id) == Decimal("350.00")


def test_the_auto_confirm_job_records_the_charge_too(b2b) -> None:
    consumer = make_user(name="רונית")
    _, performer = make_professional(business_name="חשמל בני")
    lead = won(consumer, performer, "500")
    pro = caller_for(performer)
    with unit_of_work(pro) as session:
        settlement.start_work(session=session, caller=pro, lead_id=lead.id)
    with unit_of_work(pro) as session:
        payments.complete(session=session, caller=pro, lead_id=lead.id)
    with unit_of_work(SYSTEM) as session:
        assert payments.auto_confirm_due(session=session,
                                         now=utcnow() + timedelta(days=30)) == 1
    [charge] = rows(B2bCharge)
    assert (charge.lead_id, charge.platform_commission) == (lead.id, Decimal("50.00"))


def test_only_the_performer_starts_and_only_in_b2b_mode(db, monkeypatch) -> None:
    consumer = make_user(name="רונית")
    _, performer = make_professional(business_name="חשמל בני")
    lead = won(consumer, performer, "500")
    pro, client = caller_for(performer), caller_for(consumer)
    # escrow mode: the client pays to start it
    with pytest.raises(Conflict) as escrow, unit_of_work(pro) as session:
        settlement.start_work(session=session, caller=pro, lead_id=lead.id)
    assert (escrow.value.status, escrow.value.code) == (409, "not_b2b")
    with configured(monkeypatch, {"SETTLEMENT_MODE": "b2b"}):
        outsider = caller_for(make_professional(business_name="זרים")[1])
        for caller in (client, outsider):
            with pytest.raises(Forbidden), unit_of_work(caller) as session:
                settlement.start_work(session=session, caller=caller, lead_id=lead.id)
        with pytest.raises(AppError) as anonymous, unit_of_work(ANONYMOUS) as session:
            settlement.start_work(session=session, caller=ANONYMOUS, lead_id=lead.id)
        assert anonymous.value.status == 401
        with unit_of_work(pro) as session:
            settlement.start_work(session=session, caller=pro, lead_id=lead.id)
        with pytest.raises(AppError) as twice, unit_of_work(pro) as session:
            settlement.start_work(session=session, caller=pro, lead_id=lead.id)
        assert twice.value.status in (403, 409)
    assert rows(B2bCharge) == []


# --- 2. monthly netting ----------------------------------------------------------------------


def test_the_month_is_netted_into_one_statement_per_business(month) -> None:
    run = settle()
    assert (run.charges, run.statements, run.invoices, run.held) == (2, 2, 1, 0)
    statements = {s.professional_id: s for s in rows(SettlementStatement)}
    performer, referrer = statements[month.performer_id], statements[month.referrer_id]
    # fees 150 + VAT 18 % (27) + 200 collected for the referrer
    assert (performer.fees, performer.vat_rate, performer.vat, performer.referral_owed,
            performer.amount_due, performer.status) == (
        Decimal("150.00"), Decimal("0.1800"), Decimal("27.00"), Decimal("200.00"),
        Decimal("377.00"), "due")
    assert (referrer.fees, referrer.referral_earned, referrer.amount_due, referrer.status) == (
        Decimal("0.00"), Decimal("200.00"), Decimal("-200.00"), "credit")
    assert (performer.month, performer.issued_on, performer.jobs) == (
        MONTH, AS_OF.date(), 2)
    assert {c.status for c in rows(B2bCharge)} == {rules.ChargeStatus.settled}
    # the VAT is owed by the performer to the platform and by the platform to the Authority
    assert account(Purpose.pro_settlement, month.performer_id) == Decimal("377.00")
    assert account(Purpose.vat_payable) == Decimal("-27.00")
    with unit_of_work(SYSTEM) as session:
        assert ledger.total_of_all_entries(session) == 0


def test_a_second_run_or_a_concurrent_one_changes_nothing(month) -> None:
    results: list[settlement.SettlementRun] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(settle())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(r.statements for r in results) == [0, 2]
    assert settle().statements == 0
    assert len(rows(SettlementStatement)) == 2
    assert len(rows(TaxDocument)) == 1
    assert account(Purpose.vat_payable) == Decimal("-27.00")


def test_a_month_not_over_or_not_a_month_is_refused_and_nothing_is_written(month) -> None:
    for as_of, wanted in ((datetime.now(UTC), MONTH), (AS_OF, MONTH.replace(day=2))):
        with pytest.raises(InvalidInput) as refused_month:
            settle(as_of=as_of, month=wanted)
        assert refused_month.value.status == 422
    assert rows(SettlementStatement) == []
    assert {c.status for c in rows(B2bCharge)} == {rules.ChargeStatus.open}


def test_a_business_with_nothing_gets_no_statement(month) -> None:
    idle, _ = make_professional(business_name="שקט")
    settle()
    assert [s for s in rows(SettlementStatement) if s.professional_id == idle.id] == []
    assert settle(as_of=AS_OF, month=rules.previous_month(datetime.combine(
        MONTH, time(12), tzinfo=ISRAEL))).statements == 0


def test_a_credit_is_carried_into_the_next_statement(month) -> None:
    settle()
    # the referrer performs a job the next month: its 200 credit is carried in
    closed_job(month.consumer, month.referrer, "1000")
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE b2b_charges SET month = :m WHERE status = 'open'"),
                        {"m": rules.next_month(MONTH)})
    later = rules.next_month(MONTH)
    settle(as_of=datetime.combine(rules.next_month(later), time(2), tzinfo=ISRAEL),
           month=later)
    statements = {(s.professional_id, s.month): s for s in rows(SettlementStatement)}
    assert statements[(month.referrer_id, MONTH)].status == "carried"
    now = statements[(month.referrer_id, later)]
    # fee 100 + VAT 18 - 200 carried in
    assert (now.fees, now.vat, now.carried_in, now.amount_due, now.status) == (
        Decimal("100.00"), Decimal("18.00"), Decimal("-200.00"), Decimal("-82.00"), "credit")
    assert account(Purpose.pro_settlement, month.referrer_id) == Decimal("-82.00")


# --- 3. tax invoices ---------------------------------------------------------------------------


def test_the_platforms_fee_is_invoiced_with_vat_and_the_referral_fee_outside_it(month) -> None:
    settle()
    [invoice] = rows(TaxDocument)
    assert (invoice.professional_id, invoice.document_type, invoice.status) == (
        month.performer_id, 305, "issued")
    assert (invoice.before_vat, invoice.vat_rate, invoice.vat, invoice.outside_vat,
            invoice.total) == (Decimal("150.00"), Decimal("0.1800"), Decimal("27.00"),
                               Decimal("200.00"), Decimal("377.00"))
    assert invoice.number is not None and invoice.allocation_number is None
    assert invoice.customer_name == "אינסטלציה אלון" and invoice.customer_address
    kinds = sorted((line["kind"], line["amount"]) for line in invoice.lines)
    assert kinds == [("collected", "200.00"), ("fee", "100.00"), ("fee", "50.00")]


def test_an_issued_invoice_is_never_edited_or_deleted(month) -> None:
    settle()
    [invoice] = rows(TaxDocument)
    for sql in ("UPDATE tax_documents SET total = 1, before_vat = 1, vat = 0, outside_vat = 0",
                "UPDATE tax_documents SET customer_name = 'אחר'",
                "DELETE FROM tax_documents"):
        with pytest.raises(DBAPIError), unit_of_work(SYSTEM) as session:
            session.execute(text(sql))
    with unit_of_work(SYSTEM) as session:  # its PDF may be stored, once
        session.execute(text("UPDATE tax_documents SET pdf_key = 'invoices/a.pdf'"))
    with pytest.raises(DBAPIError), unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE tax_documents SET pdf_key = 'invoices/b.pdf'"))
    assert rows(TaxDocument)[0].total == invoice.total


def test_numbers_run_on_without_a_gap_across_months(month) -> None:
    settle()
    closed_job(month.consumer, month.referrer, "1000")
    later = rules.next_month(MONTH)
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE b2b_charges SET month = :m WHERE status = 'open'"),
                        {"m": later})
    settle(as_of=datetime.combine(rules.next_month(later), time(2), tzinfo=ISRAEL), month=later)
    numbers = sorted(d.number for d in rows(TaxDocument))
    assert numbers == list(range(numbers[0], numbers[0] + 2))


# --- 4. allocation numbers ---------------------------------------------------------------------


def big_job(business_number: str | None = None) -> tuple[Professional, User]:
    """A consumer's ₪60,000 job: a fee of ₪6,000 before VAT, over the ₪5,000 threshold."""
    consumer = make_user(name="רונית")
    business, performer = make_professional(business_name="קבלן גדול")
    if business_number:
        with unit_of_work(SYSTEM) as session:
            session.execute(text("UPDATE professionals SET business_id = :n WHERE id = :id"),
                            {"n": business_number, "id": business.id})
    closed_job(consumer, performer, "60000", consumer_lead_data(budget=Decimal("60000")))
    return business, performer


def test_an_invoice_over_the_threshold_waits_for_its_allocation_number(b2b) -> None:
    big_job()
    run = settle()
    assert (run.invoices, run.held) == (0, 1)
    [held] = rows(TaxDocument)
    assert (held.status, held.number, held.held_reason) == (
        "held", None, settlement.AWAITING_ALLOCATION)
    assert settlement.request_allocations() == {"issued": 1, "refused": 0, "unavailable": 0}
    [issued] = rows(TaxDocument)
    assert issued.status == "issued" and issued.number is not None
    assert issued.allocation_number is not None and len(issued.allocation_number) == 9
    assert issued.before_vat == Decimal("6000.00")


def test_a_refused_invoice_stays_held_with_the_reason_and_takes_no_number(b2b) -> None:
    big_job(business_number="999999998")  # the sandbox refuses this customer
    settle()
    assert settlement.request_allocations() == {"issued": 0, "refused": 1, "unavailable": 0}
    [held] = rows(TaxDocument)
    assert (held.status, held.number) == ("held", None)
    assert "refused" in held.held_reason and "sandbox" in held.held_reason
    with unit_of_work(SYSTEM) as session:  # the number it asked with was given back
        assert session.execute(text("SELECT count(*) FROM document_counters"
                                    " WHERE document_type = 305")).scalar_one() == 0


def test_an_invoice_held_when_the_money_came_is_issued_as_a_tax_invoice_receipt(b2b) -> None:
    business, performer = big_job()
    save_card(performer, business)
    settle()
    assert autopay.charge_due(now=AS_OF) == {"paid": 1}  # paid while its invoice waits
    [held] = rows(TaxDocument)
    assert (held.status, held.document_type) == ("held", 305)  # and no receipt beside it
    assert settlement.request_allocations() == {"issued": 1, "refused": 0, "unavailable": 0}
    [issued] = rows(TaxDocument)
    assert (issued.status, issued.document_type, issued.number) == ("issued", 320, 1)
    assert issued.allocation_number is not None
    assert [line["kind"] for line in issued.lines] == ["fee", "payment"]
    assert issued.lines[-1]["amount"] == str(issued.total) == "7080.00"
    view = tax_documents.view_of(issued, original=True)
    assert view.document_type == 320 and len(view.lines) == 1 and len(view.payments) == 1
    assert "חשבונית מס/קבלה" in render_html(view)
    with unit_of_work(SYSTEM) as session:  # the 305 counter was never touched
        assert session.execute(text("SELECT document_type, last_number FROM document_counters"
                                    )).all() == [(320, 1)]


def test_a_held_invoice_refused_after_payment_stays_a_held_305(b2b) -> None:
    business, performer = big_job(business_number="999999998")
    save_card(performer, business)
    settle()
    autopay.charge_due(now=AS_OF)
    assert settlement.request_allocations()["refused"] == 1
    [held] = rows(TaxDocument)
    assert (held.status, held.document_type, [line["kind"] for line in held.lines]) == (
        "held", 305, ["fee"])


def test_a_business_that_is_not_a_licensed_dealer_needs_no_allocation(b2b) -> None:
    business, _ = big_job()
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE professionals SET licensed_dealer = false WHERE id = :id"),
                        {"id": business.id})
    assert settle().held == 0
    assert rows(TaxDocument)[0].status == "issued"


# --- reading, and who may -----------------------------------------------------------------


def test_owners_and_admins_read_a_business_statements_and_invoices(month) -> None:
    settle()
    owner = caller_for(month.performer)
    with unit_of_work(owner) as session:
        assert len(settlement.statements(session=session, caller=owner,
                                         professional_id=month.performer_id)) == 1
        [invoice] = settlement.documents(session=session, caller=owner,
                                         professional_id=month.performer_id)
        assert settlement.balance(session=session, caller=owner,
                                  professional_id=month.performer_id).balance == Decimal("377")
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    with unit_of_work(admin) as session:
        assert settlement.find_document(session=session, caller=admin,
                                        document_id=invoice.id).id == invoice.id
    referrer = caller_for(month.referrer)
    for caller in (referrer, caller_for(month.consumer)):  # not theirs to know it exists
        with pytest.raises(NotFound), unit_of_work(caller) as session:
            settlement.find_document(session=session, caller=caller,
                                     document_id=invoice.id)


def test_the_balance_so_far_this_month(month) -> None:
    owner = caller_for(month.referrer)
    with unit_of_work(owner) as session:
        found = settlement.balance(session=session, caller=owner,
                                   professional_id=month.referrer_id)
    assert (found.balance, found.month, found.month_jobs, found.month_referral_earned) == (
        Decimal("-200.00"), MONTH, 1, Decimal("200.00"))


SETTLEMENT_TABLES = ("b2b_charges", "settlement_statements", "tax_documents")


@pytest.fixture
def outsiders(month) -> list[tuple[str, Caller]]:
    settle()
    return [("another user", caller_for(make_user(name="זר"))),
            ("another business", caller_for(make_professional(business_name="סקרנים")[1])),
            ("anonymous", ANONYMOUS), ("the consumer", caller_for(month.consumer))]


@pytest.mark.parametrize("table", SETTLEMENT_TABLES)
def test_outsiders_see_no_settlement_row(month, outsiders, table) -> None:
    for name, caller in outsiders:
        assert count(caller, f"SELECT 1 FROM {table}") == 0, (table, name)
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    assert count(admin, f"SELECT 1 FROM {table}") > 0
    performer = caller_for(month.performer)
    assert count(performer, f"SELECT 1 FROM {table}") > 0


def test_the_referrer_sees_its_own_rows_only(month, outsiders) -> None:
    referrer = caller_for(month.referrer)
    assert count(referrer, "SELECT 1 FROM b2b_charges") == 1  # the job it referred
    assert count(referrer, "SELECT 1 FROM settlement_statements") == 1  # its own
    assert count(referrer, "SELECT 1 FROM tax_documents") == 0  # the performer's invoice


@pytest.mark.parametrize("who", ["performer", "referrer", "admin-less", "anonymous"])
def test_nobody_but_the_platform_writes_settlement_rows(month, outsiders, who) -> None:
    caller = {"performer": caller_for(month.performer), "referrer": caller_for(month.referrer),
              "admin-less": outsiders[1][1], "anonymous": ANONYMOUS}[who]
    assert rows_changed(caller, "UPDATE settlement_statements SET status = 'paid'") == 0
    assert rows_changed(caller, "UPDATE b2b_charges SET status = 'open'") == 0
    assert rows_changed(caller, "UPDATE tax_documents SET pdf_key = 'x'") == 0
    assert refused(caller, "INSERT INTO settlement_statements (professional_id, month,"
                           " issued_on, jobs, fees, vat_rate, vat, referral_owed,"
                           " referral_earned, carried_in, amount_due, status)"
                           " SELECT id, '2020-01-01', '2020-02-01', 0, 0, 0.17, 0, 0, 0, 0, 0,"
                           " 'settled' FROM professionals")
    assert refused(caller, "SELECT next_document_number(CAST(305 AS smallint))")


# --- disputes before settlement -----------------------------------------------------------


def dispute(user, lead, reason: str = "העבודה לא הסתיימה כמו שסוכם") -> object:
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return disputes.open_dispute(session=session, caller=caller, lead_id=lead.id,
                                     reason=reason)


def charge_of(lead) -> B2bCharge:
    return rows(B2bCharge, B2bCharge.lead_id == lead.id)[0]


@pytest.fixture
def disputed(b2b):
    consumer = make_user(name="רונית")
    business, performer = make_professional(business_name="אינסטלציה אלון")
    lead = closed_job(consumer, performer, "1000")
    opened = dispute(consumer, lead)
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    return consumer, business, performer, lead, opened, admin


def test_a_dispute_before_settlement_freezes_the_job_until_it_is_released(disputed) -> None:
    _, business, _, lead, opened, admin = disputed
    assert opened.payment_id is None
    assert charge_of(lead).status == rules.ChargeStatus.frozen
    assert settle().charges == 0  # a frozen job waits
    disputes.resolve(caller=admin, dispute_id=opened.id, resolution="release")
    assert charge_of(lead).status == rules.ChargeStatus.open
    assert settle().charges == 1
    assert account(Purpose.pro_settlement, business.id) == Decimal("118.00")  # 100 + VAT


def test_a_dispute_refunded_in_full_cancels_the_charge(disputed) -> None:
    _, business, _, lead, opened, admin = disputed
    disputes.resolve(caller=admin, dispute_id=opened.id, resolution="refund_full")
    assert charge_of(lead).status == rules.ChargeStatus.reversed
    assert account(Purpose.pro_settlement, business.id) == 0
    assert account(Purpose.platform_revenue) == 0
    assert settle().charges == 0
    with unit_of_work(SYSTEM) as session:
        assert session.get(Lead, lead.id).status == LeadStatus.cancelled
        assert ledger.total_of_all_entries(session) == 0


def test_a_partial_refund_lowers_the_price_and_the_charge_follows(disputed) -> None:
    _, business, _, lead, opened, admin = disputed
    with pytest.raises(InvalidInput):  # below the minimum job amount: refund it in full
        disputes.resolve(caller=admin, dispute_id=opened.id, resolution="refund_partial",
                         refund_amount="950")
    disputes.resolve(caller=admin, dispute_id=opened.id, resolution="refund_partial",
                     refund_amount="400")
    charge = charge_of(lead)
    assert (charge.final_amount, charge.platform_commission, charge.status) == (
        Decimal("600.00"), Decimal("60.00"), rules.ChargeStatus.open)
    assert account(Purpose.pro_settlement, business.id) == Decimal("60.00")
    settle()
    assert account(Purpose.pro_settlement, business.id) == Decimal("70.80")


def test_the_performer_may_dispute_and_a_settled_job_may_not_be(b2b) -> None:
    consumer = make_user(name="רונית")
    _, performer = make_professional(business_name="אינסטלציה אלון")
    lead = won(consumer, performer, "700")
    pro = caller_for(performer)
    with unit_of_work(pro) as session:
        settlement.start_work(session=session, caller=pro, lead_id=lead.id)
    opened = dispute(performer, lead, "הלקוח ביקש עבודה אחרת ממה שסוכם")
    assert (opened.party, opened.payment_id) == ("performer", None)
    assert count(caller_for(performer), "SELECT 1 FROM disputes") == 1
    assert count(caller_for(make_user(name="זר")), "SELECT 1 FROM disputes") == 0
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    disputes.resolve(caller=admin, dispute_id=opened.id, resolution="release")
    # released before it closed: the job closes now and its charge is recorded
    assert charge_of(lead).platform_commission == Decimal("70.00")
    settle()
    with pytest.raises(disputes.NotDisputable):
        dispute(consumer, lead)


# --- after invoicing: credit notes ---------------------------------------------------------


def test_a_refund_after_invoicing_is_a_credit_note_and_reaches_the_next_statement(
        month) -> None:
    settle()
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    referral_job = rows(B2bCharge, col(B2bCharge.referrer_professional_id).is_not(None))[0]
    [invoice] = rows(TaxDocument)
    # the client of the ₪1,000 referral got ₪400 back: fee 50 → 30, referral fee 200 → 120
    note = settlement.credit_job(caller=admin, lead_id=referral_job.lead_id, refund="400",
                                 reason="הלקוח קיבל החזר חלקי מבעל המקצוע")
    assert (note.document_type, note.status, note.corrects_id) == (330, "issued", invoice.id)
    assert (note.before_vat, note.vat_rate, note.vat, note.outside_vat, note.total) == (
        Decimal("20.00"), Decimal("0.1800"), Decimal("3.60"), Decimal("80.00"),
        Decimal("103.60"))
    assert note.number is not None
    # the performer is owed back 103.60; the referrer gives back 80; the platform 20 + VAT
    assert account(Purpose.pro_settlement, month.performer_id) == Decimal("273.40")
    assert account(Purpose.pro_settlement, month.referrer_id) == Decimal("-120.00")
    assert account(Purpose.vat_payable) == Decimal("-23.40")
    with unit_of_work(SYSTEM) as session:
        assert ledger.total_of_all_entries(session) == 0
    # the rest of it later: all that is left of the fees, nothing more
    rest = settlement.credit_job(caller=admin, lead_id=referral_job.lead_id,
                                 reason="הלקוח קיבל את כל הכסף בחזרה")
    assert (rest.before_vat, rest.outside_vat) == (Decimal("30.00"), Decimal("120.00"))
    with pytest.raises(InvalidInput):  # nothing left to refund
        settlement.credit_job(caller=admin, lead_id=referral_job.lead_id, refund="1",
                              reason="עוד החזר")
    # the next month's statements carry the credits
    later = rules.next_month(MONTH)
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE b2b_credits SET month = :m"), {"m": later})
    settle(as_of=datetime.combine(rules.next_month(later), time(2), tzinfo=ISRAEL), month=later)
    statements = {(s.professional_id, s.month): s for s in rows(SettlementStatement)}
    performer = statements[(month.performer_id, later)]
    # 50 + 9 VAT + 200 given back; the earlier statement (377) is still due on its own
    assert (performer.jobs, performer.fees, performer.credits, performer.amount_due,
            performer.status) == (0, Decimal("0.00"), Decimal("-259.00"),
                                  Decimal("-259.00"), "credit")
    referrer = statements[(month.referrer_id, later)]
    # carried its 200 credit in, gives back the 200 referral fee
    assert (referrer.carried_in, referrer.credits, referrer.amount_due) == (
        Decimal("-200.00"), Decimal("200.00"), Decimal("0.00"))
    assert len(rows(TaxDocument)) == 3  # no invoice without fees


def test_a_job_not_yet_invoiced_is_corrected_through_a_dispute(month) -> None:
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    job = rows(B2bCharge)[0]
    with pytest.raises(settlement.NotInvoiced):
        settlement.credit_job(caller=admin, lead_id=job.lead_id, reason="החזר ללקוח")
    settle()
    for caller in (caller_for(month.performer), ANONYMOUS):
        with pytest.raises(AppError) as refused:
            settlement.credit_job(caller=caller, lead_id=job.lead_id, reason="החזר ללקוח")
        assert refused.value.status in (401, 403)
    with pytest.raises(InvalidInput):
        settlement.credit_job(caller=admin, lead_id=job.lead_id, refund="-5",
                              reason="החזר ללקוח")
    with pytest.raises(InvalidInput):
        settlement.credit_job(caller=admin, lead_id=job.lead_id, reason="")
    assert len(rows(TaxDocument)) == 1


def test_credits_are_read_by_their_businesses_owners_and_admins_only(month) -> None:
    settle()
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    referral_job = rows(B2bCharge, col(B2bCharge.referrer_professional_id).is_not(None))[0]
    settlement.credit_job(caller=admin, lead_id=referral_job.lead_id, reason="החזר מלא ללקוח")
    for caller in (caller_for(month.performer), caller_for(month.referrer), admin):
        assert count(caller, "SELECT 1 FROM b2b_credits") == 1
    for caller in (caller_for(make_user(name="זר")), ANONYMOUS, caller_for(month.consumer),
                   caller_for(make_professional(business_name="סקרנים")[1])):
        assert count(caller, "SELECT 1 FROM b2b_credits") == 0
        assert rows_changed(caller, "UPDATE b2b_credits SET status = 'open'") == 0
        assert refused(caller, "INSERT INTO b2b_credits (charge_id, document_id,"
                               " performer_professional_id, refund, commission, vat,"
                               " referrer_fee, month, transaction_id, reason)"
                               " VALUES (gen_random_uuid(), gen_random_uuid(),"
                               " gen_random_uuid(), 1, 1, 0, 0, '2026-01-01', 1, 'x')")
