"""A form names every bad field at once, each message with the limit the person missed (in
Hebrew and English), and a budget must be plausible for the job's category."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, ValidationError

from ofair_app import reference
from ofair_app.domain.errors import FieldErrors, InvalidInput
from ofair_app.domain.inputs import date_from_parts, field_message, invalid_input
from ofair_app.domain.leads import LeadType, amount_text, check_budget
from ofair_app.i18n import translate
from ofair_app.models import LeadCreate
from ofair_app.services.leads import check_lead
from tests.factories import city


def messages(error: InvalidInput, locale: str) -> dict[str, str]:
    return {name: translate(key, locale, **error.field_params.get(name, {}))
            for name, key in error.fields.items()}


def test_one_bad_lead_names_every_bad_field_with_its_limits_in_both_languages():
    data = LeadCreate(type=LeadType.consumer, title="ab", description="short",
                      category="", locality_id=None, budget=Decimal("-5"),
                      client_name="", client_phone="12")
    with pytest.raises(InvalidInput) as refused:
        check_lead(data)
    error = refused.value
    assert set(error.fields) == {"title", "description", "category", "locality_id", "budget",
                                 "client_name", "client_phone"}
    english, hebrew = messages(error, "en"), messages(error, "he")
    assert english["title"] == "Enter at least 3 characters."
    assert english["description"] == "Enter at least 10 characters."
    assert english["budget"] == "Enter an amount between ₪0 and ₪10,000,000."
    assert english["category"] == translate("errors.category.required", "en")
    assert hebrew["title"] == "יש להזין לפחות 3 תווים."
    assert hebrew["description"] == "יש להזין לפחות 10 תווים."
    assert hebrew["budget"] == "יש להזין סכום בין ₪0 ל־₪10,000,000."
    assert all(text and "{" not in text for text in [*english.values(), *hebrew.values()])


def test_a_too_long_text_names_its_maximum():
    data = LeadCreate(type=LeadType.consumer, title="x" * 121, description="d" * 2001,
                      category="plumbing", locality_id=city("Haifa"), client_name="דנה",
                      client_phone="050-123-4567")
    with pytest.raises(InvalidInput) as refused:
        check_lead(data)
    assert messages(refused.value, "en") == {"title": "Enter at most 120 characters.",
                                             "description": "Enter at most 2000 characters."}
    assert messages(refused.value, "he")["title"] == "יש להזין עד 120 תווים."


def test_a_million_shekels_to_change_a_socket_is_refused_naming_the_range():
    electrical = reference.category("electrical")
    assert electrical is not None
    data = LeadCreate(type=LeadType.consumer, title="החלפת שקע בחיפה",
                      description="להחליף שקע אחד בסלון שהפסיק לעבוד", category="electrical",
                      subcategory="outlets-wiring", locality_id=city("Haifa"),
                      budget=Decimal("1000000"), client_name="דנה",
                      client_phone="050-123-4567")
    with pytest.raises(InvalidInput) as refused:
        check_lead(data)
    assert refused.value.fields == {"budget": "errors.lead.budget_implausible"}
    low, high = amount_text(electrical.budget_min), amount_text(electrical.budget_max)
    assert messages(refused.value, "en")["budget"] == (
        f"For this category, enter a budget between ₪{low} and ₪{high}.")
    assert f"₪{low}" in messages(refused.value, "he")["budget"]
    assert f"₪{high}" in messages(refused.value, "he")["budget"]
    # The same lead at a plausible budget passes.
    assert check_lead(data.model_copy(update={"budget": Decimal("350")})).lead.budget == 350


def test_every_category_has_a_sane_budget_range():
    for category in reference.categories():
        low, high = category.budget_range
        assert Decimal("0") < low < high <= Decimal("10000000"), category.slug


def test_check_budget_bounds_are_inclusive():
    bounds = (Decimal("100"), Decimal("150000"))
    assert check_budget(Decimal("100"), bounds) == Decimal("100")
    assert check_budget(Decimal("150000"), bounds) == Decimal("150000")
    with pytest.raises(InvalidInput) as refused:
        check_budget(Decimal("99.99"), bounds, field="price")
    assert refused.value.field_params == {"price": {"min": "100", "max": "150,000"}}


def test_field_errors_keep_the_first_reason_and_each_fields_own_limits():
    errors = FieldErrors()
    errors.add("title", "errors.field.min_length", min=3)
    errors.add("title", "errors.field.required")
    errors.check(check_budget, Decimal("5"), (Decimal("10"), Decimal("20")))
    errors.require("  ", "name")
    assert errors.fields == {"title": "errors.field.min_length",
                             "budget": "errors.lead.budget_implausible",
                             "name": "errors.field.required"}
    with pytest.raises(InvalidInput) as refused:
        errors.raise_if_any()
    assert refused.value.field_params == {"title": {"min": 3},
                                          "budget": {"min": "10", "max": "20"}, "name": {}}
    assert not FieldErrors()


class _Form(BaseModel):
    name: str = Field(min_length=2, max_length=5)
    age: int = Field(ge=18, le=120)
    tags: list[str] = Field(max_length=2)


def test_pydantic_refusals_carry_their_limits():
    with pytest.raises(ValidationError) as refused:
        _Form(name="x", age=7, tags=["a", "b", "c"])
    error = invalid_input(refused.value)
    assert messages(error, "en") == {"name": "Enter at least 2 characters.",
                                     "age": "Enter a value of at least 18.",
                                     "tags": "At most 2 are allowed."}
    assert field_message({"type": "string_too_long"}) == ("errors.field.too_long", {})


@pytest.mark.parametrize(("parts", "expected"), [
    (("", "", ""), None),
    (("5", "3", "2027"), "2027-03-05"),
    (("29", "2", "2028"), "2028-02-29"),
])
def test_a_date_from_the_picker(parts, expected):
    found = date_from_parts(*parts, field="scheduled_date")
    assert (found.isoformat() if found else None) == expected


@pytest.mark.parametrize("parts", [("31", "2", "2027"), ("5", "", "2027"), ("٥", "3", "2027"),
                                   ("5", "13", "2027")])
def test_a_partial_or_impossible_date_is_refused(parts):
    with pytest.raises(InvalidInput) as refused:
        date_from_parts(*parts, field="scheduled_date")
    assert refused.value.fields == {"scheduled_date": "errors.field.date"}


UI = Path(__file__).resolve().parents[2] / "ofair_app" / "ui"


def test_every_form_goes_through_the_shared_form_without_browser_validation():
    """`components.forms.form` turns the browser's validation off; a page that built its own
    `rx.form`, a native date input (`mm/dd/yyyy`) or a `pattern` would bring the bubbles back."""
    offenders = []
    for path in UI.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for needle in ("rx.form(", "rx.el.form(", 'type="date"', 'kind="date"', "pattern="):
            if needle in source and not (needle == "rx.form(" and path.name == "forms.py"):
                offenders.append(f"{path.relative_to(UI)}: {needle}")
    assert offenders == []
