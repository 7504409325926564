"""Login, onboarding, certificates and verification, in Chromium on a phone-sized screen."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from ofair_app.models import UserRole
from ofair_app.services import notifications
from tests.e2e.conftest import OTP_CODE, sign_in_as
from tests.factories import PDF_BYTES, make_professional, make_user, token_for

LOCAL_PHONE = re.compile(r"^\+972(\d{2})(\d{3})(\d{4})$")


def local(phone: str) -> str:
    """+972549990001 → 054-999-0001, as an Israeli types it."""
    prefix, middle, last = LOCAL_PHONE.match(phone).groups()
    return f"0{prefix}-{middle}-{last}"


def acknowledge(page) -> None:
    """The consent step after the code: a new account, or one that has not acknowledged the
    current privacy notice and terms (accounts made by the factories have not)."""
    expect(page.locator("#login-consent")).to_be_visible()
    page.check("#login-accept")
    page.click("#login-accept-submit")


def log_in(page, phone: str, code: str = OTP_CODE, asked: bool = True) -> None:
    page.fill("#login-identifier", local(phone))
    page.click("#login-send")
    expect(page.locator("#login-otp")).to_be_visible()
    page.fill("#login-otp", code)
    page.click("#login-verify")
    if asked:
        acknowledge(page)


def test_a_guarded_page_sends_to_login_and_back_after_the_code(page, otp_phone):
    page.goto("/pro/profile")
    expect(page).to_have_url(re.compile(r"/login/?\?next=/pro/profile$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("כניסה ל־OFAIR")

    page.fill("#login-identifier", "12345")
    page.click("#login-send")
    expect(page.get_by_role("alert")).to_contain_text("מספר")
    page.fill("#login-identifier", "02-623-4567")  # a landline cannot receive the code
    page.click("#login-send")
    expect(page.get_by_role("alert")).to_contain_text("מספר נייד")

    page.fill("#login-identifier", local(otp_phone))
    page.click("#login-send")
    expect(page.locator("#resend-countdown")).to_have_text(re.compile(r"0:[0-5]\d"))
    expect(page.locator("#login-resend")).to_have_count(0)  # not before the minute is up
    page.fill("#login-otp", "000000")
    page.click("#login-verify")
    expect(page.get_by_role("alert")).to_contain_text("הקוד")

    page.fill("#login-otp", OTP_CODE)
    page.click("#login-verify")
    acknowledge(page)
    # No business yet: the profile sends a new professional to the onboarding.
    expect(page).to_have_url(re.compile(r"/pro/onboarding"))
    page.reload()
    expect(page.locator("#f-business-name")).to_be_visible()  # still signed in


def test_logout_ends_the_session(page, app_url):
    _, owner = make_professional(business_name="מנעולן הצפון")
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/profile")
    expect(page.locator("#business-name")).to_have_text("מנעולן הצפון")
    page.click("#profile-logout")
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/pro/profile")
    expect(page).to_have_url(re.compile(r"/login"))


def test_wrong_roles_are_refused(page, app_url):
    consumer = make_user(name="לקוח רגיל")
    sign_in_as(page, app_url, token_for(consumer))
    page.goto("/admin/professionals")
    expect(page.locator("#not-allowed")).to_be_visible()
    expect(page.locator(".admin-pro-row")).to_have_count(0)


def test_onboard_upload_a_certificate_and_an_admin_verifies(page, browser, app_url, otp_phone,
                                                             tmp_path: Path):
    page.goto("/login?next=/pro/profile")
    log_in(page, otp_phone)
    expect(page).to_have_url(re.compile(r"/pro/onboarding"))

    # 1. the business (a wrong check digit is caught on the spot)
    page.fill("#f-name", "רונית אברהם")
    page.fill("#f-business-name", "חשמל רונית")
    page.fill("#f-business-id", "123456789")
    page.click("#onboarding-next")
    expect(page.get_by_role("alert")).to_contain_text("ספרת ביקורת")
    page.fill("#f-business-id", "123456782")
    page.click("#onboarding-next")

    # 2. services
    page.click("#f-category")
    page.get_by_role("option", name="חשמל", exact=True).click()
    page.locator("#f-subcategories button").first.click()
    page.fill("#f-specialties", "לוחות חשמל, תאורה")
    page.click("#onboarding-next")

    # 3. area: the town is found by its Hebrew prefix
    page.fill("#f-locality", "חיפ")
    page.locator(".locality-option").first.click()
    expect(page.locator("#chosen-locality")).to_have_text("חיפה")
    page.click("#onboarding-next")

    # 4. about, then the business exists and the profile welcomes it
    page.fill("#f-about", "חשמלאי מוסמך, 12 שנות ניסיון.")
    page.click("#onboarding-next")
    expect(page).to_have_url(re.compile(r"/pro/profile\?welcome=1"))
    expect(page.locator("#business-name")).to_have_text("חשמל רונית")
    expect(page.locator("#welcome")).to_be_visible()

    # A disguised file is refused by its content, whatever its name says.
    fake = tmp_path / "license.pdf"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    page.fill("#f-cert-title", "רישיון חשמלאי")
    page.set_input_files("#certificate-upload input[type=file]", str(fake))
    page.click("#certificate-upload-button")
    expect(page.get_by_role("alert")).to_contain_text("PDF, JPEG או PNG")
    expect(page.locator(".certificate-row")).to_have_count(0)

    real = tmp_path / "license-real.pdf"
    real.write_bytes(PDF_BYTES)
    page.fill("#f-cert-title", "רישיון חשמלאי")
    page.set_input_files("#certificate-upload input[type=file]", str(real))
    page.click("#certificate-upload-button")
    expect(page.locator(".certificate-row")).to_have_count(1)
    expect(page.locator(".certificate-row")).to_contain_text("בבדיקה")

    public_path = page.get_attribute("#public-page-link", "href")
    page.goto(public_path)
    expect(page.locator("#pro-name")).to_have_text("חשמל רונית")
    expect(page.locator("#verified-badge")).to_have_count(0)
    assert local(otp_phone) not in page.inner_text("body")

    # The admin's queue, in another browser.
    admin = make_user(role=UserRole.admin, name="מנהלת")
    admin_context = browser.new_context(base_url=app_url, viewport={"width": 390, "height": 844})
    try:
        admin_page = admin_context.new_page()
        sign_in_as(admin_page, app_url, token_for(admin))
        admin_page.goto("/admin/professionals")
        row = admin_page.locator(".admin-pro-row", has_text="חשמל רונית")
        expect(row).to_contain_text("123456782")
        expect(row.locator(".admin-certificate")).to_contain_text("רישיון חשמלאי")
        row.locator(".admin-verify").click()
        dialog = admin_page.get_by_role("alertdialog")
        expect(dialog).to_contain_text("חשמל רונית")
        expect(dialog).to_contain_text("123456782")
        dialog.locator(".confirm-verify").click()
        expect(admin_page.get_by_role("status")).to_contain_text("חשמל רונית")
        expect(admin_page.locator(".admin-pro-row", has_text="חשמל רונית")).to_have_count(0)
    finally:
        admin_context.close()

    page.reload()
    expect(page.locator("#verified-badge")).to_be_visible()
    page.goto("/pro/profile")
    expect(page.locator(".certificate-row")).to_contain_text("אושרה")
    notifications.drain()
