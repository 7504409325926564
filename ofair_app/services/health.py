"""Is the platform able to serve? For `GET /api/v1/health`, the admin home and load balancers."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

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
