"""Who someone is: users (DESIGN.md §3 "Identity and tenancy")."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, func
from sqlmodel import Field, SQLModel

from ofair_app.models._base import created_at_column, updated_at_column


class UserRole(StrEnum):
    """What a person is on the platform; business membership is separate (professional_members)."""

    consumer = "consumer"
    professional = "professional"
    admin = "admin"


class Locale(StrEnum):
    he = "he"
    en = "en"


# Shared fields of a person, as a client may send or see them.
class UserBase(SQLModel):
    name: str = Field(default="", max_length=120)
    locale: Locale = Field(default=Locale.he, sa_type=String(2))


# The table. Phone is E.164 (+972…); email is stored lower-case; at least one of them is set.
class User(UserBase, table=True):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("phone IS NOT NULL OR email IS NOT NULL OR closed_at IS NOT NULL",
                        name="users_phone_or_email"),
        CheckConstraint("closed_at IS NULL OR NOT is_active", name="users_closed_is_inactive"),
        CheckConstraint("phone ~ '^\\+[1-9][0-9]{6,14}$'", name="users_phone_e164"),
        CheckConstraint("email = lower(email)", name="users_email_lowercase"),
        CheckConstraint("role IN ('consumer', 'professional', 'admin')", name="users_role"),
        CheckConstraint("locale IN ('he', 'en')", name="users_locale"),
        Index("users_phone_key", "phone", unique=True),
        Index("users_email_key", "email", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True,
                          sa_column_kwargs={"server_default": func.gen_random_uuid()})
    phone: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=254)
    role: UserRole = Field(default=UserRole.consumer, sa_type=String(16))
    is_active: bool = Field(default=True)
    # The retention job's notion of activity: the last time a login code was confirmed.
    last_login_at: datetime | None = None
    # When the "this account will be closed for inactivity" notice went out (cleared by a login).
    inactivity_notice_at: datetime | None = None
    # A closed account keeps its row, without phone, e-mail or name (services/privacy.py).
    closed_at: datetime | None = None
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


# What the API answers about a user (the token answer's `user`).
class UserPublic(UserBase):
    id: uuid.UUID
    phone: str | None
    email: str | None
    role: UserRole
