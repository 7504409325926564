"""Money input is exact (issue 12, point 4): one rule for every amount a client or a person
sends, and amounts in records written as money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.leads import exact_amount, read_amount
from ofair_app.domain.payments import money_text, provider_amount_text

D = Decimal


@pytest.mark.parametrize(("raw", "expected"), [
    ("0", D("0")), ("100", D("100")), ("100.5", D("100.5")), ("100.50", D("100.50")),
    ("0007", D("7")), (100, D("100")), (100.5, D("100.5")), (0.1, D("0.1")),
    (D("100.25"), D("100.25")), (D("1.500"), D("1.500")), (D("1E+2"), D("100")),
    (D("0E-10"), D("0")),
])
def test_exact_amounts_pass_unchanged(raw, expected) -> None:
    assert exact_amount(raw, field="price") == expected


@pytest.mark.parametrize("raw", [
    "١٢٣", "۱۲۳", "１２３", "१२३", "1_000", " 100 ", "100\n", "\t100", "1e3", "1E3", "-100",
    "+100", "100.", ".5", "100.001", "1,000", "0x64", "NaN", "Infinity", "", "₪100",
    "1" * 21, 1.0000001, 0.1 + 0.2, float("nan"), float("inf"), True, False, None,
    D("1.0000001"), D("1.00000000000000000000000000001"), D("NaN"), D("Infinity"), [1], b"100",
])
def test_anything_else_is_refused_on_its_field(raw) -> None:
    with pytest.raises(InvalidInput) as raised:
        exact_amount(raw, field="price")
    assert raised.value.fields == {"price": "errors.field.money"}


@pytest.mark.parametrize(("text", "expected"), [
    ("", None), ("   ", None), ("450", D("450")), (" 450 ", D("450")), ("₪450", D("450")),
    ("450 ₪", D("450")), ("₪ 1,250.50", D("1250.50")), ("12,345,678", D("12345678")),
])
def test_a_form_takes_spaces_a_shekel_sign_and_thousands_commas(text, expected) -> None:
    assert read_amount(text, field="budget") == expected


@pytest.mark.parametrize("text", ["١٢٣", "1_000", "1e3", "1,25", "12,34,567", "1,000.001",
                                  "₪₪100", "1 000", "100.001", "-5", "1₪00"])
def test_a_form_refuses_what_the_api_refuses(text) -> None:
    with pytest.raises(InvalidInput) as raised:
        read_amount(text, field="budget")
    assert raised.value.fields == {"budget": "errors.field.money"}


def test_amounts_in_records_read_as_money() -> None:
    assert money_text(D("420")) == "420.00 ₪"
    assert money_text(D("1250.5")) == "1,250.50 ₪"
    assert money_text(D("12"), "usd") == "12.00 USD"
    assert provider_amount_text(42000, "ils") == "420.00 ₪"
    assert provider_amount_text("42000", "ils") == "'42000' ILS"
    assert provider_amount_text(None, "") == "None"
