"""The errors a user or client can cause, each with a code, an HTTP status and a message key.

Services raise these; the API turns them into the error envelope of DESIGN.md §5 and the UI shows
the translated message. Anything else that escapes is a bug and answers 500 without details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")


class AppError(Exception):
    """Base of every expected failure. `fields` maps an input field to a message key, and
    `field_params` a field to the values its message names (`{"min": 10}`), so a person reads
    the limit they missed. A field without its own params takes the error's `params` (the
    usual case of one bad field: `InvalidInput(fields={f: key}, params={"min": 10})`)."""

    status: int = 400
    code: str = "bad_request"
    message_key: str = "errors.bad_request"
    # Most failures change nothing. A few must keep what the unit of work wrote before raising
    # (a wrong OTP still counts as an attempt); `unit_of_work` commits those, then re-raises.
    keep_changes: bool = False

    def __init__(self, message_key: str | None = None, *, fields: Mapping[str, str] | None = None,
                 params: Mapping[str, object] | None = None, code: str | None = None,
                 keep_changes: bool | None = None,
                 field_params: Mapping[str, Mapping[str, object]] | None = None,
                 extra: Mapping[str, object] | None = None) -> None:
        self.message_key = message_key or self.message_key
        # More facts for a client, beside `code` in the envelope (a duplicate check-in says
        # when it was first made, and by whom).
        self.extra = dict(extra or {})
        self.fields = dict(fields or {})
        self.params = dict(params or {})
        given = field_params or {}
        self.field_params = {name: dict(given.get(name, self.params)) for name in self.fields}
        if code is not None:
            self.code = code
        if keep_changes is not None:
            self.keep_changes = keep_changes
        super().__init__(self.message_key)


class InvalidInput(AppError):
    status, code, message_key = 422, "validation_error", "errors.validation"


class FieldErrors:
    """Every bad field of one input, collected before anything is refused, so a form names
    them all at once (each with its own limits) instead of one per submit.

        errors = FieldErrors()
        title = errors.check(clean_title, data.title)   # None when refused
        errors.require(data.phone, "phone")
        errors.raise_if_any()                            # one InvalidInput with all of them
    """

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.params: dict[str, dict[str, object]] = {}

    def add(self, field: str, key: str, **params: object) -> None:
        """Name `field` as bad with message `key` (the first reason for a field stays)."""
        if field not in self.fields:
            self.fields[field] = key
            self.params[field] = dict(params)

    def merge(self, error: AppError) -> None:
        for name, key in error.fields.items():
            self.add(name, key, **error.field_params.get(name, {}))

    def check(self, check: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        """`check(*args, **kwargs)`, or None with its refused fields collected."""
        try:
            return check(*args, **kwargs)
        except InvalidInput as error:
            self.merge(error)
            return None

    __call__ = check

    def require(self, value: object, field: str) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(field, "errors.field.required")

    def __bool__(self) -> bool:
        return bool(self.fields)

    def __contains__(self, field: str) -> bool:
        return field in self.fields

    def error(self) -> InvalidInput:
        return InvalidInput(fields=self.fields, field_params=self.params)

    def raise_if_any(self) -> None:
        if self.fields:
            raise self.error()

    done = raise_if_any


class Unauthenticated(AppError):
    status, code, message_key = 401, "unauthenticated", "errors.unauthenticated"


class Forbidden(AppError):
    status, code, message_key = 403, "forbidden", "errors.forbidden"


class NotFound(AppError):
    status, code, message_key = 404, "not_found", "errors.not_found"


class Conflict(AppError):
    status, code, message_key = 409, "conflict", "errors.conflict"


class RateLimited(AppError):
    status, code, message_key = 429, "rate_limited", "errors.rate_limited"

    def __init__(self, retry_after_seconds: int, message_key: str | None = None, *,
                 code: str | None = None, keep_changes: bool | None = None) -> None:
        self.retry_after_seconds = max(1, int(retry_after_seconds))
        super().__init__(message_key, params={"seconds": self.retry_after_seconds}, code=code,
                         keep_changes=keep_changes)


class ServiceUnavailable(AppError):
    status, code, message_key = 503, "service_unavailable", "errors.service_unavailable"
