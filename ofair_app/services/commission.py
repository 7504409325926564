"""A job's split at the commission rule in force, and the rules admins manage (issue 22,
point 3).

- `price_job`: the one way a job's split is worked out for a real job: the performer's
  subscription and tier, the rule in force on the day (`domain.commission_rules`), the
  referral chain's shares. Payments freeze it (and the rule's id) at payment, b2b charges at
  close; a split recomputed later for a frozen job (a partial refund, a credit note) takes the
  rule that was frozen, so a rule written since never alters it.
- `create`, `retire`, `rules`: admins write rules (never edit them) and retire them; the
  default rule stays. `preview`: what a rule would change on the last 90 days' jobs, before it
  is saved.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from ofair_app import reference
from ofair_app.db.engine import Caller
from ofair_app.domain import commission_rules as rules
from ofair_app.domain.commission import Split
from ofair_app.domain.errors import Conflict, InvalidInput, NotFound
from ofair_app.domain.leads import LeadType
from ofair_app.domain.tax import israel_date
from ofair_app.models import CommissionRule, CommissionRuleCreate, Lead, Professional
from ofair_app.models._base import utcnow
from ofair_app.services import audit, subscriptions, tiers, users
from ofair_app.services import leads as lead_service

DEFAULT_RULE_ID = uuid.UUID("00000000-0000-0000-0000-00000000c0de")
PREVIEW_DAYS = 90
PREVIEW_JOBS = 2000  # the most recent jobs a preview reprices


def as_rule(row: CommissionRule) -> rules.Rule:
    return rules.Rule(id=row.id, rate_pct=row.rate_pct, lead_type=row.lead_type,
                      category_slug=row.category_slug, subcategory_slug=row.subcategory_slug,
                      locality_id=row.locality_id, tier=str(row.tier) if row.tier else None,
                      subscribed=row.subscribed, valid_from=row.valid_from,
                      valid_until=row.valid_until, created_order=row.seq or 0)


def in_force(session: Session) -> list[rules.Rule]:
    """Every rule not retired (the default included)."""
    return [as_rule(row) for row in session.exec(
        select(CommissionRule).where(col(CommissionRule.retired_at).is_(None))).all()]


def frozen_rule(session: Session, rule_id: uuid.UUID | None) -> rules.Rule:
    """The rule a split was frozen with (retired since or not); the default for a split
    frozen before rules existed."""
    row = session.get(CommissionRule, rule_id or DEFAULT_RULE_ID)
    if row is None:
        raise NotFound("errors.rule.not_found")
    return as_rule(row)


@dataclass(frozen=True)
class Priced:
    split: Split
    rule: rules.Rule


def case_of(lead: Lead, *, tier: str | None, subscribed: bool, on: date) -> rules.Case:
    return rules.Case(lead_type=LeadType(lead.type), on=on, category_slug=lead.category_slug,
                      subcategory_slug=lead.subcategory_slug, locality_id=lead.locality_id,
                      tier=tier, subscribed=subscribed)


def price_job(session: Session, lead: Lead, amount: Decimal, *,
              shares: Sequence[Decimal] = (),
              performer: Professional | None, at: datetime | None = None,
              rule: rules.Rule | None = None, candidates: list[rules.Rule] | None = None,
              any_amount: bool = False) -> Priced:
    """The split of `amount` for `lead` done by `performer` at `at` (now): its subscription
    and tier then, and `rule` (frozen), or else the rule in force that day among `candidates`
    (the rules in force). `any_amount`: no minimum (what is left after a refund)."""
    subscribed = performer is not None and subscriptions.is_subscribed(performer, at)
    tier = str(tiers.tier_of(session, performer.id, at)) if performer is not None else None
    if rule is None:
        case = case_of(lead, tier=tier, subscribed=subscribed,
                       on=israel_date(at or utcnow()))
        rule = rules.rule_for(candidates if candidates is not None else in_force(session),
                              case)
    split = lead_service.split_at(
        amount, lead.type, shares=shares, base_pct=rule.rate_pct, any_amount=any_amount,
        # a rule that names subscription or tier is already the rate for them
        subscribed=subscribed if rule.subscribed is None else False,
        tier=tier if rule.tier is None else None)
    return Priced(split=split, rule=rule)


# --- the rules admins manage -------------------------------------------------------------


def _checked(data: CommissionRuleCreate) -> rules.Rule:
    """The rule as written, every field checked: the domain's rules, and that the category,
    its subcategory and the city exist."""
    fields: dict[str, str] = {}
    try:
        rule = rules.Rule(id=uuid.uuid4(), **data.model_dump(exclude={"note"}))
        rules.check(rule)
    except InvalidInput as error:
        fields.update(error.fields)
        rule = None
    if data.category_slug is not None:
        category = reference.category(data.category_slug)
        if category is None:
            fields["category_slug"] = "errors.rule.category"
        elif data.subcategory_slug is not None and data.subcategory_slug not in {
                sub.slug for sub in category.subcategories}:
            fields.setdefault("subcategory_slug", "errors.rule.subcategory")
    if data.locality_id is not None and reference.locality(data.locality_id) is None:
        fields["locality_id"] = "errors.rule.locality"
    if data.valid_until is not None and data.valid_until <= israel_date(utcnow()):
        fields.setdefault("valid_until", "errors.rule.ended")
    if fields or rule is None:
        raise InvalidInput(fields=fields)
    return rule


def create(*, session: Session, caller: Caller, data: CommissionRuleCreate) -> CommissionRule:
    """An admin writes a rule (audited). Jobs already paid (or closed, in b2b) keep theirs."""
    users.require_admin(caller)
    _checked(data)
    row = CommissionRule(**data.model_dump(), created_by=caller.user_id)
    session.add(row)
    session.flush()
    session.refresh(row)
    audit.change(session=session, caller=caller, action="commission_rule.create",
                 subject_type="commission_rule", subject_id=row.id, before={},
                 after=data.model_dump(mode="json"))
    return row


class DefaultRuleStays(Conflict):
    code, message_key = "default_rule", "errors.rule.default"


def retire(*, session: Session, caller: Caller, rule_id: uuid.UUID) -> CommissionRule:
    """An admin retires a rule (audited): new splits no longer use it; frozen ones keep it.
    The default rule stays (409); a rule retired already is 409 too."""
    users.require_admin(caller)
    row = session.exec(select(CommissionRule).where(CommissionRule.id == rule_id)
                       .with_for_update()).first()
    if row is None:
        raise NotFound("errors.rule.not_found")
    if row.id == DEFAULT_RULE_ID:
        raise DefaultRuleStays()
    if row.retired_at is not None:
        raise Conflict("errors.rule.retired", code="rule_retired")
    row.retired_at, row.retired_by = utcnow(), caller.user_id
    session.add(row)
    session.flush()
    audit.change(session=session, caller=caller, action="commission_rule.retire",
                 subject_type="commission_rule", subject_id=row.id,
                 before={"retired_at": None}, after={"retired_at": row.retired_at})
    return row


def all_rules(*, session: Session, caller: Caller, retired: bool = False
              ) -> list[CommissionRule]:
    """The rules, newest first (with `retired`, those retired too)."""
    users.require_admin(caller)
    query = select(CommissionRule).order_by(col(CommissionRule.seq).desc())
    if not retired:
        query = query.where(col(CommissionRule.retired_at).is_(None))
    return list(session.exec(query).all())


@dataclass(frozen=True)
class PreviewJob:
    lead_id: uuid.UUID
    title: str
    amount: Decimal
    commission_now: Decimal
    commission_with_rule: Decimal


@dataclass(frozen=True)
class Preview:
    jobs_checked: int  # recent jobs repriced
    jobs_changed: list[PreviewJob]  # those the rule would be in force for
    commission_now: Decimal  # on the changed jobs, at the rules in force today
    commission_with_rule: Decimal


def preview(*, session: Session, caller: Caller, data: CommissionRuleCreate,
            now: datetime | None = None) -> Preview:
    """What `data` would change on the jobs of the last 90 days (the most recent 2,000 with
    an agreed price), were it saved today: each job repriced at the rules in force with and
    without it, as if paid today. Nothing is written."""
    users.require_admin(caller)
    draft = _checked(data)
    now = now or utcnow()
    current = in_force(session)
    draft = dataclasses.replace(draft, created_order=1 + max(
        (rule.created_order for rule in current), default=0))  # written last
    with_rule = [*current, draft]
    jobs = session.exec(select(Lead).where(
        col(Lead.performer_professional_id).is_not(None), col(Lead.final_amount).is_not(None),
        col(Lead.updated_at) >= now - timedelta(days=PREVIEW_DAYS))
        .order_by(col(Lead.updated_at).desc()).limit(PREVIEW_JOBS)).all()
    performers = {p.id: p for p in session.exec(select(Professional).where(col(
        Professional.id).in_({lead.performer_professional_id for lead in jobs}))).all()}
    changed: list[PreviewJob] = []
    for lead in jobs:
        performer_id, amount = lead.performer_professional_id, lead.final_amount
        assert performer_id is not None and amount is not None  # as the query asks
        performer = performers.get(performer_id)
        try:
            before = price_job(session, lead, amount, performer=performer, at=now,
                               candidates=current)
            after = price_job(session, lead, amount, performer=performer, at=now,
                              candidates=with_rule)
        except InvalidInput:  # an amount below the minimum, from before it was raised
            continue
        if after.rule.id == draft.id:
            changed.append(PreviewJob(
                lead_id=lead.id, title=lead.title, amount=amount,
                commission_now=before.split.platform_commission,
                commission_with_rule=after.split.platform_commission))
    return Preview(jobs_checked=len(jobs), jobs_changed=changed,
                   commission_now=sum((j.commission_now for j in changed), Decimal("0.00")),
                   commission_with_rule=sum((j.commission_with_rule for j in changed),
                                            Decimal("0.00")))
