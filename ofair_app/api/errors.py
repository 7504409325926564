"""The error envelope of DESIGN.md §5 for every error the API can answer.

`{"error": {"code": "...", "message": "...", "fields": {...}}}` — the message in the caller's
language (Accept-Language, Hebrew by default), `fields` naming each bad input. Validation errors
(422), unknown routes (404), wrong methods (405) and unexpected failures (500, no details) all
answer in this shape. A 429 also carries `retry_after` (seconds) beside the `Retry-After` header.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ofair_app.domain.errors import AppError, FieldErrors, RateLimited
from ofair_app.domain.inputs import field_message
from ofair_app.i18n import negotiate_locale, translate

logger = logging.getLogger(__name__)

_STATUS_CODES = {
    400: ("bad_request", "errors.bad_request"),
    401: ("unauthenticated", "errors.unauthenticated"),
    403: ("forbidden", "errors.forbidden"),
    404: ("not_found", "errors.not_found"),
    405: ("method_not_allowed", "errors.method_not_allowed"),
    409: ("conflict", "errors.conflict"),
    413: ("payload_too_large", "errors.payload_too_large"),
    422: ("validation_error", "errors.validation"),
    429: ("rate_limited", "errors.rate_limited"),
    503: ("service_unavailable", "errors.service_unavailable"),
}



def error_response(request: Request, status: int, code: str, message_key: str, *,
                   fields: dict[str, str] | None = None, params: dict | None = None,
                   field_params: dict[str, dict] | None = None,
                   headers: Mapping[str, str] | None = None,
                   retry_after: int | None = None,
                   extra: dict | None = None) -> JSONResponse:
    locale = negotiate_locale(request.headers.get("accept-language"))
    each = field_params or {}
    body: dict = {"error": {
        "code": code,
        "message": translate(message_key, locale, **(params or {})),
        "fields": {name: translate(key, locale, **each.get(name, {}))
                   for name, key in (fields or {}).items()},
    }}
    if retry_after is not None:  # a 429 says when, in the header and in the envelope
        body["error"]["retry_after"] = retry_after
    for key, value in (extra or {}).items():
        body["error"].setdefault(key, value)
    return JSONResponse(body, status_code=status, headers=headers)


def _field_name(loc: tuple) -> str:
    # ("body", "phone") → "phone"; ("query", "limit") → "limit"; nested → "items.0.price"
    sources = {"body", "query", "path", "header"}
    parts = [str(p) for p in (loc[1:] if loc and loc[0] in sources else loc)]
    return ".".join(parts) or "body"


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    headers, retry_after = None, None
    if isinstance(exc, RateLimited):
        retry_after = exc.retry_after_seconds
        headers = {"Retry-After": str(retry_after)}
    return error_response(request, exc.status, exc.code, exc.message_key, fields=exc.fields,
                          params=exc.params, field_params=exc.field_params, headers=headers,
                          retry_after=retry_after, extra=exc.extra)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    fields = FieldErrors()
    for error in exc.errors():
        if error.get("type") == "json_invalid":  # its loc is a character position
            fields.add("body", "errors.field.json")
            continue
        key, params = field_message(error)
        fields.add(_field_name(tuple(error.get("loc", ()))), key, **params)
    return error_response(request, 422, "validation_error", "errors.validation",
                          fields=fields.fields, field_params=fields.params)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400:
        # Only the framework raises a bare 400 (our own are `AppError`s): a body it could not
        # read (not UTF-8, a broken multipart form). As invalid an input as JSON that is not.
        return error_response(request, 422, "validation_error", "errors.validation",
                              fields={"body": "errors.field.json"})
    code, key = _STATUS_CODES.get(exc.status_code, ("error", "errors.bad_request"))
    return error_response(request, exc.status_code, code, key, headers=exc.headers)


async def _data_error(request: Request, exc: DataError) -> JSONResponse:
    # A safety net, not the way inputs are checked (the types of `domain.inputs` refuse them at
    # the door): a value the database could not take is still the client's input, never a 500.
    logger.warning("database refused a value on %s %s: %s", request.method, request.url.path,
                   str(exc.orig).splitlines()[0] if exc.orig else exc)
    return error_response(request, 422, "validation_error", "errors.validation")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "internal_error", "errors.internal")


def install_error_handlers(api: FastAPI) -> None:
    # FastAPI's `exception_handler` decorator registers exactly as `add_exception_handler` does,
    # but takes a handler of one exception class: Starlette types every handler as taking the
    # base `Exception` (not generic in it, Kludex/starlette#2403), which such a handler cannot be.
    api.exception_handler(AppError)(_app_error)
    api.exception_handler(RequestValidationError)(_validation_error)
    api.exception_handler(StarletteHTTPException)(_http_error)
    api.exception_handler(DataError)(_data_error)
    api.add_exception_handler(Exception, _unexpected)
