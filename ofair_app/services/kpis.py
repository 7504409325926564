"""The admin dashboard's figures (issue 18 point 1): a period's money, leads and funnel, set
beside the period just before it, and the platform's queues as they stand now.

Every figure is one SQL aggregate (migration 0021): the leads' from the daily counts the
database keeps current (`lead_days`, `lead_first_proposals`), the money and activity from
indexes alone; nothing is summed in Python. Days are Israel's. What each figure means:

- **GMV**: what clients paid for jobs in the period: escrow payments by the day they were paid,
  less what was refunded, and b2b jobs by the day they closed (their client pays the performer),
  unless the charge was reversed.
- **Platform revenue**: the commission the ledger booked in the period (the platform's pending
  and revenue accounts together: a release moves money between them and nets out, a refund
  takes its share back).
- **Referral fees**: what referrers earn on the period's paid escrow jobs and closed b2b jobs.
- **Leads per day** by type, and the **funnel** of the period's leads: posted → got a
  proposal → awarded → paid (in escrow, or started in b2b) → closed, each with its rate from
  the step before; the **median time to a first proposal** (to within about 5%: the delays
  are counted in buckets).
- **Active businesses**: businesses that sent a proposal or posted a lead in the period.
- Now: open disputes, flagged payments, payouts waiting (requested or approved, not yet paid).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from ofair_app.db.engine import Caller
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.ledger import Purpose
from ofair_app.domain.periods import Period
from ofair_app.domain.tax import israel_date
from ofair_app.models._base import utcnow
from ofair_app.services import users

PRESETS = (7, 30, 90)
LONGEST = 366  # days a custom period may span
ZERO = Decimal("0.00")


def last_days(days: int, *, today: date | None = None) -> Period:
    today = today or israel_date(utcnow())
    return Period(today - timedelta(days=days - 1), today)


def checked_period(since: date | None, until: date | None, *, today: date | None = None
                   ) -> Period:
    """A custom period: both days, `since` not after `until`, at most a year, not in the
    future (422 naming the field)."""
    today = today or israel_date(utcnow())
    problems = {}
    if since is None:
        problems["since"] = "errors.field.required"
    if until is None:
        problems["until"] = "errors.field.required"
    if problems:
        raise InvalidInput(fields=problems)
    assert since is not None and until is not None
    if since > until:
        raise InvalidInput(fields={"until": "errors.field.until_before_since"})
    if since > today:
        raise InvalidInput(fields={"since": "errors.kpis.future"})
    if (until - since).days + 1 > LONGEST:
        raise InvalidInput(fields={"until": "errors.kpis.too_long"},
                           params={"days": LONGEST})
    return Period(since, min(until, today))


@dataclass(frozen=True)
class Funnel:
    posted: int = 0
    proposed: int = 0
    awarded: int = 0
    paid: int = 0
    closed: int = 0

    STEPS = ("posted", "proposed", "awarded", "paid", "closed")

    def rate(self, step: str) -> Decimal | None:
        """The share (0–100, one decimal) of the step before that reached `step`."""
        index = self.STEPS.index(step)
        if index == 0:
            return None
        before: int = getattr(self, self.STEPS[index - 1])
        if not before:
            return None
        reached: int = getattr(self, step)
        return (Decimal(100) * reached / before).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Figures:
    """One period's figures."""

    gmv: Decimal = ZERO
    revenue: Decimal = ZERO
    referral_fees: Decimal = ZERO
    funnel: Funnel = field(default_factory=Funnel)
    median_first_proposal: timedelta | None = None
    active_businesses: int = 0


@dataclass(frozen=True)
class DayCount:
    day: date
    consumer: int
    professional_referral: int


@dataclass(frozen=True)
class Queues:
    """What waits for the back office now, whatever the period."""

    open_disputes: int
    flagged_payments: int
    pending_payouts: int
    pending_payouts_amount: Decimal


@dataclass(frozen=True)
class Dashboard:
    period: Period
    current: Figures
    previous: Figures
    per_day: list[DayCount]
    queues: Queues


_MONEY = text("""
    WITH paid AS (
        SELECT coalesce(sum(final_amount - refunded_amount), 0) AS gmv,
               coalesce(sum(referrer_fee) FILTER (WHERE status <> 'refunded'), 0) AS fees
          FROM payments WHERE paid_at >= :start AND paid_at < :end),
    charged AS (
        SELECT coalesce(sum(final_amount), 0) AS gmv, coalesce(sum(referrer_fee), 0) AS fees
          FROM b2b_charges
         WHERE closed_at >= :start AND closed_at < :end AND status <> 'reversed'),
    booked AS (
        SELECT coalesce(-sum(e.amount), 0) AS revenue FROM ledger_entries e
         WHERE e.account_id IN (SELECT id FROM ledger_accounts
                                 WHERE purpose IN (:pending, :revenue))
           AND e.created_at >= :start AND e.created_at < :end)
    SELECT paid.gmv + charged.gmv AS gmv, booked.revenue,
           paid.fees + charged.fees AS referral_fees
      FROM paid, charged, booked
""")

