"""A site visit and the check-in on site, in Chromium: the business publishes its hours on its
profile, the client books a free time from the request page and sees the pass (a QR code and
a short code), the business opens the QR's link and checks in; the same code again shows who
checked in first; the client's page says the visit was checked in.

With OFAIR_SHOTS_DIR set, the pages are saved as screenshots (phone and desktop, Hebrew and
English) for a person to look at."""

from __future__ import annotations

from playwright.sync_api import expect

from ofair_app.db.engine import unit_of_work
from ofair_app.models import ProposalCreate
from ofair_app.services import check_ins, proposals
from tests.e2e.conftest import save_shots, sign_in_as
from tests.factories import caller_for, make_lead, make_professional, make_user, token_for


def test_hours_a_booking_and_a_one_time_check_in(page, browser, app_url) -> None:
    consumer = make_user(name="מאיה רוזן")
    _business, pro = make_professional(make_user(name="דור"), business_name="מיזוג דור")
    lead = make_lead(consumer)
    with unit_of_work(caller_for(pro)) as session:
        proposals.create_proposal(session=session, caller=caller_for(pro), lead_id=lead.id,
                                  data=ProposalCreate(price="450", description="אבדוק ואתקן."))

    # the business opens visits on its profile: every day, the default hours
    sign_in_as(page, app_url, token_for(pro))
    page.goto("/pro/profile")
    hours = page.locator("#visit-hours")
    expect(hours).to_be_visible()
    days = hours.locator(".vh-day")
    expect(days).to_have_count(7)
    for n in range(7):  # each day's toggle shows it open once the server answered
        days.nth(n).click()
        expect(days.nth(n)).to_have_attribute("aria-pressed", "true")
    page.click("#vh-save")
    expect(hours).to_contain_text("נשמרו")
    save_shots(browser, app_url, pro, "/pro/profile", "#visit-hours", "visit-hours")

    # the client books the first free time
    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    page.locator(".visit-book").first.click()
    expect(page.locator("#visit-picker")).to_be_visible()
    save_shots(browser, app_url, consumer, f"/my/requests/{lead.id}", "#visits-panel",
           "visit-panel")
    page.locator(".visit-slot").first.click()
    expect(page.locator(".visit-row")).to_have_count(1)
    expect(page.locator(".check-in-pass .check-in-qr")).to_be_visible()
    code = page.locator(".check-in-code").inner_text().strip()
    assert len(code) == 9 and code[4] == "-"
    save_shots(browser, app_url, consumer, f"/my/requests/{lead.id}", ".check-in-pass",
           "visit-pass")

    # the business, on site: the QR's link opens the check-in page
    with unit_of_work(caller_for(consumer)) as session:
        [visit_pass] = check_ins.passes_of_lead(session=session, caller=caller_for(consumer),
                                                lead_id=lead.id)
    link = "/" + visit_pass.link.split("/", 3)[3]
    sign_in_as(page, app_url, token_for(pro))
    page.goto(link)
    expect(page.locator("#check-in-submit")).to_be_visible()
    save_shots(browser, app_url, pro, link, "#check-in-submit", "check-in")
    page.fill("#check-in-place", "בלובי")
    page.click("#check-in-submit")
    expect(page.locator("#check-in-result")).to_contain_text("הצ׳ק-אין בוצע")
    # again, by typing the code: the duplicate says who was first
    page.click("#check-in-result button")
    page.fill("#check-in-code", code)
    page.click("#check-in-submit")
    expect(page.locator("#check-in-result")).to_contain_text("כבר נוצל")
    expect(page.locator("#check-in-result")).to_contain_text("דור")

    # the client's page says so
    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    expect(page.locator(".visit-row")).to_contain_text("צ׳ק-אין")
    expect(page.locator(".check-in-pass")).to_contain_text("בוצע צ׳ק-אין")
