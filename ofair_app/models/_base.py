"""Column helpers shared by every table, and the input types shared by every request model."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError
from sqlalchemy import Column, DateTime, func

from ofair_app.domain.errors import InvalidInput
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
