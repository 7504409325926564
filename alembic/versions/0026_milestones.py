"""Projects in milestones: each paid, held, approved, released and disputed on its own.

Revision ID: 0026_milestones
Revises: 0025_visits
Create Date: 2026-12-03

- `milestone_plans`: an accepted offer's split into steps, one per offer: who proposed it and
  when the other side agreed. Until agreed it may be replaced or withdrawn; agreed, it is the
  deal and nothing is paid for the job but through it.
- `milestones`: the steps (title, amount, due date, status), their amounts adding up to the
  offer's price (checked by the service when the plan is proposed; fixed once agreed).
- `milestone_updates` and `milestone_photos`: the performer's progress notes with photos.
- `payments.milestone_id`, `disputes.milestone_id`, `b2b_charges.milestone_id`: a payment, a
  dispute and a b2b charge each of one milestone (or of the whole job, as before). The "one
  live payment per lead" rule becomes per lead and milestone, as do "one open dispute per lead"
  and "one charge per job".
Reads: the lead's owner, the performer's members, admins. Plans and steps are written only by
the platform (after the service checked who asks); an update and its photos are inserted by
a member of the performer as themselves.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list
from ofair_app.domain.milestones import NOTE_LENGTH, TITLE_LENGTH, MilestoneStatus, Side

revision: str = "0026_milestones"
down_revision: str | None = "0025_visits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)
MONEY = sa.Numeric(12, 2)
NONE = "'00000000-0000-0000-0000-000000000000'::uuid"


def _lead() -> sa.Column:
    return sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                     nullable=False)


def _business() -> sa.Column:
    return sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                     nullable=False)


def _user(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"),
                     nullable=nullable)


READ = "app_is_trusted() OR app_owns_lead(lead_id) OR app_member_of(professional_id)"


def upgrade() -> None:
    app = quoted_app_role(op)
    sides = sql_list([s.value for s in Side])
    op.create_table(
        "milestone_plans",
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposals.id", ondelete="CASCADE"),
                  primary_key=True),
        _lead(),
        _business(),
        sa.Column("proposed_side", sa.String(10), nullable=False),
        _user("proposed_by"),
        sa.Column("proposed_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("agreed_at", TS),
        _user("agreed_by"),
        sa.CheckConstraint(f"proposed_side IN ({sides})", name="milestone_plans_side"),
    )
    # An award taken back leaves its plan on record: the lead's plan is its accepted offer's.
    op.create_index("milestone_plans_lead", "milestone_plans", ["lead_id"])
    statuses = sql_list([s.value for s in MilestoneStatus])
    op.create_table(
        "milestones",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("proposal_id", sa.Uuid(),
                  sa.ForeignKey("milestone_plans.proposal_id", ondelete="CASCADE"),
                  nullable=False),
        _lead(),
        _business(),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.String(TITLE_LENGTH[1]), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("submitted_at", TS),
        sa.Column("approved_at", TS),
        _user("approved_by"),
        sa.Column("cancelled_at", TS),
        sa.Column("released_at", TS),  # walked by the release (its money, if held, went out)
        sa.UniqueConstraint("proposal_id", "position", name="milestones_position"),
        sa.CheckConstraint("amount > 0", name="milestones_amount"),
        sa.CheckConstraint(f"status IN ({statuses})", name="milestones_status"),
        sa.CheckConstraint("(status = 'approved') = (approved_at IS NOT NULL)"
                           " OR status IN ('disputed', 'cancelled')",
                           name="milestones_approved"),
    )
    op.execute("""
        CREATE INDEX milestones_lead ON milestones (lead_id, position);
        -- The release walks approved milestones by (approved_at, id).
        CREATE INDEX milestones_approved ON milestones (approved_at, id)
            WHERE status = 'approved' AND released_at IS NULL;
        CREATE INDEX milestones_submitted ON milestones (submitted_at)
            WHERE status = 'submitted';
    """)
    op.create_table(
        "milestone_updates",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("milestone_id", sa.Uuid(), sa.ForeignKey("milestones.id", ondelete="CASCADE"),
                  nullable=False),
        _lead(),
        _business(),
        _user("author_user_id"),
        sa.Column("body", sa.String(NOTE_LENGTH[1]), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("milestone_updates_milestone", "milestone_updates",
                    ["milestone_id", "created_at"])
    op.create_table(
        "milestone_photos",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("update_id", sa.Uuid(),
                  sa.ForeignKey("milestone_updates.id", ondelete="CASCADE"), nullable=False),
        _lead(),
        _business(),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _user("uploaded_by"),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("milestone_photos_update", "milestone_photos", ["update_id"])

    for table in ("milestone_plans", "milestones"):
        force_rls(op, table, app, "SELECT, INSERT, UPDATE, DELETE")
        op.execute(f"""
            CREATE POLICY {table}_select ON {table} FOR SELECT USING ({READ});
            CREATE POLICY {table}_platform ON {table} FOR ALL
                USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
        """)
    force_rls(op, "milestone_updates", app, "SELECT, INSERT, DELETE")
    op.execute(f"""
        CREATE POLICY milestone_updates_select ON milestone_updates FOR SELECT USING ({READ});
        CREATE POLICY milestone_updates_insert ON milestone_updates FOR INSERT
            WITH CHECK (author_user_id = app_user_id() AND app_member_of(professional_id)
                        AND EXISTS (SELECT 1 FROM milestones m
                                    WHERE m.id = milestone_updates.milestone_id
                                    AND m.lead_id = milestone_updates.lead_id
                                    AND m.professional_id = milestone_updates.professional_id));
        CREATE POLICY milestone_updates_delete ON milestone_updates FOR DELETE
            USING (app_role() = 'system');
    """)
    force_rls(op, "milestone_photos", app, "SELECT, INSERT, DELETE")
    op.execute(f"""
        CREATE POLICY milestone_photos_select ON milestone_photos FOR SELECT USING ({READ});
        CREATE POLICY milestone_photos_insert ON milestone_photos FOR INSERT
            WITH CHECK (uploaded_by = app_user_id() AND app_member_of(professional_id)
                        AND EXISTS (SELECT 1 FROM milestone_updates u
                                    WHERE u.id = milestone_photos.update_id
                                    AND u.author_user_id = app_user_id()
                                    AND u.lead_id = milestone_photos.lead_id
                                    AND u.professional_id = milestone_photos.professional_id));
        CREATE POLICY milestone_photos_delete ON milestone_photos FOR DELETE
            USING (app_role() = 'system');
    """)

    # A payment, a dispute and a b2b charge of one milestone.
    for table in ("payments", "disputes", "b2b_charges"):
        op.add_column(table, sa.Column("milestone_id", sa.Uuid(),
                                       sa.ForeignKey("milestones.id"), nullable=True))
    op.execute(f"""
        DROP INDEX payments_live;
        CREATE UNIQUE INDEX payments_live ON payments (lead_id, coalesce(milestone_id, {NONE}))
            WHERE status IN ('created', 'pending', 'paid', 'partially_refunded');
        CREATE INDEX payments_milestone ON payments (milestone_id)
            WHERE milestone_id IS NOT NULL;
        DROP INDEX disputes_open_lead;
        CREATE UNIQUE INDEX disputes_open_lead
            ON disputes (lead_id, coalesce(milestone_id, {NONE})) WHERE status = 'open';
        ALTER TABLE b2b_charges DROP CONSTRAINT b2b_charges_lead_id_key;
        CREATE UNIQUE INDEX b2b_charges_one_per_job
            ON b2b_charges (lead_id, coalesce(milestone_id, {NONE}));
    """)


def downgrade() -> None:
    op.execute("""
        DROP INDEX b2b_charges_one_per_job;
        ALTER TABLE b2b_charges ADD CONSTRAINT b2b_charges_lead_id_key UNIQUE (lead_id);
        DROP INDEX disputes_open_lead;
        CREATE UNIQUE INDEX disputes_open_lead ON disputes (lead_id) WHERE status = 'open';
        DROP INDEX payments_milestone;
        DROP INDEX payments_live;
        CREATE UNIQUE INDEX payments_live ON payments (lead_id)
            WHERE status IN ('created', 'pending', 'paid', 'partially_refunded');
    """)
    for table in ("payments", "disputes", "b2b_charges"):
        op.drop_column(table, "milestone_id")
    for table in ("milestone_photos", "milestone_updates", "milestones", "milestone_plans"):
        op.drop_table(table)
