"""How a refund claim of an unlocked client reads, for the admins' queue and the business's
list of its unlocks alike: its status, its reason, and how the unlock was paid."""

import reflex as rx

from ofair_app.models import ClaimStatus, RefundReason
from ofair_app.ui.state.locale import t

STATUSES = [status.value for status in ClaimStatus]
REASONS = [reason.value for reason in RefundReason]
_STATUS_COLORS = (("open", "amber"), ("approved", "blue"), ("refunded", "green"),
                  ("rejected", "red"), "gray")


def claim_status_badge(status: rx.Var) -> rx.Component:
    """A claim's status in words (the colour only repeats them)."""
    return rx.badge(rx.match(status, *[(s, t(f"ui.unlock_claims.badge.{s}")) for s in STATUSES],
                             status),
                    color_scheme=rx.match(status, *_STATUS_COLORS), radius="full",
                    variant="soft", flex_shrink="0")


def claim_reason(reason: rx.Var) -> rx.Var:
    """Why the business claims its money back, in the reader's language."""
    return rx.match(reason, *[(r, t(f"ui.unlock_claims.reason.{r}")) for r in REASONS], reason)


def paid_with(pay_with: rx.Var) -> rx.Var:
    """"by card" or "from the balance"."""
    return rx.cond(pay_with == "balance", t("ui.unlock_claims.by_balance"),
                   t("ui.unlock_claims.by_card"))
