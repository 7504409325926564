"""Subscriptions: the pro plan, bought by a business's owner and renewed each period, or
granted by an admin as complimentary months (audited).

Billing state is the only source of entitlement (domain/subscriptions.py): a paid (or granted)
period covering the moment, or the grace period after a failed renewal. It is cached in
`professionals.subscribed_until`, refreshed in the transaction of every change, and every
benefit reads that: the board pins the business's leads, the split takes the subscriber's
discount when it is frozen, new-lead notices reach its members first, its page shows a badge.

Charging a period works as autopay does (services/autopay.py): each try is a
`subscription_charges` row, numbered per period, and the provider is called with the key
`subscription:<id>:<period start>:<attempt>`. A try whose answer was lost stays `started` and
is sent again under the same key; at most one try of a period succeeds (a unique index). A
renewal declined is tried again 1, 3 and 7 days after the period ended, the owners told each
time; the benefits go on through the 7-day grace, then the subscription lapses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ofair_app.adapters.psp import CardDeclined, ProviderError, SavedCard
from ofair_app.db.engine import SYSTEM, Caller, trusted_step, unit_of_work
from ofair_app.domain import commission, tax
from ofair_app.domain import subscriptions as rules
from ofair_app.domain.errors import InvalidInput, NotFound
from ofair_app.domain.leads import LeadType
from ofair_app.domain.ledger import Leg, Purpose, TxKind
from ofair_app.i18n import money
from ofair_app.models import (
    MemberRole,
    PaymentMethod,
    Professional,
    ProfessionalMember,
    Subscription,
    SubscriptionCharge,
    SubscriptionPlan,
    SubscriptionSource,
    SubscriptionStatus,
    TaxDocument,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import (
    audit,
    ledger,
    notifications,
    payment_methods,
    tax_documents,
    users,
)
from ofair_app.services.autopay import NoCard
from ofair_app.services.professionals import require_member
from ofair_app.settings import get_settings

MONTH = rules.PERIOD
MAX_MONTHS = 24


def is_subscribed(professional: Professional, now: datetime | None = None) -> bool:
    """Whether the business has the plan's benefits right now."""
    until = professional.subscribed_until
    return until is not None and until > (now or utcnow())


def _refresh_until(session: Session, professional: Professional) -> None:
    """Derive the business's entitlement from its subscriptions' billing state."""
    rows = session.exec(select(Subscription.status, Subscription.starts_at,
                               Subscription.ends_at).where(
        Subscription.professional_id == professional.id)).all()
    ends = [until for status, starts_at, ends_at in rows
            if (until := rules.entitled_until(status, starts_at, ends_at)) is not None]
    professional.subscribed_until = max(ends) if ends else None
    session.add(professional)


def _locked_business(session: Session, professional_id: uuid.UUID) -> Professional:
    professional = session.exec(select(Professional).where(
        Professional.id == professional_id).with_for_update()).first()
    if professional is None:
        raise NotFound("errors.professional.not_found")
    return professional


def _live_paid(session: Session, professional_id: uuid.UUID) -> Subscription | None:
    return session.exec(select(Subscription).where(
        Subscription.professional_id == professional_id,
        Subscription.source == SubscriptionSource.paid,
        col(Subscription.status).in_(rules.LIVE))).first()


# --- an admin's complimentary months --------------------------------------------------------


