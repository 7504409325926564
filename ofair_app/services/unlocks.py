"""Unlocking a direct-contact lead's client, and fair refunds (domain/unlocks.py).

An owner of a business unlocks a lead the consumer opened to direct contact, paying with the
business's default saved card or from its available balance. The place is taken under the
lead's lock (as the platform): `leads.unlock_count` counts the unlocks started, paid or
refunded, so two businesses taking the last place give exactly one. A card is charged as the
plan's renewals are (services/subscriptions.py): the row is written `started` first, the
provider called with `unlock:<lead>:<business>:<attempt>`, and a charge whose answer was lost
is sent again under the same key, by the same business's retry or by `reconcile_payments`:
unlocking twice never charges twice. A declined card frees the place.

Every unlock and every refund is a ledger transaction with its tax document (a tax
invoice/receipt, and a credit note for the refund). Entitlement is the succeeded unlock itself:
`app_sees_client()` opens the client's details to the business's members while it stands.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ofair_app.adapters.psp import CardDeclined, ProviderError, get_provider
from ofair_app.db.engine import SYSTEM, Caller, trusted_step, unit_of_work
from ofair_app.domain import tax
from ofair_app.domain import unlocks as rules
from ofair_app.domain.errors import InvalidInput, NotFound
from ofair_app.domain.leads import LeadStatus, LeadType
from ofair_app.domain.ledger import Leg, Purpose, TxKind
from ofair_app.i18n import money, translate
from ofair_app.models import (
    AccessEvent,
    AccessReason,
    ClaimDecision,
    ClaimStatus,
    ClientAnswer,
    ConsumerLead,
    ContactAccessLog,
    Lead,
    LeadUnlock,
    PaymentMethod,
    PayWith,
    ProfessionalLead,
    RefundClaimCreate,
    RefundReason,
    TaxDocument,
    UnlockCreate,
    UnlockRefundClaim,
    UnlockStatus,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import (
    audit,
    ledger,
    notifications,
    payment_methods,
    payouts,
    tax_documents,
    users,
)
from ofair_app.services.autopay import NoCard
from ofair_app.services.professionals import acting_business, require_member
from ofair_app.settings import get_settings

# A card charge still unanswered this long after it began is sent again by the job.
RESUME_AFTER = timedelta(minutes=10)


# --- what the board shows --------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A direct-contact lead's unlock as a business sees it on the board."""

    price: tax.Totals  # before VAT, the VAT of the day and the total paid
    places_left: int
    most: int


def offer(category_slug: str, taken: int, *, now: datetime | None = None) -> Offer:
    settings = get_settings()
    before_vat = rules.price_before_vat(category_slug, settings.unlock_prices,
                                        settings.unlock_price)
    return Offer(price=tax.totals(before_vat, tax.israel_date(now or utcnow())),
                 places_left=rules.places_left(taken, settings.unlock_max_per_lead),
                 most=settings.unlock_max_per_lead)


# --- unlocking -------------------------------------------------------------------------------


def _locked_lead(session: Session, lead_id: uuid.UUID) -> Lead:
    lead = session.exec(select(Lead).where(Lead.id == lead_id).with_for_update()).first()
    if lead is None:
        raise NotFound("errors.lead.not_found")
    return lead


def still_open(lead: Lead) -> bool:
    """Whether the lead still takes unlocks: open, shown on the board, not yet awarded (the
    places left are counted apart, under its lock)."""
    return (lead.status == LeadStatus.active and lead.hidden_at is None
            and lead.performer_professional_id is None)


def _open_to_unlocks(lead: Lead, caller: Caller, professional_id: uuid.UUID) -> None:
    if not lead.direct_contact or lead.type != LeadType.consumer:
        raise rules.NotDirectContact()
    if lead.owner_user_id == caller.user_id or lead.owner_professional_id == professional_id:
        raise rules.OwnLead()
    if not still_open(lead):
        raise rules.UnlockClosed()


