"""Plain factory functions for test data. They write as the system caller, as trusted steps do."""

from __future__ import annotations

import itertools

from ofair_app.db.engine import SYSTEM, Caller, unit_of_work
from ofair_app.models import User, UserRole

_phones = itertools.count(1)


def make_user(*, role: UserRole = UserRole.consumer, name: str = "דנה כהן",
              phone: str | None = None, email: str | None = None) -> User:
    phone = phone or f"+97250{next(_phones):07d}"
    with unit_of_work(SYSTEM) as session:
        user = User(phone=phone, email=email, name=name, role=role)
        session.add(user)
    return user


def caller_for(user: User) -> Caller:
    role = {"consumer": "consumer", "professional": "professional", "admin": "admin"}[user.role]
    return Caller(user_id=user.id, role=role)
