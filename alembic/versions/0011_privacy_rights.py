"""Data subjects' rights: exports, closing an account, retention (issue 15, points 5-7).

Revision ID: 0011_privacy_rights
Revises: 0010_privacy_consent
Create Date: 2026-12-01

- `users`: `last_login_at` (the retention job's notion of activity), `inactivity_notice_at`
  (when the "your account will be closed" notice went out) and `closed_at`. A closed account
  keeps its row (payments, the ledger and the audit trail point at it) but neither phone nor
  e-mail: the phone-or-e-mail check now holds only for open accounts.
- `consumer_leads` / `professional_leads`: an erased client's phone is the empty string.
- `personal_data_exports`: one row per "download all my data" request. The owner reads and
  creates their own (pending) requests; only the platform (the export job) fills them in,
  and admins read them; nobody else sees a row.
- The append-only logs (`contact_access_logs`, `phone_revelations`,
  `performer_contact_reveals`, `admin_audit_log`) stay append-only for people: only the platform
  (`system`) may blank their network address and browser (de-identification at closure), and
  nothing else in them.
- Retention: the platform may delete answered invitations and old webhook rejections.
- `otp_codes`: a `phone_change` code, sent to a new number and handled by its own user (a
  person corrects their phone as they correct their e-mail).
- `professional_members_keep_owner`: the platform may remove the last owner of a business it
  has just suspended because its only member closed their account.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role

revision: str = "0011_privacy_rights"
down_revision: str | None = "0010_privacy_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)

_LOGS = {
    "contact_access_logs": "ip, user_agent",
    "phone_revelations": "ip, user_agent",
    "performer_contact_reveals": "ip, user_agent",
    "admin_audit_log": "ip",
}


# The keep-an-owner trigger of 0002, with room for one more exception.
_KEEP_OWNER = """
    CREATE OR REPLACE FUNCTION professional_members_keep_owner() RETURNS trigger
        LANGUAGE plpgsql AS $$
    DECLARE pid uuid := OLD.professional_id;
    BEGIN
        IF OLD.role = 'owner' AND (TG_OP = 'DELETE' OR NEW.role <> 'owner')
           AND EXISTS (SELECT 1 FROM professionals WHERE id = pid)
           AND NOT EXISTS (SELECT 1 FROM professional_members
                           WHERE professional_id = pid AND role = 'owner'
                             AND user_id <> OLD.user_id){closing} THEN
            RAISE EXCEPTION 'a business must keep at least one owner'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN COALESCE(NEW, OLD);
    END $$;