def unlock(*, caller: Caller, lead_id: uuid.UUID, data: UnlockCreate,
           now: datetime | None = None) -> LeadUnlock:
    """An owner of a business unlocks a direct-contact lead's client. Idempotent: a business
    that has unlocked it gets its unlock again, nothing charged. 409 when the lead is not
    direct-contact, is the caller's own, is no longer open, has no place left, or (card) the
    business has no saved card or (balance) not enough available; 402 when the card is
    declined (the place is freed); 503 when the provider did not answer (the same charge is
    sent again on the next try, never twice)."""
    now = now or utcnow()
    method = data.pay_with
    with unit_of_work(caller) as session:
        business = acting_business(session=session, caller=caller,
                                   professional_id=data.professional_id, owner=True)
        professional_id = business.id
        # The lead as the caller may see it (a private lead of another is simply not found).
        if session.exec(select(Lead.id).where(Lead.id == lead_id)).first() is None:
            raise NotFound("errors.lead.not_found")
    assert professional_id is not None
    with unit_of_work(SYSTEM) as session:
        lead = _locked_lead(session, lead_id)
        row = session.exec(select(LeadUnlock).where(
            LeadUnlock.lead_id == lead_id, LeadUnlock.professional_id == professional_id)
            .with_for_update()).first()
        if row is not None and row.status == UnlockStatus.succeeded:
            session.expunge(row)
            return row
        if row is not None and row.status == UnlockStatus.refunded:
            raise rules.UnlockClosed()
        _open_to_unlocks(lead, caller, professional_id)
        if row is None or row.status == UnlockStatus.declined:
            if lead.unlock_count >= get_settings().unlock_max_per_lead:
                raise rules.NoPlacesLeft()
            row = _start(session, lead, row, professional_id, caller, method, now)
        if row.pay_with == PayWith.balance:
            _pay_from_balance(session, lead, row, now)
            session.expunge(row)
            return row
        card_row = (session.get(PaymentMethod, row.payment_method_id)
                    if row.payment_method_id else None)
        if card_row is None or card_row.token is None:
            raise NoCard()
        card = payment_methods.saved_card(card_row)
        unlock_id, attempt, amount, provider = row.id, row.attempt, row.amount, row.provider
    assert provider is not None
    charged = payment_methods.charge_once(
        provider, card, amount, rules.charge_key(lead_id, professional_id, attempt))
    outcome = _finish_card(unlock_id, charged.outcome, charged.reference, charged.reason, now)
    if outcome == "declined":
        raise CardDeclined()
    if outcome == "unanswered":
        raise ProviderError()
    with unit_of_work(SYSTEM) as session:
        done = session.get(LeadUnlock, unlock_id)
        assert done is not None
        session.expunge(done)
    return done


def _start(session: Session, lead: Lead, row: LeadUnlock | None, professional_id: uuid.UUID,
           caller: Caller, method: PayWith, now: datetime) -> LeadUnlock:
    """Take a place and write the unlock `started` (a declined one is tried again as a new
    attempt, under a new key)."""
    price = offer(lead.category_slug, lead.unlock_count, now=now).price
    card = None
    if method == PayWith.card:
        card = payment_methods.default_card(session, professional_id)
        if card is None:
            raise NoCard()
    if row is None:
        row = LeadUnlock(lead_id=lead.id, professional_id=professional_id, pay_with=method,
                         price=price.before_vat, vat=price.vat, amount=price.total)
    else:
        row.attempt += 1
        row.status, row.reason, row.pay_with = UnlockStatus.started, "", method
        row.price, row.vat, row.amount = price.before_vat, price.vat, price.total
    row.unlocked_by = caller.user_id
    row.payment_method_id = card.id if card else None
    # a card is charged where it was saved: its token means nothing elsewhere
    row.provider = card.provider if card else None
    session.add(row)
    lead.unlock_count += 1
    session.add(lead)
    session.flush()
    return row


def _pay_from_balance(session: Session, lead: Lead, row: LeadUnlock, now: datetime) -> None:
    payouts.lock_wallet(session, row.professional_id)
    available = payouts.available_balance(session, row.professional_id)
    if row.amount > available:
        raise payouts.InsufficientFunds(params={"available": str(available)})
    ledger.record(session, kind=TxKind.unlock, idempotency_key=_ledger_key(row),
                  legs=[Leg(Purpose.pro_available, row.amount, row.professional_id),
                        Leg(Purpose.platform_revenue, -row.price),
                        Leg(Purpose.vat_payable, -row.vat)])
    _unlocked(session, lead, row, now, paid_with="מקיזוז מהיתרה הזמינה ב-OFAIR")


