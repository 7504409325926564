"""The Web Push adapter against the local stand-in of a push service and its browser
(`tests/webpush_standin.py`): what it sends (the payload encrypted for the browser alone, the
RFC 8030 headers, a VAPID JWT the service verifies), how it reads the service's answers (a dead
subscription, our key refused, throttling), what it refuses before sending, and the stand-in's
own checks, so that its acceptance means something."""

from __future__ import annotations

import base64
import json
import logging
import pickle
import re
import time
from collections.abc import Callable

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from py_vapid.jwt import sign as sign_jwt
from pywebpush import WebPusher

from ofair_app.adapters.messaging import DeliveryError
from ofair_app.adapters.webpush import (
    JWT_LIFETIME_SECONDS,
    MAX_PLAINTEXT_BYTES,
    ConsolePushSender,
    PushTarget,
    SubscriptionGone,
    VapidKeys,
    WebPushSender,
    generate_vapid_keys,
    public_key_of,
)
from tests.standin import free_port
from tests.webpush_standin import MAX_BODY_BYTES, FakePushService, b64url, b64url_decode

SUBJECT = "mailto:push@ofair.co.il"
PAYLOAD = {"title": "הצעה חדשה ל\"החלפת דוד שמש\"", "body": "₪1,250 מדני שיפוצים",
           "url": "/leads/42"}
KEYS = generate_vapid_keys()
_AUTHORIZATION = re.compile(r"vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), "
                            r"k=([A-Za-z0-9_-]+)")


def target_of(subscription: dict) -> PushTarget:
    return PushTarget(endpoint=subscription["endpoint"], p256dh=subscription["keys"]["p256dh"],
                      auth=subscription["keys"]["auth"])


def a_target(service: FakePushService, behaviour: str = "ok",
             application_server_key: str | None = KEYS.public_key) -> PushTarget:
    subscription, _ = service.subscribe(behaviour, application_server_key=application_server_key)
    return target_of(subscription)


def sender(keys: VapidKeys = KEYS, **options) -> WebPushSender:
    return WebPushSender(private_key=keys.private_key, subject=SUBJECT,
                         **({"timeout": 0.5} | options))


def refused(push: Callable[[], object]) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        push()
    return caught.value


def never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing should have been sent, but {request.url} was")


# -- delivery ---------------------------------------------------------------------------------

def test_a_push_arrives_decrypted_with_the_documented_headers(webpush_service) -> None:
    before = time.time()
    location = sender().push(a_target(webpush_service), PAYLOAD)

    (message,) = webpush_service.received
    assert message.payload == PAYLOAD
    # Compact UTF-8 JSON: Hebrew as it is, not \u escapes.
    assert message.plaintext == json.dumps(PAYLOAD, ensure_ascii=False,
                                           separators=(",", ":")).encode()
    assert location == message.location
    assert re.fullmatch(rf"{webpush_service.base_url}/message/[0-9a-f-]{{36}}", location)
    headers = message.headers
    assert headers["ttl"] == "86400"
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["content-type"] == "application/octet-stream"
    assert headers["urgency"] == "normal"
    assert "topic" not in headers
    token, key = _AUTHORIZATION.fullmatch(headers["authorization"]).groups()
    assert key == KEYS.public_key == public_key_of(KEYS.private_key)
    assert message.claims["aud"] == webpush_service.base_url  # the origin, no path
    assert message.claims["sub"] == SUBJECT
    assert before + JWT_LIFETIME_SECONDS - 5 <= message.claims["exp"] \
        <= time.time() + JWT_LIFETIME_SECONDS
    assert json.loads(b64url_decode(token.split(".")[0])) == {"typ": "JWT", "alg": "ES256"}
    # The payload travels encrypted only.
    (request,) = webpush_service.requests
    assert "דוד שמש".encode() not in request.body and b"/leads/42" not in request.body


def test_each_push_has_its_own_salt_and_sender_key(webpush_service) -> None:
    target = a_target(webpush_service)
    sender().push(target, PAYLOAD)
    sender().push(target, PAYLOAD)

    first, second = (request.body for request in webpush_service.requests)
    assert first[:16] != second[:16]  # the salt
    assert first[21:86] != second[21:86]  # the keyid: a one-off ECDH public key each time
    assert [message.payload for message in webpush_service.received] == [PAYLOAD, PAYLOAD]


