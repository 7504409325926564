"""Admins hide a lead from the Lead Board with a reason, and restore it (issue 18 point 2).

Revision ID: 0020_lead_moderation
Revises: 0019_admin_idle
Create Date: 2026-12-02

- `leads.hidden_at`, `hidden_reason`, `hidden_by`: set by an admin, cleared on restore. Only
  the platform (an admin, a job) may change them: `leads_moderation_guard` refuses anyone
  else, the lead's owner included, whatever the application does.
- `lead_board_sync` keeps a hidden lead off the board: hiding deletes its board row (the
  trigger's "no longer on the board" branch) and restoring puts it back, pinned as before.
  The function is 0009's with the one extra condition.
- The lead itself stays readable to whoever could read it (its owner, the businesses that
  proposed): the services refuse new proposals, referrals and awards while it is hidden.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_lead_moderation"
down_revision: str | None = "0019_admin_idle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOARD_COLUMNS = ("title", "short_description", "category_slug", "subcategory_slug",
                 "locality_id", "lat", "lon", "budget", "referrer_share_percentage",
                 "preferred_schedule", "proposal_count")


def _sync_function(moderated: bool) -> str:
    """`lead_board_sync` as 0009 left it and (with `moderated`) leaving hidden leads out."""
    updates = ",\n                    ".join(f"{c} = EXCLUDED.{c}" for c in BOARD_COLUMNS)
    mine = ", ".join(f"lead_board.{c}" for c in BOARD_COLUMNS)
    theirs = ", ".join(f"EXCLUDED.{c}" for c in BOARD_COLUMNS)
    shown = " AND NEW.hidden_at IS NULL" if moderated else ""
    return f"""
        CREATE OR REPLACE FUNCTION lead_board_sync() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            IF NEW.status = 'active' AND NEW.visibility = 'public'{shown} THEN
                INSERT INTO lead_board (lead_id, type, title, short_description, category_slug,
                                        subcategory_slug, locality_id, lat, lon, budget,
                                        referrer_share_percentage, preferred_schedule,
                                        owner_professional_id, proposal_count, created_at, pinned)
                VALUES (NEW.id, NEW.type, NEW.title, NEW.short_description, NEW.category_slug,
                        NEW.subcategory_slug, NEW.locality_id, NEW.lat, NEW.lon, NEW.budget,
                        NEW.referrer_share_percentage, NEW.preferred_schedule,
                        NEW.owner_professional_id, NEW.proposal_count, NEW.created_at,
                        EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = NEW.owner_professional_id
                                  AND p.subscribed_until > now()))
                ON CONFLICT (lead_id) DO UPDATE SET
                    {updates}
                WHERE ({mine})
                    IS DISTINCT FROM ({theirs});
            ELSIF TG_OP = 'UPDATE' THEN
                DELETE FROM lead_board WHERE lead_id = NEW.id;
            END IF;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION lead_board_sync() FROM PUBLIC;
    """


def upgrade() -> None:
    # Nullable columns without defaults: no table rewrite at 1M+ leads.
    op.execute("""
        ALTER TABLE leads ADD COLUMN hidden_at timestamptz,
                          ADD COLUMN hidden_reason varchar(500),
                          ADD COLUMN hidden_by uuid REFERENCES users(id);
        ALTER TABLE leads ADD CONSTRAINT leads_hidden_whole CHECK (
            (hidden_at IS NULL) = (hidden_reason IS NULL)
            AND (hidden_at IS NULL) = (hidden_by IS NULL)) NOT VALID;
        ALTER TABLE leads VALIDATE CONSTRAINT leads_hidden_whole;
        CREATE INDEX leads_hidden ON leads (hidden_at DESC) WHERE hidden_at IS NOT NULL;

        CREATE FUNCTION leads_moderation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT app_is_trusted() AND (NEW.hidden_at, NEW.hidden_reason, NEW.hidden_by)
                   IS DISTINCT FROM (OLD.hidden_at, OLD.hidden_reason, OLD.hidden_by) THEN
                RAISE EXCEPTION 'only the platform hides or restores a lead'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER leads_moderation_guard BEFORE UPDATE ON leads
            FOR EACH ROW EXECUTE FUNCTION leads_moderation_guard();
        CREATE FUNCTION leads_moderation_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT app_is_trusted() AND NEW.hidden_at IS NOT NULL THEN
                RAISE EXCEPTION 'only the platform hides a lead'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER leads_moderation_insert BEFORE INSERT ON leads
            FOR EACH ROW EXECUTE FUNCTION leads_moderation_insert();
    """)
    op.execute(_sync_function(moderated=True))


def downgrade() -> None:
    op.execute(_sync_function(moderated=False))
    op.execute("""
        DROP TRIGGER leads_moderation_insert ON leads;
        DROP FUNCTION leads_moderation_insert();
        DROP TRIGGER leads_moderation_guard ON leads;
        DROP FUNCTION leads_moderation_guard();
        ALTER TABLE leads DROP COLUMN hidden_by, DROP COLUMN hidden_reason,
                          DROP COLUMN hidden_at;
    """)
