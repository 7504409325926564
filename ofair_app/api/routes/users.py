"""`/users/me`: the caller's own profile, and their rights over their data (a download of
everything, closing the account)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ofair_app.api.deps import ClientIp, CurrentCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import UserOut
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.inputs import PlainText
from ofair_app.models import ExportStatus
from ofair_app.services import privacy, users

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


class PhoneChangeIn(BaseModel):
    phone: PlainText = Field(max_length=40)


class PhoneChangeOut(BaseModel):
    # False when the number already was the account's (nothing was sent).
    code_sent: bool
    pending_phone: str | None = None
    expires_at: datetime | None = None


class ConfirmPhoneIn(BaseModel):
    phone: PlainText = Field(max_length=40)
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


@router.post("/me/phone", status_code=202, response_model=PhoneChangeOut,
             name="change_phone", tags=["users"], responses=errors(403, 429))
def change_phone(body: PhoneChangeIn, caller: CurrentCaller) -> PhoneChangeOut:
    """Correct your phone number: a code goes to the new (mobile) number, which becomes your
    login once confirmed with `POST /users/me/confirm-phone`."""
    with unit_of_work(caller) as session:
        sent = users.request_phone_change(session=session, caller=caller, phone=body.phone)
    if sent is None:
        return PhoneChangeOut(code_sent=False)
    return PhoneChangeOut(code_sent=True, pending_phone=sent.target.value,
                          expires_at=sent.expires_at)


@router.post("/me/confirm-phone", response_model=UserOut,
             name="confirm_phone", tags=["users"], responses=errors(403, 409))
def confirm_phone(body: ConfirmPhoneIn, caller: CurrentCaller) -> UserOut:
    with unit_of_work(caller) as session:
        return UserOut.of(users.confirm_phone(session=session, caller=caller, phone=body.phone,
                                              otp=body.otp))


class ExportOut(BaseModel):
    """A "download all my data" request. `download_url` is there only while the archive is
    ready: a link valid for five minutes (ask again for a fresh one) until `expires_at`."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: ExportStatus
    requested_at: datetime | None
    ready_at: datetime | None
    expires_at: datetime | None
    download_url: str | None = None


class CloseIn(BaseModel):
    # The account's phone number (any spelling) or e-mail address, typed to confirm.
    confirmation: PlainText = Field(max_length=254)


class ClosedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: uuid.UUID
    cancelled_leads: int
    withdrawn_proposals: int
    closed_businesses: int


@router.post("/me/export", status_code=202, response_model=ExportOut,
             name="export_request", tags=["users"], responses=errors(403, 429))
def request_export(caller: CurrentCaller, ip: ClientIp) -> ExportOut:
    """Ask for an archive of all your personal data (a ZIP: `data.json` and one CSV per table,
    with your files), built in the background. 429 with Retry-After while an earlier one is
    being prepared, or past PERSONAL_DATA_EXPORTS_PER_DAY requests in 24 hours."""
    with unit_of_work(caller) as session:
        return ExportOut.model_validate(privacy.request_export(session=session, caller=caller,
                                                               ip=ip))


@router.get("/me/export/{export_id}", response_model=ExportOut,
            name="export_status", tags=["users"], responses=errors(403, 404))
def export_status(export_id: uuid.UUID, caller: CurrentCaller, ip: ClientIp) -> ExportOut:
    """Where your export stands; when ready, a short-lived download link. Another person's
    export is 404."""
    with unit_of_work(caller) as session:
        return ExportOut.model_validate(privacy.export_status(
            session=session, caller=caller, export_id=export_id, ip=ip))


@router.post("/me/close", response_model=ClosedOut,
             name="close", tags=["users"], responses=errors(403, 409))
def close_account(body: CloseIn, caller: CurrentCaller) -> ClosedOut:
    """Close your account for good: your personal data is erased or anonymised, every session
    ends (this token included), and what the law keeps (payments, the ledger, payouts, the log
    of who saw contact details) stays without your details. Confirm with the account's phone or
    e-mail (422 on `confirmation`). 409 `account_has_obligations`, with one `fields` entry per
    thing to settle first (a lead in progress, held money, an open dispute, a business's job or
    balance, the last owner of a team)."""
    with unit_of_work(caller) as session:
        return ClosedOut.model_validate(privacy.close_account(
            session=session, caller=caller, confirmation=body.confirmation))
