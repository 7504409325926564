"""The audit trail: one append-only row per admin action and per security-relevant event of a
person (logins, failed login codes, exports, closing an account). The app role can add rows but
never change them; only the platform blanks a closed account's network addresses.

What an incident review reads (README, "Security incidents"): this table, plus the three logs of
who saw whose contact details (`contact_access_logs`, `phone_revelations`,
`performer_contact_reveals`), merged by `trail` and printed by `python -m ofair_app audit`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import AwareDatetime
from sqlalchemy import Row, text
from sqlmodel import Session

from ofair_app.db.engine import Caller, trusted_step
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.periods import day_of
from ofair_app.domain.tax import ISRAEL
from ofair_app.models import AdminAuditLog


def record(*, session: Session, caller: Caller, action: str, subject_type: str,
           subject_id: object, detail: dict[str, object] | None = None,
           ip: str = "") -> AdminAuditLog:
    row = AdminAuditLog(actor_user_id=caller.user_id, action=action, subject_type=subject_type,
                        subject_id=str(subject_id), detail=detail or {}, ip=ip[:64])
    session.add(row)
    session.flush()
    return row


def change(*, session: Session, caller: Caller, action: str, subject_type: str,
           subject_id: object, before: Mapping[str, object], after: Mapping[str, object],
           ip: str = "", **detail: object) -> AdminAuditLog:
    """An admin changed something: what it was before and what it is after, beside the rest
    of `detail` (every state-changing admin action is recorded this way)."""
    def one(value: object) -> object:
        if isinstance(value, (list, tuple)):
            return [one(item) for item in value]
        return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)

    def plain(values: Mapping[str, object]) -> dict[str, object]:
        return {key: one(value) for key, value in values.items()}

    return record(session=session, caller=caller, action=action, subject_type=subject_type,
                  subject_id=subject_id, ip=ip,
                  detail={"before": plain(before), "after": plain(after), **plain(detail)})


def security_event(*, session: Session, caller: Caller, action: str,
                   user_id: uuid.UUID | None, ip: str = "",
                   detail: dict[str, object] | None = None,
                   subject_type: str = "user", subject_id: object = None) -> None:
    """Record what a person (or someone trying to be them) did. Written by the platform, since
    people may not write the audit table themselves; `caller` is who the session acts for, and
    it acts for them again afterwards. Never put a phone, an e-mail or a code in `detail`."""
    row = AdminAuditLog(actor_user_id=user_id, action=action, subject_type=subject_type,
                        subject_id=str(subject_id if subject_id is not None else user_id),
                        detail=detail or {}, ip=(ip or "")[:64])
    if caller.role == "system":
        session.add(row)
        session.flush()
        return
    with trusted_step(session, caller):
        session.add(row)
        session.flush()


def target_digest(value: str) -> str:
    """A stable digest of a phone or an e-mail: groups failed attempts on one target without
    keeping the target itself."""
    return hashlib.sha256(("ofair.audit.target\n" + value).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    source: str  # admin_audit_log | contact_access_logs | phone_revelations | …
    action: str
    actor_user_id: uuid.UUID | None
    subject: str
    ip: str
    detail: str


_TRAIL = text("""
    SELECT created_at AS at, 'admin_audit_log' AS source, action, actor_user_id AS actor,
           subject_type || ':' || subject_id AS subject, ip, detail::text AS detail
      FROM admin_audit_log
     WHERE created_at >= :since AND created_at < :until
       AND (CAST(:user_id AS uuid) IS NULL OR actor_user_id = CAST(:user_id AS uuid)
            OR (subject_type = 'user' AND subject_id = CAST(:user_id AS text)))
    UNION ALL
    SELECT c.created_at, 'contact_access_logs', 'contact.' || c.event || '.' || c.reason,
           c.user_id, 'lead:' || c.lead_id, c.ip, c.user_agent
      FROM contact_access_logs c
     WHERE c.created_at >= :since AND c.created_at < :until
       AND (CAST(:user_id AS uuid) IS NULL OR c.user_id = CAST(:user_id AS uuid)
            OR c.lead_id IN (SELECT id FROM leads WHERE owner_user_id = CAST(:user_id AS uuid)))
    UNION ALL
    SELECT p.created_at, 'phone_revelations', 'phone.revealed', p.user_id,
           'lead:' || p.lead_id, p.ip, p.user_agent
      FROM phone_revelations p
     WHERE p.created_at >= :since AND p.created_at < :until
       AND (CAST(:user_id AS uuid) IS NULL OR p.user_id = CAST(:user_id AS uuid)
            OR p.lead_id IN (SELECT id FROM leads WHERE owner_user_id = CAST(:user_id AS uuid)))
    UNION ALL
    SELECT r.created_at, 'performer_contact_reveals', 'performer.revealed.' || r.reason,
           r.user_id, 'lead:' || r.lead_id, r.ip, r.user_agent
      FROM performer_contact_reveals r
     WHERE r.created_at >= :since AND r.created_at < :until
       AND (CAST(:user_id AS uuid) IS NULL OR r.user_id = CAST(:user_id AS uuid))
    ORDER BY 1, 2
    LIMIT :limit
