"""Many ids in one parameter: a `uuid[]` as PostgreSQL writes it, read and sent as one string.

The Lead Board excludes (or pins) the leads of every business subscribing right now, in each of
its statements. At 2,000 subscribers (10M leads), reading them as 2,000 rows and sending them
back as a list cost more than the statements: psycopg writes a list element by element (a
pattern match each), about 4 ms a statement, and the read 9 ms a page
(benchmarks/bench_board.py --random). As one `'{…}'` string, read with `::text` and sent back
typed `uuid[]`, the database parses it once per statement and, knowing the values when it plans
(the board's custom plans), hashes it: the same plan as for a list.
"""

from __future__ import annotations

from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg.adapt import Dumper


class IdArray(str):
    """Ids written as a PostgreSQL `uuid[]` (`'{…}'`), as `array_agg(id)::text` reads them."""

    __slots__ = ()

    @property
    def empty(self) -> bool:
        return self == "{}"

    def param(self) -> sa.BindParameter[Any]:
        """This value as a statement's parameter (compare with `column == sa.func.any(...)`):
        sent as written, typed `uuid[]` by the driver, with no cast in the statement (a cast
        of text would be parsed again for every row)."""
        return sa.literal(self, type_=sa.types.NullType())


class _IdArrayDumper(Dumper):
    oid = psycopg.adapters.types["uuid"].array_oid

    def dump(self, obj: Any) -> bytes:
        return str(obj).encode()


psycopg.adapters.register_dumper(IdArray, _IdArrayDumper)