def _ledger_key(row: LeadUnlock) -> str:
    return f"unlock:{row.id}:{row.attempt}"


def _finish_card(unlock_id: uuid.UUID, outcome: str, reference: str | None, reason: str,
                 now: datetime) -> str:
    """Record the provider's answer to an unlock's card charge (once: a second answer of
    the same charge finds it done)."""
    with unit_of_work(SYSTEM) as session:
        row = session.exec(select(LeadUnlock).where(LeadUnlock.id == unlock_id)
                           .with_for_update()).one()
        if row.status != UnlockStatus.started:
            return "paid" if row.status == UnlockStatus.succeeded else str(row.status)
        if outcome == "unanswered":
            return outcome
        lead = _locked_lead(session, row.lead_id)
        if outcome == "declined":
            row.status, row.reason = UnlockStatus.declined, reason[:200]
            lead.unlock_count = max(0, lead.unlock_count - 1)
            session.add_all([row, lead])
            return outcome
        row.provider_reference = reference
        ledger.record(session, kind=TxKind.unlock, idempotency_key=_ledger_key(row),
                      legs=[Leg(Purpose.clearing, row.amount),
                            Leg(Purpose.platform_revenue, -row.price),
                            Leg(Purpose.vat_payable, -row.vat)])
        card = (session.get(PaymentMethod, row.payment_method_id)
                if row.payment_method_id else None)
        _unlocked(session, lead, row, now, paid_with=tax_documents.card_payment(
            card, reference, tax.israel_date(now)))
    return "paid"


def _unlocked(session: Session, lead: Lead, row: LeadUnlock, now: datetime, *,
              paid_with: str) -> None:
    """The unlock is paid: the business sees the client from now on, the payment gets its
    tax invoice/receipt, the grant is logged and the consumer hears who it was."""
    row.status, row.unlocked_at = UnlockStatus.succeeded, now
    document = tax_documents.sale_receipt(
        session, professional_id=row.professional_id, kind="unlock",
        description=f"חשיפת פרטי לקוח לפנייה: {lead.title[:80]}", price=row.price,
        vat=row.vat, total=row.amount, paid_with=paid_with, now=now)
    row.tax_document_id = document.id
    session.add(row)
    if row.unlocked_by is not None:
        session.add(ContactAccessLog(lead_id=lead.id, user_id=row.unlocked_by,
                                     professional_id=row.professional_id,
                                     reason=AccessReason.unlock, event=AccessEvent.granted))
    session.flush()
    logs.action("unlock", row.id, "lead unlocked", lead=lead.id,
                professional=row.professional_id, pay_with=str(row.pay_with), amount=row.amount)
    name = _business_names(session, [row.professional_id]).get(row.professional_id, "")
    notifications.tell(
        session=session, caller=SYSTEM, template="lead_unlocked", users=[lead.owner_user_id],
        params={"business": name, "title": notifications.quoted_title(lead.title),
                "url": _url(f"/my/requests/{lead.id}")})