def grant(*, session: Session, caller: Caller, professional_id: uuid.UUID, months: int = 1,
          plan: SubscriptionPlan = SubscriptionPlan.pro_monthly, ip: str = "",
          now: datetime | None = None) -> Subscription:
    """An admin grants complimentary months, starting when the business's current entitlement
    ends (audited). A paid subscription's next renewal moves past them: the business pays
    for no month it was given."""
    users.require_admin(caller)
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(fields={"months": "errors.subscription.months"},
                           params={"max": MAX_MONTHS})
    professional = _locked_business(session, professional_id)
    now = now or utcnow()
    before = professional.subscribed_until
    starts = max(now, professional.subscribed_until or now)
    subscription = Subscription(professional_id=professional.id, plan=plan, starts_at=starts,
                                ends_at=starts + MONTH * months, granted_by=caller.user_id)
    session.add(subscription)
    paid = _live_paid(session, professional.id)
    if paid is not None and paid.status == SubscriptionStatus.active:
        paid.ends_at += MONTH * months
        if paid.next_charge_at is not None:
            paid.next_charge_at = paid.ends_at
        session.add(paid)
    session.flush()
    _refresh_until(session, professional)
    audit.change(session=session, caller=caller, action="subscription.grant",
                 subject_type="professional", subject_id=professional.id, ip=ip,
                 before={"subscribed_until": before},
                 after={"subscribed_until": professional.subscribed_until},
                 subscription_id=str(subscription.id), months=months, plan=str(plan))
    session.flush()
    return subscription


def cancel(*, session: Session, caller: Caller, subscription_id: uuid.UUID,
           ip: str = "") -> Subscription:
    """An admin ends a subscription at once (a grant, or a paid one: no more renewals); its
    benefits stop now."""
    users.require_admin(caller)
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFound("errors.subscription.not_found")
    if subscription.status == SubscriptionStatus.cancelled:
        return subscription
    professional = _locked_business(session, subscription.professional_id)
    before = professional.subscribed_until
    status_before = str(subscription.status)
    subscription.status = SubscriptionStatus.cancelled
    subscription.next_charge_at = None
    session.add(subscription)
    session.flush()
    _refresh_until(session, professional)
    audit.change(session=session, caller=caller, action="subscription.cancel",
                 subject_type="professional", subject_id=professional.id, ip=ip,
                 before={"subscribed_until": before, "status": status_before},
                 after={"subscribed_until": professional.subscribed_until,
                        "status": "cancelled"},
                 subscription_id=str(subscription.id))
    session.flush()
    return subscription


def list_for(*, session: Session, caller: Caller,
             professional_id: uuid.UUID) -> list[Subscription]:
    """A business's subscriptions, for its members and admins (RLS hides them from others)."""
    if caller.role != "admin":
        require_member(session=session, caller=caller, professional_id=professional_id)
    return list(session.exec(select(Subscription).where(
        Subscription.professional_id == professional_id)
        .order_by(col(Subscription.starts_at).desc())).all())


# --- what a business sees --------------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """A charge of a period as its business's owners see it."""

    id: int
    period_start: datetime
    period_end: datetime
    status: str
    amount: Decimal
    card: str  # "Visa 4242", or "" when no card was saved
    at: datetime | None
    tax_document_id: uuid.UUID | None


@dataclass(frozen=True)
class PlanState:
    """A business's plan: whether it has the benefits and until when, the paid subscription
    (if any) and what it is doing, and the price a new period would cost."""

    professional_id: uuid.UUID
    subscribed: bool
    entitled_until: datetime | None
    subscription: Subscription | None  # the paid one in force (active or past due)
    complimentary_until: datetime | None  # the last granted month, if still to come
    price: rules.Price
    grace_until: datetime | None  # past due: the benefits stop then unless a retry succeeds
    has_card: bool
    charges: tuple[Charge, ...]
    may_manage: bool  # an owner (or an admin) may buy, cancel and resume
    # The platform's rate on each kind of job: (free, subscribed), in percent.
    rates: dict[LeadType, tuple[Decimal, Decimal]]
    head_start_minutes: int  # how much sooner a subscriber hears of a new lead


