import re

import pytest

from ofair_app.i18n import (
    LOCALES,
    PLURAL_CATEGORIES,
    UNITS,
    catalog,
    negotiate_locale,
    normalize_locale,
    plural,
    plural_category,
    translate,
)


def test_catalogs_have_the_same_keys():
    """The same keys in both, except plural forms only one language has (Hebrew's `two`)."""
    he, en = catalog("he"), catalog("en")
    only_he, only_en = set(he) - set(en), set(en) - set(he)
    assert only_en == set(), only_en
    assert all(key.endswith(".two") and key.removesuffix(".two") + ".other" in en
               for key in only_he), only_he


@pytest.mark.parametrize("locale", LOCALES)
def test_no_empty_messages(locale):
    assert all(text.strip() for text in catalog(locale).values())


def test_placeholders_match_between_languages():
    """Same placeholders in both; a plural form may write its count in words ("הצעה אחת")."""
    placeholder = re.compile(r"{(\w+)}")
    he, en = catalog("he"), catalog("en")
    for key in he.keys() & en.keys():
        found_he, found_en = set(placeholder.findall(he[key])), set(placeholder.findall(en[key]))
        if key.rsplit(".", 1)[-1] in PLURAL_CATEGORIES:
            found_he, found_en = found_he - {"count"}, found_en - {"count"}
        assert found_he == found_en, key


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


# --- plural forms (CLDR rules through Babel) ------------------------------------------------

COUNTS = (1, 2, 5, 11, 20, 0)


@pytest.mark.parametrize(("locale", "expected"), [
    ("he", ["one", "two", "other", "other", "other", "other"]),
    ("en", ["one", "other", "other", "other", "other", "other"]),
])
def test_plural_categories_follow_cldr(locale, expected):
    assert [plural_category(n, locale) for n in COUNTS] == expected


@pytest.mark.parametrize(("key", "locale", "expected"), [
    ("ui.count.jobs_done", "he", ["עבודה אחת הושלמה", "2 עבודות הושלמו", "5 עבודות הושלמו",
                                  "11 עבודות הושלמו", "20 עבודות הושלמו",
                                  "עוד לא הושלמו עבודות"]),
    ("ui.count.jobs_done", "en", ["1 job done", "2 jobs done", "5 jobs done", "11 jobs done",
                                  "20 jobs done", "No jobs done yet"]),
    ("ui.count.proposals", "he", ["הצעה אחת", "2 הצעות", "5 הצעות", "11 הצעות", "20 הצעות",
                                  "עדיין אין הצעות"]),
    ("ui.count.proposals", "en", ["1 offer", "2 offers", "5 offers", "11 offers", "20 offers",
                                  "No offers yet"]),
    ("units.days", "he", ["יום אחד", "יומיים", "5 ימים", "11 ימים", "20 ימים", "0 ימים"]),
    ("units.days", "en", ["1 day", "2 days", "5 days", "11 days", "20 days", "0 days"]),
    ("ui.count.transfers", "he", ["העברה אחת", "2 העברות", "5 העברות", "11 העברות",
                                  "20 העברות", "0 העברות"]),
])
def test_plural_forms_agree_with_the_count(key, locale, expected):
    assert [plural(key, n, locale) for n in COUNTS] == expected


def test_plural_writes_big_counts_the_locales_way():
    assert plural("ui.count.proposals", 1250, "he") == "1,250 הצעות"
    assert plural("ui.count.proposals", 1250, "en") == "1,250 offers"


def test_every_plural_family_has_the_forms_its_languages_need():
    for locale in LOCALES:
        entries = catalog(locale)
        families = {key.rsplit(".", 1)[0] for key in entries
                    if key.rsplit(".", 1)[-1] in PLURAL_CATEGORIES}
        assert families, locale
        for family in families:
            assert f"{family}.one" in entries and f"{family}.other" in entries, (locale, family)
            assert family not in entries, family  # no plain key beside its forms


def test_durations_in_messages_agree_with_their_number():
    assert translate("errors.rate_limited", "he", seconds=1).endswith("בעוד שנייה אחת.")
    assert translate("errors.rate_limited", "he", seconds=2).endswith("בעוד שתי שניות.")
    assert translate("errors.rate_limited", "en", seconds=1) == (
        "Too many attempts. Try again in 1 second.")
    assert "כ־דקה אחת" in translate("errors.invitation.resend_wait", "he", minutes=1)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_spells_a_duration_unit_after_its_number(locale):
    """`{minutes}` already carries its unit ("5 דקות"): "{minutes} דקות" would say it twice."""
    doubled = re.compile(r"\{(" + "|".join(UNITS) + r")\}\s*[^\s.,;:!?)]")
    assert [key for key, text in catalog(locale).items() if doubled.search(text)] == []
