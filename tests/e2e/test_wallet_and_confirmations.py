"""The wallet's statement adds up on screen (a hold, its release and a payout: each line names
its job and where the money went; each column sums to the balance above it), and actions that
cannot be undone wait for a confirmation that says what will happen: cancelling it (Escape or
"no, go back") changes nothing, confirming does it.

With OFAIR_SHOTS_DIR set, the pages are also saved as screenshots (phone and desktop, Hebrew
and English) for a person to look at."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import col, select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.leads import LeadStatus
from ofair_app.models import (
    Dispute,
    Lead,
    Professional,
    ProposalCreate,
    UserRole,
    Withdrawal,
)
from ofair_app.services import disputes, payouts, proposals
from tests.e2e.conftest import save_shots, sign_in_as
from tests.factories import (
    caller_for,
    make_lead,
    make_paid_job,
    make_professional,
    make_user,
    pay_out,
    token_for,
)

LATER = datetime.now(UTC) + timedelta(days=30)  # past every hold period


def _money(text: str) -> Decimal:
    """`+₪342` / `−₪1,250.50` / `` as a Decimal."""
    text = text.strip()
    if not text:
        return Decimal("0")
    sign = -1 if text[0] in "−-" else 1
    return sign * Decimal(re.sub(r"[^\d.]", "", text))


def _column_sum(page, css: str) -> Decimal:
    return sum((_money(text) for text in page.locator(css).all_inner_texts()), Decimal("0"))


def _lead(lead_id) -> Lead:
    with unit_of_work(SYSTEM) as session:
        found = session.get(Lead, lead_id)
        assert found is not None
        return found


def test_the_wallet_statement_adds_up_and_names_each_job(page, browser, app_url) -> None:
    consumer = make_user(name="רונית")
    owner = make_user(name="אבי")
    make_professional(owner, business_name="אינסטלציה אבי")
    admin = make_user(role=UserRole.admin, name="מנהלת")
    released = make_paid_job(consumer, owner, "380", title="החלפת ברז", released_at=LATER)
    pay_out(owner, admin, "300")
    make_paid_job(consumer, owner, "500", title="פתיחת סתימה")

    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/wallet")
    expect(page.locator("#pending-balance")).to_have_text("₪450")
    expect(page.locator("#available-balance")).to_have_text("₪42")
    lines = page.locator("#wallet-statement .wallet-line")
    expect(lines).to_have_count(5)  # hold, release, withdrawal, payout, hold
    # each column of lines adds up to its balance, and to the totals row
    assert _column_sum(page, "#wallet-statement .wallet-line .wallet-pending") == Decimal(450)
    assert _column_sum(page, "#wallet-statement .wallet-line .wallet-available") == Decimal(42)
    expect(page.locator(".wallet-total-pending")).to_have_text("₪450")
    expect(page.locator(".wallet-total-available")).to_have_text("₪42")
    # the release is one line: taken from held, added to available, naming its job
    release = lines.filter(has_text="שוחרר ליתרה הזמינה")
    expect(release.locator(".wallet-pending")).to_have_text("−₪342")
    expect(release.locator(".wallet-available")).to_have_text("+₪342")
    expect(release.locator(".wallet-move")).to_contain_text("מוחזק")
    expect(release.locator(".wallet-move")).to_contain_text("זמין")
    job = release.locator(".wallet-job")
    expect(job).to_have_text("החלפת ברז")
    expect(job).to_have_attribute("href", f"/pro/leads/{released.id}")
    payout = lines.filter(has_text="הועבר לחשבון הבנק")
    expect(payout.locator(".wallet-move")).to_contain_text("בדרך לבנק")

    # A withdrawal waits for its confirmation, which names the amount and the account.
    page.fill("#withdraw-amount", "20")
    page.fill("#withdraw-branch", "608")
    page.fill("#withdraw-account", "123456")
    page.fill("#withdraw-holder", "אבי לוי")
    page.click("#withdraw")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("₪20")
    expect(dialog).to_contain_text("123456")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator("#available-balance")).to_have_text("₪42")
    page.click("#withdraw")
    page.get_by_role("alertdialog").locator(".confirm-withdraw").click()
    expect(page.locator("#available-balance")).to_have_text("₪22")
    assert _column_sum(page, "#wallet-statement .wallet-line .wallet-available") == Decimal(22)
    save_shots(browser, app_url, owner, "/pro/wallet", "#wallet-totals", "wallet")


def test_marking_a_job_done_waits_for_the_confirmation(page, browser, app_url) -> None:
    consumer = make_user(name="רונית")
    owner = make_user(name="אבי")
    make_professional(owner, business_name="אינסטלציה אבי")
    lead = make_paid_job(consumer, owner, "380", title="החלפת ברז במקלחת")
    sign_in_as(page, app_url, token_for(owner))
    page.goto(f"/pro/leads/{lead.id}")

    page.click("#mark-done")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("החלפת ברז במקלחת")
    expect(dialog).to_contain_text("₪342")
    # focus is inside the dialog, on the safe choice
    assert page.evaluate("document.activeElement.closest('[role=alertdialog]') !== null")
    expect(dialog.locator(".confirm-cancel")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('[role=alertdialog]') !== null")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    page.click("#mark-done")
    page.get_by_role("alertdialog").locator(".confirm-cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    assert _lead(lead.id).status == LeadStatus.in_progress
    save_shots(browser, app_url, owner, f"/pro/leads/{lead.id}", "", "mark-done",
               opener="#mark-done")

    page.click("#mark-done")
    page.get_by_role("alertdialog").locator(".confirm-action").click()
    expect(page.locator("#my-offer")).to_contain_text("ממתינים לאישור הלקוח")
    assert _lead(lead.id).status == LeadStatus.completed


def test_admin_actions_wait_for_their_confirmation(page, browser, app_url) -> None:
    admin = make_user(role=UserRole.admin, name="מנהלת")
    consumer = make_user(name="רונית")
    owner = make_user(name="דני")
    make_professional(owner, business_name="מיזוג דני")
    make_paid_job(consumer, owner, "1000", title="התקנת מזגן", released_at=LATER)
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        payouts.request_withdrawal(session=session, caller=caller,
                                   professional_id=caller.professional_ids[0],
                                   amount=Decimal("250"), bank_code="12", branch="608",
                                   account="654321", account_holder="דני כהן")
    disputed = make_paid_job(consumer, owner, "600", title="תיקון מזגן שדולף")
    client = caller_for(consumer)
    with unit_of_work(client) as session:
        dispute = disputes.open_dispute(session=session, caller=client, lead_id=disputed.id,
                                        reason="המזגן עדיין מטפטף אחרי התיקון")
    pending_business, _ = make_professional(business_name="גינון שירה")  # not verified yet
    sign_in_as(page, app_url, token_for(admin))

    # approving a payout: the dialog names the business and the amount
    page.goto("/admin/payouts")
    row = page.locator(".withdrawal-request", has_text="מיזוג דני")
    row.locator(".approve").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("מיזוג דני")
    expect(dialog).to_contain_text("₪250")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert _withdrawal_status(caller) == "requested"
    save_shots(browser, app_url, admin, "/admin/payouts", "", "approve-payout",
           opener=".withdrawal-request .approve")
    row.locator(".approve").click()
    page.get_by_role("alertdialog").locator(".confirm-approve").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert _withdrawal_status(caller) == "approved"

    # a partial refund: the dialog names the job, the amount typed and what is held
    page.goto("/admin/disputes")
    card = page.locator(".dispute-card", has_text="תיקון מזגן שדולף")
    card.get_by_placeholder("סכום להחזר").fill("100")
    card.locator(".refund-partial").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("₪100")
    expect(dialog).to_contain_text("תיקון מזגן שדולף")
    expect(dialog).to_contain_text("₪600")  # what the client paid and is still held
    dialog.locator(".confirm-cancel").click()
    expect(dialog).to_have_count(0)
    assert _dispute_status(dispute.id) == "open"
    card.locator(".refund-partial").click()
    page.get_by_role("alertdialog").locator(".confirm-refund-partial").click()
    expect(page.get_by_role("status")).to_contain_text("המחלוקת הוכרעה")
    assert _dispute_status(dispute.id) == "resolved"

    # verifying a business: the dialog names it and its business ID
    page.goto("/admin/professionals")
    pending = page.locator(".admin-pro-row", has_text="גינון שירה")
    pending.locator(".admin-verify").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("גינון שירה")
    expect(dialog).to_contain_text(pending_business.business_id)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(pending).to_have_count(1)
    pending.locator(".admin-verify").click()
    page.get_by_role("alertdialog").locator(".confirm-verify").click()
    expect(page.locator(".admin-pro-row", has_text="גינון שירה")).to_have_count(0)


def _withdrawal_status(caller) -> str:
    with unit_of_work(SYSTEM) as session:
        return session.exec(select(Withdrawal.status).where(
            Withdrawal.professional_id == caller.professional_ids[0])).one()


def _dispute_status(dispute_id) -> str:
    with unit_of_work(SYSTEM) as session:
        found = session.get(Dispute, dispute_id)
        assert found is not None
        return found.status


def test_counts_agree_and_new_never_stands_beside_jobs_done(page, browser, app_url) -> None:
    """Hebrew number agreement on the client's offers and "my requests", and the "new
    business" badge only for a business without completed jobs."""
    consumer = make_user(name="רונית")
    lead = make_lead(consumer)
    _, new_owner = make_professional(business_name="אינסטלציה חדשה")
    veteran, old_owner = make_professional(business_name="אינסטלציה ותיקה")
    with unit_of_work(SYSTEM) as session:
        session.execute(update(Professional).where(col(Professional.id) == veteran.id)
                        .values(completed_jobs=2))
    for business_owner, price in ((new_owner, "600"), (old_owner, "650")):
        owner = caller_for(business_owner)
        with unit_of_work(owner) as session:
            proposals.create_proposal(session=session, caller=owner, lead_id=lead.id,
                                      data=ProposalCreate(price=Decimal(price),
                                                          description="אגיע מחר בבוקר."))
    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    fresh = page.locator(".offer-card", has_text="אינסטלציה חדשה")
    seasoned = page.locator(".offer-card", has_text="אינסטלציה ותיקה")
    expect(fresh.locator(".new-business")).to_have_text("עסק חדש")
    expect(fresh.locator(".jobs-done")).to_have_count(0)
    expect(seasoned.locator(".jobs-done")).to_have_text("2 עבודות הושלמו")
    expect(seasoned.locator(".new-business")).to_have_count(0)
    page.goto("/my/requests")
    expect(page.get_by_text("2 הצעות")).to_be_visible()
    save_shots(browser, app_url, consumer, f"/my/requests/{lead.id}", ".offer-card", "offers")

