"""More data beside the accessibility world: at least one row in each table of `MORE_TABLES`,
every row made by the product's own flows (the services, or the helpers the tests share), by
people and businesses of its own in a town no other test uses. It runs on an empty migrated
database, or after `tests.e2e.a11y_world.make_world()` without touching what that made."""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import text

from jobs.runner import run_job
from ofair_app.adapters.psp import MalformedEvent, sign
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.leads import LeadVisibility
from ofair_app.models import Lead, Professional, ProposalCreate, User, UserRole
from ofair_app.services import (
    auth,
    autopay,
    certificates,
    chat,
    check_ins,
    lead_actions,
    leads,
    notification_center,
    payments,
    payouts,
    privacy,
    professionals,
    proposals,
    push,
    settlement,
    subscriptions,
    visits,
)
from tests.b2b import settle
from tests.factories import (
    PDF_BYTES,
    PNG_BYTES,
    caller_for,
    city,
    consumer_lead_data,
    make_b2b_job,
    make_lead,
    make_paid_job,
    make_professional,
    make_user,
    next_phone,
    pro_lead_data,
    save_card,
    settlement_mode,
    signup_acceptance,
)
from tests.webpush_standin import FakePushService

MORE_TABLES = (
    "autopay_attempts", "b2b_credit_referrers", "b2b_credits", "certificates",
    "chat_presence", "check_ins", "consents", "lead_attachments", "notification_preferences",
    "notification_quiet_hours", "otp_codes", "payment_referrers", "payout_batches",
    "performer_contact_reveals", "personal_data_exports", "professional_tiers",
    "tier_evaluations", "proposal_attachments", "push_subscriptions", "subscription_charges",
    "subscriptions", "visit_exceptions", "webhook_rejections",
)
TOWN = "Arad"  # no other test's leads or businesses are there


@dataclass(frozen=True)
class Cast:
    admin: User
    consumer: User
    business: Professional  # performs the jobs
    owner: User
    referrer_business: Professional  # refers its own clients' jobs to `business`
    referrer: User


def extend_world() -> dict[str, int]:
    """Write at least one row into each table of MORE_TABLES, through the app's services (or
    the helpers the existing tests use), and return {table: rows it has now}."""
    town = city(TOWN)
    cast = _cast(town)
    newcomer = _sign_up()
    _business_paperwork(cast)
    _open_request(cast, town)
    _job_checked_in_and_paid_out(cast)
    _referral_paid_by_link(cast, town)
    _b2b_month(cast, town)
    _pro_plan(cast)
    _monthly_tiers()
    _malformed_webhook()
    _account_settings(newcomer)
    return count_rows()


def count_rows() -> dict[str, int]:
    """Rows in each table of MORE_TABLES, counted as the database's superuser (row-level
    security hides nothing from it)."""
    from tests.conftest import _superuser

    with _superuser().connect() as conn:
        return {table: conn.execute(text(f'SELECT count(*) FROM public."{table}"')).scalar_one()
                for table in MORE_TABLES}


def _cast(town: int) -> Cast:
    """An admin, a consumer, a business that performs jobs and a business that refers its
    clients to it; both businesses in `town`, each with fresh phones and business IDs."""
    admin = make_user(role=UserRole.admin, name="שירה מנהלת")
    consumer = make_user(name="אורית לקוחה")
    business, owner = make_professional(make_user(name="גיל ברק"), business_name="ברק אינסטלציה",
                                        locality_id=town, about="אינסטלציה בערד והסביבה.")
    referrer_business, referrer = make_professional(make_user(name="נטע שחר"),
                                                    business_name="שחר שיפוצים",
                                                    locality_id=town)
    return Cast(admin=admin, consumer=consumer, business=business, owner=owner,
                referrer_business=referrer_business, referrer=referrer)


def _sign_up() -> User:
    """A newcomer logs in with the code texted to their phone (`auth.send_login_code`: an
    otp_codes row) and accepts the current documents at that first login
    (`auth.verify_login_code`: their consents); the console SMS adapter keeps the text in the
    outbox, where a developer reads the code."""
    phone = next_phone()
    with unit_of_work(SYSTEM) as session:
        auth.send_login_code(session=session, ip="198.51.100.23", phone=phone)
    with unit_of_work(SYSTEM) as session:
        body = session.execute(text(
            "SELECT body FROM outbox_messages WHERE to_address = :phone"
            " AND template = 'otp_code' ORDER BY created_at DESC LIMIT 1"),
            {"phone": phone}).scalar_one()
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None, body
    with unit_of_work(SYSTEM) as session:
        login = auth.verify_login_code(session=session, phone=phone, otp=code.group(1),
                                       acceptance=signup_acceptance(marketing=True),
                                       ip="198.51.100.23", user_agent="Firefox")
    assert login.created
    return login.user


