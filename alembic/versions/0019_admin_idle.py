"""Admin sessions end after inactivity (issue 18 point 6): a token remembers when it was last
used (to the minute), and an admin's token unused for ADMIN_SESSION_IDLE_MINUTES is refused.

Revision ID: 0019_admin_idle
Revises: 0018_audit_timeline
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0019_admin_idle"
down_revision: str | None = "0018_audit_timeline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("auth_tokens", sa.Column("last_used_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("auth_tokens", "last_used_at")
