"""The board's word index holds every start of every word, and the lead's category and type.

Revision ID: 0009b_board_words
Revises: 0009_board_pinned
Create Date: 2026-12-01

Why (benchmarks/bench_board.py --random at 10M leads, figures in the closing note of issue 13):
a search matched each word as the start of a word (`מזגן:*`). PostgreSQL answers such a
prefix by reading every word that starts with it into a bitmap of leads first: for a common
word at 10M leads, 100,000-500,000 leads, 70-250 ms, before it can combine anything. When the
conditions are broad one by one and match few leads together (a category, two common words,
a lead type: "roofing, `שיפוץ דירה`, referrals" matches none), two or three such bitmaps were
built to find nothing, 0.5-2 s.

Now the document holds each word's starts of two letters and more (`מז`, `מזג`, `מזגנ`,
`מזגני`, `מזגנים`; a one-letter word as itself) and three tags, `#c:<category>`,
`#s:<subcategory>` and `#t:<type>`. A search asks for whole entries (`'מזגנ' & '#c:hvac'`),
which the GIN index intersects by skipping through its sorted lists from the rarest: the
cost follows what matches together, not what each matches alone. Same matches as before: a
word is the start of a word exactly when it is one of the starts stored (up to 40 letters;
the search cuts words there). The document is about three times as many entries.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009b_board_words"
down_revision: str | None = "0009_board_pinned"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = """
    CREATE INDEX lead_board_doc ON lead_board USING gin (search_doc);
    CREATE INDEX lead_board_pinned_doc ON lead_board USING gin (search_doc) WHERE pinned;
"""


def upgrade() -> None:
    op.execute(f"""
        -- Every start of two letters or more of each word (one-letter words as they are),
        -- up to 40 letters: a search for the start of a word asks for one whole entry.
        CREATE FUNCTION board_word_starts(d tsvector) RETURNS tsvector
            LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS
        $$ SELECT array_to_tsvector(coalesce(array_agg(DISTINCT left(lexeme, n)), '{{}}'))
           FROM unnest(d) AS u,
                generate_series(least(2, length(lexeme)), least(length(lexeme), 40)) AS n $$;
        -- What a search may combine with its words, in the same index. `#` never starts a word.
        CREATE FUNCTION board_tags(category text, subcategory text, type text) RETURNS tsvector
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
        $$ SELECT array_to_tsvector(array_remove(
               ARRAY['#c:' || category, '#s:' || subcategory, '#t:' || type], NULL)) $$;

        DROP INDEX lead_board_pinned_doc;
        DROP INDEX lead_board_doc;
        ALTER TABLE lead_board DROP COLUMN search_doc;
        ALTER TABLE lead_board ADD COLUMN search_doc tsvector GENERATED ALWAYS AS
            (board_word_starts(board_document(title || ' ' || short_description))
             || board_tags(category_slug, subcategory_slug, type)) STORED;
        {_INDEXES}
        ANALYZE lead_board;
    """)


def downgrade() -> None:
    op.execute(f"""
        DROP INDEX lead_board_pinned_doc;
        DROP INDEX lead_board_doc;
        ALTER TABLE lead_board DROP COLUMN search_doc;
        ALTER TABLE lead_board ADD COLUMN search_doc tsvector GENERATED ALWAYS AS
            (board_document(title || ' ' || short_description)) STORED;
        {_INDEXES}
        DROP FUNCTION board_tags(text, text, text);
        DROP FUNCTION board_word_starts(tsvector);
    """)
