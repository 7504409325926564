"""Reviews of closed jobs, and the requests that ask for them.

Revision ID: 0024_reviews
Revises: 0023_chat
Create Date: 2026-12-03

- `reviews`: one per lead, written by its owner about its performer once the lead is closed
  (the insert policy checks the lead, so only real closed jobs are ever reviewed): an overall
  score and four aspects from 1 to 5, a text, how the reviewer is shown. `reviews_guard` says
  who changes what: the reviewer the scores and text for 7 days, the business its one reply,
  an admin only whether it is hidden (with a reason); the platform anything (a closed
  account's name is blanked). Everyone reads the shown reviews; a hidden one stays readable to
  its two sides and admins. The business's `rating` and `review_count` are kept by the service
  in the same transaction (the `professionals_guard` lets only the platform change them).
- `review_requests`: the job asked the owner for a review when it closed; the reminder job
  marks the one reminder it sends. The platform's rows; owners read their own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list
from ofair_app.domain.reviews import (
    ASPECTS,
    BODY_MAX,
    EDIT_DAYS,
    REASON_MAX,
    REPLY_MAX,
    SCORE_RANGE,
    Display,
)

revision: str = "0024_reviews"
down_revision: str | None = "0023_chat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)
SCORES = ("rating", *ASPECTS)


def _score(name: str) -> sa.Column:
    return sa.Column(name, sa.SmallInteger(), nullable=False)


def upgrade() -> None:
    app = quoted_app_role(op)
    low, high = SCORE_RANGE
    op.create_table(
        "reviews",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reviewer_user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        *[_score(name) for name in SCORES],
        sa.Column("body", sa.String(BODY_MAX), nullable=False, server_default=""),
        sa.Column("display", sa.String(8), nullable=False, server_default=Display.name.value),
        sa.Column("reviewer_name", sa.String(40), nullable=False, server_default=""),
        sa.Column("locality_id", sa.Integer(), sa.ForeignKey("localities.id")),
        sa.Column("reply", sa.String(REPLY_MAX)),
        sa.Column("replied_at", TS),
        sa.Column("replied_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("hidden_at", TS),
        sa.Column("hidden_reason", sa.String(REASON_MAX)),
        sa.Column("hidden_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        *[sa.CheckConstraint(f"{name} BETWEEN {low} AND {high}", name=f"reviews_{name}")
          for name in SCORES],
        sa.CheckConstraint(f"display IN ({sql_list([d.value for d in Display])})",
                           name="reviews_display"),
        sa.CheckConstraint("reply IS NULL OR char_length(btrim(reply)) > 0",
                           name="reviews_reply_text"),
        sa.CheckConstraint("(hidden_at IS NULL) = (hidden_reason IS NULL)",
                           name="reviews_hidden_reason"),
    )
    op.execute("""
        -- A business's page: its shown reviews, newest first, a cursor page at a time.
        CREATE INDEX reviews_professional ON reviews (professional_id, created_at DESC, id DESC)
            WHERE hidden_at IS NULL;
        CREATE INDEX reviews_reviewer ON reviews (reviewer_user_id);
    """)
    op.create_table(
        "review_requests",
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("professional_id", sa.Uuid(),
                  sa.ForeignKey("professionals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("requested_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("reminded_at", TS),
    )
    op.execute("""
        CREATE INDEX review_requests_due ON review_requests (requested_at)
            WHERE reminded_at IS NULL;
    """)

    scores_changed = " OR ".join(f"NEW.{name} IS DISTINCT FROM OLD.{name}"
                                 for name in (*SCORES, "body", "display"))
    op.execute(f"""
        CREATE FUNCTION reviews_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            content boolean := {scores_changed};
            answer boolean := NEW.reply IS DISTINCT FROM OLD.reply
                              OR NEW.replied_at IS DISTINCT FROM OLD.replied_at
                              OR NEW.replied_by IS DISTINCT FROM OLD.replied_by;
            moderation boolean := NEW.hidden_at IS DISTINCT FROM OLD.hidden_at
                                  OR NEW.hidden_reason IS DISTINCT FROM OLD.hidden_reason
                                  OR NEW.hidden_by IS DISTINCT FROM OLD.hidden_by;
        BEGIN
            IF NEW.lead_id IS DISTINCT FROM OLD.lead_id
               OR NEW.professional_id IS DISTINCT FROM OLD.professional_id
               OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                RAISE EXCEPTION 'a review stays with its job' USING ERRCODE = 'check_violation';
            END IF;
            IF app_role() <> 'system' THEN
                IF NEW.reviewer_user_id IS DISTINCT FROM OLD.reviewer_user_id
                   OR NEW.reviewer_name IS DISTINCT FROM OLD.reviewer_name
                   OR NEW.locality_id IS DISTINCT FROM OLD.locality_id
                   OR (content AND (OLD.reviewer_user_id IS DISTINCT FROM app_user_id()
                                    OR now() > OLD.created_at + interval '{EDIT_DAYS} days'))
                   OR (answer AND (OLD.reply IS NOT NULL
                                   OR NOT app_member_of(OLD.professional_id)
                                   OR NEW.replied_by IS DISTINCT FROM app_user_id()))
                   OR (moderation AND app_role() <> 'admin') THEN
                    RAISE EXCEPTION 'not yours to change in this review'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            END IF;
            IF content THEN
                NEW.updated_at := now();
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER reviews_guard BEFORE UPDATE ON reviews
            FOR EACH ROW EXECUTE FUNCTION reviews_guard();
    """)

    force_rls(op, "reviews", app, "SELECT, INSERT, DELETE")
    columns = ", ".join((*SCORES, "body", "display", "reply", "replied_at", "replied_by",
                         "hidden_at", "hidden_reason", "hidden_by", "reviewer_user_id",
                         "reviewer_name", "updated_at"))
    op.execute(f"""
        GRANT UPDATE ({columns}) ON reviews TO {app};
        CREATE POLICY reviews_select ON reviews FOR SELECT
            USING (hidden_at IS NULL OR app_is_trusted()
                   OR reviewer_user_id = app_user_id() OR app_member_of(professional_id));
        -- Only the owner of a closed lead, about its performer, shown, unanswered.
        CREATE POLICY reviews_insert ON reviews FOR INSERT
            WITH CHECK (reviewer_user_id = app_user_id() AND hidden_at IS NULL
                        AND reply IS NULL
                        AND EXISTS (SELECT 1 FROM leads l
                                    WHERE l.id = lead_id AND l.status = 'closed'
                                      AND l.performer_professional_id = professional_id
                                      AND app_owns(l.owner_user_id, l.owner_professional_id)));
        -- The guard says which columns each party may change.
        CREATE POLICY reviews_update ON reviews FOR UPDATE
            USING (app_is_trusted() OR reviewer_user_id = app_user_id()
                   OR app_member_of(professional_id))
            WITH CHECK (true);
        CREATE POLICY reviews_delete ON reviews FOR DELETE
            USING (app_role() = 'system');
    """)
    force_rls(op, "review_requests", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        CREATE POLICY review_requests_own ON review_requests FOR SELECT
            USING (app_role() = 'system' OR user_id = app_user_id());
        CREATE POLICY review_requests_platform ON review_requests FOR ALL
            USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
    """)


def downgrade() -> None:
    op.drop_table("review_requests")
    op.drop_table("reviews")
    op.execute("DROP FUNCTION IF EXISTS reviews_guard()")
