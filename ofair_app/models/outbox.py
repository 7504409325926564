"""Messages written in the same transaction as the change they announce, sent after commit."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from ofair_app.models._base import created_at_column


class OutboxStatus(StrEnum):
    pending = "pending"  # waiting for (another) delivery attempt
    sent = "sent"  # handed to a real provider
    logged = "logged"  # the console adapter printed it; kept so a developer can read it
    failed = "failed"  # permanently refused, or out of attempts


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_messages"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    channel: str = Field(max_length=8)
    to_address: str = Field(max_length=254)
    template: str = Field(max_length=48)
    locale: str = Field(max_length=2)
    subject: str = Field(default="", max_length=200)
    body: str
    # WhatsApp sends an approved template with these values, not `body` (kept for reading).
    params: dict = Field(default_factory=dict, sa_column=Column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")))
    sensitive: bool = False  # holds a login code: the body is wiped once a provider has it
    # transactional | marketing: marketing goes only to people with a current opt-in
    purpose: str = Field(default="transactional", max_length=16)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    status: OutboxStatus = Field(default=OutboxStatus.pending, sa_type=String(12))
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    provider_ref: str = ""
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    sent_at: datetime | None = None
