"""Team invitations in Chromium on a phone: an owner invites, the invitee signs in, accepts on
/invitations and appears on the team page; nobody joins before that."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_identity import local, log_in
from tests.factories import make_professional, token_for


def test_an_owner_invites_and_the_invitee_joins_only_after_accepting(page, app_url, otp_phone):
    _, owner = make_professional(business_name="שיפוצי הגליל")
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/team")
    expect(page.locator("#team-list .team-member")).to_have_count(1)
    page.fill("#f-member-phone", local(otp_phone))
    page.click("#member-invite")
    expect(page.get_by_role("status")).to_contain_text(local(otp_phone))
    expect(page.locator("#team-pending .team-invitation")).to_have_count(1)
    expect(page.locator("#team-pending")).to_contain_text(local(otp_phone))
    expect(page.locator("#team-list .team-member")).to_have_count(1)  # not a member yet

    # The invitee follows the SMS link: sign in first, then back to the invitation.
    page.context.clear_cookies()
    page.goto("/invitations")
    expect(page).to_have_url(re.compile(r"/login/?\?next=/invitations$"))
    log_in(page, otp_phone)
    expect(page).to_have_url(re.compile(r"/invitations/?$"))
    card = page.locator(".invitation-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("שיפוצי הגליל")
    card.locator(".invitation-accept").click()
    expect(page.get_by_role("status")).to_contain_text("שיפוצי הגליל")
    expect(page.locator(".invitation-card")).to_have_count(0)
    page.click("#invitation-to-team")
    expect(page).to_have_url(re.compile(r"/pro/team/?$"))
    expect(page.locator("#team-list .team-member")).to_have_count(2)
    expect(page.locator("#team-list")).to_contain_text(local(otp_phone))

    # The owner sees the new colleague, and no invitation waiting any more.
    page.context.clear_cookies()
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/team")
    expect(page.locator("#team-list .team-member")).to_have_count(2)
    expect(page.locator("#team-list")).to_contain_text(local(otp_phone))
    expect(page.locator("#team-pending")).to_have_count(0)
