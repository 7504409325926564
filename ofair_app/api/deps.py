"""Who is calling: the bearer token, resolved to a `Caller` for the request's unit of work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.domain.errors import Forbidden, Unauthenticated
from ofair_app.i18n import Locale, negotiate_locale
from ofair_app.observability import context
from ofair_app.services import auth
from ofair_app.settings import get_settings
from ofair_app.web.security import SESSION_COOKIE

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
    context.set_caller(caller.user_id, caller.role)  # on every log line of the request
    return caller


def current_caller(caller: Annotated[Caller, Depends(optional_caller)]) -> Caller:
    if caller.user_id is None:
        raise Unauthenticated()
    return caller


def admin_caller(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if caller.role != "admin":
        raise Forbidden("errors.admin_only")
    return caller


def download_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """An admin, by bearer token or, for a download started from an admin page (a link sends
    no header), by the pages' sign-in cookie. Only for GET routes that change nothing: another
    site may make a browser fetch them, but may never read the answer."""
    token = (credentials.credentials if credentials is not None
             else request.cookies.get(SESSION_COOKIE))
    if not token:
        raise Unauthenticated()
    with unit_of_work(SYSTEM) as session:
        caller = auth.resolve_token(session=session, token=token)
    if caller is None:
        raise Unauthenticated("errors.auth.token_invalid", code="token_invalid")
    context.set_caller(caller.user_id, caller.role)
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
    """The caller's address: the connection's, or behind OFAIR_TRUSTED_PROXY_HOPS proxies the
    address that many hops back in X-Forwarded-For (as Reflex reads it for the UI). A client
    may write anything in that header; only the entries our own proxies appended count."""
    hops = get_settings().ofair_trusted_proxy_hops
    if hops:
        forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",")
                     if ip.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return (request.client.host if request.client else "")[:64]


OptionalCaller = Annotated[Caller, Depends(optional_caller)]
CurrentCaller = Annotated[Caller, Depends(current_caller)]
AdminCaller = Annotated[Caller, Depends(admin_caller)]
DownloadAdmin = Annotated[Caller, Depends(download_admin)]
RequestLocale = Annotated[Locale, Depends(request_locale)]
ClientIp = Annotated[str, Depends(client_ip)]
