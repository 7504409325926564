"""The Israeli dealer-number check (the ID number's check digit) that every allocation request
passes before the Tax Authority is asked."""

from __future__ import annotations

import pytest

from ofair_app.adapters.invoices import dealer_number_valid


@pytest.mark.parametrize("number", ["123456782", "000000018", "516179157", "512345679",
                                    "999999998", "040000002"])
def test_valid_numbers_pass(number: str) -> None:
    assert dealer_number_valid(number)


@pytest.mark.parametrize("number", ["123456789", "000000019", "516179158", "512345670"])
def test_a_wrong_check_digit_fails(number: str) -> None:
    assert not dealer_number_valid(number)


@pytest.mark.parametrize("number", ["", "12345678", "0123456782", "12345678X", " 23456782",
                                    "١٢٣٤٥٦٧٨٢", "+23456782"])
def test_anything_but_nine_ascii_digits_fails(number: str) -> None:
    assert not dealer_number_valid(number)


def test_every_wrong_last_digit_is_caught() -> None:
    """A single mistyped check digit is always caught: exactly one of ten endings is valid."""
    for stem in ("12345678", "51617915", "00000001", "30000000"):
        assert sum(dealer_number_valid(stem + str(last)) for last in range(10)) == 1
