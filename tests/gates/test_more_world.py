"""`extend_world()` leaves a row in every table of MORE_TABLES. (After the accessibility world,
as gate A runs it, is `tests/integration/test_rls_matrix.py`'s own setting.)"""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import _superuser
from tests.gates.more_world import MORE_TABLES, extend_world


def _rows() -> dict[str, int]:
    """Rows in each table, counted as the superuser: row-level security hides none."""
    with _superuser().connect() as conn:
        return {table: conn.execute(text(f'SELECT count(*) FROM public."{table}"')).scalar_one()
                for table in MORE_TABLES}


def _assert_every_table_has_rows(reported: dict[str, int]) -> None:
    counted = _rows()
    assert [table for table in MORE_TABLES if counted[table] < 1] == []
    assert reported == counted


def test_extend_world_fills_every_table(db) -> None:
    _assert_every_table_has_rows(extend_world())

