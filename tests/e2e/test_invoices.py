"""The invoices page (b2b settlement): a business owner sees what it owes so far this month,
last month's statement and its tax invoice, and downloads the invoice's PDF; staff of the
business are not let in."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.factories import (
    add_member,
    make_b2b_job,
    make_professional,
    make_user,
    seed_statement,
    token_for,
)

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def test_an_owner_sees_the_month_and_downloads_the_invoice(page, browser, app_url) -> None:
    consumer = make_user(name="רונית")
    business, owner = make_professional(make_user(name="אלון"), business_name="אינסטלציה אלון")
    referrer_business, referrer = make_professional(make_user(name="דוד"),
                                                    business_name="שיפוצי דוד")
    seed_statement(consumer, owner, referrer, referrer_business)
    make_b2b_job(consumer, owner, "800")  # this month, not yet on a statement
    staff = make_user(name="עובד")
    add_member(business, owner, staff)

    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/invoices")
    expect(page.locator("h1")).to_contain_text("חשבוניות")
    # this month: the ₪800 job's ₪80 fee (last month's ₪789.10 is on its statement)
    expect(page.locator("#month-jobs")).to_have_text("1")
    expect(page.locator("#month-fees")).to_contain_text("80")
    expect(page.locator(".statement-row")).to_have_count(1)
    expect(page.locator(".statement-row")).to_contain_text("לתשלום")
    expect(page.locator(".invoice-row")).to_have_count(1)
    expect(page.locator(".invoice-row")).to_contain_text("חשבונית מס")
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "invoices-390-he.png"), full_page=True)
    with page.expect_download() as download:
        page.locator(".invoice-download").click()
    saved = Path(download.value.path())
    assert saved.read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename.endswith(".pdf")

    desktop = browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 800})
    wide = desktop.new_page()
    sign_in_as(wide, app_url, token_for(owner))
    wide.goto("/pro/invoices")
    wide.locator("html[lang=he]").wait_for()
    expect(wide.locator(".invoice-row")).to_have_count(1)
    if SHOTS:
        wide.screenshot(path=str(Path(SHOTS) / "invoices-1280-he.png"), full_page=True)
    desktop.close()

    staff_context = browser.new_context(base_url=app_url)
    staff_page = staff_context.new_page()
    sign_in_as(staff_page, app_url, token_for(staff))
    staff_page.goto("/pro/invoices")
    expect(staff_page.locator("h1").first).to_be_visible()
    expect(staff_page.locator(".invoice-row")).to_have_count(0)
    expect(staff_page.get_by_text("רק בעלי העסק יכולים לעשות זאת.")).to_be_visible()
    staff_context.close()
