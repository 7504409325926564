"""Tiers order the Lead Board: a business's tier moves its leads up, within their group.

Revision ID: 0032_board_tiers
Revises: 0031_commission_rules
Create Date: 2026-12-03

Issue 22 point 2: a tier changes board visibility, "ordering within unpinned leads". A strict
order by tier would put a Premium business's month-old lead above every fresh lead of a Bronze
one, and the board would go stale. Instead each tier is worth a head start in time
(`TIER_BOARD_BOOST_HOURS`: by default Silver 2 hours, Gold 4, Premium 8): a lead ranks as if it
had been posted that much later. The board still reads newest first, by one stored key:

- `professional_tiers.board_boost`: the head start of the business's tier, written with the
  tier by the `update_tiers` job (from the setting of the day);
- `lead_board.boosted_at`: `created_at` plus the owner's head start, only for a lead that has
  one (a client's own request and a Bronze business's lead: empty). Set when the row is written
  (`lead_board_sync`) and when the owner's head start changes (`lead_board_rank`, over the
  owner's rows through `lead_board_owner`);
- the board's order is `coalesce(boosted_at, created_at)`: its newest-first indexes read that
  instead of `created_at`, as does the cursor.

Why a column empty for most leads rather than a rank on every row: adding it rewrites nothing
(a lead_board row update also recomputes its search document, minutes at 1M leads), so the
migration costs the four index builds, and a tier run touches only the boosted businesses'
leads.

Pinned leads still come first; within the pinned and within the rest, the same key orders them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032_board_tiers"
down_revision: str | None = "0031_commission_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOARD_COLUMNS = ("title", "short_description", "category_slug", "subcategory_slug",
                 "locality_id", "lat", "lon", "budget", "referrer_share_percentage",
                 "preferred_schedule", "proposal_count", "direct_contact", "unlock_count")
# (name, columns, partial condition) of the newest-first indexes, on the key of `order`.
ORDER_INDEXES = (("newest", "", ""), ("category_newest", "category_slug, ", ""),
                 ("pinned_newest", "", " WHERE pinned"),
                 ("pinned_category_newest", "category_slug, ", " WHERE pinned"))


RANK = "coalesce(boosted_at, created_at)"


def _indexes(order: str) -> str:
    return "\n".join(
        f"DROP INDEX lead_board_{name};\n"
        f"CREATE INDEX lead_board_{name} ON lead_board ({columns}({order}) DESC, lead_id DESC)"
        f"{where};" for name, columns, where in ORDER_INDEXES)


def _sync_function(ranked: bool) -> str:
    """`lead_board_sync` as 0028 left it and (with `ranked`) giving a new row its rank."""
    updates = ",\n                    ".join(f"{c} = EXCLUDED.{c}" for c in BOARD_COLUMNS)
    mine = ", ".join(f"lead_board.{c}" for c in BOARD_COLUMNS)
    theirs = ", ".join(f"EXCLUDED.{c}" for c in BOARD_COLUMNS)
    column = ", boosted_at" if ranked else ""
    value = (""",
                        NEW.created_at + (SELECT nullif(t.board_boost, interval '0')
                                          FROM professional_tiers t
                                          WHERE t.professional_id = NEW.owner_professional_id)"""
             if ranked else "")
    return f"""
        CREATE OR REPLACE FUNCTION lead_board_sync() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            IF NEW.status = 'active' AND NEW.visibility = 'public' AND NEW.hidden_at IS NULL THEN
                INSERT INTO lead_board (lead_id, type, title, short_description, category_slug,
                                        subcategory_slug, locality_id, lat, lon, budget,
                                        referrer_share_percentage, preferred_schedule,
                                        owner_professional_id, proposal_count, created_at,
                                        pinned, direct_contact, unlock_count{column})
                VALUES (NEW.id, NEW.type, NEW.title, NEW.short_description, NEW.category_slug,
                        NEW.subcategory_slug, NEW.locality_id, NEW.lat, NEW.lon, NEW.budget,
                        NEW.referrer_share_percentage, NEW.preferred_schedule,
                        NEW.owner_professional_id, NEW.proposal_count, NEW.created_at,
                        EXISTS (SELECT 1 FROM professionals p
                                WHERE p.id = NEW.owner_professional_id
                                  AND p.subscribed_until > now()),
                        NEW.direct_contact, NEW.unlock_count{value})
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
    op.execute("""
        ALTER TABLE professional_tiers ADD COLUMN board_boost interval NOT NULL DEFAULT '0',
            ADD CONSTRAINT professional_tiers_board_boost
                CHECK (board_boost BETWEEN interval '0' AND interval '7 days');
        ALTER TABLE lead_board ADD COLUMN boosted_at timestamptz;
    """)
    op.execute(_indexes(RANK))
    op.execute(_sync_function(ranked=True))
    op.execute("""
        CREATE FUNCTION lead_board_rank() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW.board_boost = OLD.board_boost
               OR TG_OP = 'INSERT' AND NEW.board_boost = interval '0' THEN
                RETURN NULL;  -- the rows' rank stands (a new tier row's leads had none)
            END IF;
            UPDATE lead_board
               SET boosted_at = created_at + nullif(NEW.board_boost, interval '0')
             WHERE owner_professional_id = NEW.professional_id
               AND boosted_at IS DISTINCT FROM
                   created_at + nullif(NEW.board_boost, interval '0');
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION lead_board_rank() FROM PUBLIC;
        CREATE TRIGGER lead_board_rank AFTER INSERT OR UPDATE OF board_boost
            ON professional_tiers FOR EACH ROW EXECUTE FUNCTION lead_board_rank();
        ANALYZE lead_board;
    """)


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER lead_board_rank ON professional_tiers;
        DROP FUNCTION lead_board_rank();
    """)
    op.execute(_sync_function(ranked=False))
    op.execute(_indexes("created_at"))
    op.execute("""
        ALTER TABLE lead_board DROP COLUMN boosted_at;
        ALTER TABLE professional_tiers DROP COLUMN board_boost;
    """)
