"""The admin audit log: one append-only row per admin action (the app role cannot change it)."""

from __future__ import annotations

from sqlmodel import Session

from ofair_app.db.engine import Caller
from ofair_app.models import AdminAuditLog


def record(*, session: Session, caller: Caller, action: str, subject_type: str,
           subject_id: object, detail: dict | None = None, ip: str = "") -> AdminAuditLog:
    row = AdminAuditLog(actor_user_id=caller.user_id, action=action, subject_type=subject_type,
                        subject_id=str(subject_id), detail=detail or {}, ip=ip[:64])
    session.add(row)
    session.flush()
    return row
