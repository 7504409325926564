"""Payments, provider webhook events and the double-entry ledger (migration 0005)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, ForeignKey, Identity, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from ofair_app.domain.ledger import Purpose, TxKind
from ofair_app.domain.payments import EventOutcome, PaymentStatus
from ofair_app.models._base import created_at_column, updated_at_column


def _money(nullable: bool = False) -> Column:
    return Column(Numeric(12, 2), nullable=nullable)


class Payment(SQLModel, table=True):
    __tablename__ = "payments"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    proposal_id: uuid.UUID = Field(foreign_key="proposals.id")
    milestone_id: uuid.UUID | None = Field(default=None, foreign_key="milestones.id")
    payer_user_id: uuid.UUID = Field(foreign_key="users.id")
    performer_professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    referrer_professional_id: uuid.UUID | None = Field(default=None,
                                                       foreign_key="professionals.id")
    provider: str = Field(max_length=12)
    psp_reference: str | None = Field(default=None, max_length=255)
    psp_payment_intent: str | None = Field(default=None, max_length=255)
    checkout_url: str | None = None
    status: PaymentStatus = Field(default=PaymentStatus.created, sa_type=String(20))
    currency: str = Field(default="ils", max_length=3)
    final_amount: Decimal = Field(sa_column=_money())
    platform_commission: Decimal = Field(sa_column=_money())
    referrer_fee: Decimal = Field(sa_column=_money())
    professional_net_amount: Decimal = Field(sa_column=_money())
    platform_rate_pct: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    referrer_share_pct: Decimal = Field(default=Decimal("0"), sa_column=Column(
        Numeric(5, 2), nullable=False))
    # the commission rule in force when the split was frozen (none: frozen before rules)
    commission_rule_id: uuid.UUID | None = Field(default=None, foreign_key="commission_rules.id")
    refunded_amount: Decimal = Field(default=Decimal("0"), sa_column=_money())
    flagged: bool = False
    flag_reason: str = Field(default="", max_length=300)
    paid_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class PaymentReferrer(SQLModel, table=True):
    """One referrer of a payment's chain (the lead's owner first), its share and its fee, frozen
    with the payment; the fees sum to the payment's `referrer_fee`."""

    __tablename__ = "payment_referrers"

    payment_id: uuid.UUID = Field(foreign_key="payments.id", primary_key=True)
    position: int = Field(primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    share_pct: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    fee: Decimal = Field(sa_column=_money())


class PaymentWebhookEvent(SQLModel, table=True):
    __tablename__ = "payment_webhook_events"

    id: str = Field(primary_key=True, max_length=255)
    provider: str = Field(max_length=12)
    type: str = Field(max_length=80)
    payment_id: uuid.UUID | None = Field(default=None, foreign_key="payments.id")
    outcome: EventOutcome = Field(sa_type=String(12))
    detail: str = Field(default="", max_length=300)
    payload: dict = Field(sa_column=Column(JSONB, nullable=False))
    received_at: datetime | None = Field(default=None, sa_column=created_at_column())


class WebhookRejection(SQLModel, table=True):
    """A correctly signed provider body that was not an event we could read (migration 0007b):
    answered 400 and kept here, for admins only, with an excerpt of what came."""

    __tablename__ = "webhook_rejections"

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger, Identity(), primary_key=True))
    provider: str = Field(max_length=12)
    reason: str = Field(max_length=300)
    body_sha256: str = Field(max_length=64)
    body_bytes: int
    body_excerpt: str = Field(default="", max_length=2000)
    received_at: datetime | None = Field(default=None, sa_column=created_at_column())


class LedgerAccount(SQLModel, table=True):
    __tablename__ = "ledger_accounts"

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger, Identity(), primary_key=True))
    code: str = Field(max_length=80)
    purpose: Purpose = Field(sa_type=String(20))
    professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class LedgerTransaction(SQLModel, table=True):
    __tablename__ = "ledger_transactions"

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger, Identity(), primary_key=True))
    kind: TxKind = Field(sa_type=String(20))
    idempotency_key: str = Field(max_length=160)
    payment_id: uuid.UUID | None = Field(default=None, foreign_key="payments.id")
    pending_id: int | None = Field(default=None, sa_column=Column(
        BigInteger, ForeignKey("ledger_transactions.id"), nullable=True))
    withdrawal_id: uuid.UUID | None = None
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    note: str = Field(default="", max_length=300)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entries"

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger, Identity(), primary_key=True))
    transaction_id: int = Field(sa_column=Column(
        BigInteger, ForeignKey("ledger_transactions.id"), nullable=False))
    account_id: int = Field(sa_column=Column(
        BigInteger, ForeignKey("ledger_accounts.id"), nullable=False))
    amount: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class Dispute(SQLModel, table=True):
    __tablename__ = "disputes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    payment_id: uuid.UUID | None = Field(default=None, foreign_key="payments.id")  # b2b: none
    milestone_id: uuid.UUID | None = Field(default=None, foreign_key="milestones.id")
    opened_by: uuid.UUID = Field(foreign_key="users.id")
    party: str = Field(max_length=10)  # owner | performer
    reason: str = Field(max_length=2000)
    status: str = Field(default="open", max_length=10)  # open | resolved
    resolution: str | None = Field(default=None, max_length=16)
    refund_amount: Decimal | None = Field(default=None, sa_column=_money(nullable=True))
    note: str = Field(default="", max_length=500)
    resolved_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    resolved_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class PayoutBatch(SQLModel, table=True):
    __tablename__ = "payout_batches"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    status: str = Field(default="exported", max_length=10)  # exported | paid
    total: Decimal = Field(sa_column=_money())
    count: int
    created_by: uuid.UUID = Field(foreign_key="users.id")
    paid_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    paid_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class Withdrawal(SQLModel, table=True):
    __tablename__ = "withdrawals"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    requested_by: uuid.UUID = Field(foreign_key="users.id")
    amount: Decimal = Field(sa_column=_money())
    status: str = Field(default="requested", max_length=10)
    bank_code: str = Field(max_length=3)
    branch: str = Field(max_length=3)
    account: str = Field(max_length=9)
    account_holder: str = Field(max_length=120)
    batch_id: uuid.UUID | None = Field(default=None, foreign_key="payout_batches.id")
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    decided_at: datetime | None = None
    note: str = Field(default="", max_length=300)
    paid_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class PaymentMethod(SQLModel, table=True):
    """A business's saved card (migration 0012): the provider's token and what may be shown,
    never a card number. `pending` while an owner is on the provider's card-saving page."""

    __tablename__ = "payment_methods"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    provider: str = Field(max_length=12)
    setup_reference: str = Field(max_length=120)
    status: str = Field(default="pending", max_length=10)
    token: str | None = Field(default=None, max_length=200)
    brand: str = Field(default="", max_length=20)
    last4: str = Field(default="", max_length=4)
    exp_month: int | None = None
    exp_year: int | None = None
    is_default: bool = False
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
