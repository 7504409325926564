"""Plain factory functions for test data. Users are written as the system caller, as the trusted
login step does; businesses are opened through the service, as their owner."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from ofair_app import policies, reference
from ofair_app.db.engine import SYSTEM, Caller, unit_of_work
from ofair_app.domain.consent import Acceptance, ConsentKind
from ofair_app.domain.identity import is_valid_business_id
from ofair_app.domain.leads import LeadType, LeadVisibility
from ofair_app.models import Lead, LeadCreate, Professional, User, UserRole
from ofair_app.models.tenancy import ProfessionalCreate
from ofair_app.services import auth, invitations, leads, professionals

_phones = itertools.count(1)
_business_ids = itertools.count(10_000_000)

# A real PDF, small enough to read in a test failure.
PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
             b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PNG_BYTES = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                          "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")


def signup_acceptance(marketing: bool | None = None) -> Acceptance:
    """What a new account acknowledges at its first login: the current documents."""
    current = policies.current_versions()
    return Acceptance(privacy_notice_version=current[ConsentKind.privacy_notice],
                      terms_version=current[ConsentKind.terms], marketing=marketing)


def signup_fields() -> dict[str, str]:
    """The same, as the fields of POST /auth/verify-otp."""
    current = policies.current_versions()
    return {"privacy_notice_version": current[ConsentKind.privacy_notice],
            "accept_terms_version": current[ConsentKind.terms]}


def next_phone() -> str:
    return f"+97250{next(_phones):07d}"


def next_business_id() -> str:
    """A fresh nine-digit business ID whose check digit is right."""
    while True:
        stem = f"{next(_business_ids):08d}"
        for check in range(10):
            candidate = stem + str(check)
            if is_valid_business_id(candidate):
                return candidate


def make_user(*, role: UserRole = UserRole.consumer, name: str = "דנה כהן",
              phone: str | None = None, email: str | None = None,
              is_active: bool = True) -> User:
    phone = phone or next_phone()
    with unit_of_work(SYSTEM) as session:
        user = User(phone=phone, email=email, name=name, role=role, is_active=is_active)
        session.add(user)
    return user


def caller_for(user: User) -> Caller:
    """The caller a token of this user resolves to, memberships included."""
    with unit_of_work(SYSTEM) as session:
        token, _ = auth.issue_token(session=session, user_id=user.id)
        caller = auth.resolve_token(session=session, token=token)
    assert caller is not None
    return caller


def token_for(user: User) -> str:
    with unit_of_work(SYSTEM) as session:
        token, _ = auth.issue_token(session=session, user_id=user.id)
    return token


def city(name_en: str) -> int:
    return next(loc.id for loc in reference.localities() if loc.name_en.startswith(name_en))


def make_professional(owner: User | None = None, *, business_name: str = "אינסטלציה כהן",
                      category: str | None = None, subcategories: list[str] | None = None,
                      locality_id: int | None = None, service_radius_km: int = 20,
                      about: str = "", specialties: list[str] | None = None,
                      ) -> tuple[Professional, User]:
    owner = owner or make_user(name="יוסי לוי")
    first = reference.categories()[0]
    data = ProfessionalCreate(
        business_name=business_name, business_id=next_business_id(),
        category=category or first.slug,
        subcategories=subcategories if subcategories is not None else (
            [] if category else [first.subcategories[0].slug]),
        locality_id=locality_id or city("Haifa"), service_radius_km=service_radius_km,
        about=about, specialties=specialties or [])
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        professional = professionals.create_professional(session=session, caller=caller,
                                                         data=data)
    return professional, owner


def invite(professional: Professional, owner: User, *, phone: str | None = None,
           email: str | None = None) -> invitations.InvitationView:
    """`owner` invites a phone (or an e-mail address) to the team."""
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        return invitations.invite_member(session=session, caller=caller,
                                         professional_id=professional.id, phone=phone,
                                         email=email)


def add_member(professional: Professional, owner: User, member: User) -> None:
    """`owner` invites `member` by phone and `member` accepts: they join as staff."""
    invitation = invite(professional, owner, phone=member.phone)
    caller = caller_for(member)
    with unit_of_work(caller) as session:
        invitations.accept_invitation(session=session, caller=caller,
                                      invitation_id=invitation.id)


def consumer_lead_data(**overrides) -> LeadCreate:
    """A consumer's request in Haifa, in the first category, with a budget."""
    first = reference.categories()[0]
    values = dict(type=LeadType.consumer, title="תיקון נזילה במטבח",
                  description="הברז במטבח מטפטף כבר שבוע ויש רטיבות בארון שמתחת לכיור.",
                  category=first.slug, subcategory=first.subcategories[0].slug,
                  locality_id=city("Haifa"), budget=Decimal("450"),
                  client_name="רונית לקוחה", client_address="הרצל 12, חיפה")
    values.update(overrides)
    return LeadCreate(**values)


