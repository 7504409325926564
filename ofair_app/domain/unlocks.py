"""Direct-contact leads: what unlocking a client costs, who may, and when a refund is fair.

A consumer who lets professionals contact them directly puts their lead on the board as
direct-contact. A business pays to unlock the client's details (a price per category, before
VAT); at most `UNLOCK_MAX_PER_LEAD` businesses may, counted under the lead's lock. Within
`UNLOCK_REFUND_DAYS` of unlocking, a business may claim its money back for a bad contact:
automatically when the number fails validation, when it already had the client's lead, or
when the client confirms through a link that they never asked; otherwise an admin decides.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import phonenumbers

from ofair_app.domain.errors import Conflict

# A business "already had" a client when it owned, performed or unlocked a lead of the same
# phone this long before.
DUPLICATE_WINDOW = timedelta(days=90)
# Our own SMS to the number failing for good this recently says it is not in service.
UNDELIVERABLE_WINDOW = timedelta(days=30)
# How long the client's link to confirm "I never asked" works.
CLIENT_LINK_DAYS = 14
# The kinds of line a working number may be (anything else, or an invalid number, fails).
_DIALLABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
              phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
              phonenumbers.PhoneNumberType.VOIP}


class NotDirectContact(Conflict):
    code, message_key = "not_direct_contact", "errors.unlock.not_direct"


class NoPlacesLeft(Conflict):
    code, message_key = "no_places_left", "errors.unlock.no_places"


class OwnLead(Conflict):
    code, message_key = "own_lead", "errors.unlock.own_lead"


class UnlockClosed(Conflict):
    """The lead is no longer open to unlocks (taken, closed, cancelled or hidden)."""

    code, message_key = "unlock_closed", "errors.unlock.closed"


class AlreadyClaimed(Conflict):
    code, message_key = "already_claimed", "errors.unlock.already_claimed"


class ClaimWindowClosed(Conflict):
    code, message_key = "claim_window_closed", "errors.unlock.claim_window"


class NotRefundable(Conflict):
    code, message_key = "not_refundable", "errors.unlock.not_refundable"


class AlreadyDecided(Conflict):
    code, message_key = "already_decided", "errors.unlock.already_decided"


def price_before_vat(category_slug: str, prices: dict[str, Decimal], default: Decimal) -> Decimal:
    """The price of unlocking a client of `category_slug`, before VAT, in agorot."""
    return prices.get(category_slug, default).quantize(Decimal("0.01"))


def places_left(taken: int, most: int) -> int:
    return max(0, most - taken)


def claim_deadline(unlocked_at: datetime, days: int) -> datetime:
    return unlocked_at + timedelta(days=days)


def number_in_service(e164: str) -> bool:
    """Whether the numbering plan gives `e164` to a line that takes calls: the offline half of
    the check of a "not in service" claim (services/unlocks.py adds our own SMS to it failing
    for good). A valid number of a kind nobody answers (premium rate, shared cost, pagers…)
    fails. `phonenumbers`' metadata lags behind Israel's plan (domain/identity.py): an
    Israeli number it does not know passes when it has the mobile shape."""
    try:
        number = phonenumbers.parse(e164, "IL")
    except phonenumbers.NumberParseException:
        return False
    if phonenumbers.is_valid_number(number):
        return phonenumbers.number_type(number) in _DIALLABLE
    national = str(number.national_number)
    return number.country_code == 972 and len(national) == 9 and national.startswith("5")


def charge_key(lead_id: uuid.UUID, professional_id: uuid.UUID, attempt: int) -> str:
    """The provider's idempotency key of an unlock's card charge: a charge whose answer was
    lost is sent again under it, so unlocking twice never charges twice."""
    return f"unlock:{lead_id}:{professional_id}:{attempt}"


def refund_key(unlock_id: uuid.UUID) -> str:
    return f"unlock-refund:{unlock_id}"
