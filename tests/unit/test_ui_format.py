"""What the server formats for a page reads in the reader's language, and mixed-direction pieces
are isolated so they keep their order in either direction (ofair_app/ui/format.py and the rows
the pages build from it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ofair_app import reference
from ofair_app.i18n import translate
from ofair_app.models import Lead
from ofair_app.ui import format
from ofair_app.ui.pages.my_requests import lead_row

FSI, PDI = "\u2068", "\u2069"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("locale", "minutes", "days", "moment"), [
    ("he", "לפני 5 דקות", "לפני 3 ימים", "ממש עכשיו"),
    ("en", "5 minutes ago", "3 days ago", "just now"),
])
def test_relative_times_in_each_language(locale, minutes, days, moment):
    assert format.ago(NOW - timedelta(minutes=5), locale, now=NOW) == minutes
    assert format.ago(NOW - timedelta(days=3), locale, now=NOW) == days
    assert format.ago(NOW - timedelta(seconds=20), locale, now=NOW) == moment
    assert format.ago(None, locale) == ""


@pytest.mark.parametrize(("locale", "far", "near", "close"), [
    ("he", '40 ק"מ ממך', '3.2 ק"מ ממך', 'פחות מק"מ'),
    ("en", "40 km away", "3.2 km away", "under 1 km"),
])
def test_a_distance_is_one_isolated_unit_in_each_language(locale, far, near, close):
    assert format.distance(40.2, locale) == f"{FSI}{far}{PDI}"
    assert format.distance(3.24, locale) == f"{FSI}{near}{PDI}"
    assert format.distance(0.4, locale) == f"{FSI}{close}{PDI}"
    assert format.distance(None, locale) == ""


@pytest.mark.parametrize(("locale", "month"), [("he", "נוב׳"), ("en", "Nov")])
def test_dates_in_each_language_with_the_year_only_when_not_this_one(locale, month):
    this_year = datetime.now(UTC).year
    assert format.day(date(this_year, 11, 25), locale) == f"25 {month}"
    assert format.day(date(this_year - 1, 11, 25), locale) == f"25 {month} {this_year - 1}"


@pytest.mark.parametrize("locale", ["he", "en"])
def test_money_reads_the_same_in_both_languages(locale):
    assert format.money(Decimal("1250"), locale) == "₪1,250"
    assert format.money(Decimal("1250.5"), locale) == "₪1,250.50"
    assert format.money(None, locale) == ""


def test_joined_facts_isolate_each_part_and_skip_empty_ones():
    # The tester's garbled line: a Hebrew category and city beside "40 km" in an English page.
    line = format.joined("אינסטלציה", "תל אביב-יפו", "", "40 km")
    assert line == f"{FSI}אינסטלציה{PDI} · {FSI}תל אביב-יפו{PDI} · {FSI}40 km{PDI}"
    assert format.joined("", "") == ""
    assert format.isolate("") == ""


@pytest.mark.parametrize(("locale", "status", "category", "city"), [
    ("he", "פתוחה להצעות", "אינסטלציה", "תל אביב-יפו"),
    ("en", "Open for offers", "Plumbing", "Tel Aviv"),
])
def test_a_request_row_is_all_in_the_readers_language(locale, status, category, city):
    tel_aviv = reference.search_localities("Tel Aviv", limit=1)[0]
    lead = Lead(title="תיקון נזילה", short_description="הברז מטפטף", category_slug="plumbing",
                locality_id=tel_aviv.id, budget=Decimal("450"), status="active",
                created_at=datetime.now(UTC) - timedelta(hours=2), proposal_count=0)
    row = lead_row(lead, locale, lambda key: translate(key, locale))
    assert (row["status_label"], row["category"], row["city"]) == (status, category, city)
    assert row["posted"] == ("לפני שעתיים" if locale == "he" else "2 hours ago")
    assert row["budget"] == "₪450"
