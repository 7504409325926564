"""Site visits with lock-safe capacity, and the one-time check-in on site.

Revision ID: 0025_visits
Revises: 0024_reviews
Create Date: 2026-12-03

- `visit_settings`, `visit_hours`, `visit_exceptions`: when a business visits clients (weekly
  hours, or a date's own hours; a date with no hours is closed), how long a visit takes and how
  many it makes at once. Anyone reads them (they are what a client books from); the business's
  members write them.
- `visit_slots`: the inventory. One row per business and start, written the first time it is
  booked, `booked` of `capacity` places taken; a booking locks the row, so the last place goes
  to exactly one of any number of bookings at once. Only the platform writes it (the service,
  after the caller's right to book was checked by the policy on `site_visits`).
- `site_visits`: a booked visit of a business to a lead's client. The lead's owner books with a
  business that made an offer on it; the performer books after the award. Both sides read and
  change it (cancel, move); at most one booked visit per lead and business.
- `check_in_passes`: what the client shows on site (a QR code and a short code) for a visit or
  for the awarded job. Only the client (the lead's owner) and admins read it: the business must
  not hold the code it is meant to scan. The platform writes it.
- `check_ins`: the one consume of a pass (its id is the key: a second scan cannot insert).
  The business's member inserts it as themselves; both sides and admins read it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role, sql_list
from ofair_app.domain.visits import CAPACITY_RANGE, MINUTES_RANGE, NOTE_MAX, VisitStatus

revision: str = "0025_visits"
down_revision: str | None = "0024_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)


def _business(**kw) -> sa.Column:
    return sa.Column("professional_id", sa.Uuid(),
                     sa.ForeignKey("professionals.id", ondelete="CASCADE"), nullable=False, **kw)


def _lead() -> sa.Column:
    return sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id", ondelete="CASCADE"),
                     nullable=False)


def upgrade() -> None:
    app = quoted_app_role(op)
    op.create_table(
        "visit_settings",
        _business(primary_key=True),
        sa.Column("visit_minutes", sa.SmallInteger(), nullable=False, server_default="60"),
        sa.Column("capacity", sa.SmallInteger(), nullable=False, server_default="1"),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"visit_minutes BETWEEN {MINUTES_RANGE[0]} AND {MINUTES_RANGE[1]}",
                           name="visit_settings_minutes"),
        sa.CheckConstraint(f"capacity BETWEEN {CAPACITY_RANGE[0]} AND {CAPACITY_RANGE[1]}",
                           name="visit_settings_capacity"),
    )
    op.create_table(
        "visit_hours",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        _business(),
        sa.Column("weekday", sa.SmallInteger()),  # 0 is Monday, as Python counts
        sa.Column("day", sa.Date()),  # a date's own hours (an exception)
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint("(weekday IS NULL) <> (day IS NULL)", name="visit_hours_one_kind"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="visit_hours_weekday"),
        sa.CheckConstraint("starts < ends", name="visit_hours_order"),
    )
    op.create_index("visit_hours_business", "visit_hours", ["professional_id"])
    op.create_table(
        "visit_exceptions",
        _business(primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("note", sa.String(NOTE_MAX), nullable=False, server_default=""),
    )
    op.create_table(
        "visit_slots",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        _business(),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("booked", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.UniqueConstraint("professional_id", "starts_at", name="visit_slots_one_per_start"),
        sa.CheckConstraint("booked BETWEEN 0 AND capacity", name="visit_slots_capacity"),
    )
    statuses = sql_list([s.value for s in VisitStatus])
    op.create_table(
        "site_visits",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        _lead(),
        _business(),
        sa.Column("slot_id", sa.Uuid(), sa.ForeignKey("visit_slots.id"), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="booked"),
        sa.Column("booked_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("cancelled_at", TS),
        sa.Column("cancelled_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("reminded_at", TS),
        sa.CheckConstraint(f"status IN ({statuses})", name="site_visits_status"),
    )
    op.execute("""
        CREATE UNIQUE INDEX site_visits_one_booked ON site_visits (lead_id, professional_id)
            WHERE status = 'booked';
        CREATE INDEX site_visits_business ON site_visits (professional_id, starts_at);
        CREATE INDEX site_visits_due ON site_visits (starts_at)
            WHERE status = 'booked' AND reminded_at IS NULL;
    """)
    op.create_table(
        "check_in_passes",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        _lead(),
        sa.Column("visit_id", sa.Uuid(), sa.ForeignKey("site_visits.id", ondelete="CASCADE"),
                  unique=True),
        _business(),
        sa.Column("code", sa.String(8), nullable=False, unique=True),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.execute("""
        -- One pass for the job itself (a visit has its own).
        CREATE UNIQUE INDEX check_in_passes_one_per_job ON check_in_passes (lead_id)
            WHERE visit_id IS NULL;
    """)
    op.create_table(
        "check_ins",
        sa.Column("pass_id", sa.Uuid(), sa.ForeignKey("check_in_passes.id", ondelete="CASCADE"),
                  primary_key=True),
        _lead(),
        sa.Column("visit_id", sa.Uuid(), sa.ForeignKey("site_visits.id", ondelete="CASCADE")),
        _business(),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("checked_in_at", TS, nullable=False,
                  server_default=sa.text("clock_timestamp()")),
        sa.Column("place", sa.String(200), nullable=False, server_default=""),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
    )
    op.create_index("check_ins_lead", "check_ins", ["lead_id"])

    for table in ("visit_settings", "visit_hours", "visit_exceptions"):
        force_rls(op, table, app, "SELECT, INSERT, UPDATE, DELETE")
        op.execute(f"""
            CREATE POLICY {table}_read ON {table} FOR SELECT USING (true);
            CREATE POLICY {table}_insert ON {table} FOR INSERT
                WITH CHECK (app_member_of(professional_id));
            CREATE POLICY {table}_update ON {table} FOR UPDATE
                USING (app_member_of(professional_id))
                WITH CHECK (app_member_of(professional_id));
            CREATE POLICY {table}_delete ON {table} FOR DELETE
                USING (app_member_of(professional_id));
        """)
    force_rls(op, "visit_slots", app, "SELECT, INSERT, UPDATE")
    op.execute("""
        CREATE POLICY visit_slots_read ON visit_slots FOR SELECT USING (true);
        CREATE POLICY visit_slots_insert ON visit_slots FOR INSERT
            WITH CHECK (app_role() = 'system');
        CREATE POLICY visit_slots_update ON visit_slots FOR UPDATE
            USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
    """)
    force_rls(op, "site_visits", app, "SELECT, INSERT, DELETE")
    op.execute(f"""
        GRANT UPDATE (status, cancelled_at, cancelled_by, slot_id, starts_at, ends_at,
                      reminded_at) ON site_visits TO {app};
        CREATE POLICY site_visits_select ON site_visits FOR SELECT
            USING (app_is_trusted() OR app_owns_lead(lead_id) OR app_member_of(professional_id));
        -- The owner, with a business that made an offer on the lead; or the performer's member.
        CREATE POLICY site_visits_insert ON site_visits FOR INSERT
            WITH CHECK (booked_by = app_user_id() AND status = 'booked' AND (
                (app_owns_lead(lead_id)
                 AND EXISTS (SELECT 1 FROM proposals p WHERE p.lead_id = site_visits.lead_id
                             AND p.professional_id = site_visits.professional_id))
                OR (app_member_of(professional_id)
                    AND EXISTS (SELECT 1 FROM leads l WHERE l.id = site_visits.lead_id
                                AND l.performer_professional_id = site_visits.professional_id))));
        CREATE POLICY site_visits_update ON site_visits FOR UPDATE
            USING (app_role() = 'system' OR app_owns_lead(lead_id)
                   OR app_member_of(professional_id))
            WITH CHECK (app_role() = 'system' OR app_owns_lead(lead_id)
                        OR app_member_of(professional_id));
        CREATE POLICY site_visits_delete ON site_visits FOR DELETE
            USING (app_role() = 'system');
    """)
    force_rls(op, "check_in_passes", app, "SELECT, INSERT, UPDATE, DELETE")
    op.execute("""
        -- The client's, never the business's: it is what the business scans on site.
        CREATE POLICY check_in_passes_select ON check_in_passes FOR SELECT
            USING (app_is_trusted() OR app_owns_lead(lead_id));
        CREATE POLICY check_in_passes_platform ON check_in_passes FOR ALL
            USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
    """)
    force_rls(op, "check_ins", app, "SELECT, INSERT, DELETE")
    op.execute(f"""
        -- Only the platform changes one: a closed account's place and position are blanked.
        GRANT UPDATE (place, lat, lon) ON check_ins TO {app};
        CREATE POLICY check_ins_update ON check_ins FOR UPDATE
            USING (app_role() = 'system') WITH CHECK (app_role() = 'system');
        CREATE POLICY check_ins_select ON check_ins FOR SELECT
            USING (app_is_trusted() OR app_owns_lead(lead_id) OR app_member_of(professional_id));
        CREATE POLICY check_ins_insert ON check_ins FOR INSERT
            WITH CHECK (user_id = app_user_id() AND app_member_of(professional_id));
        CREATE POLICY check_ins_delete ON check_ins FOR DELETE
            USING (app_role() = 'system');
    """)


def downgrade() -> None:
    for table in ("check_ins", "check_in_passes", "site_visits", "visit_slots",
                  "visit_exceptions", "visit_hours", "visit_settings"):
        op.drop_table(table)
