"""The registry covers the migrated schema (tables and views the models don't declare too)."""

from sqlalchemy import text

from ofair_app.db.engine import owner_engine
from ofair_app.domain.personal_data import check_schema


def live_schema() -> dict[str, set[str]]:
    with owner_engine().connect() as conn:
        rows = conn.execute(text(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'")).all()
    schema: dict[str, set[str]] = {}
    for table, column in rows:
        schema.setdefault(table, set()).add(column)
    return schema


def test_every_table_and_personal_column_of_the_migrated_schema_is_registered(db):
    assert check_schema(live_schema()) == []
