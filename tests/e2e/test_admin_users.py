"""The people page (issue 18 point 3): an admin finds a person by phone, reads their page,
suspends them after saying why (their open session ends at once), reinstates them and
changes their role; each change confirmed first."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import AdminAuditLog, User, UserRole
from tests.e2e.conftest import sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report, _settle
from tests.factories import make_lead, make_user, token_for

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def _user(user_id) -> User:
    with unit_of_work(SYSTEM) as session:
        found = session.get(User, user_id)
        assert found is not None
        return found


def test_an_admin_finds_suspends_reinstates_and_changes_a_role(page, browser,
                                                                  app_url) -> None:
    admin = make_user(role=UserRole.admin, name="דנה מנהלת")
    person = make_user(name="יעל בדיקה", phone="+972529876543")
    make_lead(person)
    their = browser.new_context(base_url=app_url, viewport={"width": 390, "height": 844})
    their_page = their.new_page()
    sign_in_as(their_page, app_url, token_for(person))
    their_page.goto("/my/requests")
    expect(their_page.locator("h1")).to_be_visible()

    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin/users")
    expect(page.locator("h1")).to_contain_text("משתמשים")
    page.fill("#users-q", "052-987-6543")
    page.click("#users-find")
    rows = page.locator(".users-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("יעל בדיקה")
    rows.first.locator(".users-open").click()
    panel = page.locator("#users-person")
    expect(panel).to_contain_text("יעל בדיקה")
    expect(panel).to_contain_text("בקשות שפורסמו")
    _settle(page)
    problems = _report("/admin/users with a person open", _axe(page))

    page.click("#users-suspend")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("להשעות")
    page.wait_for_timeout(300)  # the dialog's opening animation
    problems += _report("the suspend dialog", _axe(page))
    dialog.locator("#users-reason").fill("הטרדה של בעלי מקצוע")
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "users-suspend-390-he.png"))
    dialog.locator(".confirm-action").click()
    expect(page.locator("#users-status")).to_contain_text("מושעה")
    assert _user(person.id).is_active is False
    their_page.goto("/my/requests")  # their session ended with the suspension
    expect(their_page).to_have_url(re.compile(r"/login"))
    their.close()

    page.click("#users-reinstate")
    page.get_by_role("alertdialog").locator("#users-reason").fill("הבהרה התקבלה")
    page.get_by_role("alertdialog").locator(".confirm-action").click()
    expect(page.locator("#users-status")).to_contain_text("פעיל")
    assert _user(person.id).is_active is True

    page.click("#users-role")
    page.get_by_role("option", name="בעל/ת מקצוע").click()
    page.click("#users-change-role")
    page.get_by_role("alertdialog").locator("#users-reason").fill("פתחה עסק בטלפון")
    page.get_by_role("alertdialog").locator(".confirm-action").click()
    expect(page.get_by_text("התפקיד של יעל בדיקה עודכן.")).to_be_visible()
    assert _user(person.id).role == UserRole.professional
    with unit_of_work(SYSTEM) as session:
        actions = session.exec(select(AdminAuditLog.action).where(
            AdminAuditLog.subject_id == str(person.id)).order_by(AdminAuditLog.id)).all()
    assert actions == ["user.suspend", "user.reinstate", "user.role"]
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "users-390-he.png"), full_page=True)
    assert problems == [], "\n".join(problems)

    wide_context = browser.new_context(base_url=app_url, viewport={"width": 1280,
                                                                   "height": 800})
    wide = wide_context.new_page()
    sign_in_as(wide, app_url, token_for(admin))
    wide.goto("/admin/users")
    expect(wide.locator(".users-row").first).to_be_visible()
    wide.locator(".users-row").filter(has_text="יעל בדיקה").locator(".users-open").click()
    expect(wide.locator("#users-person")).to_be_visible()
    if SHOTS:
        wide.screenshot(path=str(Path(SHOTS) / "users-1280-he.png"))
    wide_context.close()


def test_a_reason_is_asked_for_and_nothing_changes_without_one(page, app_url) -> None:
    admin = make_user(role=UserRole.admin, name="דנה מנהלת")
    person = make_user(name="עומר בלי סיבה", phone="+972529876544")
    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin/users")
    page.fill("#users-q", "עומר בלי סיבה")
    page.click("#users-find")
    page.locator(".users-row").first.locator(".users-open").click()
    page.click("#users-suspend")
    page.get_by_role("alertdialog").locator(".confirm-action").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert _user(person.id).is_active is True
