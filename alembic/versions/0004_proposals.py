"""Proposals, referrals and acceptance: one winner, and the client's details only for the winner.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Who may do what is written twice: in the services, and here, in policies and guard triggers, so
a bug in Python cannot award a lead twice or show a client to the wrong business.

- `proposals`: a business's offer on a lead. One live (pending or accepted) offer per business
  per lead, and one accepted offer per lead (unique indexes). Proposing needs an open lead that
  is not the proposer's own; accepting, rejecting and cancelling an award are the owner's,
  editing, withdrawing and declining the proposer's (`proposals_guard`).
- `referrals`: a pro lead offered to one chosen business, with the referrer's share frozen at
  the moment of the offer. The receiver claims it (it becomes the performer) or rejects it.
- A lead that leaves `active` closes what was still open on it: its pending proposals are
  rejected and its pending offers expire (`leads_close_offers`, a trigger, so no path forgets).
- `phone_revelations` and `lead_events` are append-only for the app role, like
  `contact_access_logs`, which now also records when access was granted and revoked.
- Counters the platform keeps (`leads.proposal_count`, `professionals.completed_jobs`) are
  written by SECURITY DEFINER triggers; the guards let only those (and trusted callers)
  change them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)

# `ofair_app.domain.proposals`: the moves of a proposal and of a referral, and who makes them.
PROPOSAL_MOVES = {
    "proposer": (("pending", "withdrawn"), ("accepted", "declined")),
    "owner": (("pending", "accepted"), ("pending", "rejected"), ("accepted", "cancelled")),
}
REFERRAL_MOVES = {
    "receiver": (("pending", "accepted"), ("pending", "rejected")),
    "referrer": (("pending", "cancelled"),),
}
PROPOSAL_STATUSES = ("pending", "accepted", "rejected", "withdrawn", "declined", "cancelled")
REFERRAL_STATUSES = ("pending", "accepted", "rejected", "expired", "cancelled")
# The lifecycle of `ofair_app.domain.leads.TRANSITIONS`, as in 0003 (a test checks they agree).
MOVES = (
    ("active", "awarded"), ("active", "cancelled"),
    ("awarded", "active"), ("awarded", "in_progress"), ("awarded", "cancelled"),
    ("in_progress", "completed"), ("in_progress", "disputed"), ("in_progress", "cancelled"),
    ("completed", "closed"), ("completed", "disputed"),
    ("closed", "disputed"),
    ("disputed", "closed"), ("disputed", "cancelled"),
)
LEAD_EVENTS = ("proposal_accepted", "award_cancelled", "award_declined", "referral_offered",
               "referral_accepted", "referral_rejected", "price_changed")
# The content of a lead that only its owner (or the platform) may change.
LEAD_CONTENT = ("title", "short_description", "category_slug", "subcategory_slug", "locality_id",
                "lat", "lon", "budget", "referrer_share_percentage", "preferred_schedule",
                "preferred_date", "visibility", "final_amount", "cancelled_at")


def _pairs(moves: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"('{a}', '{b}')" for a, b in moves)


def _attachment_columns() -> list[sa.Column]:
    return [
        sa.Column("storage_key", sa.String(200), nullable=False, unique=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    ]


def upgrade() -> None:
    app = quoted_app_role(op)
    content = ", ".join(f"NEW.{c}" for c in LEAD_CONTENT)
    old_content = ", ".join(f"OLD.{c}" for c in LEAD_CONTENT)

    op.execute("""
        -- Is this the platform itself: a trusted caller, or a SECURITY DEFINER trigger keeping a
        -- counter (it runs as the schema's owner, never the role a request connects as)?
        CREATE FUNCTION app_is_platform() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
        $$ SELECT app_is_trusted() OR current_user <> session_user $$;
    """)

    # --- proposals ----------------------------------------------------------------------------
    op.create_table(
        "proposals",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("origin", sa.String(12), nullable=False, server_default="proposal"),
        sa.Column("price", sa.Numeric(12, 2), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("scheduled_date", sa.Date()),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("decided_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"status IN ({sql_list(PROPOSAL_STATUSES)})", name="proposals_status"),
        sa.CheckConstraint("origin IN ('proposal', 'referral')", name="proposals_origin"),
        sa.CheckConstraint("price > 0", name="proposals_price"),
    )
    op.execute("""
        -- One live offer per business per lead, and one winner per lead.
        CREATE UNIQUE INDEX proposals_live ON proposals (lead_id, professional_id)
            WHERE status IN ('pending', 'accepted');
        CREATE UNIQUE INDEX proposals_winner ON proposals (lead_id) WHERE status = 'accepted';
        CREATE INDEX proposals_lead ON proposals (lead_id, created_at);
        CREATE INDEX proposals_professional ON proposals (professional_id, created_at DESC);
    """)
    op.create_table(
        "proposal_attachments",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposals.id", ondelete="CASCADE"),
                  nullable=False),
        *_attachment_columns(),
        sa.CheckConstraint("content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
                           name="proposal_attachments_content_type"),
        sa.CheckConstraint("size_bytes BETWEEN 1 AND 10485760", name="proposal_attachments_size"),
    )
    op.create_index("proposal_attachments_proposal", "proposal_attachments", ["proposal_id"])

    # --- referrals ----------------------------------------------------------------------------
    op.create_table(
        "referrals",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("referrer_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("receiver_professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        # The terms as offered: a later edit of the lead does not change what was agreed.
        sa.Column("commission_percentage", sa.Numeric(5, 2), nullable=False),
        sa.Column("budget", sa.Numeric(12, 2), nullable=False),
        sa.Column("message", sa.String(500), nullable=False, server_default=""),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposals.id")),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("decided_at", TS),
        sa.Column("decided_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"status IN ({sql_list(REFERRAL_STATUSES)})", name="referrals_status"),
        sa.CheckConstraint("commission_percentage BETWEEN 0 AND 90",
                           name="referrals_commission"),
        sa.CheckConstraint("budget >= 0", name="referrals_budget"),
        sa.CheckConstraint("referrer_professional_id <> receiver_professional_id",
                           name="referrals_not_self"),
        sa.CheckConstraint("expires_at > created_at", name="referrals_expiry"),
        sa.CheckConstraint("(status = 'accepted') = (proposal_id IS NOT NULL)",
                           name="referrals_accepted_proposal"),
    )
    op.execute("""
        CREATE UNIQUE INDEX referrals_pending ON referrals (lead_id, receiver_professional_id)
            WHERE status = 'pending';
        CREATE INDEX referrals_receiver ON referrals (receiver_professional_id, created_at DESC);
        CREATE INDEX referrals_referrer ON referrals (referrer_professional_id, created_at DESC);
        CREATE INDEX referrals_due ON referrals (expires_at) WHERE status = 'pending';
    """)

    # --- what happened to a lead, and to whom its client was shown: append-only ----------------
    op.create_table(
        "lead_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id")),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposals.id")),
        sa.Column("referral_id", sa.Uuid(), sa.ForeignKey("referrals.id")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"event IN ({sql_list(LEAD_EVENTS)})", name="lead_events_event"),
    )
    op.create_index("lead_events_lead", "lead_events", ["lead_id", "created_at"])
    op.create_table(
        "phone_revelations",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposals.id"), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("phone_revelations_lead", "phone_revelations", ["lead_id", "created_at"])
    op.add_column("contact_access_logs", sa.Column("event", sa.String(8), nullable=False,
                                                   server_default="read"))
    op.create_check_constraint("contact_access_logs_event", "contact_access_logs",
                               "event IN ('read', 'granted', 'revoked')")
    op.add_column("professionals", sa.Column("completed_jobs", sa.Integer(), nullable=False,
                                             server_default="0"))
    op.create_check_constraint(
        "leads_performer", "leads",
        "status <> 'active' OR performer_professional_id IS NULL")

    # --- who may do what ------------------------------------------------------------------------
    op.execute("""
        -- Does the caller own the lead (through RLS: a lead the caller cannot see is not theirs)?
        CREATE FUNCTION app_owns_lead(lid uuid) RETURNS boolean LANGUAGE sql STABLE AS
        $$ SELECT EXISTS (SELECT 1 FROM leads l WHERE l.id = lid
                          AND app_owns(l.owner_user_id, l.owner_professional_id)) $$;
        -- Was the lead ever offered to one of the caller's businesses?
        CREATE FUNCTION app_referred_to(lid uuid) RETURNS boolean LANGUAGE sql STABLE AS
        $$ SELECT EXISTS (SELECT 1 FROM referrals r WHERE r.lead_id = lid
                          AND app_member_of(r.receiver_professional_id)) $$;
        -- Does business `pid` (the caller's) hold a pending, unexpired offer of the lead?
        CREATE FUNCTION app_may_claim(lid uuid, pid uuid) RETURNS boolean LANGUAGE sql STABLE AS
        $$ SELECT EXISTS (SELECT 1 FROM referrals r WHERE r.lead_id = lid
                          AND r.status = 'pending' AND r.expires_at > now()
                          AND app_member_of(r.receiver_professional_id)
                          AND (pid IS NULL OR r.receiver_professional_id = pid)) $$;
    """)
    op.execute(f"""
        DROP POLICY leads_select ON leads;
        CREATE POLICY leads_select ON leads FOR SELECT
            USING (visibility = 'public' OR app_owns(owner_user_id, owner_professional_id)
                   OR app_member_of(performer_professional_id) OR app_is_trusted()
                   OR app_referred_to(id));
        -- A business offered the lead claims it, naming itself the performer.
        CREATE POLICY leads_claim ON leads FOR UPDATE
            USING (app_may_claim(id, NULL))
            WITH CHECK (status = 'awarded' AND app_member_of(performer_professional_id)
                        AND app_may_claim(id, performer_professional_id));
        -- The performer gives an awarded lead back.
        CREATE POLICY leads_give_back ON leads FOR UPDATE
            USING (app_member_of(performer_professional_id))
            WITH CHECK (status = 'active' AND performer_professional_id IS NULL);
        -- Counters kept by the platform's triggers (they run as this schema's owner).
        CREATE POLICY leads_platform ON leads FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);

        CREATE OR REPLACE FUNCTION leads_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.type IS DISTINCT FROM OLD.type
               OR NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id
               OR NEW.owner_professional_id IS DISTINCT FROM OLD.owner_professional_id
               OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                RAISE EXCEPTION 'a lead''s type and owner cannot change'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.status IS DISTINCT FROM OLD.status
               AND (OLD.status, NEW.status) NOT IN ({_pairs(MOVES)}) THEN
                RAISE EXCEPTION 'a lead cannot move from % to %', OLD.status, NEW.status
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NOT app_is_platform() THEN
                IF NEW.proposal_count IS DISTINCT FROM OLD.proposal_count THEN
                    RAISE EXCEPTION 'the proposal count is kept by the platform'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                -- Someone other than the owner only claims the lead or gives it back.
                IF NOT app_owns(OLD.owner_user_id, OLD.owner_professional_id) AND (
                       ({content}) IS DISTINCT FROM ({old_content})
                       OR NOT ((OLD.status = 'active' AND NEW.status = 'awarded'
                                AND app_member_of(NEW.performer_professional_id))
                               OR (OLD.status = 'awarded' AND NEW.status = 'active'
                                   AND app_member_of(OLD.performer_professional_id)))) THEN
                    RAISE EXCEPTION 'only the owner may change this lead'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                -- An award names the business whose offer was accepted, and ends with it.
                IF NEW.status = 'awarded' AND OLD.status = 'active' AND NOT EXISTS (
                       SELECT 1 FROM proposals p WHERE p.lead_id = NEW.id AND p.status = 'accepted'
                       AND p.professional_id = NEW.performer_professional_id) THEN
                    RAISE EXCEPTION 'a lead is awarded to the business whose offer was accepted'
                        USING ERRCODE = 'check_violation';
                END IF;
                IF OLD.status = 'awarded' AND NEW.status IN ('active', 'cancelled') AND EXISTS (
                       SELECT 1 FROM proposals p WHERE p.lead_id = NEW.id
                       AND p.status = 'accepted') THEN
                    RAISE EXCEPTION 'end the accepted offer before the award'
                        USING ERRCODE = 'check_violation';
                END IF;
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
    """)
    force_rls(op, "proposals", app, "SELECT, INSERT, UPDATE")
    op.execute(f"""
        CREATE POLICY proposals_select ON proposals FOR SELECT
            USING (app_member_of(professional_id) OR app_owns_lead(lead_id) OR app_is_trusted());
        -- An offer on an open lead that is not the proposer's own (a lead the proposer cannot see
        -- does not count); or the accepted offer a business writes when it claims a referral.
        CREATE POLICY proposals_insert ON proposals FOR INSERT
            WITH CHECK (app_is_trusted() OR (
                app_member_of(professional_id) AND created_by = app_user_id()
                AND EXISTS (SELECT 1 FROM professionals p WHERE p.id = professional_id
                            AND p.status <> 'suspended')
                AND ((status = 'pending' AND origin = 'proposal' AND EXISTS (
                         SELECT 1 FROM leads l WHERE l.id = lead_id AND l.status = 'active'
                         AND NOT app_owns(l.owner_user_id, l.owner_professional_id)))
                     OR (status = 'accepted' AND origin = 'referral'
                         AND app_may_claim(lead_id, professional_id)))));
        CREATE POLICY proposals_update ON proposals FOR UPDATE
            USING (app_member_of(professional_id) OR app_owns_lead(lead_id) OR app_is_trusted())
            WITH CHECK (app_member_of(professional_id) OR app_owns_lead(lead_id)
                        OR app_is_trusted());
        CREATE POLICY proposals_platform ON proposals FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);

        CREATE FUNCTION proposals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.lead_id IS DISTINCT FROM OLD.lead_id
               OR NEW.professional_id IS DISTINCT FROM OLD.professional_id
               OR NEW.created_by IS DISTINCT FROM OLD.created_by
               OR NEW.origin IS DISTINCT FROM OLD.origin
               OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                RAISE EXCEPTION 'an offer''s lead and business cannot change'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF (NEW.description, NEW.scheduled_date) IS DISTINCT FROM
                   (OLD.description, OLD.scheduled_date)
               AND (OLD.status <> 'pending' OR NOT app_member_of(OLD.professional_id))
               AND NOT app_is_trusted() THEN
                RAISE EXCEPTION 'only the proposer edits a pending offer'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.price IS DISTINCT FROM OLD.price AND OLD.status NOT IN ('pending', 'accepted')
            THEN
                RAISE EXCEPTION 'the price of a closed offer cannot change'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.status IS DISTINCT FROM OLD.status AND NOT app_is_platform() THEN
                IF NOT ((app_member_of(OLD.professional_id)
                         AND (OLD.status, NEW.status) IN ({_pairs(PROPOSAL_MOVES["proposer"])}))
                        OR (app_owns_lead(OLD.lead_id)
                            AND (OLD.status, NEW.status) IN ({_pairs(PROPOSAL_MOVES["owner"])})))
                THEN
                    RAISE EXCEPTION 'an offer cannot move from % to % here', OLD.status,
                        NEW.status USING ERRCODE = 'check_violation';
                END IF;
            ELSIF NEW.status IS DISTINCT FROM OLD.status
                  AND NOT (OLD.status = 'pending' AND NEW.status = 'rejected') THEN
                RAISE EXCEPTION 'an offer cannot move from % to %', OLD.status, NEW.status
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.status IS DISTINCT FROM OLD.status THEN
                NEW.decided_at := now();
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER proposals_guard BEFORE UPDATE ON proposals
            FOR EACH ROW EXECUTE FUNCTION proposals_guard();

        -- Offers received (withdrawn ones do not count). The update waits for the lead's row, so
        -- an offer racing the lead's award is refused once the award commits.
        CREATE FUNCTION proposals_count() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            delta integer := CASE
                WHEN TG_OP = 'INSERT' THEN 1
                WHEN OLD.status <> 'withdrawn' AND NEW.status = 'withdrawn' THEN -1
                ELSE 0 END;
            lead_status text;
        BEGIN
            IF delta <> 0 THEN
                UPDATE leads SET proposal_count = proposal_count + delta WHERE id = NEW.lead_id
                    RETURNING status INTO lead_status;
                IF TG_OP = 'INSERT' AND NEW.status = 'pending' AND lead_status <> 'active' THEN
                    RAISE EXCEPTION 'the lead is no longer open' USING ERRCODE = 'OF001';
                END IF;
            END IF;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION proposals_count() FROM PUBLIC;
        CREATE TRIGGER proposals_count AFTER INSERT OR UPDATE OF status ON proposals
            FOR EACH ROW EXECUTE FUNCTION proposals_count();
    """)
    force_rls(op, "proposal_attachments", app, "SELECT, INSERT, DELETE")
    op.execute("""
        CREATE FUNCTION app_sees_proposal(prop uuid) RETURNS boolean LANGUAGE sql STABLE AS
        $$ SELECT EXISTS (SELECT 1 FROM proposals p WHERE p.id = prop) $$;
        -- Editable by the proposer while the offer is pending.
        CREATE FUNCTION app_edits_proposal(prop uuid) RETURNS boolean LANGUAGE sql STABLE AS
        $$ SELECT EXISTS (SELECT 1 FROM proposals p WHERE p.id = prop AND p.status = 'pending'
                          AND app_member_of(p.professional_id)) $$;
        CREATE POLICY proposal_attachments_select ON proposal_attachments FOR SELECT
            USING (app_sees_proposal(proposal_id) OR app_is_trusted());
        CREATE POLICY proposal_attachments_insert ON proposal_attachments FOR INSERT
            WITH CHECK ((app_edits_proposal(proposal_id) AND uploaded_by = app_user_id())
                        OR app_is_trusted());
        CREATE POLICY proposal_attachments_delete ON proposal_attachments FOR DELETE
            USING (app_edits_proposal(proposal_id) OR app_is_trusted());
    """)

    force_rls(op, "referrals", app, "SELECT, INSERT, UPDATE")
    op.execute(f"""
        CREATE POLICY referrals_select ON referrals FOR SELECT
            USING (app_member_of(referrer_professional_id)
                   OR app_member_of(receiver_professional_id) OR app_is_trusted());
        -- Only the owner business offers its own open pro lead, at the lead's current terms.
        CREATE POLICY referrals_insert ON referrals FOR INSERT
            WITH CHECK (app_is_trusted() OR (
                app_member_of(referrer_professional_id) AND created_by = app_user_id()
                AND status = 'pending' AND proposal_id IS NULL AND EXISTS (
                    SELECT 1 FROM leads l WHERE l.id = lead_id
                    AND l.owner_professional_id = referrer_professional_id
                    AND l.type = 'professional_referral' AND l.status = 'active'
                    AND l.referrer_share_percentage = commission_percentage)));
        CREATE POLICY referrals_update ON referrals FOR UPDATE
            USING (app_member_of(referrer_professional_id)
                   OR app_member_of(receiver_professional_id) OR app_is_trusted())
            WITH CHECK (app_member_of(referrer_professional_id)
                        OR app_member_of(receiver_professional_id) OR app_is_trusted());
        CREATE POLICY referrals_platform ON referrals FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);

        CREATE FUNCTION referrals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (NEW.lead_id, NEW.referrer_professional_id, NEW.receiver_professional_id,
                NEW.created_by, NEW.commission_percentage, NEW.budget, NEW.message,
                NEW.expires_at, NEW.created_at)
               IS DISTINCT FROM
               (OLD.lead_id, OLD.referrer_professional_id, OLD.receiver_professional_id,
                OLD.created_by, OLD.commission_percentage, OLD.budget, OLD.message,
                OLD.expires_at, OLD.created_at) THEN
                RAISE EXCEPTION 'the terms of an offer are frozen when it is made'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.status IS DISTINCT FROM OLD.status THEN
                IF NOT ((app_member_of(OLD.receiver_professional_id)
                         AND (OLD.status, NEW.status) IN ({_pairs(REFERRAL_MOVES["receiver"])}))
                        OR (app_member_of(OLD.referrer_professional_id)
                            AND (OLD.status, NEW.status) IN ({_pairs(REFERRAL_MOVES["referrer"])}))
                        OR (app_is_platform() AND OLD.status = 'pending'
                            AND NEW.status IN ('expired', 'cancelled'))) THEN
                    RAISE EXCEPTION 'an offer cannot move from % to % here', OLD.status,
                        NEW.status USING ERRCODE = 'check_violation';
                END IF;
                NEW.decided_at := coalesce(NEW.decided_at, now());
            ELSIF NEW.proposal_id IS DISTINCT FROM OLD.proposal_id THEN
                RAISE EXCEPTION 'an offer''s proposal is set when it is accepted'
                    USING ERRCODE = 'check_violation';
            END IF;
            NEW.updated_at := now();
            RETURN NEW;
        END $$;
        CREATE TRIGGER referrals_guard BEFORE UPDATE ON referrals
            FOR EACH ROW EXECUTE FUNCTION referrals_guard();

        -- A lead that leaves `active` closes what was open on it: pending offers on it are
        -- rejected, and pending referrals expire (except the one the claiming business holds).
        CREATE FUNCTION leads_close_offers() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            UPDATE proposals SET status = 'rejected' WHERE lead_id = NEW.id AND status = 'pending';
            UPDATE referrals SET status = 'expired' WHERE lead_id = NEW.id AND status = 'pending'
                AND NOT (receiver_professional_id = NEW.performer_professional_id
                         AND app_member_of(NEW.performer_professional_id));
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION leads_close_offers() FROM PUBLIC;
        CREATE TRIGGER leads_close_offers AFTER UPDATE OF status ON leads
            FOR EACH ROW WHEN (OLD.status = 'active' AND NEW.status <> 'active')
            EXECUTE FUNCTION leads_close_offers();

        -- Jobs a business completed, for its public profile.
        CREATE POLICY professionals_platform ON professionals FOR ALL TO CURRENT_USER
            USING (true) WITH CHECK (true);
        CREATE FUNCTION leads_count_completed() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            UPDATE professionals SET completed_jobs = completed_jobs + 1
                WHERE id = NEW.performer_professional_id;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION leads_count_completed() FROM PUBLIC;
        CREATE TRIGGER leads_count_completed AFTER UPDATE OF status ON leads
            FOR EACH ROW WHEN (OLD.status = 'completed' AND NEW.status = 'closed'
                               AND NEW.performer_professional_id IS NOT NULL)
            EXECUTE FUNCTION leads_count_completed();
    """)
    op.execute(_professionals_guard(with_completed_jobs=True))

    for table in ("lead_events", "phone_revelations"):
        force_rls(op, table, app, "SELECT, INSERT")
    op.execute("""
        -- Written by the actor about a lead they act on; read by its owner, the business it
        -- names, and admins.
        CREATE POLICY lead_events_insert ON lead_events FOR INSERT
            WITH CHECK (app_is_trusted() OR (actor_user_id = app_user_id()
                        AND (app_owns_lead(lead_id) OR app_member_of(professional_id))));
        CREATE POLICY lead_events_select ON lead_events FOR SELECT
            USING (app_is_trusted() OR app_owns_lead(lead_id) OR app_member_of(professional_id));
        -- Written when a client's phone is shown to a winner: by the owner who accepted, or by
        -- the winner claiming a referral (who may see the client by then).
        CREATE POLICY phone_revelations_insert ON phone_revelations FOR INSERT
            WITH CHECK (app_is_trusted() OR (user_id = app_user_id()
                        AND app_sees_client(lead_id)));
        CREATE POLICY phone_revelations_select ON phone_revelations FOR SELECT
            USING (app_is_trusted() OR user_id = app_user_id() OR app_owns_lead(lead_id)
                   OR app_member_of(professional_id));
    """)


def _professionals_guard(*, with_completed_jobs: bool) -> str:
    completed = "OR NEW.completed_jobs IS DISTINCT FROM OLD.completed_jobs" \
        if with_completed_jobs else ""
    trusted = "app_is_platform()" if with_completed_jobs else "app_is_trusted()"
    return f"""
        CREATE OR REPLACE FUNCTION professionals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT {trusted} THEN
                IF NEW.status IS DISTINCT FROM OLD.status
                   OR NEW.verified IS DISTINCT FROM OLD.verified
                   OR NEW.verified_at IS DISTINCT FROM OLD.verified_at
                   OR NEW.rating IS DISTINCT FROM OLD.rating
                   OR NEW.review_count IS DISTINCT FROM OLD.review_count
                   OR NEW.subscribed_until IS DISTINCT FROM OLD.subscribed_until
                   {completed}
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
    """


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER IF EXISTS leads_count_completed ON leads;
        DROP FUNCTION IF EXISTS leads_count_completed();
        DROP POLICY IF EXISTS professionals_platform ON professionals;
        DROP TRIGGER IF EXISTS leads_close_offers ON leads;
        DROP FUNCTION IF EXISTS leads_close_offers();
    """)
    op.execute(_professionals_guard(with_completed_jobs=False))
    for table in ("phone_revelations", "lead_events", "proposal_attachments"):
        op.drop_table(table)
    op.drop_table("referrals")
    op.drop_table("proposals")
    op.execute("""
        DROP FUNCTION IF EXISTS referrals_guard();
        DROP FUNCTION IF EXISTS proposals_guard();
        DROP FUNCTION IF EXISTS proposals_count();
        DROP FUNCTION IF EXISTS app_sees_proposal(uuid);
        DROP FUNCTION IF EXISTS app_edits_proposal(uuid);
        DROP POLICY IF EXISTS leads_claim ON leads;
        DROP POLICY IF EXISTS leads_give_back ON leads;
        DROP POLICY IF EXISTS leads_platform ON leads;
        DROP POLICY leads_select ON leads;
        CREATE POLICY leads_select ON leads FOR SELECT
            USING (visibility = 'public' OR app_owns(owner_user_id, owner_professional_id)
                   OR app_member_of(performer_professional_id) OR app_is_trusted());
        DROP FUNCTION IF EXISTS app_may_claim(uuid, uuid);
        DROP FUNCTION IF EXISTS app_referred_to(uuid);
        DROP FUNCTION IF EXISTS app_owns_lead(uuid);
    """)
    op.drop_constraint("leads_performer", "leads")
    op.drop_column("professionals", "completed_jobs")
    op.drop_constraint("contact_access_logs_event", "contact_access_logs")
    op.drop_column("contact_access_logs", "event")
    # leads_guard as 0003 wrote it.
    op.execute(f"""
        CREATE OR REPLACE FUNCTION leads_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.type IS DISTINCT FROM OLD.type
               OR NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id
               OR NEW.owner_professional_id IS DISTINCT FROM OLD.owner_professional_id
               OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                RAISE EXCEPTION 'a lead''s type and owner cannot change'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.status IS DISTINCT FROM OLD.status
               AND (OLD.status, NEW.status) NOT IN ({_pairs(MOVES)}) THEN
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
        DROP FUNCTION IF EXISTS app_is_platform();
    """)
