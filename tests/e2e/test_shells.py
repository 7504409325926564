"""The landing page, the language switch and the three shells, in Chromium."""

import re

import httpx
from playwright.sync_api import expect

from ofair_app.models import UserRole
from tests.e2e.conftest import sign_in_as
from tests.factories import make_professional, make_user, token_for

HEBREW = re.compile("[\u0590-\u05ff]")


def _html(page) -> tuple[str, str]:
    return page.evaluate("[document.documentElement.dir, document.documentElement.lang]")


def test_landing_is_hebrew_right_to_left(page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("מקבלים הצעות")
    assert _html(page) == ["rtl", "he"]
    assert HEBREW.search(page.inner_text("main"))
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "Heebo" in font
    assert page.evaluate("document.fonts.check('16px \"Heebo Variable\"', 'שלום')")


def test_language_switch_flips_to_english_and_back(page):
    page.goto("/")
    expect(page.locator("#language-switch").first).to_be_visible()
    page.locator("#language-switch").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("verified local pros")
    assert _html(page) == ["ltr", "en"]
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("verified local pros")
    assert _html(page) == ["ltr", "en"]
    page.locator("#language-switch").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("מקבלים הצעות")
    assert _html(page) == ["rtl", "he"]


def test_pro_shell_has_bottom_navigation_on_a_phone(page, app_url):
    _, owner = make_professional(business_name="גינון השרון")
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro")
    nav = page.locator("#pro-bottom-nav")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link")).to_have_count(5)
    box = nav.bounding_box()
    assert box["y"] + box["height"] >= 844 - 2  # pinned to the bottom of the screen
    expect(page.get_by_role("heading", level=1)).to_have_text("לוח הלידים")


def test_admin_shell_has_a_sidebar_and_shows_database_status(desktop_page, app_url):
    sign_in_as(desktop_page, app_url, token_for(make_user(role=UserRole.admin, name="מנהל")))
    desktop_page.goto("/admin")
    expect(desktop_page.locator("#admin-sidebar")).to_be_visible()
    expect(desktop_page.locator("#db-status")).to_have_text("תקין", timeout=15000)
    expect(desktop_page.get_by_text("ofair_app")).to_be_visible()


def test_unknown_page_is_a_friendly_404(page):
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_have_text("הדף לא נמצא")


def test_the_api_is_mounted_in_the_app(app_url):
    health = httpx.get(f"{app_url}/api/v1/health", timeout=10)
    assert health.status_code == 200
    assert health.json()["database"]["role"] == "ofair_app"
    missing = httpx.get(f"{app_url}/api/v1/nope", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert httpx.get(f"{app_url}/api/v1/openapi.json", timeout=10).status_code == 200
