"""Consents (privacy notice, terms, marketing) and the purpose of outgoing messages.

Revision ID: 0010_privacy_consent
Revises: 0009b_board_words
Create Date: 2026-12-01

- `consents`: each acknowledgement of the privacy notice, acceptance of the terms, and marketing
  opt-in or withdrawal, with the document's version, when and through which door. Append-only
  for the app role (SELECT, INSERT; no UPDATE or DELETE grant), like the audit tables: the
  history is the proof. A person writes and reads only their own rows; the trusted login step
  (`system`, the account does not exist yet when it records the first acknowledgement) and the
  one-click unsubscribe link write for the person they concern; admins read.
- `outbox_messages.purpose`: transactional | marketing. The outbox refuses to queue marketing
  to someone without a current opt-in (services/notifications.py; a restrictive policy on
  the table says the same through `marketing_allowed(user_id)`, a SECURITY DEFINER function,
  since whoever queues may not read the recipient's consents), and delivery checks again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role

revision: str = "0010_privacy_consent"
down_revision: str | None = "0009b_board_words"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    app = quoted_app_role(op)
    op.create_table(
        "consents",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('privacy_notice', 'terms', 'marketing')",
                           name="consents_kind"),
        sa.CheckConstraint("channel IN ('web', 'api')", name="consents_channel"),
        sa.CheckConstraint("version <> ''", name="consents_version"),
    )
    op.create_index("consents_user_kind", "consents", ["user_id", "kind", "at"])
    force_rls(op, "consents", app, "SELECT, INSERT")
    op.execute("""
        CREATE POLICY consents_insert ON consents FOR INSERT
            WITH CHECK (user_id = app_user_id() OR app_role() = 'system');
        CREATE POLICY consents_select ON consents FOR SELECT
            USING (user_id = app_user_id() OR app_is_trusted());
    """)
    op.add_column("outbox_messages",
                  sa.Column("purpose", sa.String(16), nullable=False,
                            server_default="transactional"))
    op.create_check_constraint("outbox_messages_purpose", "outbox_messages",
                               "purpose IN ('transactional', 'marketing')")
    op.execute(f"""
        -- The schema's owner runs SECURITY DEFINER functions: it reads consents for them.
        CREATE POLICY consents_read_by_schema_owner ON consents FOR SELECT TO CURRENT_USER
            USING (true);

        -- Whether a person's newest marketing answer is yes. For the outbox, whoever queues.
        CREATE FUNCTION marketing_allowed(uid uuid) RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT coalesce((SELECT accepted FROM consents
                              WHERE user_id = uid AND kind = 'marketing'
                              ORDER BY at DESC, id DESC LIMIT 1), false)
        $$;
        REVOKE ALL ON FUNCTION marketing_allowed(uuid) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION marketing_allowed(uuid) TO {app};

        -- Restrictive: whatever else lets a row in, marketing needs a current opt-in.
        CREATE POLICY outbox_messages_marketing ON outbox_messages AS RESTRICTIVE FOR INSERT
            WITH CHECK (purpose <> 'marketing' OR marketing_allowed(user_id));
    """)


def downgrade() -> None:
    op.execute("""
        DROP POLICY IF EXISTS outbox_messages_marketing ON outbox_messages;
        DROP FUNCTION IF EXISTS marketing_allowed(uuid);
    """)
    op.drop_constraint("outbox_messages_purpose", "outbox_messages")
    op.drop_column("outbox_messages", "purpose")
    op.drop_table("consents")
