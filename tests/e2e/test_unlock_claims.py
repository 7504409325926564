"""Refund claims of unlocked clients in the browser (issue 21 points 2-3): an admin rejects a
claim (a reason is required, and named beside its field when missing) and refunds another,
each moving to its status; a client answers a business's "never asked" claim through the SMS
link and is thanked (an unknown link says so); the business sees its unlocks on /pro/unlocks,
each claim's outcome and its documents. In Hebrew at 390 px, each page checked by axe."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import OutboxMessage, RefundClaimCreate, UnlockCreate, UserRole
from ofair_app.services import unlocks
from tests.e2e.conftest import save_shots, sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report, _settle
from tests.factories import (
    caller_for,
    consumer_lead_data,
    make_lead,
    make_professional,
    make_user,
    save_card,
    token_for,
)

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")
TO_REJECT = "החלפת שקע חשמל במטבח"
TO_REFUND = "תיקון קצר בלוח החשמל"
NEVER_ASKED = "התקנת גוף תאורה בסלון"
REASON = "בדקנו: הלקוח ענה לשיחה של המערכת ביום הפתיחה."


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _client_link(phone: str) -> str:
    """The path of the link the client was texted (read before the outbox sends it: the
    message is sensitive, and its body goes once a provider has it)."""
    with unit_of_work(SYSTEM) as session:
        sms = session.exec(select(OutboxMessage).where(
            OutboxMessage.template == "unlock_check", OutboxMessage.to_address == phone)).one()
    return "/unlock-check/" + sms.body.rsplit("/unlock-check/", 1)[1].split()[0]


def test_claims_are_decided_and_the_business_sees_the_outcome(page, browser, app_url) -> None:
    business, owner = make_professional(make_user(name="אלון"), business_name="חשמל אלון")
    save_card(owner, business)
    pro = caller_for(owner)
    admin = make_user(role=UserRole.admin, name="שירה מנהלת")
    claims = {}
    for title, reason in ((TO_REJECT, "unreachable"), (TO_REFUND, "not_in_service"),
                          (NEVER_ASKED, "never_asked")):
        client = make_user(name="רונית לקוחה")
        lead = make_lead(client, consumer_lead_data(title=title, direct_contact=True))
        unlocked = unlocks.unlock(caller=pro, lead_id=lead.id, data=UnlockCreate())
        claims[title] = unlocks.claim_refund(caller=pro, unlock_id=unlocked.id,
                                             data=RefundClaimCreate(reason=reason))
        if reason == "never_asked":
            link, texted = _client_link(client.phone), client
    save_shots(browser, app_url, admin, "/admin/unlock-claims", ".unlock-claim",
               "admin-unlock-claims")
    save_shots(browser, app_url, None, link, "#unlock-check-question", "unlock-check")

    # the admin: a rejection needs a reason, then a confirmation; a refund a confirmation
    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin/unlock-claims")
    rejected = page.locator(f"#claim-{claims[TO_REJECT].id}")
    expect(rejected).to_contain_text("הלקוח לא ענה (שלושה ניסיונות)")
    expect(rejected).to_contain_text("המספר עובר את הבדיקה שלנו")
    expect(page.locator(f"#claim-{claims[NEVER_ASKED].id}")).to_contain_text(
        "ממתינים לתשובת הלקוח")
    rejected.locator(".claim-reject").click()
    expect(rejected.locator(".ofair-field-error")).to_contain_text("יש לכתוב למה")
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    _settle(page)
    problems = _report("the claims, a reason missing (he, 390 px)", _axe(page))
    _shot(page, "admin-unlock-claims-reason-missing-390-he")
    rejected.locator("textarea").fill(REASON)
    rejected.locator(".claim-reject").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(REASON)
    page.wait_for_timeout(300)  # the dialog's opening animation
    problems += _report("the claims, rejecting (he, 390 px)", _axe(page))
    dialog.locator(".confirm-reject").click()
    expect(page.get_by_role("status").filter(has_text="הבקשה נדחתה")).to_be_visible()
    expect(rejected).to_have_count(0)

    refunded = page.locator(f"#claim-{claims[TO_REFUND].id}")
    refunded.locator(".claim-refund").click()
    page.get_by_role("alertdialog").locator(".confirm-refund").click()
    expect(page.get_by_role("status").filter(has_text="הבקשה אושרה")).to_be_visible()
    expect(refunded).to_have_count(0)

    page.get_by_role("radio", name="נדחו").click()
    expect(rejected).to_contain_text(REASON)
    expect(rejected).to_contain_text("נדחתה")
    page.get_by_role("radio", name="הוחזרו").click()
    expect(refunded).to_contain_text("הוחלט על ידי מנהל/ת")

    # the client, signed in, opens the link: the page is theirs and they stay signed in (the
    # link's token once hid the login cookie, and the page took them for a visitor)
    sign_in_as(page, app_url, token_for(texted))
    page.goto(link)
    expect(page.locator("#unlock-check-question")).to_contain_text(NEVER_ASKED)
    expect(page.locator("#account-menu")).to_be_visible()
    expect(page.locator("#login-link")).to_have_count(0)

    # the client, with no account: an unknown link says so; theirs asks, then thanks
    page.context.clear_cookies()
    page.goto("/unlock-check/no-such-link-of-ours-at-all")
    expect(page.locator("h1")).to_have_text("הקישור אינו תקף או שפג תוקפו")
    page.goto(link)
    expect(page.locator("#unlock-check-question")).to_contain_text("חשמל אלון")
    expect(page.locator("#unlock-check-question")).to_contain_text(NEVER_ASKED)
    _settle(page)
    problems += _report("the client's link (he, 390 px)", _axe(page))
    page.click("#answer-never-asked")
    expect(page.locator("h1")).to_have_text("תודה רבה")
    expect(page.locator("#unlock-check")).to_contain_text("רשמנו שלא פניתם")
    problems += _report("the client's link, answered (he, 390 px)", _axe(page))
    _shot(page, "unlock-check-answered-390-he")
    page.reload()
    expect(page.locator("h1")).to_have_text("תודה רבה")

    # the business: its three unlocks, each claim's outcome, the documents
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/profile")
    page.click("#unlocks-link")
    expect(page).to_have_url(f"{app_url}/pro/unlocks")
    expect(page.locator(".unlock-row")).to_have_count(3)
    by_title = {title: page.locator(".unlock-row", has_text=title)
                for title in (TO_REJECT, TO_REFUND, NEVER_ASKED)}
    expect(by_title[TO_REJECT].locator(".unlock-rejected")).to_contain_text(REASON)
    expect(by_title[TO_REFUND]).to_contain_text("הוחזר אחרי בדיקה של הצוות שלנו")
    expect(by_title[NEVER_ASKED]).to_contain_text("הלקוח אישר שלא פנה")
    expect(page.locator(".unlock-invoice")).to_have_count(3)
    expect(page.locator(".unlock-credit-note")).to_have_count(2)
    expect(by_title[TO_REJECT].locator(".unlock-lead")).to_have_attribute(
        "href", f"/pro/leads/{claims[TO_REJECT].lead_id}")
    _settle(page)
    problems += _report("the business's unlocks (he, 390 px)", _axe(page))
    _shot(page, "pro-unlocks-390-he")
    save_shots(browser, app_url, owner, "/pro/unlocks", ".unlock-row", "pro-unlocks")
    assert problems == [], "\n".join(problems)
