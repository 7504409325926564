"""Push messages to the browsers (devices) people enabled (Web Push; issue 19 points 3 and 5).

A browser subscribes with our VAPID public key (`application_server_key`) and sends us its
subscription (`subscribe`); a notice on the `push` channel becomes one outbox row per device
(`services/notifications._messages`), and the outbox sends each (`send_one`) through the
adapter the settings name. The push service's 404 or 410 says the subscription is gone: its
row is deleted and the message is not retried.
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlmodel import Session, col, delete, select

from ofair_app.adapters.messaging import DeliveryError
from ofair_app.adapters.webpush import (
    ConsolePushSender,
    PushTarget,
    SubscriptionGone,
    WebPushSender,
    generate_vapid_keys,
    public_key_of,
)
from ofair_app.db.engine import Caller, affected, trusted_step
from ofair_app.domain.errors import (
    FieldErrors,
    InvalidInput,
    ServiceUnavailable,
    Unauthenticated,
)
from ofair_app.models import PushSubscription
from ofair_app.models._base import utcnow
from ofair_app.settings import Settings, get_settings

logger = logging.getLogger(__name__)

DEVICES_PER_PERSON = 20  # the oldest go when a person enables more
_P256DH_BYTES = 65  # an uncompressed P-256 point
_AUTH_BYTES = 16


@lru_cache(maxsize=1)
def _development_key() -> str:
    return generate_vapid_keys().private_key


def _private_key(settings: Settings) -> str:
    if settings.vapid_private_key is not None and settings.vapid_private_key.get_secret_value():
        return settings.vapid_private_key.get_secret_value()
    if settings.push_backend == "console":
        return _development_key()
    raise ServiceUnavailable("errors.push.not_configured")


def application_server_key() -> str:
    """The VAPID public key browsers subscribe with (base64url)."""
    try:
        return public_key_of(_private_key(get_settings()))
    except ValueError:
        raise ServiceUnavailable("errors.push.not_configured") from None


def push_sender(settings: Settings | None = None) -> WebPushSender | ConsolePushSender:
    settings = settings or get_settings()
    if settings.push_backend == "webpush":
        return WebPushSender(private_key=_private_key(settings), subject=settings.vapid_subject,
                             timeout=settings.push_timeout_seconds)
    return ConsolePushSender()


def _key(value: str, size: int, field: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size or (size == _P256DH_BYTES and raw[0] != 4):
        raise InvalidInput(fields={field: "errors.push.bad_key"})
    return value


def _endpoint(value: str) -> str:
    parts = urlsplit(value.strip())
    local = (parts.hostname in ("127.0.0.1", "localhost")
             and get_settings().ofair_env != "production")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and local)):
        raise InvalidInput(fields={"endpoint": "errors.push.bad_endpoint"})
    return value.strip()


def subscribe(*, session: Session, caller: Caller, endpoint: str, p256dh: str, auth: str,
              user_agent: str = "") -> PushSubscription:
    """This browser receives the caller's push messages. A browser belongs to one person at a
    time: one that someone else enabled before (a shared device) is theirs no longer."""
    if caller.user_id is None:
        raise Unauthenticated()
    errors = FieldErrors()
    endpoint = errors.check(_endpoint, endpoint) or ""
    p256dh = errors.check(_key, p256dh, _P256DH_BYTES, "p256dh") or ""
    auth = errors.check(_key, auth, _AUTH_BYTES, "auth") or ""
    errors.raise_if_any()
    with trusted_step(session, caller):
        session.execute(delete(PushSubscription).where(
            col(PushSubscription.endpoint) == endpoint,
            col(PushSubscription.user_id) != caller.user_id))
    row = session.exec(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint)).first()
    if row is None:
        row = PushSubscription(user_id=caller.user_id, endpoint=endpoint, p256dh=p256dh,
                               auth=auth, user_agent=user_agent[:300])
    else:
        row.p256dh, row.auth = p256dh, auth
        row.user_agent = user_agent[:300] or row.user_agent
    session.add(row)
    session.flush()
    session.refresh(row)
    _keep_newest(session, caller)
    return row


def _keep_newest(session: Session, caller: Caller) -> None:
    rows = session.exec(select(PushSubscription.id).where(
        PushSubscription.user_id == caller.user_id)
        .order_by(col(PushSubscription.created_at).desc()).offset(DEVICES_PER_PERSON)).all()
    if rows:
        session.execute(delete(PushSubscription).where(col(PushSubscription.id).in_(rows)))


def unsubscribe(*, session: Session, caller: Caller, endpoint: str) -> bool:
    """This browser no longer receives the caller's push messages; whether it did."""
    if caller.user_id is None:
        raise Unauthenticated()
    return bool(affected(session.execute(delete(PushSubscription).where(
        col(PushSubscription.endpoint) == endpoint.strip(),
        col(PushSubscription.user_id) == caller.user_id))))


def devices(*, session: Session, caller: Caller) -> list[PushSubscription]:
    """The caller's browsers that take push messages, newest first."""
    return list(session.exec(select(PushSubscription).where(
        PushSubscription.user_id == caller.user_id)
        .order_by(col(PushSubscription.created_at).desc())).all())


class PushMessage(Protocol):
    """What a push message's delivery reads of its outbox row."""

    to_address: str  # the browser's subscription id
    subject: str
    locale: str
    params: dict[str, Any]


def payload_of(message: PushMessage) -> dict[str, str]:
    """What the service worker (assets/sw.js) shows: the notice's line, in its language,
    opening the page it is about."""
    params = message.params or {}
    return {"title": "OFAIR", "body": message.subject,
            "url": params.get("url") or "/notifications", "tag": params.get("tag", ""),
            "lang": message.locale, "dir": "ltr" if message.locale == "en" else "rtl"}


def send_one(*, session: Session, message: PushMessage,
             sender: WebPushSender | ConsolePushSender | None = None) -> str | None:
    """Deliver one outbox push message to its device (the system, from the outbox)."""
    try:
        subscription = session.get(PushSubscription, uuid.UUID(message.to_address))
    except ValueError:
        subscription = None
    if subscription is None:
        raise DeliveryError("the device no longer takes push messages", permanent=True)
    params = message.params or {}
    payload = payload_of(message)
    target = PushTarget(endpoint=subscription.endpoint, p256dh=subscription.p256dh,
                        auth=subscription.auth)
    try:
        reference = (sender or push_sender()).push(target, payload, ttl=24 * 3600,
                                                   urgency=params.get("urgency", "normal"))
    except SubscriptionGone:
        session.delete(subscription)
        logger.info("push subscription %s is gone: removed", subscription.id)
        raise
    subscription.last_used_at = utcnow()
    session.add(subscription)
    return reference
