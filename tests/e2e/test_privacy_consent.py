"""The privacy notice and the terms in Chromium: the pages in both languages, the footer links
on every shell, sign-up and the request form showing the notice and refusing to go on without
the acknowledgement, the marketing switch on /account and the one-click unsubscribe link.
Screenshots (390 and 1280 px, he and en) go to $OFAIR_SHOTS_DIR when it is set."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from ofair_app import policies, reference
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.consent import ConsentChannel, ConsentKind
from ofair_app.i18n import translate
from ofair_app.models import UserRole
from ofair_app.services import consents
from tests.e2e.conftest import DESKTOP, OTP_CODE, PHONE, sign_in_as
from tests.e2e.test_identity import local
from tests.factories import caller_for, make_professional, make_user, token_for

SHOTS = os.environ.get("OFAIR_SHOTS_DIR")
VERSIONS = policies.current_versions()
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


def _shot(page, name: str, element: str | None = None) -> None:
    """A screenshot for a person to look at: the whole page, or one element of it."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        path = str(Path(SHOTS) / f"{name}.png")
        if element:
            page.locator(element).screenshot(path=path)
        else:
            page.screenshot(path=path, full_page=True)


def _context(browser, app_url, viewport, locale: str):
    context = browser.new_context(base_url=app_url, viewport=viewport, locale="he-IL")
    context.add_cookies([{"name": "ofair_locale", "value": locale, "url": app_url}])
    return context


def _consents_of(phone: str) -> list[tuple]:
    with unit_of_work(SYSTEM) as session:
        return [tuple(r) for r in session.execute(text(
            "SELECT c.kind, c.version, c.accepted, c.channel FROM consents c"
            " JOIN users u ON u.id = c.user_id WHERE u.phone = :p ORDER BY c.id"), {"p": phone})]


VIEWS = [("390", PHONE), ("1280", DESKTOP)]


@pytest.mark.parametrize("locale", ["he", "en"])
@pytest.mark.parametrize(("width", "viewport"), VIEWS)
def test_the_documents_show_their_version_in_the_readers_language(browser, app_url, locale,
                                                                  width, viewport):
    context = _context(browser, app_url, viewport, locale)
    page = context.new_page()
    for kind, path, title in ((ConsentKind.privacy_notice, "/privacy",
                               {"he": "מדיניות פרטיות", "en": "Privacy notice"}),
                              (ConsentKind.terms, "/terms",
                               {"he": "תנאי שימוש", "en": "Terms of service"})):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(title[locale])
        expect(page.locator("main")).to_contain_text(VERSIONS[kind])
        footer = page.locator("footer")
        expect(footer.get_by_role("link", name=translate("ui.footer.privacy", locale))
               ).to_have_attribute("href", "/privacy")
        expect(footer.get_by_role("link", name=translate("ui.footer.terms", locale))
               ).to_have_attribute("href", "/terms")
        assert page.evaluate(NO_OVERFLOW)
        _shot(page, f"document-{path.strip('/')}-{width}-{locale}")
    # The terms quote the commission the platform really takes.
    page.goto("/terms")
    expect(page.locator("main")).to_contain_text("10%")
    context.close()


def test_the_pro_and_admin_shells_link_to_both_documents(page, app_url):
    _, owner = make_professional()
    admin = make_user(role=UserRole.admin)
    for user, path in ((owner, "/pro"), (admin, "/admin")):
        sign_in_as(page, app_url, token_for(user))
        page.goto(path)
        footer = page.locator("footer").last
        expect(footer.get_by_role("link", name="מדיניות פרטיות")).to_be_visible()
        expect(footer.get_by_role("link", name="תנאי שימוש")).to_be_visible()


@pytest.mark.parametrize("locale", ["he", "en"])
@pytest.mark.parametrize(("width", "viewport"), VIEWS)
def test_sign_up_shows_the_notice_and_needs_the_acknowledgement(browser, app_url, otp_phone,
                                                                locale, width, viewport):
    context = _context(browser, app_url, viewport, locale)
    page = context.new_page()
    page.goto("/login")
    page.fill("#login-identifier", local(otp_phone))
    page.click("#login-send")
    page.fill("#login-otp", OTP_CODE)
    page.click("#login-verify")
    consent = page.locator("#login-consent")
    expect(consent).to_be_visible()
    expect(consent.locator("#privacy-summary")).to_contain_text(
        translate("ui.consent.summary", locale)[:20])
    expect(consent.locator("a[href='/privacy']").first).to_be_visible()
    expect(consent.locator("a[href='/terms']").first).to_be_visible()
    expect(page.locator("#login-marketing")).not_to_be_checked()  # never ticked for them
    page.click("#login-accept-submit")  # not ticked: refused, nothing opened
    expect(page.get_by_text(translate("ui.consent.required", locale))).to_be_visible()
    expect(page.locator("#login-accept")).to_have_attribute("aria-invalid", "true")
    assert _consents_of(otp_phone) == []
    assert page.evaluate(NO_OVERFLOW)
    _shot(page, f"signup-consent-{width}-{locale}")
    page.check("#login-accept")
    page.click("#login-accept-submit")
    expect(page).not_to_have_url(re.compile(r"/login"))
    assert _consents_of(otp_phone) == [
        ("privacy_notice", VERSIONS[ConsentKind.privacy_notice], True, "web"),
        ("terms", VERSIONS[ConsentKind.terms], True, "web"),
        ("marketing", policies.MARKETING_VERSION, False, "web"),
    ]
    context.close()


