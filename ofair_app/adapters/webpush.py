"""Web Push: a notification to one browser's push subscription, encrypted and signed, by `httpx`.

What the specifications say (RFC 8030 "Generic Event Delivery Using HTTP Push", RFC 8291
"Message Encryption for Web Push", RFC 8292 "VAPID for Web Push"):
- a browser subscribes with our application server key (`applicationServerKey`: the 65-byte
  uncompressed P-256 public point) and hands us its `PushSubscription`: an `endpoint` URL (the
  push resource, on its vendor's push service) and `keys.p256dh` (its ECDH public key) and
  `keys.auth` (a 16-byte secret), base64url;
- a message is `POST endpoint` with the payload as the body (RFC 8030 §5): a `TTL` header in
  seconds is required (§5.2), `Urgency` is one of very-low, low, normal, high (§5.3), a `Topic`
  of at most 32 base64url characters replaces an undelivered message with the same topic
  (§5.4); the service answers 201 (or 202 with a receipt) with the message's `Location`;
- the payload is encrypted for the browser alone (RFC 8291): `Content-Encoding: aes128gcm`
  (RFC 8188) in a single record whose header carries a fresh ECDH public key of ours as its
  `keyid`; a service need not take more than 4096 bytes of body (RFC 8030 §7.2), which after
  the 86-byte header, the padding delimiter and the 16-byte tag leaves 3993 bytes of plaintext
  (RFC 8291 §4);
- the request is signed (RFC 8292): `Authorization: vapid t=<JWT>, k=<our public key>`, the JWT
  ES256 with `aud` the endpoint's origin, `exp` at most 24 hours ahead and `sub` a `mailto:` or
  `https:` contact; a subscription made with our key refuses another key with 403 (§4.2);
- 404 or 410 say the subscription is gone (expired, or the browser unsubscribed): it is to be
  forgotten, never retried; 429 asks us to slow down (RFC 8030 §8.4).

The encryption is `pywebpush`'s (`WebPusher.encode`, over `http_ece`) and the JWT `py_vapid`'s;
the request goes out through `httpx` (pywebpush's own sending uses `requests`). A push service
takes no idempotency key: a push whose answer never came (a timeout) is retried by the outbox
and may show twice.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import http_ece
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid.jwt import sign as sign_jwt
from pywebpush import WebPusher, WebPushException

from ofair_app.adapters.messaging import DeliveryError, _show_messages_in_terminal, console_logger

logger = logging.getLogger(__name__)

# RFC 8291 §4: 4096 bytes of body less the header (86), the delimiter (1) and the tag (16).
MAX_PLAINTEXT_BYTES = 3993
URGENCIES = ("very-low", "low", "normal", "high")
# RFC 8292 §2: at most 24 hours; half of it leaves room for a clock that runs fast.
JWT_LIFETIME_SECONDS = 12 * 3600
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_MAILTO = re.compile(r"mailto:[^@\s]+@[^@\s]+")
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True, kw_only=True)
class PushTarget:
    """One browser's push subscription, as `PushSubscription.toJSON()` gives it."""

    endpoint: str  # the push resource: an https URL on the browser vendor's push service
    p256dh: str    # the browser's P-256 public key, base64url (`keys.p256dh`)
    auth: str      # the browser's 16-byte authentication secret, base64url (`keys.auth`)


