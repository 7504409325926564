"""The invoices page of a b2b deployment (the server runs with `SETTLEMENT_MODE=b2b`): a
business owner sees what it owes so far this month, last month's statement and its tax
invoice, downloads the invoice's PDF, pays a due statement with the saved card and gets its
receipt; staff of the business are not let in; an admin reads the month and the held
invoices."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report
from tests.factories import (
    add_member,
    make_b2b_job,
    make_professional,
    make_user,
    save_card,
    seed_statement,
    token_for,
)

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def test_an_owner_sees_the_month_and_downloads_the_invoice(b2b_page, browser, b2b_url) -> None:
    page, app_url = b2b_page, b2b_url
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
    # the invoices page has the wallet's place in the pro app's links
    expect(page.locator('nav a[href^="/pro/invoices"]').first).to_be_attached()
    expect(page.locator('nav a[href^="/pro/wallet"]')).to_have_count(0)
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


def test_an_owner_pays_a_due_statement_and_downloads_its_receipt(b2b_page, b2b_url) -> None:
    page, app_url = b2b_page, b2b_url
    consumer = make_user(name="מירב")
    business, owner = make_professional(make_user(name="רמי"), business_name="חשמל רמי")
    referrer_business, referrer = make_professional(make_user(name="גיל"),
                                                    business_name="גיל הפניות")
    seed_statement(consumer, owner, referrer, referrer_business)
    save_card(owner, business)

    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/invoices")
    expect(page.locator("#settlement-card")).to_contain_text("4242")
    statement = page.locator(".statement-row")
    expect(statement).to_contain_text("לתשלום")
    statement.locator(".statement-pay").click()
    expect(page.get_by_text("התשלום התקבל. תודה!")).to_be_visible()
    expect(statement).to_contain_text("שולם")
    expect(statement.locator(".statement-pay")).to_have_count(0)
    receipt = page.locator(".invoice-row").filter(has_text="קבלה")
    expect(receipt).to_have_count(1)
    expect(page.locator(".invoice-row").filter(has_text="חשבונית מס")).to_have_count(1)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "invoices-paid-390-he.png"), full_page=True)
    with page.expect_download() as download:
        receipt.locator(".invoice-download").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename.startswith("400-")
    problems = _report("/pro/invoices, paid (b2b)", _axe(page))
    assert problems == [], "\n".join(problems)


def test_an_admin_reads_the_month_exports_it_and_asks_again_for_a_held_invoice(
        b2b_page, b2b_url) -> None:
    page, app_url = b2b_page, b2b_url
    from decimal import Decimal

    from sqlalchemy import text

    from ofair_app.db.engine import SYSTEM, unit_of_work
    from ofair_app.models import UserRole
    from tests.factories import consumer_lead_data

    consumer = make_user(name="רונית")
    business, owner = make_professional(make_user(name="יוסי"), business_name="קבלן סירוב")
    with unit_of_work(SYSTEM) as session:  # the sandbox authority refuses this dealer
        session.execute(text("UPDATE professionals SET business_id = '999999998'"
                             " WHERE id = :id"), {"id": business.id})
    _, colleague = make_professional(make_user(name="שרה"), business_name="שרה שיפוצים")
    referrer_business, referrer = make_professional(make_user(name="דנה"),
                                                    business_name="דנה הפניות")
    big = make_b2b_job(consumer, owner, "60000", consumer_lead_data(budget=Decimal("60000")))
    with unit_of_work(SYSTEM) as session:  # the big job closed last month
        session.execute(text("UPDATE b2b_charges SET month = date_trunc('month', now()"
                             " - interval '1 month') WHERE lead_id = :id"), {"id": big.id})
    seed_statement(consumer, colleague, referrer, referrer_business)  # settles last month

    admin = make_user(role=UserRole.admin, name="נועה")
    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin/finance")
    expect(page.locator("h1")).to_contain_text("התחשבנות")
    expect(page.locator(".finance-statement").first).to_be_visible()
    expect(page.locator("#finance-statements")).to_contain_text("קבלן סירוב")
    held = page.locator(".finance-held").filter(has_text="קבלן סירוב")
    expect(held).to_contain_text("ממתינה למספר הקצאה")
    held.locator(".finance-retry").click()
    expect(page.get_by_text("רשות המסים סירבה שוב")).to_be_visible()
    expect(page.locator(".finance-held").filter(has_text="קבלן סירוב")).to_contain_text(
        "sandbox")
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "finance-390-he.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#finance-export").click()
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0].startswith("month,business,") and len(rows) >= 3
