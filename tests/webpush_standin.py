"""A local stand-in for a Web Push service and the browser behind it, written from the
specifications (RFC 8030 "Generic Event Delivery Using HTTP Push", RFC 8291 "Message Encryption
for Web Push", RFC 8292 "VAPID for Web Push"), served on a free port by the tests (uvicorn in
a thread).

`subscribe()` does what a browser's `pushManager.subscribe()` does: a P-256 key pair and a
16-byte authentication secret of the browser's own, and a push resource on this service,
`http://127.0.0.1:N/push/<id>`, optionally restricted to an `applicationServerKey`.

What `POST /push/<id>` checks, as the specifications say:
- `TTL` is present and a whole number of seconds (RFC 8030 §5.2), else 400;
- `Urgency`, if present, is very-low, low, normal or high (§5.3), else 400;
- `Topic`, if present, is 1 to 32 characters of the base64url alphabet (§5.4), else 400;
- `Content-Encoding` is exactly `aes128gcm` (RFC 8291 §4), else 400;
- `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292 §3): `k` an uncompressed P-256 point, the
  JWT's header `alg` ES256, its signature verified with `k`, `aud` the endpoint's origin,
  `exp` present, not past and at most 24 hours ahead, `sub` a `mailto:` or `https:` URI
  (RFC 8292 §2, §2.1), else 400 with the reason;
- a subscription made with an `applicationServerKey` takes only that `k` (RFC 8292 §4.2), else
  403;
- a body over 4096 bytes is 413 (RFC 8030 §7.2);
- the body is one `aes128gcm` record whose keyid is the sender's 65-byte ECDH public key
  (RFC 8291 §4) and decrypts with the browser's private key and secret, else 400.
A message that passes is kept in `received` (decrypted, its JSON parsed) and answered 201 with
its `Location` (RFC 8030 §5). Every request, answered or refused, is kept in `requests`.

A subscription's `behaviour` orders an answer instead: "gone" 410, "not_found" 404,
"throttle" 429 with `Retry-After`, "error" 500, "slow" a 201 after the client gave up.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import struct
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.standin import free_port, served

BEHAVIOURS = ("ok", "gone", "not_found", "throttle", "error", "slow")
MAX_BODY_BYTES = 4096
MAX_EXP_AHEAD_SECONDS = 24 * 3600
RETRY_AFTER_SECONDS = "30"
SLOW_SECONDS = 1.5  # longer than the client's timeout in the tests
URGENCIES = ("very-low", "low", "normal", "high")
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
_TTL = re.compile(r"\d+")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+=*")
_VAPID = re.compile(r"vapid\s+(.+)", re.IGNORECASE | re.DOTALL)
_HEADER_BYTES = 16 + 4 + 1  # salt, record size, keyid length (RFC 8188 §2.1)


@dataclass(frozen=True)
class BrowserKeys:
    """What the browser keeps for one subscription and never gives away: its ECDH private
    key, and the public half and the secret it gave the application server (base64url)."""

    private_key: ec.EllipticCurvePrivateKey
    p256dh: str
    auth: str

    @property
    def auth_secret(self) -> bytes:
        return b64url_decode(self.auth)


@dataclass
class Subscription:
    id: str
    keys: BrowserKeys
    behaviour: str
    application_server_key: str | None


@dataclass
class PushRequest:
    """One request as the stand-in read it, and its answer."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    reason: str = ""


@dataclass
class Received:
    """One push message accepted and decrypted, as the browser's service worker sees it."""

    endpoint_id: str
    headers: dict[str, str]
    plaintext: bytes
    payload: object  # the plaintext parsed as JSON; None when it is not JSON
    claims: dict
    location: str


class Refusal(Exception):
    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


