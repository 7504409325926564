"""The lead's vocabulary and lifecycle (DESIGN.md §3 "Leads"): pure rules, no I/O.

A lead moves `active → awarded → in_progress → completed → closed`; it can be cancelled before
work is paid for, and disputed from the moment money is held until it is released. Every move
is an `Event`; a move the table does not allow is refused with a 409 everywhere (the database
refuses it too, with the same table, in the `leads_guard` trigger).
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ofair_app.domain.errors import Conflict, InvalidInput


class LeadType(StrEnum):
    consumer = "consumer"  # a consumer asks for work; the platform takes 10%
    professional_referral = "professional_referral"  # a pro passes on a client for a fee; 5%


class LeadStatus(StrEnum):
    active = "active"  # open: on the board (when public), taking proposals, editable by the owner
    awarded = "awarded"  # the owner accepted a proposal; the winner may see the client
    in_progress = "in_progress"  # paid into escrow (or, in b2b mode, started)
    completed = "completed"  # the performer marked the work done
    closed = "closed"  # the owner confirmed (or the auto-confirm job did): settlement starts
    cancelled = "cancelled"  # withdrawn by the owner, or refunded in full
    disputed = "disputed"  # a party contested it before the money was released


class LeadVisibility(StrEnum):
    public = "public"  # on the Lead Board
    private = "private"  # only offered directly to chosen businesses (referrals)


class PreferredSchedule(StrEnum):
    urgent = "urgent"  # today or tomorrow
    this_week = "this_week"
    this_month = "this_month"
    flexible = "flexible"


class Event(StrEnum):
    award = "award"  # a proposal accepted
    unaward = "unaward"  # the owner cancels the award before payment, or the winner declines
    start = "start"  # paid (escrow) or started (b2b)
    complete = "complete"  # the performer says it is done
    confirm = "confirm"  # the owner confirms (or auto-confirm)
    dispute = "dispute"
    resolve = "resolve"  # an admin settles a dispute by releasing the money
    cancel = "cancel"  # the owner withdraws it, or an admin refunds it in full


S = LeadStatus
TRANSITIONS: dict[tuple[LeadStatus, Event], LeadStatus] = {
    (S.active, Event.award): S.awarded,
    (S.active, Event.cancel): S.cancelled,
    (S.awarded, Event.unaward): S.active,
    (S.awarded, Event.start): S.in_progress,
    (S.awarded, Event.cancel): S.cancelled,
    (S.in_progress, Event.complete): S.completed,
    (S.in_progress, Event.dispute): S.disputed,
    (S.in_progress, Event.cancel): S.cancelled,
    (S.completed, Event.confirm): S.closed,
    (S.completed, Event.dispute): S.disputed,
    (S.closed, Event.dispute): S.disputed,
    (S.disputed, Event.resolve): S.closed,
    (S.disputed, Event.cancel): S.cancelled,
}

# The status pairs the database accepts (the `leads_guard` trigger holds the same list).
ALLOWED_MOVES: frozenset[tuple[LeadStatus, LeadStatus]] = frozenset(
    (source, target) for (source, _), target in TRANSITIONS.items())

TERMINAL = frozenset(s for s in LeadStatus if not any(src == s for src, _ in TRANSITIONS))


class IllegalTransition(Conflict):
    code, message_key = "illegal_transition", "errors.lead.illegal_transition"


def next_status(current: LeadStatus | str, event: Event) -> LeadStatus:
    """Where `event` takes a lead in `current`; refuses (409) a move the lifecycle forbids."""
    target = TRANSITIONS.get((LeadStatus(current), event))
    if target is None:
        raise IllegalTransition(params={"status": str(current), "event": str(event)})
    return target


# An owner withdraws a lead only before it is paid for; later, only a refund (an admin) ends it.
OWNER_CANCELLABLE = frozenset({LeadStatus.active, LeadStatus.awarded})


def owner_may_cancel(status: LeadStatus | str) -> bool:
    return LeadStatus(status) in OWNER_CANCELLABLE


def is_editable(status: LeadStatus | str) -> bool:
    """Owners edit a lead only while it is open."""
    return LeadStatus(status) == LeadStatus.active


# --- input rules ---------------------------------------------------------------------------

TITLE_LENGTH = (3, 120)
SHORT_DESCRIPTION_MAX = 280
DESCRIPTION_LENGTH = (10, 2000)
ADDRESS_MAX = 200
BUDGET_MAX = Decimal("10000000")
REFERRER_SHARE_RANGE = (Decimal("0"), Decimal("90"))
# Israel with its waters, generously: coordinates outside are a mistake, not a far-away lead.
ISRAEL_BOUNDS = ((29.4, 33.45), (34.2, 35.95))
RADIUS_KM_RANGE = (1, 200)
MAX_ATTACHMENTS = 10
CENT = Decimal("0.01")


# ASCII digits only (a `\d` would also take Arabic-Indic and other scripts' digits), an
# optional point with one or two decimals: no sign, spaces, underscores or exponent.
_AMOUNT_TEXT = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
# What a person may add in a form: thousands commas in their places (`1,250`), a ₪ sign.
_GROUPED_TEXT = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]{1,2})?")
_AMOUNT_TEXT_MAX = 20


def exact_amount(raw: object, *, field: str, error: str = "errors.field.money") -> Decimal:
    """An amount exactly as a client sent it, never read loosely nor rounded: a string of
    ASCII digits with an optional point and at most two decimals (`"1250"`, `"1250.5"`), or a
    number whose value has at most two decimals (an int; a Decimal, which is how the API
    reads JSON numbers; a float through its shortest repr). `"١٢٣"`, `"1_000"`, `" 100 "`,
    `"1e3"`, `"-5"` and `1.0000001` are refused with `error` on `field`. Bounds are the
    caller's (`parse_money`)."""
    refused = InvalidInput(fields={field: error})
    if isinstance(raw, str):
        if len(raw) > _AMOUNT_TEXT_MAX or not _AMOUNT_TEXT.fullmatch(raw):
            raise refused
        return Decimal(raw)
    if isinstance(raw, bool):
        raise refused
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise refused
        raw = Decimal(repr(raw))
    if not isinstance(raw, Decimal) or not raw.is_finite():
        raise refused
    if _decimal_places(raw) > 2:
        raise refused
    return raw


