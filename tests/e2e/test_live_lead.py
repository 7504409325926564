"""The other side's moves appear live (issue: a performer's "done" never reached the owner's open
page). Two browser contexts stay on their lead pages, never reloaded: the consumer's request page
(the owner) and the business's lead page (the performer). The performer's offer, its withdrawal,
the owner's award, the payment (made outside both pages, as the provider's webhook does) and the
performer's "done" each show on the other side's open page within a few seconds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from ofair_app import reference
from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import unit_of_work
from ofair_app.models import ProposalCreate
from ofair_app.services import payments, proposals
from tests.e2e.conftest import PHONE, sign_in_as
from tests.factories import caller_for, city, make_lead, make_professional, make_user, token_for

LIVE_MS = 5_000  # "within a few seconds": the pages are pushed to, not polled


def test_each_move_reaches_the_other_sides_open_page(page, browser, app_url) -> None:
    category = reference.categories()[0]
    consumer = make_user(name="רונית לקוחה")
    lead = make_lead(consumer)
    _, performer = make_professional(make_user(name="אבי"), business_name="אינסטלציה אבי",
                                     category=category.slug, locality_id=city("Haifa"))

    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    expect(page.locator(".lead-status")).to_have_text("פתוחה להצעות")
    pro_context = browser.new_context(base_url=app_url, viewport=PHONE, locale="he-IL")
    pro_page = pro_context.new_page()
    sign_in_as(pro_page, app_url, token_for(performer))
    pro_page.goto(f"/pro/leads/{lead.id}")

    # the performer offers, then withdraws: the owner's open page follows both
    pro_page.fill("#offer-price", "600")
    pro_page.fill("#offer-description", "אגיע מחר בבוקר עם חלקים מקוריים, אחריות לשנה.")
    pro_page.click("#send-offer")
    card = page.locator(".offer-card")
    expect(card).to_have_count(1, timeout=LIVE_MS)
    expect(card).to_contain_text("ממתינה")
    pro_page.click("#withdraw-offer")
    pro_page.get_by_role("alertdialog").locator(".confirm-action").click()
    expect(card).to_contain_text("בוטלה", timeout=LIVE_MS)

    # a second offer (sent through the service, from outside both pages) appears too
    with unit_of_work(caller_for(performer)) as session:
        proposals.create_proposal(
            session=session, caller=caller_for(performer), lead_id=lead.id,
            data=ProposalCreate(price=Decimal("650"), description="אפשר גם היום אחר הצהריים.",
                                scheduled_date=date.today() + timedelta(days=1)))
    expect(card).to_have_count(2, timeout=LIVE_MS)
    pro_page.wait_for_timeout(300)  # nothing on the performer's page was reloaded by hand

    # the owner chooses it: the performer's open page shows the award
    chosen = page.locator(".offer-card", has_text="₪650")
    chosen.locator(".choose-offer").click()
    page.get_by_role("alertdialog").locator(".confirm-offer").click()
    expect(pro_page.locator("#my-offer")).to_contain_text("ההצעה שלך נבחרה!", timeout=LIVE_MS)

    # the client pays (the provider's webhook, outside both pages): both pages follow
    accepted = next(p for p in proposals_of(lead.id, consumer) if str(p.status) == "accepted")
    payment = payments.initiate(caller=caller_for(consumer), proposal_id=accepted.id)
    paid = SandboxProvider().pay(payment.psp_reference, SUCCESS_CARD)
    payments.handle_webhook(paid.payload, paid.signature)
    expect(page.locator(".lead-status")).to_have_text("בביצוע", timeout=LIVE_MS)
    expect(pro_page.locator("#mark-done")).to_be_visible(timeout=LIVE_MS)

    # the performer marks it done: the owner's open page shows it, and may confirm
    pro_page.click("#mark-done")
    pro_page.get_by_role("alertdialog").locator(".confirm-action").click()
    expect(page.locator(".lead-status")).to_have_text("הושלמה", timeout=LIVE_MS)
    pro_context.close()


def proposals_of(lead_id, owner):
    with unit_of_work(caller_for(owner)) as session:
        views = proposals.list_proposals(session=session, caller=caller_for(owner),
                                         lead_id=lead_id)
        return [view.proposal for view in views]
