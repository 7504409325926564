"""Who hears about what, and when: the groups of events, the channels, the defaults, and quiet
hours (pure rules; `services/notifications.py` applies them).

Every event a person is told about lands in their notification center at once (in-app is
always on). Each other channel (push, SMS, WhatsApp, e-mail) is a choice per group of events;
what nobody chose follows `default_enabled`: SMS for the events that need an answer, e-mail
instead of SMS for someone without a phone, nothing but the app for new leads and chat (they
come often). During quiet hours (22:00–07:00 Israel time unless the person set other hours)
and, for those who ask, over Shabbat, messages wait for the quiet time to end; login codes and
other `URGENT` messages never wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

ISRAEL = ZoneInfo("Asia/Jerusalem")


class EventGroup(StrEnum):
    """What a notification is about; preferences are kept per group."""

    leads = "leads"  # a new lead on the board that matches the business
    proposals = "proposals"  # offers on one's requests and answers to one's offers
    referrals = "referrals"  # a lead referred to the business, and the answer to one's referral
    jobs = "jobs"  # a job's life: paid, done, confirmed, disputes, a request hidden or shown
    money = "money"  # payouts, tax invoices, a card that could not be charged
    chat = "chat"  # a message in a lead's conversation
    account = "account"  # the account and the business: verification, team, closing notices


class Channel(StrEnum):
    """Where a notification goes besides the app's own list."""

    push = "push"
    sms = "sms"
    whatsapp = "whatsapp"
    email = "email"


GROUPS: tuple[EventGroup, ...] = tuple(EventGroup)
CHANNELS: tuple[Channel, ...] = tuple(Channel)

# The group of every template that is told to people (a template missing here is refused by
# `group_of`, so a new event cannot ship without its group).
TEMPLATE_GROUPS: dict[str, EventGroup] = {
    "new_lead": EventGroup.leads,
    "proposal_received": EventGroup.proposals,
    "proposal_accepted": EventGroup.proposals,
    "proposal_rejected": EventGroup.proposals,
    "award_cancelled": EventGroup.proposals,
    "award_declined": EventGroup.proposals,
    "referral_received": EventGroup.referrals,
    "referral_accepted": EventGroup.referrals,
    "referral_declined": EventGroup.referrals,
    "job_paid": EventGroup.jobs,
    "job_completed": EventGroup.jobs,
    "completion_confirmed": EventGroup.jobs,
    "dispute_opened": EventGroup.jobs,
    "dispute_resolved": EventGroup.jobs,
    "lead_hidden": EventGroup.jobs,
    "lead_restored": EventGroup.jobs,
    "review_request": EventGroup.jobs,
    "review_reminder": EventGroup.jobs,
    "review_received": EventGroup.jobs,
    "review_replied": EventGroup.jobs,
    "review_hidden": EventGroup.jobs,
    "review_restored": EventGroup.jobs,
    "visit_booked": EventGroup.jobs,
    "visit_cancelled": EventGroup.jobs,
    "visit_rescheduled": EventGroup.jobs,
    "visit_reminder": EventGroup.jobs,
    "checked_in": EventGroup.jobs,
    "milestone_plan_proposed": EventGroup.jobs,
    "milestone_plan_agreed": EventGroup.jobs,
    "milestone_submitted": EventGroup.jobs,
    "milestone_approved": EventGroup.jobs,
    "milestone_update": EventGroup.jobs,
    "chat_message": EventGroup.chat,
    "payout_paid": EventGroup.money,
    "invoice_issued": EventGroup.money,
    "autopay_failed": EventGroup.money,
    "subscription_paid": EventGroup.money,
    "subscription_renewal_failed": EventGroup.money,
    "subscription_lapsed": EventGroup.money,
    "unlock_claim_decided": EventGroup.money,
    "tier_changed": EventGroup.money,
    "lead_unlocked": EventGroup.jobs,
    "member_invited": EventGroup.account,
    "professional_verified": EventGroup.account,
    "professional_suspended": EventGroup.account,
    "account_inactive": EventGroup.account,
}

# Sent at once whatever the hour: the person is waiting for it right now.
URGENT: frozenset[str] = frozenset({"otp_code", "email_change", "phone_change", "payment_link"})

# Groups that come often: by default only the app (and push, once a device allows it).
_FREQUENT = frozenset({EventGroup.leads, EventGroup.chat})

DEFAULT_QUIET_START = time(22, 0)
DEFAULT_QUIET_END = time(7, 0)
# Shabbat, for those who hold messages over it: from Friday afternoon until Saturday night,
# wide enough to cover candle lighting and its end in every season in Israel.
SHABBAT_START = (4, time(15, 0))  # Friday (Monday is 0)
SHABBAT_END = (5, time(21, 0))  # Saturday


def group_of(template: str) -> EventGroup:
    try:
        return TEMPLATE_GROUPS[template]
    except KeyError:
        raise ValueError(f"no event group for template {template!r}") from None


def default_enabled(group: EventGroup, channel: Channel, *, has_phone: bool) -> bool:
    """Whether `channel` carries `group` for someone who never chose."""
    if channel == Channel.push:
        return True  # only reaches devices the person enabled
    if channel == Channel.whatsapp or group in _FREQUENT:
        return False
    if channel == Channel.sms:
        return has_phone
    return not has_phone  # e-mail: for those who can't get an SMS


@dataclass(frozen=True)
class QuietHours:
    """A person's quiet time. `start == end` means no nightly quiet time."""

    enabled: bool = True
    start: time = DEFAULT_QUIET_START
    end: time = DEFAULT_QUIET_END
    shabbat: bool = False

    def _in_night(self, moment: time) -> bool:
        if not self.enabled or self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def _night_ends(self, local: datetime) -> datetime:
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0,
                            microsecond=0)
        return end if end > local else _next_day(local, self.end)

    def release_at(self, now: datetime) -> datetime | None:
        """When a message written at `now` may go out: None for at once, else the end of the
        quiet time it falls in (UTC)."""
        local = now.astimezone(ISRAEL)
        moved = False
        for _ in range(4):  # a night can end into Shabbat, and Shabbat into a night
            if self.shabbat and in_shabbat(local):
                local, moved = shabbat_ends(local), True
            elif self._in_night(local.timetz().replace(tzinfo=None)):
                local, moved = self._night_ends(local), True
            else:
                break
        return local.astimezone(UTC) if moved else None


def default_quiet_hours(setting: str) -> QuietHours:
    """The quiet hours of someone who never chose: NOTIFY_QUIET_HOURS ("22:00-07:00", or ""
    for none)."""
    if not setting:
        return QuietHours(enabled=False)
    start, end = (time.fromisoformat(part) for part in setting.split("-"))
    return QuietHours(start=start, end=end)


def _next_day(local: datetime, at: time) -> datetime:
    day = local.date() + timedelta(days=1)
    return datetime.combine(day, at, tzinfo=ISRAEL)


def in_shabbat(local: datetime) -> bool:
    local = local.astimezone(ISRAEL)
    (start_day, start_time), (end_day, end_time) = SHABBAT_START, SHABBAT_END
    weekday, moment = local.weekday(), local.time()
    if weekday == start_day:
        return moment >= start_time
    if weekday == end_day:
        return moment < end_time
    return False


def shabbat_ends(local: datetime) -> datetime:
    """The end of the Shabbat `local` falls in (Saturday night, Israel time)."""
    local = local.astimezone(ISRAEL)
    end_day, end_time = SHABBAT_END
    day = local.date() + timedelta(days=(end_day - local.weekday()) % 7)
    return datetime.combine(day, end_time, tzinfo=ISRAEL)