def test_ttl_urgency_and_topic_travel_as_given(webpush_service) -> None:
    sender().push(a_target(webpush_service), PAYLOAD, ttl=0, urgency="high",
                  topic="lead-42_new")

    (message,) = webpush_service.received
    assert (message.headers["ttl"], message.headers["urgency"], message.headers["topic"]) == (
        "0", "high", "lead-42_new")


def test_a_subscription_without_a_restriction_takes_any_signed_push(webpush_service) -> None:
    sender(generate_vapid_keys()).push(
        a_target(webpush_service, application_server_key=None), PAYLOAD)

    assert [message.payload for message in webpush_service.received] == [PAYLOAD]


def test_the_largest_payload_a_push_service_must_take_arrives(webpush_service) -> None:
    padding = MAX_PLAINTEXT_BYTES - len(json.dumps({"title": ""}).replace(" ", ""))
    payload = {"title": "x" * padding}
    sender().push(a_target(webpush_service), payload)

    (request,) = webpush_service.requests
    assert len(request.body) == MAX_BODY_BYTES
    assert webpush_service.received[0].payload == payload


# -- answers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("behaviour", ["gone", "not_found"])
def test_a_dead_subscription_is_subscription_gone(webpush_service, behaviour) -> None:
    error = refused(lambda: sender().push(a_target(webpush_service, behaviour), PAYLOAD))

    assert isinstance(error, SubscriptionGone)
    assert error.permanent
    assert str({"gone": 410, "not_found": 404}[behaviour]) in str(error)


def test_an_endpoint_the_service_does_not_know_is_gone(webpush_service) -> None:
    target = PushTarget(endpoint=f"{webpush_service.base_url}/push/nobody",
                        p256dh=KEYS.public_key, auth=b64url(b"0123456789abcdef"))

    with pytest.raises(SubscriptionGone):
        sender().push(target, PAYLOAD)


def test_another_application_servers_key_is_403_and_permanent(webpush_service) -> None:
    target = a_target(webpush_service, application_server_key=generate_vapid_keys().public_key)

    error = refused(lambda: sender().push(target, PAYLOAD))

    assert error.permanent and not isinstance(error, SubscriptionGone)
    assert "403" in str(error) and "VAPID" in str(error)
    assert webpush_service.received == []
    assert webpush_service.requests[-1].status == 403


def test_throttling_is_transient_and_says_when_to_come_back(webpush_service) -> None:
    error = refused(lambda: sender().push(a_target(webpush_service, "throttle"), PAYLOAD))

    assert not error.permanent
    assert "429" in str(error) and "retry after 30" in str(error)


def test_a_server_error_is_transient(webpush_service) -> None:
    error = refused(lambda: sender().push(a_target(webpush_service, "error"), PAYLOAD))

    assert not error.permanent and "500" in str(error)


def test_no_answer_in_time_is_transient(webpush_service) -> None:
    error = refused(lambda: sender(timeout=0.3).push(a_target(webpush_service, "slow"),
                                                     PAYLOAD))

    assert not error.permanent and "no answer within 0.3s" in str(error)
    assert len(webpush_service.received) == 1  # accepted: only the answer was lost


def test_an_unreachable_push_service_is_transient() -> None:
    target = PushTarget(endpoint=f"http://127.0.0.1:{free_port()}/push/x",
                        p256dh=KEYS.public_key, auth=b64url(b"0123456789abcdef"))

    error = refused(lambda: sender().push(target, PAYLOAD))

    assert not error.permanent and "unreachable" in str(error)


@pytest.mark.parametrize(("status", "permanent"), [
    (400, True), (401, True), (413, True), (408, False), (502, False), (503, False),
    (301, False), (422, True)])
def test_other_answers_are_classified(status, permanent) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, text="no"))
    target = PushTarget(endpoint="https://push.example.net/push/abc", p256dh=KEYS.public_key,
                        auth=b64url(b"0123456789abcdef"))

    error = refused(lambda: sender(transport=transport).push(target, PAYLOAD))

    assert error.permanent is permanent and str(status) in str(error)


