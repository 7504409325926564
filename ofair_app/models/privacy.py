"""Requests a person makes about their own data (migration 0011_privacy_rights)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field, SQLModel

from ofair_app.models._base import created_at_column


class ExportStatus(StrEnum):
    """Where a "download all my data" request stands."""

    pending = "pending"  # asked for; the `personal_data_exports` job has not built it yet
    ready = "ready"  # the archive is stored; its owner may fetch a short-lived link until expiry
    failed = "failed"  # the job could not build it (the reason is kept, without personal data)
    expired = "expired"  # past `expires_at`: the archive is deleted, the row kept for the limits


# One request for an archive of everything the platform holds about a person.
class PersonalDataExport(SQLModel, table=True):
    __tablename__ = "personal_data_exports"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id")
    status: ExportStatus = Field(default=ExportStatus.pending, sa_type=String(10))
    storage_key: str | None = Field(default=None, max_length=200)
    size_bytes: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    error: str = Field(default="", max_length=300)
    requested_at: datetime | None = Field(default=None, sa_column=created_at_column())
    ready_at: datetime | None = None
    expires_at: datetime | None = None
