"""Identity rules: phone and e-mail normalization, names, business IDs, codes and tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ofair_app.domain import identity
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.identity import is_new_business


@pytest.mark.parametrize("raw", ["050-123-4567", "0501234567", "+972501234567",
                                 "+972 50-123-4567", "972501234567", " 050 123 4567 "])
def test_israeli_mobile_spellings_are_one_number(raw: str) -> None:
    assert identity.normalize_phone(raw) == "+972501234567"


@pytest.mark.parametrize(("raw", "key"), [
    ("", "errors.phone.invalid"),
    ("abc", "errors.phone.invalid"),
    ("054123", "errors.phone.not_mobile"),
    ("02-6234567", "errors.phone.not_mobile"),  # a landline cannot receive the code
    ("1700500500", "errors.phone.not_mobile"),
    ("05012345678", "errors.phone.not_mobile"),
    ("+999 1234567", "errors.phone.invalid"),
    ("9" * 40, "errors.phone.invalid"),
])
def test_malformed_or_landline_phones_are_refused(raw: str, key: str) -> None:
    with pytest.raises(InvalidInput) as error:
        identity.normalize_phone(raw)
    assert error.value.fields == {"phone": key}


def test_foreign_mobiles_are_accepted_in_e164() -> None:
    assert identity.normalize_phone("+44 7911 123456") == "+447911123456"


def test_display_phone_reads_like_an_israeli_number() -> None:
    assert identity.display_phone("+972501234567") == "050-123-4567"


def test_emails_are_lower_cased_and_validated() -> None:
    assert identity.normalize_email("  Dana.Cohen@Example.CO.IL ") == "dana.cohen@example.co.il"
    for bad in ["", "dana", "dana@", "@example.com", "dana@@example.com", "a" * 250 + "@x.io"]:
        with pytest.raises(InvalidInput):
            identity.normalize_email(bad)


@pytest.mark.parametrize("value", ["000000018", "123456782", "12345678-2", "000018"])
def test_business_ids_with_a_correct_check_digit_pass(value: str) -> None:
    assert identity.is_valid_business_id(identity.normalize_business_id(value))


@pytest.mark.parametrize("value", ["123456789", "000000000", "12345678a", "1234567890", "", "12"])
def test_business_ids_with_a_wrong_check_digit_or_shape_fail(value: str) -> None:
    with pytest.raises(InvalidInput) as error:
        identity.normalize_business_id(value)
    assert error.value.fields == {"business_id": "errors.business_id.invalid"}


def test_business_ids_are_padded_to_nine_digits() -> None:
    assert identity.normalize_business_id("000018") == "000000018"


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "Dana {{7*7}}", "a\x00b",
                                  "שם\u202eהפוך", "${jndi:x}"])
def test_markup_and_control_characters_in_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        identity.clean_person_name(name)


def test_names_are_trimmed_and_spaces_collapsed() -> None:
    assert identity.clean_person_name("  דנה   כהן ") == "דנה כהן"
    assert identity.clean_person_name("") == ""
    with pytest.raises(InvalidInput):
        identity.clean_person_name("12345")


def test_multiline_text_keeps_newlines_but_not_other_controls() -> None:
    assert identity.clean_text("שורה\nשנייה", field="about", max_length=100,
                               multiline=True) == "שורה\nשנייה"
    with pytest.raises(InvalidInput):
        identity.clean_text("a\x07b", field="about", max_length=100, multiline=True)


def test_specialties_are_deduplicated_and_limited() -> None:
    assert identity.clean_specialties(["דוודים", "  דוודים ", "Boilers", "boilers"]) == [
        "דוודים", "Boilers"]
    with pytest.raises(InvalidInput):
        identity.clean_specialties([f"tag {i}" for i in range(13)])


def test_service_radius_bounds() -> None:
    assert identity.check_service_radius(1) == 1
    for bad in (0, 201, -5):
        with pytest.raises(InvalidInput):
            identity.check_service_radius(bad)


def test_codes_are_six_digits_and_hashes_bind_target_and_purpose() -> None:
    code = identity.new_otp_code()
    assert identity.is_code_shaped(code)
    stored = identity.hash_otp(code, target="+972501234567", purpose="login", pepper=b"k")
    assert code not in stored
    assert identity.otp_matches(code, stored, target="+972501234567", purpose="login",
                                pepper=b"k")
    assert not identity.otp_matches(code, stored, target="+972501234568", purpose="login",
                                    pepper=b"k")
    assert not identity.otp_matches(code, stored, target="+972501234567",
                                    purpose="email_change", pepper=b"k")
    assert not identity.otp_matches(code, stored, target="+972501234567", purpose="login",
                                    pepper=b"other")


def test_tokens_are_long_random_and_stored_as_sha256() -> None:
    first, second = identity.new_token(), identity.new_token()
    assert first != second and len(first) >= 40
    assert len(identity.hash_token(first)) == 64 and first not in identity.hash_token(first)


def test_test_otps_parse_numbers_in_any_spelling() -> None:
    otps = identity.TestOtps.parse("050-000-0001=123456; +972500000002=654321")
    assert otps.code_for("+972500000001") == "123456"
    assert otps.code_for("+972500000002") == "654321"
    assert otps.code_for("+972500000003") is None
    with pytest.raises(ValueError, match="6-digit"):
        identity.TestOtps.parse("+972500000001=12")


# --- the "new business" badge ---------------------------------------------------------------

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("completed_jobs", "joined_days_ago", "new"), [
    (0, 0, True),
    (0, 89, True),
    (0, 90, False),  # an old business with no jobs is not "new", it just has none yet
    (0, 400, False),
    (1, 0, False),  # a completed job: never "new", however recent
    (2, 3, False),
    (11, 400, False),
])
def test_a_business_is_new_only_without_completed_jobs_and_recently_joined(
        completed_jobs, joined_days_ago, new):
    joined = NOW - timedelta(days=joined_days_ago)
    assert is_new_business(completed_jobs=completed_jobs, joined_at=joined, now=NOW) is new


def test_a_business_not_yet_saved_is_new():
    assert is_new_business(completed_jobs=0, joined_at=None, now=NOW)
    assert not is_new_business(completed_jobs=2, joined_at=None, now=NOW)
