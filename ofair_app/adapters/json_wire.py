"""JSON for providers' APIs with money as exact decimal numbers.

`json` knows no `Decimal`, and money never passes through a float on its way out: each amount
is written as the decimal number it is (`12345.67`, not `"12345.67"` and not a float's
digits). Used by the Cardcom and Tax Authority adapters.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def dumps(body: dict[str, Any]) -> str:
    """The JSON text of `body`, `Decimal` values as exact numbers; anything else `json` cannot
    write is a `TypeError`."""
    numbers: dict[str, str] = {}

    def placeholder(value: object) -> str:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"not JSON: {type(value).__name__}")
        token = f"\x00{len(numbers)}\x00"
        numbers[json.dumps(token, ensure_ascii=False)] = format(value, "f")
        return token

    text = json.dumps(body, default=placeholder, ensure_ascii=False)
    for token, number in numbers.items():
        text = text.replace(token, number)
    return text