def resume_unanswered(*, now: datetime, limit: int = 200) -> dict[str, int]:
    """Card charges of unlocks whose answer was lost: sent again under the same key (the
    `reconcile_payments` job). Each ends paid, declined (its place freed) or still waiting."""
    with unit_of_work(SYSTEM) as session:
        rows = session.exec(select(LeadUnlock.id).where(
            LeadUnlock.status == UnlockStatus.started, LeadUnlock.pay_with == PayWith.card,
            col(LeadUnlock.created_at) < now - RESUME_AFTER).limit(limit)).all()
    counts: dict[str, int] = {}
    for unlock_id in rows:
        with unit_of_work(SYSTEM) as session:
            row = session.get(LeadUnlock, unlock_id)
            method = (session.get(PaymentMethod, row.payment_method_id)
                      if row is not None and row.payment_method_id else None)
            if row is None or row.status != UnlockStatus.started:
                continue
            key = rules.charge_key(row.lead_id, row.professional_id, row.attempt)
            amount, provider = row.amount, row.provider or ""
            card = payment_methods.saved_card(method) if method and method.token else None
        if card is None:
            outcome = _finish_card(unlock_id, "declined", None, "the card was removed", now)
        else:
            charged = payment_methods.charge_once(provider, card, amount, key)
            outcome = _finish_card(unlock_id, charged.outcome, charged.reference,
                                   charged.reason, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- who may see the client --------------------------------------------------------------------


def unlocked_by_caller(session: Session, caller: Caller, lead_id: uuid.UUID) -> uuid.UUID | None:
    """The caller's business whose unlock of the lead stands, if any (read under the caller's
    own row-level security: a business sees only its own unlocks)."""
    if not caller.professional_ids:
        return None
    return session.exec(select(LeadUnlock.professional_id).where(
        LeadUnlock.lead_id == lead_id, LeadUnlock.status == UnlockStatus.succeeded,
        col(LeadUnlock.professional_id).in_(caller.professional_ids))).first()


@dataclass(frozen=True)
class UnlockView:
    """An unlock as its business (or the lead's owner, or an admin) sees it."""

    id: uuid.UUID
    lead_id: uuid.UUID
    lead_title: str
    professional_id: uuid.UUID
    business_name: str
    pay_with: str
    status: str
    amount: Decimal
    unlocked_at: datetime | None
    refunded_at: datetime | None
    claim_until: datetime | None  # a refund may be claimed until then (None: no more)
    claim: UnlockRefundClaim | None
    tax_document_id: uuid.UUID | None
    refund_document_id: uuid.UUID | None


def _views(session: Session, rows: list[LeadUnlock], now: datetime,
           claims: bool) -> list[UnlockView]:
    titles = dict(session.exec(select(Lead.id, Lead.title).where(
        col(Lead.id).in_([r.lead_id for r in rows]))).all()) if rows else {}
    names = _business_names(session, [r.professional_id for r in rows])
    found = {c.unlock_id: c for c in session.exec(select(UnlockRefundClaim).where(
        col(UnlockRefundClaim.unlock_id).in_([r.id for r in rows])))} if rows and claims else {}
    days = get_settings().unlock_refund_days
    views = []
    for row in rows:
        claim = found.get(row.id)
        deadline = (rules.claim_deadline(row.unlocked_at, days)
                    if row.unlocked_at is not None else None)
        may_claim = (claims and claim is None and row.status == UnlockStatus.succeeded
                     and deadline is not None and deadline > now)
        views.append(UnlockView(
            id=row.id, lead_id=row.lead_id, lead_title=titles.get(row.lead_id, ""),
            professional_id=row.professional_id,
            business_name=names.get(row.professional_id, ""), pay_with=str(row.pay_with),
            status=str(row.status), amount=row.amount, unlocked_at=row.unlocked_at,
            refunded_at=row.refunded_at, claim_until=deadline if may_claim else None,
            claim=claim, tax_document_id=row.tax_document_id,
            refund_document_id=row.refund_document_id))
    return views


def for_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID,
             now: datetime | None = None) -> list[UnlockView]:
    """A lead's unlocks: for its owner, the businesses that unlocked it (paid or refunded);
    for a business, its own; for an admin, all."""
    users.require_user(caller)
    now = now or utcnow()
    lead = session.exec(select(Lead).where(Lead.id == lead_id)).first()
    if lead is None:
        raise NotFound("errors.lead.not_found")
    rows = list(session.exec(select(LeadUnlock).where(
        LeadUnlock.lead_id == lead_id,
        col(LeadUnlock.status).in_([UnlockStatus.succeeded, UnlockStatus.refunded]))
        .order_by(col(LeadUnlock.unlocked_at))).all())
    owner = lead.owner_user_id == caller.user_id or (
        lead.owner_professional_id in caller.professional_ids)
    with trusted_step(session, caller):
        return _views(session, rows, now, claims=not owner)


def for_business(*, session: Session, caller: Caller, professional_id: uuid.UUID | None = None,
                 limit: int = 100, now: datetime | None = None) -> list[UnlockView]:
    """The unlocks a business paid for, newest first, each with its refund claim, for its
    members and admins."""
    business = acting_business(session=session, caller=caller, professional_id=professional_id)
    rows = list(session.exec(select(LeadUnlock).where(
        LeadUnlock.professional_id == business.id,
        col(LeadUnlock.status).in_([UnlockStatus.succeeded, UnlockStatus.refunded]))
        .order_by(col(LeadUnlock.unlocked_at).desc()).limit(max(1, min(limit, 200)))).all())
    with trusted_step(session, caller):
        return _views(session, rows, now or utcnow(), claims=True)


