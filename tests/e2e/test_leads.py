"""A consumer files a request from the landing page, confirming the phone with a code; a pro in
that city and category finds it on the Lead Board, with no client detail anywhere on the page.
A pro posts a referral through the wizard with the live commission preview."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ofair_app import reference
from ofair_app.i18n import translate
from tests.e2e.conftest import OTP_CODE, sign_in_as
from tests.e2e.test_identity import local
from tests.factories import city, make_professional, make_user, token_for

CLIENT_NAME = "רונית לקוחה"
CLIENT_ADDRESS = "הרצל 12"


def test_a_request_filed_with_a_code_reaches_the_board_without_client_details(
        page, browser, app_url, otp_phone):
    category = reference.categories()[0]
    haifa_pro, pro_owner = make_professional(
        make_user(name="אבי"), business_name="אינסטלציה אבי", category=category.slug,
        locality_id=city("Haifa"), service_radius_km=30)

    page.goto("/")
    page.click("#r-category")
    page.get_by_role("option", name=category.name_he, exact=True).click()
    page.fill("#f-locality", "חיפ")
    page.locator(".locality-option").first.click()
    expect(page.locator("#chosen-locality")).to_have_text("חיפה")
    page.fill("#r-description", "הברז במטבח מטפטף ויש רטיבות בארון. אפשר לחזור אליי ב-052-1234567")
    page.fill("#r-budget", "450")
    page.fill("#r-name", CLIENT_NAME)
    page.fill("#r-phone", "12345")
    page.click("#r-submit")
    expect(page.get_by_text("יש להזין מספר נייד")).to_be_visible()  # no code was sent

    page.fill("#r-phone", local(otp_phone))
    page.check("#r-accept")  # the privacy notice and the terms (test_privacy_consent.py)
    page.click("#r-submit")
    page.fill("#r-otp", "000000")
    page.click("#r-verify")
    expect(page.locator("#r-otp")).to_be_visible()  # a wrong code posts nothing
    page.fill("#r-otp", OTP_CODE)
    page.click("#r-verify")
    expect(page.locator("#request-sent")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/my/requests/[0-9a-f-]{36}\?sent=1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{category.name_he} בחיפה")
    expect(page.get_by_role("main").get_by_text(CLIENT_NAME)).to_be_visible()  # theirs

    context = browser.new_context(base_url=app_url, viewport={"width": 390, "height": 844},
                                  locale="he-IL")
    pro_page = context.new_page()
    sign_in_as(pro_page, app_url, token_for(pro_owner))
    pro_page.goto("/pro")
    card = pro_page.locator(".lead-card").first
    expect(card).to_contain_text(f"{category.name_he} בחיפה")
    expect(card).to_contain_text("₪450")
    expect(card.locator(".posted")).to_have_text(re.compile("ממש עכשיו|לפני"))
    expect(card.locator(".distance")).to_be_visible()
    html = pro_page.content()
    for secret in (CLIENT_NAME, "1234567", otp_phone, otp_phone[4:], local(otp_phone)):
        assert secret not in html, secret

    card.click()
    expect(pro_page.locator("#lead-summary")).to_contain_text("•••")
    expect(pro_page.get_by_text("השם, הטלפון והכתובת נמסרים רק")).to_be_visible()
    html = pro_page.content()
    assert CLIENT_NAME not in html and local(otp_phone) not in html
    context.close()
    assert haifa_pro.id


def test_a_pro_refers_a_lead_through_the_wizard_with_the_commission_preview(
        page, app_url):
    category = reference.categories()[0]
    business, owner = make_professional(make_user(name="רון"), business_name="שיפוצי רון",
                                        category=category.slug, locality_id=city("Haifa"))
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/leads/new")
    page.click("#w-next")
    # Every bad field of the step at once, each with its limit.
    expect(page.get_by_text("יש להזין לפחות 3 תווים.")).to_be_visible()
    expect(page.get_by_text("יש להזין לפחות 10 תווים.")).to_be_visible()
    expect(page.get_by_text(translate("errors.category.required", "he"))).to_be_visible()
    expect(page.get_by_text(translate("errors.lead.place_required", "he"))).to_be_visible()
    page.fill("#w-title", "החלפת דוד שמש")
    page.fill("#w-description", "לקוח ותיק צריך החלפת דוד שמש של 150 ליטר")
    page.click("#w-category")
    page.get_by_role("option", name=category.name_he, exact=True).click()
    page.fill("#f-locality", "haifa")
    page.locator(".locality-option").first.click()
    page.click("#w-next")
    page.fill("#w-client_name", "משה הלקוח")
    page.fill("#w-client_phone", "052-765-4321")
    page.click("#w-next")
    page.click("#w-next")  # no attachments
    page.fill("#w-budget", "1000")
    page.locator("#w-budget").blur()
    expect(page.locator("#preview-referrer")).to_have_text("₪200")
    expect(page.locator("#preview-performer")).to_have_text("₪750")
    expect(page.locator("#preview-platform")).to_have_text("₪50")
    page.click("#w-next")
    page.click("#w-publish")
    expect(page.locator("#client-details")).to_contain_text("משה הלקוח")
    expect(page).to_have_url(re.compile(r"/pro/leads/[0-9a-f-]{36}$"))
    assert business.id
