"""Every form on a phone: an empty submit is answered with the app's own messages, all bad
fields at once, beside each field (never the browser's bubble), and no form page is wider
than a 360 or 390 px screen, in Hebrew or English.

Screenshots of each form page go to OFAIR_SHOTS_DIR when it is set (for people to look at)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ofair_app.i18n import translate
from ofair_app.models import UserRole
from tests.e2e.conftest import sign_in_as
from tests.factories import make_lead, make_professional, make_user, token_for

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


def _shot(page, name: str, selector: str = "main") -> None:
    """What a person sees on the phone with the form (`selector`) scrolled into view."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.locator(selector).first.scroll_into_view_if_needed()
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def _context(browser, app_url, width: int, locale: str):
    context = browser.new_context(base_url=app_url, viewport={"width": width, "height": 800},
                                  locale="he-IL")
    context.add_cookies([{"name": "ofair_locale", "value": locale, "url": app_url}])
    return context


@pytest.mark.parametrize("locale", ["he", "en"])
def test_an_empty_request_names_every_field_at_once_in_the_apps_words(browser, app_url,
                                                                      locale):
    context = _context(browser, app_url, 390, locale)
    page = context.new_page()
    page.goto("/")
    form = page.locator("#request form")
    expect(form).to_be_visible()
    assert form.get_attribute("novalidate") is not None  # no browser bubbles
    page.click("#r-submit")
    expected = [translate("errors.category.required", locale),
                translate("errors.lead.place_required", locale),
                translate("errors.field.min_length", locale, min=10),
                translate("errors.field.required", locale)]
    for message in expected:
        expect(page.get_by_text(message, exact=True).first).to_be_visible()
    # One message beside each bad field: category, city, description, name, phone, and the
    # acknowledgement of the privacy notice and the terms.
    expect(page.locator("#request .ofair-field-error")).to_have_count(6)
    expect(page.get_by_text(translate("ui.consent.required", locale), exact=True)).to_be_visible()
    expect(page.locator("#r-description")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#r-description")).to_have_attribute("aria-describedby",
                                                             "r-description-message")
    expect(page.locator("#r-name")).to_have_attribute("aria-required", "true")
    # The messages are the app's (its red text), and the browser raised no validation.
    assert page.evaluate("document.querySelector('#request form').checkValidity()")
    assert page.evaluate(NO_OVERFLOW)
    _shot(page, f"request-empty-submit-390-{locale}", "#r-description")
    context.close()


def _form_pages(app_url) -> list[tuple[str, str, str | None, str]]:
    """(name, path, token, the form's selector) of every page with a form."""
    consumer = make_user(name="רונית")
    newcomer = make_user(name="")
    _, owner = make_professional(make_user(name="אבי"))
    admin = make_user(role=UserRole.admin, name="מנהלת")
    lead = make_lead(consumer)
    return [
        ("request", "/", None, "#request"),
        ("login", "/login", None, "form"),
        ("privacy", "/privacy", None, "main"),
        ("terms", "/terms", None, "main"),
        ("account", "/account", token_for(consumer), "#account-privacy"),
        ("onboarding", "/pro/onboarding", token_for(newcomer), "form"),
        ("board", "/pro", token_for(owner), "form"),
        ("offer", f"/pro/leads/{lead.id}", token_for(owner), "#offer-form"),
        ("wizard", "/pro/leads/new", token_for(owner), "main"),
        ("profile", "/pro/profile", token_for(owner), "form"),
        ("team", "/pro/team", token_for(owner), "form"),
        ("wallet", "/pro/wallet", token_for(owner), "#withdraw-form"),
        ("my-request", f"/my/requests/{lead.id}", token_for(consumer), "main"),
        ("admin-professionals", "/admin/professionals", token_for(admin), "main"),
        ("admin-payouts", "/admin/payouts", token_for(admin), "#manual-business"),
        ("admin-disputes", "/admin/disputes", token_for(admin), "main"),
    ]


def test_no_form_page_is_wider_than_a_phone(browser, app_url):
    """Each form page loaded once per language, then laid out at each width in turn (a resize
    applies the CSS media queries as a load at that width would)."""
    pages = _form_pages(app_url)
    wide: list[str] = []
    for locale in ("he", "en"):
        context = _context(browser, app_url, 360, locale)
        page = context.new_page()
        for name, path, token, form in pages:
            page.set_viewport_size({"width": 360, "height": 800})
            if token:
                sign_in_as(page, app_url, token)
            else:
                page.context.clear_cookies(name="ofair_token")
            page.goto(path)
            page.wait_for_load_state("networkidle")
            expect(page.locator("main").first).to_be_visible()
            if name == "board":
                page.click("#board-filters-toggle")
            if name == "offer":
                expect(page.locator("#offer-form")).to_be_visible()
            for width in (360, 390, 1280):
                page.set_viewport_size({"width": width, "height": 800})
                page.wait_for_timeout(100)
                if not page.evaluate(NO_OVERFLOW):
                    wide.append(f"{name} {width}px {locale}: "
                                f"{page.evaluate('document.documentElement.scrollWidth')}")
                _shot(page, f"{name}-{width}-{locale}", form)
        context.close()
    assert wide == [], wide


def test_the_offer_date_is_picked_as_day_month_year_in_hebrew(page, app_url):
    consumer = make_user(name="רונית")
    _, owner = make_professional(make_user(name="אבי"))
    lead = make_lead(consumer)
    sign_in_as(page, app_url, token_for(owner))
    page.goto(f"/pro/leads/{lead.id}")
    expect(page.locator("#offer-form")).to_be_visible()
    assert page.locator("#offer-form input[type=date]").count() == 0
    page.click("#offer-date-month")
    expect(page.get_by_role("option", name="מרץ", exact=True)).to_be_visible()
    page.get_by_role("option", name="מרץ", exact=True).click()
    page.click("#send-offer")  # nothing else filled: every message at once
    expect(page.get_by_text(translate("errors.field.date", "he"))).to_be_visible()
    expect(page.get_by_text(translate("errors.field.min_length", "he", min=5))).to_be_visible()
    expect(page.get_by_text(translate("errors.field.money_range", "he", min="0.01",
                                      max="10,000,000"))).to_be_visible()
    assert page.evaluate(NO_OVERFLOW)
    _shot(page, "offer-errors-390-he", "#offer-date")
