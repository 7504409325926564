"""Observability (issue 18 point 7): a request id on every log line and on every answer, JSON
log lines naming the caller and the money and inventory actions taken, Prometheus metrics for
admins and allowed networks only, liveness and readiness, and errors sent to Sentry (checked
against a local stand-in of Sentry's envelope endpoint)."""

from __future__ import annotations

import gzip
import json
import re
import threading
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from prometheus_client.parser import text_string_to_metric_families

from jobs.runner import run_job
from ofair_app.models import UserRole
from ofair_app.observability import errors
from ofair_app.services import health
from tests.api.test_leads_api import API, auth
from tests.factories import make_user
from tests.standin import configured

# --- the request id --------------------------------------------------------------------------


async def test_a_request_keeps_the_id_it_came_with_or_gets_one(client) -> None:
    given = await client.get(f"{API}/health/live", headers={"X-Request-ID": "lb-7f3a.42"})
    assert given.status_code == 200 and given.headers["x-request-id"] == "lb-7f3a.42"
    made = await client.get(f"{API}/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    for bad in ("x" * 129, "two words", "<script>"):  # not echoed back: a new id instead
        answer = await client.get(f"{API}/health/live", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"]), bad
    refused = await client.get(f"{API}/leads/not-a-uuid")  # errors carry it too
    assert refused.status_code in (401, 404, 422) and "x-request-id" in refused.headers


async def test_every_line_of_a_request_carries_its_id_the_caller_and_its_actions(
        client, parties, log_lines) -> None:
    from tests.api.test_leads_api import post_lead, pro_body
    from tests.api.test_proposals_api import propose

    (business, referrer), (_, performer) = parties["referrer"], parties["performer"]
    lead = await post_lead(client, referrer, pro_body(business.id, budget="800"))
    offer = await propose(client, performer, lead["id"], price="800")
    log_lines.lines.clear()
    answer = await client.post(f"{API}/proposals/{offer['id']}/accept", headers=auth(referrer))
    assert answer.status_code == 200, answer.text
    request_id = answer.headers["x-request-id"]
    lines = log_lines.of(request_id)
    assert lines, log_lines.lines
    assert all(line["user_id"] == str(referrer.id) for line in lines)
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    [accepted] = [line for line in lines if line["logger"] == "ofair.actions"
                  and line.get("acceptance")]
    assert accepted["acceptance"] == offer["id"] and accepted["lead"] == lead["id"]
    [access] = [line for line in lines if line["logger"] == "ofair.access" and "route" in line]
    assert (access["method"], access["route"], access["status"]) == (
        "POST", "/api/v1/proposals/{proposal_id}/accept", 200)
    assert access["acceptance"] == [offer["id"]] and access["duration_ms"] > 0
    # another request's lines are its own
    other = await client.get(f"{API}/health/live")
    assert log_lines.of(other.headers["x-request-id"])[0]["user_id"] is None


async def test_a_payment_names_its_payment_and_ledger_transaction(
        client, parties, referral_deal, log_lines) -> None:
    from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
    from tests.api.money import initiate

    _, proposal = referral_deal
    started = (await initiate(client, parties["referrer"][1], proposal["id"])).json()
    result = SandboxProvider().pay(started["psp_reference"], SUCCESS_CARD)
    answer = await client.post(f"{API}/payments/webhook", content=result.payload,
                               headers={"Stripe-Signature": result.signature,
                                        "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    lines = log_lines.of(answer.headers["x-request-id"])
    [held] = [line for line in lines if line.get("ledger_batch") and line.get("kind") == "hold"]
    assert f"hold:{started['payment_id']}" in held["idempotency_keys"]
    [applied] = [line for line in lines if line.get("payment")
                 and line["message"] == "webhook applied"]
    assert applied["payment"] == started["payment_id"] and applied["outcome"] == "applied"


async def test_an_unexpected_error_is_a_500_envelope_logged_with_the_request_id(
        client, monkeypatch, log_lines) -> None:
    def broken():
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(health, "check_database", broken)
    answer = await client.get(f"{API}/health", headers={"X-Request-ID": "req-500"})
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert "fire" not in answer.text and answer.headers["x-request-id"] == "req-500"
    [failed] = [line for line in log_lines.of("req-500") if line["level"] == "ERROR"]
    assert "RuntimeError: the disk is on fire" in failed["exc_info"]
    [access] = [line for line in log_lines.of("req-500") if line["level"] == "INFO"
                and line["logger"] == "ofair.access"]
    assert access["status"] == 500


def test_a_job_runs_under_an_id_of_its_own(db, log_lines) -> None:
    assert run_job("expire_referrals").status == "succeeded"
    ids = {line["request_id"] for line in log_lines.lines if line["logger"] == "jobs.runner"}
    assert len(ids) == 1 and ids.pop().startswith("job:expire_referrals:")


# --- metrics ---------------------------------------------------------------------------------


def _families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


async def test_metrics_count_requests_by_route_webhooks_jobs_and_read_the_ledger(
        client, db) -> None:
    await client.get(f"{API}/health/live")
    await client.get(f"{API}/leads/{uuid.uuid4()}")  # a lead's id: counted by its template
    await client.post(f"{API}/payments/webhook", content=b"{}",
                      headers={"Stripe-Signature": "t=1,v1=forged"})
    run_job("expire_referrals")
    answer = await client.get(f"{API}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    families = _families(answer.text)
    requests = [s for s in families["ofair_http_request_duration_seconds"].samples
                if s.name.endswith("_count") and s.labels["route"] == "/api/v1/health/live"]
    assert requests and requests[0].labels["method"] == "GET" and requests[0].value >= 1
    assert any(s.labels.get("route") == "/api/v1/leads/{lead_id}"
               for s in families["ofair_http_request_duration_seconds"].samples)
    uuid_like = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")  # templates, never a lead's id
    assert not any(uuid_like.search(s.labels.get("route", ""))
                   for s in families["ofair_http_request_duration_seconds"].samples)
    refused = [s for s in families["ofair_webhook_events"].samples
               if s.labels == {"provider": "sandbox", "outcome": "bad_signature"}]
    assert refused and refused[0].value >= 1
    runs = [s for s in families["ofair_job_runs"].samples
            if s.labels == {"job": "expire_referrals", "outcome": "succeeded"}]
    assert runs and runs[0].value >= 1
    assert families["ofair_ledger_sum"].samples[0].value == 0
    assert families["ofair_outbox_backlog"].samples[0].value >= 0
    assert families["ofair_database_up"].samples[0].value == 1


async def test_metrics_are_for_admins_and_allowed_networks_only(client, db, monkeypatch) -> None:
    consumer, admin = make_user(), make_user(role=UserRole.admin)
    with configured(monkeypatch, {"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8"}):
        anonymous = await client.get(f"{API}/metrics")
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["code"] == "unauthenticated"
        assert (await client.get(f"{API}/metrics", headers=auth(consumer))).status_code == 403
        assert (await client.get(f"{API}/metrics", headers=auth(admin))).status_code == 200
        # a client cannot claim an allowed address: no proxy is trusted by default
        spoofed = await client.get(f"{API}/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
        assert spoofed.status_code == 401
    with configured(monkeypatch, {"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8",
                                  "OFAIR_TRUSTED_PROXY_HOPS": "1"}):
        behind = await client.get(f"{API}/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
        assert behind.status_code == 200


# --- liveness and readiness -------------------------------------------------------------------


async def test_live_reads_nothing_and_ready_checks_the_database_and_the_schema(
        client, db, monkeypatch) -> None:
    live = await client.get(f"{API}/health/live")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    ready = await client.get(f"{API}/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "rls_enforced": True,
                            "schema_current": True}
    monkeypatch.setattr(health, "migration_heads", lambda: {"9999_from_the_future"})
    behind = await client.get(f"{API}/health/ready")
    assert behind.status_code == 503
    assert behind.json()["schema_current"] is False and behind.json()["status"] == "not_ready"

    def down():
        return health.DatabaseHealth(ok=False, latency_ms=1.0)

    monkeypatch.setattr(health, "check_database", down)
    assert (await client.get(f"{API}/health/live")).status_code == 200  # still alive
    unready = await client.get(f"{API}/health/ready")
    assert unready.status_code == 503 and unready.json()["database"] == "unavailable"


# --- Sentry -----------------------------------------------------------------------------------


class SentryStandIn(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint as its documentation describes it: POST
    /api/<project>/envelope/ with an `X-Sentry-Auth` header naming the key (sentry_key=) and
    the client (sentry_client=); the body (maybe gzip or deflate) is a header line, then per
    item a header line (`type`, `length`) and its payload."""

    events: ClassVar[list[dict]] = []
    refused: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        elif encoding:
            self.refused.append(f"encoding {encoding}")
        sentry_auth = self.headers.get("X-Sentry-Auth", "")
        if (self.path != "/api/42/envelope/" or "sentry_key=public-key" not in sentry_auth
                or "sentry_client=" not in sentry_auth):
            self.refused.append(f"{self.path} {sentry_auth}")
            self.send_response(403)
            self.end_headers()
            return
        lines = body.split(b"\n")
        json.loads(lines[0])  # the envelope's header
        index = 1
        while index < len(lines) and lines[index]:
            item = json.loads(lines[index])
            payload = lines[index + 1]
            if item.get("type") == "event":
                self.events.append(json.loads(payload))
            index += 2
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def sentry(monkeypatch) -> Iterator[type[SentryStandIn]]:
    import sentry_sdk

    server = ThreadingHTTPServer(("127.0.0.1", 0), SentryStandIn)
    SentryStandIn.events, SentryStandIn.refused = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = f"http://public-key@127.0.0.1:{server.server_address[1]}/42"
    with configured(monkeypatch, {"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "test"}):
        assert errors.init()
        try:
            yield SentryStandIn
        finally:
            sentry_sdk.flush(5)
            sentry_sdk.get_client().close()
            sentry_sdk.init(dsn="")  # an empty DSN (not the environment's): nothing is sent
            monkeypatch.delenv("SENTRY_DSN")
            monkeypatch.setattr(errors, "_enabled", False)
            server.shutdown()


async def test_an_unexpected_error_reaches_sentry_with_its_request_id(
        client, monkeypatch, sentry) -> None:
    import sentry_sdk

    def broken():
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(health, "check_database", broken)
    answer = await client.get(f"{API}/health", headers={"X-Request-ID": "req-sentry-1"})
    assert answer.status_code == 500
    sentry_sdk.flush(5)
    assert sentry.refused == []
    [event] = [e for e in sentry.events if e.get("tags", {}).get("request_id") == "req-sentry-1"]
    assert event["environment"] == "test"
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "the disk is on fire")
    assert "user" not in event or "ip_address" not in event.get("user", {})
    # an error the app answers on purpose (a 4xx) is not one
    assert (await client.get(f"{API}/leads/not-a-uuid")).status_code in (401, 404, 422)
    sentry_sdk.flush(5)
    assert len(sentry.events) == 1
