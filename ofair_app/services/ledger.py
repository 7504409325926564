"""Writing and reading the double-entry ledger.

`record` writes one transaction and its entries, once per idempotency key (a retry finds the
first and writes nothing), in one statement; `record_many` writes a batch of them (the release
of thousands of holds) in two. The database checks at the end of each such statement that
every transaction it touched sums to zero. Only the platform writes (RLS lets only trusted
callers insert); a request that moves money for a business checks who is asking first, then
records through a trusted step. Balances are sums of entries, never a number kept beside them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from ofair_app.domain.ledger import (
    ZERO,
    Leg,
    Purpose,
    TxKind,
    WalletMove,
    account_code,
    balanced,
    owed,
    wallet_move,
)
from ofair_app.models import LedgerAccount, LedgerEntry, LedgerTransaction
from ofair_app.observability import logs


def find(session: Session, idempotency_key: str) -> LedgerTransaction | None:
    return session.exec(select(LedgerTransaction).where(
        LedgerTransaction.idempotency_key == idempotency_key)).first()


# One statement writes a transaction and all its entries (the database checks, at the end of
# the statement, that they sum to zero); an idempotency key used before writes nothing.
_RECORD = text("""
    WITH tx AS (
        INSERT INTO ledger_transactions (kind, idempotency_key, payment_id, pending_id,
                                         withdrawal_id, created_by, note)
        VALUES (:kind, :idempotency_key, :payment_id, :pending_id, :withdrawal_id,
                :created_by, :note)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id)
    INSERT INTO ledger_entries (transaction_id, account_id, amount)
    SELECT tx.id, ledger_account_id(leg.code, leg.purpose, leg.professional_id), leg.amount
    FROM tx CROSS JOIN unnest(CAST(:codes AS text[]), CAST(:purposes AS text[]),
                              CAST(:owners AS uuid[]), CAST(:amounts AS numeric[]))
        WITH ORDINALITY AS leg(code, purpose, professional_id, amount, position)
    ORDER BY leg.position
    RETURNING transaction_id
""")


def record(session: Session, *, kind: TxKind, legs: list[Leg], idempotency_key: str,
           payment_id: uuid.UUID | None = None, pending_id: int | None = None,
           withdrawal_id: uuid.UUID | None = None, created_by: uuid.UUID | None = None,
           note: str = "") -> tuple[int, bool]:
    """Write a balanced transaction once: (its id, whether it was written now). The database
    refuses it if its entries do not sum to zero. One statement: the transaction (or nothing,
    when the key was used before), its entries, and any account opened for them."""
    kept = balanced(legs)
    written = session.execute(_RECORD, {
        "kind": str(kind), "idempotency_key": idempotency_key, "payment_id": payment_id,
        "pending_id": pending_id, "withdrawal_id": withdrawal_id, "created_by": created_by,
        "note": note[:300], "codes": [leg.code for leg in kept],
        "purposes": [str(leg.purpose) for leg in kept],
        "owners": [leg.professional_id for leg in kept],
        "amounts": [leg.amount for leg in kept]}).scalar()
    if written is None:
        existing = find(session, idempotency_key)
        assert existing is not None and existing.id is not None
        return existing.id, False
    logs.action("ledger_transaction", written, "ledger transaction written", kind=str(kind),
                payment=payment_id, withdrawal=withdrawal_id, idempotency_key=idempotency_key)
    return written, True


@dataclass(frozen=True)
class Posting:
    """One transaction of a batch: what resolves which hold (or None), with which legs."""

    idempotency_key: str
    payment_id: uuid.UUID | None
    pending_id: int | None
    legs: list[Leg]


_ENSURE_ACCOUNTS = text("""
    INSERT INTO ledger_accounts (code, purpose, professional_id)
    SELECT code, purpose, professional_id
    FROM unnest(CAST(:codes AS text[]), CAST(:purposes AS text[]), CAST(:owners AS uuid[]))
        AS wanted(code, purpose, professional_id)
    WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.code = wanted.code)
    ORDER BY code  -- two batches opening the same accounts wait in turn, never in a circle
    ON CONFLICT (code) DO NOTHING
""")

# The batch travels as two JSON documents (postings, then legs in order): one string each for
# the driver to send, where arrays of thousands of codes and amounts cost more to encode than
# the database takes to write them.
_RECORD_MANY = text("""
    WITH tx AS (
        INSERT INTO ledger_transactions (kind, idempotency_key, payment_id, pending_id)
        SELECT :kind, posting ->> 0, CAST(posting ->> 1 AS uuid), CAST(posting ->> 2 AS bigint)
        FROM jsonb_array_elements(CAST(:postings AS jsonb)) AS t(posting)
        ON CONFLICT DO NOTHING
        RETURNING id, idempotency_key),
    entries AS (
        INSERT INTO ledger_entries (transaction_id, account_id, amount)
        SELECT tx.id, a.id, CAST(leg.value ->> 2 AS numeric)
        FROM jsonb_array_elements(CAST(:legs AS jsonb)) WITH ORDINALITY AS leg(value, position)
        JOIN tx ON tx.idempotency_key = leg.value ->> 0
        JOIN ledger_accounts a ON a.code = leg.value ->> 1
        ORDER BY leg.position)
    SELECT idempotency_key FROM tx
