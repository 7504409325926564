"""The outbox: messages are written with the change they announce and sent after commit.

`enqueue` renders the he/en template and inserts the row in the caller's transaction, so a
message exists exactly when the change does. When that transaction commits, the new rows are
handed to a small background pool; a failed send is retried by the `deliver_notifications` job
and never rolls anything back. Delivery locks each row with `FOR UPDATE SKIP LOCKED`, so the
pool and any number of job runners never send one message twice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, TypedDict
from urllib.parse import urlsplit

from sqlalchemy import Row, RowMapping, bindparam, event, text
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from ofair_app.adapters.messaging import DeliveryError, OutgoingMessage, Sender, get_sender
from ofair_app.db.engine import SYSTEM, Caller, affected, trusted_step, unit_of_work
from ofair_app.domain.consent import MessagePurpose
from ofair_app.domain.errors import Forbidden
from ofair_app.domain.notifying import (
    URGENT,
    EventGroup,
    QuietHours,
    default_enabled,
    default_quiet_hours,
    group_of,
)
from ofair_app.domain.notifying import Channel as NotifyChannel
from ofair_app.i18n import money, normalize_locale, translate
from ofair_app.models import (
    Lead,
    MemberRole,
    Notification,
    OutboxMessage,
    OutboxStatus,
    ProfessionalMember,
    User,
)
from ofair_app.models._base import utcnow
from ofair_app.notifications.templates import TEMPLATES, render
from ofair_app.reference import EARTH_RADIUS_KM
from ofair_app.services import consents, push
from ofair_app.settings import get_settings

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
_PENDING_KEY = "ofair.outbox.pending"


# The Communications Law (§30A) marks every advertising message with this word at its start
# (an e-mail: at the start of its subject), whatever the message's language, and requires a way
# to refuse more; in an SMS the customary wording is "להסרה".
AD_MARK = "פרסומת"
_OPT_OUT = {
    "he": {"sms": "להסרה: {url}",
           "email": "לא רוצים לקבל מאיתנו פרסומות? להסרה בלחיצה אחת: {url}\n"
                    "אפשר גם לכבות את הדיוור בעמוד החשבון."},
    "en": {"sms": "To stop these messages (להסרה): {url}",
           "email": "Don't want our marketing messages? Unsubscribe in one click: {url}\n"
                    "You can also turn them off on your account page."},
}


class MarketingRefused(Forbidden):
    """Marketing to someone without a current opt-in: the outbox refuses it."""

    code, message_key = "marketing_not_allowed", "errors.marketing.no_consent"


def marketing_allowed(session: Session, user_id: uuid.UUID | None) -> bool:
    """Whether `user_id` currently agrees to marketing (the database's own check, the one the
    outbox's policy applies to every insert; it reads consents whoever the caller is)."""
    if user_id is None:
        return False
    return bool(session.execute(text("SELECT marketing_allowed(:u)"), {"u": user_id}).scalar())


def _as_marketing(subject: str, body: str, locale: str, channel: str, user_id: uuid.UUID,
                  now: datetime) -> tuple[str, str]:
    opt_out = _OPT_OUT[locale][channel].format(url=consents.unsubscribe_link(user_id, now=now))
    if channel == "email":
        return f"{AD_MARK}: {subject}", f"{body}\n\n--\n{opt_out}"
    return "", f"{AD_MARK}: {body}\n{opt_out}"


def enqueue(*, session: Session, channel: Literal["sms", "email", "whatsapp"], to: str,
            template: str, locale: str, params: Mapping[str, object],
            user_id: uuid.UUID | None = None, sensitive: bool = False,
            purpose: MessagePurpose = MessagePurpose.transactional,
            hold_until: datetime | None = None, flush: bool = True) -> OutboxMessage:
    """Queue one message in the caller's transaction; it is sent once that transaction commits
    (with `hold_until`, the quiet hours' end, not before then: the job sends it).
    With `flush=False` the row is written by the session's next flush (a batch of messages in
    one INSERT); the commit flushes before the message is handed to the sender.
    A WhatsApp message carries the SMS text for reading and the template's values for Meta.

    A marketing message needs its recipient's `user_id` and their current opt-in
    (MarketingRefused, 403, otherwise; the outbox's policy refuses it in the database too); it
    gets the advertising mark and a one-click unsubscribe link."""
    locale = normalize_locale(locale)
    if purpose == MessagePurpose.marketing and not marketing_allowed(session, user_id):
        raise MarketingRefused()
    # Every column is set here: the sender may not read the outbox back (no INSERT … RETURNING).
    now = utcnow()
    subject, body = render(template, locale, "sms" if channel == "whatsapp" else channel,
                           **params)
    if purpose == MessagePurpose.marketing and user_id is not None:  # None was refused above
        subject, body = _as_marketing(subject, body, locale, channel, user_id, now)
    values = {key: str(value) for key, value in params.items()} if channel == "whatsapp" else {}
    held = hold_until is not None and hold_until > now
    message = OutboxMessage(channel=channel, to_address=to, template=template, locale=locale,
                            subject=subject[:200], body=body, params=values,
                            sensitive=sensitive, user_id=user_id,
                            next_attempt_at=hold_until if held else now, created_at=now,
                            purpose=purpose.value)
    session.add(message)
    if flush:
        session.flush()
    if not held:
        session.info.setdefault(_PENDING_KEY, []).append(message.id)
    return message


def send_marketing(*, session: Session, caller: Caller, template: str,
                   params: Params, user_ids: Iterable[uuid.UUID]) -> dict[str, int]:
    """Queue a marketing message to each of `user_ids` who currently opted in (by SMS, or by
    e-mail when they have no phone), each with the advertising mark and an unsubscribe link;
    the others are skipped and counted. Admins only (403 otherwise)."""
    if caller.role != "admin":
        raise Forbidden("errors.admin_only", code="admin_only")
    counts = {"queued": 0, "skipped": 0}
    with trusted_step(session, caller):
        for user_id in dict.fromkeys(user_ids):
            user = session.get(User, user_id)
            if user is None or not user.is_active or not marketing_allowed(session, user.id):
                counts["skipped"] += 1
                continue
            values = dict(params(user.locale) if callable(params) else params)
            channel: Literal["sms", "email"] = "sms" if user.phone else "email"
            enqueue(session=session, channel=channel, to=user.phone or user.email or "",
                    template=template, locale=user.locale, params=values, user_id=user.id,
                    purpose=MessagePurpose.marketing)
            counts["queued"] += 1
    return counts


Params = Mapping[str, object] | Callable[[str], Mapping[str, object]]


@dataclass(frozen=True)
class Notice:
    """One message to tell: to these users, the owners of these businesses and, with
    `admins`, every active admin. Never the caller, unless `to_caller` (a request addressed
    to the very person whose move caused it, such as the review request to an owner who just
    closed the job)."""

    template: str
    params: Params
    users: tuple[uuid.UUID, ...] = ()
    businesses: tuple[uuid.UUID, ...] = ()
    admins: bool = False
    to_caller: bool = False


def tell(*, session: Session, caller: Caller, template: str, params: Params,
         users: Iterable[uuid.UUID] = (), businesses: Iterable[uuid.UUID] = (),
         admins: bool = False, to_caller: bool = False) -> None:
    """Tell people the caller may not look up (the other side of a deal): the given users and
    the owners of the given businesses (and, with `admins`, every admin), each once, never the
    caller (unless `to_caller`). Each gets the notice in their notification center and on the
    channels they chose (domain/notifying). Their addresses and choices are read in a trusted
    step of the caller's transaction, so the notices exist exactly when the change does."""
    tell_all(session=session, caller=caller, notices=[Notice(
        template=template, params=params, users=tuple(users), businesses=tuple(businesses),
        admins=admins, to_caller=to_caller)])


# What routing needs of a person (`Recipient`), and whether their account is closed: a batch
# reads these columns, not whole users.
_PERSON = (col(User.id), col(User.phone), col(User.email), col(User.locale),
           col(User.closed_at))
# The owners of businesses `businesses` (built once: webhook batches ask it all the time).
_OWNERS = (sa_select(col(ProfessionalMember.professional_id), *_PERSON)
           .join(User, col(ProfessionalMember.user_id) == User.id)
           .where(col(ProfessionalMember.professional_id).in_(
               bindparam("businesses", expanding=True)),
               col(ProfessionalMember.role) == MemberRole.owner)
           .order_by(col(User.id)))
_PEOPLE = sa_select(*_PERSON).where(col(User.id).in_(bindparam("ids", expanding=True)))
_ADMINS = sa_select(*_PERSON).where(col(User.role) == "admin", col(User.is_active).is_(True))


def note_address_holder(*, session: Session, caller: Caller, template: str,
                        params: Mapping[str, object], phone: str | None = None,
                        email: str | None = None) -> None:
    """A notice in the center of the account holding this phone or e-mail, if any (the message
    itself goes to the address, account or not: the caller sends it)."""
    with trusted_step(session, caller):
        holder = session.exec(select(User).where(
            User.phone == phone if phone else User.email == email,
            col(User.closed_at).is_(None))).first() if (phone or email) else None
        if holder is None or holder.id == caller.user_id:
            return
        locale = normalize_locale(holder.locale)
        now = utcnow()
        session.add(Notification(user_id=holder.id, kind=template,
                                 event_group=group_of(template).value,
                                 title=in_app_title(template, locale, params),
                                 link=link_of(params), notified_at=now, created_at=now))
        session.flush()


def tell_all(*, session: Session, caller: Caller, notices: Iterable[Notice]) -> None:
    """`tell` for many notices at once (a batch of webhooks): every recipient's address and
    choices are read in at most five statements and the rows are written by one flush."""
    notices = list(notices)
    if not notices:
        return
    now = utcnow()
    user_ids = {user_id for notice in notices for user_id in notice.users}
    business_ids = {business for notice in notices for business in notice.businesses}
    with trusted_step(session, caller):
        by_id = {person.id: person for person in session.execute(
            _PEOPLE, {"ids": list(user_ids)}).all()} if user_ids else {}
        owners: dict[uuid.UUID, list[Row[Any]]] = {}
        if business_ids:
            for row in session.execute(_OWNERS, {"businesses": list(business_ids)}).all():
                owners.setdefault(row.professional_id, []).append(row)
        admins = list(session.execute(_ADMINS).all()) \
            if any(notice.admins for notice in notices) else []
        told: list[tuple[Notice, list[Recipient]]] = []
        for notice in notices:
            recipients: dict[uuid.UUID, Row[Any]] = {}
            for user_id in notice.users:
                if user_id in by_id:
                    recipients[user_id] = by_id[user_id]
            for business in notice.businesses:
                for user in owners.get(business, ()):
                    recipients[user.id] = user
            for user in admins if notice.admins else ():
                recipients[user.id] = user
            if not notice.to_caller and caller.user_id is not None:
                recipients.pop(caller.user_id, None)
            told.append((notice, [Recipient.of(person) for person in recipients.values()
                                  if person.closed_at is None]))
        choices = read_choices(session, {person.id for _, people in told for person in people})
        centre: list[dict[str, object]] = []
        messages: list[_OutboxRow] = []
        for notice, people in told:
            for person in people:
                line, sent = _tell(person, notice.template, notice.params, choices, now)
                centre.append(line)
                messages += sent
        _write_told(session, centre, messages, now)
        session.flush()


@dataclass(frozen=True)
class Choices:
    """What a set of people chose: channels per group (absent: the default) and quiet hours."""

    chosen: dict[tuple[uuid.UUID, str, str], bool]
    quiet: dict[uuid.UUID, QuietHours]
    # The browsers each person enabled for push messages (subscription ids).
    devices: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)

    def enabled(self, user: User | Recipient, group: EventGroup,
                channel: NotifyChannel) -> bool:
        value = self.chosen.get((user.id, group.value, channel.value))
        if value is None:
            return default_enabled(group, channel, has_phone=bool(user.phone))
        return value

    def quiet_hours(self, user_id: uuid.UUID) -> QuietHours:
        chosen = self.quiet.get(user_id)
        return chosen if chosen is not None else default_quiet_hours(
            get_settings().notify_quiet_hours)