def test_a_202_returns_the_location_and_none_without_one() -> None:
    answers = iter([httpx.Response(202, headers={"Location": "https://p.example/m/1"}),
                    httpx.Response(201)])
    transport = httpx.MockTransport(lambda request: next(answers))
    target = PushTarget(endpoint="https://push.example.net/push/abc", p256dh=KEYS.public_key,
                        auth=b64url(b"0123456789abcdef"))

    assert sender(transport=transport).push(target, PAYLOAD) == "https://p.example/m/1"
    assert sender(transport=transport).push(target, PAYLOAD) is None


def test_subscription_gone_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(SubscriptionGone("push service answered HTTP 410")))

    assert isinstance(error, SubscriptionGone) and error.permanent
    assert str(error) == "push service answered HTTP 410"


# -- refused before sending -------------------------------------------------------------------

def test_an_oversize_payload_is_refused_before_sending(webpush_service) -> None:
    padding = MAX_PLAINTEXT_BYTES + 1 - len(json.dumps({"title": ""}).replace(" ", ""))

    error = refused(lambda: sender().push(a_target(webpush_service), {"title": "x" * padding}))

    assert error.permanent and f"{MAX_PLAINTEXT_BYTES + 1} bytes" in str(error)
    assert webpush_service.requests == [] and webpush_service.received == []


