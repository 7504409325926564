"""Identity and tenancy: login codes, tokens, businesses and their members, certificates,
the admin audit log, the message outbox, and the reference data (categories, localities).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Tenant access is resolved through `professional_members`, never by equating a business id with a
user id. `app_member_of(id)` reads the caller's tenants (set from memberships at login);
`app_owner_of(id)` reads the caller's own membership row, which its SELECT policy allows, so the
policies never recurse.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)


def _app_role() -> str:
    from ofair_app.db.engine import database_urls
    from ofair_app.settings import get_settings

    settings = get_settings()
    if settings.embedded_database:
        return settings.database_app_role
    return database_urls(settings).app.username or settings.database_app_role


def _id() -> sa.Column:
    return sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()"))


def _created() -> sa.Column:
    return sa.Column("created_at", TS, nullable=False, server_default=sa.func.now())


def _force_rls(table: str, app: str, grants: str) -> None:
    op.execute(f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
        GRANT {grants} ON {table} TO {app};
    """)


def upgrade() -> None:
    app = op.get_bind().execute(sa.text("SELECT quote_ident(:r)"), {"r": _app_role()}).scalar_one()

    # --- reference data: public, read-only for the app, synced from ofair_app/data by db upgrade
    op.create_table(
        "categories",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("name_he", sa.String(80), nullable=False),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("icon", sa.String(40), nullable=False, server_default="wrench"),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "subcategories",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("category_slug", sa.String(64),
                  sa.ForeignKey("categories.slug", ondelete="CASCADE"), nullable=False),
        sa.Column("name_he", sa.String(80), nullable=False),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("subcategories_category", "subcategories", ["category_slug"])
    op.create_table(
        "localities",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("slug", sa.String(80), nullable=False, unique=True),
        sa.Column("name_he", sa.String(80), nullable=False),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False, server_default="0"),
    )
    for table in ("categories", "subcategories", "localities"):
        # Everyone reads; only the trusted sync in `db upgrade` writes (the app may only SELECT).
        _force_rls(table, app, "SELECT")
        op.execute(f"""
            CREATE POLICY {table}_read ON {table} FOR SELECT USING (true);
            CREATE POLICY {table}_sync ON {table} FOR ALL
                USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
        """)

    op.execute("""
        -- The caller's business memberships, as resolved from professional_members at login.
        CREATE FUNCTION app_member_of(pid uuid) RETURNS boolean LANGUAGE sql STABLE AS
        $$ SELECT pid = ANY(app_tenant_ids()) $$;
    """)

    # --- login codes and tokens ----------------------------------------------------------------
    op.create_table(
        "otp_codes",
        _id(),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("target", sa.String(254), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("consumed_at", TS),
        _created(),
        sa.CheckConstraint("purpose IN ('login', 'email_change')", name="otp_codes_purpose"),
        sa.CheckConstraint("channel IN ('sms', 'email')", name="otp_codes_channel"),
        sa.CheckConstraint("attempts >= 0", name="otp_codes_attempts"),
        sa.CheckConstraint("purpose = 'login' OR user_id IS NOT NULL",
                           name="otp_codes_email_change_user"),
    )
    op.create_index("otp_codes_target_created", "otp_codes", ["target", "created_at"])
    _force_rls("otp_codes", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        -- Login codes are handled only by the trusted login step (the caller is anonymous then).
        CREATE POLICY otp_codes_system ON otp_codes FOR ALL
            USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
        -- A signed-in user verifying a new e-mail address handles their own code.
        CREATE POLICY otp_codes_own_email_change ON otp_codes FOR ALL
            USING (purpose = 'email_change' AND user_id = app_user_id())
            WITH CHECK (purpose = 'email_change' AND user_id = app_user_id());
    """)

    op.create_table(
        "auth_tokens",
        _id(),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _created(),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
    )
    op.create_index("auth_tokens_user", "auth_tokens", ["user_id"])
    op.create_index("auth_tokens_expires", "auth_tokens", ["expires_at"])
    _force_rls("auth_tokens", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        CREATE POLICY auth_tokens_system ON auth_tokens FOR ALL
            USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
        -- A user sees and revokes their own sessions, nobody else's.
        CREATE POLICY auth_tokens_own_select ON auth_tokens FOR SELECT
            USING (user_id = app_user_id());
        CREATE POLICY auth_tokens_own_update ON auth_tokens FOR UPDATE
            USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
    """)

    # --- businesses ----------------------------------------------------------------------------
    op.create_table(
        "professionals",
        _id(),
        sa.Column("business_name", sa.String(120), nullable=False),
        sa.Column("business_id", sa.String(9), nullable=False),
        sa.Column("category_slug", sa.String(64), sa.ForeignKey("categories.slug"),
                  nullable=False),
        sa.Column("subcategory_slugs", postgresql.ARRAY(sa.String(64)), nullable=False,
                  server_default="{}"),
        sa.Column("specialties", postgresql.ARRAY(sa.String(40)), nullable=False,
                  server_default="{}"),
        sa.Column("about", sa.Text(), nullable=False, server_default=""),
        sa.Column("locality_id", sa.Integer(), sa.ForeignKey("localities.id"), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("service_radius_km", sa.Integer(), nullable=False, server_default="25"),
        sa.Column("rating", sa.Numeric(3, 2), nullable=False, server_default="0"),
        sa.Column("review_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("verified_at", TS),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        _created(),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('pending', 'active', 'suspended')",
                           name="professionals_status"),
        sa.CheckConstraint("business_id ~ '^[0-9]{9}$'", name="professionals_business_id"),
        sa.CheckConstraint("char_length(business_name) BETWEEN 2 AND 120",
                           name="professionals_business_name"),
        sa.CheckConstraint("service_radius_km BETWEEN 1 AND 200",
                           name="professionals_service_radius"),
        sa.CheckConstraint("rating BETWEEN 0 AND 5", name="professionals_rating"),
        sa.CheckConstraint("char_length(about) <= 2000", name="professionals_about"),
    )
    op.create_index("professionals_business_id_key", "professionals", ["business_id"],
                    unique=True)
    op.create_index("professionals_category", "professionals", ["category_slug"])
    op.create_index("professionals_status_created", "professionals", ["status", "created_at"])

    op.create_table(
        "professional_members",
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("added_by", sa.Uuid(), sa.ForeignKey("users.id")),
        _created(),
        sa.CheckConstraint("role IN ('owner', 'staff')", name="professional_members_role"),
    )
    op.create_index("professional_members_user", "professional_members", ["user_id"])

    op.execute("""
        -- Is the caller an owner of this business? Reads the caller's own membership row only.
        CREATE FUNCTION app_owner_of(pid uuid) RETURNS boolean LANGUAGE sql STABLE AS
        $$ SELECT EXISTS (SELECT 1 FROM professional_members
                          WHERE professional_id = pid AND user_id = app_user_id()
                            AND role = 'owner') $$;
    """)

    _force_rls("professionals", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        -- The directory is public, except suspended businesses, which only their members and
        -- admins still see.
        CREATE POLICY professionals_select ON professionals FOR SELECT
            USING (status <> 'suspended' OR app_member_of(id) OR app_is_trusted()
                   OR created_by = app_user_id());
        -- A signed-in person opens a business in their own name.
        CREATE POLICY professionals_insert ON professionals FOR INSERT
            WITH CHECK ((app_user_id() IS NOT NULL AND created_by = app_user_id()
                         AND status = 'pending' AND NOT verified)
                        OR app_is_trusted());
        -- Owners edit their profile while the business is not suspended.
        CREATE POLICY professionals_update ON professionals FOR UPDATE
            USING ((app_owner_of(id) AND status <> 'suspended') OR app_is_trusted())
            WITH CHECK ((app_owner_of(id) AND status <> 'suspended') OR app_is_trusted());

        -- Status, verification and ratings are the platform's to set. A changed business ID
        -- loses its verification until an admin checks it again.
        CREATE FUNCTION professionals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT app_is_trusted() THEN
                IF NEW.status IS DISTINCT FROM OLD.status
                   OR NEW.verified IS DISTINCT FROM OLD.verified
                   OR NEW.verified_at IS DISTINCT FROM OLD.verified_at
                   OR NEW.rating IS DISTINCT FROM OLD.rating
                   OR NEW.review_count IS DISTINCT FROM OLD.review_count
                   OR NEW.created_by IS DISTINCT FROM OLD.created_by THEN
                    RAISE EXCEPTION 'only an admin may change a business''s status or rating'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF NEW.business_id IS DISTINCT FROM OLD.business_id THEN
                    NEW.verified := false;
                    NEW.verified_at := NULL;
                    NEW.status := 'pending';
                END IF;
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER professionals_guard BEFORE UPDATE ON professionals
            FOR EACH ROW EXECUTE FUNCTION professionals_guard();
    """)

    _force_rls("professional_members", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        -- Members see their colleagues; everyone sees their own memberships.
        CREATE POLICY professional_members_select ON professional_members FOR SELECT
            USING (user_id = app_user_id() OR app_member_of(professional_id) OR app_is_trusted());
        -- The creator of a business becomes its first owner; after that only owners add people.
        CREATE POLICY professional_members_insert ON professional_members FOR INSERT
            WITH CHECK (
                app_is_trusted()
                OR (user_id = app_user_id() AND role = 'owner' AND added_by = app_user_id()
                    AND EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = professional_id AND p.created_by = app_user_id()
                                  AND p.created_at = now()  -- in the creating transaction
                                  AND p.status <> 'suspended'))
                OR (app_owner_of(professional_id) AND added_by = app_user_id()
                    AND EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = professional_id AND p.status <> 'suspended')));
        CREATE POLICY professional_members_update ON professional_members FOR UPDATE
            USING (app_owner_of(professional_id) OR app_is_trusted())
            WITH CHECK (app_owner_of(professional_id) OR app_is_trusted());
        CREATE POLICY professional_members_delete ON professional_members FOR DELETE
            USING (app_owner_of(professional_id) OR app_is_trusted());

        -- A business always keeps at least one owner.
        CREATE FUNCTION professional_members_keep_owner() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE pid uuid := OLD.professional_id;
        BEGIN
            IF OLD.role = 'owner' AND (TG_OP = 'DELETE' OR NEW.role <> 'owner')
               AND EXISTS (SELECT 1 FROM professionals WHERE id = pid)
               AND NOT EXISTS (SELECT 1 FROM professional_members
                               WHERE professional_id = pid AND role = 'owner'
                                 AND user_id <> OLD.user_id) THEN
                RAISE EXCEPTION 'a business must keep at least one owner'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN COALESCE(NEW, OLD);
        END $$;
        CREATE TRIGGER professional_members_keep_owner
            BEFORE UPDATE OR DELETE ON professional_members
            FOR EACH ROW EXECUTE FUNCTION professional_members_keep_owner();
    """)

    op.execute("""
        -- Colleagues in one business see each other (the team page lists names and phones).
        CREATE POLICY users_select_colleagues ON users FOR SELECT
            USING (EXISTS (SELECT 1 FROM professional_members m
                           WHERE m.user_id = users.id AND app_member_of(m.professional_id)));

        -- Joining a business makes a consumer a professional; any other role change is still
        -- an admin's (or the system's) to make.
        CREATE OR REPLACE FUNCTION users_guard_role() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.role IS DISTINCT FROM OLD.role AND NOT app_is_trusted()
               AND NOT (OLD.role = 'consumer' AND NEW.role = 'professional'
                        AND EXISTS (SELECT 1 FROM professional_members
                                    WHERE user_id = NEW.id)) THEN
                RAISE EXCEPTION 'only an admin may change a user''s role'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
    """)

    op.create_table(
        "certificates",
        _id(),
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False, unique=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("uploaded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("reviewed_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("reviewed_at", TS),
        _created(),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')",
                           name="certificates_status"),
        sa.CheckConstraint("content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
                           name="certificates_content_type"),
        sa.CheckConstraint("size_bytes BETWEEN 1 AND 10485760", name="certificates_size"),
    )
    op.create_index("certificates_professional", "certificates", ["professional_id"])
    _force_rls("certificates", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        -- Certificates are private to the business's members and admins.
        CREATE POLICY certificates_select ON certificates FOR SELECT
            USING (app_member_of(professional_id) OR app_is_trusted());
        CREATE POLICY certificates_insert ON certificates FOR INSERT
            WITH CHECK ((app_member_of(professional_id) AND uploaded_by = app_user_id()
                         AND status = 'pending'
                         AND EXISTS (SELECT 1 FROM professionals p
                                     WHERE p.id = professional_id AND p.status <> 'suspended'))
                        OR app_is_trusted());
        -- Reviewing is an admin's job.
        CREATE POLICY certificates_update ON certificates FOR UPDATE
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
        -- Members withdraw a certificate that has not been approved yet.
        CREATE POLICY certificates_delete ON certificates FOR DELETE
            USING ((app_member_of(professional_id) AND status <> 'approved') OR app_is_trusted());
    """)

    # --- the admin audit log: append-only for the app role ------------------------------------
    op.create_table(
        "admin_audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("actor_user_id", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("detail", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        _created(),
    )
    op.create_index("admin_audit_log_subject", "admin_audit_log", ["subject_type", "subject_id"])
    _force_rls("admin_audit_log", app, "SELECT, INSERT")
    op.execute("""
        CREATE POLICY admin_audit_log_insert ON admin_audit_log FOR INSERT
            WITH CHECK ((app_role() = 'admin' AND actor_user_id = app_user_id())
                        OR app_role() = 'system');
        CREATE POLICY admin_audit_log_select ON admin_audit_log FOR SELECT
            USING (app_is_trusted());
    """)

    # --- the outbox: messages written with the business change, sent after commit -------------
    op.create_table(
        "outbox_messages",
        _id(),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("template", sa.String(48), nullable=False),
        sa.Column("locale", sa.String(2), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False, server_default=""),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("provider_ref", sa.String(200), nullable=False, server_default=""),
        _created(),
        sa.Column("sent_at", TS),
        sa.CheckConstraint("channel IN ('sms', 'email')", name="outbox_messages_channel"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'logged', 'failed')",
                           name="outbox_messages_status"),
    )
    op.create_index("outbox_messages_due", "outbox_messages", ["next_attempt_at"],
                    postgresql_where=sa.text("status = 'pending'"))
    _force_rls("outbox_messages", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        -- Any signed-in use case may queue a message; only the delivery worker reads them back
        -- (they may hold login codes).
        CREATE POLICY outbox_messages_insert ON outbox_messages FOR INSERT
            WITH CHECK (status = 'pending'
                        AND (app_user_id() IS NOT NULL OR app_is_trusted()));
        CREATE POLICY outbox_messages_system ON outbox_messages FOR ALL
            USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
    """)


def downgrade() -> None:
    for table in ("outbox_messages", "admin_audit_log", "certificates"):
        op.drop_table(table)
    op.execute("""
        DROP POLICY IF EXISTS users_select_colleagues ON users;
        CREATE OR REPLACE FUNCTION users_guard_role() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.role IS DISTINCT FROM OLD.role AND NOT app_is_trusted() THEN
                RAISE EXCEPTION 'only an admin may change a user''s role'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
    """)
    op.drop_table("professional_members")
    op.drop_table("professionals")
    op.execute("""
        DROP FUNCTION IF EXISTS professional_members_keep_owner();
        DROP FUNCTION IF EXISTS professionals_guard();
        DROP FUNCTION IF EXISTS app_owner_of(uuid);
    """)
    op.drop_table("auth_tokens")
    op.drop_table("otp_codes")
    op.execute("DROP FUNCTION IF EXISTS app_member_of(uuid)")
    for table in ("localities", "subcategories", "categories"):
        op.drop_table(table)
