"""A business's saved payment methods (issue 16 §3): cards saved through the provider's hosted
page, kept as the provider's token with what may be shown (brand, last 4 digits, expiry),
never a card number. Used later for autopay (b2b settlement) and subscriptions.

Owners of the business manage them (and admins may); staff and everyone else are refused by
the service and by row-level security. Saving goes in two steps and holds no transaction
across a provider call: `start_saving` opens the provider's card-saving page and records it
`pending` for the business; when the owner comes back, `finish_saving` asks the provider about
that business's own pending pages only (a reference in a URL is never trusted) and keeps each
card it saved. The first card saved becomes the default.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, col, select

from ofair_app.adapters.psp import CardDeclined, ProviderError, SavedCard, get_provider
from ofair_app.db.engine import Caller, unit_of_work
from ofair_app.domain.errors import NotFound
from ofair_app.models import PaymentMethod
from ofair_app.services.professionals import require_member
from ofair_app.settings import get_settings

PROFILE_PATH = "/pro/profile"


@dataclass(frozen=True)
class SavedMethod:
    """A saved card as people may see it: no token."""

    id: uuid.UUID
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool


def _shown(method: PaymentMethod) -> SavedMethod:
    return SavedMethod(id=method.id, brand=method.brand, last4=method.last4,
                       exp_month=method.exp_month or 0, exp_year=method.exp_year or 0,
                       is_default=method.is_default)


def list_methods(*, session: Session, caller: Caller,
                 professional_id: uuid.UUID) -> list[SavedMethod]:
    """The business's saved cards, the default first. Owners and admins."""
    require_member(session=session, caller=caller, professional_id=professional_id, owner=True)
    rows = session.exec(select(PaymentMethod).where(
        PaymentMethod.professional_id == professional_id, PaymentMethod.status == "active")
        .order_by(col(PaymentMethod.is_default).desc(), col(PaymentMethod.created_at))).all()
    return [_shown(row) for row in rows]


def start_saving(*, caller: Caller, professional_id: uuid.UUID) -> str:
    """Open the provider's card-saving page for the business; the URL to send the owner to.
    The page sends the owner back to the business profile."""
    with unit_of_work(caller) as session:
        require_member(session=session, caller=caller, professional_id=professional_id,
                       owner=True)
    back = f"{get_settings().ofair_public_url.rstrip('/')}{PROFILE_PATH}"
    provider = get_provider()
    page = provider.create_card_setup(owner_reference=f"card:{professional_id}",
                                      success_url=f"{back}?card=saved",
                                      cancel_url=f"{back}?card=cancelled")
    with unit_of_work(caller) as session:
        session.add(PaymentMethod(professional_id=professional_id, provider=provider.name,
                                  setup_reference=page.reference, created_by=caller.user_id))
    return page.url


def finish_saving(*, caller: Caller, professional_id: uuid.UUID) -> int:
    """Ask the provider about the business's pending card-saving pages and keep each card it
    saved: how many were saved now."""
    with unit_of_work(caller) as session:
        require_member(session=session, caller=caller, professional_id=professional_id,
                       owner=True)
        pending = session.exec(select(PaymentMethod.id, PaymentMethod.provider,
                                      PaymentMethod.setup_reference).where(
            PaymentMethod.professional_id == professional_id,
            PaymentMethod.status == "pending")).all()
    saved = 0
    for method_id, provider_name, reference in pending:
        card = get_provider(provider_name).saved_card(reference)
        if card is None:
            continue
        with unit_of_work(caller) as session:
            method = session.exec(select(PaymentMethod).where(PaymentMethod.id == method_id)
                                  .with_for_update()).first()
            if method is None or method.status != "pending":
                continue
            has_default = session.exec(select(PaymentMethod.id).where(
                PaymentMethod.professional_id == professional_id,
                col(PaymentMethod.is_default).is_(True))).first() is not None
            method.status, method.token, method.brand = "active", card.token, card.brand[:20]
            method.last4, method.exp_month, method.exp_year = (
                card.last4, card.exp_month, card.exp_year)
            method.is_default = not has_default
            session.add(method)
            saved += 1
    return saved


def _method(session: Session, caller: Caller, method_id: uuid.UUID) -> PaymentMethod:
    """A saved card of a business the caller owns (or any, for an admin), locked. Another
    business's card is "not found", as if it did not exist."""
    method = session.exec(select(PaymentMethod).where(PaymentMethod.id == method_id)
                          .with_for_update()).first()
    if method is None or method.status != "active":
        raise NotFound("errors.payment_method.not_found")
    require_member(session=session, caller=caller, professional_id=method.professional_id,
                   owner=True)
    return method


def make_default(*, session: Session, caller: Caller, method_id: uuid.UUID) -> SavedMethod:
    """This card becomes the business's default (the one autopay charges)."""
    method = _method(session, caller, method_id)
    session.execute(update(PaymentMethod).where(
        col(PaymentMethod.professional_id) == method.professional_id,
        col(PaymentMethod.id) != method.id).values(is_default=False))
    session.flush()
    method.is_default = True
    session.add(method)
    session.flush()
    return _shown(method)


def remove(*, session: Session, caller: Caller, method_id: uuid.UUID) -> None:
    """Forget a saved card (its token too). If it was the default, the newest other card
    becomes the default."""
    method = _method(session, caller, method_id)
    was_default, business = method.is_default, method.professional_id
    session.delete(method)
    session.flush()
    if was_default:
        newest = session.exec(select(PaymentMethod).where(
            PaymentMethod.professional_id == business, PaymentMethod.status == "active")
            .order_by(col(PaymentMethod.created_at).desc()).with_for_update()).first()
        if newest is not None:
            newest.is_default = True
            session.add(newest)
            session.flush()


# --- charging a saved card (autopay, the subscription) -------------------------------------------


def default_card(session: Session, professional_id: uuid.UUID) -> PaymentMethod | None:
    """The business's default saved card, if it has one (read as the platform)."""
    return session.exec(select(PaymentMethod).where(
        PaymentMethod.professional_id == professional_id, PaymentMethod.status == "active",
        col(PaymentMethod.is_default))).first()


def saved_card(method: PaymentMethod) -> SavedCard:
    """What the provider needs to charge `method` (its token is that provider's)."""
    assert method.token is not None
    return SavedCard(token=method.token, brand=method.brand, last4=method.last4,
                     exp_month=method.exp_month or 0, exp_year=method.exp_year or 0)


@dataclass(frozen=True)
class Charged:
    """A saved card's charge as the provider answered: "paid" (with its reference),
    "declined" (with the reason the platform records) or "unanswered" (no answer came:
    sending the same key again is safe, it never charges twice)."""

    outcome: str
    reference: str | None = None
    reason: str = ""


def charge_once(provider: str, card: SavedCard, amount: Decimal, key: str) -> Charged:
    """Charge `card` at `provider` (where it was saved) under the idempotency key `key`."""
    try:
        reference = get_provider(provider).charge_card(card=card, amount=amount,
                                                      idempotency_key=key)
    except CardDeclined:
        return Charged("declined", reason="declined by the card's issuer")
    except ProviderError:
        return Charged("unanswered")
    return Charged("paid", reference=reference)
