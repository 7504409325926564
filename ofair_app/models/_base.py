"""Column helpers shared by every table, the money input types shared by every request model,
and the base of every input model."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError
from sqlalchemy import Column, DateTime, func
from sqlmodel import SQLModel

from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.inputs import invalid_input
from ofair_app.domain.leads import exact_amount


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_column() -> Column:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def updated_at_column() -> Column:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now(),
                  onupdate=func.now())


def _exact(kind: str):
    def check(value: object) -> Decimal:
        try:
            return exact_amount(value, field=kind)
        except InvalidInput:
            raise PydanticCustomError(
                kind, "digits, an optional point and at most two decimals") from None
    return check


# An amount in shekels as a client sends it: a number or a string of ASCII digits with an
# optional point and at most two decimals (`domain.leads.exact_amount`); anything else is a
# 422 on that field (`errors.field.money`), never read loosely or rounded. Bounds are the
# service's.
Money = Annotated[Decimal, BeforeValidator(_exact("money"))]
# A percentage, by the same rule (`errors.field.percent`).
Percent = Annotated[Decimal, BeforeValidator(_exact("percent"))]


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
