"""The leads page for admins (issue 18 point 2): every lead narrowed by who posted it, one
lead opened whole (proposals, payment, history), its client's details shown only on request,
and that request logged as a reveal."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import text
from sqlmodel import select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import ContactAccessLog, UserRole
from tests.e2e.conftest import sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report, _settle
from tests.factories import make_paid_job, make_professional, make_user, token_for

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def test_an_admin_narrows_opens_a_lead_and_reveals_its_client_on_request(
        page, browser, app_url) -> None:
    admin = make_user(role=UserRole.admin, name="גלית מנהלת")
    consumer = make_user(name="שושנה לקוחה", phone="+972521239876")
    _, performer = make_professional(make_user(name="רון"), business_name="חשמל רון")
    lead = make_paid_job(consumer, performer, "750", title="התקנת שקע במטבח")

    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin/leads")
    expect(page.locator("h1")).to_contain_text("כל הלידים")
    page.fill("#leads-owner", "052-123-9876")
    page.click("#leads-apply")
    rows = page.locator(".leads-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("התקנת שקע במטבח")
    rows.first.locator(".leads-open").click()
    panel = page.locator("#leads-lead")
    expect(panel).to_contain_text("₪750")
    expect(panel).to_contain_text("נבחרה")  # the accepted proposal
    expect(page.locator("#leads-client")).to_have_count(0)  # not shown unasked
    with unit_of_work(SYSTEM) as session:
        assert session.exec(select(ContactAccessLog).where(
            ContactAccessLog.user_id == admin.id)).all() == []
    _settle(page)
    problems = _report("/admin/leads with a lead open", _axe(page))

    page.click("#leads-reveal")
    expect(page.locator("#leads-client")).to_contain_text("052-123-9876")
    with unit_of_work(SYSTEM) as session:
        [logged] = session.exec(select(ContactAccessLog).where(
            ContactAccessLog.user_id == admin.id)).all()
    assert (logged.lead_id, logged.reason) == (lead.id, "admin")
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "leads-390-he.png"), full_page=True)
    assert problems == [], "\n".join(problems)

    page.fill("#leads-owner", "not a phone")
    page.click("#leads-apply")
    expect(page.locator("#leads-owner-message")).to_be_visible()

    wide_context = browser.new_context(base_url=app_url, viewport={"width": 1280,
                                                                   "height": 800})
    wide = wide_context.new_page()
    sign_in_as(wide, app_url, token_for(admin))
    wide.goto("/admin/leads")
    expect(wide.locator(".leads-row").first).to_be_visible()
    if SHOTS:
        wide.screenshot(path=str(Path(SHOTS) / "leads-1280-he.png"))
    wide_context.close()


def test_an_admin_hides_a_lead_after_confirming_why_and_restores_it(page, app_url) -> None:
    """Moderation in the browser: the hide dialog asks why, the lead leaves the board at once,
    its owner's page says so, and restoring puts it back."""
    from ofair_app.models import Lead
    from tests.factories import make_lead

    admin = make_user(role=UserRole.admin, name="עדי מנהלת")
    consumer = make_user(name="מירב לקוחה", phone="+972521230001")
    lead = make_lead(consumer)

    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin/leads")
    page.fill("#leads-owner", "052-123-0001")
    page.click("#leads-apply")
    expect(page.locator(".leads-row")).to_have_count(1)
    page.locator(".leads-open").first.click()
    page.click("#leads-hide")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("להסתיר את הליד")
    page.wait_for_timeout(300)
    problems = _report("/admin/leads hide dialog", _axe(page))
    dialog.locator("#leads-reason").fill("התיאור כולל מספר טלפון")
    dialog.locator(".confirm-action").click()
    expect(page.locator("#leads-hidden")).to_contain_text("התיאור כולל מספר טלפון")
    expect(page.locator(".leads-row").first).to_contain_text("מוסתר")
    with unit_of_work(SYSTEM) as session:
        hidden = session.get(Lead, lead.id)
        assert hidden.hidden_reason == "התיאור כולל מספר טלפון"
        on_board = session.execute(text("SELECT count(*) FROM lead_board WHERE lead_id = :id"),
                                   {"id": lead.id}).scalar_one()
    assert on_board == 0
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "leads-hidden-390-he.png"), full_page=True)

    owner_page = page.context.browser.new_page(base_url=app_url)
    sign_in_as(owner_page, app_url, token_for(consumer))
    owner_page.goto(f"/my/requests/{lead.id}")
    expect(owner_page.locator("#lead-hidden")).to_contain_text("התיאור כולל מספר טלפון")
    owner_page.close()

    page.click("#leads-restore")
    dialog = page.get_by_role("alertdialog")
    dialog.locator("#leads-reason").fill("המספר הוסר מהתיאור")
    dialog.locator(".confirm-action").click()
    expect(page.locator("#leads-hidden")).to_have_count(0)
    expect(page.locator("#leads-hide")).to_be_visible()
    with unit_of_work(SYSTEM) as session:
        assert session.get(Lead, lead.id).hidden_at is None
        assert session.execute(text("SELECT count(*) FROM lead_board WHERE lead_id = :id"),
                               {"id": lead.id}).scalar_one() == 1
    assert problems == [], "\n".join(problems)
