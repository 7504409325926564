"""Leads: the public part, the private client details, attachments, the access log, the Lead
Board's read model and subscriptions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Personal details never sit in `leads`: `consumer_leads` and `professional_leads` hold the client's
name, phone and address, and their policies open them only to the lead's owner, the accepted
performer and admins. `public_leads` is a view of the columns anyone may see.

Why `lead_board` exists: PostgreSQL may not use an index for a condition whose operator is not
leakproof (full-text `@@`, array `@>`, `ILIKE`, numeric comparisons) while a row-level security
condition must be checked first, so a board query on `leads` itself would read every row. The
board reads a projection of open public leads instead, holding nothing that is not public,
whose only policy is `true` (the planner drops it) and which only the trigger on `leads` writes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)

# The lifecycle of `ofair_app.domain.leads.TRANSITIONS` as status pairs; a test checks they agree.
MOVES = (
    ("active", "awarded"), ("active", "cancelled"),
    ("awarded", "active"), ("awarded", "in_progress"), ("awarded", "cancelled"),
    ("in_progress", "completed"), ("in_progress", "disputed"), ("in_progress", "cancelled"),
    ("completed", "closed"), ("completed", "disputed"),
    ("closed", "disputed"),
    ("disputed", "closed"), ("disputed", "cancelled"),
)
STATUSES = ("active", "awarded", "in_progress", "completed", "closed", "cancelled", "disputed")


def _app_role() -> str:
    from ofair_app.db.engine import database_urls
    from ofair_app.settings import get_settings

    settings = get_settings()
    if settings.embedded_database:
        return settings.database_app_role
    return database_urls(settings).app.username or settings.database_app_role


def _force_rls(table: str, app: str, grants: str) -> None:
    op.execute(f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
        GRANT {grants} ON {table} TO {app};
    """)