# --- refund claims ---------------------------------------------------------------------------


def _client_phone(session: Session, lead_id: uuid.UUID) -> str:
    consumer = session.get(ConsumerLead, lead_id)
    if consumer is not None:
        return consumer.client_phone
    professional = session.get(ProfessionalLead, lead_id)
    return professional.client_phone if professional is not None else ""


_HAD_BEFORE = sa.text("""
    SELECT EXISTS (
        SELECT 1 FROM leads l
          JOIN consumer_leads c ON c.lead_id = l.id
         WHERE c.client_phone = :phone AND l.id <> :lead AND l.created_at >= :since
           AND l.created_at <= :before
           AND (l.owner_professional_id = :business OR l.performer_professional_id = :business
                OR EXISTS (SELECT 1 FROM lead_unlocks u WHERE u.lead_id = l.id
                           AND u.professional_id = :business
                           AND u.status IN ('succeeded', 'refunded')))
        UNION ALL
        SELECT 1 FROM leads l
          JOIN professional_leads p ON p.lead_id = l.id
         WHERE p.client_phone = :phone AND l.id <> :lead AND l.created_at >= :since
           AND l.created_at <= :before
           AND (l.owner_professional_id = :business OR l.performer_professional_id = :business))
""")


def had_before(session: Session, row: LeadUnlock, phone: str) -> bool:
    """Whether the business already had this client (read as the platform): a lead of the same
    phone it owned, performed or unlocked in the 90 days before this unlock."""
    at = row.unlocked_at or utcnow()
    return bool(session.execute(_HAD_BEFORE, {
        "phone": phone, "lead": row.lead_id, "business": row.professional_id,
        "since": at - rules.DUPLICATE_WINDOW, "before": at}).scalar())


_UNDELIVERABLE = sa.text("""
    SELECT EXISTS (SELECT 1 FROM outbox_messages WHERE to_address = :phone
                   AND channel IN ('sms', 'whatsapp') AND status = 'failed'
                   AND created_at >= :since)
""")


def in_service(session: Session, phone: str, now: datetime) -> bool:
    """Whether the client's number passes validation (read as the platform): the numbering
    plan has it, and no SMS of ours to it failed for good lately (the provider refused it)."""
    if not phone or not rules.number_in_service(phone):
        return False
    return not session.execute(_UNDELIVERABLE, {
        "phone": phone, "since": now - rules.UNDELIVERABLE_WINDOW}).scalar()


def _token_hash(token: str) -> str:
    return hashlib.sha256(("ofair.unlock.check\n" + token).encode()).hexdigest()


def claim_refund(*, caller: Caller, unlock_id: uuid.UUID, data: RefundClaimCreate,
                 now: datetime | None = None) -> UnlockRefundClaim:
    """A member of the business claims its money back for a bad contact, within
    UNLOCK_REFUND_DAYS of the unlock. Refunded at once when the platform can tell: the number
    fails validation ("not in service"), the business already had the client ("duplicate");
    for "never asked", the client is sent a link to confirm it; otherwise an admin decides.
    409 when a claim was made, the window closed or the unlock is not a paid one."""
    now = now or utcnow()
    why, text = data.reason, data.note.strip()
    with unit_of_work(caller) as session:
        users.require_user(caller)
        row = session.exec(select(LeadUnlock).where(LeadUnlock.id == unlock_id)).first()
        if row is None or row.professional_id not in caller.professional_ids:
            raise NotFound("errors.unlock.not_found")
        require_member(session=session, caller=caller, professional_id=row.professional_id)
    token = None
    with unit_of_work(SYSTEM) as session:
        row = session.exec(select(LeadUnlock).where(LeadUnlock.id == unlock_id)
                           .with_for_update()).one()
        if row.status != UnlockStatus.succeeded or row.unlocked_at is None:
            raise rules.NotRefundable()
        if session.exec(select(UnlockRefundClaim.id).where(
                UnlockRefundClaim.unlock_id == row.id)).first() is not None:
            raise rules.AlreadyClaimed()
        if rules.claim_deadline(row.unlocked_at, get_settings().unlock_refund_days) <= now:
            raise rules.ClaimWindowClosed()
        phone = _client_phone(session, row.lead_id)
        claim = UnlockRefundClaim(unlock_id=row.id, lead_id=row.lead_id,
                                  professional_id=row.professional_id,
                                  claimed_by=caller.user_id, reason=why, note=text)
        automatic = None
        if why == RefundReason.not_in_service and not in_service(session, phone, now):
            automatic = "number_invalid"
        elif why == RefundReason.duplicate and had_before(session, row, phone):
            automatic = "duplicate"
        elif why == RefundReason.never_asked and phone:
            token = secrets.token_urlsafe(24)
            claim.client_token_hash = _token_hash(token)
        session.add(claim)
        try:
            session.flush()
        except IntegrityError:
            raise rules.AlreadyClaimed() from None
        logs.action("unlock_claim", claim.id, "unlock refund claimed", reason=str(why),
                    unlock=row.id, professional=row.professional_id)
        if token is not None:
            _ask_client(session, claim, phone, token)
        if automatic is not None:
            _approve(session, claim, how=automatic, by=None, note="", now=now)
        claim_id = claim.id
    _refund_if_approved(claim_id, now)
    return _claim_now(claim_id)