def state(*, session: Session, caller: Caller, professional_id: uuid.UUID,
          now: datetime | None = None) -> PlanState:
    """The business's plan, for its members and admins (a member who is not an owner sees it
    but neither the charges nor the card)."""
    now = now or utcnow()
    professional = require_member(session=session, caller=caller,
                                  professional_id=professional_id)
    owner = caller.role == "admin" or _is_owner(session, caller, professional_id)
    with trusted_step(session, caller):
        paid = _live_paid(session, professional_id)
        granted = session.exec(select(sa.func.max(Subscription.ends_at)).where(
            Subscription.professional_id == professional_id,
            Subscription.source == SubscriptionSource.grant,
            Subscription.status == SubscriptionStatus.active,
            Subscription.ends_at > now)).one()
        has_card = payment_methods.default_card(session, professional_id) is not None
        rows = session.exec(
            select(SubscriptionCharge, PaymentMethod)
            .join(PaymentMethod, col(PaymentMethod.id) == SubscriptionCharge.payment_method_id,
                  isouter=True)
            .where(SubscriptionCharge.professional_id == professional_id)
            .order_by(col(SubscriptionCharge.id).desc()).limit(24)).all() if owner else []
    charges = tuple(Charge(
        id=int(charge.id or 0), period_start=charge.period_start, period_end=charge.period_end,
        status=charge.status, amount=charge.amount,
        card=f"{card.brand} {card.last4}" if card is not None else "",
        at=charge.finished_at or charge.created_at, tax_document_id=charge.tax_document_id)
        for charge, card in rows)
    price = Decimal(paid.price) if paid is not None and paid.price else get_settings(
    ).subscription_price
    return PlanState(
        professional_id=professional_id, subscribed=is_subscribed(professional, now),
        entitled_until=professional.subscribed_until, subscription=paid,
        complimentary_until=granted, price=rules.price_on(price, tax.israel_date(now)),
        grace_until=(paid.ends_at + rules.GRACE if paid is not None
                     and paid.status == SubscriptionStatus.past_due else None),
        has_card=has_card and owner, charges=charges, may_manage=owner,
        rates=_rates(), head_start_minutes=get_settings().notify_priority_minutes)


def _rates() -> dict[LeadType, tuple[Decimal, Decimal]]:
    rates = commission.Rates.from_settings(get_settings())
    return {kind: (commission.platform_rate(kind, performer_subscribed=False, rates=rates),
                   commission.platform_rate(kind, performer_subscribed=True, rates=rates))
            for kind in LeadType}


def _is_owner(session: Session, caller: Caller, professional_id: uuid.UUID) -> bool:
    """An owner of the business (or an admin): who may see and manage its billing."""
    if caller.role == "admin":
        return True
    return session.exec(select(ProfessionalMember.role).where(
        ProfessionalMember.professional_id == professional_id,
        ProfessionalMember.user_id == caller.user_id)).first() == MemberRole.owner


# --- an owner buys, cancels, resumes ------------------------------------------------------


def buy(*, caller: Caller, professional_id: uuid.UUID, ip: str = "",
        now: datetime | None = None) -> Subscription:
    """An owner buys the plan with the business's default saved card. The first period is
    charged now, or, while complimentary months run, when they end (by `renew_subscriptions`).
    409 `already_subscribed` when a paid subscription is in force; 409 `no_card` without a
    saved card; 402 when the card is declined (nothing is subscribed); 503 when the provider
    did not answer (the same charge is tried again within the hour)."""
    now = now or utcnow()
    with unit_of_work(caller) as session:
        require_member(session=session, caller=caller, professional_id=professional_id,
                       owner=True)
        with trusted_step(session, caller):
            professional = _locked_business(session, professional_id)
            if _live_paid(session, professional_id) is not None:
                raise rules.AlreadySubscribed()
            if payment_methods.default_card(session, professional_id) is None:
                raise NoCard()
            granted = session.exec(select(sa.func.max(Subscription.ends_at)).where(
                Subscription.professional_id == professional_id,
                Subscription.source == SubscriptionSource.grant,
                Subscription.status == SubscriptionStatus.active)).one()
            starts = max(now, granted or now)
            subscription = Subscription(
                professional_id=professional_id, source=SubscriptionSource.paid,
                starts_at=starts, ends_at=starts, next_charge_at=starts,
                price=get_settings().subscription_price)
            session.add(subscription)
            session.flush()
            logs.action("subscription", subscription.id, "subscription bought",
                        professional=professional_id, starts_at=starts)
            audit.change(session=session, caller=caller, action="subscription.buy",
                         subject_type="professional", subject_id=professional.id, ip=ip,
                         before={}, after={"starts_at": starts},
                         subscription_id=str(subscription.id), price=str(subscription.price))
        subscription_id = subscription.id
    if starts <= now:
        outcome = renew(subscription_id, now=now, started_by=caller.user_id)
        if outcome == "declined":
            raise CardDeclined()
        if outcome == "no_card":
            raise NoCard()
        if outcome == "unanswered":
            raise ProviderError()
    with unit_of_work(caller) as session, trusted_step(session, caller):
        bought = session.get(Subscription, subscription_id)
        assert bought is not None
        session.expunge(bought)
    return bought