# Each person's channel choices, quiet hours and push browsers in one statement (a webhook
# batch tells several people at once: three statements were a tenth of its time).
_CHOICES = text("""
    SELECT person.id,
           (SELECT coalesce(json_agg(json_build_array(p.event_group, p.channel, p.enabled)),
                            '[]')
              FROM notification_preferences p WHERE p.user_id = person.id) AS chosen,
           q.enabled AS quiet_enabled, q.starts, q.ends, q.shabbat,
           ARRAY(SELECT s.id FROM push_subscriptions s WHERE s.user_id = person.id
                 ORDER BY s.created_at, s.id) AS devices
      FROM unnest(CAST(:ids AS uuid[])) AS person(id)
      LEFT JOIN notification_quiet_hours q ON q.user_id = person.id
""")


def read_choices(session: Session, user_ids: Iterable[uuid.UUID]) -> Choices:
    """The choices of `user_ids`, in one statement (the caller must be them or the
    platform)."""
    ids = list(set(user_ids))
    if not ids:
        return Choices({}, {})
    chosen: dict[tuple[uuid.UUID, str, str], bool] = {}
    quiet: dict[uuid.UUID, QuietHours] = {}
    devices: dict[uuid.UUID, list[uuid.UUID]] = {}
    for row in session.execute(_CHOICES, {"ids": ids}):
        for group, channel, enabled in row.chosen:
            chosen[(row.id, group, channel)] = enabled
        if row.quiet_enabled is not None:
            quiet[row.id] = QuietHours(enabled=row.quiet_enabled, start=row.starts,
                                       end=row.ends, shabbat=row.shabbat)
        if row.devices:
            devices[row.id] = list(row.devices)
    return Choices(chosen, quiet, devices)


