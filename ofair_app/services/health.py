"""Is the platform able to serve? For `GET /api/v1/health`, the admin home and load balancers."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ofair_app.db.engine import ANONYMOUS, unit_of_work

logger = logging.getLogger(__name__)

# One round trip as the application role: who we are and whether RLS can bind us.
HEALTH_QUERY = text(
    "SELECT current_user, r.rolsuper OR r.rolbypassrls"
    " FROM pg_roles r WHERE r.rolname = current_user"
)


@dataclass(frozen=True)
class DatabaseHealth:
    ok: bool
    latency_ms: float
    role: str | None = None
    # False would mean the app connects as a role that bypasses row-level security.
    rls_enforced: bool | None = None


def check_database() -> DatabaseHealth:
    """Query the database through the application role; never raises."""
    started = time.perf_counter()
    try:
        with unit_of_work(ANONYMOUS) as session:
            role, bypasses = session.execute(HEALTH_QUERY).one()
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("database health check failed: %s", exc.__class__.__name__)
        return DatabaseHealth(ok=False, latency_ms=_ms_since(started))
    return DatabaseHealth(ok=not bypasses, latency_ms=_ms_since(started), role=role,
                          rls_enforced=not bypasses)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


@dataclass(frozen=True)
class Readiness:
    database_ok: bool
    rls_enforced: bool | None = None
    schema_current: bool | None = None

    @property
    def ok(self) -> bool:
        return self.database_ok and bool(self.rls_enforced) and bool(self.schema_current)


_SCHEMA_VERSION = text("SELECT version_num FROM alembic_version")


def check_ready() -> Readiness:
    """Can this process take traffic? The database answers as the application role, RLS binds
    that role, and the schema is at the migration head this code was written for. Never
    raises."""
    database = check_database()
    if database.role is None:
        return Readiness(database_ok=False)
    try:
        with unit_of_work(ANONYMOUS) as session:
            versions = set(session.execute(_SCHEMA_VERSION).scalars())
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("readiness: schema version unreadable: %s", exc.__class__.__name__)
        return Readiness(database_ok=True, rls_enforced=database.rls_enforced,
                         schema_current=False)
    return Readiness(database_ok=True, rls_enforced=database.rls_enforced,
                     schema_current=versions == migration_heads())


@cache
def migration_heads() -> set[str]:
    """The Alembic head(s) of the migrations shipped with this code."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    root = Path(__file__).resolve().parents[2]
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "alembic"))
    return set(ScriptDirectory.from_config(config).get_heads())


@dataclass(frozen=True)
class PlatformFigures:
    outbox_backlog: int  # messages waiting to be sent
    ledger_sum: Decimal  # every ledger entry summed: always 0


_BACKLOG = text("SELECT count(*) FROM outbox_messages WHERE status = 'pending'")


def platform_figures() -> PlatformFigures | None:
    """What only the database knows, for the metrics (as the platform); None when it cannot
    be read. Never raises."""
    from ofair_app.db.engine import SYSTEM
    from ofair_app.services import ledger

    try:
        with unit_of_work(SYSTEM) as session:
            return PlatformFigures(outbox_backlog=int(session.execute(_BACKLOG).scalar_one()),
                                   ledger_sum=ledger.total_of_all_entries(session))
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("platform figures unreadable: %s", exc.__class__.__name__)
        return None