@dataclass
class FakePushService:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    requests: list[PushRequest] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    base_url: str = ""

    def subscribe(self, behaviour: str = "ok", *,
                  application_server_key: str | None = None) -> tuple[dict, BrowserKeys]:
        """A new subscription, as `PushSubscription.toJSON()` gives it, and the browser's keys."""
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"behaviour is one of {BEHAVIOURS}: {behaviour!r}")
        private_key = ec.generate_private_key(ec.SECP256R1())
        keys = BrowserKeys(private_key=private_key, p256dh=b64url(uncompressed(private_key)),
                           auth=b64url(secrets.token_bytes(16)))
        subscription_id = secrets.token_urlsafe(24)
        self.subscriptions[subscription_id] = Subscription(
            id=subscription_id, keys=keys, behaviour=behaviour,
            application_server_key=application_server_key)
        return ({"endpoint": f"{self.base_url}/push/{subscription_id}",
                 "keys": {"p256dh": keys.p256dh, "auth": keys.auth}}, keys)

    def accept(self, subscription: Subscription, headers: dict[str, str],
               body: bytes) -> Received:
        """The checks of the module's docstring, in order; `Refusal` for the first failed."""
        ttl = headers.get("ttl")
        if ttl is None:
            raise Refusal(400, "TTL header missing (RFC 8030 §5.2)")
        if not _TTL.fullmatch(ttl.strip()):
            raise Refusal(400, f"TTL is not a whole number of seconds: {ttl!r}")
        urgency = headers.get("urgency")
        if urgency is not None and urgency.strip() not in URGENCIES:
            raise Refusal(400, f"Urgency is not one of {', '.join(URGENCIES)}: {urgency!r}")
        topic = headers.get("topic")
        if topic is not None and not _TOPIC.fullmatch(topic.strip()):
            raise Refusal(400, f"Topic is not 1 to 32 base64url characters: {topic!r}")
        encoding = headers.get("content-encoding", "")
        if encoding.strip().lower() != "aes128gcm":
            raise Refusal(400, f"Content-Encoding must be exactly aes128gcm: {encoding!r}")
        claims, key = self.vapid(headers.get("authorization"))
        expected = subscription.application_server_key
        if expected is not None and b64url_decode(expected) != b64url_decode(key):
            raise Refusal(403, "the VAPID key k is not the applicationServerKey this "
                               "subscription was created with")
        if len(body) > MAX_BODY_BYTES:
            raise Refusal(413, f"payload of {len(body)} bytes is over {MAX_BODY_BYTES}")
        plaintext = decrypt(body, subscription.keys)
        try:
            payload = json.loads(plaintext.decode("utf-8"))
        except ValueError:
            payload = None
        return Received(endpoint_id=subscription.id, headers=headers, plaintext=plaintext,
                        payload=payload, claims=claims,
                        location=f"{self.base_url}/message/{uuid.uuid4()}")

    def vapid(self, authorization: str | None) -> tuple[dict, str]:
        """The claims of a valid `vapid` authorization, and its key `k`."""
        match = _VAPID.fullmatch((authorization or "").strip())
        if match is None:
            raise Refusal(400, "Authorization is not the vapid scheme (RFC 8292 §3)")
        params: dict[str, str] = {}
        for part in match.group(1).split(","):
            name, equals, value = part.strip().partition("=")
            if not equals or not value:
                raise Refusal(400, f"a vapid parameter is not name=value: {part.strip()!r}")
            params[name.strip().lower()] = value.strip().strip('"')
        if "t" not in params or "k" not in params:
            raise Refusal(400, "vapid authorization needs t (the JWT) and k (the key)")
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), b64url_decode(params["k"]))
        except ValueError:
            raise Refusal(400, "k is not a base64url uncompressed P-256 point") from None
        if len(b64url_decode(params["k"])) != 65:
            raise Refusal(400, "k is not the 65-byte uncompressed form of the point")
        claims = verified_claims(params["t"], public)
        aud, exp, sub = claims.get("aud"), claims.get("exp"), claims.get("sub")
        if aud != self.base_url:
            raise Refusal(400, f"JWT aud {aud!r} is not the endpoint's origin "
                               f"{self.base_url!r}")
        now = time.time()
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            raise Refusal(400, "JWT exp missing or not a number")
        if exp <= now:
            raise Refusal(400, "JWT expired (exp is past)")
        if exp > now + MAX_EXP_AHEAD_SECONDS:
            raise Refusal(400, "JWT exp is more than 24 hours ahead (RFC 8292 §2)")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            raise Refusal(400, f"JWT sub is not a mailto: or https: URI: {sub!r}")
        return claims, params["k"]

    def app(self) -> Starlette:
        async def push(request: Request) -> Response:
            body = await request.body()
            headers = {name.lower(): value for name, value in request.headers.items()}
            record = PushRequest(path=request.url.path, headers=headers, body=body)
            self.requests.append(record)
            subscription = self.subscriptions.get(request.path_params["id"])
            behaviour = subscription.behaviour if subscription else "not_found"
            try:
                if subscription is None or behaviour == "not_found":
                    raise Refusal(404, "no such push subscription")
                if behaviour == "gone":
                    raise Refusal(410, "push subscription expired or unsubscribed")
                if behaviour == "throttle":
                    raise Refusal(429, "too many messages",
                                  {"Retry-After": RETRY_AFTER_SECONDS})
                if behaviour == "error":
                    raise Refusal(500, "internal error")
                received = self.accept(subscription, headers, body)
            except Refusal as refusal:
                record.status, record.reason = refusal.status, refusal.reason
                return PlainTextResponse(refusal.reason, status_code=refusal.status,
                                         headers=refusal.headers)
            self.received.append(received)
            record.status = 201
            if behaviour == "slow":
                await asyncio.sleep(SLOW_SECONDS)
            return Response(status_code=201, headers={"Location": received.location,
                                                      "TTL": headers["ttl"].strip()})

        return Starlette(routes=[Route("/push/{id:str}", push, methods=["POST"])])


