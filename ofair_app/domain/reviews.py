"""Reviews of a closed job (issue 20 point 1): pure rules, no I/O.

Only the owner of a lead that closed reviews its performer, once: an overall score and four
aspects from 1 to 5, and an optional text. They may change it for `EDIT_DAYS`; the business
answers once. The public sees the reviewer as a first name and a city, or, if the reviewer
chose, as "a verified client".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ofair_app.domain.errors import Conflict, InvalidInput
from ofair_app.domain.inputs import has_control_characters

SCORE_RANGE = (1, 5)
ASPECTS: tuple[str, ...] = ("quality", "punctuality", "price", "attitude")
BODY_MAX = 1500
REPLY_MAX = 1500
REASON_MAX = 500
EDIT_DAYS = 7
REMIND_AFTER_DAYS = 3


class Display(StrEnum):
    """How the public sees who wrote a review."""

    name = "name"  # the first name and the city of the job
    verified = "verified"  # "a verified client"


class EditWindowOver(Conflict):
    code, message_key = "review_locked", "errors.review.edit_window"


@dataclass(frozen=True)
class Scores:
    rating: int
    quality: int
    punctuality: int
    price: int
    attitude: int

    def as_dict(self) -> dict[str, int]:
        return {"rating": self.rating, "quality": self.quality,
                "punctuality": self.punctuality, "price": self.price, "attitude": self.attitude}


def check_scores(values: dict[str, object]) -> Scores:
    """Every score a whole number from 1 to 5 (422 naming each bad field)."""
    bad: dict[str, str] = {}
    clean: dict[str, int] = {}
    for name in ("rating", *ASPECTS):
        value = values.get(name)
        low, high = SCORE_RANGE
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            bad[name] = "errors.review.score"
        else:
            clean[name] = value
    if bad:
        raise InvalidInput(fields=bad, params={"min": SCORE_RANGE[0], "max": SCORE_RANGE[1]})
    return Scores(**clean)


def check_text(value: object, *, field: str, limit: int, required: bool = False) -> str:
    """Free text as written (trimmed): at most `limit` characters, lines allowed."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(fields={field: "errors.field.invalid"})
    value = value.strip()
    if required and not value:
        raise InvalidInput(fields={field: "errors.review.text_required"})
    if len(value) > limit:
        raise InvalidInput(fields={field: "errors.review.too_long"}, params={"max": limit})
    if has_control_characters(value, multiline=True):
        raise InvalidInput(fields={field: "errors.text.control"})
    return value


def editable_until(created_at: datetime) -> datetime:
    return created_at + timedelta(days=EDIT_DAYS)


def require_editable(created_at: datetime, now: datetime) -> None:
    if now > editable_until(created_at):
        raise EditWindowOver(params={"days": EDIT_DAYS})


def average(total: int, count: int) -> Decimal:
    """The business's rating: the mean of its shown reviews, two places (0 with none)."""
    if count == 0:
        return Decimal("0")
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def first_name(full_name: str | None) -> str:
    """What the public sees of a reviewer's name: the first word only."""
    return (full_name or "").strip().split(" ")[0][:40]
