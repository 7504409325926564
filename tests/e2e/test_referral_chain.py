"""A referral chain in the browser (issue 22, point 1): the owner offers its lead to B; B passes
it on from the lead page keeping 10 %; C passes it to D keeping 5 %; D sees the whole chain and
what it would earn before it accepts, and takes the job from its referrals inbox. The client
pays, the job closes, the hold is released: every wallet shows its own part.

With OFAIR_SHOTS_DIR set, the chain on the lead page is saved as screenshots (phone and
desktop, Hebrew and English)."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlmodel import select

from ofair_app import reference
from ofair_app.adapters.psp.sandbox import SUCCESS_CARD, SandboxProvider
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.leads import LeadVisibility
from ofair_app.models import ReferOn, Referral, ReferralCreate
from ofair_app.models._base import utcnow
from ofair_app.services import payments, referrals
from tests.e2e.conftest import PHONE, save_shots, sign_in_as
from tests.factories import (
    caller_for,
    city,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
    token_for,
)


def _signed_in(browser, app_url, user):
    context = browser.new_context(base_url=app_url, viewport=PHONE, locale="he-IL")
    page = context.new_page()
    sign_in_as(page, app_url, token_for(user))
    return context, page


def test_a_lead_passed_on_twice_is_paid_to_all_four_businesses(page, browser,
                                                                app_url) -> None:
    category = reference.categories()[0]
    haifa = city("Haifa")
    people = {}
    for key, name in (("a", "שיפוצי אלון"), ("b", "שרברבות בן"), ("c", "צנרת כרמל"),
                      ("d", "אינסטלציה דור")):
        people[key] = make_professional(make_user(name=name.split()[-1]), business_name=name,
                                        category=category.slug, locality_id=haifa)
    (pro_a, owner_a), (_, owner_b), (pro_c, owner_c), (pro_d, owner_d) = (
        people[k] for k in "abcd")
    lead = make_lead(owner_a, pro_lead_data(pro_a, visibility=LeadVisibility.private))
    with unit_of_work(caller_for(owner_a)) as session:
        to_b = referrals.share_lead(session=session, caller=caller_for(owner_a),
                                    lead_id=lead.id, data=ReferralCreate(
                                        receiver_professional_id=people["b"][0].id))

    # B passes it on from the lead page, keeping 10 %
    sign_in_as(page, app_url, token_for(owner_b))
    page.goto("/pro/referrals")
    page.locator(".referral-card").first.locator(".pass-on-referral").click()
    expect(page).to_have_url(re.compile(rf"/pro/leads/{lead.id}"))
    box = page.locator("#pass-on")
    expect(box).to_contain_text("עד 70%")  # the owner keeps 20
    # a share that is not a percentage is named on the form, and nothing is passed on
    page.fill("#pass-share", "עשרה")
    page.click("#pass-open")
    page.fill("#pass-search", "צנרת כר")
    result = page.locator(".share-result", has_text="צנרת כרמל")
    expect(result).to_be_visible()
    result.locator(".pass-send").click()
    expect(box.get_by_role("alert")).to_contain_text("יש להזין אחוז")
    expect(box).to_be_visible()
    with unit_of_work(SYSTEM) as session:
        assert session.exec(select(Referral).where(
            Referral.receiver_professional_id == pro_c.id)).first() is None
    page.fill("#pass-share", "10")
    page.click("#pass-open")  # the search is as it was left
    result.locator(".pass-send").click()
    chain = page.locator("#lead-chain")
    expect(chain).to_contain_text("שיפוצי אלון")
    expect(chain).to_contain_text("₪600")
    expect(chain).to_contain_text("₪300")
    expect(page.locator("#chain-performer")).to_contain_text("צנרת כרמל")
    expect(page.locator("#pass-on")).to_have_count(0)  # passed on: nothing more to pass

    # C passes it on to D, keeping 5 %
    with unit_of_work(caller_for(owner_c)) as session:
        to_c = session.exec(select(Referral).where(
            Referral.receiver_professional_id == pro_c.id)).one()
        to_d = referrals.refer_on(session=session, caller=caller_for(owner_c),
                                  referral_id=to_c.id, data=ReferOn(
                                      receiver_professional_id=pro_d.id, share="5"))

    # D sees who earns what before it accepts, then takes the job
    context, d_page = _signed_in(browser, app_url, owner_d)
    d_page.goto(f"/pro/leads/{lead.id}")
    chain = d_page.locator("#lead-chain")
    expect(chain.locator(".chain-link")).to_have_count(3)
    for text in ("שיפוצי אלון", "₪600", "שרברבות בן", "₪300", "צנרת כרמל", "₪150"):
        expect(chain).to_contain_text(text)
    expect(d_page.locator("#chain-performer")).to_contain_text("₪1,800")
    assert "052-765-4321" not in d_page.content()
    save_shots(browser, app_url, owner_d, f"/pro/leads/{lead.id}", "#lead-chain",
               "referral-chain")
    d_page.goto("/pro/referrals")
    card = d_page.locator(".referral-card").first
    card.locator(".accept-referral").click()
    d_page.get_by_role("alertdialog").locator(".confirm-accept-referral").click()
    expect(d_page).to_have_url(re.compile(rf"/pro/leads/{lead.id}$"))
    expect(d_page.locator("#my-offer")).to_contain_text("ההצעה שלך נבחרה!")

    # the client pays, D finishes, A confirms; the hold is released
    with unit_of_work(SYSTEM) as session:
        proposal_id = session.get(Referral, to_d.id).proposal_id
    payment = payments.initiate(caller=caller_for(owner_a), proposal_id=proposal_id)
    paid = SandboxProvider().pay(payment.psp_reference or "", SUCCESS_CARD)
    assert payments.handle_webhook(paid.payload, paid.signature).outcome == "applied"
    with unit_of_work(caller_for(owner_d)) as session:
        payments.complete(session=session, caller=caller_for(owner_d), lead_id=lead.id)
    with unit_of_work(caller_for(owner_a)) as session:
        payments.confirm_completion(session=session, caller=caller_for(owner_a),
                                    lead_id=lead.id)
    with unit_of_work(SYSTEM) as session:
        assert payments.release_due(session=session, now=utcnow() + timedelta(days=8)) >= 1

    # every party's wallet shows its own part, available to withdraw
    for user, amount in ((owner_a, "₪600"), (owner_b, "₪300"), (owner_c, "₪150"),
                         (owner_d, "₪1,800")):
        wallet_context, wallet = _signed_in(browser, app_url, user)
        wallet.goto("/pro/wallet")
        expect(wallet.locator("#available-balance")).to_contain_text(amount)
        wallet_context.close()
    context.close()
    assert to_b.status == "pending"
