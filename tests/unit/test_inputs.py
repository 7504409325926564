"""The door's input types and the page cursor codec: what they let through and what they
refuse, and that an input model built by hand (as the UI does) refuses with `InvalidInput`."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import AwareDatetime, TypeAdapter, ValidationError

from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.inputs import (
    IntId,
    Latitude,
    MultilineText,
    PlainText,
    has_control_characters,
)
from ofair_app.models import LeadCreate
from ofair_app.models._base import Money
from ofair_app.models.tenancy import ProfessionalCreate
from ofair_app.services.board import BoardFilters, check_filters


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "\x07", "\x1b[31m", "\x7f", "\x85", "\ud800",
                                  "tab\t", "line\n", "cr\r"])
def test_one_line_of_text_refuses_every_control_character(text):
    assert has_control_characters(text)
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(PlainText).validate_python(text)
    assert refused.value.errors()[0]["type"] == "text_control"


@pytest.mark.parametrize("text", ["line\nbreak", "tab\there", "windows\r\nline", "שלום, עולם",
                                  "emoji 👩‍🔧 and RLM \u200f"])
def test_a_multiline_text_keeps_line_breaks_tabs_and_every_printable_character(text):
    assert TypeAdapter(MultilineText).validate_python(text) == text


def test_the_refused_characters_are_exactly_the_control_and_surrogate_categories():
    """The check is a character class (fast on long texts); it must refuse exactly Unicode's
    Cc and Cs categories, every code point, with line breaks and tabs allowed in multiline."""
    for code_point in range(0x110000):
        char = chr(code_point)
        refused = unicodedata.category(char) in {"Cc", "Cs"}
        assert has_control_characters(char) is refused, hex(code_point)
        assert has_control_characters(char, multiline=True) is (
            refused and char not in "\n\r\t"), hex(code_point)


def test_a_multiline_text_still_refuses_nul():
    with pytest.raises(ValidationError):
        TypeAdapter(MultilineText).validate_python("line\n\x00")


@pytest.mark.parametrize(("kind", "value", "ok"), [
    (IntId, 2**31 - 1, True), (IntId, 2**31, False), (IntId, 0, False),
    (Money, "1000000000000", True), (Money, "1e13", False), (Money, "NaN", False),
    (Money, "Infinity", False), (Latitude, 90.0, True), (Latitude, float("nan"), False),
    (Latitude, float("inf"), False),
])
def test_numbers_are_bounded_and_finite(kind, value, ok):
    adapter = TypeAdapter(kind)
    if ok:
        adapter.validate_python(value)
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


def test_an_input_model_built_by_hand_refuses_with_invalid_input_naming_each_field():
    with pytest.raises(InvalidInput) as refused:
        LeadCreate(title="a\x00", description="ok\nfine", category="c", locality_id=2**31,
                   budget=Decimal("NaN"))
    assert refused.value.fields == {"title": "errors.text.control",
                                    "locality_id": "errors.field.max_value",
                                    "budget": "errors.field.money"}
    assert refused.value.field_params["locality_id"] == {"max": 2**31 - 1}
    with pytest.raises(InvalidInput) as refused:
        ProfessionalCreate(business_name="x", business_id="1", category="c", locality_id=1,
                           specialties=["ok", "bad\x00"])
    assert refused.value.fields == {"specialties.1": "errors.text.control"}


def test_the_board_refuses_a_search_text_with_a_nul_whichever_door_it_came_through():
    with pytest.raises(InvalidInput) as refused:
        check_filters(BoardFilters(q="חשמל\x00"))
    assert refused.value.fields == {"q": "errors.text.control"}


CODEC = CursorCodec("test", tuple[bool, AwareDatetime, uuid.UUID])


def test_a_cursor_round_trips_its_key():
    key = (True, datetime(2026, 12, 1, 9, 30, tzinfo=UTC), uuid.uuid4())
    cursor = CODEC.encode(key)
    assert cursor.isascii() and "=" not in cursor
    assert CODEC.decode(cursor) == key


@pytest.mark.parametrize("cursor", ["", "!!!", "e30", "A" * 500, "אבג",
                                    CursorCodec("other", tuple[int]).encode([1])])
def test_anything_but_a_cursor_of_this_list_is_invalid_input_on_cursor(cursor):
    with pytest.raises(InvalidInput) as refused:
        CODEC.decode(cursor)
    assert refused.value.fields == {"cursor": "errors.field.cursor"}
