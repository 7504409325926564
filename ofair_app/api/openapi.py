"""What the OpenAPI document says about errors and operation ids, so a generated client is
pleasant: short stable ids (`leads-create`) and every error an operation can answer described
with the envelope the API really sends.

Routes declare the errors that depend on what they do (`responses=errors(403, 404, 409)`); the
ones that follow from an operation's shape are added to every operation when the document is
built: 422 for any input, 413 for a body, 401 for any bearer-token operation (a bad token is
refused even where none is needed). FastAPI's own `HTTPValidationError` 422 is replaced by the
envelope, because that is what a 422 carries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

ERROR_DESCRIPTIONS = {
    400: "The request cannot be read (a provider event that is not signed or not well formed).",
    401: "No valid bearer token: missing, unknown, expired or revoked.",
    403: "The caller may not do this.",
    404: "No such item (or not one the caller may see).",
    402: "Payment is needed: the card was declined, or the business has an overdue statement.",
    409: "The item is not in a state that allows this.",
    413: "The request body is too large.",
    422: "An input is not valid; `fields` names each bad one.",
    429: "Too many requests; try again after `Retry-After` seconds.",
    503: "The payment provider cannot be reached; nothing changed, try again later.",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable machine code, e.g. `validation_error`, `not_found`.")
    message: str = Field(description="A sentence for a person, in the Accept-Language language.")
    fields: dict[str, str] = Field(
        description="Each bad input (`title`, `items.0.price`) and what is wrong with it.")
    retry_after: int | None = Field(
        default=None, description="On a 429 only: seconds to wait, as in `Retry-After`.")
    checked_in_at: datetime | None = Field(
        default=None, description="On a 409 `already_checked_in` only (the duplicate-scan "
                                  "contract): when the first check-in was made.")
    checked_in_by: str | None = Field(
        default=None, description="On a 409 `already_checked_in` only: who made it.")


class ErrorEnvelope(BaseModel):
    """Every error the API answers: `{"error": {"code", "message", "fields"}}`."""

    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route for the errors it can answer besides those every operation of
    its shape can (see the module's docstring)."""
    return {status: _error_response(status) for status in statuses}


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"model": ErrorEnvelope,
                                "description": ERROR_DESCRIPTIONS[status]}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait.",
                                               "schema": {"type": "integer"}}}
    return response


def operation_id(route: APIRoute) -> str:
    """`<tag>-<route name>`: `leads-create`, `proposals-accept`. Stable across path changes."""
    tag = str(route.tags[0]) if route.tags else "api"
    return f"{tag}-{route.name}"


_REF = "#/components/schemas/"


def _schema_of(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": f"{_REF}ErrorEnvelope"}}},
    }
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait.",
                                               "schema": {"type": "integer"}}}
    return response


def _document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    envelope = ErrorEnvelope.model_json_schema(ref_template=f"{_REF}{{model}}")
    components.update(envelope.pop("$defs", {}))
    components["ErrorEnvelope"] = envelope
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            shaped = set()
            if operation.get("parameters") or operation.get("requestBody"):
                shaped.add(422)
            if operation.get("requestBody"):
                shaped.add(413)
            if operation.get("security"):
                shaped.add(401)
            if "422" in responses:  # FastAPI's own `HTTPValidationError`: not what we send
                shaped.add(422)
            for status in shaped:
                responses[str(status)] = _schema_of(status)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install_openapi(api: FastAPI) -> None:
    """Document the errors in the schema FastAPI builds (once per build)."""
    build = api.openapi
    documented: list[int] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if id(schema) not in documented:
            _document_errors(schema)
            documented[:] = [id(schema)]
        return schema

    api.openapi = openapi  # type: ignore[method-assign]
