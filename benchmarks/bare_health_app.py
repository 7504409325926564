"""The baseline for `bench_health.py`: a bare ASGI app doing the same database work as
`GET /api/v1/health` (one transaction as the application role: set the caller context, run the
health query), with no framework, no validation, no error envelope."""

from __future__ import annotations

import json

import anyio
from sqlalchemy import text

from ofair_app.db.engine import app_engine
from ofair_app.services.health import HEALTH_QUERY

CONTEXT = text("SELECT set_config('app.current_user_id', '', true),"
               " set_config('app.current_role', 'anonymous', true),"
               " set_config('app.tenant_ids', '', true)")


def _query() -> bytes:
    with app_engine().begin() as conn:
        conn.execute(CONTEXT)
        role, bypasses = conn.execute(HEALTH_QUERY).one()
    return json.dumps({"status": "ok", "database": {"role": role, "rls_enforced": not bypasses}},
                      separators=(",", ":")).encode()


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = await anyio.to_thread.run_sync(_query)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