def _owned_paid(session: Session, caller: Caller, subscription_id: uuid.UUID) -> Subscription:
    """The paid subscription, for an owner of its business (or an admin); others get 404."""
    users.require_user(caller)
    with trusted_step(session, caller):
        subscription = session.exec(select(Subscription).where(
            Subscription.id == subscription_id).with_for_update()).first()
    if subscription is None or not _is_owner(session, caller, subscription.professional_id):
        raise NotFound("errors.subscription.not_found")
    return subscription


def cancel_at_period_end(*, caller: Caller, subscription_id: uuid.UUID, ip: str = "",
                         resume: bool = False) -> Subscription:
    """An owner stops the renewals: the benefits go on to the end of the period paid for, and
    nothing more is charged (`resume`: renewals go on again). Idempotent. 409 for a
    subscription that is not a paid one in force."""
    with unit_of_work(caller) as session:
        subscription = _owned_paid(session, caller, subscription_id)
        if (subscription.source != SubscriptionSource.paid
                or subscription.status not in rules.LIVE):
            raise rules.NotCancellable()
        if subscription.cancel_at_period_end != (not resume):
            with trusted_step(session, caller):
                subscription.cancel_at_period_end = not resume
                session.add(subscription)
                audit.change(session=session, caller=caller,
                             action="subscription.resume" if resume else "subscription.cancel",
                             subject_type="professional",
                             subject_id=subscription.professional_id, ip=ip,
                             before={"cancel_at_period_end": resume},
                             after={"cancel_at_period_end": not resume},
                             subscription_id=str(subscription.id))
                session.flush()
        session.expunge(subscription)
    return subscription


# --- charging a period ----------------------------------------------------------------------


def _claim(subscription_id: uuid.UUID, now: datetime, started_by: uuid.UUID | None,
           ) -> tuple[str, SubscriptionCharge | None, SavedCard | None]:
    """Lock the subscription and start (or resume) the charge of its next period: ("go",
    charge, card), or an outcome that needs no provider call."""
    with unit_of_work(SYSTEM) as session:
        subscription = session.exec(select(Subscription).where(
            Subscription.id == subscription_id).with_for_update(skip_locked=True)).first()
        if subscription is None:
            return "busy", None, None
        if (subscription.source != SubscriptionSource.paid
                or subscription.status not in rules.LIVE or subscription.next_charge_at is None
                or subscription.next_charge_at > now):
            return "not_due", None, None
        if subscription.cancel_at_period_end:
            _end(session, subscription, SubscriptionStatus.ended)
            return "ended", None, None
        period_start = subscription.ends_at
        tries = list(session.exec(select(SubscriptionCharge).where(
            SubscriptionCharge.subscription_id == subscription.id,
            SubscriptionCharge.period_start == period_start)
            .order_by(col(SubscriptionCharge.attempt))).all())
        unanswered = next((c for c in tries if c.status == "started"), None)
        if unanswered is not None:  # its answer was lost: the same key again
            charge = unanswered
            method = (session.get(PaymentMethod, charge.payment_method_id)
                      if charge.payment_method_id else None)
        else:
            method = payment_methods.default_card(session, subscription.professional_id)
            price = rules.price_on(Decimal(subscription.price or 0), tax.israel_date(now))
            charge = SubscriptionCharge(
                subscription_id=subscription.id, professional_id=subscription.professional_id,
                period_start=period_start, period_end=period_start + rules.PERIOD,
                attempt=len(tries) + 1, price=price.before_vat, vat=price.vat,
                amount=price.total, payment_method_id=method.id if method else None,
                # a card is charged where it was saved: its token means nothing elsewhere
                provider=method.provider if method else get_settings().psp_provider,
                started_by=started_by, status="started" if method else "no_card",
                reason="" if method else "no saved card")
            session.add(charge)
            session.flush()
        if method is None or method.token is None:
            charge.status, charge.finished_at = "no_card", now
            charge.reason = charge.reason or "the card was removed"
            session.add(charge)
            _charged(charge, "no_card")
            _failed(session, subscription, now, automatic=started_by is None)
            return "no_card", charge, None
        card = payment_methods.saved_card(method)
        session.expunge(charge)
        return "go", charge, card


