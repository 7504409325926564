"""The Lead Board knows which leads may be pinned: a flag and small indexes of those leads only.

Revision ID: 0009_board_pinned
Revises: 0008_nav
Create Date: 2026-12-01

Why (benchmarks/bench_board.py --random at 10M leads, figures in the closing note of issue 13):
the leads of subscribing businesses come first on every page 1, so their statement runs for
nearly every search. It selected them by `owner_professional_id = ANY(<every subscriber>)`
(2,000 businesses, 19,000 of the board's 3.4M leads), which the planner ANDed with the word
and place indexes: two bitmaps of 300,000-500,000 leads each to find a handful, 300-600 ms
warm, seconds cold. Now `pinned` marks the leads of businesses that subscribe (a superset:
the statement still checks the subscribers of the moment, so a subscription that has just
ended never pins), and the pinned statement reads partial indexes that hold those leads alone.

Who sets it:
- a new board row: whether its business subscribes now (`lead_board_sync`);
- a business's `subscribed_until` changing: all its board rows (`lead_board_pin`);
- a subscription ending on its own (time passing, no update): `lead_board_unpin_ended()`, run
  by the `renew_subscriptions` job. Until then the rows only cost the pinned statement a look.
"""

from collections.abc import Sequence

from alembic import op
from ofair_app.db.rls import quoted_app_role

revision: str = "0009_board_pinned"
down_revision: str | None = "0008_nav"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOARD_COLUMNS = ("title", "short_description", "category_slug", "subcategory_slug",
                 "locality_id", "lat", "lon", "budget", "referrer_share_percentage",
                 "preferred_schedule", "proposal_count")


def _sync_function(pinned: bool) -> str:
    """`lead_board_sync` as 0008 left it, and (with `pinned`) setting the flag on insert."""
    updates = ",\n                    ".join(f"{c} = EXCLUDED.{c}" for c in BOARD_COLUMNS)
    mine = ", ".join(f"lead_board.{c}" for c in BOARD_COLUMNS)
    theirs = ", ".join(f"EXCLUDED.{c}" for c in BOARD_COLUMNS)
    column = ", pinned" if pinned else ""
    value = (""",
                        EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = NEW.owner_professional_id
                                  AND p.subscribed_until > now())""" if pinned else "")
    return f"""
        CREATE OR REPLACE FUNCTION lead_board_sync() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            IF NEW.status = 'active' AND NEW.visibility = 'public' THEN
                INSERT INTO lead_board (lead_id, type, title, short_description, category_slug,
                                        subcategory_slug, locality_id, lat, lon, budget,
                                        referrer_share_percentage, preferred_schedule,
                                        owner_professional_id, proposal_count, created_at{column})
                VALUES (NEW.id, NEW.type, NEW.title, NEW.short_description, NEW.category_slug,
                        NEW.subcategory_slug, NEW.locality_id, NEW.lat, NEW.lon, NEW.budget,
                        NEW.referrer_share_percentage, NEW.preferred_schedule,
                        NEW.owner_professional_id, NEW.proposal_count, NEW.created_at{value})
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
    # A constant default adds the column without rewriting the table.
    op.execute("ALTER TABLE lead_board ADD COLUMN pinned boolean NOT NULL DEFAULT false")
    op.execute("""
        UPDATE lead_board b SET pinned = true
          FROM professionals p
         WHERE p.id = b.owner_professional_id AND p.subscribed_until > now();
        CREATE INDEX lead_board_pinned_newest ON lead_board (created_at DESC, lead_id DESC)
            WHERE pinned;
        CREATE INDEX lead_board_pinned_category_newest
            ON lead_board (category_slug, created_at DESC, lead_id DESC) WHERE pinned;
        CREATE INDEX lead_board_pinned_doc ON lead_board USING gin (search_doc) WHERE pinned;
        CREATE INDEX lead_board_pinned_place ON lead_board (lat, lon) WHERE pinned;

        CREATE FUNCTION lead_board_pin() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            UPDATE lead_board SET pinned = (NEW.subscribed_until > now()) IS TRUE
             WHERE owner_professional_id = NEW.id
               AND pinned IS DISTINCT FROM ((NEW.subscribed_until > now()) IS TRUE);
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION lead_board_pin() FROM PUBLIC;
        CREATE TRIGGER lead_board_pin AFTER UPDATE OF subscribed_until ON professionals
            FOR EACH ROW WHEN (NEW.subscribed_until IS DISTINCT FROM OLD.subscribed_until)
            EXECUTE FUNCTION lead_board_pin();

        -- Subscriptions end by time passing: the `renew_subscriptions` job unpins their leads.
        CREATE FUNCTION lead_board_unpin_ended(as_of timestamptz) RETURNS integer
            LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            WITH unpinned AS (
                UPDATE lead_board b SET pinned = false
                 WHERE pinned AND NOT EXISTS (
                       SELECT 1 FROM professionals p
                        WHERE p.id = b.owner_professional_id AND p.subscribed_until > as_of)
                RETURNING 1)
            SELECT count(*)::integer FROM unpinned $$;
        REVOKE ALL ON FUNCTION lead_board_unpin_ended(timestamptz) FROM PUBLIC;
    """)
    op.execute(f"GRANT EXECUTE ON FUNCTION lead_board_unpin_ended(timestamptz) TO {quoted_app_role(op)}")
    op.execute(_sync_function(pinned=True))
    op.execute("ANALYZE lead_board")


def downgrade() -> None:
    op.execute(_sync_function(pinned=False))
    op.execute("""
        DROP FUNCTION lead_board_unpin_ended(timestamptz);
        DROP TRIGGER lead_board_pin ON professionals;
        DROP FUNCTION lead_board_pin();
        DROP INDEX lead_board_pinned_place;
        DROP INDEX lead_board_pinned_doc;
        DROP INDEX lead_board_pinned_category_newest;
        DROP INDEX lead_board_pinned_newest;
        ALTER TABLE lead_board DROP COLUMN pinned;
    """)
