"""A business owner saves cards from the business profile through the sandbox's card-saving
page (a declined card saves nothing), makes one the default and removes one behind a
confirmation; staff of the business do not see the section."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.factories import add_member, make_professional, make_user, token_for


def _save(page, card: str) -> None:
    page.goto("/pro/profile")
    page.click("#add-card")
    expect(page).to_have_url(re.compile(r"/checkout/seti_sandbox_[0-9a-f]+$"))
    # this page's fields are loaded (the tab's state may still hold the previous page's)
    reference = page.url.rsplit("/", 1)[1]
    expect(page.locator(f'[data-loaded="{reference}"]')).to_have_count(1)
    expect(page.locator("#checkout-setup")).to_be_visible()
    page.fill("#card-number", card)
    page.fill("#card-expiry", "12/30")
    page.fill("#card-cvc", "123")
    page.click("#pay")


def test_an_owner_saves_defaults_and_removes_cards(page, browser, app_url) -> None:
    business, owner = make_professional(make_user(name="אבי"), business_name="אינסטלציה אבי")
    staff = make_user(name="עובד")
    add_member(business, owner, staff)
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/profile")
    expect(page.locator("#saved-cards")).to_contain_text("עדיין אין כרטיס שמור.")

    _save(page, "4000 0000 0000 0002")
    expect(page.get_by_text("הכרטיס נדחה")).to_be_visible()
    _save(page, "4242 4242 4242 4242")
    expect(page).to_have_url(re.compile(r"/pro/profile\?card=saved$"))
    expect(page.locator("#saved-cards")).to_contain_text("הכרטיס נשמר.")
    expect(page.locator(".card-row")).to_have_count(1)
    expect(page.locator(".card-row").first).to_contain_text("4242")
    expect(page.locator(".card-default")).to_have_count(1)

    _save(page, "4242 4242 4242 4242")
    expect(page.locator(".card-row")).to_have_count(2)
    page.locator(".card-make-default").first.click()
    expect(page.locator("#saved-cards")).to_contain_text("הכרטיס הוגדר כברירת מחדל.")
    page.locator(".card-remove").first.click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("להסיר את הכרטיס?")
    dialog.locator(".confirm-action").click()
    expect(page.locator(".card-row")).to_have_count(1)
    expect(page.locator(".card-default")).to_have_count(1)
    assert "4242424242424242" not in page.content()

    staff_context = browser.new_context(base_url=app_url)
    staff_page = staff_context.new_page()
    sign_in_as(staff_page, app_url, token_for(staff))
    staff_page.goto("/pro/profile")
    expect(staff_page.locator("h1").first).to_be_visible()
    expect(staff_page.locator("#saved-cards")).to_have_count(0)
    staff_context.close()
