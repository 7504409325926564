"""A lead's conversations and the browsers that receive push messages (migration 0023)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, String
from sqlmodel import Field, SQLModel

from ofair_app.models._base import created_at_column


class ChatThread(SQLModel, table=True):
    """One conversation: a lead's owner and one business that made an offer on it (written by
    the database when the offer is, so every offer has its thread)."""

    __tablename__ = "chat_threads"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class ChatMessage(SQLModel, table=True):
    """One message as it was written; who reads it sees it masked until the award."""

    __tablename__ = "chat_messages"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    thread_id: uuid.UUID = Field(foreign_key="chat_threads.id")
    sender_user_id: uuid.UUID = Field(foreign_key="users.id")
    side: str = Field(sa_type=String(5))  # domain.chat.Side
    body: str = Field(max_length=2000)
    # When the other side first read it (the read receipt).
    read_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class ChatPresence(SQLModel, table=True):
    """A person's page open on a thread, renewed while it stays open: a message to someone
    who is reading the thread is not also sent as a notification."""

    __tablename__ = "chat_presence"

    thread_id: uuid.UUID = Field(foreign_key="chat_threads.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True)
    seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class PushSubscription(SQLModel, table=True):
    """One browser (device) that accepted push messages for a person (Web Push, RFC 8030)."""

    __tablename__ = "push_subscriptions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id")
    endpoint: str = Field(max_length=1000)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    user_agent: str = Field(default="", max_length=300)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    last_used_at: datetime | None = Field(default=None,
                                          sa_column=Column(DateTime(timezone=True)))
