"""Autopay (b2b settlement, issue 17 point 6): what a statement says a business owes is charged
to its default saved card.

- The first charge is due when the statement is written (`monthly_settlement` sets
  `next_attempt_at`); the `autopay_retries` job charges every statement that is due again, and
  the business's owners may pay now from the invoices page.
- Each charge is an `autopay_attempts` row, numbered per statement, and the provider is called
  with the key `autopay:<statement>:<attempt>`: an attempt whose answer was lost stays
  `started` and is sent again under the same key, so it never charges twice; at most one
  attempt of a statement succeeds (a unique index says so too).
- A decline (or no card saved) is retried 1, 3 and 7 days after the first charge
  (`domain.settlement.RETRY_DAYS`), with a notice each time; after the last one the business
  may not send proposals until it pays (`require_paid_up`). An owner's "pay now" that is
  declined is recorded but uses up none of these retries.
- A card is charged at the provider that saved it (its token is that provider's), whichever
  provider new payments go to now.
- Paid: the statement is `paid`, the ledger moves the amount from the provider's clearing
  account onto the business's b2b account, and the payment gets its document (a receipt, or
  the invoice becomes a 320 when it was still held: `tax_documents.record_payment`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from ofair_app.adapters.psp import CardDeclined, ProviderError, SavedCard
from ofair_app.db.engine import SYSTEM, Caller, trusted_step, unit_of_work
from ofair_app.domain import settlement as rules
from ofair_app.domain.errors import AppError, Conflict, NotFound
from ofair_app.domain.ledger import Leg, Purpose, TxKind
from ofair_app.domain.tax import ISRAEL
from ofair_app.i18n import money
from ofair_app.models import (
    AutopayAttempt,
    MemberRole,
    PaymentMethod,
    ProfessionalMember,
    SettlementStatement,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import ledger, notifications, payment_methods, tax_documents, users
from ofair_app.settings import get_settings

PROVIDER_RETRY = timedelta(hours=1)  # no answer from the provider: try the same key again


class SettlementOverdue(AppError):
    status, code, message_key = 402, "settlement_overdue", "errors.settlement.overdue"


class NoCard(Conflict):
    code, message_key = "no_card", "errors.settlement.no_card"


def _claim(statement_id: uuid.UUID, now: datetime, started_by: uuid.UUID | None,
           ) -> tuple[str, AutopayAttempt | None, SavedCard | None]:
    """Lock the statement and start (or resume) its next charge: ("go", attempt, card), or an
    outcome that needs no provider call ("not_due", "busy", "no_card")."""
    with unit_of_work(SYSTEM) as session:
        statement = session.exec(select(SettlementStatement).where(
            SettlementStatement.id == statement_id).with_for_update(skip_locked=True)).first()
        if statement is None:
            return "busy", None, None
        if statement.status != rules.StatementStatus.due:
            return "not_due", None, None
        attempts = list(session.exec(select(AutopayAttempt).where(
            AutopayAttempt.statement_id == statement.id)
            .order_by(col(AutopayAttempt.attempt))).all())
        unanswered = next((a for a in attempts if a.status == "started"), None)
        if unanswered is not None:  # its answer was lost: the same key again
            method = (session.get(PaymentMethod, unanswered.payment_method_id)
                      if unanswered.payment_method_id else None)
            attempt = unanswered
        else:
            method = payment_methods.default_card(session, statement.professional_id)
            attempt = AutopayAttempt(
                statement_id=statement.id, attempt=len(attempts) + 1,
                amount=statement.amount_due, payment_method_id=method.id if method else None,
                # a card is charged where it was saved: its token means nothing elsewhere
                provider=method.provider if method else get_settings().psp_provider,
                started_by=started_by,
                status="started" if method else "no_card",
                reason="" if method else "no saved card")
            session.add(attempt)
            session.flush()
        if method is None or method.token is None:
            attempt.status, attempt.finished_at = "no_card", now
            attempt.reason = attempt.reason or "the card was removed"
            session.add(attempt)
            _charged(attempt, "no_card")
            if started_by is None:
                _failed(session, statement, now)
            return "no_card", attempt, None
        card = payment_methods.saved_card(method)
        session.expunge(attempt)
        return "go", attempt, card


def _failed(session: Session, statement: SettlementStatement, now: datetime) -> None:
    """An automatic charge was declined (or there was no card): schedule the next, and tell
    the owners. An owner's own "pay now" that fails changes neither: the owner saw the
    answer on the page, and the retries keep their days."""
    first = session.exec(select(AutopayAttempt.finished_at).where(
        AutopayAttempt.statement_id == statement.id, col(AutopayAttempt.started_by).is_(None),
        col(AutopayAttempt.finished_at).is_not(None))
        .order_by(col(AutopayAttempt.attempt))).first() or now
    statement.autopay_attempts += 1
    statement.next_attempt_at = rules.next_attempt(first, statement.autopay_attempts)
    session.add(statement)
    session.flush()
    url = f"{get_settings().ofair_public_url.rstrip('/')}/pro/invoices"
    notifications.tell(
        session=session, caller=SYSTEM, template="autopay_failed",
        businesses=[statement.professional_id],
        params={"month": f"{statement.month:%m/%Y}", "amount": money(statement.amount_due, "he"),
                "url": url,  # no next try: the last one failed, proposals stop until it is paid
                "next_try": (f"{statement.next_attempt_at.astimezone(ISRAEL):%d/%m/%Y}"
                             if statement.next_attempt_at else "")})


def charge(statement_id: uuid.UUID, *, now: datetime | None = None,
           started_by: uuid.UUID | None = None) -> str:
    """Charge a due statement to its business's default card (system): "paid", "declined",
    "no_card", "unanswered" (no answer: tried again later under the same key), "not_due" or
    "busy" (another charge of it is running)."""
    now = now or utcnow()
    outcome, attempt, card = _claim(statement_id, now, started_by)
    if outcome != "go":
        return outcome
    assert attempt is not None and card is not None
    key = f"autopay:{statement_id}:{attempt.attempt}"
    charged = payment_methods.charge_once(attempt.provider, card, attempt.amount, key)
    outcome = charged.outcome
    with unit_of_work(SYSTEM) as session:
        statement = session.exec(select(SettlementStatement).where(
            SettlementStatement.id == statement_id).with_for_update()).one()
        row = session.get(AutopayAttempt, attempt.id)
        assert row is not None
        if outcome == "unanswered":
            statement.next_attempt_at = now + PROVIDER_RETRY
            session.add(statement)
            _charged(row, outcome)
            return outcome
        row.status = "succeeded" if outcome == "paid" else "declined"
        row.provider_reference, row.reason = charged.reference, charged.reason
        row.finished_at = now
        session.add(row)
        automatic = row.started_by is None
        if outcome == "paid":
            statement.status, statement.paid_at = rules.StatementStatus.paid, now
            statement.next_attempt_at = None
            session.add(statement)
            ledger.record(session, kind=TxKind.statement_paid,
                          idempotency_key=f"statement_paid:{statement.id}", legs=[
                              Leg(Purpose.clearing, statement.amount_due),
                              Leg(Purpose.pro_settlement, -statement.amount_due,
                                  statement.professional_id)])
            tax_documents.record_payment(session, statement)
        elif automatic:
            _failed(session, statement, now)
        _charged(row, outcome)
    return outcome


def _charged(attempt: AutopayAttempt, outcome: str) -> None:
    logs.action("statement", attempt.statement_id, f"statement charge {outcome}",
                outcome=outcome, attempt=attempt.attempt, amount=attempt.amount,
                started_by=attempt.started_by)


_DUE = (select(SettlementStatement.id)
        .where(SettlementStatement.status == rules.StatementStatus.due,
               col(SettlementStatement.next_attempt_at).is_not(None)))


def charge_due(*, now: datetime, limit: int = 200) -> dict[str, int]:
    """Every statement whose next charge is due by `now` (the `autopay_retries` job)."""
    with unit_of_work(SYSTEM) as session:
        due = list(session.exec(_DUE.where(col(SettlementStatement.next_attempt_at) <= now)
                                .order_by(col(SettlementStatement.next_attempt_at))
                                .limit(limit)).all())
    counts: dict[str, int] = {}
    for statement_id in due:
        outcome = charge(statement_id, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def pay_now(*, caller: Caller, statement_id: uuid.UUID) -> str:
    """An owner of the business pays a due statement now, with its default card (a blocked
    business is let back in this way). 409 `no_card` without one; 409 when nothing is due."""
    user_id = users.require_user(caller)
    with unit_of_work(caller) as session:
        statement = session.get(SettlementStatement, statement_id)  # RLS: owners and admins
        if statement is None:
            raise NotFound("errors.settlement.no_statement", code="no_statement")
        role = session.exec(select(ProfessionalMember.role).where(
            ProfessionalMember.professional_id == statement.professional_id,
            ProfessionalMember.user_id == user_id)).first()
        if role != MemberRole.owner:
            raise NotFound("errors.settlement.no_statement", code="no_statement")
        if statement.status != rules.StatementStatus.due:
            raise Conflict("errors.settlement.nothing_due", code="nothing_due")
        with trusted_step(session, caller):
            if payment_methods.default_card(session, statement.professional_id) is None:
                raise NoCard()
    outcome = charge(statement_id, started_by=user_id)
    if outcome == "declined":
        raise CardDeclined()
    if outcome in ("unanswered", "busy"):
        raise ProviderError()
    return outcome


def require_paid_up(session: Session, caller: Caller, professional_id: uuid.UUID) -> None:
    """402 `settlement_overdue` for a business with an `overdue` statement (still unpaid after
    the last autopay retry; `domain.settlement.overdue` is the same rule, for one row): it may
    not send proposals until it pays (from the invoices page)."""
    with trusted_step(session, caller):  # staff may not read statements; the rule applies
        overdue = session.exec(select(SettlementStatement.id).where(
            SettlementStatement.professional_id == professional_id,
            SettlementStatement.status == rules.StatementStatus.due,
            col(SettlementStatement.next_attempt_at).is_(None),
            SettlementStatement.autopay_attempts > 0)).first()
    if overdue is not None:
        raise SettlementOverdue()
