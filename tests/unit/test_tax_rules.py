"""Israeli tax-document rules (domain/tax.py): the VAT rate and the allocation threshold of a
date, when an invoice needs an allocation number, VAT rounding, and dealer-number check
digits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ofair_app.domain.tax import (
    DocumentType,
    allocation_threshold,
    dealer_number_valid,
    israel_date,
    needs_allocation,
    totals,
    vat_rate,
)

D = Decimal


@pytest.mark.parametrize(("on", "rate"), [
    (date(2024, 12, 31), D("0.17")),
    (date(2025, 1, 1), D("0.18")),
    (date(2026, 12, 1), D("0.18")),
    (date(2015, 10, 1), D("0.17")),
])
def test_the_vat_rate_is_the_one_in_force_on_the_date(on, rate):
    assert vat_rate(on) == rate


def test_a_date_before_any_known_rate_is_refused():
    with pytest.raises(ValueError):
        vat_rate(date(2015, 9, 30))


@pytest.mark.parametrize(("on", "threshold"), [
    (date(2024, 5, 4), None),
    (date(2024, 5, 5), D("25000")),
    (date(2024, 12, 31), D("25000")),
    (date(2025, 1, 1), D("20000")),
    (date(2026, 1, 1), D("10000")),
    (date(2026, 5, 31), D("10000")),
    (date(2026, 6, 1), D("5000")),
    (date(2030, 1, 1), D("5000")),
])
def test_the_allocation_threshold_follows_its_table(on, threshold):
    assert allocation_threshold(on) == threshold


def test_an_allocation_number_is_needed_only_above_the_threshold_for_a_dealers_tax_invoice():
    on = date(2026, 12, 1)  # threshold 5,000
    invoice = DocumentType.tax_invoice
    assert needs_allocation(invoice, D("5000.01"), on, customer_is_dealer=True)
    assert not needs_allocation(invoice, D("5000.00"), on, customer_is_dealer=True)  # exceeds
    assert not needs_allocation(invoice, D("9000"), on, customer_is_dealer=False)
    assert needs_allocation(DocumentType.tax_invoice_receipt, D("9000"), on,
                            customer_is_dealer=True)
    assert not needs_allocation(DocumentType.receipt, D("9000"), on, customer_is_dealer=True)
    assert not needs_allocation(invoice, D("24000"), date(2024, 5, 4), customer_is_dealer=True)
    assert needs_allocation(invoice, D("25000.01"), date(2024, 5, 5), customer_is_dealer=True)


def test_vat_is_rounded_half_up_to_the_agora_and_referral_fees_stay_outside_it():
    before = totals(D("100.00"), date(2026, 12, 1))
    assert (before.rate, before.vat, before.total) == (D("0.18"), D("18.00"), D("118.00"))
    assert totals(D("0.25"), date(2026, 12, 1)).vat == D("0.05")  # 0.045 → 0.05
    assert totals(D("0.25"), date(2024, 12, 31)).vat == D("0.04")  # 0.0425 → 0.04
    collected = totals(D("50.00"), date(2026, 12, 1), outside_vat=D("200.00"))
    assert (collected.vat, collected.total) == (D("9.00"), D("259.00"))
    with pytest.raises(ValueError):
        totals(D("10.005"), date(2026, 12, 1))


def test_the_date_of_a_document_is_its_date_in_israel():
    assert israel_date(datetime(2024, 12, 31, 22, 30, tzinfo=UTC)) == date(2025, 1, 1)
    assert israel_date(datetime(2026, 7, 1, 20, 59, tzinfo=UTC)) == date(2026, 7, 1)
    with pytest.raises(ValueError):
        israel_date(datetime(2026, 1, 1))


@pytest.mark.parametrize(("number", "valid"), [
    ("000000018", True), ("123456782", True), ("515555555", True), ("516179157", True),
    ("040000002", True), ("515555556", False), ("123456789", False), ("516179158", False),
    ("0123456782", False), (" 23456782", False), ("+23456782", False),
    ("12345678", False), ("18", False), ("12345678a", False), ("١٢٣٤٥٦٧٨٢", False), ("", False),
])
def test_dealer_numbers_carry_a_check_digit(number, valid):
    assert dealer_number_valid(number) is valid


def test_a_mistyped_check_digit_is_always_caught():
    """Exactly one of the ten endings of a stem is valid."""
    for stem in ("12345678", "51617915", "00000001", "30000000"):
        assert sum(dealer_number_valid(stem + str(last)) for last in range(10)) == 1
