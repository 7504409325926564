"""The admin's audit timeline (issue 18 point 4): each of its four sources is read newest
first, by whom, page by page; these indexes let each answer from its first rows.

Revision ID: 0018_audit_timeline
Revises: 0017_readiness
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018_audit_timeline"
down_revision: str | None = "0017_readiness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("admin_audit_log_recent", "admin_audit_log", "(created_at DESC, id DESC)"),
    ("admin_audit_log_actor", "admin_audit_log", "(actor_user_id, created_at DESC, id DESC)"),
    ("contact_access_logs_recent", "contact_access_logs", "(created_at DESC, id DESC)"),
    ("contact_access_logs_user", "contact_access_logs", "(user_id, created_at DESC, id DESC)"),
    ("phone_revelations_recent", "phone_revelations", "(created_at DESC, id DESC)"),
    ("phone_revelations_user", "phone_revelations", "(user_id, created_at DESC, id DESC)"),
    ("performer_contact_reveals_recent", "performer_contact_reveals",
     "(created_at DESC, id DESC)"),
    ("performer_contact_reveals_user", "performer_contact_reveals",
     "(user_id, created_at DESC, id DESC)"),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


def downgrade() -> None:
    for name, _, _ in _INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
