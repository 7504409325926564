"""The shipped reference data: categories and localities, and how localities are searched."""

import pytest

from ofair_app import reference
from ofair_app.ui.state.session import login_url, safe_next


def test_there_are_twenty_categories_each_named_in_both_languages_with_unique_slugs():
    cats = reference.categories()
    assert len(cats) >= 20
    slugs = [c.slug for c in cats] + [s.slug for c in cats for s in c.subcategories]
    assert len(slugs) == len(set(slugs))
    for c in cats:
        assert c.name_he and c.name_en and c.subcategories
        assert all(s.name_he and s.name_en for s in c.subcategories)
        assert reference.category(c.slug) is c
        assert reference.subcategory(c.subcategories[0].slug) == (c, c.subcategories[0])


def test_localities_cover_israel_with_coordinates_and_both_names():
    locs = reference.localities()
    assert len(locs) > 300
    assert len({loc.id for loc in locs}) == len(locs)
    for loc in locs:
        assert 29.4 < loc.lat < 33.4 and 34.2 < loc.lon < 35.9, loc
        assert loc.name_he and loc.name_en
    populations = [loc.population for loc in locs]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize(("query", "expected_en"), [
    ("חיפ", "Haifa"),
    ("hai", "Haifa"),
    ("HAIFA", "Haifa"),
    ("tel a", "Tel Aviv"),
    ("תל אב", "Tel Aviv"),
    ("באר ש", "Beersheba"),
])
def test_search_matches_hebrew_or_english_prefixes_largest_first(query, expected_en):
    found = reference.search_localities(query, limit=5)
    assert found, query
    assert found[0].name_en.startswith(expected_en), [loc.name_en for loc in found]


def test_search_forgives_spelling_with_or_without_the_extra_yod():
    assert any(loc.name_he == "קריית גת" for loc in reference.search_localities("קרית גת"))
    assert any(loc.name_he == "קריית גת" for loc in reference.search_localities("קריית גת"))


def test_search_finds_later_words_after_prefixes_and_nothing_for_nonsense():
    assert reference.search_localities("zzqx") == []
    assert len(reference.search_localities("", limit=7)) == 7
    yafo = reference.search_localities("יפו")
    assert any(loc.name_en.startswith("Tel Aviv") for loc in yafo)


def test_distance_between_tel_aviv_and_haifa_is_about_eighty_km():
    tlv = reference.search_localities("tel aviv")[0]
    haifa = reference.search_localities("haifa")[0]
    assert 75 < reference.distance_km(tlv.lat, tlv.lon, haifa.lat, haifa.lon) < 95
    assert reference.distance_km(tlv.lat, tlv.lon, tlv.lat, tlv.lon) == 0


@pytest.mark.parametrize(("raw", "expected"), [
    ("/pro/profile", "/pro/profile"),
    ("/admin/professionals?tab=pending", "/admin/professionals?tab=pending"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("", "/"),
])
def test_next_only_ever_leads_to_a_page_of_this_site(raw, expected):
    assert safe_next(raw, "/") == expected


def test_login_url_carries_the_path_without_the_static_trailing_slash():
    assert login_url("/pro/profile/") == "/login?next=/pro/profile"
    assert login_url("/") == "/login?next=/"