# The period's leads, from the daily counts the database keeps (migration 0021's `lead_days`).
_LEADS = text("""
    SELECT coalesce(sum(posted), 0) AS posted, coalesce(sum(proposed), 0) AS proposed,
           coalesce(sum(awarded), 0) AS awarded, coalesce(sum(paid), 0) AS paid,
           coalesce(sum(closed), 0) AS closed
      FROM lead_days WHERE day BETWEEN :since AND :until
""")

# The bucket (`first_proposal_bucket`) that holds the middle first-proposal delay.
_MEDIAN_BUCKET = text("""
    WITH buckets AS (
        SELECT bucket, sum(leads) AS leads FROM lead_first_proposals
         WHERE day BETWEEN :since AND :until GROUP BY bucket),
    running AS (
        SELECT bucket, sum(leads) OVER (ORDER BY bucket) AS reached,
               sum(leads) OVER () AS total FROM buckets)
    SELECT min(bucket) FROM running WHERE reached * 2 >= total
""")

# One probe per business into the indexes of its proposals and leads (by business, then
# time): about the same cost for a week as for a year, where reading a year of proposals is not.
_ACTIVE = text("""
    SELECT count(*) FROM professionals p
     WHERE EXISTS (SELECT 1 FROM proposals x WHERE x.professional_id = p.id
                      AND x.created_at >= :start AND x.created_at < :end)
        OR EXISTS (SELECT 1 FROM leads l WHERE l.owner_professional_id = p.id
                      AND l.created_at >= :start AND l.created_at < :end)
""")

_PER_DAY = text("""
    SELECT day, coalesce(sum(posted) FILTER (WHERE type = 'consumer'), 0) AS consumer,
           coalesce(sum(posted) FILTER (WHERE type = 'professional_referral'), 0)
             AS professional_referral
      FROM lead_days WHERE day BETWEEN :since AND :until
     GROUP BY day ORDER BY day
""")

_QUEUES = text("""
    SELECT (SELECT count(*) FROM disputes WHERE status = 'open') AS open_disputes,
           (SELECT count(*) FROM payments WHERE flagged) AS flagged_payments,
           (SELECT count(*) FROM withdrawals WHERE status IN ('requested', 'approved'))
             AS pending_payouts,
           (SELECT coalesce(sum(amount), 0) FROM withdrawals
             WHERE status IN ('requested', 'approved')) AS pending_payouts_amount
""")


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def bucket_delay(bucket: int | None) -> timedelta | None:
    """The middle of a first-proposal delay bucket (`first_proposal_bucket`: under a minute,
    then buckets about 5% wide): the median is told to within that."""
    if bucket is None:
        return None
    if bucket == 0:
        return timedelta(seconds=30)
    return timedelta(minutes=math.exp((bucket - 0.5) / 20))


def figures(session: Session, period: Period) -> Figures:
    window = {"start": period.start, "end": period.end}
    days = {"since": period.since, "until": period.until}
    money = session.execute(_MONEY, {**window, "pending": Purpose.platform_pending.value,
                                     "revenue": Purpose.platform_revenue.value}).one()
    leads = session.execute(_LEADS, days).one()
    median = bucket_delay(session.execute(_MEDIAN_BUCKET, days).scalar_one())
    active = session.execute(_ACTIVE, window).scalar_one()
    return Figures(
        gmv=_money(money.gmv), revenue=_money(money.revenue),
        referral_fees=_money(money.referral_fees),
        funnel=Funnel(posted=leads.posted, proposed=leads.proposed, awarded=leads.awarded,
                      paid=leads.paid, closed=leads.closed),
        median_first_proposal=median, active_businesses=active)


def per_day(session: Session, period: Period) -> list[DayCount]:
    """Leads posted on each day of the period by type (days without any count zero)."""
    counted = {row.day: row for row in session.execute(
        _PER_DAY, {"since": period.since, "until": period.until})}
    days = [period.since + timedelta(days=n) for n in range(period.days)]
    return [DayCount(day, counted[day].consumer if day in counted else 0,
                     counted[day].professional_referral if day in counted else 0)
            for day in days]


def queues(session: Session) -> Queues:
    row = session.execute(_QUEUES).one()
    return Queues(open_disputes=row.open_disputes, flagged_payments=row.flagged_payments,
                  pending_payouts=row.pending_payouts,
                  pending_payouts_amount=_money(row.pending_payouts_amount))


def dashboard(*, session: Session, caller: Caller, period: Period) -> Dashboard:
    """The dashboard for `period` (admins only: 403)."""
    users.require_admin(caller)
    return Dashboard(period=period, current=figures(session, period),
                     previous=figures(session, period.before()),
                     per_day=per_day(session, period), queues=queues(session))


def change(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """How much `current` moved from `previous`, in percent (one decimal); None from zero."""
    if not previous:
        return None
    return (Decimal(100) * (Decimal(current) - Decimal(previous)) / Decimal(previous)
            ).quantize(Decimal("0.1"))