def _ask_client(session: Session, claim: UnlockRefundClaim, phone: str, token: str) -> None:
    """Text the client a link to say whether they asked for the job (in Hebrew, the
    language of the request form; the page itself offers English)."""
    lead = session.get(Lead, claim.lead_id)
    assert lead is not None
    name = _business_names(session, [claim.professional_id]).get(claim.professional_id, "")
    notifications.enqueue(session=session, channel="sms", to=phone,
                          template="unlock_check", locale="he", sensitive=True,
                          params={"business": name,
                                  "title": notifications.quoted_title(lead.title),
                                  "url": _url(f"/unlock-check/{token}")})


def _approve(session: Session, claim: UnlockRefundClaim, *, how: str, by: uuid.UUID | None,
             note: str, now: datetime) -> None:
    claim.status, claim.decided_how, claim.decided_by = ClaimStatus.approved, how, by
    claim.decision_note, claim.decided_at = note, now
    session.add(claim)
    session.flush()
    _decided(claim)


def _decided(claim: UnlockRefundClaim) -> None:
    logs.action("unlock_claim", claim.id, "unlock refund claim decided",
                approved=claim.status == ClaimStatus.approved, how=claim.decided_how,
                unlock=claim.unlock_id, professional=claim.professional_id)


def _refund_if_approved(claim_id: uuid.UUID, now: datetime) -> str:
    """Pay an approved claim back the way the unlock was paid: "refunded", "waiting" (the
    provider did not answer: the job tries again under the same key) or "not_approved"."""
    with unit_of_work(SYSTEM) as session:
        claim = session.exec(select(UnlockRefundClaim).where(
            UnlockRefundClaim.id == claim_id).with_for_update()).one()
        if claim.status != ClaimStatus.approved:
            return "not_approved"
        row = session.exec(select(LeadUnlock).where(LeadUnlock.id == claim.unlock_id)
                           .with_for_update()).one()
        if row.pay_with == PayWith.balance:
            _refunded(session, claim, row, None, now)
            return "refunded"
        provider, reference, amount = row.provider or "", row.provider_reference, row.amount
    try:
        result = get_provider(provider).refund(charge=reference or "", amount=amount,
                                               idempotency_key=rules.refund_key(row.id))
    except ProviderError:
        return "waiting"
    with unit_of_work(SYSTEM) as session:
        claim = session.exec(select(UnlockRefundClaim).where(
            UnlockRefundClaim.id == claim_id).with_for_update()).one()
        row = session.exec(select(LeadUnlock).where(LeadUnlock.id == claim.unlock_id)
                           .with_for_update()).one()
        if claim.status == ClaimStatus.approved:
            _refunded(session, claim, row, result.refund_id, now)
    return "refunded"