def pro_lead_data(professional: Professional, **overrides) -> LeadCreate:
    """A professional's lead for a colleague: a client in Haifa, 20% to the referrer."""
    first = reference.categories()[0]
    values = dict(type=LeadType.professional_referral, title="החלפת דוד שמש",
                  description="לקוח ותיק צריך החלפת דוד שמש בבניין של ארבע קומות.",
                  category=first.slug, locality_id=city("Haifa"), budget=Decimal("3000"),
                  client_name="משה הלקוח", client_phone="052-765-4321",
                  client_address="הנביאים 5, חיפה", professional_id=professional.id,
                  referrer_share_percentage=Decimal("20"), visibility=LeadVisibility.public)
    values.update(overrides)
    return LeadCreate(**values)


def make_lead(owner: User, data: LeadCreate | None = None) -> Lead:
    """Post a lead as `owner` (a consumer request unless `data` says otherwise)."""
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        return leads.create_lead(session=session, caller=caller,
                                 data=data or consumer_lead_data())


def make_paid_job(consumer: User, performer: User, price: str, *, title: str = "תיקון נזילה",
                  done: bool = False, released_at: datetime | None = None) -> Lead:
    """A consumer's job that `performer`'s business won at `price` and the consumer paid
    through the sandbox (the money is held); `done`: the performer marked it done and the
    consumer confirmed; `released_at`: and the hold was released by the job at that time."""
    from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
    from ofair_app.services import payments

    lead, proposal = _won(consumer, performer, price, consumer_lead_data(title=title))
    pro, client = caller_for(performer), caller_for(consumer)
    payment = payments.initiate(caller=client, proposal_id=proposal.id)
    paid = SandboxProvider().pay(payment.psp_reference or "", SUCCESS_CARD)
    assert payments.handle_webhook(paid.payload, paid.signature).outcome == "applied"
    if done or released_at is not None:
        with unit_of_work(pro) as session:
            payments.complete(session=session, caller=pro, lead_id=lead.id)
        with unit_of_work(client) as session:
            payments.confirm_completion(session=session, caller=client, lead_id=lead.id)
    if released_at is not None:
        with unit_of_work(SYSTEM) as session:
            assert payments.release_due(session=session, now=released_at) >= 1
    return lead


def pay_out(owner: User, admin: User, amount: str) -> None:
    """`owner`'s business asks for `amount`; `admin` approves it, exports the file and marks
    it paid (the bank sent it)."""
    from ofair_app.services import payouts

    caller, back_office = caller_for(owner), caller_for(admin)
    with unit_of_work(caller) as session:
        payouts.request_withdrawal(session=session, caller=caller,
                                   professional_id=caller.professional_ids[0],
                                   amount=Decimal(amount), bank_code="12", branch="608",
                                   account="123456", account_holder=owner.name or "בעל העסק")
    with unit_of_work(back_office) as session:
        for withdrawal in payouts.withdrawals(session=session, caller=back_office):
            if withdrawal.status == "requested":
                payouts.decide(session=session, caller=back_office,
                               withdrawal_id=withdrawal.id, approve=True)
        batch, _ = payouts.export_batch(session=session, caller=back_office)
        payouts.mark_batch_paid(session=session, caller=back_office, batch_id=batch.id)


