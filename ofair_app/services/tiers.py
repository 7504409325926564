"""Performance tiers (issue 22, point 2): the monthly evaluation and what a business is shown.

- `update_all`: the `update_tiers` job. One statement reads every active business's last 90
  days (jobs it completed, its clients' average rating, the median minutes from a lead's
  posting to its offer, disputes it lost); `domain.tiers` gives each its tier; one evaluation
  per business and month is written (a second run of the month writes nothing), and the tiers
  that changed are set, each with its head start on the Lead Board (the database reorders the
  business's board leads when it changes). The evaluations are the audit of every change.
- `tier_view`: a business's tier for anyone (the public badge); for its own members and
  admins also the figures behind it and what the next tier needs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import text
from sqlmodel import Session, col, select

from ofair_app.db.engine import SYSTEM, Caller
from ofair_app.domain import settlement as month_rules
from ofair_app.domain import tiers as rules
from ofair_app.domain.errors import NotFound
from ofair_app.domain.tiers import Metrics, Tier
from ofair_app.i18n import translate
from ofair_app.models import Professional, ProfessionalTier, TierEvaluation
from ofair_app.services import notifications
from ofair_app.settings import get_settings

# Every active business's last 90 days, and its tier now (Bronze when never evaluated).
_FIGURES = text("""
    WITH jobs AS (
        SELECT performer_professional_id AS id, count(*) AS n FROM leads
        WHERE status = 'closed' AND closed_at >= :since AND closed_at < :until
          AND performer_professional_id IS NOT NULL
        GROUP BY 1),
    ratings AS (
        SELECT professional_id AS id, round(avg(rating)::numeric, 2) AS r FROM reviews
        WHERE hidden_at IS NULL AND created_at >= :since AND created_at < :until
        GROUP BY 1),
    answers AS (
        SELECT p.professional_id AS id,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM p.created_at - l.created_at) / 60) AS m
        FROM proposals p JOIN leads l ON l.id = p.lead_id
        WHERE p.origin = 'proposal' AND p.created_at >= :since AND p.created_at < :until
        GROUP BY 1),
    lost AS (
        SELECT l.performer_professional_id AS id, count(*) AS n
        FROM disputes d JOIN leads l ON l.id = d.lead_id
        WHERE d.status = 'resolved' AND d.resolution IN ('refund_full', 'refund_partial')
          AND d.resolved_at >= :since AND d.resolved_at < :until
        GROUP BY 1)
    SELECT b.id, coalesce(j.n, 0) AS jobs, r.r AS rating,
           CAST(round(CAST(a.m AS numeric)) AS integer) AS response,
           coalesce(x.n, 0) AS lost, coalesce(t.tier, 'bronze') AS tier
    FROM professionals b
    LEFT JOIN jobs j ON j.id = b.id
    LEFT JOIN ratings r ON r.id = b.id
    LEFT JOIN answers a ON a.id = b.id
    LEFT JOIN lost x ON x.id = b.id
    LEFT JOIN professional_tiers t ON t.professional_id = b.id
    WHERE b.status = 'active'
""")

# This month's evaluations, once per business: a second run of the month writes nothing.
_EVALUATE = text("""
    INSERT INTO tier_evaluations (professional_id, month, tier, previous_tier, completed_jobs,
                                  rating, response_minutes, disputes_lost, evaluated_at)
    SELECT CAST(e ->> 'id' AS uuid), :month, e ->> 'tier', e ->> 'previous',
           CAST(e ->> 'jobs' AS integer), CAST(e ->> 'rating' AS numeric),
           CAST(e ->> 'response' AS integer), CAST(e ->> 'lost' AS integer), :as_of
    FROM jsonb_array_elements(CAST(:evaluations AS jsonb)) AS t(e)
    ON CONFLICT (professional_id, month) DO NOTHING
    RETURNING professional_id, id, tier, previous_tier
""")

# The tier each evaluated business holds now and its head start on the board (from today's
# setting: the database moves the business's board leads when it changes, migration 0032);
# `since` moves only when the tier changed.
_HOLD = text("""
    INSERT INTO professional_tiers (professional_id, tier, since, evaluation_id, board_boost)
    SELECT CAST(h ->> 'id' AS uuid), h ->> 'tier', :as_of, CAST(h ->> 'evaluation' AS uuid),
           make_interval(secs => CAST(h ->> 'boost' AS integer))
    FROM jsonb_array_elements(CAST(:held AS jsonb)) AS t(h)
    ON CONFLICT (professional_id) DO UPDATE
    SET since = CASE WHEN professional_tiers.tier = EXCLUDED.tier
                     THEN professional_tiers.since ELSE EXCLUDED.since END,
        tier = EXCLUDED.tier, evaluation_id = EXCLUDED.evaluation_id,
        board_boost = EXCLUDED.board_boost
""")


class _Evaluation(TypedDict):
    """A business's figures as the evaluation statement reads them (JSON)."""

    id: str
    tier: str
    previous: str
    jobs: int
    rating: str | None
    response: int | None
    lost: int


@dataclass(frozen=True)
class TierRun:
    month: date
    evaluated: int  # businesses evaluated now (0: the month was done already)
    changed: list[tuple[uuid.UUID, Tier, Tier]]  # (business, from, to)


