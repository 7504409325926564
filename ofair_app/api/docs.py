"""`/api/v1/docs`: Swagger UI served entirely by the app, so the docs work offline.

FastAPI's default page loads Swagger UI from a CDN. Here its JavaScript, CSS and icon come from
the `fastapi-offline` package (which ships them) under `/api/v1/docs-assets/`, and the page
carries its own Content-Security-Policy: the app's origin only, plus the one inline script that
starts Swagger UI, allowed by its hash.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ofair_app.web.security import inline_script_hashes

ASSETS_PACKAGE = ("fastapi_offline", "static")
# The files are versioned with the installed package; a day of caching, then revalidation (ETag).
ASSETS_CACHE_CONTROL = "public, max-age=86400"


def docs_csp(html: str) -> str:
    """The docs page's policy: nothing but the app's origin and the page's own inline script."""
    scripts = " ".join(sorted(inline_script_hashes(html)))
    return "; ".join((
        "default-src 'none'",
        f"script-src 'self' {scripts}",
        "style-src 'self' 'unsafe-inline'",  # Swagger UI sets style attributes as it renders
        "img-src 'self' data:",  # the stylesheet's icons are data: SVGs
        "connect-src 'self'",  # the schema and "Try it out" requests
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


class _Cacheable:
    """Lets browsers keep the docs assets (API answers are otherwise `no-store`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cacheable(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                message["headers"] = [*message.get("headers", []),
                                      (b"cache-control", ASSETS_CACHE_CONTROL.encode())]
            await send(message)

        await self.app(scope, receive, send_cacheable)


def install_docs(api: FastAPI, *, prefix: str) -> None:
    """Serve the docs page at `{prefix}/docs` and its assets at `{prefix}/docs-assets/`.

    The FastAPI app must be created with `docs_url=None`; call this before any catch-all route.
    """
    assets = f"{prefix}/docs-assets"
    api.mount(assets, _Cacheable(StaticFiles(packages=[ASSETS_PACKAGE])), name="docs-assets")

    @api.get(f"{prefix}/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=api.openapi_url or f"{prefix}/openapi.json",
            title=f"{api.title} — docs",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            # No badge fetched from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers["Content-Security-Policy"] = docs_csp(bytes(page.body).decode("utf-8"))
        return page
