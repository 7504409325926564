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
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from ofair_app.domain.ledger import (
    ZERO,
    Leg,
    Purpose,
    TxKind,
    WalletMove,
    balanced,
    owed,
    wallet_move,
)
from ofair_app.models import LedgerAccount, LedgerEntry, LedgerTransaction

_ACCOUNTS = "ofair.ledger.accounts"


def account_ids(session: Session, legs: list[Leg]) -> dict[str, int]:
    """The ids of the legs' accounts by code, opening missing ones (one query when they all
    exist; remembered for the rest of the session: accounts are never removed)."""
    known: dict[str, int] = session.info.setdefault(_ACCOUNTS, {})
    wanted = {leg.code: leg for leg in legs if leg.code not in known}
    if wanted:
        found = session.exec(select(LedgerAccount.code, LedgerAccount.id)
                             .where(col(LedgerAccount.code).in_(list(wanted)))).all()
        known.update(dict(found))
        missing = [leg for code, leg in wanted.items() if code not in known]
        if missing:
            session.execute(insert(LedgerAccount).on_conflict_do_nothing(
                index_elements=["code"]), [{"code": leg.code, "purpose": leg.purpose,
                                            "professional_id": leg.professional_id}
                                           for leg in missing])
            known.update(dict(session.exec(
                select(LedgerAccount.code, LedgerAccount.id)
                .where(col(LedgerAccount.code).in_([leg.code for leg in missing]))).all()))
    return {leg.code: known[leg.code] for leg in legs}


def find(session: Session, idempotency_key: str) -> LedgerTransaction | None:
    return session.exec(select(LedgerTransaction).where(
        LedgerTransaction.idempotency_key == idempotency_key)).first()


def record(session: Session, *, kind: TxKind, legs: list[Leg], idempotency_key: str,
           payment_id: uuid.UUID | None = None, pending_id: int | None = None,
           withdrawal_id: uuid.UUID | None = None, created_by: uuid.UUID | None = None,
           note: str = "") -> tuple[int, bool]:
    """Write a balanced transaction once: (its id, whether it was written now). The database
    refuses to commit it if its entries do not sum to zero. Two statements: the transaction
    (or nothing, when the key was used before) and all its entries."""
    kept = balanced(legs)
    written = session.execute(
        insert(LedgerTransaction).values(
            kind=kind, idempotency_key=idempotency_key, payment_id=payment_id,
            pending_id=pending_id, withdrawal_id=withdrawal_id, created_by=created_by,
            note=note[:300])
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(LedgerTransaction.id)).scalar()
    if written is None:
        existing = find(session, idempotency_key)
        assert existing is not None and existing.id is not None
        return existing.id, False
    accounts = account_ids(session, kept)
    session.execute(insert(LedgerEntry), [
        {"transaction_id": written, "amount": leg.amount, "account_id": accounts[leg.code]}
        for leg in kept])
    return written, True


def open_holds(session: Session, payment_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The hold not yet posted or voided of each of these payments (its id)."""
    if not payment_ids:
        return {}
    resolution = aliased(LedgerTransaction)
    rows = session.exec(select(LedgerTransaction.payment_id, LedgerTransaction.id).where(
        col(LedgerTransaction.payment_id).in_(payment_ids),
        LedgerTransaction.kind == TxKind.hold,
        ~select(resolution.id).where(resolution.pending_id == LedgerTransaction.id).exists())
    ).all()
    return {payment_id: tx_id for payment_id, tx_id in rows if payment_id is not None}


def open_hold(session: Session, payment_id: uuid.UUID) -> LedgerTransaction | None:
    """The payment's hold not yet posted or voided, if any."""
    resolution = aliased(LedgerTransaction)
    return session.exec(select(LedgerTransaction).where(
        LedgerTransaction.payment_id == payment_id, LedgerTransaction.kind == TxKind.hold,
        ~select(resolution.id).where(resolution.pending_id == LedgerTransaction.id).exists())
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
    purpose: Purpose  # the balance the line is best known by: available, else held, else payout
    amount: Decimal  # what it did to that balance of the business: + credited, - taken
    move: WalletMove  # from where to where, and the change to each balance
    payment_id: uuid.UUID | None
    withdrawal_id: uuid.UUID | None
    created_at: datetime | None


def history(session: Session, professional_id: uuid.UUID, limit: int = 50) -> list[HistoryLine]:
    """The business's movements, one line per transaction, newest first, each with its change
    to every balance of the business (a release takes from what is held and adds to what is
    available: one line, two changes)."""
    rows = session.exec(
        select(LedgerEntry, LedgerTransaction, LedgerAccount.purpose)
        .join(LedgerTransaction, col(LedgerTransaction.id) == LedgerEntry.transaction_id)
        .join(LedgerAccount, col(LedgerAccount.id) == LedgerEntry.account_id)
        .where(LedgerAccount.professional_id == professional_id)
        .order_by(col(LedgerEntry.transaction_id).desc(), col(LedgerEntry.id))
        .limit(row_limit := max(1, min(limit, 200)) * 3)).all()
    entries: dict[int, dict[Purpose, Decimal]] = {}
    meta: dict[int, tuple[LedgerTransaction, datetime | None]] = {}
    for entry, tx, purpose in rows:
        by_purpose = entries.setdefault(tx.id, {})
        by_purpose[Purpose(purpose)] = by_purpose.get(Purpose(purpose), ZERO) + entry.amount
        meta.setdefault(tx.id, (tx, entry.created_at))
    if len(rows) == row_limit and rows:  # the oldest transaction may be cut: leave it out
        entries.pop(rows[-1][1].id, None)
    lines = []
    for tx_id, by_purpose in entries.items():
        tx, created_at = meta[tx_id]
        move = wallet_move(TxKind(tx.kind), by_purpose)
        changes = {Purpose.pro_available: move.available, Purpose.pro_pending: move.pending,
                   Purpose.pro_payout: move.in_payout}
        purpose = next((p for p, change in changes.items() if change), None)
        if purpose is None:
            continue
        lines.append(HistoryLine(transaction_id=tx_id, kind=tx.kind, purpose=purpose,
                                 amount=changes[purpose], move=move, payment_id=tx.payment_id,
                                 withdrawal_id=tx.withdrawal_id, created_at=created_at))
    return lines[:limit]


def total_of_all_entries(session: Session) -> Decimal:
    """Zero, always (for checks and tests): the sum of every entry ever written."""
    return Decimal(session.execute(text(
        "SELECT coalesce(sum(amount), 0) FROM ledger_entries")).scalar_one())