def _decimal_places(value: Decimal) -> int:
    """How many decimals a finite value needs (`1.500` needs one), read from its digits, not
    through arithmetic that could round a long one."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    significant = len(digits)
    while significant and digits[significant - 1] == 0:
        significant -= 1
    if significant == 0:
        return 0
    return max(0, -(exponent + len(digits) - significant))


def parse_money(raw: object, *, field: str, minimum: Decimal = Decimal("0"),
                maximum: Decimal = BUDGET_MAX, error: str = "errors.field.money") -> Decimal:
    """An exact amount (`exact_amount`) within bounds, with two places."""
    value = exact_amount(raw, field=field, error=error)
    if value < minimum or value > maximum:
        raise InvalidInput(fields={field: "errors.field.money_range"},
                           params={"min": amount_text(minimum), "max": amount_text(maximum)})
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount_text(value: Decimal) -> str:
    """An amount as a message names a limit: thousands grouped, agorot only when there are
    any (`50,000`, `0.01`); the same in Hebrew and English, the message adds the ₪."""
    if value == value.to_integral_value():
        return f"{value.to_integral_value():,}"
    return f"{value.quantize(CENT):,}"


def read_amount(text: str, *, field: str) -> Decimal | None:
    """An amount as a person types it in a form, or None when blank. Around the number, spaces
    and a ₪ sign are fine, and thousands commas in their places (`₪1,250.50`); the number
    itself follows the API's rule (`exact_amount`), so `1_000`, `١٢٣`, `1e3` or `1,25` are
    refused with `InvalidInput` naming `field`, never guessed at. Bounds are the service's."""
    cleaned = text.strip().removeprefix("₪").removesuffix("₪").strip()
    if not cleaned:
        return None
    if _GROUPED_TEXT.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    return exact_amount(cleaned, field=field)


def check_budget(value: Decimal, budget_range: tuple[Decimal, Decimal], *,
                 field: str = "budget") -> Decimal:
    """A lead's budget within what its category's jobs plausibly cost (`categories.json`):
    ₪1,000,000 to change a socket is a typo, refused with the range named."""
    low, high = budget_range
    if not low <= value <= high:
        raise InvalidInput(fields={field: "errors.lead.budget_implausible"},
                           params={"min": amount_text(low), "max": amount_text(high)})
    return value


def parse_share(raw: object, *, field: str = "referrer_share_percentage") -> Decimal:
    """The referrer's share of the final amount, 0–90 %, at most two decimal places."""
    low, high = REFERRER_SHARE_RANGE
    try:
        return parse_money(raw, field=field, minimum=low, maximum=high)
    except InvalidInput:
        raise InvalidInput(fields={field: "errors.lead.share_range"}) from None


def in_israel(lat: float, lon: float) -> bool:
    (lat_min, lat_max), (lon_min, lon_max) = ISRAEL_BOUNDS
    return lat_min <= lat <= lat_max and lon_min <= lon <= lon_max
