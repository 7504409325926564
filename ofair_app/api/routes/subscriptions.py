"""`/subscriptions`: the pro plan. An owner buys it with the business's saved card and may stop
(or resume) the renewals; members see the plan and owners its charges; admins grant
complimentary months and end a subscription at once."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ofair_app.api.deps import AdminCaller, ClientIp, CurrentCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.db.engine import unit_of_work
from ofair_app.models import Subscription, SubscriptionPlan
from ofair_app.services import subscriptions

router = APIRouter(route_class=ExactJsonRoute)


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    professional_id: uuid.UUID
    months: int = Field(default=1, ge=1, le=subscriptions.MAX_MONTHS)
    plan: SubscriptionPlan = SubscriptionPlan.pro_monthly


class BuyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    professional_id: uuid.UUID


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    professional_id: uuid.UUID
    plan: str
    source: str = Field(description="`paid` (bought, renewed each period) or `grant`"
                                    " (an admin's complimentary months)")
    status: str = Field(description="active, past_due (renewal failing, in grace), ended"
                                    " (cancelled at the period's end), lapsed (unpaid after"
                                    " the grace period) or cancelled (by an admin)")
    starts_at: datetime
    ends_at: datetime = Field(description="the end of the last period paid for or granted")
    price: Decimal | None = Field(description="paid: a period's price before VAT, as bought")
    next_charge_at: datetime | None = Field(description="paid: the next renewal or retry")
    cancel_at_period_end: bool

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionOut:
        return cls(id=subscription.id, professional_id=subscription.professional_id,
                   plan=str(subscription.plan), source=str(subscription.source),
                   status=str(subscription.status), starts_at=subscription.starts_at,
                   ends_at=subscription.ends_at, price=subscription.price,
                   next_charge_at=subscription.next_charge_at,
                   cancel_at_period_end=subscription.cancel_at_period_end)


class PriceOut(BaseModel):
    before_vat: Decimal
    vat: Decimal
    total: Decimal


class ChargeOut(BaseModel):
    id: int
    period_start: datetime
    period_end: datetime
    status: str = Field(description="started, succeeded, declined or no_card")
    amount: Decimal
    card: str
    at: datetime | None
    tax_document_id: uuid.UUID | None


class PlanOut(BaseModel):
    professional_id: uuid.UUID
    subscribed: bool = Field(description="the business has the plan's benefits now")
    entitled_until: datetime | None
    subscription: SubscriptionOut | None = Field(description="the paid subscription in force")
    complimentary_until: datetime | None
    grace_until: datetime | None
    price: PriceOut = Field(description="a period's price, with the VAT of today")
    has_card: bool
    may_manage: bool
    charges: list[ChargeOut] = Field(description="owners and admins: the latest charges")


@router.post("/subscriptions", status_code=201, response_model=SubscriptionOut, name="buy",
             tags=["subscriptions"], responses=errors(402, 403, 404, 409, 503))
def buy_subscription(body: BuyIn, caller: CurrentCaller, ip: ClientIp) -> SubscriptionOut:
    """An owner buys the plan with the business's default saved card: the first period is
    charged now (or when complimentary months end). 409 `already_subscribed`, 409 `no_card`,
    402 `card_declined` (nothing is subscribed)."""
    return SubscriptionOut.of(subscriptions.buy(caller=caller,
                                                professional_id=body.professional_id, ip=ip))


@router.post("/subscriptions/{subscription_id}/cancel", response_model=SubscriptionOut,
             name="cancel_at_period_end", tags=["subscriptions"], responses=errors(404, 409))
def cancel_at_period_end(subscription_id: uuid.UUID, caller: CurrentCaller,
                         ip: ClientIp) -> SubscriptionOut:
    """An owner stops the renewals: the plan runs to the end of the period paid for."""
    return SubscriptionOut.of(subscriptions.cancel_at_period_end(
        caller=caller, subscription_id=subscription_id, ip=ip))


@router.post("/subscriptions/{subscription_id}/resume", response_model=SubscriptionOut,
             name="resume", tags=["subscriptions"], responses=errors(404, 409))
def resume(subscription_id: uuid.UUID, caller: CurrentCaller, ip: ClientIp) -> SubscriptionOut:
    """An owner takes back a cancellation before the period ends: renewals go on."""
    return SubscriptionOut.of(subscriptions.cancel_at_period_end(
        caller=caller, subscription_id=subscription_id, ip=ip, resume=True))


@router.get("/professionals/{professional_id}/subscription", response_model=PlanOut,
            name="plan", tags=["subscriptions"], responses=errors(403, 404))
def plan(professional_id: uuid.UUID, caller: CurrentCaller) -> PlanOut:
    """The business's plan: for its members (owners also see the charges) and admins."""
    with unit_of_work(caller) as session:
        state = subscriptions.state(session=session, caller=caller,
                                    professional_id=professional_id)
        return PlanOut(
            professional_id=state.professional_id, subscribed=state.subscribed,
            entitled_until=state.entitled_until,
            subscription=(SubscriptionOut.of(state.subscription)
                          if state.subscription is not None else None),
            complimentary_until=state.complimentary_until, grace_until=state.grace_until,
            price=PriceOut(before_vat=state.price.before_vat, vat=state.price.vat,
                           total=state.price.total),
            has_card=state.has_card, may_manage=state.may_manage,
            charges=[ChargeOut(id=c.id, period_start=c.period_start, period_end=c.period_end,
                               status=c.status, amount=c.amount, card=c.card, at=c.at,
                               tax_document_id=c.tax_document_id) for c in state.charges])


@router.get("/professionals/{professional_id}/subscriptions",
            response_model=list[SubscriptionOut],
            name="list", tags=["subscriptions"], responses=errors(403, 404))
def list_subscriptions(professional_id: uuid.UUID, caller: CurrentCaller) -> list[SubscriptionOut]:
    """A business's subscriptions, paid and granted, for its members and admins."""
    with unit_of_work(caller) as session:
        return [SubscriptionOut.of(s) for s in subscriptions.list_for(
            session=session, caller=caller, professional_id=professional_id)]


@router.post("/admin/subscriptions", status_code=201, response_model=SubscriptionOut,
             name="grant", tags=["subscriptions"], responses=errors(403, 404, 409))
def grant_subscription(body: SubscriptionIn, caller: AdminCaller, ip: ClientIp) -> SubscriptionOut:
    """An admin grants a business complimentary months (audited); a paid subscription's next
    renewal moves past them."""
    with unit_of_work(caller) as session:
        return SubscriptionOut.of(subscriptions.grant(
            session=session, caller=caller, professional_id=body.professional_id,
            months=body.months, plan=body.plan, ip=ip))


@router.post("/admin/subscriptions/{subscription_id}/cancel", response_model=SubscriptionOut,
             name="cancel", tags=["subscriptions"], responses=errors(403, 404, 409))
def cancel_subscription(subscription_id: uuid.UUID, caller: AdminCaller,
                        ip: ClientIp) -> SubscriptionOut:
    """An admin ends a subscription at once: its benefits stop now, nothing more is charged."""
    with unit_of_work(caller) as session:
        return SubscriptionOut.of(subscriptions.cancel(
            session=session, caller=caller, subscription_id=subscription_id, ip=ip))
