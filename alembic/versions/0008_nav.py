"""The winner's contact card for the lead's owner, and the log of every time it was shown.

Revision ID: 0008_nav
Revises: 0008_live
Create Date: 2026-12-01

- `performer_contact_reveals`: append-only, like `contact_access_logs`: each time the winner's
  contact (business name and the phone of the member who sent the winning proposal) was shown
  to the lead's owner or an admin, who, why, from where. The reader writes it (its own user id,
  on a lead it owns; admins and the platform on any); read by the reader, the lead's owner, the
  winning business and admins.
- `lead_performer_phone(lead_id)`: that phone, and only for the lead's owner (or a trusted
  caller) while an award stands. SECURITY DEFINER, because the `users` row is another person's:
  the function, not a wider policy for the app role, decides who is given it. The schema's
  owner gets a SELECT policy on `users` (it is the role such functions run as; the app role
  never matches it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from ofair_app.db.rls import force_rls, quoted_app_role

revision: str = "0008_nav"
down_revision: str | None = "0008_live"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = postgresql.TIMESTAMP(timezone=True)


def upgrade() -> None:
    app = quoted_app_role(op)
    op.create_table(
        "performer_contact_reveals",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("lead_id", sa.Uuid(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("professional_id", sa.Uuid(), sa.ForeignKey("professionals.id"),
                  nullable=False),
        sa.Column("proposal_id", sa.Uuid(), sa.ForeignKey("proposals.id"), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("reason", sa.String(12), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("reason IN ('owner', 'admin')",
                           name="performer_contact_reveals_reason"),
    )
    op.create_index("performer_contact_reveals_lead", "performer_contact_reveals",
                    ["lead_id", "created_at"])
    force_rls(op, "performer_contact_reveals", app, "SELECT, INSERT")
    op.execute(f"""
        CREATE POLICY performer_contact_reveals_insert ON performer_contact_reveals FOR INSERT
            WITH CHECK (app_is_trusted() OR (user_id = app_user_id()
                                             AND app_owns_lead(lead_id)));
        CREATE POLICY performer_contact_reveals_select ON performer_contact_reveals FOR SELECT
            USING (app_is_trusted() OR user_id = app_user_id() OR app_owns_lead(lead_id)
                   OR app_member_of(professional_id));

        CREATE POLICY users_read_by_schema_owner ON users FOR SELECT TO CURRENT_USER
            USING (true);

        CREATE FUNCTION lead_performer_phone(lid uuid) RETURNS text
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT u.phone FROM leads l
              JOIN proposals p ON p.lead_id = l.id AND p.status = 'accepted'
                              AND p.professional_id = l.performer_professional_id
              JOIN users u ON u.id = p.created_by
             WHERE l.id = lid
               AND l.status IN ('awarded', 'in_progress', 'completed', 'closed', 'disputed')
               AND (app_owns_lead(lid) OR app_is_trusted())
        $$;
        REVOKE ALL ON FUNCTION lead_performer_phone(uuid) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION lead_performer_phone(uuid) TO {app};
    """)


def downgrade() -> None:
    op.execute("""
        DROP FUNCTION IF EXISTS lead_performer_phone(uuid);
        DROP POLICY IF EXISTS users_read_by_schema_owner ON users;
    """)
    op.drop_table("performer_contact_reveals")
