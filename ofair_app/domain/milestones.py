"""Projects in milestones: an accepted offer split into steps (a title, an amount, a due date)
whose amounts add up exactly to the agreed price, proposed by one side and agreed by the
other before anything is paid. Pure rules, no I/O.

A milestone is `open` until the performer says it is done (`submitted`); the owner then
`approved` it (its money is released after the hold period, or in b2b mode its commission is
recorded). A dispute freezes only that milestone (`disputed`); refunded in full it ends
`cancelled`. The job closes when every milestone is approved or cancelled, one at least
approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from ofair_app.domain import identity
from ofair_app.domain.errors import Conflict, FieldErrors
from ofair_app.domain.leads import amount_text, parse_money

STEPS_RANGE = (2, 12)
TITLE_LENGTH = (2, 120)
NOTE_LENGTH = (1, 1000)
MAX_PHOTOS = 4
MIN_STEP_AMOUNT = Decimal("1")
DUE_WITHIN_DAYS = 730  # a step is due within two years


class MilestoneStatus(StrEnum):
    open = "open"
    submitted = "submitted"
    approved = "approved"
    disputed = "disputed"
    cancelled = "cancelled"


class Side(StrEnum):
    owner = "owner"
    performer = "performer"


# Where the owner may approve from: the performer said it is done, or the owner does not wait.
APPROVABLE = frozenset({MilestoneStatus.open, MilestoneStatus.submitted})
FINISHED = frozenset({MilestoneStatus.approved, MilestoneStatus.cancelled})


@dataclass(frozen=True)
class Step:
    title: str
    amount: Decimal
    due_on: date


class PlanAgreed(Conflict):
    code, message_key = "plan_agreed", "errors.milestone.plan_agreed"


class PlanPending(Conflict):
    code, message_key = "plan_pending", "errors.milestone.plan_pending"


class NotPlannable(Conflict):
    code, message_key = "not_plannable", "errors.milestone.not_plannable"


class OwnProposal(Conflict):
    code, message_key = "own_plan", "errors.milestone.own_plan"


class WrongStatus(Conflict):
    code, message_key = "milestone_status", "errors.milestone.status"


class InSteps(Conflict):
    """The job was agreed in milestones: it is done, and confirmed, a step at a time."""

    code, message_key = "in_milestones", "errors.milestone.in_steps"


class NotPaid(Conflict):
    code, message_key = "milestone_not_paid", "errors.milestone.not_paid"


def _due(value: object, field: str, today: date, errors: FieldErrors) -> date | None:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, date):
        errors.add(field, "errors.field.date")
        return None
    if value < today or value > today + timedelta(days=DUE_WITHIN_DAYS):
        errors.add(field, "errors.milestone.due_range", days=DUE_WITHIN_DAYS)
        return None
    return value


def check_plan(rows: object, *, price: Decimal, today: date) -> tuple[Step, ...]:
    """The steps as sent (`[{title, amount, due_on}]`), each checked and all named at once;
    dates in order of the steps, and the amounts adding up to `price` exactly."""
    errors = FieldErrors()
    low, high = STEPS_RANGE
    if not isinstance(rows, list | tuple) or not low <= len(rows) <= high:
        errors.add("milestones", "errors.milestone.count", min=low, max=high)
        errors.raise_if_any()
    assert isinstance(rows, list | tuple)
    steps: list[Step] = []
    for index, row in enumerate(rows):
        where = f"milestones.{index}"
        if not isinstance(row, dict):
            errors.add(where, "errors.field.required")
            continue
        raw_title = row.get("title")
        title = errors.check(identity.clean_text,
                             raw_title if isinstance(raw_title, str) else "",
                             field=f"{where}.title", min_length=TITLE_LENGTH[0],
                             max_length=TITLE_LENGTH[1])
        amount = errors.check(parse_money, row.get("amount"), field=f"{where}.amount",
                              minimum=MIN_STEP_AMOUNT, maximum=price)
        due = _due(row.get("due_on"), f"{where}.due_on", today, errors)
        if title is not None and amount is not None and due is not None:
            if steps and due < steps[-1].due_on:
                errors.add(f"{where}.due_on", "errors.milestone.due_order")
            steps.append(Step(title=title, amount=amount, due_on=due))
    errors.raise_if_any()
    total = sum((step.amount for step in steps), Decimal("0"))
    if total != price:
        errors.add("milestones", "errors.milestone.sum", total=amount_text(total),
                   price=amount_text(price))
    errors.raise_if_any()
    return tuple(steps)


def all_done(statuses: list[MilestoneStatus | str]) -> bool:
    """Every milestone approved or cancelled, at least one approved: the job is over."""
    found = [MilestoneStatus(s) for s in statuses]
    return bool(found) and all(s in FINISHED for s in found) \
        and any(s == MilestoneStatus.approved for s in found)


def all_cancelled(statuses: list[MilestoneStatus | str]) -> bool:
    found = [MilestoneStatus(s) for s in statuses]
    return bool(found) and all(s == MilestoneStatus.cancelled for s in found)