TITLE_IN_MESSAGES = 40


def quoted_title(title: str) -> str:
    """A lead's title as a message quotes it (an SMS has 160 characters)."""
    return title if len(title) <= TITLE_IN_MESSAGES else title[:TITLE_IN_MESSAGES - 1] + "…"


def in_app_title(template: str, locale: str, values: Mapping[str, object]) -> str:
    """The line the notification center shows (`notify.<template>` in the catalog: who did
    what, in a line)."""
    return " ".join(translate(f"notify.{template}", locale, **values).split())[:300]


def link_of(values: Mapping[str, object]) -> str:
    """The page a notice is about: the path of its first link to this site ("" if none)."""
    site = urlsplit(get_settings().ofair_public_url).netloc
    for key, value in values.items():
        if (key == "url" or key.endswith("_url")) and isinstance(value, str):
            parts = urlsplit(value)
            if parts.netloc == site and parts.path.startswith("/"):
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                return path[:300] if not path.startswith("//") else ""
    return ""


# Channels the outbox carries today and the address each needs.
_ADDRESSED: tuple[tuple[NotifyChannel, str], ...] = (
    (NotifyChannel.sms, "phone"), (NotifyChannel.whatsapp, "phone"),
    (NotifyChannel.email, "email"))


@dataclass(frozen=True)
class Recipient:
    """What routing a message needs to know of its person."""

    id: uuid.UUID
    phone: str | None
    email: str | None
    locale: str

    @classmethod
    def of(cls, user: User | RowMapping | Row[Any]) -> Recipient:
        """From a user, or a row with its id, phone, email and locale."""
        if isinstance(user, RowMapping):
            return cls(id=user["id"], phone=user["phone"], email=user["email"],
                       locale=normalize_locale(str(user["locale"] or "he")))
        return cls(id=user.id, phone=user.phone, email=user.email,
                   locale=normalize_locale(str(user.locale or "he")))


