"""Column helpers shared by every table, and the base of every input model."""

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Column, DateTime, func
from sqlmodel import SQLModel

from ofair_app.domain.inputs import invalid_input


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_column() -> Column:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Column:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now(),
                  onupdate=func.now())


class InputModel(SQLModel):
    """What a client or a person sends to create or change something (`LeadCreate`, …).

    The API validates it as FastAPI does (every bad field in one 422). Built directly, as the
    UI does from a form, a bad value raises `InvalidInput` naming the field, the same error the
    services raise, so a form shows it beside the field instead of failing.
    """

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise invalid_input(error) from None
