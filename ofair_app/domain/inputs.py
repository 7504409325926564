"""Bounded input types for everything a client sends: text, whole numbers, places.

Every body field, query and form parameter of the API is one of these (amounts are
`models._base.Money` and `Percent`: exact decimals), so a value that no column or rule could
hold is refused at the door with a 422 naming the field, never carried to the database to fail
there as a 500 (an integer past `int4`, a NUL byte that PostgreSQL cannot store, a lone
surrogate that is not UTF-8, an infinite coordinate). The services still apply the business
rules (a budget's range, a title's length, markup): these types only guarantee that a value is
something those rules can judge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from ofair_app.domain.errors import FieldErrors, InvalidInput

INT4_MAX = 2**31 - 1  # PostgreSQL `integer`
# Characters no text of ours may hold. Cc: C0/C1 controls (NUL among them), DEL; Cs: lone
# surrogates, which JSON can spell (`"\ud800"`) but UTF-8 and PostgreSQL cannot. As character
# classes (the Unicode categories are fixed ranges), so a long text is checked in C.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# The same, less the line break, carriage return and tab a multiline text may hold.
_REFUSED_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """Whether a text holds a character no text of ours may (a line break or tab is allowed
    only in a multiline text)."""
    return (_REFUSED_MULTILINE if multiline else _REFUSED).search(value) is not None


def _check_text(value: str, multiline: bool) -> str:
    if has_control_characters(value, multiline=multiline):
        raise PydanticCustomError("text_control", "the text holds a control character")
    return value


def refuse_control_characters(value: str) -> str:
    """One line of text: no control character at all (a tab or newline included)."""
    return _check_text(value, multiline=False)


def refuse_control_characters_multiline(value: str) -> str:
    """A text of several lines: line breaks and tabs are fine, other controls are not."""
    return _check_text(value, multiline=True)


# One line of text (names, titles, slugs, search words, codes). Give it a `max_length`.
PlainText = Annotated[str, AfterValidator(refuse_control_characters)]
# A text that may span lines (descriptions, messages, notes). Give it a `max_length`.
MultilineText = Annotated[str, AfterValidator(refuse_control_characters_multiline)]
# An id of an `integer` column (localities), as a client names it.
IntId = Annotated[int, Field(ge=1, le=INT4_MAX)]
# A small whole number of an `integer` column (radius in km, months, counts).
Int4 = Annotated[int, Field(ge=-INT4_MAX - 1, le=INT4_MAX)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
# A reference slug (a category, a subcategory) as an item of a list.
Slug = Annotated[PlainText, Field(max_length=64)]
# A short tag a business describes itself with, as an item of a list.
Tag = Annotated[PlainText, Field(max_length=80)]


def date_from_parts(day: str, month: str, year: str, *, field: str) -> date | None:
    """A date picked as day, month and year (the app's date picker: three lists, so it reads
    `dd/mm/yyyy` in either language and never shows the browser's `mm/dd/yyyy`). None when
    all three are blank; a partial or impossible date (31 February) is refused on `field`."""
    parts = (day.strip(), month.strip(), year.strip())
    if not any(parts):
        return None
    if not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts):
        raise InvalidInput(fields={field: "errors.field.date"})
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        raise InvalidInput(fields={field: "errors.field.date"}) from None


# pydantic error types → the catalog key that explains them to a person.
FIELD_MESSAGES = {
    "missing": "errors.field.required",
    "string_too_short": "errors.field.too_short",
    "too_short": "errors.field.too_short",
    "string_too_long": "errors.field.too_long",
    "too_long": "errors.field.too_long",
    "greater_than": "errors.field.too_small",
    "greater_than_equal": "errors.field.too_small",
    "less_than": "errors.field.too_large",
    "less_than_equal": "errors.field.too_large",
    "literal_error": "errors.field.choice",
    "enum": "errors.field.choice",
    "json_invalid": "errors.field.json",
    "model_attributes_type": "errors.field.type",
    "dict_type": "errors.field.type",
    "money": "errors.field.money",  # models._base.Money
    "percent": "errors.field.percent",  # models._base.Percent
    "decimal_parsing": "errors.field.money",
    "decimal_type": "errors.field.money",
    "decimal_max_places": "errors.field.money",
    "decimal_max_digits": "errors.field.money",
    "finite_number": "errors.field.number",
    "float_parsing": "errors.field.number",
    "float_type": "errors.field.number",
    "int_parsing": "errors.field.number",
    "int_type": "errors.field.number",
    "bool_parsing": "errors.field.choice",
    "date_parsing": "errors.field.date",
    "date_from_datetime_parsing": "errors.field.date",
    "date_type": "errors.field.date",
    "uuid_parsing": "errors.field.invalid",
    "text_control": "errors.text.control",
}


# pydantic error types whose limit (in the error's `ctx`) the message names, by the catalog
# key that says it and that key's placeholder.
_LIMITED_MESSAGES = {
    "string_too_short": ("errors.field.min_length", "min", "min_length"),
    "too_short": ("errors.field.min_items", "min", "min_length"),
    "string_too_long": ("errors.field.max_length", "max", "max_length"),
    "too_long": ("errors.field.max_items", "max", "max_length"),
    "greater_than_equal": ("errors.field.min_value", "min", "ge"),
    "greater_than": ("errors.field.above_value", "min", "gt"),
    "less_than_equal": ("errors.field.max_value", "max", "le"),
    "less_than": ("errors.field.below_value", "max", "lt"),
}


def field_message(item: Mapping[str, Any]) -> tuple[str, dict[str, object]]:
    """The catalog key and its params for one pydantic error: the limit a person missed
    (`at least 10 characters`) when the error carries it, a plain reason otherwise."""
    kind = str(item.get("type", ""))
    limited = _LIMITED_MESSAGES.get(kind)
    ctx = item.get("ctx") or {}
    if limited is not None and limited[2] in ctx:
        key, placeholder, source = limited
        return key, {placeholder: ctx[source]}
    return FIELD_MESSAGES.get(kind, "errors.field.invalid"), {}


def invalid_input(error: ValidationError) -> InvalidInput:
    """The `InvalidInput` (422) that names each field a pydantic validation refused, for doors
    that build an input model themselves (the UI) rather than through FastAPI."""
    errors = FieldErrors()
    for item in error.errors():
        name = ".".join(str(part) for part in item.get("loc", ())) or "body"
        key, params = field_message(item)
        errors.add(name, key, **params)
    return errors.error()
