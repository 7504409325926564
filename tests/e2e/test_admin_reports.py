"""The reports page in Chromium (issue 18 point 5): this month's money with a paid job in it,
leads by category, a custom period picked as days, and the table's CSV and Excel links for
what is shown; readable at 390 px and on a laptop, and axe finds nothing."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from ofair_app.db.engine import unit_of_work
from ofair_app.domain.periods import Period
from ofair_app.domain.tax import israel_date
from ofair_app.models import UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import reports
from ofair_app.ui import format
from tests.e2e.conftest import sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report, _settle
from tests.factories import caller_for, make_paid_job, make_professional, make_user, token_for

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def test_an_admin_reads_this_months_money_and_leads_by_category(page, browser,
                                                                 app_url) -> None:
    admin = make_user(role=UserRole.admin, name="מיכל מנהלת")
    consumer = make_user(name="שרית לקוחה")
    _, performer = make_professional(make_user(name="ניר"), business_name="אינסטלציה ניר")
    make_paid_job(consumer, performer, "800", title="תיקון דוד")

    # The e2e server's database holds every test's data: the page must show what the
    # service counts (tests/api/test_reports_api.py checks the counting itself).
    today = israel_date(utcnow())
    with unit_of_work(caller_for(admin)) as session:
        [month] = list(reports.money_by_month(session=session, caller=caller_for(admin),
                                              period=Period(today.replace(day=1), today)))
    assert month.gross >= 800

    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin/reports")
    rows = page.locator(".reports-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(format.money(month.gross, "he"))
    csv_link = page.locator("#reports-export-csv")
    expect(csv_link).to_have_attribute("href", "/api/v1/admin/reports.csv?report=money&"
                                       + csv_link.get_attribute("href").split("&", 1)[1])
    _settle(page)
    problems = _report("/admin/reports (he, 390)", _axe(page))
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "reports-390-he.png"), full_page=True)

    page.click("#reports-report")
    page.get_by_role("option", name="לידים לפי קטגוריה", exact=True).click()
    expect(page.locator("#reports-leads_by_category")).to_contain_text("אינסטלציה")
    expect(page.locator("#reports-export-xlsx")).to_have_attribute(
        "href", "/api/v1/admin/reports.xlsx?" + page.locator("#reports-export-xlsx")
        .get_attribute("href").split("?", 1)[1])
    assert "report=leads_by_category" in page.locator("#reports-export-xlsx").get_attribute(
        "href")

    page.click("#reports-span")
    page.get_by_role("option", name="תאריכים לבחירה", exact=True).click()
    expect(page.locator("#reports-since")).to_be_visible()
    assert page.locator("#reports-days input[type=date]").count() == 0

    wide_context = browser.new_context(base_url=app_url, viewport={"width": 1280,
                                                                   "height": 900})
    wide = wide_context.new_page()
    sign_in_as(wide, app_url, token_for(admin))
    wide.goto("/admin/reports")
    expect(wide.locator(".reports-row").first).to_contain_text(format.money(month.gross, "he"))
    wide.click("#language-switch")
    expect(wide.locator("h1")).not_to_contain_text("דוחות")
    _settle(wide)
    problems += _report("/admin/reports (en, 1280)", _axe(wide))
    if SHOTS:
        wide.screenshot(path=str(Path(SHOTS) / "reports-1280-en.png"), full_page=True)
    wide_context.close()
    assert problems == [], "\n".join(problems)
