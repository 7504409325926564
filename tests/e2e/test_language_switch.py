"""One language at a time (issue: after switching to English, statuses, times, categories,
cities and dates stayed Hebrew until a reload, and `40 · תל אביב-יפו · אינסטלציה km` garbled).
The switch re-reads the open page: everything the server formatted turns English at once, with
no reload, and back; the board's mixed line keeps each part (and `30 km`) one isolated unit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from ofair_app import reference
from ofair_app.db.engine import unit_of_work
from ofair_app.models import ProposalCreate
from ofair_app.services import proposals
from ofair_app.ui import format
from tests.e2e.conftest import DESKTOP, sign_in_as
from tests.factories import (
    caller_for,
    city,
    consumer_lead_data,
    make_lead,
    make_professional,
    make_user,
    token_for,
)

AT_ONCE_MS = 3_000


def _no_reload_marker(page) -> None:
    page.evaluate("window.__sameDocument = true")


def _still_same_document(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_the_request_page_turns_english_at_once_and_back(page, app_url) -> None:
    consumer = make_user(name="רונית לקוחה")
    lead = make_lead(consumer, consumer_lead_data(locality_id=city("Tel Aviv")))
    _, pro = make_professional(make_user(name="אבי"), business_name="אינסטלציה אבי")
    start = date.today() + timedelta(days=3)
    with unit_of_work(caller_for(pro)) as session:
        proposals.create_proposal(
            session=session, caller=caller_for(pro), lead_id=lead.id,
            data=ProposalCreate(price=Decimal("600"), description="אגיע מחר בבוקר עם חלקים.",
                                scheduled_date=start))

    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    detail = page.locator("main, body").first
    expect(page.locator(".lead-status")).to_have_text("פתוחה להצעות")
    expect(detail).to_contain_text("תל אביב-יפו")
    expect(detail).to_contain_text("אינסטלציה")
    expect(page.locator(".offer-card")).to_contain_text("ממתינה")
    expect(page.locator(".offer-card")).to_contain_text(format.day(start, "he"))
    expect(detail).to_contain_text("ממש עכשיו")  # when it was posted
    _no_reload_marker(page)

    page.click("#language-switch")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator(".lead-status")).to_have_text("Open for offers", timeout=AT_ONCE_MS)
    expect(detail).to_contain_text("Tel Aviv", timeout=AT_ONCE_MS)
    expect(detail).to_contain_text("Plumbing")
    expect(detail).to_contain_text("just now")
    expect(page.locator(".offer-card")).to_contain_text("Waiting")
    expect(page.locator(".offer-card")).to_contain_text(format.day(start, "en"))
    _still_same_document(page)

    page.click("#language-switch")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".lead-status")).to_have_text("פתוחה להצעות", timeout=AT_ONCE_MS)
    expect(detail).to_contain_text("תל אביב-יפו")
    _still_same_document(page)


def test_the_board_line_reads_right_in_english(browser, app_url) -> None:
    plumbing = reference.category("plumbing")
    _, pro = make_professional(make_user(name="דני"), business_name="דני צנרת",
                               category=plumbing.slug, locality_id=city("Tel Aviv"),
                               service_radius_km=30)
    make_lead(make_user(), consumer_lead_data(locality_id=city("Tel Aviv")))
    context = browser.new_context(base_url=app_url, viewport=DESKTOP, locale="he-IL")
    page = context.new_page()
    sign_in_as(page, app_url, token_for(pro))
    page.goto("/pro")
    area = page.locator("#board-area")
    expect(area).to_have_text("אינסטלציה · תל אביב-יפו · 30 ק״מ")
    _no_reload_marker(page)

    page.click("#language-switch")
    expect(area).to_have_text("Plumbing · Tel Aviv · 30 km", timeout=AT_ONCE_MS)
    # each fact is its own isolate; "30 km" is one of them
    expect(area.locator("bdi")).to_have_count(3)
    expect(area.locator("bdi").nth(2)).to_have_text("30 km")
    card = page.locator(".lead-card").first
    expect(card).to_contain_text("Tel Aviv", timeout=AT_ONCE_MS)
    expect(card.locator(".posted")).to_have_text("just now")
    expect(card.locator(".distance")).to_contain_text("km")
    _still_same_document(page)
    context.close()
