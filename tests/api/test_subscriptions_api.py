"""`/subscriptions` (issue 21 point 1): buying the plan, stopping and resuming its renewals and
reading it, each with every refusal it can answer, translated, and nothing half-written."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlmodel import select

from ofair_app.adapters.psp import CardDeclined
from ofair_app.adapters.psp.sandbox import SandboxProvider
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import Subscription, SubscriptionCharge, UserRole
from tests.api.test_leads_api import API, auth, error_of
from tests.factories import add_member, make_professional, make_user, save_card


@pytest.fixture
def business(db):
    professional, owner = make_professional(business_name="אינסטלציה אלון")
    save_card(owner, professional)
    return professional, owner


def _rows(model) -> int:
    with unit_of_work(SYSTEM) as session:
        return len(session.exec(select(model.id)).all())


async def test_an_owner_buys_sees_cancels_and_resumes_the_plan(client, business) -> None:
    professional, owner = business
    bought = await client.post(f"{API}/subscriptions", headers=auth(owner),
                               json={"professional_id": str(professional.id)})
    assert bought.status_code == 201, bought.text
    body = bought.json()
    assert (body["source"], body["status"], body["price"]) == ("paid", "active", "99.00")
    assert body["cancel_at_period_end"] is False and body["next_charge_at"] == body["ends_at"]

    plan = await client.get(f"{API}/professionals/{professional.id}/subscription",
                            headers=auth(owner))
    assert plan.status_code == 200, plan.text
    seen = plan.json()
    assert seen["subscribed"] is True and seen["subscription"]["id"] == body["id"]
    assert seen["price"] == {"before_vat": "99.00", "vat": "17.82", "total": "116.82"}
    [charge] = seen["charges"]
    assert (charge["status"], charge["amount"]) == ("succeeded", "116.82")
    assert charge["tax_document_id"] is not None and charge["card"].endswith("4242")

    cancelled = await client.post(f"{API}/subscriptions/{body['id']}/cancel",
                                  headers=auth(owner))
    assert cancelled.status_code == 200 and cancelled.json()["cancel_at_period_end"] is True
    resumed = await client.post(f"{API}/subscriptions/{body['id']}/resume",
                                headers=auth(owner))
    assert resumed.status_code == 200 and resumed.json()["cancel_at_period_end"] is False

    again = await client.post(f"{API}/subscriptions", headers=auth(owner),
                              json={"professional_id": str(professional.id)})
    error_of(again, 409, "already_subscribed")
    assert _rows(SubscriptionCharge) == 1


async def test_a_purchase_that_cannot_be_paid_is_refused_with_the_reason(client, business,
                                                                       monkeypatch) -> None:
    cardless, cardless_owner = make_professional(business_name="שיפוצי דוד")
    error_of(await client.post(f"{API}/subscriptions", headers=auth(cardless_owner),
                               json={"professional_id": str(cardless.id)}), 409, "no_card")
    assert _rows(Subscription) == 0

    professional, owner = business

    def declined(self, *, card, amount, idempotency_key):
        raise CardDeclined()

    monkeypatch.setattr(SandboxProvider, "charge_card", declined)
    refused = await client.post(f"{API}/subscriptions", headers=auth(owner),
                                json={"professional_id": str(professional.id)})
    error_of(refused, 402, "card_declined")
    plan = (await client.get(f"{API}/professionals/{professional.id}/subscription",
                             headers=auth(owner))).json()
    assert plan["subscribed"] is False and plan["subscription"] is None
    assert [c["status"] for c in plan["charges"]] == ["declined"]


async def test_nobody_but_an_owner_buys_or_manages(client, business) -> None:
    professional, owner = business
    staff = make_user(name="עובד")
    add_member(professional, owner, staff)
    stranger = make_user(name="זר")
    body = {"professional_id": str(professional.id)}
    error_of(await client.post(f"{API}/subscriptions", json=body), 401)
    for user in (staff, stranger):
        error_of(await client.post(f"{API}/subscriptions", headers=auth(user), json=body), 403)
    assert _rows(Subscription) == 0

    bought = (await client.post(f"{API}/subscriptions", headers=auth(owner),
                                json=body)).json()
    for action in ("cancel", "resume"):
        error_of(await client.post(f"{API}/subscriptions/{bought['id']}/{action}"), 401)
        for user in (staff, stranger):
            error_of(await client.post(f"{API}/subscriptions/{bought['id']}/{action}",
                                       headers=auth(user)), 404)
    # a member sees the plan but not its charges; a stranger nothing
    seen = (await client.get(f"{API}/professionals/{professional.id}/subscription",
                             headers=auth(staff))).json()
    assert seen["subscribed"] is True and seen["charges"] == [] and seen["may_manage"] is False
    error_of(await client.get(f"{API}/professionals/{professional.id}/subscription",
                              headers=auth(stranger)), 403)
    error_of(await client.get(f"{API}/professionals/{professional.id}/subscription"), 401)
    admin = make_user(role=UserRole.admin, name="מנהלת")
    as_admin = (await client.get(f"{API}/professionals/{professional.id}/subscription",
                                 headers=auth(admin))).json()
    assert len(as_admin["charges"]) == 1


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/subscriptions", {}, "professional_id"),
    ("/subscriptions", {"professional_id": "not-a-uuid"}, "professional_id"),
    ("/subscriptions", {"professional_id": str(uuid.uuid4()), "months": 3}, "months"),
])
async def test_a_bad_purchase_is_a_422_on_its_field(client, business, path, body,
                                                    field) -> None:
    _, owner = business
    response = await client.post(f"{API}{path}", headers=auth(owner), json=body)
    error = error_of(response, 422)
    assert field in error["fields"], error
    assert _rows(Subscription) == 0


async def test_unknown_subscriptions_and_businesses(client, business) -> None:
    _, owner = business
    missing = uuid.uuid4()
    error_of(await client.post(f"{API}/subscriptions/{missing}/cancel", headers=auth(owner)),
             404)
    error_of(await client.post(f"{API}/subscriptions/not-a-uuid/cancel", headers=auth(owner)),
             422)
    error_of(await client.post(f"{API}/subscriptions", headers=auth(owner),
                               json={"professional_id": str(missing)}), 404)
    error_of(await client.get(f"{API}/professionals/{missing}/subscription",
                              headers=auth(owner)), 404)


async def test_an_admins_grant_is_complimentary_and_shown_as_such(client, business) -> None:
    professional, owner = business
    admin = make_user(role=UserRole.admin, name="מנהלת")
    granted = await client.post(f"{API}/admin/subscriptions", headers=auth(admin),
                                json={"professional_id": str(professional.id), "months": 1})
    assert granted.status_code == 201 and granted.json()["source"] == "grant"
    plan = (await client.get(f"{API}/professionals/{professional.id}/subscription",
                             headers=auth(owner))).json()
    assert plan["subscribed"] is True and plan["subscription"] is None
    assert plan["complimentary_until"] == granted.json()["ends_at"]
    assert Decimal(plan["price"]["total"]) == Decimal("116.82")


async def test_the_openapi_document_lists_the_subscription_operations(client) -> None:
    paths = (await client.get(f"{API}/openapi.json")).json()["paths"]
    assert {"/api/v1/subscriptions", "/api/v1/subscriptions/{subscription_id}/cancel",
            "/api/v1/subscriptions/{subscription_id}/resume",
            "/api/v1/professionals/{professional_id}/subscription"} <= set(paths)
    assert set(paths["/api/v1/subscriptions"]["post"]["responses"]) >= {
        "201", "401", "402", "403", "404", "409", "422", "503"}
