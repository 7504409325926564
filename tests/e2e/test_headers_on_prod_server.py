"""Security headers and the pages' Content-Security-Policy on the production server itself
(`reflex run --env prod --single-port`, granian): every kind of answer, and pages that render and
work with no CSP violation."""

from __future__ import annotations

import re
import select
import socket

import httpx
from playwright.sync_api import expect

# Records every CSP violation the page reports, from before its first script runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def _policy(response: httpx.Response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1)
                for part in response.headers["content-security-policy"].split(";"))


def _assert_common(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.url
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers.get("server", "") == "", response.headers.get("server")
    assert "strict-transport-security" not in response.headers  # OFAIR_ENV is not production


def test_every_kind_of_answer_carries_the_headers(app_url):
    with httpx.Client(base_url=app_url, timeout=10) as http:
        page = http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        _assert_common(page)
        policy = _policy(page)
        scripts = policy["script-src"].split()
        assert "'unsafe-inline'" not in scripts and any(s.startswith("'sha256-") for s in scripts)
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert policy["connect-src"] == "'self'" and policy["default-src"] == "'self'"

        missing = http.get("/no/such/page")
        assert missing.status_code == 404 and "content-security-policy" in missing.headers
        _assert_common(missing)

        asset = re.search(r'src="(/assets/[^"]+\.js)"|href="(/assets/[^"]+\.js)"', page.text)
        assert asset, "the page loads its code from /assets"
        script = http.get(asset.group(1) or asset.group(2), headers={"Accept-Encoding": "gzip"})
        assert script.status_code == 200
        _assert_common(script)
        assert "no-store" not in script.headers.get("cache-control", "")  # may be cached

        for path in ("/ping", "/_health", "/api/v1/health", "/api/v1/nope"):
            answer = http.get(path)
            _assert_common(answer)
        assert http.get("/api/v1/health").headers["cache-control"] == "no-store"

        preflight = http.options("/api/v1/auth/send-otp", headers={
            "Origin": app_url, "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 200
        _assert_common(preflight)


def _post_chunked(app_url: str, path: str, body: bytes) -> httpx.Response:
    """POST `body` in 64 KiB chunks, pausing after each one for the answer. httpx streams a whole
    chunked body before it reads, so a server that refuses early and closes (as it should) can
    reset the connection under a client that is still sending, and the answer is lost. A client
    that listens between chunks, like a browser, gets the answer; this one does the same."""
    url = httpx.URL(app_url)
    head = (f"POST {path} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n").encode()
    received = b""
    with socket.create_connection((url.host, url.port), timeout=30) as conn:
        conn.sendall(head)
        for start in range(0, len(body), 65536):
            if select.select([conn], [], [], 0.05)[0]:
                break  # the server has answered: send no more
            piece = body[start:start + 65536]
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            except (BrokenPipeError, ConnectionResetError):
                break
        else:
            conn.sendall(b"0\r\n\r\n")
        while chunk := conn.recv(65536):
            received += chunk
    head_part, _, content = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head_part.decode("latin-1").split("\r\n")
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in header_lines]
    if any(k.lower() == "transfer-encoding" and v.lower() == "chunked" for k, v in headers):
        content = _dechunk(content)
    return httpx.Response(int(status_line.split()[1]), headers=headers, content=content)


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2:]
    return out


def test_a_big_body_is_413_in_the_envelope_on_the_real_server(app_url):
    body = b'{"phone": "0501234567"' + b" " * (2 * 1024 * 1024) + b"}"
    with httpx.Client(base_url=app_url, timeout=30) as http:
        declared = http.post("/api/v1/auth/send-otp", content=body,
                             headers={"Content-Type": "application/json"})
    chunked = _post_chunked(app_url, "/api/v1/auth/send-otp", body)
    for answer in (declared, chunked):
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "payload_too_large"
        _assert_common(answer)


def test_pages_work_under_the_policy(page):
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/")
    expect(page.locator("#language-switch").first).to_be_visible()
    # The switch runs a script the server sends (rx.call_script → eval): it needs 'unsafe-eval'.
    page.locator("#language-switch").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#language-switch").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "he")
    assert page.evaluate("window.__cspViolations") == []

    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []


def test_the_api_docs_render_offline_under_their_own_policy(page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/api/v1/docs")
    # The first visit builds the OpenAPI document (some 190 routes): allow time on a busy machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("OFAIR API", timeout=30_000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
    origin = page.url.split("/api/")[0]
    assert requested and all(url.startswith((origin, "data:")) for url in requested), requested
