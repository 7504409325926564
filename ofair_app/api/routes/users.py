"""`/users/me`: the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ofair_app.api.deps import CurrentCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import UserOut
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.inputs import PlainText
from ofair_app.services import users

router = APIRouter(prefix="/users", route_class=ExactJsonRoute)


class UserUpdateIn(BaseModel):
    name: PlainText | None = Field(default=None, max_length=200)
    email: PlainText | None = Field(default=None, max_length=254)
    locale: PlainText | None = Field(default=None, max_length=5)


class UserUpdateOut(UserOut):
    # True when a code went to a new e-mail address, which changes only once confirmed.
    email_verification_sent: bool = False
    pending_email: str | None = None


class ConfirmEmailIn(BaseModel):
    email: PlainText = Field(max_length=254)
    otp: PlainText = Field(max_length=12)


@router.get("/me", response_model=UserOut,
            name="me", tags=["users"], responses=errors(403))
def get_me(caller: CurrentCaller) -> UserOut:
    with unit_of_work(caller) as session:
        return UserOut.of(users.get_me(session=session, caller=caller))


@router.put("/me", response_model=UserUpdateOut,
            name="update_me", tags=["users"], responses=errors(403, 409, 429))
def put_me(body: UserUpdateIn, caller: CurrentCaller) -> UserUpdateOut:
    """Change name and language; a new e-mail gets a code and changes after confirmation."""
    with unit_of_work(caller) as session:
        user, sent = users.update_me(session=session, caller=caller, name=body.name,
                                     email=body.email, locale=body.locale)
        out = UserOut.of(user).model_dump()
    return UserUpdateOut(**out, email_verification_sent=sent is not None,
                         pending_email=sent.target.value if sent else None)


@router.post("/me/confirm-email", response_model=UserOut,
             name="confirm_email", tags=["users"], responses=errors(403, 409))
def confirm_email(body: ConfirmEmailIn, caller: CurrentCaller) -> UserOut:
    with unit_of_work(caller) as session:
        return UserOut.of(users.confirm_email(session=session, caller=caller, email=body.email,
                                              otp=body.otp))
