"""Every API request is observed: it gets a request id (the `X-Request-ID` it came with, or a
new one) that is on each log line written while it runs and on its response; its latency is
measured by route template; one access line sums it up (method, route, status, time, the
caller, and the money and inventory actions it took). An error nobody handled is logged and
reported here, inside the request, and answered with the 500 envelope.
"""

from __future__ import annotations

import logging
import time

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ofair_app.api.errors import error_response
from ofair_app.observability import context, errors, metrics

logger = logging.getLogger("ofair.access")

HEADER = "X-Request-ID"


def _route(scope: Scope) -> str:
    """The route's template (`/api/v1/leads/{lead_id}`), never the path itself: ids would
    make a metric per lead. Paths no route matched count together.

    A route of an included router knows its template without the routers' prefixes (FastAPI
    0.16x); the prefix is the part of the path before the part the route matched."""
    route = scope.get("route")
    template, pattern = getattr(route, "path", None), getattr(route, "path_regex", None)
    if not template or pattern is None:
        return "unmatched"
    path = scope.get("path", "")
    for cut in (i for i, char in enumerate(path) if char == "/"):
        if pattern.fullmatch(path[cut:]):
            return path[:cut] + template
    return template


class Observe:
    """Pure ASGI middleware, the outermost of the API's own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        request_id = context.request_id_from(request.headers.get(HEADER))
        started = time.perf_counter()
        status = 500
        answered = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (HEADER.lower().encode(), request_id.encode())]
            await send(message)

        with context.working(request_id) as work:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as error:
                logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
                errors.report(error)
                if not answered:
                    await error_response(request, 500, "internal_error", "errors.internal",
                                         headers={HEADER: request_id})(scope, receive, send)
                status = 500
            finally:
                seconds = time.perf_counter() - started
                route = _route(scope)
                metrics.REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(
                    seconds)
                logger.info("%s %s %s", scope["method"], route, status, extra={
                    "method": scope["method"], "route": route, "status": status,
                    "duration_ms": round(seconds * 1000, 2), **work.actions})
