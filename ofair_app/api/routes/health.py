"""`GET /health`: is the API up, and can it reach the database as the application role?"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ofair_app.api.routing import ExactJsonRoute
from ofair_app.services import health

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
