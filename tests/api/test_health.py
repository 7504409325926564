"""`GET /api/v1/health` really queries the database through the application role."""

import socket
import subprocess
import sys
import time

import httpx

from ofair_app.db.engine import dispose_engines
from ofair_app.settings import get_settings


async def test_health_reports_the_database_as_the_app_role(client):
    response = await client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["role"] == "ofair_app"
    assert body["database"]["rls_enforced"] is True
    assert body["database"]["latency_ms"] >= 0


async def test_health_answers_503_when_the_database_is_unreachable(client, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://ofair_app@/ofair?host={tmp_path}")
    get_settings.cache_clear()
    dispose_engines()
    try:
        response = await client.get("/api/v1/health")
    finally:
        monkeypatch.delenv("DATABASE_URL")
        get_settings.cache_clear()
        dispose_engines()
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["database"]["status"] == "unavailable"
    assert "Traceback" not in response.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_api_is_servable_alone(db):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "ofair_app", "api", "--port", str(port)])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the API did not start within 60 s"
                time.sleep(0.3)
        assert response.status_code == 200
        assert response.json()["database"]["role"] == "ofair_app"
        docs = httpx.get(f"http://127.0.0.1:{port}/api/v1/docs", timeout=5)
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        # The security headers, and no `server: uvicorn` banner.
        for answer in (response, docs):
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers.get_list("server") == [""]
        assert "script-src 'self' 'sha256-" in docs.headers["content-security-policy"]
    finally:
        server.terminate()
        server.wait(30)