def _business_paperwork(cast: Cast) -> None:
    """The business uploads its licence (certificates), an admin verifies it (active: the
    tier job evaluates it), it opens visit hours with a day closed (visit_exceptions) and
    saves a card (autopay and the pro plan charge it)."""
    owner, admin = caller_for(cast.owner), caller_for(cast.admin)
    with unit_of_work(owner) as session:
        certificates.upload_certificate(session=session, caller=owner,
                                        professional_id=cast.business.id,
                                        title="רישיון אינסטלטור", filename="licence.pdf",
                                        data=PDF_BYTES)
    with unit_of_work(admin) as session:
        professionals.verify_professional(session=session, caller=admin,
                                          professional_id=cast.business.id)
    closed_day = datetime.now(UTC).date() + timedelta(days=10)
    with unit_of_work(owner) as session:
        visits.set_availability(
            session=session, caller=owner, professional_id=cast.business.id,
            visit_minutes=60, capacity=1,
            weekly={day: [(time(8), time(16))] for day in range(7)},
            exceptions=[{"day": closed_day.isoformat(), "note": "חופשה", "hours": []}])
    save_card(cast.owner, cast.business)


def _open_request(cast: Cast, town: int) -> None:
    """The consumer posts a request with a photo (lead_attachments); the business offers with
    a photo of earlier work (proposal_attachments); the consumer opens their conversation
    (chat_presence)."""
    client, pro = caller_for(cast.consumer), caller_for(cast.owner)
    lead = make_lead(cast.consumer, consumer_lead_data(locality_id=town,
                                                       title="החלפת ברז באמבטיה"))
    with unit_of_work(client) as session:
        leads.add_attachment(session=session, caller=client, lead_id=lead.id,
                             filename="ברז.png", data=PNG_BYTES)
    with unit_of_work(pro) as session:
        offer = proposals.create_proposal(
            session=session, caller=pro, lead_id=lead.id,
            data=ProposalCreate(price=Decimal("380"), description="אגיע מחר עם ברז חדש."))
        proposals.add_attachment(session=session, caller=pro, proposal_id=offer.id,
                                 filename="work.png", data=PNG_BYTES)
    with unit_of_work(client) as session:
        [thread] = chat.threads_of_lead(session=session, caller=client, lead_id=lead.id)
        chat.here(session=session, caller=client, thread_id=thread.thread.id)


def _job_checked_in_and_paid_out(cast: Cast) -> None:
    """A job the consumer paid through the sandbox: the business scans the client's pass on
    site (check_ins), finishes, the client confirms; its hold is released, and the business's
    withdrawal is approved, exported in a payout file and marked paid (payout_batches)."""
    client, pro = caller_for(cast.consumer), caller_for(cast.owner)
    lead = make_paid_job(cast.consumer, cast.owner, "900", title="החלפת דוד חשמלי")
    with unit_of_work(client) as session:
        [job_pass] = check_ins.passes_of_lead(session=session, caller=client, lead_id=lead.id)
    with unit_of_work(pro) as session:
        check_ins.check_in(session=session, caller=pro, code=job_pass.code, place="בכניסה")
    with unit_of_work(pro) as session:
        payments.complete(session=session, caller=pro, lead_id=lead.id)
    with unit_of_work(client) as session:
        payments.confirm_completion(session=session, caller=client, lead_id=lead.id)
    _release_hold(lead, datetime.now(UTC) + timedelta(days=30))
    admin = caller_for(cast.admin)
    with unit_of_work(pro) as session:
        withdrawal = payouts.request_withdrawal(
            session=session, caller=pro, professional_id=cast.business.id,
            amount=Decimal("300"), bank_code="12", branch="608", account="123456",
            account_holder="גיל ברק")
    with unit_of_work(admin) as session:
        payouts.decide(session=session, caller=admin, withdrawal_id=withdrawal.id,
                       approve=True)
        batch, _csv = payouts.export_batch(session=session, caller=admin)
        payouts.mark_batch_paid(session=session, caller=admin, batch_id=batch.id)


