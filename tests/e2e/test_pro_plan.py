"""The pro plan in the browser (issue 21 point 1): an owner compares the free and the Pro plan,
subscribes in the sandbox with the saved card, sees the plan, its charge and receipt, the
lower commission on a colleague's lead and the badge on the business's public page; then stops
the renewals. In Hebrew at 390 px, the page checked by axe."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report, _settle
from tests.factories import (
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
    save_card,
    token_for,
)

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_an_owner_subscribes_and_sees_the_badge_and_the_lower_commission(page,
                                                                          app_url) -> None:
    business, owner = make_professional(make_user(name="אלון"), business_name="אינסטלציה אלון")
    save_card(owner, business)
    colleague, referrer = make_professional(make_user(name="דוד"), business_name="שיפוצי דוד")
    lead = make_lead(referrer, pro_lead_data(colleague))
    sign_in_as(page, app_url, token_for(owner))

    page.goto(f"/pro/leads/{lead.id}")
    expect(page.locator("#lead-earnings")).to_contain_text("(5%)")

    page.goto("/pro/plan")
    expect(page.locator("#plan-compare")).to_contain_text("4%")
    expect(page.locator("#plan-status")).to_contain_text("בתוכנית החינמית")
    _settle(page)
    problems = _report("the plan, free (he, 390 px)", _axe(page))
    _shot(page, "plan-free-390-he")
    page.click("#plan-buy")
    expect(page.locator("#plan-status")).to_contain_text("לעסק שלכם יש OFAIR Pro")
    expect(page.locator("#plan-renews")).to_contain_text("116.82")
    expect(page.locator(".plan-charge")).to_have_count(1)
    expect(page.locator(".plan-charge")).to_contain_text("שולם")
    expect(page.locator(".plan-receipt")).to_be_visible()
    _settle(page)
    problems += _report("the plan, subscribed (he, 390 px)", _axe(page))
    _shot(page, "plan-pro-390-he")

    page.goto(f"/pro/leads/{lead.id}")
    expect(page.locator("#lead-earnings")).to_contain_text("(4%)")
    page.goto(f"/pros/{business.id}")
    expect(page.locator("#pro-badge")).to_have_text("OFAIR Pro")

    page.goto("/pro/plan")
    page.click("#plan-cancel")
    expect(page.locator("#plan-ends")).to_be_visible()
    expect(page.locator("#plan-resume")).to_be_visible()
    assert problems == [], "\n".join(problems)
