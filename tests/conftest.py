"""Test harness shared by every layer.

One embedded PostgreSQL per test session, in a temporary directory, migrated to head by the same
`db upgrade` code path operators use. Tests that touch the database take the `db` fixture, which
empties every application table after the test (as the owner role), so each test starts clean
even when it committed through several real connections (concurrency tests need that).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

# Settings are read from the environment: point them at a throwaway data directory before any
# application module is imported, and keep the scheduler out of app processes under test.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="ofair-test-"))
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
os.environ.update({
    "OFAIR_ENV": "test",
    "OFAIR_DATA_DIR": str(_DATA_DIR),
    "OFAIR_SCHEDULER": "off",
    # Quiet hours hold messages by the wall clock: off unless a test sets them (with a clock).
    "NOTIFY_QUIET_HOURS": "",
    "REFLEX_TELEMETRY_ENABLED": "false",
    "REFLEX_CHECK_LATEST_VERSION": "false",
    "REFLEX_USE_NPM": "1",
    "XDG_RUNTIME_DIR": os.environ.get("XDG_RUNTIME_DIR", "/tmp"),
})
for _name in ("DATABASE_URL", "DATABASE_OWNER_URL"):
    os.environ.pop(_name, None)

from ofair_app.db import bootstrap, embedded  # noqa: E402
from ofair_app.db.engine import database_urls, dispose_engines  # noqa: E402
from ofair_app.settings import get_settings  # noqa: E402
from tests.cardcom_standin import cardcom_api  # noqa: E402, F401 - a fixture for every layer
from tests.ita_standin import ita_api  # noqa: E402, F401 - a fixture for every layer
from tests.sms_standin import sms019_api  # noqa: E402, F401 - a fixture for every layer
from tests.webpush_standin import webpush_service  # noqa: E402, F401 - a fixture for every layer
from tests.whatsapp_standin import whatsapp_api  # noqa: E402, F401 - a fixture for every layer

# Tables holding reference data that migrations ship; never emptied between tests.
KEEP_TABLES = {"alembic_version", "categories", "subcategories", "localities"}
# Tables a migration seeds with rows the app needs (the default commission rule): emptied of
# everything but those.
SEEDED = {"commission_rules": "DELETE FROM public.commission_rules"
                              " WHERE id <> '00000000-0000-0000-0000-00000000c0de'"}


@pytest.fixture(scope="session")
def migrated_database() -> Iterator[dict[str, str]]:
    """Start the session's embedded PostgreSQL and migrate it; yields the env for subprocesses."""
    get_settings.cache_clear()
    bootstrap.upgrade()
    _throwaway_durability()
    yield {
        "OFAIR_ENV": "test",
        "OFAIR_DATA_DIR": str(_DATA_DIR),
        "OFAIR_SCHEDULER": "off",
    }
    dispose_engines()
    for engine in _superusers:
        engine.dispose()
    embedded.stop(_DATA_DIR / "pg")
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


_superusers: list = []


def _superuser():
    """The embedded server's superuser: sees every row (the owner role is under RLS too)."""
    if not _superusers:
        superuser = database_urls(get_settings()).superuser
        assert superuser is not None, "the tests run on their own embedded PostgreSQL"
        _superusers.append(create_engine(superuser.set(database=get_settings().database_name),
                                         pool_size=1))
    return _superusers[0]


def _throwaway_durability() -> None:
    """The test database is thrown away with its directory: skip flushing to disk.

    Every test commits through real connections and is emptied after, so the server would
    otherwise wait on the disk hundreds of times a test; crash safety is of no use here.
    """
    superuser = database_urls(get_settings()).superuser
    assert superuser is not None, "the tests run on their own embedded PostgreSQL"
    engine = create_engine(superuser, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(text(f"ALTER SYSTEM SET {setting} = off"))
        conn.execute(text("SELECT pg_reload_conf()"))
    engine.dispose()


def truncate_all() -> None:
    """Empty every application table a test wrote to, and restart the identity sequences it
    drew from.

    Cheap on purpose, as it runs after every test: only the tables that have a row are
    emptied (TRUNCATE of all ~90 cost 0.3 s a test, most of it creating and removing files),
    and with DELETE, as the superuser in replica mode, so foreign keys and the append-only
    guards (the ledger, the audit logs) do not fire for rows that are all going anyway.
    """
    with _superuser().begin() as conn:  # above RLS: the owner is subject to it (FORCE)
        tables = [t for t in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
            if t not in KEEP_TABLES]
        if not tables:
            return
        written = list(conn.execute(text(" UNION ALL ".join(
            f"SELECT {_literal(t)} WHERE EXISTS (SELECT FROM public.{_ident(t)})"
            for t in tables))).scalars())
        if written:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("; ".join(
                SEEDED.get(t, f"DELETE FROM public.{_ident(t)}") for t in written)))
        conn.execute(text(
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)"
            " FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"))
        # the seeded rows keep their numbers: the next one drawn follows them
        conn.execute(text("SELECT setval(pg_get_serial_sequence('commission_rules', 'seq'),"
                          " (SELECT max(seq) FROM commission_rules))"))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


@pytest.fixture
def db(migrated_database: dict[str, str]) -> Iterator[dict[str, str]]:
    """A migrated database, emptied after the test."""
    yield migrated_database
    truncate_all()

