"""`/auth`: one-time codes by phone or e-mail, bearer tokens, revocation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from ofair_app.api.deps import ClientIp, CurrentCaller, RequestLocale, bearer_token
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import UserOut
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.consent import Acceptance, ConsentChannel
from ofair_app.domain.inputs import PlainText
from ofair_app.models._base import utcnow
from ofair_app.services import auth

router = APIRouter(prefix="/auth", route_class=ExactJsonRoute)


class SendOtpIn(BaseModel):
    phone: PlainText | None = Field(default=None, max_length=32)
    email: PlainText | None = Field(default=None, max_length=254)


class SendOtpOut(BaseModel):
    target: str
    channel: str
    expires_at: datetime
    resend_after_seconds: int


class VerifyOtpIn(SendOtpIn):
    otp: PlainText = Field(max_length=12)
    # A new account needs both (the versions the person was shown: the current ones).
    privacy_notice_version: PlainText | None = Field(
        default=None, max_length=32,
        description="The privacy notice version the person acknowledged; required for a new "
                    "account (see GET /users/me/consents or /privacy for the current one).")
    accept_terms_version: PlainText | None = Field(
        default=None, max_length=32,
        description="The terms of service version the person accepted; required for a new "
                    "account.")
    marketing_opt_in: bool | None = Field(
        default=None, description="Marketing messages: true only if the person ticked it.")


class TokenOut(BaseModel):
    token: str
    expires_at: datetime
    user: UserOut


@router.post("/send-otp", status_code=202, response_model=SendOtpOut,
             name="send_otp", tags=["auth"], responses=errors(429))
def send_otp(body: SendOtpIn, locale: RequestLocale, ip: ClientIp) -> SendOtpOut:
    """Send a 6-digit code (valid 5 minutes). 422 for a malformed or non-mobile number; 429
    with Retry-After past 1 code a minute, 5 an hour or 10 a day for one target, past
    OTP_IP_HOURLY_LIMIT codes an hour from one network, or past OTP_GLOBAL_HOURLY_LIMIT text
    messages an hour in all."""
    with unit_of_work(SYSTEM) as session:
        sent = auth.send_login_code(session=session, ip=ip, phone=body.phone,
                                    email=body.email, locale=locale)
    return SendOtpOut(target=sent.target.value, channel=sent.target.channel,
                      expires_at=sent.expires_at,
                      resend_after_seconds=max(0, int((sent.resend_at - utcnow())
                                                      .total_seconds())))


@router.post("/verify-otp", response_model=TokenOut,
             name="verify_otp", tags=["auth"], responses=errors(401, 403))
def verify_otp(body: VerifyOtpIn, request: Request, locale: RequestLocale,
               ip: ClientIp) -> TokenOut:
    """Exchange a code for a bearer token; the account is created on first login. 401 for a
    wrong, expired or used code; after 5 wrong tries the code is dead. A first login must name
    the current `privacy_notice_version` and `accept_terms_version` (422 `consent_required`,
    naming them, otherwise; the code stays valid for a retry)."""
    acceptance = None
    if (body.privacy_notice_version, body.accept_terms_version,
            body.marketing_opt_in) != (None, None, None):
        acceptance = Acceptance(privacy_notice_version=body.privacy_notice_version,
                                terms_version=body.accept_terms_version,
                                marketing=body.marketing_opt_in)
    with unit_of_work(SYSTEM) as session:
        login = auth.verify_login_code(session=session, phone=body.phone, email=body.email,
                                       otp=body.otp, locale=locale, ip=ip,
                                       user_agent=request.headers.get("user-agent", ""),
                                       acceptance=acceptance, channel=ConsentChannel.api)
    return TokenOut(token=login.token, expires_at=login.expires_at, user=UserOut.of(login.user))


@router.post("/revoke", status_code=204,
             name="revoke", tags=["auth"])
def revoke(caller: CurrentCaller, token: Annotated[str, Depends(bearer_token)]) -> Response:
    """End this token's session; the token answers 401 from then on."""
    with unit_of_work(caller) as session:
        auth.revoke_token(session=session, token=token)
    return Response(status_code=204)
