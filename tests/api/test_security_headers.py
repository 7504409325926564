"""Security headers on every answer, the request body limit, and the offline API docs.

The `client` fixture serves `standalone_api()`: the API inside the same `SecurityHeaders`
middleware that wraps the whole Reflex app (that composition is checked end to end in
tests/e2e/test_security_headers.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from ofair_app.api import create_api
from ofair_app.settings import Settings, get_settings
from ofair_app.ui.state.session import TOKEN_COOKIE
from ofair_app.web.security import (
    HSTS,
    REFERRER_POLICY,
    SESSION_COOKIE,
    BuiltPages,
    SecurityHeaders,
    inline_script_hashes,
    script_hash,
)
from tests.factories import PDF_BYTES, make_professional, make_user, token_for

MB = 1024 * 1024


def assert_common_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]
    assert response.headers.get("server", "") == ""  # no banner
    assert "strict-transport-security" not in response.headers  # not production


def assert_envelope(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


# --- headers on API answers --------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/v1/health", 200),
    ("GET", "/api/v1/no-such-thing", 404),
    ("DELETE", "/api/v1/categories", 405),
    ("GET", "/api/v1/users/me", 401),
    ("GET", "/api/v1/localities?limit=0", 422),
])
async def test_every_api_answer_carries_the_headers_and_is_not_stored(client, method, path,
                                                                      status) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert_common_headers(response)
    assert response.headers["referrer-policy"] == REFERRER_POLICY
    assert response.headers["cache-control"] == "no-store"


async def test_a_signed_in_callers_json_is_never_stored(client) -> None:
    user = make_user()
    me = await client.get("/api/v1/users/me",
                          headers={"Authorization": f"Bearer {token_for(user)}"})
    assert me.status_code == 200
    assert me.headers["cache-control"] == "no-store"


async def test_reference_data_stays_cacheable_for_anonymous_callers_only(client) -> None:
    anonymous = await client.get("/api/v1/categories")
    assert anonymous.headers["cache-control"] == "public, max-age=3600"
    user = make_user()
    with_token = await client.get("/api/v1/categories",
                                  headers={"Authorization": f"Bearer {token_for(user)}"})
    with_cookie = await client.get("/api/v1/categories",
                                   headers={"Cookie": f"{SESSION_COOKIE}={token_for(user)}"})
    assert with_token.status_code == with_cookie.status_code == 200
    assert with_token.headers["cache-control"] == "no-store"
    assert with_cookie.headers["cache-control"] == "no-store"


async def test_a_token_answer_to_an_anonymous_request_is_not_stored(client) -> None:
    # verify-otp is called without credentials and answers a token: no-store by default.
    response = await client.post("/api/v1/auth/verify-otp",
                                 json={"phone": "0501234567", "otp": "000000"})
    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"


def test_the_session_cookie_is_the_login_cookie_of_the_pages() -> None:
    assert SESSION_COOKIE == TOKEN_COOKIE


# --- the middleware on any app ------------------------------------------------------------


def _plain_app(**extra_headers: str) -> Starlette:
    async def hello(request):
        return PlainTextResponse("hello", headers=extra_headers)

    async def page(request):
        return HTMLResponse("<html><script>go()</script></html>")

    async def echo(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    return Starlette(routes=[Route("/", hello), Route("/page", page),
                             WebSocketRoute("/ws", echo)])


def _production_settings() -> Settings:
    return Settings(_env_file=None, ofair_env="production", ofair_secret_key="s" * 40,
                    stripe_webhook_secret="whsec_live_secret",
                    database_url="postgresql://ofair_app:pw@db/ofair", messaging_backend="smtp")


async def _get(app, path: str = "/") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)


async def test_hsts_only_in_production() -> None:
    development = Settings(_env_file=None, ofair_env="development")
    answer = await _get(SecurityHeaders(_plain_app(), settings=development))
    assert "strict-transport-security" not in answer.headers
    answer = await _get(SecurityHeaders(_plain_app(), settings=_production_settings()))
    assert answer.headers["strict-transport-security"] == HSTS == \
        "max-age=63072000; includeSubDomains"


async def test_a_server_banner_is_dropped_and_a_routes_own_policy_kept() -> None:
    app = SecurityHeaders(_plain_app(**{"Server": "uvicorn", "Referrer-Policy": "no-referrer"}))
    answer = await _get(app)
    assert answer.headers.get_list("server") == [""]
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in answer.headers  # not HTML
    assert "cache-control" not in answer.headers  # not the API: static files stay cacheable


async def test_websockets_pass_through_untouched() -> None:
    incoming = [{"type": "websocket.connect"},
                {"type": "websocket.receive", "text": "שלום"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return incoming.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/ws", "raw_path": b"/ws", "root_path": "",
             "query_string": b"", "headers": [], "scheme": "ws", "subprotocols": []}
    await SecurityHeaders(_plain_app())(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[0].get("headers", []) == []
    assert sent[1]["text"] == "שלום"


async def test_built_pages_get_a_policy_allowing_exactly_their_inline_scripts(
        tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<html><head><script>window.a=1;\r\n</script><script type="module" async="">'
        'import "/assets/x.js";</script><script src="/assets/y.js"></script></head></html>')
    (tmp_path / "pro").mkdir()
    (tmp_path / "pro" / "index.html").write_text("<html><script>window.b=2</script></html>")
    pages = StaticFiles(directory=tmp_path, html=True)
    app = SecurityHeaders(pages, pages=BuiltPages(tmp_path))

    answer = await _get(app, "/")
    assert answer.status_code == 200
    policy = dict(part.split(" ", 1) for part in answer.headers["content-security-policy"]
                  .split("; "))
    scripts = policy["script-src"].split()
    assert {script_hash("window.a=1;\n"), script_hash('import "/assets/x.js";'),
            script_hash("window.b=2")} <= set(scripts)
    assert "'unsafe-inline'" not in scripts
    assert len([s for s in scripts if s.startswith("'sha256-")]) == 3
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'" and policy["form-action"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_html_without_a_build_allows_no_inline_script(tmp_path: Path) -> None:
    answer = await _get(SecurityHeaders(_plain_app(), pages=BuiltPages(tmp_path / "none")),
                        "/page")
    assert "sha256-" not in answer.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-eval';" in answer.headers["content-security-policy"]


def test_a_script_hash_is_the_one_browsers_compute() -> None:
    # The CSP spec's example: sha256 of "alert('Hello, world.');".
    assert script_hash("alert('Hello, world.');") == \
        "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
    assert inline_script_hashes('<SCRIPT SRC="/a.js"></SCRIPT><script>x</script>') == \
        {script_hash("x")}


# --- request body limit -------------------------------------------------------------------


async def test_a_json_body_over_1_mb_is_413_by_its_content_length(client) -> None:
    body = b'{"phone": "0501234567", "pad": "' + b"x" * MB + b'"}'
    response = await client.post("/api/v1/auth/send-otp", content=body,
                                 headers={"Content-Type": "application/json",
                                          "Accept-Language": "en"})
    assert_envelope(response, 413, "payload_too_large")
    assert response.json()["error"]["message"] == "The file or request is too large."
    assert_common_headers(response)


async def test_a_chunked_body_over_1_mb_is_413_when_its_bytes_pass_the_limit(client) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(64):  # 4 MB in 64 KB chunks, no Content-Length
            sent += 1
            yield b" " * (64 * 1024)

    response = await client.post("/api/v1/auth/send-otp", content=chunks(),
                                 headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_envelope(response, 413, "payload_too_large")
    assert sent < 64  # refused as soon as the limit passed, not after the whole body


async def test_a_body_under_the_limit_is_read_as_usual(client) -> None:
    padded = b'{"phone": "0501234567"' + b" " * (MB - 100) + b"}"
    response = await client.post("/api/v1/auth/send-otp", content=padded,
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 202, response.text


async def test_the_limit_is_a_setting(db, monkeypatch) -> None:
    monkeypatch.setenv("API_MAX_JSON_BYTES", "2048")
    get_settings.cache_clear()
    try:
        transport = httpx.ASGITransport(app=create_api())
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as small:
            response = await small.post("/api/v1/auth/send-otp",
                                        json={"phone": "0501234567", "pad": "x" * 3000})
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert_envelope(response, 413, "payload_too_large")


async def test_uploads_keep_their_own_limit(client) -> None:
    professional, owner = make_professional()
    url = f"/api/v1/professionals/{professional.id}/certificates"
    headers = {"Authorization": f"Bearer {token_for(owner)}"}
    five_mb = PDF_BYTES + b"0" * (5 * MB)
    accepted = await client.post(url, headers=headers,
                                 files={"file": ("big.pdf", five_mb, "application/pdf")})
    assert accepted.status_code == 201, accepted.text

    too_big = await client.post(url, headers=headers,
                                files={"file": ("huge.pdf", b"%PDF-1.4\n" + b"0" * (11 * MB),
                                                "application/pdf")})
    assert_envelope(too_big, 413, "payload_too_large")


# --- offline docs -------------------------------------------------------------------------


async def test_the_docs_page_loads_nothing_from_another_host(client) -> None:
    page = await client.get("/api/v1/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(?:https?:)?//", page.text), "the docs must not name another host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(assets) == ["/api/v1/docs-assets/favicon.png",
                              "/api/v1/docs-assets/swagger-ui-bundle.js",
                              "/api/v1/docs-assets/swagger-ui.css"]
    types = {"js": "javascript", "css": "text/css", "png": "image/png"}
    for asset in assets:
        answer = await client.get(asset)
        assert answer.status_code == 200, asset
        assert types[asset.rsplit(".", 1)[1]] in answer.headers["content-type"]
        assert answer.headers["cache-control"] == "public, max-age=86400"
        assert answer.headers["x-content-type-options"] == "nosniff"
    schema = await client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and "/api/v1/docs" not in schema.json()["paths"]


async def test_the_docs_page_allows_only_its_own_inline_script(client) -> None:
    page = await client.get("/api/v1/docs")
    policy = page.headers["content-security-policy"]
    (inline,) = inline_script_hashes(page.text)
    assert f"script-src 'self' {inline};" in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