@pytest.mark.parametrize("locale", ["he", "en"])
@pytest.mark.parametrize(("width", "viewport"), VIEWS)
def test_the_request_form_takes_no_phone_before_the_acknowledgement(browser, app_url,
                                                                   otp_phone, locale, width,
                                                                   viewport):
    category = reference.categories()[0]
    context = _context(browser, app_url, viewport, locale)
    page = context.new_page()
    page.goto("/")
    expect(page.locator("#request #privacy-summary")).to_be_visible()
    page.click("#r-category")
    page.get_by_role("option", name=category.name(locale), exact=True).click()
    page.fill("#f-locality", "חיפ")
    page.locator(".locality-option").first.click()
    page.fill("#r-description", "Kitchen tap drips and the cupboard is wet")
    page.fill("#r-budget", "450")
    page.fill("#r-name", "Ronit")
    page.fill("#r-phone", local(otp_phone))
    page.check("#r-marketing")
    page.click("#r-submit")
    expect(page.get_by_text(translate("ui.consent.required", locale))).to_be_visible()
    expect(page.locator("#r-otp")).to_have_count(0)  # no code was sent
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM otp_codes WHERE target = :p"),
                               {"p": otp_phone}).scalar_one() == 0
    _shot(page, f"request-consent-{width}-{locale}", "#request")
    page.check("#r-accept")
    page.click("#r-submit")
    page.fill("#r-otp", OTP_CODE)
    page.click("#r-verify")
    expect(page).to_have_url(re.compile(r"/my/requests/[0-9a-f-]{36}\?sent=1$"))
    assert _consents_of(otp_phone) == [
        ("privacy_notice", VERSIONS[ConsentKind.privacy_notice], True, "web"),
        ("terms", VERSIONS[ConsentKind.terms], True, "web"),
        ("marketing", policies.MARKETING_VERSION, True, "web"),
    ]
    context.close()


def test_marketing_is_switched_on_account_and_stopped_by_the_link(page, app_url):
    user = make_user(name="דנה")
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        consents.record(session=session, caller=caller, channel=ConsentChannel.api,
                        acceptance=consents.current_acceptance(None))
    sign_in_as(page, app_url, token_for(user))
    page.goto("/account")
    privacy = page.locator("#account-privacy")
    expect(privacy).to_contain_text(VERSIONS[ConsentKind.privacy_notice])
    switch = page.locator("#account-marketing")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    expect(page.get_by_role("status")).to_contain_text(translate("ui.account.marketing_on", "he"))
    assert _consents_of(user.phone)[-1] == ("marketing", policies.MARKETING_VERSION, True,
                                            "web")
    _shot(page, "account-privacy-390-he")

    page.context.clear_cookies()
    link = urlsplit(consents.unsubscribe_link(user.id))
    page.goto(f"{link.path}?{link.query}")
    page.click("#unsubscribe-confirm")
    expect(page.get_by_role("status")).to_contain_text(translate("ui.unsubscribe.done", "he"))
    assert _consents_of(user.phone)[-1][2] is False
    _shot(page, "unsubscribe-390-he")
    page.goto("/unsubscribe?token=forged")
    page.click("#unsubscribe-confirm")
    expect(page.get_by_role("alert")).to_contain_text(
        translate("errors.unsubscribe.invalid", "he"))


def test_an_account_that_has_not_seen_the_current_documents_is_asked_at_login(page,
                                                                             otp_phone):
    make_user(phone=otp_phone)
    page.goto("/login")
    page.fill("#login-identifier", local(otp_phone))
    page.click("#login-send")
    page.fill("#login-otp", OTP_CODE)
    page.click("#login-verify")
    expect(page.locator("#login-consent")).to_be_visible()
    expect(page.locator("#login-marketing")).to_have_count(0)  # kept on /account
    page.check("#login-accept")
    page.click("#login-accept-submit")
    expect(page).not_to_have_url(re.compile(r"/login"))
    assert [row[0] for row in _consents_of(otp_phone)] == ["privacy_notice", "terms"]
