"""Performance tiers in the browser (issue 22, point 2): after the month's evaluation a business
sees its tier on its plan page (the discount, the figures that counted, what the next tier
needs), and its public page shows the badge.

With OFAIR_SHOTS_DIR set, both pages are saved as screenshots (phone and desktop, Hebrew and
English)."""

from __future__ import annotations

from playwright.sync_api import expect

from jobs.runner import run_job
from tests.api.test_tiers_api import AS_OF, _activate, _jobs
from tests.e2e.conftest import save_shots, sign_in_as
from tests.factories import make_professional, make_user, token_for


def test_a_gold_business_sees_what_it_took_and_the_public_sees_the_badge(page, browser,
                                                                        app_url) -> None:
    business, owner = make_professional(make_user(name="דנה"), business_name="אינסטלציה דנה")
    _activate(business)
    _jobs(business.id, 12, 5, 30)
    # the month's run, as the scheduler would do it (the figures are of the 90 days before)
    assert "businesses evaluated" in run_job("update_tiers", as_of=AS_OF).detail

    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/plan")
    card = page.locator("#tier-card")
    expect(card).to_contain_text("זהב")
    expect(card).to_contain_text("10%")
    expect(card.locator(".tier-requirement")).to_have_count(4)
    expect(card).to_contain_text("פרימיום")
    expect(card).to_contain_text("לפחות 25 עבודות שהושלמו (אצלכם: 12)")
    save_shots(browser, app_url, owner, "/pro/plan", "#tier-card", "pro-plan-tier")

    page.goto(f"/pros/{business.id}")
    expect(page.locator("#tier-badge")).to_contain_text("זהב")
    save_shots(browser, app_url, None, f"/pros/{business.id}", "#tier-badge", "public-pro-tier")