class _OutboxRow(TypedDict):
    """An outbox row as `_queue` inserts it: every column set."""

    id: uuid.UUID
    channel: str
    to_address: str
    template: str
    locale: str
    subject: str
    body: str
    sensitive: bool
    user_id: uuid.UUID
    params: dict[str, str]
    purpose: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str
    provider_ref: str


def _tell(person: Recipient, template: str, params: Params, choices: Choices,
          now: datetime) -> tuple[dict[str, object], list[_OutboxRow]]:
    """The notice for `person`'s center, and the outbox rows of a message on each channel they
    chose, for the caller to write with the rest of its batch."""
    values = dict(params(person.locale) if callable(params) else params)
    return ({"id": uuid.uuid4(), "user_id": person.id, "kind": template,
             "event_group": group_of(template).value,
             "title": in_app_title(template, person.locale, values), "link": link_of(values),
             "notified_at": now, "created_at": now},
            _messages(person, template, values, choices, now))


def _messages(person: Recipient, template: str, values: Mapping[str, object],
              choices: Choices, now: datetime, *,
              not_before: datetime | None = None) -> list[_OutboxRow]:
    """The outbox rows of a message on each channel `person` chose for the template's group,
    held until their quiet time ends (urgent ones never wait) and, with `not_before`, until
    then."""
    group = group_of(template)
    start = max(now, not_before) if not_before is not None else now
    hold = None if template in URGENT else choices.quiet_hours(person.id).release_at(start)
    if hold is None and start > now:
        hold = start
    rows: list[_OutboxRow] = []
    for channel, field_name in _ADDRESSED:
        address = getattr(person, field_name)
        if not address or not choices.enabled(person, group, channel):
            continue
        # WhatsApp sends Meta's approved copy of the SMS text (the others are sms and email).
        version: Literal["sms", "email"] = "email" if channel == NotifyChannel.email else "sms"
        if version not in TEMPLATES[template]:
            continue
        subject, body = _render_once(template, person.locale, version, values)
        rows.append({
            "id": uuid.uuid4(), "channel": channel.value, "to_address": address,
            "template": template, "locale": person.locale, "subject": subject[:200],
            "body": body, "sensitive": False, "user_id": person.id,
            "params": ({key: str(value) for key, value in values.items()}
                       if channel == NotifyChannel.whatsapp else {}),
            "purpose": MessagePurpose.transactional.value, "status": OutboxStatus.pending.value,
            "attempts": 0, "next_attempt_at": hold or now, "created_at": now,
            "last_error": "", "provider_ref": ""})
    devices = choices.devices.get(person.id, ())
    if devices and choices.enabled(person, group, NotifyChannel.push):
        # One per browser: the in-app line, opening the page it is about.
        title = in_app_title(template, person.locale, values)[:200]
        for device in devices:
            rows.append({
                "id": uuid.uuid4(), "channel": NotifyChannel.push.value,
                "to_address": str(device), "template": template, "locale": person.locale,
                "subject": title, "body": title, "sensitive": False, "user_id": person.id,
                "params": {"url": link_of(values) or "/notifications", "tag": template},
                "purpose": MessagePurpose.transactional.value,
                "status": OutboxStatus.pending.value, "attempts": 0,
                "next_attempt_at": hold or now, "created_at": now, "last_error": "",
                "provider_ref": ""})
    return rows