class SubscriptionGone(DeliveryError):
    """The push service answered 404 or 410: the subscription is dead, forget it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)

    def __reduce__(self) -> tuple[object, ...]:
        return (SubscriptionGone, (str(self),))


@dataclass(frozen=True)
class VapidKeys:
    """Our VAPID key pair (RFC 8292), base64url without padding."""

    private_key: str  # the raw 32-byte P-256 private value
    public_key: str   # the 65-byte uncompressed point: the browser's `applicationServerKey`


def generate_vapid_keys() -> VapidKeys:
    """A fresh key pair, to be generated once and kept in the settings."""
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    return VapidKeys(private_key=_b64url(raw), public_key=_public_of(key))


def public_key_of(private_key: str) -> str:
    """The `applicationServerKey` a browser subscribes with, for our stored private key;
    `ValueError` for a key that is not base64url of 32 bytes on P-256."""
    return _public_of(_load_private_key(private_key))


class WebPushSender:
    """One push message per call, to one subscription, signed with our VAPID key."""

    name = "webpush"

    def __init__(self, *, private_key: str, subject: str, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._key = _load_private_key(private_key)
        self.public_key = _public_of(self._key)
        if not _is_contact(subject):
            raise ValueError(f"the VAPID subject must be a mailto: or https: URI: {subject!r}")
        self.subject = subject
        self.timeout = timeout
        # The caller's, and never closed here: a shared transport keeps its connections.
        self.transport = transport

    def push(self, target: PushTarget, payload: Mapping[str, object], *, ttl: int = 86400,
             urgency: str = "normal", topic: str | None = None) -> str | None:
        """Deliver `payload` (as JSON) once; return the message's `Location`, or raise
        `DeliveryError` (`SubscriptionGone` when the subscription no longer exists)."""
        origin = _origin(target.endpoint)
        headers = _headers(ttl, urgency, topic)
        plaintext = _serialise(payload)
        body = _encrypt(plaintext, target)
        headers["Authorization"] = f"vapid t={self._jwt(origin)}, k={self.public_key}"
        response = self._post(target.endpoint, body, headers, origin)
        status = response.status_code
        if 200 <= status < 300:
            return response.headers.get("Location")
        detail = f"push service {origin} answered HTTP {status}: {response.text[:200]}"
        if status in (404, 410):
            raise SubscriptionGone(f"{detail} (the subscription is gone)")
        reason = _REFUSALS.get(status)
        if reason is not None:
            logger.warning("push to %s refused: %s (%s)", origin, detail, reason)
            raise DeliveryError(f"{detail} ({reason})", permanent=True)
        if status == 429:
            retry_after = response.headers.get("Retry-After")
            wait = f"; retry after {retry_after}" if retry_after else ""
            raise DeliveryError(f"{detail} (throttled{wait})", permanent=False)
        transient = status >= 500 or status < 400 or status == 408
        raise DeliveryError(detail, permanent=not transient)

    def _jwt(self, origin: str) -> str:
        claims = {"aud": origin, "exp": int(time.time()) + JWT_LIFETIME_SECONDS,
                  "sub": self.subject}
        return sign_jwt(claims, self._key)

    def _post(self, endpoint: str, body: bytes, headers: dict[str, str],
              origin: str) -> httpx.Response:
        client = httpx.Client(timeout=self.timeout, transport=self.transport)
        try:
            return client.post(endpoint, content=body, headers=headers)
        except httpx.TimeoutException as error:
            raise DeliveryError(f"push service {origin}: no answer within {self.timeout:g}s "
                                f"({type(error).__name__})", permanent=False) from error
        except httpx.HTTPError as error:
            raise DeliveryError(f"push service {origin} unreachable: "
                                f"{type(error).__name__}: {error}", permanent=False) from error
        finally:
            if self.transport is None:
                client.close()


class ConsolePushSender:
    """Development delivery: one log line per push, in the terminal that runs the app."""

    name = "console"

    def __init__(self) -> None:
        _show_messages_in_terminal()

    def push(self, target: PushTarget, payload: Mapping[str, object], *, ttl: int = 86400,
             urgency: str = "normal", topic: str | None = None) -> str | None:
        host = urlsplit(target.endpoint).hostname or target.endpoint
        title = " ".join(str(payload.get("title", "")).split())
        topic_note = f", topic {topic}" if topic else ""
        console_logger.info("PUSH to %s (%s, ttl %s%s): %s", host, urgency, ttl, topic_note,
                            title)
        return "console"


# Refusals that say our request, payload or keys are wrong: another try fails the same way.
_REFUSALS = {
    400: "the push service refused the request as malformed",
    401: "the push service refused our VAPID authorization",
    403: "our VAPID key is not the one this subscription was made with, or its JWT is invalid",
    413: "the payload is too large for the push service",
}


def _origin(endpoint: str) -> str:
    """The endpoint's origin (the JWT's `aud`); a URL no push service could have given is a
    permanent error: https only, but http to this machine (a local stand-in)."""
    try:
        url = httpx.URL(endpoint)
    except (httpx.InvalidURL, TypeError) as error:
        raise DeliveryError(f"invalid push endpoint {endpoint!r}: {error}",
                            permanent=True) from error
    host = url.raw_host.decode("ascii").lower()
    if not host or url.scheme not in ("https", "http") or url.userinfo \
            or (url.scheme == "http" and host not in _LOCAL_HOSTS):
        raise DeliveryError(f"invalid push endpoint (expected an https URL): {endpoint!r}",
                            permanent=True)
    if ":" in host:
        host = f"[{host}]"
    return f"{url.scheme}://{host}" + (f":{url.port}" if url.port is not None else "")


def _headers(ttl: int, urgency: str, topic: str | None) -> dict[str, str]:
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
        raise DeliveryError(f"TTL must be a whole number of seconds: {ttl!r}", permanent=True)
    if urgency not in URGENCIES:
        raise DeliveryError(f"urgency must be one of {', '.join(URGENCIES)}: {urgency!r}",
                            permanent=True)
    headers = {"TTL": str(ttl), "Content-Encoding": "aes128gcm",
               "Content-Type": "application/octet-stream", "Urgency": urgency}
    if topic is not None:
        if not isinstance(topic, str) or not _TOPIC.fullmatch(topic):
            raise DeliveryError(f"a topic is 1 to 32 base64url characters: {topic!r}",
                                permanent=True)
        headers["Topic"] = topic
    return headers


def _serialise(payload: Mapping[str, object]) -> bytes:
    try:
        # Compact, and Hebrew as UTF-8 (2 bytes a letter) rather than \u escapes (6).
        plaintext = json.dumps(dict(payload), ensure_ascii=False, separators=(",", ":"),
                               allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise DeliveryError(f"push payload is not JSON: {error}", permanent=True) from error
    if len(plaintext) > MAX_PLAINTEXT_BYTES:
        raise DeliveryError(f"push payload of {len(plaintext)} bytes is over the "
                            f"{MAX_PLAINTEXT_BYTES} a push service must take", permanent=True)
    return plaintext


def _encrypt(plaintext: bytes, target: PushTarget) -> bytes:
    """`aes128gcm` for the subscription's keys (RFC 8291): one record, the header's keyid our
    one-off ECDH public key."""
    try:
        receiver = _b64url_decode(target.p256dh)
        auth = _b64url_decode(target.auth)
        if len(receiver) != 65 or receiver[0] != 4 or len(auth) != 16:
            raise ValueError("p256dh is a 65-byte point, auth 16 bytes")
        pusher = WebPusher({"endpoint": target.endpoint,
                            "keys": {"p256dh": target.p256dh, "auth": target.auth}})
        return pusher.encode(plaintext, content_encoding="aes128gcm")["body"]
    except (ValueError, WebPushException, http_ece.ECEException) as error:
        detail = error.message if isinstance(error, (http_ece.ECEException,
                                                     WebPushException)) else error
        raise DeliveryError(f"invalid subscription keys: {detail}", permanent=True) from error


def _is_contact(subject: object) -> bool:
    if not isinstance(subject, str) or any(ord(char) < 33 for char in subject):
        return False
    if subject.startswith("mailto:"):
        return _MAILTO.fullmatch(subject) is not None
    parts = urlsplit(subject)
    return parts.scheme == "https" and bool(parts.hostname)


def _load_private_key(private_key: str) -> ec.EllipticCurvePrivateKey:
    if not isinstance(private_key, str) or not private_key.strip():
        raise ValueError("no VAPID private key")
    try:
        raw = _b64url_decode(private_key.strip())
    except ValueError as error:
        raise ValueError(f"the VAPID private key is not base64url: {error}") from None
    if len(raw) != 32:
        raise ValueError(f"the VAPID private key is {len(raw)} bytes, not the 32 of a raw "
                         f"P-256 value")
    # Refuses 0 and values at or past the curve's order.
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def _public_of(key: ec.EllipticCurvePrivateKey) -> str:
    return _b64url(key.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; `ValueError` for anything else."""
    bare = text.rstrip("=")
    if not _BASE64URL.fullmatch(bare) or len(bare) % 4 == 1:
        raise ValueError(f"not base64url: {text[:20]!r}")
    try:
        return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except binascii.Error as error:
        raise ValueError(str(error)) from None