""")


_NESTLOOP_OFF = text("SELECT current_setting('enable_nestloop'),"
                     " set_config('enable_nestloop', 'off', true)")
_NESTLOOP_BACK = text("SELECT set_config('enable_nestloop', :before, true)")
NESTED_LOOP_POSTINGS = 100  # up to this many postings, the planner's own choice stands


def record_many(session: Session, *, kind: TxKind, postings: list[Posting]) -> set[str]:
    """Write many balanced transactions of one kind at once, each once per idempotency key (a
    key used before, or a hold resolved before, writes nothing): the keys written now. Two
    statements whatever the batch: open the accounts the legs need, then every transaction
    with its entries (the database checks each sums to zero)."""
    if not postings:
        return set()
    kept = [(posting, balanced(posting.legs)) for posting in postings]
    accounts = {leg.code: leg for _, legs in kept for leg in legs}
    session.execute(_ENSURE_ACCOUNTS, {
        "codes": list(accounts), "purposes": [str(leg.purpose) for leg in accounts.values()],
        "owners": [leg.professional_id for leg in accounts.values()]})
    # The planner cannot see how many postings and legs the JSON holds (it guesses 100 of
    # each) and, for a few thousand, picked a nested loop matching every leg against every new
    # transaction: 17 s for 5,000 postings. Without nested loops it hashes: well under 1 s.
    # A batch about the size it guesses (a few webhooks) is planned well as it is, and spares
    # the two round trips.
    hashed = len(postings) > NESTED_LOOP_POSTINGS
    before = session.execute(_NESTLOOP_OFF).scalar_one() if hashed else None
    written = session.execute(_RECORD_MANY, {
        "kind": str(kind),
        "postings": json.dumps([
            [posting.idempotency_key, str(posting.payment_id) if posting.payment_id else None,
             posting.pending_id] for posting, _ in kept]),
        "legs": json.dumps([[posting.idempotency_key, leg.code, str(leg.amount)]
                            for posting, legs in kept for leg in legs])}).scalars().all()
    if hashed:
        session.execute(_NESTLOOP_BACK, {"before": before})
    if written:  # one line for the batch: every transaction's key names what it moved
        logs.action("ledger_batch", f"{kind}:{len(written)}", "ledger transactions written",
                    kind=str(kind), count=len(written), idempotency_keys=sorted(written))
    return set(written)


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
    # `tx_id` is a stored transaction's id: never None.
    return {payment_id: cast(int, tx_id) for payment_id, tx_id in rows if payment_id is not None}


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


def account_balance(session: Session, purpose: Purpose,
                    professional_id: uuid.UUID | None = None) -> Decimal:
    """The sum of one account's entries (a business's b2b account: + it owes, - it is owed)."""
    total = session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerAccount, col(LedgerAccount.id) == LedgerEntry.account_id)
        .where(LedgerAccount.code == account_code(purpose, professional_id))).one()
    return Decimal(total)


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
        tx_id = cast(int, tx.id)  # a stored transaction's id: never None
        by_purpose = entries.setdefault(tx_id, {})
        by_purpose[Purpose(purpose)] = by_purpose.get(Purpose(purpose), ZERO) + entry.amount
        meta.setdefault(tx_id, (tx, entry.created_at))
    if len(rows) == row_limit and rows:  # the oldest transaction may be cut: leave it out
        entries.pop(cast(int, rows[-1][1].id), None)
    lines = []
    for tx_id, by_purpose in entries.items():
        tx, created_at = meta[tx_id]
        move = wallet_move(TxKind(tx.kind), by_purpose)
        changes = {Purpose.pro_available: move.available, Purpose.pro_pending: move.pending,
                   Purpose.pro_payout: move.in_payout}
        best = next((p for p, change in changes.items() if change), None)
        if best is None:
            continue
        lines.append(HistoryLine(transaction_id=tx_id, kind=tx.kind, purpose=best,
                                 amount=changes[best], move=move, payment_id=tx.payment_id,
                                 withdrawal_id=tx.withdrawal_id, created_at=created_at))
    return lines[:limit]


def total_of_all_entries(session: Session) -> Decimal:
    """Zero, always (for checks and tests): the sum of every entry ever written."""
    return Decimal(session.execute(text(
        "SELECT coalesce(sum(amount), 0) FROM ledger_entries")).scalar_one())
