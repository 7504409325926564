"""`python -m ofair_app demo-data`: a demo marketplace to click through, made through the same
services a user's taps go through (so every rule, log and ledger entry is real).

A consumer, an admin, four verified businesses in four cities and trades, and leads in every
state: open with offers, awarded, paid and in progress, done and waiting for confirmation,
closed with the money released to a wallet, cancelled, disputed, and a private referral
waiting in a colleague's inbox. Idempotent: people and businesses are found by phone and
business ID; the leads are made once (a second run finds them and says so).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal

from sqlmodel import col, select

from ofair_app import reference
from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import SYSTEM, Caller, unit_of_work
from ofair_app.domain.identity import is_valid_business_id
from ofair_app.domain.leads import LeadType, LeadVisibility
from ofair_app.models import (
    Lead,
    LeadCreate,
    Professional,
    ProposalCreate,
    ReferralCreate,
    UserRole,
)
from ofair_app.models._base import utcnow
from ofair_app.models.tenancy import ProfessionalCreate
from ofair_app.services import (
    auth,
    disputes,
    leads,
    payments,
    professionals,
    proposals,
    referrals,
    reviews,
    users,
    visits,
)

CONSUMER = ("+972500000101", "דנה כהן")
ADMIN = ("+972500000100", "מנהלת הדגמה")
# phone, owner's name, business, category slug, city (English name), business ID stem
PROS = [
    ("+972500000201", "יוסי לוי", "אינסטלציה לוי", "plumbing", "Tel Aviv", "51500001"),
    ("+972500000202", "מיכל אברהם", "חשמל אברהם", "electrical", "Haifa", "51500002"),
    ("+972500000203", "עומר חדד", "מיזוג חדד", "air-conditioning", "Jerusalem", "51500003"),
    ("+972500000204", "רונן ביטון", "שיפוצי ביטון", "renovation", "Beersheba", "51500004"),
]
MARKER = "(הדגמה)"


@dataclass
class Person:
    phone: str
    name: str
    caller: Caller
    business: Professional | None = None


def _business_id(stem: str) -> str:
    return next(stem + str(d) for d in range(10) if is_valid_business_id(stem + str(d)))


def _caller(user_id: uuid.UUID) -> Caller:
    with unit_of_work(SYSTEM) as session:
        token, _ = auth.issue_token(session=session, user_id=user_id)
        caller = auth.resolve_token(session=session, token=token)
        auth.revoke_token(session=session, token=token)
    assert caller is not None
    return caller


def _person(phone: str, name: str, role: UserRole | None = None) -> Person:
    with unit_of_work(SYSTEM) as session:
        user = users.ensure_user_by_phone(session=session, phone=phone, name=name, role=role)
    return Person(phone=user.phone or phone, name=name, caller=_caller(user.id))


def _city(name_en: str) -> int:
    return next(loc.id for loc in reference.localities() if loc.name_en == name_en)


def _pro(admin: Person, phone: str, name: str, business_name: str, category: str, city: str,
         stem: str) -> Person:
    person = _person(phone, name)
    business_id = _business_id(stem)
    with unit_of_work(SYSTEM) as session:
        business = session.exec(select(Professional).where(
            Professional.business_id == business_id)).first()
    if business is None:
        with unit_of_work(person.caller) as session:
            business = professionals.create_professional(
                session=session, caller=person.caller, data=ProfessionalCreate(
                    business_name=business_name, business_id=business_id, category=category,
                    locality_id=_city(city), service_radius_km=40,
                    about=f"{business_name}: עבודה נקייה, אחריות מלאה ומחיר הוגן."))
        with unit_of_work(admin.caller) as session:
            professionals.verify_professional(session=session, caller=admin.caller,
                                              professional_id=business.id)
        person = _person(phone, name)  # now a member of the business
    person.business = business
    return person


def _request(consumer: Person, title: str, category: str, city: str, budget: str,
             description: str, *, direct: bool = False) -> Lead:
    with unit_of_work(consumer.caller) as session:
        return leads.create_lead(session=session, caller=consumer.caller, data=LeadCreate(
            type=LeadType.consumer, title=f"{title} {MARKER}", description=description,
            category=category, locality_id=_city(city), budget=Decimal(budget),
            client_name=consumer.name, client_address="הרצל 10", direct_contact=direct))


def _offer(pro: Person, lead: Lead, price: str, text: str):
    with unit_of_work(pro.caller) as session:
        return proposals.create_proposal(session=session, caller=pro.caller, lead_id=lead.id,
                                         data=ProposalCreate(price=Decimal(price),
                                                             description=text))


def _accept(owner: Person, proposal) -> None:
    with unit_of_work(owner.caller) as session:
        proposals.accept_proposal(session=session, caller=owner.caller,
                                  proposal_id=proposal.id, user_agent="demo-data")


def _pay(owner: Person, proposal) -> None:
    payment = payments.initiate(caller=owner.caller, proposal_id=proposal.id)
    paid = SandboxProvider().pay(payment.psp_reference or "", SUCCESS_CARD)
    payments.handle_webhook(paid.payload, paid.signature)


def _deal(owner: Person, pro: Person, lead: Lead, price: str, *, paid: bool = False,
          done: bool = False, closed: bool = False):
    proposal = _offer(pro, lead, price, "אפשר לתאם כבר השבוע. המחיר כולל חומרים ואחריות.")
    _accept(owner, proposal)
    if paid:
        _pay(owner, proposal)
    if done:
        with unit_of_work(pro.caller) as session:
            payments.complete(session=session, caller=pro.caller, lead_id=lead.id)
    if closed:
        with unit_of_work(owner.caller) as session:
            payments.confirm_completion(session=session, caller=owner.caller, lead_id=lead.id)
    return proposal


def _already_made(consumer: Person) -> bool:
    with unit_of_work(consumer.caller) as session:
        return session.exec(select(Lead.id).where(
            Lead.owner_user_id == consumer.caller.user_id,
            col(Lead.title).contains(MARKER))).first() is not None


def make_demo_data() -> list[str]:
    """Make (or find) the demo data; the lines to print."""
    admin = _person(*ADMIN, role=UserRole.admin)
    consumer = _person(*CONSUMER)
    pros = [_pro(admin, *row) for row in PROS]
    plumber, electrician, cooling, builder = pros
    made = not _already_made(consumer)
    if made:
        # open, with two offers
        lead = _request(consumer, "תיקון נזילה במטבח", "plumbing", "Tel Aviv", "450",
                        "הברז במטבח מטפטף כבר שבוע ויש רטיבות בארון שמתחת לכיור.")
        _offer(plumber, lead, "420", "אגיע מחר בבוקר עם חלקים מקוריים, אחריות לשנה.")
        _offer(builder, lead, "520", "כולל החלפת סיפון ובדיקת לחץ.")
        # open to direct contact: a business may pay to unlock the client's phone
        _request(consumer, "התקנת גוף תאורה בסלון", "electrical", "Haifa", "400",
                 "גוף תאורה חדש לתקרה בגובה 2.80, כולל פירוק הישן.", direct=True)
        # awarded, waiting for payment
        lead = _request(consumer, "החלפת שקעים בסלון", "electrical", "Haifa", "600",
                        "שלושה שקעים בסלון לא עובדים ואחד מהם מתחמם.")
        _deal(consumer, electrician, lead, "650")
        # paid, in progress
        lead = _request(consumer, "התקנת מזגן בחדר שינה", "air-conditioning", "Jerusalem",
                        "2500", "מזגן חדש של 1 כ\"ס, צריך התקנה עם צנרת של 4 מטר.")
        _deal(consumer, cooling, lead, "2300", paid=True)
        # done, waiting for the client's confirmation
        lead = _request(consumer, "ניקוי פילטרים למזגן", "air-conditioning", "Jerusalem",
                        "300", "שני מזגנים מפוצלים, ניקוי פילטרים ובדיקת גז.")
        _deal(consumer, cooling, lead, "280", paid=True, done=True)
        # closed, and its money released to the performer's wallet
        lead = _request(consumer, "פתיחת סתימה באמבטיה", "plumbing", "Tel Aviv", "350",
                        "המים באמבטיה לא יורדים, ניסינו כבר חומרים.")
        _deal(consumer, plumber, lead, "380", paid=True, done=True, closed=True)
        with unit_of_work(SYSTEM) as session:
            payments.release_due(session=session, now=utcnow() + timedelta(days=8))
        with unit_of_work(consumer.caller) as session:  # and reviewed
            reviews.write(session=session, caller=consumer.caller, lead_id=lead.id,
                          data=reviews.ReviewInput(
                              rating=5, quality=5, punctuality=4, price=5, attitude=5,
                              body="הגיע בזמן, פתח את הסתימה תוך חצי שעה והשאיר הכל נקי."))
        # every business visits clients on weekdays, 08:00-16:00
        for pro in pros:
            if pro.business is not None:
                with unit_of_work(pro.caller) as session:
                    visits.set_availability(
                        session=session, caller=pro.caller, professional_id=pro.business.id,
                        visit_minutes=60, capacity=1, exceptions=[],
                        weekly={day: [(time(8), time(16))] for day in (6, 0, 1, 2, 3)})
        # disputed
        lead = _request(consumer, "צביעת חדר ילדים", "renovation", "Beersheba", "1800",
                        "חדר של 12 מ\"ר, צבע אקרילי בהיר, כולל תיקוני שפכטל.")
        _deal(consumer, builder, lead, "1700", paid=True, done=True)
        with unit_of_work(consumer.caller) as session:
            disputes.open_dispute(session=session, caller=consumer.caller, lead_id=lead.id,
                                  reason="הצבע נמרח על המשקופים והחדר לא נוקה בסוף העבודה.")
        # cancelled by its owner
        lead = _request(consumer, "תיקון דוד שמש", "plumbing", "Tel Aviv", "800",
                        "הדוד לא מחמם מים, כנראה בעיה בגוף החימום.")
        with unit_of_work(consumer.caller) as session:
            leads.cancel_lead(session=session, caller=consumer.caller, lead_id=lead.id)
        # a professional's private lead, offered to a colleague
        with unit_of_work(builder.caller) as session:
            referral_lead = leads.create_lead(
                session=session, caller=builder.caller, data=LeadCreate(
                    type=LeadType.professional_referral, title=f"שיפוץ מטבח {MARKER}",
                    description="לקוח ותיק מבקש חשמלאי להחלפת לוח חשמל לפני שיפוץ המטבח.",
                    category="electrical", locality_id=_city("Haifa"), budget=Decimal("3500"),
                    referrer_share_percentage=Decimal("15"), client_name="משה ישראלי",
                    client_phone="052-765-4321", visibility=LeadVisibility.private,
                    professional_id=builder.business.id if builder.business else None))
            referrals.share_lead(session=session, caller=builder.caller,
                                 lead_id=referral_lead.id,
                                 data=ReferralCreate(receiver_professional_id=electrician
                                                     .business.id if electrician.business
                                                     else uuid.uuid4(),
                                                     message="לקוח מצוין, כדאי לחזור אליו."))
    codes = ";".join(f"{p.phone}=123456" for p in (admin, consumer, *pros))
    lines = ["Demo data " + ("made." if made else "was already there; nothing new made."),
             "",
             "Sign in at /login with a phone below. The code is printed in the app's log, or",
             f'start the app with fixed codes: OFAIR_TEST_OTPS="{codes}" (code 123456).',
             "",
             f"  admin     {admin.phone}  {admin.name}  (/admin)",
             f"  consumer  {consumer.phone}  {consumer.name}  (/my/requests)"]
    lines += [f"  pro       {p.phone}  {p.name}, {p.business.business_name if p.business else ''}"
              "  (/pro)" for p in pros]
    return lines
