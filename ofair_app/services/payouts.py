"""Withdrawals and payouts: a business's owner asks for its available money, an admin approves
(or rejects) the request, exports approved ones as a payout CSV for the bank, and marks the
batch paid once the bank has sent it. Every step is a ledger transaction, written once.

A request moves the money out of the available balance at once (into the business's payout
account), so it can never be asked for twice; requests of one business are serialized by an
advisory lock, so two at once cannot overdraw it.
"""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session, col, select

from ofair_app.db.engine import Caller, trusted_step
from ofair_app.domain import identity
from ofair_app.domain import ledger as book
from ofair_app.domain.banking import BANKS, parse_bank_account
from ofair_app.domain.errors import Conflict, FieldErrors, Forbidden, NotFound
from ofair_app.domain.leads import parse_money
from ofair_app.domain.ledger import TxKind
from ofair_app.i18n import money
from ofair_app.models import PayoutBatch, Professional, Withdrawal
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import audit, ledger, notifications, users
from ofair_app.services.professionals import require_member
from ofair_app.settings import get_settings

CSV_COLUMNS = ("withdrawal_id", "business_name", "business_id", "bank_code", "bank_name",
               "branch", "account", "account_holder", "amount")


class InsufficientFunds(Conflict):
    code, message_key = "insufficient_funds", "errors.wallet.insufficient"


def lock_wallet(session: Session, professional_id: uuid.UUID) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                    {"k": f"wallet:{professional_id}"})


def available_balance(session: Session, professional_id: uuid.UUID) -> Decimal:
    return ledger.balances(session, professional_id).available


def request_withdrawal(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                       amount: object, bank_code: str, branch: str, account: str,
                       account_holder: str) -> Withdrawal:
    """The business's owner asks to be paid `amount` (never more than is available) to an
    Israeli bank account."""
    user_id = users.require_user(caller)
    require_member(session=session, caller=caller, professional_id=professional_id, owner=True)
    checks = FieldErrors()
    value = checks(parse_money, amount, field="amount", minimum=Decimal("0.01"))
    bank = checks(parse_bank_account, bank_code, branch, account, account_holder)
    checks.raise_if_any()
    assert value is not None and bank is not None
    with trusted_step(session, caller):
        lock_wallet(session, professional_id)
        if value > available_balance(session, professional_id):
            raise InsufficientFunds(params={"available": str(available_balance(session,
                                                                        professional_id))})
        withdrawal = Withdrawal(professional_id=professional_id, requested_by=user_id,
                                amount=value, bank_code=bank.bank_code, branch=bank.branch,
                                account=bank.account, account_holder=bank.holder)
        session.add(withdrawal)
        session.flush()
        ledger.record(session, kind=TxKind.withdrawal,
                      legs=book.withdrawal(professional_id, value),
                      idempotency_key=f"withdrawal:{withdrawal.id}",
                      withdrawal_id=withdrawal.id, created_by=caller.user_id)
    logs.action("withdrawal", withdrawal.id, "withdrawal requested",
                professional=professional_id, amount=value)
    return withdrawal


def withdrawals(*, session: Session, caller: Caller, professional_id: uuid.UUID | None = None,
                status: str | None = None, limit: int = 100) -> list[Withdrawal]:
    """A business's requests (its members), or every request (admins)."""
    users.require_user(caller)
    query = select(Withdrawal)
    if professional_id is not None:
        require_member(session=session, caller=caller, professional_id=professional_id)
        query = query.where(Withdrawal.professional_id == professional_id)
    elif caller.role != "admin":
        raise Forbidden("errors.admin_only")
    if status:
        query = query.where(Withdrawal.status == status)
    return list(session.exec(query.order_by(col(Withdrawal.created_at).desc())
                             .limit(max(1, min(limit, 500)))).all())


def business_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict(session.exec(select(Professional.id, Professional.business_name)
                             .where(col(Professional.id).in_(ids))).all())


