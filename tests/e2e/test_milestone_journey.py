"""A job in milestones, in Chromium: the business proposes a plan on its lead page (a plan
that does not add up is refused with the totals named), the client agrees and is offered each
step's payment, the business marks the paid step done and posts progress with a photo, the
client approves it; the client's page shows the step approved and the photo.

With OFAIR_SHOTS_DIR set, the panels are saved as screenshots (phone and desktop, Hebrew and
English) for a person to look at."""

from __future__ import annotations

from playwright.sync_api import expect

from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import unit_of_work
from ofair_app.services import milestones, payments
from tests.e2e.conftest import save_shots, sign_in_as
from tests.factories import (
    PNG_BYTES,
    caller_for,
    make_professional,
    make_user,
    make_won_job,
    token_for,
)


def test_a_plan_agreed_a_step_paid_done_shown_and_approved(page, browser, app_url,
                                                           tmp_path) -> None:
    consumer = make_user(name="נועה ברק")
    _business, pro = make_professional(make_user(name="עידו"), business_name="שיפוצי עידו")
    lead = make_won_job(consumer, pro, "3000")

    # the business proposes two steps that do not add up, then fixes the second
    sign_in_as(page, app_url, token_for(pro))
    page.goto(f"/pro/leads/{lead.id}")
    panel = page.locator("#milestones-panel")
    expect(panel).to_be_visible()
    page.click("#ms-propose")
    expect(page.locator(".ms-editor-row")).to_have_count(2)
    page.fill("#ms-title-0", "הכנת קירות")
    page.fill("#ms-amount-0", "1000")
    page.fill("#ms-title-1", "צביעה")
    page.fill("#ms-amount-1", "1500")
    page.click("#ms-send-plan")
    expect(panel).to_contain_text("3,000")  # "they add up to 2,500 but the price is 3,000"
    expect(page.locator("#ms-editor")).to_be_visible()
    page.fill("#ms-amount-1", "2,000")
    expect(page.locator("#ms-total")).to_contain_text("3,000")
    page.click("#ms-send-plan")
    expect(page.locator(".ms-step")).to_have_count(2)
    expect(panel).to_contain_text("ממתינה לצד השני")

    # the client agrees and is offered the first step's payment
    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    expect(page.locator("#ms-agree")).to_be_visible()
    save_shots(browser, app_url, consumer, f"/my/requests/{lead.id}", "#ms-agree",
               "milestones-proposed")
    page.click("#ms-agree")
    expect(page.locator("#milestones-panel")).to_contain_text("מאושרת")
    expect(page.locator(".ms-pay")).to_have_count(2)
    expect(page.locator("#start-payment")).to_have_count(0)  # no paying the whole job
    # the card form is the provider's: the first step is paid there
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        view = milestones.view(session=session, caller=caller, lead_id=lead.id)
    first = view.steps[0].milestone
    payment = payments.initiate(caller=caller, proposal_id=view.plan.proposal_id,
                                milestone_id=first.id)
    paid = SandboxProvider().pay(payment.psp_reference or "", SUCCESS_CARD)
    assert payments.handle_webhook(paid.payload, paid.signature).outcome == "applied"

    # the business marks it done and posts progress with a photo
    sign_in_as(page, app_url, token_for(pro))
    page.goto(f"/pro/leads/{lead.id}")
    expect(page.locator(".ms-submit")).to_have_count(1)
    page.locator(".ms-submit").click()
    expect(page.locator(".ms-step").first).to_contain_text("ממתינה לאישור")
    page.locator(".ms-add-update").first.click()
    page.fill("#ms-update-body", "הקירות שויפו ומוכנים לצבע")
    photo = tmp_path / "walls.png"
    photo.write_bytes(PNG_BYTES)
    page.locator("#milestone-photos input[type=file]").set_input_files(str(photo))
    page.click("#ms-post-update")
    expect(page.locator(".ms-update")).to_contain_text("הקירות שויפו")
    expect(page.locator(".ms-photo")).to_have_count(1)
    save_shots(browser, app_url, pro, f"/pro/leads/{lead.id}", ".ms-update",
               "milestones-progress")

    # the client approves the step; the second is still to pay
    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    expect(page.locator(".ms-update")).to_contain_text("הקירות שויפו")
    page.locator(".ms-approve").click()
    page.get_by_role("alertdialog").locator(".confirm-action").click()
    expect(page.locator(".ms-step").first).to_contain_text("אושרה")
    expect(page.locator(".ms-pay")).to_have_count(1)
    save_shots(browser, app_url, consumer, f"/my/requests/{lead.id}", ".ms-step",
               "milestones-approved")
