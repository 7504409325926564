"""Column helpers shared by every table."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, func


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_column() -> Column:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Column:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now(),
                  onupdate=func.now())