def update_all(*, session: Session, as_of: datetime) -> TierRun:
    """Evaluate every active business for the month of `as_of` (Israel) from the 90 days
    before it, as the platform (the `update_tiers` job)."""
    month = month_rules.month_of(as_of)
    rules_now = get_settings().tier_rules()
    thresholds = rules_now.thresholds
    rows = session.execute(_FIGURES, {"since": as_of - rules.WINDOW, "until": as_of}).all()
    evaluations: list[_Evaluation] = []
    for row in rows:
        metrics = Metrics(completed_jobs=row.jobs, rating=row.rating,
                          response_minutes=row.response, disputes_lost=row.lost)
        evaluations.append({
            "id": str(row.id), "tier": rules.tier_for(metrics, thresholds).value,
            "previous": row.tier, "jobs": row.jobs,
            "rating": str(row.rating) if row.rating is not None else None,
            "response": row.response, "lost": row.lost})
    written = session.execute(_EVALUATE, {"month": month, "as_of": as_of,
                                          "evaluations": json.dumps(evaluations)}).all()
    if written:
        session.execute(_HOLD, {"as_of": as_of, "held": json.dumps([
            {"id": str(row.professional_id), "tier": row.tier, "evaluation": str(row.id),
             "boost": int(rules_now.board_boosts[Tier(row.tier)].total_seconds())}
            for row in written])})
    changed = [(row.professional_id, Tier(row.previous_tier), Tier(row.tier))
               for row in written if row.tier != row.previous_tier]
    figures = {uuid.UUID(e["id"]): e for e in evaluations}
    discounts = rules_now.discounts
    url = f"{get_settings().ofair_public_url.rstrip('/')}/pro/plan"
    notifications.tell_all(session=session, caller=SYSTEM, notices=[notifications.Notice(
        template="tier_changed", businesses=(business,),
        params=_notice_params(after, before, discounts[after], figures[business], url))
        for business, before, after in changed])
    return TierRun(month=month, evaluated=len(written), changed=changed)


def _notice_params(tier: Tier, previous: Tier, discount: Decimal, figures: _Evaluation,
                   url: str) -> Callable[[str], dict[str, str]]:
    """The change explained in the reader's language: the tiers, the discount, what counted."""
    def params(locale: str) -> dict[str, str]:
        rating, response = figures["rating"], figures["response"]
        return {
            "tier": translate(f"ui.tier.{tier}", locale),
            "previous": translate(f"ui.tier.{previous}", locale),
            "discount": f"{discount.normalize():f}%", "url": url,
            "figures": translate(
                "ui.tier.figures", locale, jobs=figures["jobs"], lost=figures["lost"],
                rating=(f"{Decimal(rating):.1f}" if rating is not None
                        else translate("ui.tier.no_rating", locale)),
                response=(translate("ui.tier.minutes", locale, n=response)
                          if response is not None else translate("ui.tier.no_response",
                                                                 locale)))}
    return params


def tier_of(session: Session, professional_id: uuid.UUID, at: datetime | None = None) -> Tier:
    """The business's tier now (public), or (`at`) the one it held then: the last evaluation
    written by then (read as the platform or a member). Bronze when never evaluated."""
    if at is None:
        held = session.get(ProfessionalTier, professional_id)
        return Tier(held.tier) if held is not None else Tier.bronze
    then = session.exec(select(TierEvaluation.tier).where(
        TierEvaluation.professional_id == professional_id,
        col(TierEvaluation.evaluated_at) <= at)
        .order_by(col(TierEvaluation.evaluated_at).desc())).first()
    return Tier(then) if then is not None else Tier.bronze


@dataclass(frozen=True)
class TierView:
    """A business's tier; for its members and admins, the figures behind it and the next
    tier's requirements against them."""

    professional_id: uuid.UUID
    tier: Tier
    since: datetime | None
    discount_pct: Decimal  # off the platform's commission rate
    evaluation: TierEvaluation | None = None  # the latest (members and admins only)
    next_tier: Tier | None = None
    next_checks: tuple[rules.Check, ...] = ()


def tier_view(*, session: Session, caller: Caller, professional_id: uuid.UUID) -> TierView:
    """`professional_id`'s tier (404 for no such business). The evaluation behind it is read
    through row-level security: only the business's members and admins get it."""
    if session.get(Professional, professional_id) is None:
        raise NotFound("errors.professional.not_found")
    thresholds, discounts, _ = get_settings().tier_rules()
    held = session.get(ProfessionalTier, professional_id)
    tier = tier_of(session, professional_id)
    latest = session.exec(select(TierEvaluation).where(
        TierEvaluation.professional_id == professional_id)
        .order_by(col(TierEvaluation.month).desc())).first()
    view = TierView(professional_id=professional_id, tier=tier,
                    since=held.since if held is not None else None,
                    discount_pct=discounts[tier])
    if latest is None:
        return view
    upcoming = rules.next_tier(tier)
    metrics = Metrics(completed_jobs=latest.completed_jobs, rating=latest.rating,
                      response_minutes=latest.response_minutes,
                      disputes_lost=latest.disputes_lost)
    return TierView(professional_id=professional_id, tier=tier, since=view.since,
                    discount_pct=view.discount_pct, evaluation=latest, next_tier=upcoming,
                    next_checks=tuple(rules.checks(metrics, thresholds[upcoming]))
                    if upcoming is not None else ())