def renew(subscription_id: uuid.UUID, *, now: datetime | None = None,
          started_by: uuid.UUID | None = None) -> str:
    """Charge the subscription's next period if it is due (system): "paid", "declined",
    "no_card", "unanswered" (tried again later under the same key), "ended" (cancelled at the
    period's end, which came), "not_due" or "busy" (another charge of it is running)."""
    now = now or utcnow()
    outcome, charge, card = _claim(subscription_id, now, started_by)
    if outcome != "go":
        return outcome
    assert charge is not None and card is not None
    key = rules.charge_key(subscription_id, charge.period_start, charge.attempt)
    charged = payment_methods.charge_once(charge.provider, card, charge.amount, key)
    outcome = charged.outcome
    with unit_of_work(SYSTEM) as session:
        subscription = session.exec(select(Subscription).where(
            Subscription.id == subscription_id).with_for_update()).one()
        row = session.get(SubscriptionCharge, charge.id)
        assert row is not None
        if outcome == "unanswered":
            subscription.next_charge_at = now + rules.PROVIDER_RETRY
            session.add(subscription)
            _charged(row, outcome)
            return outcome
        row.status = "succeeded" if outcome == "paid" else "declined"
        row.provider_reference, row.reason = charged.reference, charged.reason
        row.finished_at = now
        session.add(row)
        if outcome == "paid":
            _paid(session, subscription, row, now)
        else:
            _failed(session, subscription, now, automatic=row.started_by is None)
        _charged(row, outcome)
    return outcome


def _charged(charge: SubscriptionCharge, outcome: str) -> None:
    logs.action("subscription_charge", charge.id, f"subscription charge {outcome}",
                subscription=charge.subscription_id, professional=charge.professional_id,
                outcome=outcome, attempt=charge.attempt, amount=charge.amount)


def _paid(session: Session, subscription: Subscription, charge: SubscriptionCharge,
          now: datetime) -> None:
    """A period paid: the subscription runs to its end, the ledger takes the money, the
    charge gets its tax invoice/receipt, and the owners hear of it."""
    subscription.ends_at = charge.period_end
    subscription.next_charge_at = charge.period_end
    subscription.status, subscription.failed_charges = SubscriptionStatus.active, 0
    session.add(subscription)
    ledger.record(session, kind=TxKind.subscription,
                  idempotency_key=f"subscription:{charge.subscription_id}:{charge.period_start}",
                  legs=[Leg(Purpose.clearing, charge.amount),
                        Leg(Purpose.platform_revenue, -charge.price),
                        Leg(Purpose.vat_payable, -charge.vat)])
    document = _document(session, charge, now)
    charge.tax_document_id = document.id
    session.add(charge)
    professional = _locked_business(session, subscription.professional_id)
    _refresh_until(session, professional)
    session.flush()
    notifications.tell(
        session=session, caller=SYSTEM, template="subscription_paid",
        businesses=[subscription.professional_id],
        params=lambda locale: {"amount": money(charge.amount, locale),
                               "until": _day(charge.period_end), "url": _plan_url()})


