"""The REST API (`/api/v1`): thin routers that parse, call a service and shape the answer.

`create_api()` builds the FastAPI app that Reflex mounts through `api_transformer` and that
`python -m ofair_app api` serves alone. Every route lives under `/api/` so no Reflex page is
shadowed; docs are at `/api/v1/docs`, the schema at `/api/v1/openapi.json`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException
from starlette.routing import Match

from ofair_app.api.body_limit import BodyLimit
from ofair_app.api.docs import install_docs
from ofair_app.api.errors import install_error_handlers
from ofair_app.api.observe import HEADER, Observe
from ofair_app.api.openapi import install_openapi, operation_id
from ofair_app.api.routes import (
    admin_leads,
    admin_users,
    audit,
    auth,
    chat,
    commission_rules,
    consents,
    files,
    health,
    kpis,
    leads,
    milestones,
    notifications,
    payments,
    professionals,
    proposals,
    reference,
    reports,
    reviews,
    settlement,
    subscriptions,
    unlocks,
    users,
    visits,
)
from ofair_app.settings import get_settings

API_PREFIX = "/api/v1"


def create_api() -> FastAPI:
    settings = get_settings()
    api = FastAPI(
        title="OFAIR API",
        version="1",
        summary="Leads, proposals, referrals and settlement for local service businesses.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by api/docs.py, without a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        generate_unique_id_function=operation_id,
    )
    install_error_handlers(api)
    install_openapi(api)

    v1 = APIRouter(prefix=API_PREFIX)
    for module in (health, auth, audit, admin_users, admin_leads, kpis, users, consents,
                   professionals, leads, proposals, payments, settlement, reference, files,
                   reports, notifications, chat, reviews, visits, milestones, subscriptions,
                   unlocks, commission_rules):
        v1.include_router(module.router)
    api.include_router(v1)
    install_docs(api, prefix=API_PREFIX)

    # Mounted into Reflex, unknown /api/ paths would otherwise fall through to the frontend.
    @api.api_route("/api/{path:path}", include_in_schema=False,
                   methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def unknown_api_route(path: str, request: Request):
        # A known path asked with the wrong method is a 405, not a 404.
        known_path = any(
            route.matches(request.scope)[0] == Match.PARTIAL
            for route in api.router.routes if route is not request.scope.get("route"))
        raise HTTPException(status_code=405 if known_path else 404)

    api.add_middleware(BodyLimit, max_bytes=settings.api_max_json_bytes)
    api.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=[HEADER],
    )
    api.add_middleware(Observe)  # added last: the outermost, so every answer is observed
    return api
