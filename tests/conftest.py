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
from sqlalchemy import text

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
from ofair_app.db.engine import dispose_engines, owner_engine  # noqa: E402
from ofair_app.settings import get_settings  # noqa: E402
from tests.cardcom_standin import cardcom_api  # noqa: E402, F401 - a fixture for every layer
from tests.ita_standin import ita_api  # noqa: E402, F401 - a fixture for every layer
from tests.sms_standin import sms019_api  # noqa: E402, F401 - a fixture for every layer
from tests.webpush_standin import webpush_service  # noqa: E402, F401 - a fixture for every layer
from tests.whatsapp_standin import whatsapp_api  # noqa: E402, F401 - a fixture for every layer

# Tables holding reference data that migrations ship; never emptied between tests.
KEEP_TABLES = {"alembic_version", "categories", "subcategories", "localities"}


@pytest.fixture(scope="session")
def migrated_database() -> Iterator[dict[str, str]]:
    """Start the session's embedded PostgreSQL and migrate it; yields the env for subprocesses."""
    get_settings.cache_clear()
    bootstrap.upgrade()
    yield {
        "OFAIR_ENV": "test",
        "OFAIR_DATA_DIR": str(_DATA_DIR),
        "OFAIR_SCHEDULER": "off",
    }
    dispose_engines()
    embedded.stop(_DATA_DIR / "pg")
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


def truncate_all() -> None:
    with owner_engine().begin() as conn:
        tables = conn.execute(text(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")).scalars()
        names = [t for t in tables if t.strip('"') not in KEEP_TABLES]
        if names:
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(migrated_database: dict[str, str]) -> Iterator[dict[str, str]]:
    """A migrated database, emptied after the test."""
    yield migrated_database
    truncate_all()

