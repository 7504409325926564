"""Subscriptions: a business's plan, granted by an admin for now (paying for it comes later).

While a business subscribes, `professionals.subscribed_until` is in the future: its leads are
pinned on the Lead Board and (later) it pays a lower commission.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ofair_app.db.engine import Caller
from ofair_app.domain.errors import InvalidInput, NotFound
from ofair_app.models import Professional, Subscription, SubscriptionPlan, SubscriptionStatus
from ofair_app.models._base import utcnow
from ofair_app.services import audit, users
from ofair_app.services.professionals import require_member

MONTH = timedelta(days=30)
MAX_MONTHS = 24


def is_subscribed(professional: Professional, now: datetime | None = None) -> bool:
    """Whether the business subscribes right now."""
    until = professional.subscribed_until
    return until is not None and until > (now or utcnow())


def _refresh_until(session: Session, professional: Professional) -> None:
    ends = session.exec(select(Subscription.ends_at).where(
        Subscription.professional_id == professional.id,
        Subscription.status == SubscriptionStatus.active)).all()
    professional.subscribed_until = max(ends) if ends else None
    session.add(professional)


def grant(*, session: Session, caller: Caller, professional_id: uuid.UUID, months: int = 1,
          plan: SubscriptionPlan = SubscriptionPlan.pro_monthly, ip: str = "",
          now: datetime | None = None) -> Subscription:
    """An admin grants a plan for some months, starting when the current one ends (audited)."""
    users.require_admin(caller)
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(fields={"months": "errors.subscription.months"},
                           params={"max": MAX_MONTHS})
    professional = session.exec(select(Professional).where(
        Professional.id == professional_id).with_for_update()).first()
    if professional is None:
        raise NotFound("errors.professional.not_found")
    now = now or utcnow()
    before = professional.subscribed_until
    starts = max(now, professional.subscribed_until or now)
    subscription = Subscription(professional_id=professional.id, plan=plan, starts_at=starts,
                                ends_at=starts + MONTH * months, granted_by=caller.user_id)
    session.add(subscription)
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
    """An admin ends a subscription at once; the business's leads stop being pinned."""
    users.require_admin(caller)
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFound("errors.subscription.not_found")
    if subscription.status == SubscriptionStatus.cancelled:
        return subscription
    professional = session.exec(select(Professional).where(
        Professional.id == subscription.professional_id).with_for_update()).one()
    before = professional.subscribed_until
    subscription.status = SubscriptionStatus.cancelled
    session.add(subscription)
    session.flush()
    _refresh_until(session, professional)
    audit.change(session=session, caller=caller, action="subscription.cancel",
                 subject_type="professional", subject_id=professional.id, ip=ip,
                 before={"subscribed_until": before, "status": "active"},
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


def unpin_ended(*, session: Session, now: datetime) -> int:
    """Take the leads of businesses whose subscription has ended off the board's short list of
    leads that may be pinned (migration 0009). They stopped being pinned when it ended (the
    board checks the subscribers of the moment); this keeps the pinned indexes small. Returns
    how many leads it unpinned."""
    return session.execute(sa.text("SELECT lead_board_unpin_ended(:now)"),
                           {"now": now}).scalar_one()