""")


def trail(*, session: Session, caller: Caller, since: datetime, until: datetime,
          user_id: uuid.UUID | None = None, limit: int = 10000) -> list[TrailEntry]:
    """Every audited event in [since, until), for one person (as actor, or as the one whose
    data was touched) or for everyone. Admins and the platform only (row-level security shows
    nobody else these tables whole)."""
    if caller.role not in ("admin", "system"):
        from ofair_app.domain.errors import Forbidden

        raise Forbidden()
    rows = session.execute(_TRAIL, {"since": since, "until": until, "limit": limit,
                                    "user_id": str(user_id) if user_id else None}).all()
    return [TrailEntry(at=row.at, source=row.source, action=row.action,
                       actor_user_id=row.actor, subject=row.subject, ip=row.ip or "",
                       detail=row.detail or "") for row in rows]


# --- the admin's timeline (/admin/audit, GET /admin/audit) ---------------------------------


@dataclass(frozen=True)
class AuditQuery:
    """What the timeline is narrowed to; empty fields narrow nothing."""

    actor: uuid.UUID | None = None  # who acted (or whose reveal it was)
    action: str = ""  # a prefix: "settlement.", "contact.read", "phone."
    subject: str = ""  # a prefix: "lead:<id>", "user:<id>", "professional:"
    ip: str = ""  # a prefix: "10.1."
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    source: str  # admin_audit_log | contact_access_logs | phone_revelations | performer_…
    id: int
    at: datetime
    action: str
    actor_user_id: uuid.UUID | None
    actor_name: str
    subject: str
    ip: str
    detail: str


AUDIT_CURSOR = CursorCodec("audit", tuple[AwareDatetime, str, int])
AUDIT_PAGE_MAX = 200

# Each source is narrowed and cut on its own (its index on created_at, id), then the merge is
# ordered newest first with a stable tie-break (source, id): the cursor is that triple.
_BRANCH = """
    (SELECT {at} AS at, '{source}' AS source, {id} AS id, {action} AS action,
            {actor} AS actor, {subject} AS subject, {ip} AS ip, {detail} AS detail
       FROM {table}
      WHERE (CAST(:actor AS uuid) IS NULL OR {actor} = CAST(:actor AS uuid))
        AND (CAST(:since AS timestamptz) IS NULL OR {at} >= CAST(:since AS timestamptz))
        AND (CAST(:until AS timestamptz) IS NULL OR {at} < CAST(:until AS timestamptz))
        AND starts_with({action}, :action) AND starts_with({subject}, :subject)
        AND starts_with({ip}, :ip)
        AND (CAST(:c_at AS timestamptz) IS NULL OR {at} < CAST(:c_at AS timestamptz)
             OR ({at} = CAST(:c_at AS timestamptz)
                 AND ('{source}' < :c_source OR ('{source}' = :c_source AND {id} < :c_id))))
      ORDER BY {at} DESC, {id} DESC
      {limit})