def _render_once(template: str, locale: str, channel: Literal["sms", "email"],
                 values: Mapping[str, object]) -> tuple[str, str]:
    try:
        return _rendered(template, locale, channel, tuple(sorted(values.items())))
    except TypeError:  # a value that cannot be a cache key
        return render(template, locale, channel, **values)


@lru_cache(maxsize=256)
def _rendered(template: str, locale: str, channel: Literal["sms", "email"],
              values: tuple[tuple[str, object], ...]) -> tuple[str, str]:
    """`render`, once per text: a fan-out sends the same words to thousands."""
    return render(template, locale, channel, **dict(values))


# A batch's notices and messages in one statement, each set as one JSON document (one string
# for the driver to send, rather than a parameter per column of every row).
_INSERT_TOLD = text("""
    WITH notices AS (
        INSERT INTO notifications (id, user_id, kind, event_group, title, link, notified_at,
                                   created_at)
        SELECT id, user_id, kind, event_group, title, link, notified_at, created_at
          FROM jsonb_to_recordset(CAST(:notices AS jsonb))
               AS r(id uuid, user_id uuid, kind text, event_group text, title text, link text,
                    notified_at timestamptz, created_at timestamptz))
    INSERT INTO outbox_messages (id, channel, to_address, template, locale, subject, body,
                                 params, sensitive, purpose, user_id, status, attempts,
                                 next_attempt_at, created_at, last_error, provider_ref)
    SELECT id, channel, to_address, template, locale, subject, body, params, sensitive,
           purpose, user_id, status, attempts, next_attempt_at, created_at, last_error,
           provider_ref
      FROM jsonb_to_recordset(CAST(:messages AS jsonb))
           AS r(id uuid, channel text, to_address text, template text, locale text,
                subject text, body text, params jsonb, sensitive boolean, purpose text,
                user_id uuid, status text, attempts integer, next_attempt_at timestamptz,
                created_at timestamptz, last_error text, provider_ref text)
""")


def _write_told(session: Session, notices: list[dict[str, object]], messages: list[_OutboxRow],
                now: datetime) -> None:
    """Write notices and outbox rows in one statement; the messages not held go out after the
    commit."""
    if not notices and not messages:
        return
    session.execute(_INSERT_TOLD, {"notices": json.dumps(notices, default=str),
                                   "messages": json.dumps(messages, default=str)})
    session.info.setdefault(_PENDING_KEY, []).extend(
        row["id"] for row in messages if row["next_attempt_at"] <= now)


