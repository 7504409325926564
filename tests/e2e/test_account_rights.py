"""The rights on /account: download all my data (prepared in the background, then a download),
and close my account (a dialog that says what is erased and what is kept, lists what must be
settled first, and asks for the account's phone). At 390 px and 1280 px, in Hebrew and English;
screenshots go to $OFAIR_SHOTS_DIR when it is set."""

from __future__ import annotations

import os
import re
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect

from jobs import run_job
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import ProposalCreate, User
from ofair_app.services import proposals
from tests.e2e.conftest import DESKTOP, PHONE, sign_in_as
from tests.e2e.test_identity import local
from tests.factories import caller_for, make_lead, make_professional, make_user, token_for


def _shot(page, name: str) -> None:
    folder = os.environ.get("OFAIR_SHOTS_DIR")
    if folder:
        page.wait_for_timeout(500)  # a dialog's opening animation ends (for the eye only)
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _in(page, app_url: str, language: str) -> None:
    page.context.add_cookies([{"name": "ofair_locale", "value": language, "url": app_url}])


def _chosen(owner: User) -> None:
    """A request of `owner` with a chosen professional, not paid yet: an open obligation."""
    _business, performer_user = make_professional(make_user(name="אבי"),
                                                  business_name="אינסטלציה אבי")
    lead = make_lead(owner)
    performer, client = caller_for(performer_user), caller_for(owner)
    with unit_of_work(performer) as session:
        proposal = proposals.create_proposal(
            session=session, caller=performer, lead_id=lead.id,
            data=ProposalCreate(price=Decimal("800"), description="אגיע מחר עם כל החלקים."))
    with unit_of_work(client) as session:
        proposals.accept_proposal(session=session, caller=client, proposal_id=proposal.id)


def test_a_person_downloads_their_data_and_is_told_what_blocks_closing(browser, app_url,
                                                                         page, tmp_path):
    person = make_user(name="מיכל זכויות", email="michal.rights@example.com")
    _chosen(person)
    sign_in_as(page, app_url, token_for(person))
    page.goto("/account")
    rights = page.locator("#account-rights")
    expect(rights).to_contain_text("הנתונים שלך")
    page.click("#export-request")
    expect(page.locator(".export-row")).to_have_count(1)
    expect(page.locator(".export-row")).to_contain_text("בהכנה")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "account-rights-390-he")

    assert run_job("personal_data_exports", as_of=datetime.now(UTC)).status == "succeeded"
    page.click(".export-refresh")
    expect(page.locator(".export-row")).to_contain_text("מוכן")
    with page.expect_download() as download_info:
        page.click(".export-download")
    saved = tmp_path / "data.zip"
    download_info.value.save_as(saved)
    assert "data.json" in zipfile.ZipFile(saved).namelist()
    assert download_info.value.suggested_filename.startswith("ofair-data-")

    page.click("#close-account")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("נמחקים")
    expect(dialog).to_contain_text("נשמרים")
    expect(page.locator("#close-blockers")).to_contain_text("נבחר בעל מקצוע")
    expect(page.locator("#close-confirm")).to_be_disabled()
    _shot(page, "account-close-blocked-390-he")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    _in(page, app_url, "en")
    page.goto("/account")
    expect(page.locator("#account-rights")).to_contain_text("Download all my data")
    expect(page.locator(".export-row")).to_contain_text("Ready")
    _shot(page, "account-rights-390-en")
    page.click("#close-account")
    expect(page.locator("#close-blockers")).to_contain_text("chosen professional")
    _shot(page, "account-close-blocked-390-en")


def test_a_person_closes_their_account_after_typing_their_phone(browser, app_url,
                                                                  desktop_page):
    page = desktop_page
    person = make_user(name="שרה יוצאת")
    sign_in_as(page, app_url, token_for(person))
    page.goto("/account")
    expect(page.locator("#account-rights")).to_contain_text("סגירת החשבון")
    _shot(page, "account-rights-1280-he")
    page.click("#close-account")
    expect(page.get_by_role("alertdialog")).to_contain_text("7 שנים")
    page.fill("#close-confirmation", "050-000-0000")
    page.click("#close-confirm")
    expect(page.locator("#close-confirmation-message")).to_contain_text(
        "יש להקליד את מספר הטלפון")
    expect(page.locator("#close-confirmation")).to_have_attribute("aria-invalid", "true")
    _shot(page, "account-close-dialog-1280-he")

    _in(page, app_url, "en")
    page.goto("/account")
    expect(page.locator("#account-rights")).to_contain_text("Close my account")
    _shot(page, "account-rights-1280-en")
    page.click("#close-account")
    expect(page.get_by_role("alertdialog")).to_contain_text("Income Tax bookkeeping rules")
    _shot(page, "account-close-dialog-1280-en")
    page.fill("#close-confirmation", local(person.phone))
    page.click("#close-confirm")
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/?$"))
    with unit_of_work(SYSTEM) as session:
        closed = session.get(User, person.id)
    assert closed.closed_at is not None and closed.phone is None and closed.name == ""
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login"))
    assert DESKTOP["width"] == 1280
