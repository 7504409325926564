"""Foundation: caller-context functions, users under forced RLS, the job run log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Policies read the caller from transaction-local settings written by `unit_of_work`:
`app.current_user_id`, `app.current_role`, `app.tenant_ids`. The application role gets only the
privileges listed here and owns nothing; every table is `FORCE ROW LEVEL SECURITY`, so even the
owner's own sessions go through the policies.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _app_role() -> str:
    """The application role's name, from settings (an operator may name it differently)."""
    from ofair_app.db.engine import database_urls
    from ofair_app.settings import get_settings

    settings = get_settings()
    if settings.embedded_database:
        return settings.database_app_role
    return database_urls(settings).app.username or settings.database_app_role


def upgrade() -> None:
    app = op.get_bind().execute(sa.text("SELECT quote_ident(:r)"), {"r": _app_role()}).scalar_one()

    op.execute("""
        CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT nullif(current_setting('app.current_user_id', true), '')::uuid $$;

        CREATE FUNCTION app_role() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT coalesce(nullif(current_setting('app.current_role', true), ''), 'anonymous') $$;

        CREATE FUNCTION app_tenant_ids() RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT coalesce(
             string_to_array(nullif(current_setting('app.tenant_ids', true), ''), ',')::uuid[],
             '{}'::uuid[]) $$;

        CREATE FUNCTION app_is_trusted() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT app_role() IN ('admin', 'system') $$;
    """)

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("name", sa.String(120), nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False, server_default="consumer"),
        sa.Column("locale", sa.String(2), nullable=False, server_default="he"),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("updated_at", postgresql.TIMESTAMP(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="users_phone_or_email"),
        sa.CheckConstraint("phone ~ '^\\+[1-9][0-9]{6,14}$'", name="users_phone_e164"),
        sa.CheckConstraint("email = lower(email)", name="users_email_lowercase"),
        sa.CheckConstraint("role IN ('consumer', 'professional', 'admin')", name="users_role"),
        sa.CheckConstraint("locale IN ('he', 'en')", name="users_locale"),
    )
    op.create_index("users_phone_key", "users", ["phone"], unique=True)
    op.create_index("users_email_key", "users", ["email"], unique=True)
    op.execute(f"""
        ALTER TABLE users ENABLE ROW LEVEL SECURITY;
        ALTER TABLE users FORCE ROW LEVEL SECURITY;
        GRANT SELECT, INSERT, UPDATE ON users TO {app};

        -- A person reads and edits only their own row; admins and jobs see everyone.
        CREATE POLICY users_select ON users FOR SELECT
            USING (id = app_user_id() OR app_is_trusted());
        CREATE POLICY users_update ON users FOR UPDATE
            USING (id = app_user_id() OR app_is_trusted())
            WITH CHECK (id = app_user_id() OR app_is_trusted());
        -- Accounts are created by the trusted login step (OTP verified), never by a client.
        CREATE POLICY users_insert ON users FOR INSERT
            WITH CHECK (app_role() = 'system');

        -- Nobody promotes themselves: only an admin or the system changes a role.
        CREATE FUNCTION users_guard_role() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.role IS DISTINCT FROM OLD.role AND NOT app_is_trusted() THEN
                RAISE EXCEPTION 'only an admin may change a user''s role'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER users_guard_role BEFORE UPDATE ON users
            FOR EACH ROW EXECUTE FUNCTION users_guard_role();
    """)

    op.create_table(
        "job_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("job_name", sa.String(64), nullable=False),
        sa.Column("as_of", postgresql.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="running"),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("finished_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')",
                           name="job_runs_status"),
    )
    op.create_index("job_runs_job_started", "job_runs", ["job_name", "started_at"])
    op.execute(f"""
        ALTER TABLE job_runs ENABLE ROW LEVEL SECURITY;
        ALTER TABLE job_runs FORCE ROW LEVEL SECURITY;
        GRANT SELECT, INSERT, UPDATE, DELETE ON job_runs TO {app};
        -- Jobs write their log; admins read it; nobody else sees it.
        CREATE POLICY job_runs_system ON job_runs FOR ALL
            USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
        CREATE POLICY job_runs_admin_read ON job_runs FOR SELECT USING (app_role() = 'admin');
    """)


def downgrade() -> None:
    op.drop_table("job_runs")
    op.execute("DROP TRIGGER IF EXISTS users_guard_role ON users")
    op.execute("DROP FUNCTION IF EXISTS users_guard_role()")
    op.drop_table("users")
    op.execute("""
        DROP FUNCTION IF EXISTS app_is_trusted();
        DROP FUNCTION IF EXISTS app_tenant_ids();
        DROP FUNCTION IF EXISTS app_role();
        DROP FUNCTION IF EXISTS app_user_id();
    """)
