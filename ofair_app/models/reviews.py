"""Reviews of closed jobs and the requests that ask for them (migration 0024)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, SmallInteger, String
from sqlmodel import Field, SQLModel

from ofair_app.models._base import created_at_column, updated_at_column


def _score() -> int:
    return Field(sa_type=SmallInteger)


class Review(SQLModel, table=True):
    """What a lead's owner said of its performer once the job closed (one per lead)."""

    __tablename__ = "reviews"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lead_id: uuid.UUID = Field(foreign_key="leads.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    # Blanked when the reviewer closes their account (the review stays, de-identified).
    reviewer_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    rating: int = _score()
    quality: int = _score()
    punctuality: int = _score()
    price: int = _score()
    attitude: int = _score()
    body: str = Field(default="", max_length=1500)
    display: str = Field(default="name", sa_type=String(8))  # domain.reviews.Display
    reviewer_name: str = Field(default="", max_length=40)  # the first name, when written
    locality_id: int | None = Field(default=None, foreign_key="localities.id")
    reply: str | None = Field(default=None, max_length=1500)
    replied_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    replied_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    hidden_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    hidden_reason: str | None = Field(default=None, max_length=500)
    hidden_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())


class ReviewRequest(SQLModel, table=True):
    """The owner was asked for a review when the job closed; `reminded_at`: asked again."""

    __tablename__ = "review_requests"

    lead_id: uuid.UUID = Field(foreign_key="leads.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id")
    professional_id: uuid.UUID = Field(foreign_key="professionals.id")
    requested_at: datetime | None = Field(default=None, sa_column=created_at_column())
    reminded_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
