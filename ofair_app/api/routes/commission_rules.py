"""Commission rules, for admins (issue 22, point 3): `/admin/commission-rules` to list and
write them, `/admin/commission-rules/preview` to see what one would change before saving it,
`/admin/commission-rules/{id}/retire`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from fastapi import APIRouter
from pydantic import BaseModel

from ofair_app.api.deps import AdminCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.leads import LeadType
from ofair_app.domain.tiers import Tier
from ofair_app.models import CommissionRule, CommissionRuleCreate
from ofair_app.services import commission

router = APIRouter(route_class=ExactJsonRoute)


class RuleOut(BaseModel):
    id: uuid.UUID
    rate_pct: Decimal | None  # none: the default rule, the platform's configured rates
    is_default: bool
    lead_type: LeadType | None
    category_slug: str | None
    subcategory_slug: str | None
    locality_id: int | None
    tier: Tier | None
    subscribed: bool | None
    valid_from: date | None
    valid_until: date | None  # the first day it no longer holds
    note: str
    created_at: datetime | None
    retired_at: datetime | None

    @classmethod
    def of(cls, row: CommissionRule) -> RuleOut:
        return cls(id=row.id, rate_pct=row.rate_pct,
                   is_default=row.id == commission.DEFAULT_RULE_ID, lead_type=row.lead_type,
                   category_slug=row.category_slug, subcategory_slug=row.subcategory_slug,
                   locality_id=row.locality_id, tier=row.tier, subscribed=row.subscribed,
                   valid_from=row.valid_from, valid_until=row.valid_until, note=row.note,
                   created_at=row.created_at, retired_at=row.retired_at)


class PreviewJobOut(BaseModel):
    lead_id: uuid.UUID
    title: str
    amount: Decimal
    commission_now: Decimal
    commission_with_rule: Decimal


class PreviewOut(BaseModel):
    """What the rule would change on the last 90 days' jobs, were it saved today."""

    jobs_checked: int
    jobs_changed: int
    commission_now: Decimal
    commission_with_rule: Decimal
    difference: Decimal
    jobs: list[PreviewJobOut]  # the changed jobs, the most recent 50


@router.get("/admin/commission-rules", response_model=list[RuleOut],
            name="list_rules", tags=["admin"], responses=errors(401, 403))
def list_rules(caller: AdminCaller, retired: bool = False) -> list[RuleOut]:
    """The rules, newest first; with `retired`, those retired too."""
    with unit_of_work(caller) as session:
        return [RuleOut.of(row) for row in commission.all_rules(
            session=session, caller=caller, retired=retired)]


@router.post("/admin/commission-rules", status_code=201, response_model=RuleOut,
             name="create_rule", tags=["admin"], responses=errors(401, 403))
def create_rule(body: CommissionRuleCreate, caller: AdminCaller) -> RuleOut:
    """Write a rule. It prices jobs paid (escrow) or closed (b2b) from now on, where it is the
    most specific rule in force; splits frozen before keep their rule."""
    with unit_of_work(caller) as session:
        return RuleOut.of(commission.create(session=session, caller=caller, data=body))


@router.post("/admin/commission-rules/preview", response_model=PreviewOut,
             name="preview_rule", tags=["admin"], responses=errors(401, 403))
def preview_rule(body: CommissionRuleCreate, caller: AdminCaller) -> PreviewOut:
    """Reprice the last 90 days' jobs with and without the rule; nothing is written."""
    with unit_of_work(caller) as session:
        found = commission.preview(session=session, caller=caller, data=body)
    return PreviewOut(
        jobs_checked=found.jobs_checked, jobs_changed=len(found.jobs_changed),
        commission_now=found.commission_now, commission_with_rule=found.commission_with_rule,
        difference=found.commission_with_rule - found.commission_now,
        jobs=[PreviewJobOut(lead_id=j.lead_id, title=j.title, amount=j.amount,
                            commission_now=j.commission_now,
                            commission_with_rule=j.commission_with_rule)
              for j in found.jobs_changed[:50]])


@router.post("/admin/commission-rules/{rule_id}/retire", response_model=RuleOut,
             name="retire_rule", tags=["admin"], responses=errors(401, 403, 404, 409))
def retire_rule(rule_id: uuid.UUID, caller: AdminCaller) -> RuleOut:
    """Retire a rule: new splits stop using it. The default rule stays (409)."""
    with unit_of_work(caller) as session:
        return RuleOut.of(commission.retire(session=session, caller=caller, rule_id=rule_id))