def _lock_withdrawal(session: Session, withdrawal_id: uuid.UUID) -> Withdrawal:
    found = session.exec(select(Withdrawal).where(Withdrawal.id == withdrawal_id)
                         .with_for_update()).first()
    if found is None:
        raise NotFound("errors.wallet.withdrawal_not_found")
    return found


def decide(*, session: Session, caller: Caller, withdrawal_id: uuid.UUID, approve: bool,
           note: str = "") -> Withdrawal:
    """An admin approves a request for the next payout file, or rejects it (the money goes back
    to the available balance)."""
    users.require_admin(caller)
    withdrawal = _lock_withdrawal(session, withdrawal_id)
    if withdrawal.status != "requested":
        raise Conflict("errors.wallet.already_decided", code="already_decided",
                       params={"status": withdrawal.status})
    before = withdrawal.status
    withdrawal.status = "approved" if approve else "rejected"
    withdrawal.decided_by, withdrawal.decided_at = caller.user_id, utcnow()
    withdrawal.note = identity.clean_text(note or "", field="note", max_length=300)
    if not approve:
        ledger.record(session, kind=TxKind.withdrawal_reversal,
                      legs=book.withdrawal_reversal(withdrawal.professional_id,
                                                    withdrawal.amount),
                      idempotency_key=f"withdrawal-reversal:{withdrawal.id}",
                      withdrawal_id=withdrawal.id, created_by=caller.user_id)
    session.add(withdrawal)
    session.flush()
    logs.action("withdrawal", withdrawal.id, f"withdrawal {withdrawal.status}",
                professional=withdrawal.professional_id, amount=withdrawal.amount)
    audit.change(session=session, caller=caller,
                 action="withdrawal.approve" if approve else "withdrawal.reject",
                 subject_type="withdrawal", subject_id=withdrawal.id,
                 before={"status": before}, after={"status": withdrawal.status},
                 amount=str(withdrawal.amount))
    return withdrawal


def export_batch(*, session: Session, caller: Caller) -> tuple[PayoutBatch, str]:
    """Every approved request not yet in a file, as one batch and its CSV."""
    admin_id = users.require_admin(caller)
    approved = list(session.exec(select(Withdrawal).where(
        Withdrawal.status == "approved", col(Withdrawal.batch_id).is_(None))
        .order_by(col(Withdrawal.created_at)).with_for_update()).all())
    if not approved:
        raise Conflict("errors.wallet.nothing_to_export", code="nothing_to_export")
    batch = PayoutBatch(total=sum((w.amount for w in approved), Decimal("0")),
                        count=len(approved), created_by=admin_id)
    session.add(batch)
    session.flush()
    for withdrawal in approved:
        withdrawal.batch_id = batch.id
        session.add(withdrawal)
    session.flush()
    logs.action("payout_batch", batch.id, "payout batch exported", count=batch.count,
                total=batch.total, withdrawals=[w.id for w in approved])
    audit.change(session=session, caller=caller, action="payout.batch_export",
                 subject_type="payout_batch", subject_id=batch.id,
                 before={"withdrawals_unbatched": batch.count},
                 after={"withdrawals_unbatched": 0, "batch": str(batch.id)},
                 count=batch.count, total=str(batch.total))
    return batch, batch_csv(session=session, caller=caller, batch_id=batch.id)


def batch_csv(*, session: Session, caller: Caller, batch_id: uuid.UUID) -> str:
    """The bank's file: one row per transfer (UTF-8 with a BOM, so Excel reads the Hebrew)."""
    users.require_admin(caller)
    rows = session.exec(select(Withdrawal, Professional)
                        .join(Professional, col(Professional.id) == Withdrawal.professional_id)
                        .where(Withdrawal.batch_id == batch_id)
                        .order_by(col(Withdrawal.created_at))).all()
    if not rows:
        raise NotFound("errors.wallet.batch_not_found")
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for withdrawal, business in rows:
        writer.writerow([withdrawal.id, business.business_name, business.business_id,
                         withdrawal.bank_code, BANKS.get(withdrawal.bank_code, ("", ""))[0],
                         withdrawal.branch, withdrawal.account, withdrawal.account_holder,
                         f"{withdrawal.amount:.2f}"])
    return out.getvalue()


