"""The sandbox provider: a hosted checkout inside the app, with Stripe's test cards, that
reports back with webhooks signed exactly like Stripe's.

It keeps its own books in `sandbox_checkouts` (what Stripe keeps on its side), written as the
platform in their own transactions, never inside a caller's. `4242 4242 4242 4242` pays;
`4000 0000 0000 0002` is declined (the checkout stays open, as on Stripe). The same page saves
a card for a business (`create_card_setup`, kept in `sandbox_card_setups`): the test card is
saved as a made-up token, the decline card is refused.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import text

from ofair_app.adapters.psp import (
    CardDeclined,
    CheckoutCreated,
    ProviderError,
    ProviderEvent,
    ProviderPayment,
    RefundResult,
    SavedCard,
)
from ofair_app.adapters.psp.stripe_scheme import (
    event_payload,
    read_event,
    session_payment,
    sign,
)
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.payments import from_agorot, to_agorot
from ofair_app.models._base import utcnow
from ofair_app.settings import get_settings

logger = logging.getLogger(__name__)

SUCCESS_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
# Saves, but every charge of it is declined (Stripe's "insufficient funds" test card): how
# autopay's failures and retries are shown without a real card.
CHARGE_DECLINED_CARD = "4000000000009995"
# A saved card's charge (`charge_card`): its reference, refundable by `refund`.
_CHARGE_PREFIX = "tx_sandbox_"
CHECKOUT_TTL = timedelta(hours=24)
WEBHOOK_PATH = "/api/v1/payments/webhook"


SETUP_PREFIX = "seti_sandbox_"
SANDBOX_CARD_EXPIRY = (12, 2030)
_DECLINING_TOKEN = "tok_sandbox_declines_"  # noqa: S105 - a test card's prefix


@dataclass(frozen=True)
class CardResult:
    outcome: str  # paid | saved | declined | invalid | closed
    payload: bytes = b""
    signature: str = ""
    redirect_url: str = ""


def _session_object(row) -> dict:
    paid = row.status == "complete"
    return {"id": row.id, "object": "checkout.session", "client_reference_id": str(row.payment_id),
            "amount_total": row.amount_total, "currency": row.currency,
            "payment_status": "paid" if paid else "unpaid", "status": row.status,
            "payment_intent": row.payment_intent, "metadata": {"payment_id": str(row.payment_id)}}


def _state(row) -> ProviderPayment:
    found = session_payment(_session_object(row))
    return ProviderPayment(reference=found.reference, payment_id=found.payment_id,
                           state=found.state, amount=found.amount, currency=found.currency,
                           charge=found.charge, refunded=from_agorot(row.amount_refunded))


def _event_id() -> str:
    return f"evt_sandbox_{secrets.token_hex(12)}"


_SELECT = text("SELECT * FROM sandbox_checkouts WHERE id = :id")
_LOCK = text("SELECT * FROM sandbox_checkouts WHERE id = :id FOR UPDATE")


def _refund_done(session, key: str) -> RefundResult | None:
    """The refund made under `key` before, if any (the same key refunds once)."""
    done = session.execute(text(
        "SELECT provider_reference, amount FROM psp_operations"
        " WHERE provider = 'sandbox' AND key = :key"), {"key": key}).first()
    return (RefundResult(refund_id=done.provider_reference, amount=done.amount)
            if done is not None else None)


def _row(session, reference: str, *, lock: bool = False):
    return session.execute(_LOCK if lock else _SELECT, {"id": reference}).first()


class SandboxProvider:
    name = "sandbox"

    def create_checkout(self, *, payment_id: str, amount: Decimal, currency: str,
                        description: str, success_url: str,
                        cancel_url: str) -> CheckoutCreated:
        reference = f"cs_sandbox_{secrets.token_hex(12)}"
        with unit_of_work(SYSTEM) as session:
            session.execute(text(
                "INSERT INTO sandbox_checkouts (id, payment_id, amount_total, currency,"
                " description, payment_intent, success_url, cancel_url, expires_at)"
                " VALUES (:id, :payment_id, :amount, :currency, :description, :intent,"
                " :success_url, :cancel_url, :expires_at)"),
                {"id": reference, "payment_id": payment_id, "amount": to_agorot(amount),
                 "currency": currency, "description": description[:200],
                 "intent": f"pi_sandbox_{secrets.token_hex(12)}", "success_url": success_url,
                 "cancel_url": cancel_url, "expires_at": utcnow() + CHECKOUT_TTL})
        base = get_settings().ofair_public_url.rstrip("/")
        return CheckoutCreated(reference=reference, url=f"{base}/checkout/{reference}")

    def retrieve(self, reference: str) -> ProviderPayment:
        with unit_of_work(SYSTEM) as session:
            row = _row(session, reference)
        if row is None:
            raise ProviderError()
        return _state(row)

    def expire_checkout(self, reference: str) -> ProviderPayment:
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

    def read_webhook(self, payload: bytes, signature: str | None) -> ProviderEvent:
        """Signed with Stripe's scheme, read like Stripe's events."""
        return read_event(payload, signature)

    def refund(self, *, charge: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        """Refund part of a paid checkout, once per key (like Stripe's idempotency keys: the
        same key again answers the first refund and refunds nothing more). A saved card's
        charge (`tx_sandbox_…`) is refunded the same way, never beyond what it charged."""
        if charge.startswith(_CHARGE_PREFIX):
            return self._refund_card_charge(charge, amount, idempotency_key)
        with unit_of_work(SYSTEM) as session:
            row = session.execute(text(
                "SELECT * FROM sandbox_checkouts WHERE payment_intent = :pi FOR UPDATE"),
                {"pi": charge}).first()
            if row is None:
                raise ProviderError()
            done = _refund_done(session, idempotency_key)
            if done is not None:
                return done
            cents = to_agorot(amount)
            if row.status != "complete" or cents <= 0 \
                    or row.amount_refunded + cents > row.amount_total:
                raise ProviderError()
            refunded = row.amount_refunded + cents
            refund_id = f"re_sandbox_{secrets.token_hex(8)}"
            session.execute(text("UPDATE sandbox_checkouts SET amount_refunded = :r"
                                 " WHERE id = :id"), {"r": refunded, "id": row.id})
            session.execute(text(
                "INSERT INTO psp_operations (provider, key, kind, status, provider_reference,"
                " amount) VALUES ('sandbox', :key, 'refund', 'done', :ref, :amount)"),
                {"key": idempotency_key, "ref": refund_id, "amount": amount})
        charge_object = {"id": f"ch_{row.payment_intent.removeprefix('pi_')}",
                         "object": "charge", "payment_intent": row.payment_intent,
                         "amount": row.amount_total, "amount_refunded": refunded,
                         "currency": row.currency, "refunded": refunded >= row.amount_total}
        payload = event_payload(_event_id(), "charge.refunded", charge_object)
        # Like Stripe, tell our webhook later, not inside the caller's request (which may be
        # the very server that must answer it).
        threading.Thread(target=deliver, args=(payload, sign(payload)), daemon=True,
                         name="sandbox-webhook").start()
        return RefundResult(refund_id=refund_id, amount=amount)

    def _refund_card_charge(self, charge: str, amount: Decimal,
                            idempotency_key: str) -> RefundResult:
        suffix = charge.removeprefix(_CHARGE_PREFIX)
        with unit_of_work(SYSTEM) as session:
            charged = session.execute(text(
                "SELECT amount FROM psp_operations WHERE provider = 'sandbox' AND kind = 'charge'"
                " AND status = 'done' AND provider_reference = :ref FOR UPDATE"),
                {"ref": charge}).first()
            if charged is None:
                raise ProviderError()
            done = _refund_done(session, idempotency_key)
            if done is not None:
                return done
            refunded = session.execute(text(
                "SELECT coalesce(sum(amount), 0) FROM psp_operations WHERE provider = 'sandbox'"
                " AND kind = 'refund' AND provider_reference LIKE :prefix"),
                {"prefix": f"re_sandbox_{suffix}_%"}).scalar_one()
            if to_agorot(amount) <= 0 or refunded + amount > charged.amount:
                raise ProviderError()
            refund_id = f"re_sandbox_{suffix}_{secrets.token_hex(4)}"
            session.execute(text(
                "INSERT INTO psp_operations (provider, key, kind, status, provider_reference,"
                " amount) VALUES ('sandbox', :key, 'refund', 'done', :ref, :amount)"),
                {"key": idempotency_key, "ref": refund_id, "amount": amount})
        return RefundResult(refund_id=refund_id, amount=amount)

    # --- the hosted checkout page -----------------------------------------------------------

    def describe(self, reference: str) -> dict | None:
        """What the checkout page shows: amount, currency, description, status (for a
        card-saving page: no amount, `setup` true)."""
        if reference.startswith(SETUP_PREFIX):
            with unit_of_work(SYSTEM) as session:
                setup = session.execute(text("SELECT * FROM sandbox_card_setups WHERE id = :id"),
                                        {"id": reference}).first()
            if setup is None:
                return None
            return {"amount": None, "currency": "ils", "description": "", "setup": True,
                    "status": setup.status, "expired": False,
                    "success_url": setup.success_url, "cancel_url": setup.cancel_url}
        with unit_of_work(SYSTEM) as session:
            row = _row(session, reference)
        if row is None:
            return None
        return {"amount": from_agorot(row.amount_total), "currency": row.currency,
                "description": row.description, "status": row.status, "setup": False,
                "expired": row.status == "open" and row.expires_at <= utcnow(),
                "success_url": row.success_url, "cancel_url": row.cancel_url}

    # --- saved cards ------------------------------------------------------------------------

    def create_card_setup(self, *, owner_reference: str, success_url: str,
                          cancel_url: str) -> CheckoutCreated:
        reference = f"{SETUP_PREFIX}{secrets.token_hex(12)}"
        with unit_of_work(SYSTEM) as session:
            session.execute(text(
                "INSERT INTO sandbox_card_setups (id, owner_reference, success_url, cancel_url)"
                " VALUES (:id, :owner, :ok, :back)"),
                {"id": reference, "owner": owner_reference[:120], "ok": success_url,
                 "back": cancel_url})
        base = get_settings().ofair_public_url.rstrip("/")
        return CheckoutCreated(reference=reference, url=f"{base}/checkout/{reference}")

    def saved_card(self, reference: str) -> SavedCard | None:
        with unit_of_work(SYSTEM) as session:
            setup = session.execute(text("SELECT * FROM sandbox_card_setups WHERE id = :id"),
                                    {"id": reference}).first()
        if setup is None:
            raise ProviderError()
        if setup.status != "complete":
            return None
        month, year = SANDBOX_CARD_EXPIRY
        return SavedCard(token=setup.token, brand="Visa", last4=setup.last4,
                         exp_month=month, exp_year=year)

    def charge_card(self, *, card: SavedCard, amount: Decimal, idempotency_key: str) -> str:
        """Charge a saved sandbox card once per key: a token of `CHARGE_DECLINED_CARD` is
        declined, any other charged. A key charged before answers its first transaction."""
        if to_agorot(amount) <= 0 or not card.token.startswith("tok_sandbox_"):
            raise ProviderError()
        with unit_of_work(SYSTEM) as session:
            done = session.execute(text(
                "SELECT provider_reference FROM psp_operations"
                " WHERE provider = 'sandbox' AND key = :key AND status = 'done'"),
                {"key": idempotency_key}).first()
            if done is not None:
                return done.provider_reference
            if card.token.startswith(_DECLINING_TOKEN):
                raise CardDeclined()
            transaction = f"{_CHARGE_PREFIX}{secrets.token_hex(8)}"
            session.execute(text(
                "INSERT INTO psp_operations (provider, key, kind, status, provider_reference,"
                " amount) VALUES ('sandbox', :key, 'charge', 'done', :ref, :amount)"),
                {"key": idempotency_key, "ref": transaction, "amount": amount})
        return transaction

    def _save(self, reference: str, card: str) -> CardResult:
        with unit_of_work(SYSTEM) as session:
            setup = session.execute(text(
                "SELECT * FROM sandbox_card_setups WHERE id = :id FOR UPDATE"),
                {"id": reference}).first()
            if setup is None or setup.status != "open":
                return CardResult("closed")
            if card == DECLINED_CARD:
                return CardResult("declined")
            session.execute(text(
                "UPDATE sandbox_card_setups SET status = 'complete', token = :token,"
                " last4 = :last4 WHERE id = :id"),
                {"id": reference, "token": (_DECLINING_TOKEN if card == CHARGE_DECLINED_CARD
                                            else "tok_sandbox_") + secrets.token_hex(12),
                 "last4": card[-4:]})
        return CardResult("saved", redirect_url=setup.success_url)

    def pay(self, reference: str, card_number: str) -> CardResult:
        """A card typed on the checkout page: the test card pays (and a signed
        `checkout.session.completed` is made), the decline card is declined."""
        card = "".join(ch for ch in card_number if ch.isdigit())
        if reference.startswith(SETUP_PREFIX) and card == CHARGE_DECLINED_CARD:
            return self._save(reference, card)
        if card not in (SUCCESS_CARD, DECLINED_CARD):
            return CardResult("invalid")
        if reference.startswith(SETUP_PREFIX):
            return self._save(reference, card)
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
