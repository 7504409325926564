"""Data for the accessibility tests: something in every state a page can show, made through
the services, in a town no other e2e test uses (its open leads stay off their boards)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import text

from jobs.runner import run_job
from ofair_app import reference
from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.leads import LeadVisibility
from ofair_app.models import (
    CommissionRuleCreate,
    ProposalCreate,
    ReferOn,
    ReferralCreate,
    RefundClaimCreate,
    UnlockCreate,
    UserRole,
)
from ofair_app.services import (
    chat,
    check_ins,
    commission,
    disputes,
    leads,
    milestones,
    payment_methods,
    payments,
    payouts,
    proposals,
    referrals,
    reviews,
    unlocks,
    visits,
)
from tests.factories import (
    PNG_BYTES,
    caller_for,
    city,
    consumer_lead_data,
    invite,
    make_lead,
    make_paid_job,
    make_professional,
    make_user,
    make_won_job,
    next_phone,
    pro_lead_data,
    seed_statement,
    token_for,
)

LATER = datetime.now(UTC) + timedelta(days=30)  # past every hold period
TOWN = "Kiryat Shmona"


@dataclass
class World:
    tokens: dict[str, str]
    paths: dict[str, str] = field(default_factory=dict)


def threads_of(lead_id, business_id):
    """The conversation of a lead and a business that made an offer on it."""
    with unit_of_work(SYSTEM) as session:
        return session.execute(text(
            "SELECT id FROM chat_threads WHERE lead_id = :l AND professional_id = :p"),
            {"l": lead_id, "p": business_id}).scalar_one()


def make_world() -> World:
    """A consumer with a request with offers, one awarded (its checkout open) and one in
    dispute; a business with money released and a withdrawal asked for, a referral waiting, a
    lead of its own with an offer and an invitation out; an admin; a business to verify."""
    town = city(TOWN)
    admin = make_user(role=UserRole.admin, name="נועה מנהלת")
    consumer = make_user(name="רונית לקוחה")
    business, owner = make_professional(make_user(name="אבי כהן"),
                                        business_name="אינסטלציה אבי", locality_id=town,
                                        about="עשרים שנה של אינסטלציה בעיר.")
    colleague_business, colleague = make_professional(make_user(name="מיכל לוי"),
                                                      business_name="מיכל שיפוצים",
                                                      locality_id=town)
    _, _pending = make_professional(make_user(name="עידו חדש"), business_name="עידו חשמל",
                                    locality_id=town)

    def offer(pro, lead, price: str):
        caller = caller_for(pro)
        with unit_of_work(caller) as session:
            return proposals.create_proposal(
                session=session, caller=caller, lead_id=lead.id,
                data=ProposalCreate(price=Decimal(price), description="אגיע מחר בבוקר עם חלקים.",
                                    scheduled_date=(datetime.now(UTC) + timedelta(days=3)).date()))

    client = caller_for(consumer)
    open_lead = make_lead(consumer, consumer_lead_data(locality_id=town))
    offer(owner, open_lead, "420")
    offer(colleague, open_lead, "520")

    awarded_lead = make_lead(consumer, consumer_lead_data(locality_id=town,
                                                          title="החלפת שקעים בסלון"))
    won = offer(owner, awarded_lead, "650")
    with unit_of_work(client) as session:
        proposals.accept_proposal(session=session, caller=client, proposal_id=won.id)
    checkout = payments.initiate(caller=client, proposal_id=won.id).checkout_url or ""

    # money released to the business's wallet, and a withdrawal waiting for the admin
    reviewed_lead = make_paid_job(consumer, owner, "900", title="פתיחת סתימה",
                                  released_at=LATER)
    with unit_of_work(client) as session:  # reviewed: the public page and the reply form
        reviews.write(session=session, caller=client, lead_id=reviewed_lead.id,
                      data=reviews.ReviewInput(rating=4, quality=5, punctuality=4, price=3,
                                               attitude=5, body="מקצועי ונקי, קצת יקר."))
    closed_lead = make_paid_job(consumer, owner, "500", title="תיקון ברז", done=True)
    pro = caller_for(owner)
    with unit_of_work(pro) as session:
        payouts.request_withdrawal(session=session, caller=pro, professional_id=business.id,
                                   amount=Decimal("300"), bank_code="12", branch="608",
                                   account="123456", account_holder="אבי כהן")

    # a job in milestones: agreed, the first step paid, said done, with progress and a photo
    milestone_lead = make_won_job(consumer, owner, "4000",
                                  consumer_lead_data(locality_id=town, title="שיפוץ מטבח"))
    pro = caller_for(owner)
    today = datetime.now(UTC).date()
    with unit_of_work(pro) as session:
        milestones.propose(session=session, caller=pro, lead_id=milestone_lead.id, steps=[
            {"title": "פירוק והכנה", "amount": "1500",
             "due_on": (today + timedelta(days=7)).isoformat()},
            {"title": "התקנת ארונות", "amount": "2500",
             "due_on": (today + timedelta(days=21)).isoformat()}])
    with unit_of_work(client) as session:
        plan = milestones.agree(session=session, caller=client, lead_id=milestone_lead.id)
    step = plan.steps[0].milestone
    step_payment = payments.initiate(caller=client, proposal_id=plan.plan.proposal_id,
                                     milestone_id=step.id)
    paid = SandboxProvider().pay(step_payment.psp_reference or "", SUCCESS_CARD)
    assert payments.handle_webhook(paid.payload, paid.signature).outcome == "applied"
    with unit_of_work(pro) as session:
        milestones.submit(session=session, caller=pro, milestone_id=step.id)
        update = milestones.add_update(session=session, caller=pro, milestone_id=step.id,
                                       body="הארונות הישנים פורקו והקירות הוכנו.")
        milestones.add_photo(session=session, caller=pro, update_id=update.id,
                             filename="kitchen.png", data=PNG_BYTES)

    disputed_lead = make_paid_job(consumer, owner, "1700", title="צביעת חדר ילדים")
    with unit_of_work(pro) as session:
        payments.complete(session=session, caller=pro, lead_id=disputed_lead.id)
    with unit_of_work(client) as session:
        disputes.open_dispute(session=session, caller=client, lead_id=disputed_lead.id,
                              reason="הצבע נמרח על המשקופים והחדר לא נוקה.")

    # the colleague refers a lead of its own to the business
    other = caller_for(colleague)
    with unit_of_work(other) as session:
        referral_lead = leads.create_lead(session=session, caller=other, data=pro_lead_data(
            colleague_business, locality_id=town, visibility=LeadVisibility.private))
        referrals.share_lead(session=session, caller=other, lead_id=referral_lead.id,
                             data=ReferralCreate(receiver_professional_id=business.id,
                                                 message="לקוח מצוין."))
    # a chain: the colleague offers another lead to a third business, which passes it on to
    # the business keeping 10 % (the business sees the chain, and may pass it on in turn)
    third_business, third = make_professional(make_user(name="רון מזרחי"),
                                              business_name="רון מיזוג", locality_id=town)
    with unit_of_work(other) as session:
        chain_lead = leads.create_lead(session=session, caller=other, data=pro_lead_data(
            colleague_business, locality_id=town, visibility=LeadVisibility.private,
            title="התקנת מערכת מים חמים"))
        to_third = referrals.share_lead(session=session, caller=other, lead_id=chain_lead.id,
                                        data=ReferralCreate(
                                            receiver_professional_id=third_business.id))
    with unit_of_work(caller_for(third)) as session:
        referrals.refer_on(session=session, caller=caller_for(third), referral_id=to_third.id,
                           data=ReferOn(receiver_professional_id=business.id, share="10",
                                        message="אין לי זמן השבוע, מתאים לך?"))
    # the business visits clients; the consumer booked one for the open request (its pass)
    with unit_of_work(pro) as session:
        visits.set_availability(session=session, caller=pro, professional_id=business.id,
                                visit_minutes=60, capacity=1, exceptions=[],
                                weekly={day: [(time(8), time(16))] for day in range(7)})
    with unit_of_work(ANONYMOUS) as session:
        slot = visits.free_slots(session=session, professional_id=business.id,
                                 since=datetime.now(UTC).date() + timedelta(days=2), days=3)[0]
    with unit_of_work(client) as session:
        visits.book(session=session, caller=client, lead_id=open_lead.id,
                    professional_id=business.id, starts_at=slot.starts_at)
        [visit_pass] = check_ins.passes_of_lead(session=session, caller=client,
                                                lead_id=open_lead.id)
    # a conversation on the open request (masked: no award yet), and the disputed job's
    chat_thread = threads_of(open_lead.id, business.id)
    for who, body in ((owner, "שלום, אפשר להגיע מחר בעשר? 052-1234567"),
                      (consumer, "מחר בעשר מתאים, תודה!")):
        with unit_of_work(caller_for(who)) as session:
            chat.send(session=session, caller=caller_for(who), thread_id=chat_thread,
                      body=body)
    dispute_thread = threads_of(disputed_lead.id, business.id)
    own_lead = make_lead(owner, pro_lead_data(business, locality_id=town))
    offer(colleague, own_lead, "2800")

    # two saved cards on the business profile (one the default), and a card-saving page open
    for _ in range(2):
        saving = payment_methods.start_saving(caller=pro, professional_id=business.id)
        SandboxProvider().pay(saving.rsplit("/", 1)[1], SUCCESS_CARD)
        payment_methods.finish_saving(caller=pro, professional_id=business.id)
    card_setup = payment_methods.start_saving(caller=pro, professional_id=business.id)

    # direct-contact requests: one to unlock, one unlocked (its refund form open), and one
    # unlocked with a claim that the client never asked, waiting for the client's link
    direct_lead = make_lead(consumer, consumer_lead_data(
        locality_id=town, title="התקנת מזגן בחדר שינה", direct_contact=True))
    unlocked_lead = make_lead(consumer, consumer_lead_data(
        locality_id=town, title="החלפת אסלה", direct_contact=True))
    unlocks.unlock(caller=pro, lead_id=unlocked_lead.id, data=UnlockCreate())
    claimed_lead = make_lead(consumer, consumer_lead_data(
        locality_id=town, title="תיקון תריס חשמלי", direct_contact=True))
    claimed = unlocks.unlock(caller=pro, lead_id=claimed_lead.id, data=UnlockCreate())
    unlocks.claim_refund(caller=pro, unlock_id=claimed.id, data=RefundClaimCreate(
        reason="never_asked", note="הלקוח אמר בטלפון שלא ביקש הצעה."))
    with unit_of_work(SYSTEM) as session:
        check_sms = session.execute(text(
            "SELECT body FROM outbox_messages WHERE template = 'unlock_check'"
            " AND to_address = :phone"), {"phone": consumer.phone}).scalar_one()
    unlock_check = "/unlock-check/" + check_sms.rsplit("/unlock-check/", 1)[1].split()[0]

    invite(business, owner, phone=next_phone())  # waits on the team page
    run_job("update_tiers", as_of=datetime.now(UTC))  # the plan page's tier card has figures
    with unit_of_work(caller_for(admin)) as session:  # a seasonal rule, to retire
        commission.create(session=session, caller=caller_for(admin), data=CommissionRuleCreate(
            rate_pct=Decimal("12"), category_slug=reference.categories()[0].slug,
            valid_from=datetime.now(UTC).date() + timedelta(days=30), note="עונת הקיץ"))

    # b2b: last month's statement and tax invoice for the business (the invoices page)
    seed_statement(consumer, owner, colleague, colleague_business)
    invite(colleague_business, colleague, phone=consumer.phone)  # the consumer's invitation

    return World(
        tokens={"consumer": token_for(consumer), "pro": token_for(owner),
                "admin": token_for(admin)},
        paths={"pro_id": str(business.id), "open_lead": str(open_lead.id),
               "awarded_lead": str(awarded_lead.id), "disputed_lead": str(disputed_lead.id),
               "own_lead": str(own_lead.id), "reviewed_lead": str(reviewed_lead.id),
               "closed_lead": str(closed_lead.id),
               "milestone_lead": str(milestone_lead.id),
               "check_in_link": "/" + visit_pass.link.split("/", 3)[3],
               "chat": f"/messages/{chat_thread}",
               "dispute_chat": f"/messages/{dispute_thread}",
               "checkout": "/" + checkout.split("/", 3)[3] if "://" in checkout else checkout,
               "card_setup": "/" + card_setup.split("/", 3)[3],
               "direct_lead": str(direct_lead.id), "unlocked_lead": str(unlocked_lead.id),
               "claimed_lead": str(claimed_lead.id), "unlock_check": unlock_check,
               "chain_lead": str(chain_lead.id)})


