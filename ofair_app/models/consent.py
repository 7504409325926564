"""What each person acknowledged or agreed to, in which version: an append-only history."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, Identity, Index, String
from sqlmodel import Field, SQLModel

from ofair_app.domain.consent import ConsentChannel, ConsentKind
from ofair_app.models._base import created_at_column


# One answer: `accepted` True for an acknowledgement or an opt-in, False for a withdrawal. The
# newest row of a kind is the person's current answer; rows are never changed or deleted by
# the app.
class Consent(SQLModel, table=True):
    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint("kind IN ('privacy_notice', 'terms', 'marketing')", name="consents_kind"),
        CheckConstraint("channel IN ('web', 'api')", name="consents_channel"),
        Index("consents_user_kind", "user_id", "kind", "at"),
    )

    id: int | None = Field(default=None,
                           sa_column=Column(BigInteger, Identity(), primary_key=True))
    user_id: uuid.UUID = Field(foreign_key="users.id")
    kind: ConsentKind = Field(sa_type=String(16))
    version: str = Field(max_length=32)
    accepted: bool
    channel: ConsentChannel = Field(sa_type=String(8))
    at: datetime | None = Field(default=None, sa_column=created_at_column())
