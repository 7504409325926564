"""The accessibility statement and the accessibility control (issue 15, point 3), in Chromium.

Every shell's footer links to `/accessibility`; the statement names the coordinator the app's
settings give (tests/e2e/conftest.py) in Hebrew and English; the control changes the root font
size, the contrast and the motion, by mouse and by keyboard, and the choice is still there
after a reload, on <html> before the page hydrates. With OFAIR_SHOTS_DIR set, the statement and
the open control are saved there at 390 and 1280 px in both languages."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

from playwright.sync_api import expect

from ofair_app.models import UserRole
from ofair_app.ui import format
from tests.e2e.conftest import A11Y_COORDINATOR, DESKTOP, PHONE, sign_in_as
from tests.factories import make_professional, make_user, token_for

NAME = A11Y_COORDINATOR["ACCESSIBILITY_COORDINATOR_NAME"]
PHONE_NUMBER = A11Y_COORDINATOR["ACCESSIBILITY_COORDINATOR_PHONE"]
EMAIL = A11Y_COORDINATOR["ACCESSIBILITY_COORDINATOR_EMAIL"]
REVIEWED = date.fromisoformat(A11Y_COORDINATOR["ACCESSIBILITY_REVIEWED_ON"])

# What the page's <html> carries once the head's script ran (read at DOMContentLoaded, before
# React hydrates).
RECORD_EARLY = """
document.addEventListener('DOMContentLoaded', function () {
  var html = document.documentElement;
  window.__early = [html.getAttribute('data-text-size'), html.getAttribute('data-contrast'),
                    html.getAttribute('data-motion'), getComputedStyle(html).fontSize];
});
"""


def _shot(page, name: str, full_page: bool = True) -> None:
    """A screenshot for a person to look at (not an assertion), once every animation (the
    dialog's fade-in) is over; only when asked for."""
    folder = os.environ.get("OFAIR_SHOTS_DIR")
    if folder:
        page.wait_for_function(
            "document.getAnimations().every(a => a.playState !== 'running')")
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def _english(page, app_url: str) -> None:
    page.context.add_cookies([{"name": "ofair_locale", "value": "en", "url": app_url}])


def _html(page, attribute: str) -> str:
    return page.evaluate(f"document.documentElement.getAttribute('data-{attribute}')")


def _root_font_px(page) -> float:
    return float(page.evaluate("getComputedStyle(document.documentElement).fontSize")[:-2])


def _open_control(page):
    page.locator(".a11y-open:visible").first.click()
    panel = page.locator("#a11y-panel")
    expect(panel).to_be_visible()
    return panel


def _option(panel, setting: str, value: str):
    return panel.locator(f'[data-a11y="{setting}:{value}"]')


def _footer_link_leads_to_the_statement(page) -> None:
    link = page.locator("a.footer-accessibility:visible")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "/accessibility")
    link.scroll_into_view_if_needed()
    link.click()
    expect(page).to_have_url(re.compile(r"/accessibility$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("הצהרת נגישות")


def test_every_shell_has_the_statement_in_its_footer(page, desktop_page, app_url):
    for path in ("/", "/login"):
        page.goto(path)
        _footer_link_leads_to_the_statement(page)

    _, owner = make_professional(business_name="נגישות בע״מ")
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro")
    expect(page.locator("#pro-bottom-nav")).to_be_visible()
    # above the phone's bottom tab bar, not under it
    footer = page.locator("footer:visible").last
    footer.scroll_into_view_if_needed()
    nav_top = page.locator("#pro-bottom-nav").bounding_box()["y"]
    link_box = footer.locator("a.footer-accessibility").bounding_box()
    assert link_box["y"] + link_box["height"] <= nav_top
    _footer_link_leads_to_the_statement(page)

    admin = make_user(role=UserRole.admin, name="מנהלת")
    for shown in (page, desktop_page):
        sign_in_as(shown, app_url, token_for(admin))
        shown.goto("/admin")
        expect(shown.locator("#db-status")).to_be_visible(timeout=15000)
        _footer_link_leads_to_the_statement(shown)


def test_the_statement_names_the_coordinator_from_settings_in_hebrew_and_english(page,
                                                                                 app_url):
    page.goto("/accessibility")
    expect(page.get_by_role("heading", level=1)).to_have_text("הצהרת נגישות")
    expect(page.locator("#coordinator-name")).to_have_text(NAME)
    expect(page.locator("#coordinator-phone")).to_have_text(PHONE_NUMBER)
    expect(page.locator("#coordinator-phone")).to_have_attribute("href", "tel:035550142")
    expect(page.locator("#coordinator-email")).to_have_text(EMAIL)
    expect(page.locator("#coordinator-email")).to_have_attribute("href", f"mailto:{EMAIL}")
    expect(page.locator("#reviewed-on")).to_contain_text(format.long_day(REVIEWED, "he"))
    main = page.locator("main")
    expect(main).to_contain_text("ת״י 5568")
    expect(main).to_contain_text("התשע״ג-2013")
    expect(page.locator("#known-limits li")).to_have_count(4)

    page.locator("#language-switch").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
        "en", "ltr"]
    expect(page.locator("#reviewed-on")).to_contain_text(format.long_day(REVIEWED, "en"))
    expect(page.locator("#coordinator-name")).to_have_text(NAME)
    expect(main).to_contain_text("IS 5568")
    expect(main).to_contain_text("(Service Accessibility Adjustments) Regulations, 2013")

    _english(page, app_url)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    expect(page.locator("#coordinator-email")).to_have_text(EMAIL)


def test_the_control_changes_text_contrast_and_motion_and_keeps_them(page):
    page.add_init_script(RECORD_EARLY)
    page.goto("/accessibility")
    expect(page.locator("#coordinator-name")).to_have_text(NAME)
    assert [_html(page, "text-size"), _html(page, "contrast"), _html(page, "motion")] == [
        "100", "standard", "full"]
    assert _root_font_px(page) == 16
    heading_before = page.locator("h1").bounding_box()["height"]

    panel = _open_control(page)
    expect(_option(panel, "text-size", "100")).to_have_attribute("aria-pressed", "true")
    _option(panel, "text-size", "125").click()
    expect(_option(panel, "text-size", "125")).to_have_attribute("aria-pressed", "true")
    expect(_option(panel, "text-size", "100")).to_have_attribute("aria-pressed", "false")
    assert _html(page, "text-size") == "125"
    assert _root_font_px(page) == 20
    # Radix's own text follows the root size too
    size_2 = page.evaluate("getComputedStyle(document.querySelector('.radix-themes'))"
                           ".getPropertyValue('--font-size-2')")
    assert "rem" in size_2

    _option(panel, "contrast", "more").click()
    assert _html(page, "contrast") == "more"
    ink = page.evaluate("getComputedStyle(document.body).color")
    assert ink == "rgb(0, 0, 0)"

    _option(panel, "motion", "reduce").click()
    assert _html(page, "motion") == "reduce"
    duration = page.evaluate("getComputedStyle(document.querySelector('#a11y-close'))"
                             ".transitionDuration")
    assert all(float(part.strip()[:-1]) < 0.001 for part in duration.split(","))

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert page.locator("h1").bounding_box()["height"] > heading_before

    page.reload()
    assert page.evaluate("window.__early") == ["125", "more", "reduce", "20px"]
    expect(page.locator("#coordinator-name")).to_have_text(NAME)
    assert _root_font_px(page) == 20
    panel = _open_control(page)
    expect(_option(panel, "contrast", "more")).to_have_attribute("aria-pressed", "true")
    expect(_option(panel, "motion", "reduce")).to_have_attribute("aria-pressed", "true")

    # every page of the site, not only this one
    page.goto("/login")
    assert [_html(page, "text-size"), _html(page, "contrast")] == ["125", "more"]

    panel = _open_control(page)
    panel.locator("#a11y-reset").click()
    assert [_html(page, "text-size"), _html(page, "contrast"), _html(page, "motion")] == [
        "100", "standard", "full"]
    assert page.evaluate("localStorage.getItem('ofair-a11y')") == "{}"


def test_the_control_works_by_keyboard_alone(desktop_page):
    page = desktop_page
    page.goto("/accessibility")
    expect(page.locator("#coordinator-name")).to_have_text(NAME)
    trigger = page.locator(".a11y-open:visible").first
    trigger.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#a11y-panel")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("role", "dialog")
    expect(panel).to_have_accessible_name("התאמות נגישות")
    in_panel = "!!document.activeElement.closest('#a11y-panel')"
    assert page.evaluate(in_panel)

    # Tab reaches the 150% option; Space chooses it
    for _ in range(12):
        if page.evaluate("document.activeElement.getAttribute('data-a11y')") == "text-size:150":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert _html(page, "text-size") == "150"
    assert _root_font_px(page) == 24
    expect(_option(panel, "text-size", "150")).to_have_attribute("aria-pressed", "true")

    # the focus stays in the dialog however far one tabs
    for _ in range(15):
        page.keyboard.press("Tab")
        assert page.evaluate(in_panel)

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('a11y-open')")


def test_system_settings_apply_until_the_reader_chooses(browser, app_url):
    context = browser.new_context(base_url=app_url, viewport=PHONE, locale="he-IL",
                                  reduced_motion="reduce", contrast="more")
    try:
        page = context.new_page()
        page.goto("/accessibility")
        expect(page.get_by_role("heading", level=1)).to_have_text("הצהרת נגישות")
        assert [_html(page, "contrast"), _html(page, "motion")] == ["more", "reduce"]
        panel = _open_control(page)
        _option(panel, "motion", "full").click()
        page.reload()
        assert [_html(page, "contrast"), _html(page, "motion")] == ["more", "full"]
    finally:
        context.close()


def test_statement_and_control_on_phone_and_desktop_in_both_languages(browser, app_url):
    """Both languages at both widths: the page fits the screen, the dialog is in the page's
    language and direction (and, with OFAIR_SHOTS_DIR, screenshots for a person to look at)."""
    for locale in ("he", "en"):
        for label, viewport in (("390", PHONE), ("1280", DESKTOP)):
            context = browser.new_context(base_url=app_url, viewport=viewport,
                                          locale="he-IL")
            try:
                page = context.new_page()
                if locale == "en":
                    _english(page, app_url)
                page.goto("/accessibility")
                expect(page.locator("#coordinator-name")).to_have_text(NAME)
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                _shot(page, f"statement-{locale}-{label}")
                panel = _open_control(page)
                title = "Accessibility settings" if locale == "en" else "התאמות נגישות"
                expect(panel.get_by_role("heading")).to_have_text(title)
                direction = page.evaluate(
                    "getComputedStyle(document.querySelector('#a11y-panel')).direction")
                assert direction == ("ltr" if locale == "en" else "rtl")
                _shot(page, f"control-{locale}-{label}", full_page=False)
                _option(panel, "text-size", "150").click()
                _option(panel, "contrast", "more").click()
                page.keyboard.press("Escape")
                expect(panel).to_be_hidden()
                _shot(page, f"statement-large-contrast-{locale}-{label}", full_page=False)
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            finally:
                context.close()