def test_hebrew_counts_in_bytes_not_letters(webpush_service) -> None:
    error = refused(lambda: sender().push(a_target(webpush_service),
                                          {"title": "ש" * (MAX_PLAINTEXT_BYTES // 2)}))

    assert error.permanent
    assert webpush_service.requests == []


@pytest.mark.parametrize("endpoint", [
    "http://push.example.net/push/abc",     # http beyond this machine
    "ftp://push.example.net/push/abc",
    "https:///push/abc",                    # no host
    "https://user:secret@push.example.net/push/abc",
    "/push/abc",
    "not a url at all",
])
def test_an_endpoint_no_push_service_would_give_is_refused(endpoint) -> None:
    target = PushTarget(endpoint=endpoint, p256dh=KEYS.public_key,
                        auth=b64url(b"0123456789abcdef"))

    error = refused(lambda: sender(transport=httpx.MockTransport(never_called)).push(
        target, PAYLOAD))

    assert error.permanent and "endpoint" in str(error)


@pytest.mark.parametrize(("options", "word"), [
    ({"ttl": -1}, "TTL"), ({"ttl": 1.5}, "TTL"), ({"ttl": True}, "TTL"),
    ({"urgency": "urgent"}, "urgency"), ({"urgency": "High"}, "urgency"),
    ({"topic": "x" * 33}, "topic"), ({"topic": "new lead"}, "topic"), ({"topic": ""}, "topic"),
    ({"topic": "a+b/c="}, "topic"),
])
def test_headers_no_push_service_would_take_are_refused(options, word) -> None:
    target = PushTarget(endpoint="https://push.example.net/push/abc", p256dh=KEYS.public_key,
                        auth=b64url(b"0123456789abcdef"))

    error = refused(lambda: sender(transport=httpx.MockTransport(never_called)).push(
        target, PAYLOAD, **options))

    assert error.permanent and word in str(error)


@pytest.mark.parametrize(("p256dh", "auth"), [
    ("not+base64", b64url(b"0123456789abcdef")),
    (b64url(b"\x04" + b"\x00" * 64), b64url(b"0123456789abcdef")),  # not on the curve
    (b64url(b"\x04" * 33), b64url(b"0123456789abcdef")),  # the wrong length
    (KEYS.public_key, b64url(b"short")),
], ids=["not-base64", "off-the-curve", "wrong-length", "short-auth"])
def test_malformed_subscription_keys_are_permanent(p256dh, auth) -> None:
    target = PushTarget(endpoint="https://push.example.net/push/abc", p256dh=p256dh, auth=auth)

    error = refused(lambda: sender(transport=httpx.MockTransport(never_called)).push(
        target, PAYLOAD))

    assert error.permanent and "subscription keys" in str(error)


def test_a_payload_that_is_not_json_is_permanent() -> None:
    target = PushTarget(endpoint="https://push.example.net/push/abc", p256dh=KEYS.public_key,
                        auth=b64url(b"0123456789abcdef"))

    error = refused(lambda: sender(transport=httpx.MockTransport(never_called)).push(
        target, {"at": object()}))

    assert error.permanent and "JSON" in str(error)


# -- keys and configuration -------------------------------------------------------------------

def test_generated_vapid_keys_round_trip_through_public_key_of() -> None:
    keys = generate_vapid_keys()

    assert public_key_of(keys.private_key) == keys.public_key
    assert "=" not in keys.private_key + keys.public_key
    assert len(b64url_decode(keys.private_key)) == 32
    public = b64url_decode(keys.public_key)
    assert len(public) == 65 and public[0] == 4
    assert generate_vapid_keys() != keys
    # py_vapid reads the same private value and finds the same public point.
    vapid = Vapid.from_raw(keys.private_key.encode())
    assert b64url(vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint,
    )) == keys.public_key


@pytest.mark.parametrize("private_key", [
    "", "   ", "not base64url!", b64url(b"\x01" * 31), b64url(b"\x00" * 32),
    b64url(b"\xff" * 32),  # past the curve's order
    KEYS.public_key,  # the public key by mistake
], ids=["empty", "blank", "not-base64url", "31-bytes", "zero", "past-the-order",
        "the-public-key"])
def test_a_malformed_private_key_is_refused(private_key) -> None:
    with pytest.raises(ValueError):
        public_key_of(private_key)
    with pytest.raises(ValueError):
        WebPushSender(private_key=private_key, subject=SUBJECT)


def test_a_padded_private_key_is_the_same_key() -> None:
    padded = KEYS.private_key + "=" * (-len(KEYS.private_key) % 4)

    assert public_key_of(padded) == KEYS.public_key


@pytest.mark.parametrize("subject", [
    "", "push@ofair.co.il", "mailto:", "mailto:nobody", "http://ofair.co.il",
    "https://", "https:ofair", "mailto:push@ofair.co.il\nBcc: x@y.z", "ofair",
])
def test_a_subject_that_is_not_mailto_or_https_is_refused(subject) -> None:
    with pytest.raises(ValueError, match="subject"):
        WebPushSender(private_key=KEYS.private_key, subject=subject)


@pytest.mark.parametrize("subject", ["mailto:push@ofair.co.il", "https://ofair.co.il/contact"])
def test_mailto_and_https_subjects_are_taken(webpush_service, subject) -> None:
    WebPushSender(private_key=KEYS.private_key, subject=subject).push(
        a_target(webpush_service), PAYLOAD)

    assert webpush_service.received[0].claims["sub"] == subject


def test_the_console_sender_logs_one_line(caplog) -> None:
    target = PushTarget(endpoint="https://fcm.googleapis.com/fcm/send/abc",
                        p256dh=KEYS.public_key, auth=b64url(b"0123456789abcdef"))

    with caplog.at_level(logging.INFO, logger="ofair.messages"):
        reference = ConsolePushSender().push(target, PAYLOAD, topic="lead-42")

    assert reference == "console"
    (record,) = [record for record in caplog.records if record.name == "ofair.messages"]
    line = record.getMessage()
    assert "\n" not in line
    assert "fcm.googleapis.com" in line and PAYLOAD["title"] in line and "lead-42" in line
    assert "/fcm/send/abc" not in line  # the endpoint's path is the subscription's secret


# -- the stand-in's own checks ----------------------------------------------------------------

def test_the_standin_takes_what_pywebpush_sends(webpush_service) -> None:
    """An independent implementation (pywebpush's encryption, py_vapid's signature, with
    `t=…,k=…` unspaced and `exp` a full 24 hours ahead) is accepted: the stand-in reads the
    specifications, not our adapter."""
    subscription, _ = webpush_service.subscribe(application_server_key=KEYS.public_key)
    body = WebPusher(subscription).encode(b'{"title":"pywebpush"}', "aes128gcm")["body"]
    vapid = Vapid.from_raw(KEYS.private_key.encode())
    headers = vapid.sign({"aud": webpush_service.base_url, "sub": SUBJECT})
    headers |= {"TTL": "60", "Content-Encoding": "aes128gcm"}

    response = httpx.post(subscription["endpoint"], content=body, headers=headers)

    assert response.status_code == 201, response.text
    assert webpush_service.received[0].payload == {"title": "pywebpush"}


class Tampering(httpx.BaseTransport):
    """Passes our sender's request on to the stand-in after `change` edits its headers
    (lower-case names) and body."""

    def __init__(self, change: Callable[[dict[str, str], bytes], bytes | None]) -> None:
        self.change = change
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {name: value for name, value in request.headers.items()
                   if name not in ("host", "content-length")}
        body = self.change(headers, request.content)
        changed = httpx.Request(request.method, request.url, headers=headers,
                                content=request.content if body is None else body)
        return self.inner.handle_request(changed)

    def close(self) -> None:
        self.inner.close()


def _private(keys: VapidKeys = KEYS) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64url_decode(keys.private_key), "big"),
                                 ec.SECP256R1())


def _token(headers: dict[str, str]) -> tuple[str, str]:
    return _AUTHORIZATION.fullmatch(headers["authorization"]).groups()


def _resign(**claims: object) -> Callable[[dict[str, str], bytes], None]:
    """A JWT signed with our own key, its claims changed (None drops one)."""
    def change(headers: dict[str, str], body: bytes) -> None:
        token, key = _token(headers)
        current = json.loads(b64url_decode(token.split(".")[1]))
        current.update(claims)
        signed = sign_jwt({name: value for name, value in current.items()
                           if value is not None}, _private())
        headers["authorization"] = f"vapid t={signed}, k={key}"
    return change


def _set(name: str, value: str | None) -> Callable[[dict[str, str], bytes], None]:
    def change(headers: dict[str, str], body: bytes) -> None:
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return change


def _flip_signature(headers: dict[str, str], body: bytes) -> None:
    token, key = _token(headers)
    head, claims, signature = token.split(".")
    raw = bytearray(b64url_decode(signature))
    raw[10] ^= 0x01
    headers["authorization"] = f"vapid t={head}.{claims}.{b64url(bytes(raw))}, k={key}"


def _other_claims(headers: dict[str, str], body: bytes) -> None:
    token, key = _token(headers)
    head, claims, signature = token.split(".")
    forged = json.loads(b64url_decode(claims)) | {"sub": "mailto:someone@else.example"}
    headers["authorization"] = (f"vapid t={head}.{b64url(json.dumps(forged).encode())}."
                                f"{signature}, k={key}")


def _alg(alg: str) -> Callable[[dict[str, str], bytes], None]:
    def change(headers: dict[str, str], body: bytes) -> None:
        token, key = _token(headers)
        _, claims, signature = token.split(".")
        head = b64url(json.dumps({"typ": "JWT", "alg": alg}).encode())
        headers["authorization"] = f"vapid t={head}.{claims}.{signature}, k={key}"
    return change


def _other_k(headers: dict[str, str], body: bytes) -> None:
    token, _ = _token(headers)
    headers["authorization"] = f"vapid t={token}, k={generate_vapid_keys().public_key}"


def _flip_ciphertext(headers: dict[str, str], body: bytes) -> bytes:
    return body[:-20] + bytes([body[-20] ^ 0x01]) + body[-19:]


def _bigger(headers: dict[str, str], body: bytes) -> bytes:
    return body + b"\x00" * (MAX_BODY_BYTES + 1 - len(body))


@pytest.mark.parametrize(("change", "status", "reason"), [
    (_set("ttl", None), 400, "TTL header missing"),
    (_set("ttl", "soon"), 400, "TTL is not a whole number"),
    (_set("ttl", "-5"), 400, "TTL is not a whole number"),
    (_set("content-encoding", "aesgcm"), 400, "Content-Encoding"),
    (_set("content-encoding", None), 400, "Content-Encoding"),
    (_set("urgency", "urgent"), 400, "Urgency"),
    (_set("topic", "x" * 33), 400, "Topic"),
    (_set("topic", "new lead"), 400, "Topic"),
    (_set("authorization", None), 400, "not the vapid scheme"),
    (_set("authorization", "Bearer abc"), 400, "not the vapid scheme"),
    (_set("authorization", "vapid t=abc"), 400, "needs t"),
    (_flip_signature, 400, "signature does not verify"),
    (_other_claims, 400, "signature does not verify"),
    (_other_k, 400, "signature does not verify"),
    (_alg("HS256"), 400, "alg must be ES256"),
    (_alg("none"), 400, "alg must be ES256"),
    (_resign(aud="https://fcm.googleapis.com"), 400, "aud"),
    (_resign(aud=None), 400, "aud"),
    (_resign(exp=int(time.time()) - 60), 400, "expired"),
    (_resign(exp=int(time.time()) + 25 * 3600), 400, "more than 24 hours"),
    (_resign(exp=None), 400, "exp missing"),
    (_resign(sub="ofair"), 400, "sub"),
    (_resign(sub=None), 400, "sub"),
    (_flip_ciphertext, 400, "does not decrypt"),
    (_bigger, 413, "over 4096"),
], ids=lambda value: value if isinstance(value, str | int) else None)
def test_the_standin_refuses_a_tampered_request(webpush_service, change, status,
                                                reason) -> None:
    with Tampering(change) as transport:
        error = refused(lambda: sender(transport=transport).push(a_target(webpush_service),
                                                                 PAYLOAD))

    assert error.permanent and str(status) in str(error)
    (request,) = webpush_service.requests
    assert request.status == status
    assert reason in request.reason
    assert webpush_service.received == []


def test_the_standin_decrypts_only_for_the_browser_it_was_sent_to(webpush_service) -> None:
    """A body encrypted for another subscription does not decrypt at this one."""
    other = a_target(webpush_service)

    def for_another_browser(headers: dict[str, str], body: bytes) -> bytes:
        plaintext = json.dumps(PAYLOAD).encode()
        return WebPusher({"endpoint": other.endpoint,
                          "keys": {"p256dh": other.p256dh, "auth": other.auth}}).encode(
            plaintext, "aes128gcm")["body"]

    with Tampering(for_another_browser) as transport:
        error = refused(lambda: sender(transport=transport).push(a_target(webpush_service),
                                                                 PAYLOAD))

    assert error.permanent and "does not decrypt" in webpush_service.requests[0].reason
    assert webpush_service.received == []


def _encrypted(subscription: dict, plaintext: bytes, **options) -> bytes:
    return http_ece.encrypt(plaintext, private_key=ec.generate_private_key(ec.SECP256R1()),
                            dh=b64url_decode(subscription["keys"]["p256dh"]),
                            auth_secret=b64url_decode(subscription["keys"]["auth"]),
                            version="aes128gcm", **options)


@pytest.mark.parametrize(("options", "reason"), [
    ({"keyid": ""}, "keyid is not the sender's 65-byte"),  # the key elsewhere, or nowhere
    ({"rs": 100}, "more than one record"),
])
def test_the_standin_holds_the_body_to_rfc_8291(webpush_service, options, reason) -> None:
    subscription, _ = webpush_service.subscribe()
    body = _encrypted(subscription, b'{"title":"' + b"x" * 300 + b'"}', **options)
    headers = Vapid.from_raw(KEYS.private_key.encode()).sign(
        {"aud": webpush_service.base_url, "sub": SUBJECT})
    headers |= {"TTL": "60", "Content-Encoding": "aes128gcm"}

    response = httpx.post(subscription["endpoint"], content=body, headers=headers)

    assert response.status_code == 400 and reason in response.text
    assert webpush_service.received == []
    # The same, as one record with the key in its place, is taken.
    response = httpx.post(subscription["endpoint"], headers=headers,
                          content=_encrypted(subscription, b'{"title":"ok"}'))
    assert response.status_code == 201
    assert [message.payload for message in webpush_service.received] == [{"title": "ok"}]


def test_the_standin_keys_are_what_a_browser_hands_out(webpush_service) -> None:
    subscription, keys = webpush_service.subscribe()

    assert set(subscription) == {"endpoint", "keys"}
    assert re.fullmatch(rf"{webpush_service.base_url}/push/[A-Za-z0-9_-]+",
                        subscription["endpoint"])
    assert len(b64url_decode(subscription["keys"]["p256dh"])) == 65
    assert len(b64url_decode(subscription["keys"]["auth"])) == 16 == len(keys.auth_secret)
    assert base64.urlsafe_b64decode(keys.p256dh + "=") == b64url_decode(keys.p256dh)
    with pytest.raises(ValueError):
        webpush_service.subscribe("sometimes")
