"""Every change to a lead announces itself: `NOTIFY lead_changed, '<lead id>'`.

Revision ID: 0008_live
Revises: 0008
Create Date: 2026-12-01

The lead pages that are open (the consumer's request, the owner business's lead page, the
proposer's and performer's, the referrer's) must show the other side's move within seconds.
Rather than trusting every service to remember to announce what it changed, the tables that make
up a lead's state announce it themselves: an AFTER INSERT OR UPDATE row trigger on `leads`,
`proposals`, `referrals`, `payments`, `disputes` and `lead_events` calls
`pg_notify('lead_changed', <lead id>)`. PostgreSQL delivers a notification only when its
transaction commits (nothing for a rollback) and folds identical ones of one transaction into
one, so a use case that touches five rows of a lead sends one signal. One listener per app
process (`ofair_app/ui/state/live.py`) wakes the pages watching that lead.

The payload is only a lead id: nothing about the lead travels, and every page re-reads what it
shows through its own unit of work, under its own caller's RLS.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_live"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the column that holds the lead's id
LEAD_TABLES = {
    "leads": "id",
    "proposals": "lead_id",
    "referrals": "lead_id",
    "payments": "lead_id",
    "disputes": "lead_id",
    "lead_events": "lead_id",
}


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION notify_lead_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- TG_ARGV[0] names the column with the lead's id (`id` on leads itself).
            PERFORM pg_notify('lead_changed', to_jsonb(NEW) ->> TG_ARGV[0]);
            RETURN NULL;
        END
        $$;
    """)
    for table, column in LEAD_TABLES.items():
        op.execute(f"""
            CREATE TRIGGER {table}_notify_lead_changed
                AFTER INSERT OR UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION notify_lead_changed('{column}');
        """)


def downgrade() -> None:
    for table in LEAD_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_lead_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS notify_lead_changed()")
