"""The errors a user or client can cause, each with a code, an HTTP status and a message key.

Services raise these; the API turns them into the error envelope of DESIGN.md §5 and the UI shows
the translated message. Anything else that escapes is a bug and answers 500 without details.
"""

from __future__ import annotations

from collections.abc import Mapping


class AppError(Exception):
    """Base of every expected failure. `fields` maps an input field to a message key."""

    status: int = 400
    code: str = "bad_request"
    message_key: str = "errors.bad_request"
    # Most failures change nothing. A few must keep what the unit of work wrote before raising
    # (a wrong OTP still counts as an attempt); `unit_of_work` commits those, then re-raises.
    keep_changes: bool = False

    def __init__(self, message_key: str | None = None, *, fields: Mapping[str, str] | None = None,
                 params: Mapping[str, object] | None = None, code: str | None = None,
                 keep_changes: bool | None = None) -> None:
        self.message_key = message_key or self.message_key
        self.fields = dict(fields or {})
        self.params = dict(params or {})
        if code is not None:
            self.code = code
        if keep_changes is not None:
            self.keep_changes = keep_changes
        super().__init__(self.message_key)


class InvalidInput(AppError):
    status, code, message_key = 422, "validation_error", "errors.validation"


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