def _in(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    app = op.get_bind().execute(sa.text("SELECT quote_ident(:r)"), {"r": _app_role()}).scalar_one()

    # --- subscriptions: a business's paid plan (granted by an admin for now) ------------------
    op.add_column("professionals", sa.Column("subscribed_until", TS))
    op.create_index("professionals_subscribed_until", "professionals", ["subscribed_until"],
                    postgresql_where=sa.text("subscribed_until IS NOT NULL"))
    op.execute("""
        CREATE OR REPLACE FUNCTION professionals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT app_is_trusted() THEN
                IF NEW.status IS DISTINCT FROM OLD.status
                   OR NEW.verified IS DISTINCT FROM OLD.verified
                   OR NEW.verified_at IS DISTINCT FROM OLD.verified_at
                   OR NEW.rating IS DISTINCT FROM OLD.rating
                   OR NEW.review_count IS DISTINCT FROM OLD.review_count
                   OR NEW.subscribed_until IS DISTINCT FROM OLD.subscribed_until
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
    """)
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("plan", sa.String(24), nullable=False, server_default="pro_monthly"),
        sa.Column("status", sa.String(12), nullable=False, server_default="active"),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("granted_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("plan IN ('pro_monthly')", name="subscriptions_plan"),
        sa.CheckConstraint("status IN ('active', 'cancelled')", name="subscriptions_status"),
        sa.CheckConstraint("ends_at > starts_at", name="subscriptions_period"),
    )
    op.create_index("subscriptions_professional", "subscriptions", ["professional_id"])
    _force_rls("subscriptions", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY subscriptions_select ON subscriptions FOR SELECT
            USING (app_member_of(professional_id) OR app_is_trusted());
        CREATE POLICY subscriptions_write ON subscriptions FOR ALL
            USING (app_is_trusted()) WITH CHECK (app_is_trusted());
    """)

    # --- leads: what anyone browsing may see, never a client's details -------------------------
    op.create_table(
        "leads",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("short_description", sa.String(280), nullable=False),
        sa.Column("category_slug", sa.String(64), sa.ForeignKey("categories.slug"),
                  nullable=False),
        sa.Column("subcategory_slug", sa.String(64), sa.ForeignKey("subcategories.slug")),
        sa.Column("locality_id", sa.Integer(), sa.ForeignKey("localities.id")),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("budget", sa.Numeric(12, 2)),
        sa.Column("referrer_share_percentage", sa.Numeric(5, 2)),
        sa.Column("preferred_schedule", sa.String(16), nullable=False,
                  server_default="flexible"),
        sa.Column("preferred_date", sa.Date()),
        sa.Column("visibility", sa.String(8), nullable=False, server_default="public"),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("owner_user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("owner_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id")),
        sa.Column("performer_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id")),
        sa.Column("final_amount", sa.Numeric(12, 2)),
        sa.Column("proposal_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("cancelled_at", TS),
        sa.CheckConstraint("type IN ('consumer', 'professional_referral')", name="leads_type"),
        sa.CheckConstraint(f"status IN ({_in(STATUSES)})", name="leads_status"),
        sa.CheckConstraint("visibility IN ('public', 'private')", name="leads_visibility"),
        sa.CheckConstraint(
            "preferred_schedule IN ('urgent', 'this_week', 'this_month', 'flexible')",
            name="leads_preferred_schedule"),
        # A consumer's request belongs to a person and is always public; a pro lead belongs to a
        # business and states its budget and the referrer's share, which the pros it is offered
        # to must see (so they live here, not with the client's details).
        sa.CheckConstraint(
            "(type = 'consumer' AND owner_professional_id IS NULL AND visibility = 'public'"
            "  AND referrer_share_percentage IS NULL)"
            " OR (type = 'professional_referral' AND owner_professional_id IS NOT NULL"
            "     AND budget IS NOT NULL AND referrer_share_percentage BETWEEN 0 AND 90)",
            name="leads_owner"),
        sa.CheckConstraint("char_length(title) BETWEEN 3 AND 120", name="leads_title"),
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name="leads_budget"),
        sa.CheckConstraint("final_amount IS NULL OR final_amount > 0", name="leads_final_amount"),
        sa.CheckConstraint("proposal_count >= 0", name="leads_proposal_count"),
        sa.CheckConstraint("lat BETWEEN 29.4 AND 33.45 AND lon BETWEEN 34.2 AND 35.95",
                           name="leads_in_israel"),
    )
    op.create_index("leads_owner_user", "leads", ["owner_user_id", sa.text("created_at DESC")])
    op.create_index("leads_owner_professional", "leads",
                    ["owner_professional_id", sa.text("created_at DESC")],
                    postgresql_where=sa.text("owner_professional_id IS NOT NULL"))
    op.create_index("leads_performer", "leads", ["performer_professional_id"],
                    postgresql_where=sa.text("performer_professional_id IS NOT NULL"))
    op.create_index("leads_status_created", "leads", ["status", "created_at"])

    op.execute("""
        -- Does the caller own this lead? A consumer's request is its author's; a pro lead is its
        -- business's (whoever of its members is asking).
        CREATE FUNCTION app_owns(owner_user uuid, owner_professional uuid) RETURNS boolean
            LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT CASE WHEN owner_professional IS NULL THEN owner_user = app_user_id()
                       ELSE app_member_of(owner_professional) END $$;
    """)
    _force_rls("leads", app, "SELECT, INSERT, UPDATE")
    op.execute(f"""
        CREATE POLICY leads_select ON leads FOR SELECT
            USING (visibility = 'public' OR app_owns(owner_user_id, owner_professional_id)
                   OR app_member_of(performer_professional_id) OR app_is_trusted());
        -- New leads are open, unclaimed and in the caller's own name (or business).
        CREATE POLICY leads_insert ON leads FOR INSERT
            WITH CHECK (app_is_trusted()
                        OR (owner_user_id = app_user_id() AND status = 'active'
                            AND performer_professional_id IS NULL AND final_amount IS NULL
                            AND proposal_count = 0
                            AND (owner_professional_id IS NULL
                                 OR (app_member_of(owner_professional_id)
                                     AND EXISTS (SELECT 1 FROM professionals p
                                                 WHERE p.id = owner_professional_id
                                                   AND p.status <> 'suspended')))));
        CREATE POLICY leads_update ON leads FOR UPDATE
            USING (app_owns(owner_user_id, owner_professional_id) OR app_is_trusted())
            WITH CHECK (app_owns(owner_user_id, owner_professional_id) OR app_is_trusted());

        -- Who owns a lead and what it is never change; its status moves only along the
        -- lifecycle; counters are the platform's.
        CREATE FUNCTION leads_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.type IS DISTINCT FROM OLD.type
               OR NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id
               OR NEW.owner_professional_id IS DISTINCT FROM OLD.owner_professional_id
               OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                RAISE EXCEPTION 'a lead''s type and owner cannot change'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.status IS DISTINCT FROM OLD.status
               AND (OLD.status, NEW.status) NOT IN (
                   {", ".join(f"('{a}', '{b}')" for a, b in MOVES)}) THEN
                RAISE EXCEPTION 'a lead cannot move from % to %', OLD.status, NEW.status
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NOT app_is_trusted() AND NEW.proposal_count IS DISTINCT FROM OLD.proposal_count
            THEN
                RAISE EXCEPTION 'the proposal count is kept by the platform'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER leads_guard BEFORE UPDATE ON leads
            FOR EACH ROW EXECUTE FUNCTION leads_guard();

        -- The columns anyone may see, for any caller the leads policies let through.
        CREATE VIEW public_leads WITH (security_invoker = true) AS
            SELECT id, type, title, short_description, category_slug, subcategory_slug,
                   locality_id, lat, lon, budget, referrer_share_percentage, preferred_schedule,
                   preferred_date, status,
                   owner_professional_id, proposal_count, created_at, updated_at
            FROM leads WHERE visibility = 'public';
        GRANT SELECT ON public_leads TO {app};
    """)

    # --- the client's details, apart from the lead ----------------------------------------------
    op.execute("""
        -- May the caller see this lead's client? Its owner and its accepted performer may.
        CREATE FUNCTION app_sees_client(lid uuid) RETURNS boolean
            LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT EXISTS (SELECT 1 FROM leads l WHERE l.id = lid
                          AND (app_owns(l.owner_user_id, l.owner_professional_id)
                               OR app_member_of(l.performer_professional_id))) $$;
        -- May the caller change this lead's details? Its owner, while the lead is open.
        CREATE FUNCTION app_edits_lead(lid uuid) RETURNS boolean
            LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT EXISTS (SELECT 1 FROM leads l WHERE l.id = lid AND l.status = 'active'
                          AND app_owns(l.owner_user_id, l.owner_professional_id)) $$;
    """)
    op.create_table(
        "consumer_leads",
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("client_name", sa.String(120), nullable=False),
        sa.Column("client_phone", sa.String(16), nullable=False),
        sa.Column("client_address", sa.String(200), nullable=False, server_default=""),
        sa.Column("full_description", sa.String(2000), nullable=False),
        sa.CheckConstraint("client_phone ~ '^\\+972[0-9]{8,9}$'", name="consumer_leads_phone"),
    )
    op.create_table(
        "professional_leads",
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("client_name", sa.String(120), nullable=False),
        sa.Column("client_phone", sa.String(16), nullable=False),
        sa.Column("client_address", sa.String(200), nullable=False, server_default=""),
        sa.Column("full_description", sa.String(2000), nullable=False, server_default=""),
        sa.CheckConstraint("client_phone ~ '^\\+972[0-9]{8,9}$'",
                           name="professional_leads_phone"),
    )
    for table in ("consumer_leads", "professional_leads"):
        _force_rls(table, app, "SELECT, INSERT, UPDATE")
        op.execute(f"""
            CREATE POLICY {table}_select ON {table} FOR SELECT
                USING (app_sees_client(lead_id) OR app_is_trusted());
            CREATE POLICY {table}_insert ON {table} FOR INSERT
                WITH CHECK (app_edits_lead(lead_id) OR app_is_trusted());
            CREATE POLICY {table}_update ON {table} FOR UPDATE
                USING (app_edits_lead(lead_id) OR app_is_trusted())
                WITH CHECK (app_edits_lead(lead_id) OR app_is_trusted());
        """)

    op.create_table(
        "lead_attachments",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False, unique=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
                           name="lead_attachments_content_type"),
        sa.CheckConstraint("size_bytes BETWEEN 1 AND 10485760", name="lead_attachments_size"),
    )
    op.create_index("lead_attachments_lead", "lead_attachments", ["lead_id"])
    _force_rls("lead_attachments", app, "SELECT, INSERT, DELETE")
    op.execute("""
        -- Photos and papers of the job are as private as the client's phone.
        CREATE POLICY lead_attachments_select ON lead_attachments FOR SELECT
            USING (app_sees_client(lead_id) OR app_is_trusted());
        CREATE POLICY lead_attachments_insert ON lead_attachments FOR INSERT
            WITH CHECK ((app_edits_lead(lead_id) AND uploaded_by = app_user_id())
                        OR app_is_trusted());
        CREATE POLICY lead_attachments_delete ON lead_attachments FOR DELETE
            USING (app_edits_lead(lead_id) OR app_is_trusted());
    """)

    # --- who saw a client's details: append-only for the app role -----------------------------
    op.create_table(
        "contact_access_logs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id")),
        sa.Column("reason", sa.String(12), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("reason IN ('owner', 'performer', 'admin')",
                           name="contact_access_logs_reason"),
    )
    op.create_index("contact_access_logs_lead", "contact_access_logs", ["lead_id", "created_at"])
    _force_rls("contact_access_logs", app, "SELECT, INSERT")
    op.execute("""
        -- A row is written by the reader, about their own read of a client they may see.
        CREATE POLICY contact_access_logs_insert ON contact_access_logs FOR INSERT
            WITH CHECK ((user_id = app_user_id()
                         AND (app_sees_client(lead_id) OR app_role() = 'admin'))
                        OR app_role() = 'system');
        -- Readers see their own reads, owners who looked at their client, admins everything.
        CREATE POLICY contact_access_logs_select ON contact_access_logs FOR SELECT
            USING (app_is_trusted() OR user_id = app_user_id() OR EXISTS (
                SELECT 1 FROM leads l WHERE l.id = lead_id
                AND app_owns(l.owner_user_id, l.owner_professional_id)));
    """)

    # --- the Lead Board's read model ----------------------------------------------------------
    op.execute("""
        -- The three-letter pieces of a text, as pg_trgm would index it for LIKE (lower case,
        -- spaces collapsed): `t @> text_trigrams(q)` finds every text containing q. OFFSET 0 keeps
        -- the normalized text computed once, not once per character.
        CREATE FUNCTION text_trigrams(t text) RETURNS text[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
        $$ SELECT coalesce(array_agg(DISTINCT substr(s, i, 3)), '{}')
           FROM (SELECT lower(regexp_replace(t, '\\s+', ' ', 'g')) AS s OFFSET 0) x,
                generate_series(1, char_length(s) - 2) AS i $$;
    """)
    op.create_table(
        "lead_board",
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("short_description", sa.String(280), nullable=False),
        sa.Column("category_slug", sa.String(64), nullable=False),
        sa.Column("subcategory_slug", sa.String(64)),
        sa.Column("locality_id", sa.Integer()),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("budget", sa.Numeric(12, 2)),
        sa.Column("referrer_share_percentage", sa.Numeric(5, 2)),
        sa.Column("preferred_schedule", sa.String(16), nullable=False),
        sa.Column("owner_professional_id", sa.Uuid()),
        sa.Column("proposal_count", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("search_text", sa.Text(), sa.Computed(
            "lower(title || ' ' || short_description)", persisted=True)),
        sa.Column("search_doc", postgresql.TSVECTOR(), sa.Computed(
            "to_tsvector('simple'::regconfig, title || ' ' || short_description)",
            persisted=True)),
        sa.Column("search_trigrams", postgresql.ARRAY(sa.Text()), sa.Computed(
            "text_trigrams(title || ' ' || short_description)", persisted=True)),
    )
    op.execute("""
        CREATE INDEX lead_board_newest ON lead_board (created_at DESC, lead_id DESC);
        CREATE INDEX lead_board_category_newest
            ON lead_board (category_slug, created_at DESC, lead_id DESC);
        CREATE INDEX lead_board_category_place ON lead_board (category_slug, lat, lon);
        CREATE INDEX lead_board_place ON lead_board (lat, lon);
        CREATE INDEX lead_board_owner ON lead_board (owner_professional_id, created_at DESC)
            WHERE owner_professional_id IS NOT NULL;
        CREATE INDEX lead_board_doc ON lead_board USING gin (search_doc);
        CREATE INDEX lead_board_trigrams ON lead_board USING gin (search_trigrams);
    """)
    _force_rls("lead_board", app, "SELECT")
    op.execute("""
        -- Everything here is public by construction; only the trigger below (running as the
        -- owner of this schema) writes it.
        CREATE POLICY lead_board_read ON lead_board FOR SELECT USING (true);
        CREATE POLICY lead_board_sync ON lead_board FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);

        CREATE FUNCTION lead_board_sync() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            IF NEW.status = 'active' AND NEW.visibility = 'public' THEN
                INSERT INTO lead_board (lead_id, type, title, short_description, category_slug,
                                        subcategory_slug, locality_id, lat, lon, budget,
                                        referrer_share_percentage, preferred_schedule,
                                        owner_professional_id, proposal_count, created_at)
                VALUES (NEW.id, NEW.type, NEW.title, NEW.short_description, NEW.category_slug,
                        NEW.subcategory_slug, NEW.locality_id, NEW.lat, NEW.lon, NEW.budget,
                        NEW.referrer_share_percentage, NEW.preferred_schedule,
                        NEW.owner_professional_id, NEW.proposal_count, NEW.created_at)
                ON CONFLICT (lead_id) DO UPDATE SET
                    title = EXCLUDED.title, short_description = EXCLUDED.short_description,
                    category_slug = EXCLUDED.category_slug,
                    subcategory_slug = EXCLUDED.subcategory_slug,
                    locality_id = EXCLUDED.locality_id, lat = EXCLUDED.lat, lon = EXCLUDED.lon,
                    budget = EXCLUDED.budget,
                    referrer_share_percentage = EXCLUDED.referrer_share_percentage,
                    preferred_schedule = EXCLUDED.preferred_schedule,
                    proposal_count = EXCLUDED.proposal_count;
            ELSIF TG_OP = 'UPDATE' THEN
                DELETE FROM lead_board WHERE lead_id = NEW.id;
            END IF;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION lead_board_sync() FROM PUBLIC;
        CREATE TRIGGER lead_board_sync AFTER INSERT OR UPDATE ON leads
            FOR EACH ROW EXECUTE FUNCTION lead_board_sync();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS lead_board_sync ON leads")
    op.drop_table("lead_board")
    op.execute("DROP FUNCTION IF EXISTS lead_board_sync(); DROP FUNCTION IF EXISTS "
               "text_trigrams(text)")
    for table in ("contact_access_logs", "lead_attachments", "professional_leads",
                  "consumer_leads"):
        op.drop_table(table)
    op.execute("""
        DROP FUNCTION IF EXISTS app_edits_lead(uuid);
        DROP FUNCTION IF EXISTS app_sees_client(uuid);
        DROP VIEW IF EXISTS public_leads;
    """)
    op.drop_table("leads")
    op.execute("""
        DROP FUNCTION IF EXISTS leads_guard();
        DROP FUNCTION IF EXISTS app_owns(uuid, uuid);
    """)
    op.drop_table("subscriptions")
    op.drop_column("professionals", "subscribed_until")
    op.execute("""
        CREATE OR REPLACE FUNCTION professionals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
    """)
