"""A two-party chat in two browser contexts, never reloaded: the business writes from its lead
page's conversation, the consumer's open page shows it within a second, masked until the award;
the consumer's answer comes back, and the business sees its own message marked read."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import ProposalCreate
from ofair_app.services import proposals
from tests.e2e.conftest import PHONE, sign_in_as
from tests.factories import caller_for, make_lead, make_professional, make_user, token_for

LIVE_MS = 1_000  # "within 1 s" (issue 19 point 6)


def _thread_of(lead, business) -> str:
    from sqlalchemy import text

    with unit_of_work(SYSTEM) as session:
        return str(session.execute(text(
            "SELECT id FROM chat_threads WHERE lead_id = :l AND professional_id = :p"),
            {"l": lead.id, "p": business.id}).scalar_one())


def test_two_parties_talk_live_masked_until_the_award(page, browser, app_url) -> None:
    consumer = make_user(name="שירה לקוחה")
    lead = make_lead(consumer)
    business, pro = make_professional(make_user(name="עמית"), business_name="מיזוג עמית")
    with unit_of_work(caller_for(pro)) as session:
        offer = proposals.create_proposal(
            session=session, caller=caller_for(pro), lead_id=lead.id,
            data=ProposalCreate(price="800", description="התקנה כולל חומרים."))
    thread = _thread_of(lead, business)

    # the consumer: from the request page's offer card into the conversation
    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    page.locator(".offer-card .offer-chat").click()
    expect(page).to_have_url(f"{app_url}/messages/{thread}")
    expect(page.locator("h1")).to_have_text("מיזוג עמית")
    expect(page.locator("#chat-masked")).to_be_visible()

    # the business, in its own browser: from its lead page
    pro_context = browser.new_context(base_url=app_url, viewport=PHONE, locale="he-IL")
    pro_page = pro_context.new_page()
    sign_in_as(pro_page, app_url, token_for(pro))
    pro_page.goto(f"/pro/leads/{lead.id}")
    pro_page.locator("#my-offer .offer-chat").click()
    expect(pro_page).to_have_url(f"{app_url}/messages/{thread}")
    expect(pro_page.locator("h1")).to_have_text("שירה")

    pro_page.fill("#chat-draft", "שלום! אפשר להתקשר אליי 052-1234567")
    started = time.monotonic()
    pro_page.click("#chat-send")
    line = page.locator(".chat-line[data-mine='false'] .chat-body")
    expect(line).to_have_count(1, timeout=LIVE_MS + 2_000)
    arrived = time.monotonic() - started
    expect(line).to_contain_text("שלום! אפשר להתקשר אליי •••")
    expect(pro_page.locator(".chat-line[data-mine='true'] .chat-body")).to_contain_text("•••")
    # the consumer has it open: the writer sees it read, without reloading
    expect(pro_page.locator(".chat-receipt")).to_have_attribute("data-read", "true",
                                                                timeout=LIVE_MS + 2_000)

    page.fill("#chat-draft", "מעולה, מחר בעשר?")
    page.click("#chat-send")
    expect(pro_page.locator(".chat-line[data-mine='false'] .chat-body")).to_have_text(
        "מעולה, מחר בעשר?", timeout=LIVE_MS + 2_000)

    # the award reveals what was written, on both open pages
    with unit_of_work(caller_for(consumer)) as session:
        proposals.accept_proposal(session=session, caller=caller_for(consumer),
                                  proposal_id=offer.id)
    pro_page.fill("#chat-draft", "תודה שבחרתם בנו")
    pro_page.click("#chat-send")
    expect(page.locator(".chat-line[data-mine='false'] .chat-body").first).to_contain_text(
        "052-1234567", timeout=LIVE_MS + 2_000)
    expect(page.locator("#chat-masked")).to_have_count(0)
    pro_context.close()
    # measured, not asserted as a time limit: printed for the closing note
    print(f"chat message reached the other page in {arrived * 1000:.0f} ms")


def test_an_empty_or_long_message_is_refused_with_a_clear_error(page, app_url) -> None:
    consumer = make_user()
    lead = make_lead(consumer)
    business, pro = make_professional(business_name="בדיקה")
    with unit_of_work(caller_for(pro)) as session:
        proposals.create_proposal(session=session, caller=caller_for(pro), lead_id=lead.id,
                                  data=ProposalCreate(price="300", description="בדיקה."))
    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/messages/{_thread_of(lead, business)}")
    page.click("#chat-send")
    expect(page.get_by_role("alert")).to_contain_text("כתבו הודעה")
    expect(page.locator(".chat-line")).to_have_count(0)
    page.goto("/messages/00000000-0000-0000-0000-000000000000")
    expect(page.locator("#chat-missing")).to_be_visible()
