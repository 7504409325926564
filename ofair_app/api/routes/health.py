"""Is the API up, and can it serve? For load balancers, orchestrators and operators.

- `GET /health`: the API and its database as the application role (200, or 503 degraded);
- `GET /health/live`: the process answers (never touches the database: a slow database must
  not get a live process restarted);
- `GET /health/ready`: it can take traffic: the database answers as the application role,
  row-level security binds that role, and the schema is the code's (Alembic's head);
- `GET /metrics`: Prometheus's text format, for an admin's token or from
  `METRICS_ALLOWED_NETWORKS` only.
"""

from __future__ import annotations

from ipaddress import ip_address

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from ofair_app.api.deps import ClientIp, OptionalCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.domain.errors import Forbidden, Unauthenticated
from ofair_app.observability import metrics
from ofair_app.services import health
from ofair_app.settings import get_settings

router = APIRouter(route_class=ExactJsonRoute)


class DatabaseStatus(BaseModel):
    status: str
    latency_ms: float
    role: str | None = None
    rls_enforced: bool | None = None


class HealthStatus(BaseModel):
    status: str
    database: DatabaseStatus


@router.get("/health", response_model=HealthStatus,
            responses={503: {"model": HealthStatus, "description": "database unreachable"}},
            name="get", tags=["health"])
def get_health() -> JSONResponse:
    """200 when the database answers through the application role; 503 otherwise."""
    db = health.check_database()
    body = HealthStatus(
        status="ok" if db.ok else "degraded",
        database=DatabaseStatus(status="ok" if db.ok else "unavailable",
                                latency_ms=db.latency_ms, role=db.role,
                                rls_enforced=db.rls_enforced),
    )
    return JSONResponse(body.model_dump(), status_code=200 if db.ok else 503)


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    rls_enforced: bool | None = None
    schema_current: bool | None = None


@router.get("/health/live", response_model=Liveness, name="live", tags=["health"])
def get_live() -> Liveness:
    """200 while the process answers; it reads nothing."""
    return Liveness(status="ok")


@router.get("/health/ready", response_model=Readiness,
            responses={503: {"model": Readiness, "description": "not ready for traffic"}},
            name="ready", tags=["health"])
def get_ready() -> JSONResponse:
    """200 when the database answers as the application role, RLS binds it and the schema is
    at the code's migration head; 503 (with what is missing) otherwise."""
    ready = health.check_ready()
    body = Readiness(status="ok" if ready.ok else "not_ready",
                     database="ok" if ready.database_ok else "unavailable",
                     rls_enforced=ready.rls_enforced, schema_current=ready.schema_current)
    return JSONResponse(body.model_dump(), status_code=200 if ready.ok else 503)


@router.get("/metrics", name="metrics", tags=["health"], response_class=Response,
            responses={200: {"content": {"text/plain": {}},
                             "description": "Prometheus text format"}, **errors(401, 403)})
def get_metrics(caller: OptionalCaller, ip: ClientIp) -> Response:
    """The platform's metrics (see `observability/metrics.py`)."""
    if caller.role != "admin" and not _allowed(ip):
        if caller.user_id is None:
            raise Unauthenticated()
        raise Forbidden("errors.admin_only")
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


def _allowed(ip: str) -> bool:
    try:
        address = ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in get_settings().metrics_allowed_networks)
