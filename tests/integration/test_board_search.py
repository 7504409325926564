"""The Lead Board's search: Hebrew words behind their one-letter prefixes, and the two ways a
page is found (the newest windows first, every match when they come up short) giving
exactly the newest matches in order, page after page, for any mix of filters."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest
from sqlalchemy import text

from ofair_app import reference
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.db.id_arrays import IdArray
from ofair_app.domain.leads import LeadType
from ofair_app.services import board
from tests.factories import (
    consumer_lead_data,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
)

HAIFA = reference.locality_by_slug("haifa")
EILAT = reference.locality_by_slug("eilat")
FIRST, SECOND = reference.categories()[0], reference.categories()[1]


@pytest.mark.parametrize(("document", "query", "found"), [
    ("התקנת מזגנים בסלון", "מזגן:*", True),
    ("ובנוסף ומזגנים ישנים", "מזגן:*", True),     # ו before the word
    ("שהמזגן מטפטף", "מזגן:*", True),            # ש + ה
    ("בסלון הגדול", "סלון:*", True),
    ("החלפת דוד שמש", "דוד:*", True),
    ("Air conditioner repair", "condition:*", True),
    ("תיקון נזילה", "מזגן:*", False),
    ("מזגן", "זגן:*", True),                     # the price of stripping: a word's tail
    ("מזגן", "מזגן:*", True),                    # a final letter matches itself
    ("מזגן", "מזגנים:*", False),
    ("אב", "ב:*", False),                        # two letters: nothing stripped
])
def test_the_board_document_finds_a_word_behind_its_prefixes(db, document, query, found):
    with unit_of_work(SYSTEM) as session:
        matched = session.execute(
            text("SELECT board_document(:d) @@ to_tsquery('simple', :q)"),
            {"d": document, "q": query.translate(board._FINAL_LETTERS)}).scalar_one()
    assert matched is found


def test_a_search_finds_hebrew_words_with_prefixes_through_the_service(db):
    owner = make_user()
    wanted = make_lead(owner, consumer_lead_data(
        title="התקנת מזגנים בדירה", description="ובנוסף המזגן בסלון מטפטף מים על הרצפה."))
    make_lead(owner, consumer_lead_data(title="תיקון נזילה בכיור"))
    for q in ("מזגן", "סלון", "המזגן", "מטפטף מים", "התקנ"):
        with unit_of_work(ANONYMOUS) as session:
            cards, _ = board.search(session=session, filters=board.BoardFilters(q=q))
        assert [card.lead_id for card in cards] == [wanted.id], q
    with unit_of_work(ANONYMOUS) as session:
        cards, _ = board.search(session=session, filters=board.BoardFilters(q="קנגורו"))
    assert cards == []


def _all_pages(filters: board.BoardFilters, limit: int) -> list:
    ids, cursor = [], None
    for _ in range(200):
        with unit_of_work(ANONYMOUS) as session:
            cards, cursor = board.search(session=session, filters=filters, limit=limit,
                                         cursor=cursor)
        ids.extend(card.lead_id for card in cards)
        if cursor is None:
            return ids
    raise AssertionError("the board never ended")


def test_pages_hold_exactly_the_newest_matches_whether_the_window_finds_them_or_not(
        db, monkeypatch):
    """Windows of 3 and 30 leads make every way run: common matches come from the first window,
    less common ones from the second, rare ones (older than any window) from every match. Each
    filter's pages, read to the end, equal the matches computed here in Python, newest first,
    none twice."""
    monkeypatch.setattr(board, "RECENT_WINDOWS", (3, 30))
    monkeypatch.setattr(board, "CATEGORY_WINDOWS", (3,))
    windows_read = set()
    query = board._query

    def recorded(*args, window, **kwargs):
        windows_read.add(window)
        return query(*args, window=window, **kwargs)

    monkeypatch.setattr(board, "_query", recorded)
    rng = random.Random(7)
    business, referrer = make_professional(business_name="מפנה")
    consumer = make_user()
    made = []
    for i in range(36):
        category = FIRST if i % 3 else SECOND
        place = HAIFA if i % 4 else EILAT
        budget = Decimal(rng.choice((200, 450, 900, 3000)))
        title = "התקנת מזגן" if i % 5 == 0 else "תיקון נזילה"
        if i % 6 == 0:
            data = pro_lead_data(business, title=title, category=category.slug,
                                 locality_id=place.id, budget=budget)
            lead = make_lead(referrer, data)
        else:
            data = consumer_lead_data(title=title, category=category.slug, subcategory=None,
                                      locality_id=place.id, budget=budget)
            lead = make_lead(consumer, data)
        made.append((lead, data))
    with unit_of_work(SYSTEM) as session:
        created = dict(session.execute(text(
            "SELECT lead_id, created_at FROM lead_board")).all())

    def expected(filters: board.BoardFilters) -> list:
        def keep(lead, data) -> bool:
            return ((filters.category is None or data.category == filters.category)
                    and (filters.type is None or data.type == filters.type)
                    and (filters.budget_min is None or data.budget >= filters.budget_min)
                    and (filters.q is None or "מזגן" in data.title)
                    and (filters.lat is None or data.locality_id == EILAT.id))
        matches = [lead for lead, data in made if keep(lead, data)]
        return [lead.id for lead in sorted(matches, key=lambda lead: (created[lead.id], lead.id),
                                           reverse=True)]

    options = itertools.product(
        (None, SECOND.slug), (None, LeadType.professional_referral), (None, Decimal(900)),
        (None, "מזגן"), (False, True))
    for category, lead_type, budget_min, q, near_eilat in options:
        filters = board.BoardFilters(
            category=category, type=lead_type, budget_min=budget_min, q=q,
            **(dict(lat=EILAT.lat, lon=EILAT.lon, radius_km=10.0) if near_eilat else {}))
        assert _all_pages(filters, limit=4) == expected(filters), filters
    assert windows_read == {3, 30, None}  # both windows and every match found pages


def test_the_word_starts_find_exactly_what_a_prefix_search_finds(db):
    """Migration 0009b: a whole entry of `board_word_starts` matches where the word's prefix
    matched the document before, for every word of these texts and every start of it."""
    texts = ["התקנת מזגנים בסלון", "ובנוסף ומזגנים ישנים", "שהמזגן מטפטף ד", "החלפת דוד שמש",
             "Air conditioner repair 24/7", "תיקון נזילה e-mail 3.5 מ\"ר", "מזגן"]
    words = {w for t in texts for w in board.search_words(t)}
    queries = {w[:n] for w in words for n in range(1, len(w) + 1)}
    with unit_of_work(SYSTEM) as session:
        for t in texts:
            for q in sorted(queries):
                prefix, whole = session.execute(text(
                    "SELECT board_document(:t) @@ to_tsquery('simple', :prefix), "
                    "board_word_starts(board_document(:t)) @@ CAST(:whole AS tsquery)"),
                    {"t": t, "prefix": f"{q}:*" if len(q) > 1 else q,
                     "whole": "'" + q + "'"}).one()
                assert prefix == whole, (t, q)


def test_the_board_document_carries_its_category_subcategory_and_type(db):
    owner = make_user()
    lead = make_lead(owner, consumer_lead_data(title="התקנת מזגן", category=SECOND.slug,
                                               subcategory=None))
    with unit_of_work(SYSTEM) as session:
        doc = session.execute(text("SELECT search_doc::text FROM lead_board WHERE lead_id = :id"),
                              {"id": lead.id}).scalar_one()
    assert f"'#c:{SECOND.slug}'" in doc and "'#t:consumer'" in doc and "'#s:" not in doc
    for filters, found in [
        (board.BoardFilters(q="מזגן", category=SECOND.slug), True),
        (board.BoardFilters(q="מזגן", category=FIRST.slug), False),
        (board.BoardFilters(q="מזג", type=LeadType.consumer), True),
        (board.BoardFilters(q="מזג", type=LeadType.professional_referral), False),
    ]:
        query = board._query(filters, pinned_ids=IdArray("{}"), pinned_group=False,
                             after=None, limit=5, window=None)
        assert "#c:" in str(query.compile(compile_kwargs={"literal_binds": True})) or \
            filters.category is None
        with unit_of_work(ANONYMOUS) as session:
            ids = [row.lead_id for row in session.execute(query)]
        assert (lead.id in ids) is found, filters