def _refunded(session: Session, claim: UnlockRefundClaim, row: LeadUnlock,
              reference: str | None, now: datetime) -> None:
    """The money is back: the ledger reverses the unlock, a credit note corrects its
    invoice, the business stops seeing the client and hears of it."""
    if row.pay_with == PayWith.balance:
        legs = [Leg(Purpose.pro_available, -row.amount, row.professional_id)]
    else:
        legs = [Leg(Purpose.clearing, -row.amount)]
    ledger.record(session, kind=TxKind.unlock_refund, idempotency_key=f"unlock-refund:{row.id}",
                  legs=[*legs, Leg(Purpose.platform_revenue, row.price),
                        Leg(Purpose.vat_payable, row.vat)])
    invoice = session.get(TaxDocument, row.tax_document_id) if row.tax_document_id else None
    if invoice is not None:
        credit = tax_documents.credit_in_full(
            session, invoice, now=now,
            description=f"זיכוי חשיפת פרטי לקוח (לחשבונית {invoice.number or 'בהמתנה'})")
        row.refund_document_id = credit.id
    row.status, row.refunded_at, row.refund_reference = UnlockStatus.refunded, now, reference
    claim.status = ClaimStatus.refunded
    session.add_all([row, claim])
    session.flush()
    logs.action("unlock", row.id, "unlock refunded", claim=claim.id, lead=row.lead_id,
                professional=row.professional_id, amount=row.amount)
    _tell_decision(session, claim, row, refunded=True)


def _tell_decision(session: Session, claim: UnlockRefundClaim, row: LeadUnlock, *,
                   refunded: bool) -> None:
    lead = session.get(Lead, row.lead_id)
    assert lead is not None

    def params(locale: str) -> dict[str, object]:
        outcome = (translate("notify.unlock_claim.refunded", locale,
                     amount=money(row.amount, locale)) if refunded
                   else translate("notify.unlock_claim.rejected", locale,
                          note=claim.decision_note or "-"))
        return {"title": notifications.quoted_title(lead.title), "outcome": outcome,
                "url": _url("/pro/unlocks")}

    notifications.tell(session=session, caller=SYSTEM, template="unlock_claim_decided",
                       businesses=[row.professional_id], params=params)


