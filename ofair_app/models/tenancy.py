"""Businesses (the tenant), their members, certificates and the admin audit log (DESIGN.md §3)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ARRAY, BigInteger, Column, DateTime, Identity, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from ofair_app.domain.inputs import Int4, IntId, MultilineText, PlainText, Slug, Tag
from ofair_app.domain.invitations import InvitationStatus
from ofair_app.models._base import InputModel, created_at_column, updated_at_column


class ProfessionalStatus(StrEnum):
    """Where a business stands with the platform."""

    pending = "pending"  # created, waiting for an admin to check the business ID and papers
    active = "active"  # checked by an admin
    suspended = "suspended"  # stopped by an admin: invisible to the public and cannot act


class MemberRole(StrEnum):
    owner = "owner"  # manages the profile and the team
    staff = "staff"  # acts for the business (leads, proposals), manages nothing


class CertificateStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


# The table: one business, whatever the number of people working in it.
class Professional(SQLModel, table=True):
    __tablename__ = "professionals"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    business_name: str = Field(max_length=120)
    business_id: str = Field(max_length=9)
    category_slug: str = Field(max_length=64, foreign_key="categories.slug")
    subcategory_slugs: list[str] = Field(default_factory=list, sa_column=Column(
        ARRAY(String(64)), nullable=False, server_default="{}"))
    specialties: list[str] = Field(default_factory=list, sa_column=Column(
        ARRAY(String(40)), nullable=False, server_default="{}"))
    about: str = Field(default="")
    locality_id: int = Field(foreign_key="localities.id")
    lat: float
    lon: float
    service_radius_km: int = Field(default=25)
    rating: Decimal = Field(default=Decimal("0"), sa_column=Column(
        Numeric(3, 2), nullable=False, server_default="0"))
    review_count: int = Field(default=0)
    completed_jobs: int = Field(default=0)  # kept by the platform when a job closes
    verified: bool = Field(default=False)
    verified_at: datetime | None = None
    # Set by the platform from `subscriptions`: while in the future, the business's leads are
    # pinned on the board and it pays a lower commission.
    subscribed_until: datetime | None = None
    # A licensed dealer (עוסק מורשה) or a company: its tax invoices may need an allocation number.
    licensed_dealer: bool = True
    # b2b: a month the platform owes the business for is carried to the next (`carry`) or
    # made withdrawable (`payout`).
    settlement_credit: str = Field(default="carry", max_length=8)
    status: ProfessionalStatus = Field(default=ProfessionalStatus.pending, sa_type=String(16))
    created_by: uuid.UUID = Field(foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class ProfessionalMember(SQLModel, table=True):
    __tablename__ = "professional_members"

    professional_id: uuid.UUID = Field(foreign_key="professionals.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True)
    role: MemberRole = Field(sa_type=String(8))
    added_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class Certificate(SQLModel, table=True):
    __tablename__ = "certificates"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    title: str = Field(max_length=120)
    storage_key: str = Field(max_length=200)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=40)
    size_bytes: int
    sha256: str = Field(max_length=64)
    status: CertificateStatus = Field(default=CertificateStatus.pending, sa_type=String(16))
    uploaded_by: uuid.UUID = Field(foreign_key="users.id")
    reviewed_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    reviewed_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


# Append-only: who did what to whom, for every admin action.
class AdminAuditLog(SQLModel, table=True):
    __tablename__ = "admin_audit_log"

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger, Identity(), primary_key=True))
    actor_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=64)
    subject_type: str = Field(max_length=32)
    subject_id: str = Field(max_length=64)
    detail: dict = Field(default_factory=dict, sa_column=Column(
        JSONB, nullable=False, server_default="{}"))
    ip: str = Field(default="", max_length=64)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


# What a person sends to open a business; the service normalizes and checks every field.
class ProfessionalCreate(InputModel):
    business_name: PlainText = Field(max_length=200)
    business_id: PlainText = Field(max_length=20)
    category: PlainText = Field(max_length=64)
    subcategories: list[Slug] = Field(default_factory=list, max_length=20)
    locality_id: IntId
    service_radius_km: Int4 = 25
    specialties: list[Tag] = Field(default_factory=list, max_length=30)
    about: MultilineText = Field(default="", max_length=4000)


# An owner's edit: only what is sent changes.
class ProfessionalUpdate(InputModel):
    business_name: PlainText | None = Field(default=None, max_length=200)
    business_id: PlainText | None = Field(default=None, max_length=20)
    category: PlainText | None = Field(default=None, max_length=64)
    subcategories: list[Slug] | None = Field(default=None, max_length=20)
    locality_id: IntId | None = None
    service_radius_km: Int4 | None = None
    specialties: list[Tag] | None = Field(default=None, max_length=30)
    about: MultilineText | None = Field(default=None, max_length=4000)


# An owner's offer to join the team; membership starts only when the invitee accepts.
class ProfessionalInvitation(SQLModel, table=True):
    __tablename__ = "professional_invitations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    phone: str | None = Field(default=None, max_length=16)  # E.164
    email: str | None = Field(default=None, max_length=254)  # lower-case
    role: MemberRole = Field(default=MemberRole.staff, sa_type=String(8))
    invited_by: uuid.UUID = Field(foreign_key="users.id")
    status: InvitationStatus = Field(default=InvitationStatus.pending, sa_type=String(10))
    expires_at: datetime
    # Every time the invitation was sent (the first send and each resend), for the limits.
    sent_times: list[datetime] = Field(default_factory=list, sa_column=Column(
        ARRAY(DateTime(timezone=True)), nullable=False, server_default="{}"))
    last_sent_at: datetime | None = None
    responded_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    responded_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