def mark_batch_paid(*, session: Session, caller: Caller, batch_id: uuid.UUID) -> PayoutBatch:
    """The bank sent the file's transfers: each request is paid, on the ledger too."""
    users.require_admin(caller)
    batch = session.exec(select(PayoutBatch).where(PayoutBatch.id == batch_id)
                         .with_for_update()).first()
    if batch is None:
        raise NotFound("errors.wallet.batch_not_found")
    if batch.status == "paid":
        raise Conflict("errors.wallet.batch_paid", code="batch_paid")
    before = batch.status
    now = utcnow()
    told: list[notifications.Notice] = []
    for withdrawal in session.exec(select(Withdrawal).where(Withdrawal.batch_id == batch.id)
                                   .with_for_update()).all():
        ledger.record(session, kind=TxKind.payout,
                      legs=book.payout(withdrawal.professional_id, withdrawal.amount),
                      idempotency_key=f"payout:{withdrawal.id}", withdrawal_id=withdrawal.id,
                      created_by=caller.user_id)
        withdrawal.status, withdrawal.paid_at = "paid", now
        session.add(withdrawal)
        told.append(_paid_notice(withdrawal.professional_id, withdrawal.amount))
    batch.status, batch.paid_by, batch.paid_at = "paid", caller.user_id, now
    session.add(batch)
    session.flush()
    logs.action("payout_batch", batch.id, "payout batch paid", count=batch.count,
                total=batch.total)
    audit.change(session=session, caller=caller, action="payout.batch_paid",
                 subject_type="payout_batch", subject_id=batch.id,
                 before={"status": before}, after={"status": "paid"},
                 count=batch.count, total=str(batch.total))
    notifications.tell_all(session=session, caller=caller, notices=told)
    return batch


def _paid_notice(professional_id: uuid.UUID, amount: Decimal) -> notifications.Notice:
    wallet_url = f"{get_settings().ofair_public_url.rstrip('/')}/pro/wallet"
    return notifications.Notice(
        template="payout_paid", businesses=(professional_id,),
        params=lambda locale: {"amount": money(amount, locale), "wallet_url": wallet_url})


def batches(*, session: Session, caller: Caller, limit: int = 50) -> list[PayoutBatch]:
    users.require_admin(caller)
    return list(session.exec(select(PayoutBatch).order_by(col(PayoutBatch.created_at).desc())
                             .limit(limit)).all())


def manual_payout(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                  amount: object, note: str) -> Decimal:
    """An admin records money paid to a business outside a batch (never more than it has
    available). Returns the new available balance."""
    users.require_admin(caller)
    checks = FieldErrors()
    value = checks(parse_money, amount, field="amount", minimum=Decimal("0.01"))
    text_note = checks(identity.clean_text, note, field="note", min_length=3, max_length=300)
    checks.raise_if_any()
    assert value is not None and text_note is not None
    if session.get(Professional, professional_id) is None:
        raise NotFound("errors.professional.not_found",
                       fields={"professional_id": "errors.professional.not_found"})
    lock_wallet(session, professional_id)
    available = available_balance(session, professional_id)
    if value > available:
        raise InsufficientFunds(params={"available": str(available)})
    tx_id, _ = ledger.record(session, kind=TxKind.manual_payout,
                             legs=book.manual_payout(professional_id, value),
                             idempotency_key=f"manual:{uuid.uuid4()}",
                             created_by=caller.user_id, note=text_note)
    logs.action("payout", tx_id, "manual payout recorded", professional=professional_id,
                amount=value)
    after = available_balance(session, professional_id)
    audit.change(session=session, caller=caller, action="payout.manual",
                 subject_type="professional", subject_id=professional_id,
                 before={"available": str(available)}, after={"available": str(after)},
                 amount=str(value))
    notifications.tell_all(session=session, caller=caller,
                           notices=[_paid_notice(professional_id, value)])
    return after
