"""Readiness (issue 18 point 7): the application role may read which migration the schema is
at (`alembic_version`), so `GET /api/v1/health/ready` can tell a database behind the code.

Revision ID: 0017_readiness
Revises: 0016_receipts
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from ofair_app.db.rls import quoted_app_role

revision: str = "0017_readiness"
down_revision: str | None = "0016_receipts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(f"GRANT SELECT ON alembic_version TO {quoted_app_role(op)}")


def downgrade() -> None:
    op.execute(f"REVOKE SELECT ON alembic_version FROM {quoted_app_role(op)}")
