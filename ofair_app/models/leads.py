"""Leads and the private details kept apart from them (DESIGN.md §3 "Leads").

`leads` holds what anyone browsing the board may see; the client's name, phone and address live
in `consumer_leads` / `professional_leads`, which row-level security opens only to the owner, the
accepted performer and admins. Reads of those details are logged in `contact_access_logs`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from sqlalchemy import BigInteger, Column, Identity, Numeric, String
from sqlmodel import Field, SQLModel

from ofair_app.domain.inputs import IntId, Latitude, Longitude, MultilineText, PlainText
from ofair_app.domain.leads import LeadStatus, LeadType, LeadVisibility, PreferredSchedule
from ofair_app.models._base import (
    InputModel,
    Money,
    Percent,
    created_at_column,
    updated_at_column,
)


def _money() -> Column:
    return Column(Numeric(12, 2), nullable=True)


# The table: no personal details at all. The Lead Board reads `lead_board`, the projection the
# database keeps of open public leads (migrations 0003 and 0008; services/board.py).
class Lead(SQLModel, table=True):
    __tablename__ = "leads"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    type: LeadType = Field(sa_type=String(24))
    title: str = Field(max_length=120)
    short_description: str = Field(max_length=280)
    category_slug: str = Field(max_length=64, foreign_key="categories.slug")
    subcategory_slug: str | None = Field(default=None, max_length=64,
                                         foreign_key="subcategories.slug")
    locality_id: int | None = Field(default=None, foreign_key="localities.id")
    lat: float
    lon: float
    # For a pro lead: the estimated budget and the share of the final amount its referrer asks
    # (0–90 %). Public: they are the terms the pros it is offered to decide on.
    budget: Decimal | None = Field(default=None, sa_column=_money())
    referrer_share_percentage: Decimal | None = Field(default=None, sa_column=Column(
        Numeric(5, 2), nullable=True))
    preferred_schedule: PreferredSchedule = Field(default=PreferredSchedule.flexible,
                                                  sa_type=String(16))
    preferred_date: date | None = None
    visibility: LeadVisibility = Field(default=LeadVisibility.public, sa_type=String(8))
    status: LeadStatus = Field(default=LeadStatus.active, sa_type=String(16))
    owner_user_id: uuid.UUID = Field(foreign_key="users.id")
    owner_professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    performer_professional_id: uuid.UUID | None = Field(default=None,
                                                        foreign_key="professionals.id")
    final_amount: Decimal | None = Field(default=None, sa_column=_money())
    proposal_count: int = 0
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
    cancelled_at: datetime | None = None
    completed_at: datetime | None = None  # the performer marked the job done
    closed_at: datetime | None = None  # the owner confirmed (or the auto-confirm job did)
    first_proposal_at: datetime | None = None  # kept by the proposals_count trigger (0021)
    # Hidden from the board by an admin, why and by whom (all three or none; only the platform
    # changes them: migration 0020).
    hidden_at: datetime | None = None
    hidden_reason: str | None = Field(default=None, max_length=500)
    hidden_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    # The consumer let professionals contact them directly: a business may pay to unlock the
    # client's details (at most UNLOCK_MAX_PER_LEAD; `unlock_count` is the places taken, kept
    # by the platform under the lead's lock: migration 0028).
    direct_contact: bool = False
    unlock_count: int = 0


# A consumer's request: who to contact and the whole description (it may name a street).
class ConsumerLead(SQLModel, table=True):
    __tablename__ = "consumer_leads"

    lead_id: uuid.UUID = Field(foreign_key="leads.id", primary_key=True)
    client_name: str = Field(max_length=120)
    client_phone: str = Field(max_length=16)
    client_address: str = Field(default="", max_length=200)
    full_description: str = Field(max_length=2000)


# A professional's lead: the client's details (its terms are public, on the lead).
class ProfessionalLead(SQLModel, table=True):
    __tablename__ = "professional_leads"

    lead_id: uuid.UUID = Field(foreign_key="leads.id", primary_key=True)
    client_name: str = Field(max_length=120)
    client_phone: str = Field(max_length=16)
    client_address: str = Field(default="", max_length=200)
    full_description: str = Field(default="", max_length=2000)


class LeadAttachment(SQLModel, table=True):
    __tablename__ = "lead_attachments"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    storage_key: str = Field(max_length=200)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=40)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_by: uuid.UUID = Field(foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class AccessReason(StrEnum):
    owner = "owner"
    performer = "performer"
    admin = "admin"
    unlock = "unlock"  # a business paid to unlock a direct-contact lead's client


class AccessEvent(StrEnum):
    read = "read"  # the details were shown
    granted = "granted"  # a business won the lead and may now see them
    revoked = "revoked"  # the award ended: it may not any more


# Append-only: every time a client's details were shown, to whom and why.
class ContactAccessLog(SQLModel, table=True):
    __tablename__ = "contact_access_logs"

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger, Identity(), primary_key=True))
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    reason: AccessReason = Field(sa_type=String(12))
    event: AccessEvent = Field(default=AccessEvent.read, sa_type=String(8))
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class SubscriptionPlan(StrEnum):
    pro_monthly = "pro_monthly"  # ~100 ILS a month: lower commission, pinned leads


class SubscriptionStatus(StrEnum):
    active = "active"
    past_due = "past_due"  # its renewal failed: retried, the benefits go on through the grace
    ended = "ended"  # cancelled at the period's end, which came
    lapsed = "lapsed"  # still unpaid when the grace period ended
    cancelled = "cancelled"  # ended at once by an admin


class SubscriptionSource(StrEnum):
    paid = "paid"  # bought by an owner with a saved card, renewed each period
    grant = "grant"  # an admin's complimentary period


# A business's subscription: a paid one (renewed by `renew_subscriptions`) or an admin's grant.
class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    plan: SubscriptionPlan = Field(default=SubscriptionPlan.pro_monthly, sa_type=String(24))
    status: SubscriptionStatus = Field(default=SubscriptionStatus.active, sa_type=String(12))
    source: SubscriptionSource = Field(default=SubscriptionSource.grant, sa_type=String(8))
    starts_at: datetime
    # The end of the last period paid for (or granted).
    ends_at: datetime
    price: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    next_charge_at: datetime | None = None
    failed_charges: int = 0
    cancel_at_period_end: bool = False
    granted_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


# Each charge of a paid subscription's period to the business's saved card, numbered per period.
class SubscriptionCharge(SQLModel, table=True):
    __tablename__ = "subscription_charges"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(),
                                                          primary_key=True))
    subscription_id: uuid.UUID = Field(foreign_key="subscriptions.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    period_start: datetime
    period_end: datetime
    attempt: int
    status: str = Field(default="started", max_length=10)  # started|succeeded|declined|no_card
    price: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    vat: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    payment_method_id: uuid.UUID | None = Field(default=None, foreign_key="payment_methods.id")
    provider: str = Field(max_length=12)
    provider_reference: str | None = Field(default=None, max_length=120)
    reason: str = Field(default="", max_length=200)
    started_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    tax_document_id: uuid.UUID | None = Field(default=None, foreign_key="tax_documents.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    finished_at: datetime | None = None


class UnlockStatus(StrEnum):
    started = "started"  # the place is held while the card is charged
    succeeded = "succeeded"  # paid: the business sees the client
    declined = "declined"  # the card was declined: the place is free again
    refunded = "refunded"  # paid back after a claim: the business no longer sees the client


class PayWith(StrEnum):
    card = "card"  # the business's default saved card
    balance = "balance"  # the business's available balance on OFAIR


# A business's unlock of a direct-contact lead's client: one per (lead, business).
class LeadUnlock(SQLModel, table=True):
    __tablename__ = "lead_unlocks"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    unlocked_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    pay_with: PayWith = Field(sa_type=String(8))
    status: UnlockStatus = Field(default=UnlockStatus.started, sa_type=String(10))
    attempt: int = 1
    price: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    vat: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    amount: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    payment_method_id: uuid.UUID | None = Field(default=None, foreign_key="payment_methods.id")
    provider: str | None = Field(default=None, max_length=12)
    provider_reference: str | None = Field(default=None, max_length=120)
    reason: str = Field(default="", max_length=200)
    tax_document_id: uuid.UUID | None = Field(default=None, foreign_key="tax_documents.id")
    refund_document_id: uuid.UUID | None = Field(default=None, foreign_key="tax_documents.id")
    refund_reference: str | None = Field(default=None, max_length=120)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    unlocked_at: datetime | None = None
    refunded_at: datetime | None = None


class RefundReason(StrEnum):
    not_in_service = "not_in_service"  # the number is not in service
    unreachable = "unreachable"  # no answer, three times
    duplicate = "duplicate"  # the business already had this client's lead
    never_asked = "never_asked"  # the client says they never asked


class ClaimStatus(StrEnum):
    open = "open"  # waiting for the client's answer or an admin
    approved = "approved"  # to be refunded (the card's refund is being retried)
    refunded = "refunded"
    rejected = "rejected"


# A business's claim that an unlocked contact was bad: at most one per unlock, within the window.
class UnlockRefundClaim(SQLModel, table=True):
    __tablename__ = "unlock_refund_claims"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    unlock_id: uuid.UUID = Field(foreign_key="lead_unlocks.id")
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    claimed_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    reason: RefundReason = Field(sa_type=String(16))
    note: str = Field(default="", max_length=500)
    status: ClaimStatus = Field(default=ClaimStatus.open, sa_type=String(10))
    # number_invalid | duplicate | client_confirmed | admin
    decided_how: str | None = Field(default=None, max_length=16)
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    decision_note: str = Field(default="", max_length=500)
    client_token_hash: str | None = Field(default=None, max_length=64)
    client_answer: str | None = Field(default=None, max_length=12)  # never_asked | asked
    client_answered_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    decided_at: datetime | None = None


# An owner unlocks a direct-contact lead's client for a business (its only one when unnamed).
class UnlockCreate(InputModel):
    professional_id: uuid.UUID | None = None
    pay_with: PayWith = PayWith.card


# A business claims an unlock's money back.
class RefundClaimCreate(InputModel):
    reason: RefundReason
    note: MultilineText = Field(default="", max_length=500)


# An admin refunds a claim or rejects it (a rejection says why).
class ClaimDecision(InputModel):
    approve: bool
    note: MultilineText = Field(default="", max_length=500)


# The client answers the link a claim sent them.
class ClientAnswer(InputModel):
    answer: Literal["never_asked", "asked"]


# What a consumer or a professional sends to post a lead; the service checks every field.
# Money accepts a number or a decimal string ("1000.00").
class LeadCreate(InputModel):
    type: LeadType = LeadType.consumer
    title: PlainText = Field(max_length=400)
    description: MultilineText = Field(max_length=6000)
    category: PlainText = Field(max_length=64)
    subcategory: PlainText | None = Field(default=None, max_length=64)
    locality_id: IntId | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    budget: Money | None = None
    preferred_schedule: PreferredSchedule = PreferredSchedule.flexible
    preferred_date: date | None = None
    client_name: PlainText = Field(default="", max_length=400)
    client_phone: PlainText | None = Field(default=None, max_length=40)
    client_address: PlainText = Field(default="", max_length=600)
    # Professional leads only.
    professional_id: uuid.UUID | None = None
    referrer_share_percentage: Percent | None = None
    visibility: LeadVisibility = LeadVisibility.public
    # Consumer leads only: professionals may pay to unlock the client's phone and call directly.
    direct_contact: bool = False


# The owner's edit while the lead is open: only what is sent changes.
class LeadUpdate(InputModel):
    title: PlainText | None = Field(default=None, max_length=400)
    description: MultilineText | None = Field(default=None, max_length=6000)
    category: PlainText | None = Field(default=None, max_length=64)
    subcategory: PlainText | None = Field(default=None, max_length=64)
    locality_id: IntId | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    budget: Money | None = None
    preferred_schedule: PreferredSchedule | None = None
    preferred_date: date | None = None
    client_name: PlainText | None = Field(default=None, max_length=400)
    client_phone: PlainText | None = Field(default=None, max_length=40)
    client_address: PlainText | None = Field(default=None, max_length=600)
    referrer_share_percentage: Percent | None = None
    visibility: LeadVisibility | None = None
