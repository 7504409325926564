"""Helpers the migrations share to put a table under row-level security for the app role."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa


def app_role_name() -> str:
    """The application role migrations grant to (the embedded one, or the external URL's)."""
    from ofair_app.db.engine import database_urls
    from ofair_app.settings import get_settings

    settings = get_settings()
    if settings.embedded_database:
        return settings.database_app_role
    return database_urls(settings).app.username or settings.database_app_role


def quoted_app_role(op) -> str:
    return op.get_bind().execute(sa.text("SELECT quote_ident(:r)"),
                                 {"r": app_role_name()}).scalar_one()


def force_rls(op, table: str, app: str, grants: str) -> None:
    """RLS enabled and forced on `table` (even its owner obeys the policies), and `grants` for
    the app role: the policies then decide which rows."""
    op.execute(f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
        GRANT {grants} ON {table} TO {app};
    """)


def sql_list(values: Sequence[str]) -> str:
    """`'a', 'b'` for an IN (…) of literals the migration itself defines."""
    return ", ".join(f"'{v}'" for v in values)
