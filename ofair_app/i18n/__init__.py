"""Message catalogs (he/en). Hebrew is the default; every user-facing string lives here.

The catalogs are JSON files beside this module, one flat key space shared by the UI, the API's
error messages and message templates. `translate("errors.not_found", "en")` returns the English
text; a missing key in a locale falls back to Hebrew, then to the key itself (and a test keeps
the two catalogs' keys identical, so that fallback never shows in practice).
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

Locale = Literal["he", "en"]
LOCALES: tuple[Locale, ...] = ("he", "en")
DEFAULT_LOCALE: Locale = "he"
DIRECTION: dict[str, str] = {"he": "rtl", "en": "ltr"}

_HERE = Path(__file__).parent


@cache
def catalog(locale: str) -> dict[str, str]:
    """The flat key → text map of one locale."""
    return json.loads((_HERE / f"{locale}.json").read_text(encoding="utf-8"))


def normalize_locale(value: str | None) -> Locale:
    """A supported locale from anything a client sends (`en-US`, `HE`, None …)."""
    if value:
        code = value.strip().lower()[:2]
        if code in LOCALES:
            return code  # type: ignore[return-value]
    return DEFAULT_LOCALE


def negotiate_locale(accept_language: str | None) -> Locale:
    """Pick he or en from an Accept-Language header, honouring q-values; Hebrew by default."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().lower()[:2]
        if code in LOCALES and quality > 0:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE  # type: ignore[return-value]


def translate(key: str, locale: str | None = None, **params: object) -> str:
    """The text of `key` in `locale`, with `{name}` placeholders filled from `params`."""
    text = catalog(normalize_locale(locale)).get(key) or catalog(DEFAULT_LOCALE).get(key) or key
    return text.format(**params) if params else text


def money(amount: Decimal | None, locale: str) -> str:
    """`₪1,250` (agorot only when there are any); empty for no amount."""
    from babel.numbers import format_decimal

    if amount is None:
        return ""
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    number = format_decimal(amount, format=pattern, locale="he_IL" if locale == "he" else "en_IL")
    return f"₪{number}"
