"""The Lead Board's text search reads one word index; budgets get an index; unchanged leads no
longer rewrite their board row.

Revision ID: 0008
Revises: 0007b
Create Date: 2026-12-01

Why (benchmarks/bench_board.py --random, figures in the closing note of issue 13):

- Text search matched words by prefix (`search_doc`, full text) OR the phrase anywhere
  (`search_trigrams`, every three-letter piece of the text, and `search_text LIKE`). The
  trigram array made up most of the table (530 MB of the board's 745 at 1M leads), most of the
  cost of writing a lead (the board took 11 of the 12.4 s to insert 10,000 leads), and the
  slowest searches (the array checked row by row). What the phrase search found that a prefix
  search did not was Hebrew's one-letter prefixes: `מזגן` in `ומזגנים`. `board_document` now
  indexes each Hebrew word also without up to three leading prefix letters (ו ה ב כ ל מ ש), so
  a word's prefix finds it behind them, and the trigram array, the lower-cased copy and the
  `text_trigrams` function go.
- A budget range can narrow a search on its own: `budget_cents` (a bigint copy of `budget`) has
  an index. Not `budget` itself: numeric comparisons are not leakproof, so under row-level
  security the planner may not read their statistics, and it took every budget range for one
  that matches a single row (it then walked the whole budget index for a range that holds most
  of the board). Integer comparisons are leakproof: their estimates are right.
- `lead_board_sync` rewrote the board row (and its search document and every index entry) on
  every update of a lead, even when nothing the board shows changed; now only when it did.
  The table keeps 10 % of each page free, so a new proposal count stays on its page.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOARD_COLUMNS = ("title", "short_description", "category_slug", "subcategory_slug",
                 "locality_id", "lat", "lon", "budget", "referrer_share_percentage",
                 "preferred_schedule", "proposal_count")


def _sync_function(only_changes: bool) -> str:
    updates = ",\n                    ".join(f"{c} = EXCLUDED.{c}" for c in BOARD_COLUMNS)
    changed = ""
    if only_changes:
        mine = ", ".join(f"lead_board.{c}" for c in BOARD_COLUMNS)
        theirs = ", ".join(f"EXCLUDED.{c}" for c in BOARD_COLUMNS)
        changed = f"\n                WHERE ({mine})\n                    IS DISTINCT FROM ({theirs})"
    return f"""
        CREATE OR REPLACE FUNCTION lead_board_sync() RETURNS trigger
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
                    {updates}{changed};
            ELSIF TG_OP = 'UPDATE' THEN
                DELETE FROM lead_board WHERE lead_id = NEW.id;
            END IF;
            RETURN NULL;
        END $$;
        REVOKE ALL ON FUNCTION lead_board_sync() FROM PUBLIC;
    """


def upgrade() -> None:
    op.execute("""
        -- The words of a text (lower case, as the 'simple' configuration makes them, and with
        -- Hebrew's final letters in their usual form: `מזגן` is the start of `מזגנים`), and
        -- each Hebrew word also without one, two or three leading prefix letters when two
        -- letters or more remain: a search for `מזגן` then finds `ומזגנים` and `המזגן` too.
        -- `board.text_condition` normalizes the searched words the same way.
        CREATE FUNCTION board_document(t text) RETURNS tsvector
            LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
        $$ SELECT to_tsvector('simple'::regconfig, s) || to_tsvector('simple'::regconfig,
               coalesce((SELECT string_agg(substr(m[1], n + 1), ' ')
                         FROM regexp_matches(s, '[א-ת]{3,}', 'g') AS m,
                              generate_series(1, 3) AS n
                         WHERE m[1] ~ ('^[והבכלמש]{' || n || '}[א-ת]{2}')), ''))
           FROM (SELECT translate(t, 'ךםןףץ', 'כמנפצ') AS s OFFSET 0) normalized $$;

        DROP INDEX lead_board_trigrams;
        DROP INDEX lead_board_doc;
        ALTER TABLE lead_board DROP COLUMN search_trigrams, DROP COLUMN search_text,
                               DROP COLUMN search_doc;
        DROP FUNCTION text_trigrams(text);
        ALTER TABLE lead_board SET (fillfactor = 90);
        -- Adding a stored generated column rewrites the table (compact, at the new fill factor).
        ALTER TABLE lead_board ADD COLUMN search_doc tsvector GENERATED ALWAYS AS
            (board_document(title || ' ' || short_description)) STORED;
        ALTER TABLE lead_board ADD COLUMN budget_cents bigint GENERATED ALWAYS AS
            ((budget * 100)::bigint) STORED;
        CREATE INDEX lead_board_doc ON lead_board USING gin (search_doc);
        CREATE INDEX lead_board_budget ON lead_board (budget_cents)
            WHERE budget_cents IS NOT NULL;
    """)
    op.execute(_sync_function(only_changes=True))
    op.execute("ANALYZE lead_board")


def downgrade() -> None:
    op.execute(_sync_function(only_changes=False))
    op.execute("""
        CREATE FUNCTION text_trigrams(t text) RETURNS text[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
        $$ SELECT coalesce(array_agg(DISTINCT substr(s, i, 3)), '{}')
           FROM (SELECT lower(regexp_replace(t, '\\s+', ' ', 'g')) AS s OFFSET 0) x,
                generate_series(1, char_length(s) - 2) AS i $$;
        DROP INDEX lead_board_budget;
        DROP INDEX lead_board_doc;
        ALTER TABLE lead_board DROP COLUMN search_doc, DROP COLUMN budget_cents;
        ALTER TABLE lead_board RESET (fillfactor);
        ALTER TABLE lead_board
            ADD COLUMN search_text text GENERATED ALWAYS AS
                (lower(title || ' ' || short_description)) STORED,
            ADD COLUMN search_doc tsvector GENERATED ALWAYS AS
                (to_tsvector('simple'::regconfig, title || ' ' || short_description)) STORED,
            ADD COLUMN search_trigrams text[] GENERATED ALWAYS AS
                (text_trigrams(title || ' ' || short_description)) STORED;
        CREATE INDEX lead_board_doc ON lead_board USING gin (search_doc);
        CREATE INDEX lead_board_trigrams ON lead_board USING gin (search_trigrams);
        DROP FUNCTION board_document(text);
    """)
