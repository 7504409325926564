"""A correctly signed webhook that is not an event of the expected shape: the production
server answers 400 and an admin finds it on /admin/payouts, beside the flagged payments."""

import httpx
from playwright.sync_api import expect

from ofair_app.adapters.psp import sign
from ofair_app.models import UserRole
from tests.e2e.conftest import sign_in_as
from tests.factories import make_user, token_for


def test_an_admin_sees_a_signed_webhook_that_could_not_be_read(desktop_page, app_url):
    payload = b'{"id": 42, "type": "checkout.session.completed", "data": {"object": {}}}'
    response = httpx.post(f"{app_url}/api/v1/payments/webhook", content=payload, timeout=10,
                          headers={"Stripe-Signature": sign(payload),
                                   "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_event"

    sign_in_as(desktop_page, app_url, token_for(make_user(role=UserRole.admin, name="מנהלת")))
    desktop_page.goto("/admin/payouts")
    card = desktop_page.locator("#rejected-webhooks")
    expect(card).to_contain_text("הודעות מספק התשלומים שלא ניתן היה לקרוא", timeout=15000)
    expect(card.locator(".rejected-webhook").first).to_contain_text("id: string_type")
    expect(card.locator(".rejected-webhook").first).to_contain_text('"id": 42')