def verified_claims(token: str, public: ec.EllipticCurvePublicKey) -> dict:
    """The claims of a JWS compact ES256 token signed by `public` (RFC 7515, RFC 7518 §3.4:
    the signature is r and s, 32 bytes each); `Refusal` (400) otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Refusal(400, "t is not a JWT (header.claims.signature)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError:
        raise Refusal(400, "t is not a JWT: a part is not base64url JSON") from None
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        alg = header.get("alg") if isinstance(header, dict) else None
        raise Refusal(400, f"JWT alg must be ES256: {alg!r}")
    if not isinstance(claims, dict):
        raise Refusal(400, "JWT claims are not an object")
    if len(signature) != 64:
        raise Refusal(400, "JWT signature is not 64 bytes (r || s)")
    der = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                     int.from_bytes(signature[32:], "big"))
    try:
        public.verify(der, f"{parts[0]}.{parts[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refusal(400, "JWT signature does not verify with k") from None
    return claims


def decrypt(body: bytes, keys: BrowserKeys) -> bytes:
    """What the browser does with the body (RFC 8291): one `aes128gcm` record whose keyid is
    the sender's ECDH public key, decrypted with the browser's private key and secret."""
    if len(body) < _HEADER_BYTES:
        raise Refusal(400, "body shorter than an aes128gcm header")
    record_size = struct.unpack("!L", body[16:20])[0]
    keyid = body[_HEADER_BYTES:_HEADER_BYTES + body[20]]
    if len(keyid) != 65 or keyid[0] != 4:
        raise Refusal(400, "keyid is not the sender's 65-byte uncompressed ECDH public key "
                           "(RFC 8291 §4)")
    if len(body) - _HEADER_BYTES - 65 > record_size:
        raise Refusal(400, "more than one record (RFC 8291 §4: a single record)")
    try:
        return http_ece.decrypt(body, private_key=keys.private_key,
                                auth_secret=keys.auth_secret, version="aes128gcm")
    except (http_ece.ECEException, ValueError) as error:
        detail = error.message if isinstance(error, http_ece.ECEException) else error
        raise Refusal(400, f"the body does not decrypt: {detail}") from None


def uncompressed(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text):
        raise ValueError(f"not base64url: {text[:20]!r}")
    bare = text.rstrip("=")
    return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))


@contextmanager
def serve(fake: FakePushService) -> Iterator[str]:
    """Serve `fake` on a free port: yields its origin (`http://127.0.0.1:N`)."""
    with served(fake.app(), port=free_port(), name="webpush-standin") as base:
        fake.base_url = base
        yield base


@pytest.fixture
def webpush_service() -> Iterator[FakePushService]:
    """A push service (and the browsers subscribed to it) on a free port, for one test."""
    fake = FakePushService()
    with serve(fake):
        yield fake
