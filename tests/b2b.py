"""Helpers the b2b settlement tests share: this month (Israel), the moment its settlement runs,
settling it, reading an account and rows as the platform."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from sqlmodel import select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain import settlement as rules
from ofair_app.domain.ledger import Purpose
from ofair_app.domain.tax import ISRAEL
from ofair_app.models._base import utcnow
from ofair_app.services import ledger, settlement

MONTH = rules.month_of(utcnow())
AS_OF = datetime.combine(rules.next_month(MONTH), time(2), tzinfo=ISRAEL)


def settle(as_of: datetime = AS_OF, month=MONTH) -> settlement.SettlementRun:
    with unit_of_work(SYSTEM) as session:
        return settlement.settle_month(session=session, month=month, as_of=as_of)


def account(purpose: Purpose, professional_id=None) -> Decimal:
    with unit_of_work(SYSTEM) as session:
        return ledger.account_balance(session, purpose, professional_id)


def rows(model, *where) -> list:
    with unit_of_work(SYSTEM) as session:
        return list(session.exec(select(model).where(*where)).all())
