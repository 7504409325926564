"""Chat between a lead's owner and each business that made an offer; browsers that take push.

Revision ID: 0023_chat
Revises: 0022_notifications
Create Date: 2026-12-02

- `chat_threads`: one per lead and proposing business, written by the database itself when the
  offer is (a trigger), so every offer has its conversation and nobody can open one without an
  offer. The two sides and admins read it; nobody writes it by hand.
- `chat_messages`: text, 1–2,000 characters. `app_thread_side(thread)` says which side of the
  thread the caller is on ('owner': the consumer, or a member of the business owning a pro lead;
  'pro': a member of the proposing business; NULL: neither). A side writes only as itself,
  reads both sides, and marks the other side's messages read (the one column it may change);
  admins read (the service logs each read), the platform deletes them with the lead's files.
  Every new or read message announces its thread: `NOTIFY thread_changed, '<thread id>'`.
- `chat_presence`: a page open on a thread, renewed while it is open; a message to someone
  reading the thread is not notified. Own rows only (the platform reads them to decide).
- `push_subscriptions`: the browsers (devices) a person allowed to receive push messages; one
  row per endpoint. Own rows only, and the platform's (to send, and to drop a dead one).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list
from ofair_app.domain.chat import MESSAGE_MAX_CHARS, SIDES

revision: str = "0023_chat"
down_revision: str | None = "0022_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)


def _user(name: str = "user_id", **kw) -> sa.Column:
    return sa.Column(name, sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                     nullable=False, **kw)


def upgrade() -> None:
    app = quoted_app_role(op)
    op.create_table(
        "chat_threads",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("lead_id", "professional_id", name="chat_threads_one_per_offer"),
    )
    op.create_index("chat_threads_professional", "chat_threads", ["professional_id"])
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("thread_id", sa.Uuid(), sa.ForeignKey("chat_threads.id", ondelete="CASCADE"),
                  nullable=False),
        _user("sender_user_id"),
        sa.Column("side", sa.String(5), nullable=False),
        sa.Column("body", sa.String(MESSAGE_MAX_CHARS), nullable=False),
        sa.Column("read_at", TS),
        # clock_timestamp: two messages of one transaction still come in order.
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("clock_timestamp()")),
        sa.CheckConstraint(f"side IN ({sql_list(SIDES)})", name="chat_messages_side"),
        sa.CheckConstraint(f"char_length(btrim(body)) BETWEEN 1 AND {MESSAGE_MAX_CHARS}",
                           name="chat_messages_length"),
    )
    op.execute("""
        CREATE INDEX chat_messages_thread ON chat_messages (thread_id, created_at DESC, id DESC);
        CREATE INDEX chat_messages_unread ON chat_messages (thread_id, side) WHERE read_at IS NULL;
        -- The per-person rate limit counts the last minute's messages.
        CREATE INDEX chat_messages_sender ON chat_messages (sender_user_id, created_at DESC);
    """)
    op.create_table(
        "chat_presence",
        sa.Column("thread_id", sa.Uuid(), sa.ForeignKey("chat_threads.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("seen_at", TS, nullable=False),
    )
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        _user(),
        sa.Column("endpoint", sa.String(1000), nullable=False, unique=True),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("last_used_at", TS),
        sa.CheckConstraint("endpoint LIKE 'https://%' OR endpoint LIKE 'http://127.0.0.1:%'"
                           " OR endpoint LIKE 'http://localhost:%'",
                           name="push_subscriptions_endpoint"),
    )
    op.create_index("push_subscriptions_user", "push_subscriptions", ["user_id"])

    op.execute("""
        -- Which side of thread `tid` the caller is on (through RLS: a thread or lead the caller
        -- cannot see is no side of theirs).
        CREATE FUNCTION app_thread_side(tid uuid) RETURNS text LANGUAGE sql STABLE AS
        $$ SELECT CASE WHEN app_owns(l.owner_user_id, l.owner_professional_id) THEN 'owner'
                       WHEN app_member_of(t.professional_id) THEN 'pro' END
           FROM chat_threads t JOIN leads l ON l.id = t.lead_id WHERE t.id = tid $$;

        -- Every offer gets its conversation (a second offer from the same business, after a
        -- withdrawal, keeps the first one's).
        CREATE FUNCTION chat_thread_for_offer() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN
            INSERT INTO chat_threads (lead_id, professional_id)
            VALUES (NEW.lead_id, NEW.professional_id)
            ON CONFLICT ON CONSTRAINT chat_threads_one_per_offer DO NOTHING;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION chat_thread_for_offer() FROM PUBLIC;
        CREATE TRIGGER proposals_chat_thread AFTER INSERT ON proposals
            FOR EACH ROW EXECUTE FUNCTION chat_thread_for_offer();

        CREATE FUNCTION notify_thread_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('thread_changed', NEW.thread_id::text);
            RETURN NULL;
        END $$;
        CREATE TRIGGER chat_messages_notify AFTER INSERT OR UPDATE ON chat_messages
            FOR EACH ROW EXECUTE FUNCTION notify_thread_changed();

        INSERT INTO chat_threads (lead_id, professional_id)
            SELECT DISTINCT lead_id, professional_id FROM proposals
            ON CONFLICT ON CONSTRAINT chat_threads_one_per_offer DO NOTHING;
    """)

    force_rls(op, "chat_threads", app, "SELECT")
    op.execute("""
        CREATE POLICY chat_threads_select ON chat_threads FOR SELECT
            USING (app_is_trusted() OR app_member_of(professional_id) OR app_owns_lead(lead_id));
        -- The offer's trigger (it runs as this schema's owner, never the request's role).
        CREATE POLICY chat_threads_platform ON chat_threads FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);
    """)
    force_rls(op, "chat_messages", app, "SELECT, INSERT, DELETE")
    op.execute(f"""
        GRANT UPDATE (read_at) ON chat_messages TO {app};
        CREATE POLICY chat_messages_select ON chat_messages FOR SELECT
            USING (app_is_trusted() OR app_thread_side(thread_id) IS NOT NULL);
        -- Each side writes as itself, unread, and nobody else writes at all (admins neither).
        CREATE POLICY chat_messages_insert ON chat_messages FOR INSERT
            WITH CHECK (sender_user_id = app_user_id() AND read_at IS NULL
                        AND side = app_thread_side(thread_id));
        -- The read receipt: a side marks what the other side wrote.
        CREATE POLICY chat_messages_read ON chat_messages FOR UPDATE
            USING (side <> app_thread_side(thread_id))
            WITH CHECK (side <> app_thread_side(thread_id) AND read_at IS NOT NULL);
        CREATE POLICY chat_messages_delete ON chat_messages FOR DELETE
            USING (app_role() = 'system');
    """)
    force_rls(op, "chat_presence", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        CREATE POLICY chat_presence_own ON chat_presence FOR ALL
            USING (app_role() = 'system' OR user_id = app_user_id())
            WITH CHECK (app_role() = 'system'
                        OR (user_id = app_user_id() AND app_thread_side(thread_id) IS NOT NULL));
    """)
    force_rls(op, "push_subscriptions", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        CREATE POLICY push_subscriptions_own ON push_subscriptions FOR ALL
            USING (app_role() = 'system' OR user_id = app_user_id())
            WITH CHECK (app_role() = 'system' OR user_id = app_user_id());
    """)


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER IF EXISTS proposals_chat_thread ON proposals;
        DROP FUNCTION IF EXISTS chat_thread_for_offer();
    """)
    for table in ("push_subscriptions", "chat_presence", "chat_messages", "chat_threads"):
        op.drop_table(table)
    op.execute("""
        DROP FUNCTION IF EXISTS notify_thread_changed();
        DROP FUNCTION IF EXISTS app_thread_side(uuid);
    """)
