"""Commission rules in the browser (issue 22, point 3): an admin writes a rule for one
category, sees what it would change on the last 90 days' jobs before saving, saves it behind a
confirmation, and retires it; a bad rate is named beside its field.

With OFAIR_SHOTS_DIR set, the page with a preview is saved as screenshots."""

from __future__ import annotations

from playwright.sync_api import expect

from ofair_app import reference
from ofair_app.models import UserRole
from tests.e2e.conftest import save_shots, sign_in_as
from tests.factories import make_paid_job, make_professional, make_user, token_for


def test_an_admin_previews_saves_and_retires_a_rule(page, browser, app_url) -> None:
    admin = make_user(role=UserRole.admin, name="נועה")
    consumer = make_user(name="רונית")
    _, performer = make_professional(make_user(name="אבי"), business_name="אינסטלציה אבי")
    make_paid_job(consumer, performer, "600")  # a job of the last 90 days, at 10 %
    category = reference.categories()[0]

    sign_in_as(page, app_url, token_for(admin))
    page.goto("/admin/finance")
    page.click("#rules-link")
    expect(page.locator("#rules")).to_contain_text("ברירת מחדל")

    page.fill("#rule-rate", "80")
    page.click("#rule-preview")
    expect(page.locator("#rule-form")).to_contain_text("בין 0% ל־50%")  # beside the field
    page.fill("#rule-rate", "שמונה")  # not a number at all: the same message, no error page
    page.click("#rule-preview")
    expect(page.locator("#rule-form")).to_contain_text("בין 0% ל־50%")
    expect(page.locator("#rule-preview-result")).to_have_count(0)
    page.fill("#rule-rate", "8")
    page.click("#rule-category")
    page.get_by_role("option", name=category.name_he).click()
    page.click("#rule-preview")
    result = page.locator("#rule-preview-result")
    # our job, 600 at 10 %, would pay 8 % (other tests' jobs may be there too)
    expect(result.locator(".preview-job", has_text="₪60 → ₪48").first).to_be_visible()
    save_shots(browser, app_url, admin, "/admin/commission-rules", "#rules",
               "admin-commission-rules")

    rows = page.locator(".rule-row")
    before = rows.count()
    page.click("#rule-save")
    page.get_by_role("alertdialog").locator(".confirm-rule-save").click()
    expect(rows).to_have_count(before + 1)
    expect(rows.first).to_contain_text("8%")  # newest first
    expect(rows.first).to_contain_text(category.name_he)

    rows.first.locator(".rule-retire").click()
    page.get_by_role("alertdialog").locator(".confirm-rule-retire").click()
    expect(rows).to_have_count(before)
    page.click("#rules-retired")
    expect(rows).to_have_count(before + 1)
    expect(rows.first).to_contain_text("הוצא משימוש")