def _queue(session: Session, rows: list[_OutboxRow], now: datetime) -> None:
    """Write outbox rows (see `_write_told`)."""
    _write_told(session, [], rows, now)


# Members of the businesses a new lead suits: its category, their service area reaches it
# (haversine, km), not suspended, never the lead's own business or its owner. Someone in two
# such businesses is told once, as a subscriber if either subscribes.
_MATCHED = """
    WITH matched AS (
        SELECT DISTINCT ON (u.id) u.id AS user_id, u.locale,
               COALESCE(p.subscribed_until > :now, false) AS subscriber
          FROM professionals p
          JOIN professional_members m ON m.professional_id = p.id
          JOIN users u ON u.id = m.user_id
         WHERE p.category_slug = :category AND p.status <> 'suspended'
           AND p.id IS DISTINCT FROM :owner_business AND u.id <> :owner_user
           AND u.is_active AND u.closed_at IS NULL
           AND 2 * :earth_km * asin(sqrt(
                 power(sin(radians(p.lat - :lat) / 2), 2)
                 + cos(radians(:lat)) * cos(radians(p.lat))
                 * power(sin(radians(p.lon - :lon) / 2), 2))) <= p.service_radius_km
         ORDER BY u.id, COALESCE(p.subscribed_until > :now, false) DESC)
"""
_INSERT_MATCHED = """
    INSERT INTO notifications (user_id, kind, event_group, title, link, notified_at, created_at)
    SELECT user_id, 'new_lead', 'leads',
           CASE WHEN locale = 'en' THEN :title_en ELSE :title_he END, :link,
           CASE WHEN subscriber THEN :now ELSE :later END, :now
      FROM matched
"""
# Of those, the people who chose a channel for new leads (the default is the app alone), or
# enabled a browser for push messages (on by default).
_MATCHED_WITH_CHANNELS = """
    SELECT u.id, u.phone, u.email, u.locale, matched.subscriber
      FROM matched JOIN users u ON u.id = matched.user_id
     WHERE EXISTS (SELECT 1 FROM notification_preferences n
                    WHERE n.user_id = matched.user_id AND n.event_group = 'leads'
                      AND n.enabled AND n.channel <> 'push')
        OR EXISTS (SELECT 1 FROM push_subscriptions s WHERE s.user_id = matched.user_id)
"""
_ANNOUNCE = text(_MATCHED + _INSERT_MATCHED)
_CHOSE_CHANNEL = text(_MATCHED + _MATCHED_WITH_CHANNELS)


def announce_lead(*, session: Session, caller: Caller, lead: Lead, title: str,
                  budget: Decimal | None) -> int:
    """Tell the businesses a new lead on the board suits (see `_MATCHED`): subscribers at once
    and the others NOTIFY_PRIORITY_MINUTES later, in their center and on any channel they
    chose for new leads. One INSERT for the whole fan-out; returns how many were told."""
    now = utcnow()
    later = now + timedelta(minutes=get_settings().notify_priority_minutes)
    link = f"/pro/leads/{lead.id}"
    url = f"{get_settings().ofair_public_url.rstrip('/')}{link}"

    def values(locale: str) -> dict[str, object]:
        return {"lead_title": title, "lead_url": url,
                "budget": money(budget, locale) if budget is not None else "—"}

    match = {"now": now, "earth_km": EARTH_RADIUS_KM, "category": lead.category_slug,
             "owner_user": lead.owner_user_id, "owner_business": lead.owner_professional_id,
             "lat": lead.lat, "lon": lead.lon}
    with trusted_step(session, caller):
        told = affected(session.execute(_ANNOUNCE, match | {
            "later": later, "link": link,
            "title_he": in_app_title("new_lead", "he", values("he")),
            "title_en": in_app_title("new_lead", "en", values("en"))}))
        chose = session.execute(_CHOSE_CHANNEL, match).mappings().all()
        if chose:
            choices = read_choices(session, [row["id"] for row in chose])
            by_locale = {locale: values(locale) for locale in ("he", "en")}
            messages: list[_OutboxRow] = []
            for row in chose:
                person = Recipient.of(row)
                messages += _messages(person, "new_lead", by_locale[person.locale], choices,
                                      now, not_before=None if row["subscriber"] else later)
            _queue(session, messages, now)
    return told


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if ids:
        _dispatcher.submit(ids)


