"""Direct-contact leads in the browser (issue 21 points 2-3): a signed-in consumer ticks "let
professionals contact me directly"; a business finds the request on its board with the unlock
price and the places left, unlocks the client with its saved card in the sandbox and sees the
phone; the consumer sees who got their details; the business claims a refund within the week.
In Hebrew at 390 px, each page checked by axe."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import select

from ofair_app import reference
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import Lead, LeadUnlock
from ofair_app.ui import format
from tests.e2e.conftest import sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report, _settle
from tests.factories import city, make_professional, make_user, save_card, token_for

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_a_business_unlocks_a_direct_request_sees_the_phone_and_claims_a_refund(
        page, browser, app_url) -> None:
    category = reference.categories()[0]
    consumer = make_user(name="רונית לקוחה")
    business, owner = make_professional(make_user(name="אלון"), business_name="אינסטלציה אלון",
                                        category=category.slug, locality_id=city("Haifa"),
                                        service_radius_km=30)
    save_card(owner, business)

    # the consumer files the request, letting professionals call directly
    sign_in_as(page, app_url, token_for(consumer))
    page.goto("/")
    page.click("#r-category")
    page.get_by_role("option", name=category.name_he, exact=True).click()
    page.fill("#f-locality", "חיפ")
    page.locator(".locality-option").first.click()
    page.fill("#r-description", "הברז במטבח מטפטף ויש רטיבות בארון שמתחת לכיור.")
    page.check("#r-direct")
    if page.locator("#r-accept").count():
        page.check("#r-accept")
    page.click("#r-submit")
    expect(page.locator("#request-sent")).to_be_visible()
    lead_id = re.search(r"/my/requests/([0-9a-f-]{36})", page.url).group(1)
    with unit_of_work(SYSTEM) as session:
        assert session.get(Lead, lead_id).direct_contact
    expect(page.locator("#unlocked-by")).to_have_count(0)  # nobody yet

    # the business sees it on the board: direct contact, the price with VAT, places left
    context = browser.new_context(base_url=app_url, viewport={"width": 390, "height": 844},
                                  locale="he-IL")
    pro = context.new_page()
    sign_in_as(pro, app_url, token_for(owner))
    pro.goto("/pro")
    card = pro.locator(".lead-card").first
    expect(card.locator(".direct-badge")).to_be_visible()
    expect(card.locator(".unlock-price")).to_have_text("₪29.50")
    expect(card.locator(".places-left")).to_have_text("נותרו 3 מקומות")
    _shot(pro, "unlock-board-390-he")
    problems = _report("the board with a direct request (he, 390 px)", _axe(pro))

    card.click()
    expect(pro.locator("#unlock-panel")).to_be_visible()
    expect(pro.locator("#unlock-price")).to_have_text("₪29.50")
    expect(pro.locator("#client-details")).to_have_count(0)
    _settle(pro)
    problems += _report("a direct request, before unlocking (he, 390 px)", _axe(pro))
    _shot(pro, "unlock-offer-390-he")
    pro.click("#unlock-button")
    _settle(pro)
    problems += _report("the unlock's confirmation (he, 390 px)", _axe(pro))
    pro.locator(".unlock-confirm").click()
    expect(pro.locator("#client-details")).to_contain_text(format.phone(consumer.phone))
    expect(pro.locator("#client-details")).to_contain_text("רונית לקוחה")
    with unit_of_work(SYSTEM) as session:
        [unlock] = session.exec(select(LeadUnlock).where(LeadUnlock.lead_id == lead_id)).all()
        assert (unlock.status, unlock.amount) == ("succeeded", Decimal("29.50"))
    _settle(pro)
    problems += _report("a direct request, unlocked (he, 390 px)", _axe(pro))
    _shot(pro, "unlock-done-390-he")

    # the consumer sees who got the details
    page.reload()
    expect(page.locator("#unlocked-by")).to_contain_text("אינסטלציה אלון")
    _settle(page)
    problems += _report("the request, unlocked by a business (he, 390 px)", _axe(page))

    # no answer three times: the business asks for its money back; an admin will decide
    pro.reload()
    pro.click("#claim-reason")
    pro.get_by_role("option", name="הלקוח לא ענה (שלושה ניסיונות)").click()
    pro.fill("#claim-note", "התקשרנו ביום א׳, ב׳ וג׳ בבוקר.")
    pro.click("#claim-submit")
    expect(pro.locator("#claim-status")).to_contain_text("ממתינה")
    expect(pro.locator("#claim-submit")).to_have_count(0)
    context.close()
    assert problems == [], "\n".join(problems)
