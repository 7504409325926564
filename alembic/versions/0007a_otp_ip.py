"""Login codes remember where they were asked from, so sends can be budgeted per network.

Revision ID: 0007a
Revises: 0007
Create Date: 2026-12-01

- `otp_codes.requester_ip`: the network that asked for a login code (an IPv4 address, or the
  /64 of an IPv6 one), or NULL for codes a signed-in user asked for (a new e-mail address).
  Indexed for the per-network hourly count, with a partial index for the platform-wide hourly
  count of text messages.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007a"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("otp_codes", sa.Column("requester_ip", sa.String(64)))
    op.execute("""
        CREATE INDEX otp_codes_requester_created ON otp_codes (requester_ip, created_at)
            WHERE requester_ip IS NOT NULL;
        CREATE INDEX otp_codes_sms_created ON otp_codes (created_at) WHERE channel = 'sms';
    """)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS otp_codes_sms_created")
    op.execute("DROP INDEX IF EXISTS otp_codes_requester_created")
    op.drop_column("otp_codes", "requester_ip")
