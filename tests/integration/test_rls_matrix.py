"""Gate A (issue 23): every table is under forced row-level security, and for every table that
holds tenant or personal data, another user, another business and an anonymous caller are
denied what is not theirs: reading it (beyond what the table shows anyone), changing it,
deleting it, and writing a row like it in its owner's name.

Nothing here is listed by hand but the exceptions, each with its reason:
- the tables come from the migrated database; a table holds tenant or personal data when its
  foreign keys lead, at any depth, to `users` or `professionals`, or when the personal-data
  registry names it (`domain/personal_data.py`);
- the rows to deny are the accessibility tests' world (`tests/e2e/a11y_world.py`: something in
  every state, made through the services) and what `tests/gates/more_world.py` adds, written
  after the outsiders exist; a tenant table they leave empty fails here ("no row to deny")
  until one of them writes a row, so a new table cannot pass without its denial being tested;
- a row the world wrote about an outsider (a new lead's notice to every business of its trade)
  is theirs: a row that names the outsider's id is left out of what they must be denied;
- what anyone may read is `PUBLIC_READ` (a condition per table); what an outsider may write is
  `OPEN_WRITE`.

`python -m ofair_app gates` runs this module for gate A and reads its findings from the file
`OFAIR_GATES_REPORT` names (JSON: one entry per table).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from ofair_app.db.engine import ANONYMOUS, Caller, app_engine, set_caller_context
from ofair_app.domain import personal_data
from tests.conftest import _superuser
from tests.factories import caller_for, make_professional, make_user

# Rows anyone may read (the condition, on the table's own columns), and why.
PUBLIC_READ: dict[str, tuple[str, str]] = {
    "leads": ("visibility = 'public'",
              "a public request's page, open or done: title, summary, place; never the client's "
              "details (consumer_leads, professional_leads)"),
    "lead_board": ("true", "the board's projection of open public leads"),
    "professionals": ("status <> 'suspended'", "a business's public page, until suspended"),
    "visit_hours": ("true", "the hours a client books a site visit from"),
    "visit_settings": ("true", "how long a business's visits last, what a client books from"),
    "visit_slots": ("true", "how full a visit slot is (no one's name), what a client books from"),
    "visit_exceptions": ("true", "the days a business takes no visits, what a client books from"),
    "reviews": ("hidden_at IS NULL", "reviews on a business's public page"),
    "professional_tiers": ("true", "the tier badge on a business's public page"),
    "commission_rules": ("true", "the platform's rates are public terms"),
}
# Writes an outsider may make to a row like someone else's, and why.
OPEN_WRITE: dict[str, str] = {}
CALLERS = ("other_user", "other_business", "anonymous")
# What a refused write raises: no privilege or a policy's check (42501), or a guard trigger
# (raise_exception, check_violation).
DENIED = {"42501", "P0001", "23514"}


@dataclass
class Finding:
    table: str
    rls: bool
    forced: bool
    tenant: bool
    world_rows: int = 0
    public_read: str = ""
    denied: dict[str, dict[str, str]] = field(default_factory=dict)  # caller → probe → outcome
    problems: list[str] = field(default_factory=list)


_TABLES = sa.text("""
    WITH RECURSIVE refs AS (
        SELECT k.conrelid AS tbl, k.confrelid AS ref FROM pg_constraint k
        WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace),
    reaches AS (
        SELECT tbl FROM refs
        WHERE ref IN ('public.users'::regclass, 'public.professionals'::regclass)
        UNION SELECT r.tbl FROM refs r JOIN reaches x ON r.ref = x.tbl)
    SELECT c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
           c.oid IN (SELECT tbl FROM reaches)
           OR c.relname IN ('users', 'professionals') AS linked,
           coalesce((SELECT array_agg(a.attname ORDER BY k.ord) FROM pg_index i
                     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                     WHERE i.indrelid = c.oid AND i.indisprimary), '{}') AS pk,
           (SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
            WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
              AND a.attgenerated = '' AND a.attidentity = '') AS writable
    FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
      AND c.relname <> 'alembic_version'
    ORDER BY c.relname
