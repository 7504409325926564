"""Answer shapes shared by several routers (field names are the contract of DESIGN.md §5)."""

from __future__ import annotations

import uuid
from typing import Generic, TypeVar

from pydantic import BaseModel

from ofair_app.models import User

T = TypeVar("T")


class UserOut(BaseModel):
    id: uuid.UUID
    phone: str | None
    email: str | None
    name: str
    role: str
    locale: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, phone=user.phone, email=user.email, name=user.name,
                   role=str(user.role), locale=str(user.locale))


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
