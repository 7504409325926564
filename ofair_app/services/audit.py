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
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from ofair_app.db.engine import Caller, trusted_step
from ofair_app.models import AdminAuditLog


def record(*, session: Session, caller: Caller, action: str, subject_type: str,
           subject_id: object, detail: dict | None = None, ip: str = "") -> AdminAuditLog:
    row = AdminAuditLog(actor_user_id=caller.user_id, action=action, subject_type=subject_type,
                        subject_id=str(subject_id), detail=detail or {}, ip=ip[:64])
    session.add(row)
    session.flush()
    return row


def security_event(*, session: Session, caller: Caller, action: str,
                   user_id: uuid.UUID | None, ip: str = "", detail: dict | None = None,
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
