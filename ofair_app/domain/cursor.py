"""Opaque page cursors for keyset pagination, one codec for every list.

A cursor is the position after the last row of a page (its sort key), written as base64url of
a small JSON object that names which list it belongs to. Clients treat it as opaque; when one
comes back it is decoded strictly against the list's key shape, so a forged, truncated or
foreign cursor is a 422 on the `cursor` field and never reaches a query (where an out-of-range
number or a malformed date would fail as a 500).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from ofair_app.domain.errors import InvalidInput

CURSOR_MAX_LENGTH = 400


class CursorCodec:
    """The cursors of one list: `kind` tells lists apart, `key` is the sort key's types (a
    tuple type, its items bounded as the columns they are compared with)."""

    def __init__(self, kind: str, key: Any) -> None:
        self.kind = kind
        self._key = TypeAdapter(key)

    def encode(self, values: Sequence[object]) -> str:
        raw = json.dumps({"k": self.kind, "v": to_jsonable_python(list(values))},
                         separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> Any:
        """The sort key a cursor names; `InvalidInput` on `cursor` for anything else."""
        try:
            if len(cursor) > CURSOR_MAX_LENGTH or not cursor.isascii():
                raise ValueError("not a cursor")
            padded = cursor + "=" * (-len(cursor) % 4)
            document = json.loads(base64.b64decode(padded, altchars=b"-_", validate=True))
            if not isinstance(document, dict) or document.get("k") != self.kind:
                raise ValueError("another list's cursor")
            return self._key.validate_python(document.get("v"))
        except (ValueError, TypeError, binascii.Error, ValidationError, RecursionError):
            raise InvalidInput(fields={"cursor": "errors.field.cursor"}) from None
