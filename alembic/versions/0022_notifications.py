"""The notification center, preferences and quiet hours (issue 19 points 1, 2 and 4).

Revision ID: 0022_notifications
Revises: 0021_kpis
Create Date: 2026-12-02

- `notifications`: one row per person and event, in their language, with the page it is about.
  Only its person reads it and marks it read (the one column they may change is `read_at`);
  rows are written by the platform (the `system` role: a trusted step of the change they
  announce); admins read none of them, these are the person's own. A new lead
  reaches subscribers first: `notified_at` is when a row shows (later for other businesses).
- `notification_preferences`: a person's choice per group of events and channel; no row means
  the default (domain/notifying.default_enabled). Each person reads and writes only their own
  (and the platform, which reads them to route a message).
- `notification_quiet_hours`: a person's quiet hours and whether Shabbat is held; no row means
  22:00–07:00 and Shabbat not held. Own rows only.
- `outbox_messages`: the WhatsApp channel (a template's parameters travel in `params`, since
  Meta sends an approved template, not our text); a message held for quiet hours is a pending
  row whose `next_attempt_at` is the end of the quiet time.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role
from ofair_app.domain.notifying import CHANNELS, GROUPS

revision: str = "0022_notifications"
down_revision: str | None = "0021_kpis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def upgrade() -> None:
    app = quoted_app_role(op)
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("event_group", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("link", sa.String(300), nullable=False, server_default=""),
        sa.Column("notified_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("read_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(_in("event_group", GROUPS), name="notifications_group"),
        sa.CheckConstraint("link = '' OR (link LIKE '/%' AND link NOT LIKE '//%')",
                           name="notifications_link_path"),
    )
    op.execute("""
        -- The list, newest first, and the bell's count.
        CREATE INDEX notifications_user_list ON notifications (user_id, notified_at DESC, id DESC);
        CREATE INDEX notifications_user_unread ON notifications (user_id, notified_at)
            WHERE read_at IS NULL;
        -- The retention sweep.
        CREATE INDEX notifications_notified_at ON notifications (notified_at);
    """)
    force_rls(op, "notifications", app, "SELECT, INSERT, DELETE")
    op.execute(f"""
        GRANT UPDATE (read_at) ON notifications TO {app};
        CREATE POLICY notifications_select ON notifications FOR SELECT
            USING (app_role() = 'system' OR user_id = app_user_id());
        CREATE POLICY notifications_insert ON notifications FOR INSERT
            WITH CHECK (app_role() = 'system');
        CREATE POLICY notifications_read ON notifications FOR UPDATE
            USING (app_role() = 'system' OR user_id = app_user_id())
            WITH CHECK (app_role() = 'system' OR user_id = app_user_id());
        CREATE POLICY notifications_delete ON notifications FOR DELETE
            USING (app_role() = 'system');
    """)

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("event_group", sa.String(16), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(_in("event_group", GROUPS), name="notification_preferences_group"),
        sa.CheckConstraint(_in("channel", CHANNELS), name="notification_preferences_channel"),
    )
    op.create_table(
        "notification_quiet_hours",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("starts", sa.Time(), nullable=False, server_default="22:00"),
        sa.Column("ends", sa.Time(), nullable=False, server_default="07:00"),
        sa.Column("shabbat", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    for table in ("notification_preferences", "notification_quiet_hours"):
        force_rls(op, table, app, "SELECT, INSERT, UPDATE, DELETE")
        op.execute(f"""
            CREATE POLICY {table}_own ON {table} FOR ALL
                USING (app_role() = 'system' OR user_id = app_user_id())
                WITH CHECK (app_role() = 'system' OR user_id = app_user_id());
        """)

    op.drop_constraint("outbox_messages_channel", "outbox_messages")
    op.create_check_constraint("outbox_messages_channel", "outbox_messages",
                               "channel IN ('sms', 'email', 'whatsapp', 'push')")
    op.add_column("outbox_messages", sa.Column(
        "params", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")))


def downgrade() -> None:
    op.drop_column("outbox_messages", "params")
    op.execute("DELETE FROM outbox_messages WHERE channel NOT IN ('sms', 'email')")
    op.drop_constraint("outbox_messages_channel", "outbox_messages")
    op.create_check_constraint("outbox_messages_channel", "outbox_messages",
                               "channel IN ('sms', 'email')")
    for table in ("notification_quiet_hours", "notification_preferences", "notifications"):
        op.drop_table(table)
