"""A consumer finds their requests and profile, an owner sees whom they chose, and each party
sees only its own next steps (a referrer texts the payment link; it is not sent to the card
form). On a 390 px phone; screenshots go to $OFAIR_SHOTS_DIR when it is set."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect

from ofair_app.db.engine import unit_of_work
from ofair_app.models import ProposalCreate, UserRole
from ofair_app.services import proposals
from tests.e2e.conftest import DESKTOP, PHONE, sign_in_as
from tests.e2e.test_identity import local, log_in
from tests.factories import (
    caller_for,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
    token_for,
)


def _shot(page, name: str) -> None:
    """A screenshot for a person to look at (not an assertion); only when asked for."""
    folder = os.environ.get("OFAIR_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _fits_the_phone(page) -> None:
    """Nothing in the top bar (or anywhere) pushes the page wider than the phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _awarded(owner_user, data=None):
    """A lead of `owner_user` whose proposal from a fresh business was accepted."""
    business, performer_user = make_professional(make_user(name="אבי"),
                                                 business_name="אינסטלציה אבי")
    lead = make_lead(owner_user, data)
    performer, owner = caller_for(performer_user), caller_for(owner_user)
    with unit_of_work(performer) as session:
        proposal = proposals.create_proposal(
            session=session, caller=performer, lead_id=lead.id,
            data=ProposalCreate(price=Decimal("800"), description="אגיע מחר עם כל החלקים."))
    with unit_of_work(owner) as session:
        proposals.accept_proposal(session=session, caller=owner, proposal_id=proposal.id)
    return lead, business, performer_user


def test_a_consumer_lands_on_their_requests_and_reaches_profile_and_logout(page, otp_phone):
    consumer = make_user(name="רונית לקוחה", phone=otp_phone)
    lead = make_lead(consumer)
    page.goto("/login")
    log_in(page, consumer.phone)
    expect(page).to_have_url(re.compile(r"/my/requests/?$"))
    expect(page.locator(".my-request")).to_have_count(1)
    link = page.locator("#my-requests-link")
    expect(link).to_be_visible()
    expect(link).to_contain_text("הבקשות שלי")
    _fits_the_phone(page)
    _shot(page, "my-requests-phone-he")

    page.goto(f"/my/requests/{lead.id}")
    page.locator("#my-requests-link").click()
    expect(page).to_have_url(re.compile(r"/my/requests/?$"))
    page.click("#account-menu")
    expect(page.locator("#menu-my-requests")).to_be_visible()
    _shot(page, "account-menu-phone-he")
    page.locator("#menu-account").click()
    expect(page).to_have_url(re.compile(r"/account/?$"))
    expect(page.locator("#account-name")).to_have_value("רונית לקוחה")

    page.fill("#account-name", "1234")
    page.fill("#account-email", "not-an-address")
    page.click("#account-save")
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("אות")  # the name needs a letter
    page.fill("#account-name", "רונית כהן")
    page.fill("#account-email", "")
    page.click("#account-save")
    expect(page.get_by_role("status")).to_contain_text("נשמר")
    expect(page.locator("#account-menu")).to_contain_text("רונית כהן")
    _shot(page, "account-phone-he")

    page.click("#account-logout")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#login-link")).to_be_visible()
    page.goto("/my/requests")
    expect(page).to_have_url(re.compile(r"/login"))


def test_the_client_sees_the_winners_card_and_pays_itself(page, app_url):
    consumer = make_user(name="רונית לקוחה")
    lead, business, performer = _awarded(consumer)
    sign_in_as(page, app_url, token_for(consumer))
    page.goto(f"/my/requests/{lead.id}")
    card = page.locator("#performer-card")
    expect(card).to_contain_text("אינסטלציה אבי")
    expect(card.locator("#performer-phone")).to_have_text(local(performer.phone))
    expect(card.locator("#performer-profile")).to_have_attribute(
        "href", re.compile(rf"/pros/{business.id}$"))
    expect(page.locator("#contact-note")).to_contain_text("נמסרו רק לבעל המקצוע שבחרת")
    expect(page.get_by_text("חסויים: רק איש המקצוע שתבחרו יראה אותם.")).to_have_count(0)
    expect(page.locator("#start-payment")).to_be_visible()
    expect(page.locator("#send-payment-link")).to_have_count(0)
    _fits_the_phone(page)
    _shot(page, "client-winner-phone-he")
    page.locator("#language-switch").first.click()
    expect(page.locator("#performer-card")).to_contain_text("The professional you chose")
    _fits_the_phone(page)
    _shot(page, "client-winner-phone-en")
    page.locator("#language-switch").first.click()


def test_the_referrer_texts_the_link_and_sees_the_winner(page, browser, app_url):
    business, referrer = make_professional(make_user(name="רם"), business_name="שיפוצי רם")
    lead, _, performer = _awarded(referrer, pro_lead_data(business))
    sign_in_as(page, app_url, token_for(referrer))
    page.goto(f"/pro/leads/{lead.id}")
    expect(page.locator("#performer-card")).to_contain_text("אינסטלציה אבי")
    expect(page.locator("#performer-phone")).to_have_text(local(performer.phone))
    expect(page.locator("#start-payment")).to_have_count(0)
    expect(page.locator("#deal-box")).to_contain_text("הלקוח שלך משלם בקישור")
    page.click("#send-payment-link")
    expect(page.locator("#link-sent")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/pro/leads/{lead.id}$"))
    expect(page.locator("#send-payment-link")).to_contain_text("שוב")
    _fits_the_phone(page)
    _shot(page, "referrer-link-phone-he")

    # the performer sees neither payment step nor the winner's card
    context = browser.new_context(base_url=app_url, viewport=PHONE, locale="he-IL")
    pro_page = context.new_page()
    sign_in_as(pro_page, app_url, token_for(performer))
    pro_page.goto(f"/pro/leads/{lead.id}")
    expect(pro_page.locator("#my-offer")).to_contain_text("ההצעה שלך נבחרה!")
    expect(pro_page.locator("#start-payment")).to_have_count(0)
    expect(pro_page.locator("#send-payment-link")).to_have_count(0)
    expect(pro_page.locator("#performer-card")).to_have_count(0)
    # the pro shell has the account menu on a phone too: profile and logout
    pro_page.click("#account-menu")
    expect(pro_page.locator("#menu-account")).to_be_visible()
    expect(pro_page.locator("#logout")).to_be_visible()
    _shot(pro_page, "pro-menu-phone-he")
    pro_page.locator("#logout").click()
    expect(pro_page).to_have_url(re.compile(r"/$"))
    context.close()


def test_admin_and_desktop_shells_reach_profile_and_logout(page, browser, app_url):
    sign_in_as(page, app_url, token_for(make_user(role=UserRole.admin, name="מנהלת")))
    page.goto("/admin")
    page.locator("#admin-topbar #account-menu").click()
    expect(page.locator("#menu-account")).to_be_visible()
    expect(page.locator("#logout")).to_be_visible()
    _shot(page, "admin-menu-phone-he")

    consumer = make_user(name="רונית לקוחה")
    make_lead(consumer)
    context = browser.new_context(base_url=app_url, viewport=DESKTOP, locale="he-IL")
    desk = context.new_page()
    sign_in_as(desk, app_url, token_for(consumer))
    desk.goto("/")
    expect(desk.locator("#my-requests-link")).to_be_visible()
    _shot(desk, "home-desktop-he")
    desk.goto("/account")
    expect(desk.locator("#account-name")).to_have_value("רונית לקוחה")
    desk.locator("#language-switch").first.click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("My profile")
    _shot(desk, "account-desktop-en")
    context.close()
