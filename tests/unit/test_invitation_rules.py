"""Invitation rules: expiry as read, who may still answer, the daily and resend limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ofair_app.domain import invitations as rules
from ofair_app.domain.errors import Conflict, RateLimited
from ofair_app.domain.invitations import InvitationStatus

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("status", "expires_in", "seen"), [
    ("pending", timedelta(seconds=1), InvitationStatus.pending),
    ("pending", timedelta(0), InvitationStatus.expired),
    ("pending", -timedelta(days=1), InvitationStatus.expired),
    ("accepted", -timedelta(days=1), InvitationStatus.accepted),
    ("cancelled", timedelta(days=1), InvitationStatus.cancelled),
])
def test_a_pending_invitation_past_its_time_reads_as_expired(status, expires_in, seen) -> None:
    assert rules.effective_status(status, NOW + expires_in, NOW) == seen


def test_only_an_open_invitation_can_be_answered() -> None:
    rules.require_open("pending", NOW + timedelta(minutes=1), NOW)
    with pytest.raises(Conflict) as expired:
        rules.require_open("pending", NOW, NOW)
    assert expired.value.code == "invitation_expired"
    for status in ("accepted", "declined", "cancelled"):
        with pytest.raises(Conflict) as answered:
            rules.require_open(status, NOW + timedelta(days=1), NOW)
        assert answered.value.code == "invitation_not_pending"
    with pytest.raises(Conflict) as marked:
        rules.require_open("expired", NOW + timedelta(days=1), NOW)
    assert marked.value.code == "invitation_expired"


def test_the_daily_limit_counts_a_rolling_day_and_says_when_to_retry() -> None:
    limit = rules.DAILY_SENDS_PER_BUSINESS
    sends = [NOW - timedelta(hours=23) + timedelta(minutes=i) for i in range(limit)]
    with pytest.raises(RateLimited) as error:
        rules.check_business_limit(sends, NOW)
    # The oldest send leaves the window an hour from now.
    assert error.value.retry_after_seconds == 3601
    assert error.value.params["minutes"] == 61 and error.value.params["limit"] == limit
    rules.check_business_limit(sends[1:], NOW)
    rules.check_business_limit([s - timedelta(days=1) for s in sends], NOW)


def test_a_resend_waits_its_interval_and_stops_after_the_maximum() -> None:
    with pytest.raises(RateLimited) as error:
        rules.check_resend([NOW - timedelta(minutes=1)], NOW)
    assert error.value.retry_after_seconds == \
        int((rules.RESEND_INTERVAL - timedelta(minutes=1)).total_seconds()) + 1
    rules.check_resend([NOW - rules.RESEND_INTERVAL], NOW)
    many = [NOW - timedelta(days=1, minutes=i) for i in range(rules.MAX_SENDS_PER_INVITATION)]
    with pytest.raises(Conflict):
        rules.check_resend(many, NOW)