def _document(session: Session, charge: SubscriptionCharge, now: datetime) -> TaxDocument:
    """The charge's tax invoice/receipt (320): the period's fee with its VAT, and the card
    payment."""
    card = (session.get(PaymentMethod, charge.payment_method_id)
            if charge.payment_method_id else None)
    period = f"{_day(charge.period_start)}–{_day(charge.period_end)}"
    return tax_documents.sale_receipt(
        session, professional_id=charge.professional_id, kind="subscription",
        description=f"מנוי OFAIR Pro לתקופה {period}", price=charge.price, vat=charge.vat,
        total=charge.amount, now=now, paid_with=tax_documents.card_payment(
            card, charge.provider_reference, tax.israel_date(now)))


def _failed(session: Session, subscription: Subscription, now: datetime, *,
            automatic: bool) -> None:
    """A charge declined (or no card). A subscription never paid lapses at once (nothing
    was bought). A renewal is tried again on the retry days while the grace period keeps the
    benefits; after the last try it lapses. An owner's own try that fails changes neither."""
    never_paid = subscription.ends_at == subscription.starts_at
    if not automatic and not never_paid:
        return
    if never_paid:
        _end(session, subscription, SubscriptionStatus.lapsed)
        template = "subscription_lapsed"
    else:
        subscription.failed_charges += 1
        subscription.next_charge_at = rules.next_retry(subscription.ends_at,
                                                       subscription.failed_charges)
        subscription.status = (SubscriptionStatus.past_due if subscription.next_charge_at
                               else SubscriptionStatus.lapsed)
        session.add(subscription)
        session.flush()
        _refresh_until(session, _locked_business(session, subscription.professional_id))
        template = ("subscription_renewal_failed" if subscription.next_charge_at
                    else "subscription_lapsed")
    if not automatic:
        return  # the owner saw the answer on the page
    params = ({"url": _plan_url(), "until": _day(subscription.ends_at + rules.GRACE),
               "next_try": _day(subscription.next_charge_at)}
              if subscription.next_charge_at else {"url": _plan_url()})
    notifications.tell(session=session, caller=SYSTEM, template=template,
                       businesses=[subscription.professional_id], params=params)


def _end(session: Session, subscription: Subscription, status: SubscriptionStatus) -> None:
    subscription.status, subscription.next_charge_at = status, None
    session.add(subscription)
    session.flush()
    _refresh_until(session, _locked_business(session, subscription.professional_id))


def _day(moment: datetime) -> str:
    return f"{tax.israel_date(moment):%d/%m/%Y}"


def _plan_url() -> str:
    return f"{get_settings().ofair_public_url.rstrip('/')}/pro/plan"


_DUE = (select(Subscription.id)
        .where(Subscription.source == SubscriptionSource.paid,
               col(Subscription.status).in_(rules.LIVE),
               col(Subscription.next_charge_at).is_not(None)))


def renew_due(*, now: datetime, limit: int = 500) -> dict[str, int]:
    """Every paid subscription whose renewal (or retry) is due by `now`, then those whose
    grace ran out: the `renew_subscriptions` job. Idempotent per period."""
    with unit_of_work(SYSTEM) as session:
        due = list(session.exec(_DUE.where(col(Subscription.next_charge_at) <= now)
                                .order_by(col(Subscription.next_charge_at))
                                .limit(limit)).all())
    counts: dict[str, int] = {}
    for subscription_id in due:
        outcome = renew(subscription_id, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def unpin_ended(*, session: Session, now: datetime) -> int:
    """Take the leads of businesses whose subscription has ended off the board's short list of
    leads that may be pinned (migration 0009). They stopped being pinned when it ended (the
    board checks the subscribers of the moment); this keeps the pinned indexes small. Returns
    how many leads it unpinned."""
    unpinned: int = session.execute(sa.text("SELECT lead_board_unpin_ended(:now)"),
                                    {"now": now}).scalar_one()
    return unpinned
