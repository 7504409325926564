"""The sandbox provider: a hosted checkout inside the app, with Stripe's test cards, that
reports back with webhooks signed exactly like Stripe's.

It keeps its own books in `sandbox_checkouts` (what Stripe keeps on its side), written as the
platform in their own transactions, never inside a caller's. `4242 4242 4242 4242` pays;
`4000 0000 0000 0002` is declined (the checkout stays open, as on Stripe).
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy import text

from ofair_app.adapters.psp import (
    Checkout,
    ProviderError,
    SessionState,
    event_payload,
    sign,
)
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models._base import utcnow
from ofair_app.settings import get_settings

logger = logging.getLogger(__name__)

SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
CHECKOUT_TTL = timedelta(hours=24)
WEBHOOK_PATH = "/api/v1/payments/webhook"


@dataclass(frozen=True)
class CardResult:
    outcome: str  # paid | declined | invalid | closed
    payload: bytes = b""
    signature: str = ""
    redirect_url: str = ""


def _session_object(row) -> dict:
    paid = row.status == "complete"
    return {"id": row.id, "object": "checkout.session", "client_reference_id": str(row.payment_id),
            "amount_total": row.amount_total, "currency": row.currency,
            "payment_status": "paid" if paid else "unpaid", "status": row.status,
            "payment_intent": row.payment_intent, "metadata": {"payment_id": str(row.payment_id)}}


def _state(row) -> SessionState:
    data = _session_object(row)
    return SessionState(reference=row.id, status=row.status,
                        payment_status=data["payment_status"], amount_total=row.amount_total,
                        currency=row.currency, payment_intent=row.payment_intent,
                        client_reference_id=str(row.payment_id))


def _event_id() -> str:
    return f"evt_sandbox_{secrets.token_hex(12)}"


_SELECT = text("SELECT * FROM sandbox_checkouts WHERE id = :id")
_LOCK = text("SELECT * FROM sandbox_checkouts WHERE id = :id FOR UPDATE")


def _row(session, reference: str, *, lock: bool = False):
    return session.execute(_LOCK if lock else _SELECT, {"id": reference}).first()


class SandboxProvider:
    name = "sandbox"

    def create_checkout(self, *, payment_id: str, amount: int, currency: str,
                        description: str, success_url: str, cancel_url: str) -> Checkout:
        reference = f"cs_sandbox_{secrets.token_hex(12)}"
        with unit_of_work(SYSTEM) as session:
            session.execute(text(
                "INSERT INTO sandbox_checkouts (id, payment_id, amount_total, currency,"
                " description, payment_intent, success_url, cancel_url, expires_at)"
                " VALUES (:id, :payment_id, :amount, :currency, :description, :intent,"
                " :success_url, :cancel_url, :expires_at)"),
                {"id": reference, "payment_id": payment_id, "amount": amount,
                 "currency": currency, "description": description[:200],
                 "intent": f"pi_sandbox_{secrets.token_hex(12)}", "success_url": success_url,
                 "cancel_url": cancel_url, "expires_at": utcnow() + CHECKOUT_TTL})
        base = get_settings().ofair_public_url.rstrip("/")
        return Checkout(reference=reference, url=f"{base}/checkout/{reference}")

    def retrieve(self, reference: str) -> SessionState:
        with unit_of_work(SYSTEM) as session:
            row = _row(session, reference)
        if row is None:
            raise ProviderError()
        return _state(row)

    def expire_checkout(self, reference: str) -> SessionState:
        """Close an open checkout (its page then says it expired); a paid one stays paid. Like
        the caller's own records, nothing is sent to the webhook: the caller already knows."""
        with unit_of_work(SYSTEM) as session:
            row = _row(session, reference, lock=True)
            if row is None:
                raise ProviderError()
            if row.status == "open":
                session.execute(text("UPDATE sandbox_checkouts SET status = 'expired'"
                                     " WHERE id = :id"), {"id": reference})
                row = _row(session, reference)
        return _state(row)

    def refund(self, *, payment_intent: str, amount: int, idempotency_key: str) -> str:
        with unit_of_work(SYSTEM) as session:
            row = session.execute(text(
                "SELECT * FROM sandbox_checkouts WHERE payment_intent = :pi FOR UPDATE"),
                {"pi": payment_intent}).first()
            if row is None or row.status != "complete" \
                    or row.amount_refunded + amount > row.amount_total:
                raise ProviderError()
            refunded = row.amount_refunded + amount
            session.execute(text("UPDATE sandbox_checkouts SET amount_refunded = :r"
                                 " WHERE id = :id"), {"r": refunded, "id": row.id})
        charge = {"id": f"ch_{row.payment_intent.removeprefix('pi_')}", "object": "charge",
                  "payment_intent": row.payment_intent, "amount": row.amount_total,
                  "amount_refunded": refunded, "currency": row.currency,
                  "refunded": refunded >= row.amount_total}
        payload = event_payload(_event_id(), "charge.refunded", charge)
        # Like Stripe, tell our webhook later, not inside the caller's request (which may be
        # the very server that must answer it).
        threading.Thread(target=deliver, args=(payload, sign(payload)), daemon=True,
                         name="sandbox-webhook").start()
        return f"re_sandbox_{secrets.token_hex(8)}"

    # --- the hosted checkout page -----------------------------------------------------------

    def describe(self, reference: str) -> dict | None:
        """What the checkout page shows: amount, currency, description, status."""
        with unit_of_work(SYSTEM) as session:
            row = _row(session, reference)
        if row is None:
            return None
        return {"amount": row.amount_total, "currency": row.currency,
                "description": row.description, "status": row.status,
                "expired": row.status == "open" and row.expires_at <= utcnow(),
                "success_url": row.success_url, "cancel_url": row.cancel_url}

    def pay(self, reference: str, card_number: str) -> CardResult:
        """A card typed on the checkout page: the test card pays (and a signed
        `checkout.session.completed` is made), the decline card is declined."""
        card = "".join(ch for ch in card_number if ch.isdigit())
        if card not in (SUCCESS_CARD, DECLINED_CARD):
            return CardResult("invalid")
        with unit_of_work(SYSTEM) as session:
            row = _row(session, reference, lock=True)
            if row is None or row.status != "open" or row.expires_at <= utcnow():
                return CardResult("closed")
            if card == DECLINED_CARD:
                return CardResult("declined")
            session.execute(text("UPDATE sandbox_checkouts SET status = 'complete'"
                                 " WHERE id = :id"), {"id": reference})
            row = _row(session, reference)
        payload = event_payload(_event_id(), "checkout.session.completed", _session_object(row))
        return CardResult("paid", payload, sign(payload), row.success_url)

    def expire(self, reference: str) -> CardResult:
        """The checkout ran out (or the client gave up): `checkout.session.expired`."""
        with unit_of_work(SYSTEM) as session:
            row = _row(session, reference, lock=True)
            if row is None or row.status != "open":
                return CardResult("closed")
            session.execute(text("UPDATE sandbox_checkouts SET status = 'expired'"
                                 " WHERE id = :id"), {"id": reference})
            row = _row(session, reference)
        payload = event_payload(_event_id(), "checkout.session.expired", _session_object(row))
        return CardResult("expired", payload, sign(payload), row.cancel_url)


def deliver(payload: bytes, signature: str) -> int | None:
    """POST a signed event to our own webhook, as the provider would. A failure is logged and
    left to the `reconcile_payments` job, which asks the provider again."""
    url = get_settings().ofair_public_url.rstrip("/") + WEBHOOK_PATH
    try:
        response = httpx.post(url, content=payload, timeout=10,
                              headers={"Stripe-Signature": signature,
                                       "Content-Type": "application/json"})
    except httpx.HTTPError as error:
        logger.warning("sandbox webhook to %s failed: %s", url, error)
        return None
    if response.status_code >= 300:
        logger.warning("sandbox webhook to %s answered %s", url, response.status_code)
    return response.status_code


async def deliver_async(payload: bytes, signature: str) -> int | None:
    """`deliver`, for callers on an event loop (the checkout page posts to its own server)."""
    url = get_settings().ofair_public_url.rstrip("/") + WEBHOOK_PATH
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url, content=payload, headers={
                "Stripe-Signature": signature, "Content-Type": "application/json"})
    except httpx.HTTPError as error:
        logger.warning("sandbox webhook to %s failed: %s", url, error)
        return None
    return response.status_code