@contextmanager
def settlement_mode(mode: str) -> Iterator[None]:
    """SETTLEMENT_MODE=`mode` in this process for the block (services read it per call)."""
    from ofair_app.settings import get_settings

    before = os.environ.get("SETTLEMENT_MODE")
    os.environ["SETTLEMENT_MODE"] = mode
    get_settings.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SETTLEMENT_MODE", None)
        else:
            os.environ["SETTLEMENT_MODE"] = before
        get_settings.cache_clear()


def _won(owner: User, performer: User, price: str, data: LeadCreate | None = None):
    """(the lead, the accepted proposal): `performer`'s business won `owner`'s lead."""
    from ofair_app.models import ProposalCreate
    from ofair_app.services import proposals

    lead = make_lead(owner, data)
    pro, client = caller_for(performer), caller_for(owner)
    with unit_of_work(pro) as session:
        proposal = proposals.create_proposal(
            session=session, caller=pro, lead_id=lead.id,
            data=ProposalCreate(price=Decimal(price), description="אגיע מחר עם כל החלקים."))
    with unit_of_work(client) as session:
        proposals.accept_proposal(session=session, caller=client, proposal_id=proposal.id)
    return lead, proposal


def make_won_job(owner: User, performer: User, price: str, data: LeadCreate | None = None
                 ) -> Lead:
    """`performer`'s business won `owner`'s lead at `price` (awarded, not started)."""
    return _won(owner, performer, price, data)[0]


def make_b2b_job(owner: User, performer: User, price: str, data: LeadCreate | None = None
                 ) -> Lead:
    """A job won, started, done and confirmed in b2b mode: closed, what it owes recorded."""
    from ofair_app.services import payments, settlement

    with settlement_mode("b2b"):
        lead = make_won_job(owner, performer, price, data)
        pro, client = caller_for(performer), caller_for(owner)
        with unit_of_work(pro) as session:
            settlement.start_work(session=session, caller=pro, lead_id=lead.id)
        with unit_of_work(pro) as session:
            payments.complete(session=session, caller=pro, lead_id=lead.id)
        with unit_of_work(client) as session:
            return payments.confirm_completion(session=session, caller=client,
                                               lead_id=lead.id)


def seed_statement(consumer: User, performer: User, referrer: User,
                   referrer_business: Professional) -> None:
    """Last month settled in b2b mode: `performer` closed a consumer's job and `referrer`'s
    lead (20 %); both have a statement, `performer` an issued tax invoice."""
    from sqlalchemy import text

    from ofair_app.domain import settlement as rules
    from ofair_app.models._base import utcnow
    from ofair_app.services import settlement

    jobs = [make_b2b_job(consumer, performer, "1200"),
            make_b2b_job(referrer, performer, "2500", pro_lead_data(referrer_business))]
    now = utcnow()
    last_month = rules.previous_month(now)
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE b2b_charges SET month = :month"
                             " WHERE lead_id = ANY(CAST(:ids AS uuid[]))"),
                        {"month": last_month, "ids": [job.id for job in jobs]})
        settlement.settle_month(session=session, month=last_month, as_of=now)


def save_card(owner: User, business: Professional, card: str = "4242424242424242") -> None:
    """`owner` saves `card` for the business through the sandbox's card-saving page (the
    first card saved becomes the default)."""
    from ofair_app.adapters.psp.sandbox import SandboxProvider
    from ofair_app.services import payment_methods

    caller = caller_for(owner)
    page = payment_methods.start_saving(caller=caller, professional_id=business.id)
    assert SandboxProvider().pay(page.rsplit("/", 1)[1], card).outcome == "saved"
    assert payment_methods.finish_saving(caller=caller, professional_id=business.id) == 1
