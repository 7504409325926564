"""The admin dashboard in Chromium (issue 18 point 1): real figures for the period, the
period before beside them, the chart with its table, the funnel and the queues; a custom
period checked; readable at 390 px and on a laptop, in Hebrew and English, and axe finds
nothing."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from babel.dates import get_month_names
from playwright.sync_api import expect

from ofair_app.db.engine import unit_of_work
from ofair_app.domain.tax import israel_date
from ofair_app.models import UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import kpis
from ofair_app.ui import format
from tests.e2e.conftest import sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report, _settle
from tests.factories import (
    caller_for,
    make_lead,
    make_paid_job,
    make_professional,
    make_user,
    token_for,
)

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def format_month(day) -> str:
    return get_month_names("wide", locale="he")[day.month]


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def test_the_dashboard_shows_the_periods_figures_and_checks_a_custom_period(
        page, browser, app_url) -> None:
    admin = make_user(role=UserRole.admin, name="דנה מנהלת")
    consumer = make_user(name="אורית לקוחה")
    _, performer = make_professional(make_user(name="עומר"), business_name="מיזוג עומר")
    make_paid_job(consumer, performer, "1200", title="התקנת מזגן")
    make_lead(consumer)

    # The e2e server's database holds every test's data: the page must show what the
    # service counts (tests/api/test_kpis_api.py checks the counting itself).
    with unit_of_work(caller_for(admin)) as session:
        expected = kpis.dashboard(session=session, caller=caller_for(admin),
                                  period=kpis.last_days(30))
    assert expected.current.gmv >= 1200 and expected.current.funnel.posted >= 2

    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin")
    gmv = page.locator("#kpis-gmv")
    expect(gmv).to_contain_text(format.money(expected.current.gmv, "he"))
    expect(page.locator("#kpis-posted")).to_contain_text(
        format.number(expected.current.funnel.posted, "he"))
    funnel = page.locator("#kpis-funnel li")
    expect(funnel).to_have_count(5)
    expect(funnel.nth(1)).to_contain_text(f"{expected.current.funnel.rate('proposed')}%")
    expect(page.locator("#kpis-queues")).to_contain_text("מחלוקות פתוחות")
    expect(page.locator("#kpis-per-day svg").first).to_be_visible()
    page.locator("#kpis-per-day-table summary").click()
    expect(page.locator("#kpis-per-day-table tbody tr")).to_have_count(30)
    _settle(page)
    problems = _report("/admin dashboard (he, 390)", _axe(page))
    _shot(page, "dashboard-390-he.png")

    page.get_by_role("radio", name="7 ימים").click()
    expect(page.locator("#kpis-per-day-table tbody tr")).to_have_count(7)
    today = israel_date(utcnow())
    since = today - timedelta(days=6)
    page.get_by_role("radio", name="טווח אחר").click()
    # the custom days start as the period shown; "to" moved before "from" is refused
    expect(page.locator("#kpis-since")).to_contain_text(str(since.day))
    assert page.locator("#kpis-custom input[type=date]").count() == 0
    page.click("#kpis-until")
    page.get_by_role("option", name=str(since.day - 1 if since.day > 1 else 1),
                     exact=True).click()
    page.click("#kpis-until-month")
    page.get_by_role("option", name=format_month(since), exact=True).click()
    page.click("#kpis-apply")
    if since.day > 1:
        expect(page.locator("#kpis-until-message")).to_be_visible()
    page.click("#kpis-until-month")
    page.get_by_role("option", name=format_month(today), exact=True).click()
    page.click("#kpis-until")
    page.get_by_role("option", name=str(today.day), exact=True).click()
    page.click("#kpis-apply")
    expect(page.locator("#kpis-until-message")).to_have_count(0)
    expect(page.locator("#kpis-range")).to_contain_text(format.day(since, "he"))

    wide_context = browser.new_context(base_url=app_url, locale="en-US",
                                       viewport={"width": 1280, "height": 900})
    wide = wide_context.new_page()
    sign_in_as(wide, app_url, token_for(admin))
    wide.goto("/admin")
    expect(wide.locator("#kpis-gmv")).to_contain_text(format.money(expected.current.gmv,
                                                                    "he"))
    wide.click("#language-switch")
    expect(wide.locator("#kpis-gmv")).to_contain_text("Jobs paid")
    _settle(wide)
    problems += _report("/admin dashboard (en, 1280)", _axe(wide))
    _shot(wide, "dashboard-1280-en.png")
    wide_context.close()
    assert problems == [], "\n".join(problems)
