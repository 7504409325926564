"""Team invitations in Chromium on a phone: an owner invites, the invitee signs in, accepts on
/invitations and appears on the team page; nobody joins before that."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_identity import local, log_in
from tests.factories import (
    add_member,
    invite,
    make_professional,
    make_user,
    next_phone,
    token_for,
)


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


def test_an_owner_resends_cancels_promotes_and_removes_from_the_page(page, app_url):
    business, owner = make_professional(business_name="חשמל הצפון")
    colleague = make_user(name="רון אבן")
    add_member(business, owner, colleague)
    invite(business, owner, phone=next_phone())
    sign_in_as(page, app_url, token_for(owner))
    page.goto("/pro/team")
    members = page.locator("#team-list .team-member")
    expect(members).to_have_count(2)
    expect(page.locator("#team-pending .team-invitation")).to_have_count(1)
    expect(page.locator("#team-leave")).to_have_count(0)  # the only owner cannot leave

    # Sent a moment ago: sending again is refused with the wait, and nothing changes.
    pending = page.locator("#team-pending .team-invitation")
    pending.get_by_role("button", name="שליחה חוזרת").click()
    expect(page.get_by_role("alert")).to_contain_text("אפשר לשלוח שוב")
    pending.get_by_role("button", name="ביטול ההזמנה").click()
    page.get_by_role("alertdialog").locator(".confirm-cancel-invitation").click()
    expect(page.get_by_role("status")).to_contain_text("ההזמנה בוטלה")
    expect(page.locator("#team-pending")).to_have_count(0)

    # A second owner: now either may leave. Then the colleague is removed.
    row = members.filter(has_text="רון אבן")
    row.locator(".member-actions").click()
    page.locator(".make-owner").click()
    owner_dialog = page.get_by_role("alertdialog")
    expect(owner_dialog).to_contain_text("רון אבן")
    owner_dialog.locator(".confirm-owner").click()
    expect(page.locator("#team-leave")).to_have_count(1)
    expect(page.get_by_role("menu")).to_have_count(0)  # the first menu has closed
    row.locator(".member-actions").click()
    remove = page.get_by_role("menuitem", name="הסרה מהצוות")
    expect(remove).to_be_visible()
    remove.click()
    remove_dialog = page.get_by_role("alertdialog")
    expect(remove_dialog).to_contain_text("רון אבן")
    remove_dialog.locator(".confirm-cancel").click()  # "no, go back": nothing changes
    expect(remove_dialog).to_have_count(0)
    expect(members).to_have_count(2)
    row.locator(".member-actions").click()
    page.get_by_role("menuitem", name="הסרה מהצוות").click()
    page.get_by_role("alertdialog").locator(".confirm-remove").click()
    expect(members).to_have_count(1)
    expect(page.locator("#team-leave")).to_have_count(0)
