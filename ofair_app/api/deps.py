"""Who is calling: the bearer token, resolved to a `Caller` for the request's unit of work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.domain.errors import Forbidden, Unauthenticated
from ofair_app.i18n import Locale, negotiate_locale
from ofair_app.services import auth

_bearer = HTTPBearer(auto_error=False, description="An opaque token from /auth/verify-otp")


def optional_caller(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Anonymous without a token; a token that is unknown, expired or revoked is refused (401),
    never silently downgraded, so a client learns its session ended."""
    if credentials is None:
        return ANONYMOUS
    with unit_of_work(SYSTEM) as session:
        caller = auth.resolve_token(session=session, token=credentials.credentials)
    if caller is None:
        raise Unauthenticated("errors.auth.token_invalid", code="token_invalid")
    return caller


def current_caller(caller: Annotated[Caller, Depends(optional_caller)]) -> Caller:
    if caller.user_id is None:
        raise Unauthenticated()
    return caller


def admin_caller(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if caller.role != "admin":
        raise Forbidden("errors.admin_only")
    return caller


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise Unauthenticated()
    return credentials.credentials


def request_locale(request: Request) -> Locale:
    return negotiate_locale(request.headers.get("accept-language"))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


OptionalCaller = Annotated[Caller, Depends(optional_caller)]
CurrentCaller = Annotated[Caller, Depends(current_caller)]
AdminCaller = Annotated[Caller, Depends(admin_caller)]
RequestLocale = Annotated[Locale, Depends(request_locale)]
ClientIp = Annotated[str, Depends(client_ip)]
