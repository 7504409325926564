"""The audit log page (issue 18 point 4): an admin reads every admin action and reveal of
personal details, narrows them, pages on, and downloads the narrowed log as CSV and XLSX
(the download signs in with the page's cookie); nobody else gets in."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from ofair_app.db.engine import unit_of_work
from ofair_app.models import UserRole
from ofair_app.services import audit
from tests.e2e.conftest import sign_in_as
from tests.factories import caller_for, make_user, token_for

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def test_an_admin_reads_narrows_pages_and_exports_the_audit_log(page, browser,
                                                                 app_url) -> None:
    admin = make_user(role=UserRole.admin, name="מיכל בודקת")
    with unit_of_work(caller_for(admin)) as session:
        for n in range(55):
            audit.record(session=session, caller=caller_for(admin), action="lead.hide",
                         subject_type="lead", subject_id=f"audit-e2e-{n}", ip="10.9.0.1",
                         detail={"reason": "ספאם"})
        audit.record(session=session, caller=caller_for(admin),
                     action="settlement.credit_note", subject_type="lead",
                     subject_id="audit-e2e-credit", ip="192.168.50.5")

    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin/audit")
    expect(page.locator("h1")).to_contain_text("יומן ביקורת")
    rows = page.locator(".audit-row")
    expect(rows).to_have_count(50)  # a page (of everyone's); the rest on request
    page.fill("#audit-who", admin.phone)  # this admin's own
    page.click("#audit-apply")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("מיכל בודקת")
    page.click("#audit-more")
    expect(rows).to_have_count(56)  # every one, once
    expect(page.locator("#audit-more")).to_have_count(0)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "audit-390-he.png"))

    page.fill("#audit-who", "")
    page.fill("#audit-action", "settlement.")
    page.fill("#audit-ip", "192.168.")
    page.click("#audit-apply")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("settlement.credit_note")
    expect(rows.first).to_contain_text("192.168.50.5")
    expect(page.locator("#audit-more")).to_have_count(0)

    with page.expect_download() as download:
        page.click("#audit-export-csv")
    lines = list(csv.reader(io.StringIO(
        Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert lines[0][:2] == ["מועד", "פעולה"] and len(lines) == 2
    assert lines[1][1] == "settlement.credit_note" and lines[1][5] == "192.168.50.5"
    with page.expect_download() as download:
        page.click("#audit-export-xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "settlement.credit_note"]

    page.fill("#audit-who", "not a phone")
    page.click("#audit-apply")
    expect(page.locator("#audit-who-message")).to_be_visible()

    desktop = browser.new_context(base_url=app_url, viewport={"width": 1280, "height": 800})
    wide = desktop.new_page()
    sign_in_as(wide, app_url, token_for(admin))
    wide.goto("/admin/audit")
    expect(wide.locator(".audit-row").first).to_be_visible()
    if SHOTS:
        wide.screenshot(path=str(Path(SHOTS) / "audit-1280-he.png"))
    desktop.close()


def test_nobody_but_an_admin_reads_the_audit_log(page, app_url) -> None:
    consumer = make_user(name="סקרן")
    sign_in_as(page, app_url, token_for(consumer))
    page.goto("/admin/audit")
    expect(page.locator("h1")).to_have_text("אין לכם גישה לדף הזה")
    expect(page.locator(".audit-row")).to_have_count(0)
    expect(page.locator("#audit-filters")).to_have_count(0)