def _release_hold(lead: Lead, now: datetime) -> None:
    """The `release_holds` job's two steps (`closed_due`, then `release_jobs`) at `now`, past
    the hold period, for this job only: a world made before keeps its jobs' holds as it left
    them (`make_paid_job(released_at=…)` would release every due hold)."""
    with unit_of_work(SYSTEM) as session:
        due = payments.closed_due(session=session, now=now)
        assert lead.id in due.ids
        assert payments.release_jobs(session=session, lead_ids=[lead.id]) == 1


def _referral_paid_by_link(cast: Cast, town: int) -> None:
    """The referrer's own client's job, won by the business: the referrer has the payment link
    texted to its client (the split frozen with the referrer's share: payment_referrers) and
    reads the winner's contact card (performer_contact_reveals)."""
    referrer, pro = caller_for(cast.referrer), caller_for(cast.owner)
    lead = make_lead(cast.referrer, pro_lead_data(
        cast.referrer_business, locality_id=town, title="התקנת מערכת סולארית",
        client_phone=next_phone(), visibility=LeadVisibility.public))
    with unit_of_work(pro) as session:
        offer = proposals.create_proposal(
            session=session, caller=pro, lead_id=lead.id,
            data=ProposalCreate(price=Decimal("2800"), description="אתקין תוך יומיים."))
    with unit_of_work(referrer) as session:
        proposals.accept_proposal(session=session, caller=referrer, proposal_id=offer.id)
    payments.send_payment_link(caller=referrer, proposal_id=offer.id)
    with unit_of_work(referrer) as session:
        lead_actions.reveal_performer(session=session, caller=referrer, lead_id=lead.id,
                                      ip="198.51.100.24", user_agent="Firefox")


def _b2b_month(cast: Cast, town: int) -> None:
    """In b2b mode the business closes the referrer's job (its charge owes the referrer a
    fee); the month is settled (`tests.b2b.settle`, as the b2b tests do), the owner pays the
    statement now with the saved card (autopay_attempts), and an admin credits the job after
    the client got the money back (b2b_credits, b2b_credit_referrers)."""
    with settlement_mode("b2b"):
        job = make_b2b_job(cast.referrer, cast.owner, "3000", pro_lead_data(
            cast.referrer_business, locality_id=town, title="שיפוץ חדר רחצה",
            client_phone=next_phone()))
        settle()
        owner = caller_for(cast.owner)
        with unit_of_work(owner) as session:
            [due] = [s for s in settlement.statements(session=session, caller=owner,
                                                      professional_id=cast.business.id)
                     if s.status == "due"]
        assert autopay.pay_now(caller=owner, statement_id=due.id) == "paid"
        settlement.credit_job(caller=caller_for(cast.admin), lead_id=job.id,
                              reason="הלקוח קיבל את כל הכסף בחזרה מהעסק")


def _pro_plan(cast: Cast) -> None:
    """The owner buys the pro plan with the business's default card: the subscription and
    its first period's charge (subscriptions, subscription_charges)."""
    subscriptions.buy(caller=caller_for(cast.owner), professional_id=cast.business.id)


def _monthly_tiers() -> None:
    """The monthly `update_tiers` job: every active business not yet evaluated this month gets
    its evaluation and tier (tier_evaluations, professional_tiers)."""
    outcome = run_job("update_tiers", as_of=datetime.now(UTC))
    assert outcome.status == "succeeded", outcome.detail


def _malformed_webhook() -> None:
    """The payment provider posts a correctly signed body that is no event: answered 400 and
    kept for admins (webhook_rejections; the platform's, no person's)."""
    body = b'{"object": "event", "note": "no id, no type"}'
    with suppress(MalformedEvent):
        payments.handle_webhook(body, sign(body))


def _account_settings(newcomer: User) -> None:
    """The newcomer enables push in a browser (push_subscriptions; the Web Push stand-in plays
    the browser's part and makes its keys), chooses channels and quiet hours
    (notification_preferences, notification_quiet_hours) and asks for an archive of their
    personal data (personal_data_exports)."""
    caller = caller_for(newcomer)
    browser = FakePushService(base_url="https://push.example")
    subscription, _keys = browser.subscribe(
        application_server_key=push.application_server_key())
    with unit_of_work(caller) as session:
        push.subscribe(session=session, caller=caller, endpoint=subscription["endpoint"],
                       p256dh=subscription["keys"]["p256dh"],
                       auth=subscription["keys"]["auth"], user_agent="Firefox")
        notification_center.update_preferences(
            session=session, caller=caller,
            channels={"chat": {"push": True, "sms": False}},
            quiet={"enabled": True, "start": "22:00", "end": "07:00", "shabbat": True})
        privacy.request_export(session=session, caller=caller, ip="198.51.100.23")
