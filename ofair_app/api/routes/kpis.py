"""The admin dashboard's figures over REST (issue 18 point 1): a period's money, leads and
funnel beside the period before it, and the queues waiting now (services/kpis.py says what
each figure means)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from ofair_app.api.deps import AdminCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.periods import Period
from ofair_app.services import kpis, users

router = APIRouter(route_class=ExactJsonRoute)


class FunnelOut(BaseModel):
    posted: int
    proposed: int
    awarded: int
    paid: int
    closed: int
    # the share of the step before that reached each step, in percent (null from zero)
    proposed_rate: Decimal | None
    awarded_rate: Decimal | None
    paid_rate: Decimal | None
    closed_rate: Decimal | None


class FiguresOut(BaseModel):
    since: date
    until: date
    gmv: Decimal
    revenue: Decimal
    referral_fees: Decimal
    funnel: FunnelOut
    median_first_proposal_minutes: Decimal | None
    active_businesses: int

    @classmethod
    def of(cls, period: Period, figures: kpis.Figures) -> FiguresOut:
        funnel = figures.funnel
        median = figures.median_first_proposal
        return cls(
            since=period.since, until=period.until, gmv=figures.gmv, revenue=figures.revenue,
            referral_fees=figures.referral_fees,
            funnel=FunnelOut(posted=funnel.posted, proposed=funnel.proposed,
                             awarded=funnel.awarded, paid=funnel.paid, closed=funnel.closed,
                             **{f"{step}_rate": funnel.rate(step)
                                for step in kpis.Funnel.STEPS[1:]}),
            median_first_proposal_minutes=(
                (Decimal(median / timedelta(minutes=1))).quantize(Decimal("0.1"))
                if median is not None else None),
            active_businesses=figures.active_businesses)


class DayOut(BaseModel):
    day: date
    consumer: int
    professional_referral: int


class QueuesOut(BaseModel):
    open_disputes: int
    flagged_payments: int
    pending_payouts: int
    pending_payouts_amount: Decimal


class DashboardOut(BaseModel):
    current: FiguresOut
    previous: FiguresOut
    per_day: list[DayOut]
    queues: QueuesOut


@router.get("/admin/kpis", response_model=DashboardOut, name="kpis", tags=["admin"],
            responses=errors(403, 422))
def dashboard(caller: AdminCaller,
              days: Annotated[int | None, Query(
                  ge=1, le=kpis.LONGEST,
                  description="the last N days (Israel's), today included: 7, 30, 90…")] = None,
              since: date | None = None, until: date | None = None) -> DashboardOut:
    """The dashboard: `days`, or a custom `since`..`until` (both included, at most a year);
    without either, the last 30 days. Each figure comes with the same period just before."""
    users.require_admin(caller)
    if since is not None or until is not None:
        period = kpis.checked_period(since, until)
    else:
        period = kpis.last_days(days or 30)
    with unit_of_work(caller) as session:
        found = kpis.dashboard(session=session, caller=caller, period=period)
    q = found.queues
    return DashboardOut(
        current=FiguresOut.of(found.period, found.current),
        previous=FiguresOut.of(found.period.before(), found.previous),
        per_day=[DayOut(day=d.day, consumer=d.consumer,
                        professional_referral=d.professional_referral) for d in found.per_day],
        queues=QueuesOut(open_disputes=q.open_disputes, flagged_payments=q.flagged_payments,
                         pending_payouts=q.pending_payouts,
                         pending_payouts_amount=q.pending_payouts_amount))
