"""The notification center in Chromium: the bell counts what is new, the list opens the page a
notification is about and marks it read, and the account page changes how one is told."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ofair_app.db.engine import unit_of_work
from ofair_app.models import UserRole
from ofair_app.services import notification_center
from tests.e2e.conftest import sign_in_as
from tests.factories import caller_for, make_lead, make_professional, make_user, token_for
from tests.integration.test_notification_center import offer


def test_the_bell_counts_new_offers_and_the_list_opens_them(page, desktop_page, app_url):
    consumer = make_user(name="רונית")
    lead = make_lead(consumer)
    for name in ("אינסטלציה אבי", "מיכל שיפוצים"):
        business, pro = make_professional(business_name=name)
        offer(pro, business, lead)

    sign_in_as(page, app_url, token_for(consumer))
    page.goto("/")
    bell = page.locator("#notifications-bell")
    expect(bell).to_be_visible()
    expect(bell).to_contain_text("2")
    expect(bell).to_have_accessible_name(re.compile("התראות.*2"))
    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications/?$"))
    items = page.locator("#notifications-list .notification-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("מיכל שיפוצים הציעו ₪500 לבקשה")
    expect(page.locator('.notification-item[data-unread="true"]')).to_have_count(2)

    items.first.click()
    expect(page).to_have_url(re.compile(rf"/my/requests/{lead.id}/?$"))
    expect(page.locator("#notifications-bell")).to_contain_text("1")

    page.goto("/notifications")
    expect(page.locator('.notification-item[data-unread="true"]')).to_have_count(1)
    page.click("#notifications-read-all")
    expect(page.locator('.notification-item[data-unread="true"]')).to_have_count(0)
    expect(page.locator("#notifications-read-all")).to_have_count(0)
    expect(page.locator("#notifications-bell")).not_to_contain_text("1")

    # On a desktop, in English, the same list (titles stay in the language they were sent in)
    sign_in_as(desktop_page, app_url, token_for(consumer))
    desktop_page.goto("/notifications")
    expect(desktop_page.locator("#notifications-list .notification-item")).to_have_count(2)


def test_the_pro_shell_and_admin_shell_have_the_bell(page, desktop_page, app_url):
    _, owner = make_professional()
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro")
    expect(page.locator("#notifications-bell:visible")).to_have_count(1)
    admin = make_user(role=UserRole.admin)
    sign_in_as(desktop_page, app_url, token_for(admin))
    desktop_page.goto("/admin")
    expect(desktop_page.locator("#notifications-bell:visible")).to_have_count(1)
    desktop_page.locator("#notifications-bell:visible").click()
    expect(desktop_page.locator("#notifications-empty")).to_be_visible()


def test_choices_are_saved_from_the_account_page(page, app_url):
    user = make_user(email="dana@example.com")
    sign_in_as(page, app_url, token_for(user))
    page.goto("/account")
    settings = page.locator("#notification-settings")
    settings.scroll_into_view_if_needed()
    email = page.locator("#notify-email-proposals")
    expect(email).not_to_be_checked()
    page.locator('label[for="notify-email-proposals"]').click()
    expect(settings.get_by_role("status")).to_contain_text("נשמרו")
    expect(email).to_be_checked()
    expect(page.locator("#notify-quiet")).to_have_attribute("data-state", "unchecked")
    page.locator('label[for="notify-quiet"]').click()
    expect(page.locator("#notify-quiet")).to_have_attribute("data-state", "checked")
    page.select_option("#notify-quiet-start", "23:30")
    expect(page.locator("#notify-quiet-start")).to_have_value("23:30")
    page.locator('label[for="notify-shabbat"]').click()
    expect(page.locator("#notify-shabbat")).to_have_attribute("data-state", "checked")

    caller = caller_for(user)
    with unit_of_work(caller) as session:
        prefs = notification_center.preferences(session=session, caller=caller)
    assert prefs.channels["proposals"]["email"] is True
    assert prefs.quiet.start.strftime("%H:%M") == "23:30" and prefs.quiet.shabbat

    page.reload()
    expect(page.locator("#notify-email-proposals")).to_be_checked()
    expect(page.locator("#notify-quiet-start")).to_have_value("23:30")
