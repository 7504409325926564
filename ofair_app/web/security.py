"""Security headers on every answer the app gives, from one pure-ASGI middleware.

How the served app is composed (Reflex 0.10, `reflex run --env prod --single-port`): Reflex's own
Starlette app holds socket.io (`/_event`), `/ping`, `/_health`, `/_upload` and, in production
single-port mode, the built pages (`.web/build/client`, served as static files); `api_transformer`
mounts it inside our FastAPI app (`/api/v1`); Reflex then puts its own Starlette layer on top
(CORS preflights, the last-resort 500). `OfairApp` (web/app.py) wraps that finished app in
`SecurityHeaders`, so API answers, Reflex's routes, preflights and the pages all pass through
here. `python -m ofair_app api` serves `standalone_api()`, the API in the same middleware.

What every answer gets: `X-Content-Type-Options: nosniff`, `Referrer-Policy`, HSTS when
`OFAIR_ENV=production`, and an empty `Server` header (no banner). HTML gets a
Content-Security-Policy (unless the route set its own, as the API docs do); API answers get
`Cache-Control: no-store` unless a route chose otherwise for an anonymous caller. Only the
response's start message is edited, so streaming bodies pass untouched and WebSockets are not
touched at all (BaseHTTPMiddleware would buffer the one and cannot handle the other).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ofair_app.settings import Settings, get_settings

# Two years, as the HSTS preload list asks; sent only in production, where TLS is guaranteed.
HSTS = "max-age=63072000; includeSubDomains"
# Paths carry lead ids and signed-link tokens: another site learns our origin, never a path, and
# nothing at all over a downgrade to http. Same-origin requests keep the full referrer.
REFERRER_POLICY = "strict-origin-when-cross-origin"
# The login cookie of the Reflex pages (ui/state/session.py TOKEN_COOKIE; a test keeps them equal).
SESSION_COOKIE = "ofair_token"
API_PATHS = "/api/"

# The pages' policy. Scripts: our files plus the exact inline scripts of the built pages (React
# Router's hydration context, the theme and locale bootstraps), by hash. 'unsafe-eval' because
# Reflex runs the JavaScript an event handler returns (`rx.call_script`, used by the language
# switch) with eval(); without it that event fails. Styles: emotion and Radix write <style>
# elements and style attributes at run time, so inline styles are allowed (styles cannot run
# code). connect-src 'self' covers the same-origin WebSocket (CSP 3 maps ws/wss to http/https).
_PAGE_POLICY = (
    ("default-src", "'self'"),
    ("script-src", "'self' 'unsafe-eval'"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("img-src", "'self' data: blob:"),
    ("font-src", "'self' data:"),
    ("connect-src", "'self'"),
    ("worker-src", "'self'"),
    ("manifest-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)

_INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTRIBUTE = re.compile(r"\ssrc\s*=", re.IGNORECASE)


def script_hash(source: str) -> str:
    """The CSP hash-source of an inline script, as a browser computes it (UTF-8, LF newlines)."""
    normalized = source.replace("\r\n", "\n").replace("\r", "\n")
    digest = hashlib.sha256(normalized.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def inline_script_hashes(html: str) -> set[str]:
    """The hash of every inline `<script>` in an HTML document (scripts with `src` are files)."""
    return {script_hash(body) for attributes, body in _INLINE_SCRIPT.findall(html)
            if not _SRC_ATTRIBUTE.search(attributes)}


def page_csp(script_hashes: Iterable[str] = ()) -> str:
    """The Content-Security-Policy of the app's pages, allowing these inline scripts."""
    hashes = " ".join(sorted(script_hashes))
    return "; ".join(f"{name} {value} {hashes}" if name == "script-src" and hashes
                     else f"{name} {value}" for name, value in _PAGE_POLICY)


class BuiltPages:
    """The CSP for the built pages: the hashes of every inline script they contain.

    The pages are static files written by the build, so their scripts are known before any
    request; the hashes are read once, on the first HTML answer, and then kept. While no page is
    built (the development server serves them itself) nothing is kept and nothing is allowed.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._csp: str | None = None

    def csp(self) -> str:
        if self._csp is not None:
            return self._csp
        hashes: set[str] = set()
        found = False
        for page in sorted(self.directory.rglob("*.html")) if self.directory.is_dir() else ():
            found = True
            hashes |= inline_script_hashes(page.read_text(encoding="utf-8", errors="replace"))
        policy = page_csp(hashes)
        if found:
            self._csp = policy
        return policy


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every HTTP answer."""

    def __init__(self, app: ASGIApp, *, settings: Settings | None = None,
                 pages: BuiltPages | None = None) -> None:
        self.app = app
        self.hsts = (settings or get_settings()).ofair_env == "production"
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith(API_PATHS)
        authenticated = api and _carries_credentials(Headers(scope=scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                self._secure(MutableHeaders(scope=message), api=api,
                             authenticated=authenticated)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _secure(self, headers: MutableHeaders, *, api: bool, authenticated: bool) -> None:
        headers["X-Content-Type-Options"] = "nosniff"
        headers.setdefault("Referrer-Policy", REFERRER_POLICY)
        if self.hsts:
            headers["Strict-Transport-Security"] = HSTS
        # No banner naming the server software. Granian (what the production server runs)
        # adds `server: granian` to any answer without a Server header and has no option to
        # stop it (granian issue #594), so the header is sent empty instead of dropped.
        headers["Server"] = ""
        content_type = headers.get("content-type", "")
        if content_type.startswith("text/html") and "content-security-policy" not in headers:
            headers["Content-Security-Policy"] = self.pages.csp() if self.pages else page_csp()
        if api and ("cache-control" not in headers
                    or (authenticated and content_type.startswith("application/json"))):
            # Personal data must not stay in a browser's or a proxy's cache. A route may make an
            # anonymous answer cacheable (reference data); a signed-in caller's JSON never is.
            headers["Cache-Control"] = "no-store"


def _carries_credentials(headers: Headers) -> bool:
    if "authorization" in headers:
        return True
    return any(SESSION_COOKIE in cookie_parser(value)
               for value in headers.getlist("cookie"))


def reflex_pages_directory() -> Path:
    """Where the production single-port server reads the built pages (as Reflex computes it)."""
    from reflex.utils import prerequisites
    from reflex_base import constants
    from reflex_base.config import get_config

    config = get_config()
    return (prerequisites.get_web_dir() / constants.Dirs.STATIC
            / config.frontend_path.strip("/")).resolve()


def secure_reflex_app(app: ASGIApp) -> ASGIApp:
    """The whole Reflex app (pages included) inside the security headers."""
    return SecurityHeaders(app, pages=BuiltPages(reflex_pages_directory()))


def standalone_api() -> ASGIApp:
    """The REST API alone, as `python -m ofair_app api` serves it, with the same headers."""
    from ofair_app.api import create_api

    return SecurityHeaders(create_api())