"""
_SOURCES = (
    dict(source="admin_audit_log", table="admin_audit_log", at="created_at", id="id",
         action="action", actor="actor_user_id",
         subject="(subject_type || ':' || subject_id)", ip="ip", detail="detail::text"),
    dict(source="contact_access_logs", table="contact_access_logs", at="created_at", id="id",
         action="('contact.' || event || '.' || reason)", actor="user_id",
         subject="('lead:' || lead_id)", ip="ip", detail="user_agent"),
    dict(source="phone_revelations", table="phone_revelations", at="created_at", id="id",
         action="'phone.revealed'", actor="user_id", subject="('lead:' || lead_id)", ip="ip",
         detail="user_agent"),
    dict(source="performer_contact_reveals", table="performer_contact_reveals",
         at="created_at", id="id", action="('performer.revealed.' || reason)",
         actor="user_id", subject="('lead:' || lead_id)", ip="ip", detail="user_agent"),
)


def _timeline_sql(limited: bool) -> str:
    limit = "LIMIT :limit" if limited else ""
    branches = " UNION ALL ".join(_BRANCH.format(**source, limit=limit) for source in _SOURCES)
    # built from this module's constants only; every value is a bound parameter
    return (
        "SELECT t.*, coalesce(u.name, '') AS actor_name"  # noqa: S608
        f" FROM ({branches}) AS t LEFT JOIN users u ON u.id = t.actor"
        f" ORDER BY t.at DESC, t.source DESC, t.id DESC {limit}")


_TIMELINE_PAGE = text(_timeline_sql(limited=True))
_TIMELINE_ALL = text(_timeline_sql(limited=False))


def narrowing(*, session: Session, who: str | None = None, action: str = "", subject: str = "",
              ip: str = "", since: date | str | None = None,
              until: date | str | None = None) -> AuditQuery | None:
    """The narrowing an admin asked for (days are Israel's, both ends included); None when it
    names a person nobody is (nothing can match). `InvalidInput` for a `who` that is no user
    id, phone or e-mail, a day that is no day, or days the wrong way round."""
    from ofair_app.services import users

    first, last = day_of(since, "since"), day_of(until, "until")
    if first and last and first > last:
        raise InvalidInput(fields={"until": "errors.field.until_before_since"})
    actor = None
    if who and who.strip():
        actor = users.find_user_id(session=session, who=who.strip())
        if actor is None:
            return None
    return AuditQuery(
        actor=actor, action=action.strip(), subject=subject.strip(), ip=ip.strip(),
        since=datetime.combine(first, time(), tzinfo=ISRAEL) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), tzinfo=ISRAEL)
        if last else None)


def _parameters(query: AuditQuery,
                after: tuple[datetime, str, int] | None) -> dict[str, object]:
    c_at, c_source, c_id = after or (None, "", 0)
    return {"actor": str(query.actor) if query.actor else None, "since": query.since,
            "until": query.until, "action": query.action, "subject": query.subject,
            "ip": query.ip, "c_at": c_at, "c_source": c_source, "c_id": c_id}


def _row(row: Row[Any]) -> AuditRow:
    return AuditRow(source=row.source, id=row.id, at=row.at, action=row.action,
                    actor_user_id=row.actor, actor_name=row.actor_name, subject=row.subject,
                    ip=row.ip or "", detail=row.detail or "")


def timeline(*, session: Session, caller: Caller, query: AuditQuery, cursor: str | None = None,
             limit: int = 50) -> tuple[list[AuditRow], str | None]:
    """Every admin action and every reveal of personal details, newest first, narrowed by
    `query`: a page of `limit` and the cursor of the next (admins only: 403)."""
    from ofair_app.services import users

    users.require_admin(caller)
    limit = max(1, min(limit, AUDIT_PAGE_MAX))
    after = AUDIT_CURSOR.decode(cursor) if cursor else None
    rows = [_row(r) for r in session.execute(
        _TIMELINE_PAGE, {**_parameters(query, after), "limit": limit + 1}).all()]
    next_cursor = (AUDIT_CURSOR.encode((rows[limit - 1].at, rows[limit - 1].source,
                                        rows[limit - 1].id)) if len(rows) > limit else None)
    return rows[:limit], next_cursor


def timeline_all(*, session: Session, caller: Caller, query: AuditQuery) -> Iterator[AuditRow]:
    """The whole narrowed timeline, newest first, read from the database in batches (for an
    export: never all in memory)."""
    from ofair_app.services import users

    users.require_admin(caller)
    result = session.execute(_TIMELINE_ALL.execution_options(yield_per=2000),
                             _parameters(query, None))
    for row in result:
        yield _row(row)


EXPORT_COLUMNS = ("at", "action", "actor", "actor_name", "subject", "ip", "detail", "source")


def export_row(row: AuditRow) -> list[object]:
    return [row.at, row.action, str(row.actor_user_id or ""), row.actor_name, row.subject,
            row.ip, row.detail, row.source]
