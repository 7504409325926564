"""Login codes and bearer tokens: only hashes are stored (DESIGN.md §3)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from ofair_app.models._base import created_at_column


class OtpCode(SQLModel, table=True):
    __tablename__ = "otp_codes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    purpose: str = Field(max_length=16)  # login | email_change | phone_change
    channel: str = Field(max_length=8)  # sms | email
    target: str = Field(max_length=254)  # E.164 phone or lower-case e-mail
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    code_hash: str = Field(max_length=64)
    attempts: int = 0
    expires_at: datetime
    consumed_at: datetime | None = None
    # The network that asked for a login code (IPv4, or an IPv6 /64), for the per-network
    # budget; None when a signed-in user asked (a new e-mail address).
    requester_ip: str | None = Field(default=None, max_length=64)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class AuthToken(SQLModel, table=True):
    __tablename__ = "auth_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id")
    token_hash: str = Field(max_length=64)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    expires_at: datetime
    revoked_at: datetime | None = None
    user_agent: str = Field(default="", max_length=200)
    last_used_at: datetime | None = None  # to the minute (migration 0019)
