"""Proposals, referrals and what is logged when a client's details change hands (migration 0004).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Identity, Numeric, String
from sqlmodel import Field, SQLModel

from ofair_app.domain.inputs import MultilineText
from ofair_app.domain.proposals import (
    LeadEventKind,
    ProposalOrigin,
    ProposalStatus,
    ReferralStatus,
)
from ofair_app.models._base import (
    InputModel,
    Money,
    Percent,
    created_at_column,
    updated_at_column,
)


class Proposal(SQLModel, table=True):
    __tablename__ = "proposals"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    created_by: uuid.UUID = Field(foreign_key="users.id")
    origin: ProposalOrigin = Field(default=ProposalOrigin.proposal, sa_type=String(12))
    price: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    description: str = Field(max_length=2000)
    scheduled_date: date | None = None
    status: ProposalStatus = Field(default=ProposalStatus.pending, sa_type=String(12))
    decided_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class ProposalAttachment(SQLModel, table=True):
    __tablename__ = "proposal_attachments"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    proposal_id: uuid.UUID = Field(foreign_key="proposals.id")
    storage_key: str = Field(max_length=200)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=40)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_by: uuid.UUID = Field(foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class Referral(SQLModel, table=True):
    __tablename__ = "referrals"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    referrer_professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    receiver_professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    created_by: uuid.UUID = Field(foreign_key="users.id")
    # Frozen at the offer: what the referrer gets, and the budget it was offered at.
    commission_percentage: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    budget: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    message: str = Field(default="", max_length=500)
    status: ReferralStatus = Field(default=ReferralStatus.pending, sa_type=String(12))
    proposal_id: uuid.UUID | None = Field(default=None, foreign_key="proposals.id")
    # A chain: the offer this one passes on (none: the owner's own), the owner's offer it
    # started from, and the referrer's place in it (1: the owner). Set by the database.
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="referrals.id")
    chain_id: uuid.UUID | None = None
    depth: int = 1
    expires_at: datetime
    decided_at: datetime | None = None
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


# Append-only: what happened to a lead's award and offers, and who did it.
class LeadEvent(SQLModel, table=True):
    __tablename__ = "lead_events"

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger, Identity(), primary_key=True))
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    event: LeadEventKind = Field(sa_type=String(24))
    actor_user_id: uuid.UUID = Field(foreign_key="users.id")
    professional_id: uuid.UUID | None = Field(default=None, foreign_key="professionals.id")
    proposal_id: uuid.UUID | None = Field(default=None, foreign_key="proposals.id")
    referral_id: uuid.UUID | None = Field(default=None, foreign_key="referrals.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


# Append-only: a client's phone was shown to a winning business (by the owner's acceptance, or
# the winner's claim of a referral), from where.
class PhoneRevelation(SQLModel, table=True):
    __tablename__ = "phone_revelations"

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger, Identity(), primary_key=True))
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    proposal_id: uuid.UUID = Field(foreign_key="proposals.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


# Append-only: the winner's contact (business and phone) was shown to the lead's owner or an
# admin, from where (migration 0008_nav).
class PerformerContactReveal(SQLModel, table=True):
    __tablename__ = "performer_contact_reveals"

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger, Identity(), primary_key=True))
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    proposal_id: uuid.UUID = Field(foreign_key="proposals.id")
    user_id: uuid.UUID = Field(foreign_key="users.id")
    reason: str = Field(max_length=12)  # owner | admin
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


# What a professional sends to propose, or to change a pending proposal.
class ProposalCreate(InputModel):
    professional_id: uuid.UUID | None = None  # the caller's business when they have only one
    price: Money
    description: MultilineText = Field(max_length=6000)
    scheduled_date: date | None = None


class ProposalUpdate(InputModel):
    price: Money | None = None
    description: MultilineText | None = Field(default=None, max_length=6000)
    scheduled_date: date | None = None


class ReferralCreate(InputModel):
    receiver_professional_id: uuid.UUID
    message: MultilineText = Field(default="", max_length=2000)


class ReferOn(ReferralCreate):
    """Pass an offer received on to a colleague, keeping `share` percent of the job."""

    share: Percent
