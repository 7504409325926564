"""A business's wallet: money held for finished work (pending), money it may withdraw
(available), and every movement, each derived from the ledger's entries.

Each movement names the job it belongs to and says which balances it moved; the lines of each
balance add up to that balance (when older lines are left out, one "earlier movements" amount
per balance stands for them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from ofair_app.db.engine import Caller
from ofair_app.domain.ledger import ZERO, Place, Purpose, TxKind
from ofair_app.models import Lead, Payment
from ofair_app.services import ledger
from ofair_app.services.ledger import Balances
from ofair_app.services.professionals import acting_business


@dataclass(frozen=True)
class WalletLine:
    """One movement as the business sees it."""

    transaction_id: int
    kind: TxKind
    purpose: Purpose  # the balance it is best known by (kept for the API's `account`)
    amount: Decimal  # its change to that balance
    source: Place
    destination: Place
    pending: Decimal  # its change to each balance: + credited, − taken
    available: Decimal
    in_payout: Decimal
    payment_id: uuid.UUID | None
    lead_id: uuid.UUID | None  # the job, for a movement that belongs to one
    lead_title: str
    created_at: datetime | None


@dataclass(frozen=True)
class Wallet:
    professional_id: uuid.UUID
    balances: Balances
    history: list[WalletLine]
    earlier: Balances  # what the movements left out (older than the oldest line) add up to


def _jobs(session: Session, payment_ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """The job (lead id and title) each of these payments paid for."""
    if not payment_ids:
        return {}
    rows = session.exec(select(Payment.id, Lead.id, Lead.title)
                        .join(Lead, col(Lead.id) == Payment.lead_id)
                        .where(col(Payment.id).in_(payment_ids))).all()
    return {payment_id: (lead_id, title) for payment_id, lead_id, title in rows}


def wallet(*, session: Session, caller: Caller, professional_id: uuid.UUID | None = None,
           limit: int = 50) -> Wallet:
    """The wallet of a business, for its owners and admins. Without `professional_id`, the
    caller's only business; someone in several must say which (422 on `professional_id`)."""
    professional_id = acting_business(session=session, caller=caller,
                                      professional_id=professional_id, owner=True).id
    totals = ledger.balances(session, professional_id)
    history = ledger.history(session, professional_id, limit=limit)
    jobs = _jobs(session, {line.payment_id for line in history if line.payment_id})
    lines = []
    for line in history:
        lead_id, title = jobs.get(line.payment_id, (None, "")) if line.payment_id else (None, "")
        lines.append(WalletLine(
            transaction_id=line.transaction_id, kind=line.kind, purpose=line.purpose,
            amount=line.amount, source=line.move.source, destination=line.move.destination,
            pending=line.move.pending, available=line.move.available,
            in_payout=line.move.in_payout, payment_id=line.payment_id, lead_id=lead_id,
            lead_title=title, created_at=line.created_at))
    earlier = Balances(
        pending=totals.pending - sum((line.pending for line in lines), ZERO),
        available=totals.available - sum((line.available for line in lines), ZERO),
        in_payout=totals.in_payout - sum((line.in_payout for line in lines), ZERO))
    return Wallet(professional_id=professional_id, balances=totals, history=lines,
                  earlier=earlier)
