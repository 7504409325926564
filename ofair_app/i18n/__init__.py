"""Message catalogs (he/en). Hebrew is the default; every user-facing string lives here.

The catalogs are JSON files beside this module, one flat key space shared by the UI, the API's
error messages and message templates. `translate("errors.not_found", "en")` returns the English
text; a missing key in a locale falls back to Hebrew, then to the key itself (and a test keeps
the two catalogs' keys identical, so that fallback never shows in practice).

Counts agree with their noun through CLDR's plural rules (Babel): a counted phrase is a family
of keys, one per plural category of the language, `<key>.one`, `<key>.two` (Hebrew), `<key>.other`
(and optionally `<key>.zero`, preferred for 0 when present: "no offers yet" reads better than
"0 offers"). `plural("ui.count.proposals", 2, "he")` picks the form and fills `{count}`. Three
parameters are durations everywhere (`seconds`, `minutes`, `days`): `translate` writes an integer
one through its `units.<name>` family ("בעוד דקה אחת", "in 2 minutes"), so a message says
"{minutes}", never "{minutes} דקות". Message templates use the same `plural`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from babel import Locale as CldrLocale
from babel.numbers import format_decimal

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
            return code
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


PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")
UNITS = ("seconds", "minutes", "days")  # parameters written with their unit, in agreement


@cache
def _plural_rule(locale: str):
    return CldrLocale.parse(_CLDR[normalize_locale(locale)]).plural_form


_CLDR = {"he": "he_IL", "en": "en_IL"}


def _lookup(key: str, locale: str) -> str | None:
    return catalog(normalize_locale(locale)).get(key) or catalog(DEFAULT_LOCALE).get(key)


def plural_category(count: int, locale: str | None) -> str:
    """CLDR's plural category of `count` in `locale` (he: one, two, other; en: one, other)."""
    return _plural_rule(normalize_locale(locale))(abs(count))


def plural(key: str, count: int, locale: str | None = None, **params: object) -> str:
    """The form of the counted phrase `key` that agrees with `count` in `locale`, with
    `{count}` (written the locale's way: 1,250) and any other `params` filled in."""
    locale = normalize_locale(locale)
    forms = [f"{key}.zero"] if count == 0 else []
    forms += [f"{key}.{plural_category(count, locale)}", f"{key}.other"]
    text = next((found for form in forms if (found := _lookup(form, locale))), key)
    number = format_decimal(count, locale=_CLDR[locale])
    return text.format(count=number, **params)


def translate(key: str, locale: str | None = None, **params: object) -> str:
    """The text of `key` in `locale`, with `{name}` placeholders filled from `params`; an
    integer `seconds`, `minutes` or `days` is written with its unit, in agreement."""
    text = _lookup(key, locale or DEFAULT_LOCALE) or key
    if not params:
        return text
    for name in UNITS:
        value = params.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            params[name] = plural(f"units.{name}", value, locale)
    return text.format(**params)


def money(amount: Decimal | None, locale: str) -> str:
    """`₪1,250` (agorot only when there are any); empty for no amount."""
    return "" if amount is None else _money(amount, locale)


@lru_cache(maxsize=1024)
def _money(amount: Decimal, locale: str) -> str:
    """`money`, once per amount and language: pages and batches of messages show the same
    amounts over and over, and Babel takes a tenth of a millisecond each time. (Equal decimals
    share an entry: `1250` and `1250.00` both read `₪1,250`.)"""
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    number = format_decimal(amount, format=pattern, locale="he_IL" if locale == "he" else "en_IL")
    return f"₪{number}"
