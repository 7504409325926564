"""The Lead Board pages in Chromium: each "more" adds its page once (no card twice, none
missing), its websocket answer carries that page only, the end of the list ends the button,
a reload starts the list again without holes; filters that match nothing say so and offer to
clear them, while a board with nothing in the area keeps its own message.

With OFAIR_SHOTS_DIR set, the test also saves screenshots there (390 and 1280 px, he and en)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from playwright.sync_api import expect

from ofair_app.ui.pages.pro_home import PAGE
from tests.e2e.conftest import DESKTOP, PHONE, sign_in_as
from tests.factories import (
    city,
    consumer_lead_data,
    make_lead,
    make_professional,
    make_user,
    token_for,
)

LEADS = 3 * PAGE + 5
SHOTS = os.environ.get("OFAIR_SHOTS_DIR")


def _card_ids(page) -> list[str]:
    hrefs = page.locator("#lead-board a.lead-card").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    return [href.rsplit("/", 1)[1] for href in hrefs]


def _page_answers(frames: list[str]) -> list[tuple[int, list[dict]]]:
    """(bytes, `page_rows`) of every socket.io message that carried a board page."""
    pages = []
    for frame in frames:
        if "page_rows_rx_state_" not in frame:
            continue
        _, payload = json.loads(frame[frame.index("["):])
        for values in payload.get("delta", {}).values():
            if values.get("page_rows_rx_state_"):
                pages.append((len(frame.encode()), values["page_rows_rx_state_"]))
    return pages


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


def test_more_adds_each_page_once_and_answers_with_that_page_only(page, app_url):
    # Dimona, 10 km: no other e2e test posts there, so the board holds this test's leads only
    # (the e2e database is shared by the whole session).
    _, owner = make_professional(business_name="אינסטלציה דפים", locality_id=city("Dimona"),
                                 service_radius_km=10)
    consumer = make_user(name="צרכנית")
    posted = {str(make_lead(consumer, consumer_lead_data(
        title=f"תיקון מספר {n:02d}", locality_id=city("Dimona"))).id) for n in range(LEADS)}
    frames: list[str] = []
    page.add_init_script("window.__ofairMore = 1")  # no infinite scroll: clicks are counted
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: frames.append(payload) if isinstance(payload, str)
        else None))
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro")
    cards = page.locator("#lead-board a.lead-card")
    expect(cards).to_have_count(PAGE)
    more = page.locator("#board-more")
    for shown in (2 * PAGE, 3 * PAGE, LEADS):
        more.click()
        expect(cards).to_have_count(shown)
        ids = _card_ids(page)
        assert len(ids) == len(set(ids)) == shown  # nothing twice
    assert set(_card_ids(page)) == posted  # nothing missing
    expect(more).to_have_count(0)  # the end of the list: no button left waiting
    expect(cards.first).to_have_attribute("href", re.compile(r"^/pro/leads/[0-9a-f-]{36}$"))

    answers = _page_answers(frames)
    assert [len(rows) for _, rows in answers] == [PAGE, PAGE, PAGE, LEADS - 3 * PAGE]
    assert {row["id"] for _, rows in answers for row in rows} == posted
    # Page 3 (the second "more") weighs what page 1 did, not three pages' worth.
    first, third = answers[0][0], answers[2][0]
    assert third < 1.5 * first, (first, third)

    # A reload: the server still holds the last page; the list starts again, whole.
    page.reload()
    expect(cards).to_have_count(PAGE)
    expect(more).to_be_visible()
    more.click()
    expect(cards).to_have_count(2 * PAGE)
    ids = _card_ids(page)
    assert len(set(ids)) == 2 * PAGE and set(ids) <= posted
    _shot(page, "board-390-he")


def test_filters_that_match_nothing_say_so_and_clear(page, desktop_page, app_url):
    # Tiberias: no other test posts there.
    _, owner = make_professional(business_name="חשמל סינון", locality_id=city("Tiberias"),
                                 service_radius_km=10)
    consumer = make_user(name="צרכן סינון")
    for n in range(3):
        make_lead(consumer, consumer_lead_data(title=f"החלפת שקע {n}",
                                               locality_id=city("Tiberias")))
    token = token_for(owner)

    for browser_page, size in ((page, PHONE), (desktop_page, DESKTOP)):
        sign_in_as(browser_page, app_url, token)
        browser_page.goto("/pro")
        expect(browser_page.locator(".lead-card")).to_have_count(3)
        browser_page.fill("#board-q", "שום דבר כזה")
        browser_page.press("#board-q", "Enter")
        no_match = browser_page.locator("#lead-board-no-match")
        expect(no_match).to_contain_text("אין ליד שמתאים לסינון")
        expect(browser_page.locator("#lead-board-empty")).to_have_count(0)
        _shot(browser_page, f"no-match-{size['width']}-he")
        browser_page.locator("#language-switch").first.click()
        expect(no_match).to_contain_text("No lead matches these filters")
        _shot(browser_page, f"no-match-{size['width']}-en")
        browser_page.get_by_role("button", name="Clear filters").click()
        expect(browser_page.locator(".lead-card")).to_have_count(3)
        expect(browser_page.locator("#board-q")).to_have_value("")
        _shot(browser_page, f"board-{size['width']}-en")
        browser_page.locator("#language-switch").first.click()
        expect(browser_page.get_by_role("heading", level=1)).to_have_text("לוח הלידים")

    # Nothing at all in the area: the board's own message, with no filters to clear.
    _, far = make_professional(business_name="אילת ריקה", locality_id=city("Eilat"),
                               service_radius_km=5)
    sign_in_as(page, app_url, token_for(far))
    page.goto("/pro")
    expect(page.locator("#lead-board-empty")).to_contain_text("אין עדיין לידים להצגה")
    expect(page.locator("#board-clear-filters")).to_have_count(0)
    _shot(page, "empty-390-he")
