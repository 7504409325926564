"""Writing and reading the double-entry ledger.

`record` writes one transaction and its entries, once per idempotency key (a retry finds the
first and writes nothing). Only the platform writes (RLS lets only trusted callers insert); a
request that moves money for a business checks who is asking first, then records through a
trusted step. Balances are sums of entries, never a number kept beside them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, func, select

from ofair_app.domain.ledger import ZERO, Leg, Purpose, TxKind, balanced, owed
from ofair_app.models import LedgerAccount, LedgerEntry, LedgerTransaction


def account_id(session: Session, purpose: Purpose, professional_id: uuid.UUID | None) -> int:
    """The account's id, opening it on first use."""
    from ofair_app.domain.ledger import account_code

    code = account_code(purpose, professional_id)
    session.execute(insert(LedgerAccount).values(code=code, purpose=purpose,
                                                 professional_id=professional_id)
                    .on_conflict_do_nothing(index_elements=["code"]))
    return session.exec(select(LedgerAccount.id).where(LedgerAccount.code == code)).one()


def find(session: Session, idempotency_key: str) -> LedgerTransaction | None:
    return session.exec(select(LedgerTransaction).where(
        LedgerTransaction.idempotency_key == idempotency_key)).first()


def record(session: Session, *, kind: TxKind, legs: list[Leg], idempotency_key: str,
           payment_id: uuid.UUID | None = None, pending_id: int | None = None,
           withdrawal_id: uuid.UUID | None = None, created_by: uuid.UUID | None = None,
           note: str = "") -> tuple[LedgerTransaction, bool]:
    """Write a balanced transaction once: (the transaction, whether it was written now). The
    database refuses to commit it if its entries do not sum to zero."""
    existing = find(session, idempotency_key)
    if existing is not None:
        return existing, False
    kept = balanced(legs)
    tx = LedgerTransaction(kind=kind, idempotency_key=idempotency_key, payment_id=payment_id,
                           pending_id=pending_id, withdrawal_id=withdrawal_id,
                           created_by=created_by, note=note[:300])
    session.add(tx)
    session.flush()
    for leg in kept:
        session.add(LedgerEntry(transaction_id=tx.id,
                                account_id=account_id(session, leg.purpose, leg.professional_id),
                                amount=leg.amount))
    session.flush()
    return tx, True


def open_hold(session: Session, payment_id: uuid.UUID) -> LedgerTransaction | None:
    """The payment's hold not yet posted or voided, if any."""
    resolved = select(LedgerTransaction.pending_id).where(
        col(LedgerTransaction.pending_id).is_not(None))
    return session.exec(select(LedgerTransaction).where(
        LedgerTransaction.payment_id == payment_id, LedgerTransaction.kind == TxKind.hold,
        col(LedgerTransaction.id).not_in(resolved))
        .order_by(col(LedgerTransaction.id).desc())).first()


def was_released(session: Session, payment_id: uuid.UUID) -> bool:
    return session.exec(select(LedgerTransaction.id).where(
        LedgerTransaction.payment_id == payment_id,
        LedgerTransaction.kind == TxKind.post)).first() is not None


@dataclass(frozen=True)
class Balances:
    pending: Decimal
    available: Decimal
    in_payout: Decimal


def balances(session: Session, professional_id: uuid.UUID) -> Balances:
    """A business's balances, each the sum of its account's entries (credits are owed)."""
    rows = session.exec(
        select(LedgerAccount.purpose, func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerEntry, col(LedgerEntry.account_id) == LedgerAccount.id)
        .where(LedgerAccount.professional_id == professional_id)
        .group_by(col(LedgerAccount.purpose))).all()
    sums = {Purpose(purpose): Decimal(total) for purpose, total in rows}
    return Balances(pending=owed(sums.get(Purpose.pro_pending, ZERO)),
                    available=owed(sums.get(Purpose.pro_available, ZERO)),
                    in_payout=owed(sums.get(Purpose.pro_payout, ZERO)))


def platform_balance(session: Session, purpose: Purpose) -> Decimal:
    total = session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerAccount, col(LedgerAccount.id) == LedgerEntry.account_id)
        .where(LedgerAccount.purpose == purpose)).one()
    return Decimal(total)


@dataclass(frozen=True)
class HistoryLine:
    transaction_id: int
    kind: TxKind
    purpose: Purpose
    amount: Decimal  # what it did to the business's balance: + credited, - taken
    payment_id: uuid.UUID | None
    created_at: datetime | None


def history(session: Session, professional_id: uuid.UUID, limit: int = 50) -> list[HistoryLine]:
    """The business's movements, newest first."""
    rows = session.exec(
        select(LedgerEntry, LedgerTransaction, LedgerAccount.purpose)
        .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
        .join(LedgerAccount, col(LedgerAccount.id) == LedgerEntry.account_id)
        .where(LedgerAccount.professional_id == professional_id)
        .order_by(col(LedgerEntry.id).desc()).limit(max(1, min(limit, 200)))).all()
    return [HistoryLine(transaction_id=tx.id, kind=tx.kind, purpose=Purpose(purpose),
                        amount=-entry.amount, payment_id=tx.payment_id,
                        created_at=entry.created_at) for entry, tx, purpose in rows]


def total_of_all_entries(session: Session) -> Decimal:
    """Zero, always (for checks and tests): the sum of every entry ever written."""
    return Decimal(session.execute(text(
        "SELECT coalesce(sum(amount), 0) FROM ledger_entries")).scalar_one())
