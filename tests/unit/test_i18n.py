import re

import pytest

from ofair_app.i18n import LOCALES, catalog, negotiate_locale, normalize_locale, translate


def test_catalogs_have_the_same_keys():
    he, en = catalog("he"), catalog("en")
    assert set(he) == set(en), set(he) ^ set(en)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_empty_messages(locale):
    assert all(text.strip() for text in catalog(locale).values())


def test_placeholders_match_between_languages():
    placeholder = re.compile(r"{(\w+)}")
    he, en = catalog("he"), catalog("en")
    for key in he:
        assert set(placeholder.findall(he[key])) == set(placeholder.findall(en[key])), key


def test_hebrew_catalog_is_hebrew():
    assert re.search("[\u0590-\u05ff]", catalog("he")["errors.not_found"])


def test_translate_fills_parameters():
    assert translate("errors.rate_limited", "en", seconds=42) == (
        "Too many attempts. Try again in 42 seconds.")
    assert "42" in translate("errors.rate_limited", "he", seconds=42)


def test_translate_defaults_to_hebrew():
    assert translate("errors.not_found") == catalog("he")["errors.not_found"]
    assert translate("errors.not_found", "fr") == catalog("he")["errors.not_found"]


def test_unknown_key_falls_back_to_the_key():
    assert translate("no.such.key", "en") == "no.such.key"


@pytest.mark.parametrize(("header", "expected"), [
    (None, "he"),
    ("", "he"),
    ("en", "en"),
    ("en-US,en;q=0.9", "en"),
    ("fr-FR, en;q=0.5", "en"),
    ("he-IL,he;q=0.9,en;q=0.8", "he"),
    ("en;q=0.4, he;q=0.8", "he"),
    ("de, fr", "he"),
    ("en;q=0", "he"),
    ("en;q=bogus", "he"),
])
def test_negotiate_locale(header, expected):
    assert negotiate_locale(header) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("EN", "en"), ("en-GB", "en"), ("he", "he"), ("xx", "he"), (None, "he")])
def test_normalize_locale(value, expected):
    assert normalize_locale(value) == expected
