"""B2B settlement: closed jobs' charges, monthly statements and tax documents (migration 0015)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Numeric, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from ofair_app.domain.settlement import ChargeStatus, StatementStatus
from ofair_app.models._base import created_at_column


def _money() -> Column:
    return Column(Numeric(12, 2), nullable=False)


class B2bCharge(SQLModel, table=True):
    """What one closed job owes in b2b mode, frozen at close."""

    __tablename__ = "b2b_charges"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    milestone_id: uuid.UUID | None = Field(default=None, foreign_key="milestones.id")
    performer_professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    referrer_professional_id: uuid.UUID | None = Field(default=None,
                                                       foreign_key="professionals.id")
    final_amount: Decimal = Field(sa_column=_money())
    platform_commission: Decimal = Field(sa_column=_money())
    referrer_fee: Decimal = Field(sa_column=_money())
    # the commission rule in force at close (none: closed before rules)
    commission_rule_id: uuid.UUID | None = Field(default=None, foreign_key="commission_rules.id")
    closed_at: datetime
    month: date = Field(sa_column=Column(Date, nullable=False))
    transaction_id: int = Field(sa_column=Column(BigInteger, ForeignKey("ledger_transactions.id"),
                                                 nullable=False))
    status: ChargeStatus = Field(default=ChargeStatus.open, sa_type=String(10))
    performer_statement_id: uuid.UUID | None = Field(default=None,
                                                     foreign_key="settlement_statements.id")
    referrer_statement_id: uuid.UUID | None = Field(default=None,
                                                    foreign_key="settlement_statements.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class SettlementStatement(SQLModel, table=True):
    """A business's month netted (see `domain.settlement.StatementFigures`)."""

    __tablename__ = "settlement_statements"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    month: date = Field(sa_column=Column(Date, nullable=False))
    issued_on: date = Field(sa_column=Column(Date, nullable=False))
    jobs: int
    fees: Decimal = Field(sa_column=_money())
    vat_rate: Decimal = Field(sa_column=Column(Numeric(5, 4), nullable=False))
    vat: Decimal = Field(sa_column=_money())
    referral_owed: Decimal = Field(sa_column=_money())
    referral_earned: Decimal = Field(sa_column=_money())
    carried_in: Decimal = Field(sa_column=_money())
    credits: Decimal = Field(default=Decimal("0"), sa_column=_money())
    amount_due: Decimal = Field(sa_column=_money())
    status: StatementStatus = Field(sa_type=String(10))
    autopay_attempts: int = 0  # charges of the saved card tried (declined or without a card)
    next_attempt_at: datetime | None = None  # the next autopay charge; none: no more
    paid_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class B2bCredit(SQLModel, table=True):
    """A settled job lowered or refunded afterwards: what its credit note gives back, waiting
    for the next statement."""

    __tablename__ = "b2b_credits"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    charge_id: uuid.UUID = Field(foreign_key="b2b_charges.id")
    document_id: uuid.UUID = Field(foreign_key="tax_documents.id", unique=True)
    performer_professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    referrer_professional_id: uuid.UUID | None = Field(default=None,
                                                       foreign_key="professionals.id")
    refund: Decimal = Field(sa_column=_money())  # what the client got back
    commission: Decimal = Field(sa_column=_money())  # the platform's fee given back
    vat: Decimal = Field(sa_column=_money())  # its VAT, at the invoice's rate
    referrer_fee: Decimal = Field(sa_column=_money())  # the referrer gives this back
    month: date = Field(sa_column=Column(Date, nullable=False))
    transaction_id: int = Field(sa_column=Column(BigInteger, ForeignKey("ledger_transactions.id"),
                                                 nullable=False))
    status: str = Field(default="open", max_length=10)
    performer_statement_id: uuid.UUID | None = Field(default=None,
                                                     foreign_key="settlement_statements.id")
    referrer_statement_id: uuid.UUID | None = Field(default=None,
                                                    foreign_key="settlement_statements.id")
    reason: str = Field(max_length=500)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class AutopayAttempt(SQLModel, table=True):
    """One charge of a statement to the business's saved card."""

    __tablename__ = "autopay_attempts"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    statement_id: uuid.UUID = Field(foreign_key="settlement_statements.id")
    attempt: int
    status: str = Field(default="started", max_length=10)
    amount: Decimal = Field(sa_column=_money())
    payment_method_id: uuid.UUID | None = Field(default=None, foreign_key="payment_methods.id")
    provider: str = Field(max_length=12)
    provider_reference: str | None = Field(default=None, max_length=120)
    reason: str = Field(default="", max_length=200)
    started_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    finished_at: datetime | None = None


class TaxDocument(SQLModel, table=True):
    """A tax invoice, credit note or receipt the platform issued (or holds) for a business.
    Issued: numbered and final (the database refuses edits but storing the PDF once)."""

    __tablename__ = "tax_documents"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    statement_id: uuid.UUID | None = Field(default=None, foreign_key="settlement_statements.id")
    corrects_id: uuid.UUID | None = Field(default=None, foreign_key="tax_documents.id")
    document_type: int = Field(sa_column=Column(SmallInteger, nullable=False))
    number: int | None = Field(default=None, sa_column=Column(BigInteger))
    status: str = Field(max_length=8)  # held | issued
    document_date: date = Field(sa_column=Column(Date, nullable=False))
    customer_name: str = Field(max_length=120)
    customer_number: str = Field(max_length=9)
    customer_address: str = Field(default="", max_length=200)
    customer_is_dealer: bool
    lines: list = Field(sa_column=Column(JSONB, nullable=False))
    before_vat: Decimal = Field(sa_column=_money())
    vat_rate: Decimal = Field(sa_column=Column(Numeric(5, 4), nullable=False))
    vat: Decimal = Field(sa_column=_money())
    outside_vat: Decimal = Field(sa_column=_money())
    total: Decimal = Field(sa_column=_money())
    allocation_number: str | None = Field(default=None, max_length=20)
    held_reason: str = Field(default="", max_length=300)
    pdf_key: str | None = Field(default=None, max_length=200)
    issued_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class B2bChargeReferrer(SQLModel, table=True):
    """One referrer of a b2b charge's chain (the lead's owner first): its share and the fee it
    is owed, frozen at close, and the statement that settled that fee."""

    __tablename__ = "b2b_charge_referrers"

    charge_id: uuid.UUID = Field(foreign_key="b2b_charges.id", primary_key=True)
    position: int = Field(primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    share_pct: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    fee: Decimal = Field(sa_column=_money())
    statement_id: uuid.UUID | None = Field(default=None, foreign_key="settlement_statements.id")


class B2bCreditReferrer(SQLModel, table=True):
    """One referrer's part of a credit note's referral fee: what it gives back."""

    __tablename__ = "b2b_credit_referrers"

    credit_id: uuid.UUID = Field(foreign_key="b2b_credits.id", primary_key=True)
    position: int = Field(primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    share_pct: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    fee: Decimal = Field(sa_column=_money())
    statement_id: uuid.UUID | None = Field(default=None, foreign_key="settlement_statements.id")