def retry_refunds(*, now: datetime, limit: int = 200) -> dict[str, int]:
    """Approved claims whose card refund got no answer: tried again under the same key (the
    `reconcile_payments` job)."""
    with unit_of_work(SYSTEM) as session:
        ids = session.exec(select(UnlockRefundClaim.id).where(
            UnlockRefundClaim.status == ClaimStatus.approved).limit(limit)).all()
    counts: dict[str, int] = {}
    for claim_id in ids:
        outcome = _refund_if_approved(claim_id, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- the client's answer ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClientCheck:
    """What the client's link shows: the job, who asked, and whether it was answered."""

    lead_title: str
    business_name: str
    answer: str | None  # never_asked | asked, once answered
    open: bool  # the claim still waits for an answer


def _claim_by_token(session: Session, token: str, now: datetime,
                    lock: bool = False) -> UnlockRefundClaim:
    query = select(UnlockRefundClaim).where(
        UnlockRefundClaim.client_token_hash == _token_hash(token or ""))
    claim = session.exec(query.with_for_update() if lock else query).first()
    if claim is None or claim.created_at is None or (
            claim.created_at + timedelta(days=rules.CLIENT_LINK_DAYS) <= now):
        raise NotFound("errors.unlock.link")
    return claim


def client_check(token: str, *, now: datetime | None = None) -> ClientCheck:
    """The client's link, read (anyone holding it)."""
    now = now or utcnow()
    with unit_of_work(SYSTEM) as session:
        claim = _claim_by_token(session, token, now)
        lead = session.get(Lead, claim.lead_id)
        name = _business_names(session, [claim.professional_id]).get(claim.professional_id, "")
        return ClientCheck(lead_title=lead.title if lead else "", business_name=name,
                           answer=claim.client_answer,
                           open=claim.status == ClaimStatus.open and claim.client_answer is None)


def client_answer(token: str, data: ClientAnswer, *,
                  now: datetime | None = None) -> ClientCheck:
    """The client answers through the link: "never_asked" refunds the business at once;
    "asked" leaves the claim to an admin, who sees the answer. Answered once."""
    now = now or utcnow()
    answer = data.answer
    with unit_of_work(SYSTEM) as session:
        claim = _claim_by_token(session, token, now, lock=True)
        if claim.client_answer is None and claim.status == ClaimStatus.open:
            claim.client_answer, claim.client_answered_at = answer, now
            session.add(claim)
            if answer == "never_asked":
                _approve(session, claim, how="client_confirmed", by=None, note="", now=now)
        claim_id = claim.id
    _refund_if_approved(claim_id, now)
    return client_check(token, now=now)


# --- an admin decides ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    """A claim as the admins' queue shows it."""

    claim: UnlockRefundClaim
    lead_title: str
    business_name: str
    amount: Decimal
    pay_with: str
    unlocked_at: datetime | None
    number_in_service: bool
    had_before: bool


def queue(*, session: Session, caller: Caller, status: str | None = "open",
          limit: int = 100) -> list[ClaimRow]:
    """Refund claims for the admins (open ones by default, oldest first), with what the
    platform's own checks found, to decide with."""
    users.require_admin(caller)
    query = select(UnlockRefundClaim, LeadUnlock).join(
        LeadUnlock, col(LeadUnlock.id) == UnlockRefundClaim.unlock_id)
    if status:
        try:
            query = query.where(UnlockRefundClaim.status == ClaimStatus(status))
        except ValueError:
            raise InvalidInput(fields={"status": "errors.field.invalid"}) from None
    rows = session.exec(query.order_by(col(UnlockRefundClaim.created_at))
                        .limit(max(1, min(limit, 200)))).all()
    titles = dict(session.exec(select(Lead.id, Lead.title).where(
        col(Lead.id).in_([c.lead_id for c, _ in rows]))).all()) if rows else {}
    names = _business_names(session, [c.professional_id for c, _ in rows])
    result = []
    for claim, row in rows:
        # The checks read the client's number and our own messages to it as the platform
        # (the number is not shown: nothing to log as a read of the client's details).
        with trusted_step(session, caller):
            phone = _client_phone(session, claim.lead_id)
            checks = (in_service(session, phone, utcnow()), had_before(session, row, phone))
        result.append(ClaimRow(
            claim=claim, lead_title=titles.get(claim.lead_id, ""),
            business_name=names.get(claim.professional_id, ""), amount=row.amount,
            pay_with=str(row.pay_with), unlocked_at=row.unlocked_at,
            number_in_service=checks[0], had_before=checks[1]))
    return result


def decide(*, caller: Caller, claim_id: uuid.UUID, data: ClaimDecision,
           now: datetime | None = None) -> UnlockRefundClaim:
    """An admin refunds a claim or rejects it; a rejection says why (the business reads it).
    409 when it was decided before (approving an approved claim again only retries its
    refund). Audited."""
    now = now or utcnow()
    users.require_admin(caller)
    note = data.note.strip()
    if not data.approve and not note:
        raise InvalidInput(fields={"note": "errors.unlock.reject_note"})
    with unit_of_work(SYSTEM) as session:
        claim = session.exec(select(UnlockRefundClaim).where(
            UnlockRefundClaim.id == claim_id).with_for_update()).first()
        if claim is None:
            raise NotFound("errors.unlock.claim_not_found")
        before = str(claim.status)
        if claim.status == ClaimStatus.approved and data.approve:
            pass  # its refund is tried again below
        elif claim.status != ClaimStatus.open:
            raise rules.AlreadyDecided()
        elif data.approve:
            _approve(session, claim, how="admin", by=caller.user_id, note=note, now=now)
        else:
            claim.status, claim.decided_how = ClaimStatus.rejected, "admin"
            claim.decided_by, claim.decision_note, claim.decided_at = caller.user_id, note, now
            session.add(claim)
            session.flush()
            _decided(claim)
            row = session.get(LeadUnlock, claim.unlock_id)
            assert row is not None
            _tell_decision(session, claim, row, refunded=False)
        audit.change(session=session, caller=caller, action="unlock.claim_decided",
                     subject_type="professional", subject_id=claim.professional_id,
                     before={"status": before}, after={"status": str(claim.status)},
                     claim_id=str(claim.id), note=note)
    _refund_if_approved(claim_id, now)
    return _claim_now(claim_id)


# --- helpers ----------------------------------------------------------------------------------


def _claim_now(claim_id: uuid.UUID) -> UnlockRefundClaim:
    """The claim as it stands after its decision and refund (read as the platform)."""
    with unit_of_work(SYSTEM) as session:
        claim = session.get(UnlockRefundClaim, claim_id)
        assert claim is not None
        session.expunge(claim)
    return claim


def _business_names(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return payouts.business_names(session, set(ids)) if ids else {}


def _url(path: str) -> str:
    return f"{get_settings().ofair_public_url.rstrip('/')}{path}"
