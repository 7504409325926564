"""A review from start to finish in Chromium: the client of a closed job rates it on the
request page (overall and four aspects, a text, shown by first name), the business answers on
its lead page, and the public page shows the rating, the distribution and both texts.

With OFAIR_SHOTS_DIR set, the three pages are also saved as screenshots (phone and desktop,
Hebrew and English) for a person to look at."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import save_shots, sign_in_as
from tests.factories import make_paid_job, make_professional, make_user, token_for


def _pick(page, name: str, stars: int) -> None:
    page.locator(f"#review-{name} [role=radio][aria-label='{stars}/5']").click()


def test_a_client_reviews_the_business_answers_and_the_public_sees_it(
        page, browser, app_url) -> None:
    consumer = make_user(name="נועה ברק")
    business, pro = make_professional(make_user(name="איתי"), business_name="נגרות איתי")
    lead = make_paid_job(consumer, pro, "2400", title="ארון קיר לחדר שינה", done=True)

    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    expect(page.locator("#review-form")).to_be_visible()
    save_shots(browser, app_url, consumer, f"/my/requests/{lead.id}", "#review-form",
           "review-form")
    # a submit without stars names what is missing, beside it
    page.click("#review-submit")
    expect(page.locator("#review-panel [role=alert]").first).to_be_visible()
    _pick(page, "rating", 4)
    for aspect, stars in (("quality", 5), ("punctuality", 3), ("price", 4), ("attitude", 5)):
        _pick(page, aspect, stars)
    page.fill("#review-body", "ארון מעולה, הגיע באיחור של שעה.")
    page.click("#review-submit")
    card = page.locator("#review-panel .review-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("ארון מעולה")
    expect(card).to_contain_text("נועה")
    expect(page.locator("#review-edit")).to_be_visible()

    # the business answers from its lead page
    sign_in_as(page, app_url, token_for(pro))
    page.goto(f"/pro/leads/{lead.id}")
    expect(page.locator("#review-panel .review-card")).to_contain_text("ארון מעולה")
    save_shots(browser, app_url, pro, f"/pro/leads/{lead.id}", "#review-reply", "review-reply")
    page.fill("#review-reply", "תודה נועה! מצטערים על האיחור.")
    page.click("#review-reply-submit")
    expect(page.locator("#review-panel .review-reply")).to_contain_text("מצטערים על האיחור")
    expect(page.locator("#review-reply")).to_have_count(0)

    # anyone: the public page
    page.context.clear_cookies()
    page.goto(f"/pros/{business.id}")
    summary = page.locator("#review-summary")
    expect(summary).to_contain_text("4.0")
    expect(page.locator("#reviews .review-card")).to_have_count(1)
    expect(page.locator("#reviews .review-card")).to_contain_text("מצטערים על האיחור")
    save_shots(browser, app_url, None, f"/pros/{business.id}", "#review-summary", "review-public")