"""


def upgrade() -> None:
    app = quoted_app_role(op)

    op.add_column("users", sa.Column("last_login_at", TS))
    op.add_column("users", sa.Column("inactivity_notice_at", TS))
    op.add_column("users", sa.Column("closed_at", TS))
    op.execute("""
        UPDATE users SET last_login_at = created_at;
        ALTER TABLE users DROP CONSTRAINT users_phone_or_email;
        ALTER TABLE users ADD CONSTRAINT users_phone_or_email
            CHECK (phone IS NOT NULL OR email IS NOT NULL OR closed_at IS NOT NULL);
        ALTER TABLE users ADD CONSTRAINT users_closed_is_inactive
            CHECK (closed_at IS NULL OR NOT is_active);
        CREATE INDEX users_last_login ON users (last_login_at) WHERE closed_at IS NULL;
    """)
    for table in ("consumer_leads", "professional_leads"):
        op.execute(f"""
            ALTER TABLE {table} DROP CONSTRAINT {table}_phone;
            ALTER TABLE {table} ADD CONSTRAINT {table}_phone
                CHECK (client_phone = '' OR client_phone ~ '^\\+972[0-9]{{8,9}}$');
        """)

    op.create_table(
        "personal_data_exports",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("storage_key", sa.String(200)),
        sa.Column("size_bytes", sa.BigInteger()),
        sa.Column("error", sa.String(300), nullable=False, server_default=""),
        sa.Column("requested_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("ready_at", TS),
        sa.Column("expires_at", TS),
        sa.CheckConstraint("status IN ('pending', 'ready', 'failed', 'expired')",
                           name="personal_data_exports_status"),
        sa.CheckConstraint("(status = 'ready') = (storage_key IS NOT NULL)",
                           name="personal_data_exports_file"),
    )
    op.create_index("personal_data_exports_user", "personal_data_exports",
                    ["user_id", "requested_at"])
    op.create_index("personal_data_exports_pending", "personal_data_exports", ["requested_at"],
                    postgresql_where=sa.text("status = 'pending'"))
    force_rls(op, "personal_data_exports", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        CREATE POLICY personal_data_exports_select ON personal_data_exports FOR SELECT
            USING (user_id = app_user_id() OR app_is_trusted());
        -- A person asks for their own export; the job does the rest.
        CREATE POLICY personal_data_exports_insert ON personal_data_exports FOR INSERT
            WITH CHECK ((user_id = app_user_id() AND status = 'pending'
                         AND storage_key IS NULL AND ready_at IS NULL)
                        OR app_role() = 'system');
        CREATE POLICY personal_data_exports_platform ON personal_data_exports FOR UPDATE
            USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
        CREATE POLICY personal_data_exports_delete ON personal_data_exports FOR DELETE
            USING (app_role() = 'system');
    """)

    for table, columns in _LOGS.items():
        op.execute(f"""
            GRANT UPDATE ({columns}) ON {table} TO {app};
            CREATE POLICY {table}_deidentify ON {table} FOR UPDATE
                USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
        """)
    # A signed-in person corrects their phone number the way they correct their e-mail: a code
    # to the new number, their own row of it.
    op.execute("""
        ALTER TABLE otp_codes DROP CONSTRAINT otp_codes_purpose;
        ALTER TABLE otp_codes ADD CONSTRAINT otp_codes_purpose
            CHECK (purpose IN ('login', 'email_change', 'phone_change'));
        DROP POLICY otp_codes_own_email_change ON otp_codes;
        CREATE POLICY otp_codes_own_change ON otp_codes FOR ALL
            USING (purpose IN ('email_change', 'phone_change') AND user_id = app_user_id())
            WITH CHECK (purpose IN ('email_change', 'phone_change') AND user_id = app_user_id());
    """)
    op.execute(_KEEP_OWNER.replace("{closing}", """
               -- a business closing with its only member's account (services/privacy.py)
               AND NOT (app_role() = 'system'
                        AND EXISTS (SELECT 1 FROM professionals
                                    WHERE id = pid AND status = 'suspended'))"""))
    op.execute(f"""
        -- Only the platform deletes, and only what is past its retention (the `retention`
        -- job's 90 days): the database keeps the promise even if the code forgets it.
        GRANT DELETE ON professional_invitations TO {app};
        CREATE POLICY professional_invitations_retention ON professional_invitations
            FOR DELETE USING (app_role() = 'system' AND status <> 'pending'
                              AND coalesce(responded_at, expires_at)
                                  < now() - interval '90 days');
        GRANT DELETE ON webhook_rejections TO {app};
        CREATE POLICY webhook_rejections_retention ON webhook_rejections
            FOR DELETE USING (app_role() = 'system'
                              AND received_at < now() - interval '90 days');
    """)


def downgrade() -> None:
    app = quoted_app_role(op)
    op.execute("""
        DELETE FROM otp_codes WHERE purpose = 'phone_change';
        DROP POLICY otp_codes_own_change ON otp_codes;
        CREATE POLICY otp_codes_own_email_change ON otp_codes FOR ALL
            USING (purpose = 'email_change' AND user_id = app_user_id())
            WITH CHECK (purpose = 'email_change' AND user_id = app_user_id());
        ALTER TABLE otp_codes DROP CONSTRAINT otp_codes_purpose;
        ALTER TABLE otp_codes ADD CONSTRAINT otp_codes_purpose
            CHECK (purpose IN ('login', 'email_change'));
    """)
    op.execute(_KEEP_OWNER.replace("{closing}", ""))
    op.execute(f"""
        DROP POLICY IF EXISTS webhook_rejections_retention ON webhook_rejections;
        REVOKE DELETE ON webhook_rejections FROM {app};
        DROP POLICY IF EXISTS professional_invitations_retention ON professional_invitations;
        REVOKE DELETE ON professional_invitations FROM {app};
    """)
    for table, columns in _LOGS.items():
        op.execute(f"""
            DROP POLICY IF EXISTS {table}_deidentify ON {table};
            REVOKE UPDATE ({columns}) ON {table} FROM {app};
        """)
    op.drop_table("personal_data_exports")
    for table in ("consumer_leads", "professional_leads"):
        op.execute(f"""
            ALTER TABLE {table} DROP CONSTRAINT {table}_phone;
            ALTER TABLE {table} ADD CONSTRAINT {table}_phone
                CHECK (client_phone ~ '^\\+972[0-9]{{8,9}}$');
        """)
    op.execute("""
        DROP INDEX IF EXISTS users_last_login;
        ALTER TABLE users DROP CONSTRAINT users_closed_is_inactive;
        ALTER TABLE users DROP CONSTRAINT users_phone_or_email;
        ALTER TABLE users ADD CONSTRAINT users_phone_or_email
            CHECK (phone IS NOT NULL OR email IS NOT NULL);
    """)
    for column in ("closed_at", "inactivity_notice_at", "last_login_at"):
        op.drop_column("users", column)