""")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _key(pk: list[str]) -> str:
    """The expression naming a row: its primary key as text (the row's place without one)."""
    if not pk:
        return "ctid::text"
    return "concat_ws('|', " + ", ".join(f"{_ident(c)}::text" for c in pk) + ")"


def _catalog() -> list[sa.Row]:
    with _superuser().connect() as conn:
        return list(conn.execute(_TABLES).all())


def _rows(conn, table: sa.Row, where: str = "true") -> set[str]:
    return set(conn.execute(sa.text(
        f"SELECT {_key(table.pk)} FROM public.{_ident(table.name)} t WHERE {where}")).scalars())


def _visible(caller: Caller, tables: list[sa.Row]) -> dict[str, set[str]]:
    """Every row of every table `caller` reads."""
    seen: dict[str, set[str]] = {}
    with Session(app_engine()) as session, session.begin():
        set_caller_context(session, caller)
        conn = session.connection()
        for table in tables:
            try:
                with conn.begin_nested():
                    seen[table.name] = _rows(conn, table)
            except sa.exc.DBAPIError as error:
                if _code(error) != "42501":
                    raise
                seen[table.name] = set()  # not even granted: denied
        session.rollback()
    return seen


def _naming(caller: Caller) -> str:
    """The condition of a row that names the caller or one of its businesses anywhere."""
    ids = [caller.user_id, *caller.professional_ids]
    return " OR ".join(f"strpos(CAST(row_to_json(t) AS text), '{i}') > 0" for i in ids)


def _code(error: sa.exc.DBAPIError) -> str:
    orig = error.orig
    return getattr(orig, "sqlstate", "") or "" if isinstance(orig, psycopg.Error) else ""


def _probe(conn, statement: str, params: dict) -> str:
    """A write in its own savepoint, always undone: 'denied (<sqlstate>)', 'no row' (the
    policy hid every row), or what got through."""
    savepoint = conn.begin_nested()
    try:
        result = conn.execute(sa.text(statement), params)
    except sa.exc.DBAPIError as error:
        savepoint.rollback()
        code = _code(error)
        return f"denied ({code})" if code in DENIED else f"ALLOWED: failed only on {code}"
    count = result.rowcount
    savepoint.rollback()
    return "no row" if count == 0 else f"ALLOWED: {count} rows"


def _writes(caller: Caller, table: sa.Row, keys: list[str], sample: dict | None
            ) -> dict[str, str]:
    """Change, delete and copy (a fresh key, the same owner) the world's rows as `caller`."""
    name = f"public.{_ident(table.name)}"
    where = f"{_key(table.pk)} = ANY(:keys)"
    set_to = ", ".join(f"{_ident(c)} = {_ident(c)}" for c in table.writable[:1])
    outcome: dict[str, str] = {}
    with Session(app_engine()) as session, session.begin():
        set_caller_context(session, caller)
        conn = session.connection()
        outcome["update"] = _probe(conn, f"UPDATE {name} SET {set_to} WHERE {where}",
                                   {"keys": keys})
        outcome["delete"] = _probe(conn, f"DELETE FROM {name} WHERE {where}", {"keys": keys})
        if sample is not None:
            columns = ", ".join(_ident(c) for c in table.writable)
            outcome["insert"] = _probe(conn, (
                f"INSERT INTO {name} ({columns}) SELECT {columns} FROM "
                f"json_populate_record(NULL::{name}, CAST(:row AS json))"),
                {"row": json.dumps(sample, default=str)})
        session.rollback()
    return outcome


def _sample(table: sa.Row, keys: list[str]) -> dict | None:
    """One world row as JSON, with a fresh id when its key is one uuid column."""
    with _superuser().connect() as conn:
        row = conn.execute(sa.text(
            f"SELECT row_to_json(t) FROM public.{_ident(table.name)} t"
            f" WHERE {_key(table.pk)} = :key LIMIT 1"), {"key": sorted(keys)[0]}).scalar()
    if row is None:
        return None
    if table.pk == ["id"]:
        try:
            uuid.UUID(str(row["id"]))
            row["id"] = str(uuid.uuid4())
        except ValueError:
            row["id"] = None  # a serial: let the default draw
    return row


@pytest.fixture(scope="module")
def matrix(migrated_database) -> list[Finding]:
    """The outsiders, then the world, then every probe; emptied afterwards."""
    from tests.conftest import truncate_all
    from tests.e2e.a11y_world import make_world
    from tests.gates.more_world import extend_world

    truncate_all()
    other_user = caller_for(make_user(name="אולגה זרה"))
    _, carl = make_professional(make_user(name="כרמל זר"), business_name="עסק אחר")
    callers = {"other_user": other_user, "other_business": caller_for(carl),
               "anonymous": ANONYMOUS}
    catalog = _catalog()
    with _superuser().connect() as conn:
        before = {t.name: _rows(conn, t) for t in catalog}
    make_world()
    extend_world()
    registry = {table.name for table in personal_data.REGISTRY}
    with _superuser().connect() as conn:
        world = {t.name: _rows(conn, t) - before[t.name] for t in catalog}
        public = {t.name: _rows(conn, t, PUBLIC_READ[t.name][0])
                  for t in catalog if t.name in PUBLIC_READ}
        theirs = {who: {t.name: _rows(conn, t, _naming(caller)) for t in catalog}
                  for who, caller in callers.items() if caller.user_id is not None}
    seen = {who: _visible(caller, catalog) for who, caller in callers.items()}

    findings = []
    for table in catalog:
        finding = Finding(table=table.name, rls=table.rls, forced=table.forced,
                          tenant=bool(table.linked or table.name in registry),
                          world_rows=len(world[table.name]),
                          public_read=PUBLIC_READ.get(table.name, ("", ""))[0])
        findings.append(finding)
        if not (table.rls and table.forced):
            finding.problems.append("row-level security is not enabled and forced")
        if not world[table.name]:  # platform tables without rows are not probed
            if finding.tenant:
                finding.problems.append("no row to deny: the world (tests/e2e/a11y_world.py, "
                                        "tests/gates/more_world.py) writes none")
            continue
        keys = sorted(world[table.name])
        sample = _sample(table, keys)
        for who, caller in callers.items():
            leaked = (seen[who][table.name] & world[table.name]) - public.get(table.name, set()) \
                - theirs.get(who, {}).get(table.name, set())
            outcome = {"read": f"ALLOWED: {len(leaked)} rows" if leaked else "denied"}
            outcome |= _writes(caller, table, keys, sample)
            if table.name in OPEN_WRITE:
                outcome = {probe: (f"open: {OPEN_WRITE[table.name]}"
                                   if probe != "read" and result.startswith("ALLOWED")
                                   else result) for probe, result in outcome.items()}
            finding.denied[who] = outcome
            finding.problems += [f"{who} {probe}: {result}" for probe, result in outcome.items()
                                 if result.startswith("ALLOWED")]
    report = os.environ.get("OFAIR_GATES_REPORT")
    if report:
        with open(report, "w", encoding="utf-8") as out:
            json.dump([asdict(f) for f in findings], out, ensure_ascii=False, indent=1)
    yield findings
    truncate_all()


def test_every_tenant_table_denies_another_user_another_business_and_anonymous(matrix):
    problems = [f"{f.table}: {problem}" for f in matrix for problem in f.problems]
    assert problems == [], "\n".join(problems)


def test_the_matrix_reads_the_schema_and_probes_every_caller(matrix):
    """Guards the gate itself: it found the tables, the world wrote to most of them, and every
    tenant table with rows was probed for all three callers, each probe named."""
    names = {f.table for f in matrix}
    assert {"users", "leads", "payments", "ledger_entries", "chat_messages"} <= names
    probed = [f for f in matrix if f.denied]
    assert len(probed) >= 40
    for finding in probed:
        assert set(finding.denied) == set(CALLERS)
        for outcome in finding.denied.values():
            assert {"read", "update", "delete"} <= set(outcome)