@event.listens_for(OrmSession, "after_soft_rollback")
def _after_rollback(session: OrmSession, previous_transaction: object) -> None:
    session.info.pop(_PENDING_KEY, None)


class _Dispatcher:
    """Sends freshly committed messages off the request's thread. Messages committed while a
    delivery is under way wait for it and go together in the next one (one transaction for
    up to `DELIVERY_BATCH` messages), so a burst of commits costs a few transactions, not one
    each. After each delivery it stays `gather_seconds` before it ends, and what comes
    meanwhile goes together in the next delivery: a stream of commits (a webhook batch every few
    milliseconds) costs a delivery every `gather_seconds`, not one each. A message that finds
    the dispatcher idle goes at once."""

    gather_seconds = 0.02

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._futures: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._queued: list[uuid.UUID] = []
        self._draining = False

    def submit(self, ids: list[uuid.UUID]) -> None:
        with self._lock:
            self._queued.extend(ids)
            if self._draining:  # the delivery under way takes these too
                return
            self._draining = True
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ofair-outbox")
            future = self._pool.submit(self._drain)
            self._futures.add(future)
            future.add_done_callback(self._done)

    def _drain(self) -> None:
        try:
            delivered = False
            while True:
                if delivered:  # stay a moment: what comes meanwhile goes in one delivery
                    time.sleep(self.gather_seconds)
                with self._lock:
                    ids = self._queued[:DELIVERY_BATCH]
                    del self._queued[:DELIVERY_BATCH]
                    if not ids:
                        self._draining = False
                        return
                delivered = True
                try:
                    _deliver_ids(ids)
                except Exception:  # the job retries whatever was left pending
                    logger.exception("outbox delivery failed")
        except BaseException:
            with self._lock:
                self._draining = False
            raise

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)
        if future.exception() is not None:
            logger.error("outbox delivery failed", exc_info=future.exception())

    def drain(self, timeout: float = 10.0) -> None:
        """Wait for in-flight deliveries (tests and shutdown)."""
        with self._lock:
            futures = set(self._futures)
        wait(futures, timeout=timeout)


DELIVERY_BATCH = 200
_dispatcher = _Dispatcher()
drain = _dispatcher.drain


@dataclass
class Delivery:
    """An outbox row being delivered: what sending reads, and what it changes (written back by
    `_write_delivered`). A delivery reads these columns, not whole `OutboxMessage` entities."""

    id: uuid.UUID
    channel: str
    to_address: str
    template: str
    locale: str
    subject: str
    body: str
    params: dict[str, Any]
    sensitive: bool
    purpose: str
    user_id: uuid.UUID | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    provider_ref: str
    sent_at: datetime | None
    wiped: bool = False  # the body is dropped when written back


_DELIVERY_COLUMNS = tuple(col(getattr(OutboxMessage, column.name))
                          for column in fields(Delivery) if column.name != "wiped")
_PENDING = (sa_select(*_DELIVERY_COLUMNS)
            .where(col(OutboxMessage.status) == OutboxStatus.pending,
                   col(OutboxMessage.next_attempt_at) <= bindparam("now"))
            .with_for_update(skip_locked=True))
# Freshly committed messages (the dispatcher), and those due (the job), locked.
_PENDING_BY_ID = (_PENDING.where(col(OutboxMessage.id).in_(bindparam("ids", expanding=True)))
                  .order_by(col(OutboxMessage.id)))
_PENDING_DUE = _PENDING.order_by(col(OutboxMessage.next_attempt_at)).limit(bindparam("limit"))


def _deliveries(session: Session, statement: Any, params: dict[str, Any]) -> list[Delivery]:
    return [Delivery(**row._mapping) for row in session.execute(statement, params)]


def _deliver_ids(ids: list[uuid.UUID]) -> None:
    sender = get_sender()
    with unit_of_work(SYSTEM, hot_path=True) as session:
        deliveries = _deliveries(session, _PENDING_BY_ID, {"ids": ids, "now": utcnow()})
        for delivery in deliveries:
            _deliver(session, delivery, sender, utcnow())
        _write_delivered(session, deliveries)


def deliver_due(*, session: Session, now: datetime, limit: int = 200,
                sender: Sender | None = None) -> dict[str, int]:
    """Send messages whose next attempt is due (the `deliver_notifications` job). Run as system."""
    sender = sender or get_sender()
    deliveries = _deliveries(session, _PENDING_DUE, {"now": now, "limit": limit})
    counts = {"sent": 0, "logged": 0, "retry": 0, "failed": 0}
    for delivery in deliveries:
        counts[_deliver(session, delivery, sender, now)] += 1
    _write_delivered(session, deliveries)
    return counts


# What a delivery did to its messages, one statement for the lot.
_DELIVERED = text("""
    UPDATE outbox_messages m
    SET status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at,
        last_error = v.last_error, provider_ref = v.provider_ref, sent_at = v.sent_at,
        body = CASE WHEN v.wiped THEN '' ELSE m.body END
    FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:attempts AS int[]),
                CAST(:next_attempts AS timestamptz[]), CAST(:errors AS text[]),
                CAST(:references AS text[]), CAST(:sent AS timestamptz[]),
                CAST(:wiped AS boolean[]))
        AS v(id, status, attempts, next_attempt_at, last_error, provider_ref, sent_at, wiped)
    WHERE m.id = v.id
""")


def _write_delivered(session: Session, deliveries: Sequence[Delivery]) -> None:
    """Store what `_deliver` changed on these messages (locked by the caller), in one
    statement."""
    if not deliveries:
        return
    session.execute(_DELIVERED, {
        "ids": [delivery.id for delivery in deliveries],
        "statuses": [str(delivery.status) for delivery in deliveries],
        "attempts": [delivery.attempts for delivery in deliveries],
        "next_attempts": [delivery.next_attempt_at for delivery in deliveries],
        "errors": [delivery.last_error for delivery in deliveries],
        "references": [delivery.provider_ref for delivery in deliveries],
        "sent": [delivery.sent_at for delivery in deliveries],
        "wiped": [delivery.wiped for delivery in deliveries]})


def _deliver(session: Session, message: Delivery, sender: Sender, now: datetime) -> str:
    if (message.purpose == MessagePurpose.marketing
            and not marketing_allowed(session, message.user_id)):
        # The person withdrew between queueing and sending: never send it.
        message.status = OutboxStatus.failed
        message.last_error = "marketing consent withdrawn"
        message.wiped = True
        return "failed"
    outgoing = OutgoingMessage(channel=message.channel, to=message.to_address,  # type: ignore[arg-type]
                               subject=message.subject, body=message.body,
                               message_id=str(message.id), template=message.template,
                               locale=message.locale, params=message.params or {})
    message.attempts += 1
    try:
        if message.channel == "push":
            reference = push.send_one(session=session, message=message) or ""
        else:
            reference = sender.send(outgoing) or ""
    except DeliveryError as error:
        message.last_error = str(error)[:1000]
        if error.permanent or message.attempts >= MAX_ATTEMPTS:
            message.status = OutboxStatus.failed
            outcome = "failed"
        else:
            # 1, 2, 4 … minutes, at most an hour between tries.
            delay = min(timedelta(minutes=2 ** (message.attempts - 1)), timedelta(hours=1))
            message.next_attempt_at = now + delay
            outcome = "retry"
        logger.warning("message %s to %s: %s (%s)", message.id, message.channel, error, outcome)
    else:
        message.provider_ref = reference[:200]
        message.sent_at = now
        message.last_error = ""
        if reference == "console":
            # Development: the console printed it; keep the body so a developer can read it.
            message.status = OutboxStatus.logged
            outcome = "logged"
        else:
            message.status = OutboxStatus.sent
            outcome = "sent"
            if message.sensitive:
                message.wiped = True  # a provider has the code now; don't keep it in clear
    return outcome


def purge_delivered(*, session: Session, now: datetime, keep: timedelta) -> int:
    """Forget delivered messages older than `keep`, and the login codes in console messages."""
    # The table's DELETE (not the ORM's, which would sync the session). SQLModel's stubs do not
    # declare the `__table__` SQLAlchemy's declarative mapping sets on every table model.
    result = session.execute(
        OutboxMessage.__table__.delete().where(  # type: ignore[attr-defined]
            col(OutboxMessage.status).in_(["sent", "logged", "failed"]),
            col(OutboxMessage.created_at) < now - keep,
        )
    )
    return affected(result)
