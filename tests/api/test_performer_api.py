"""`GET /leads/{id}/performer`: the winner's contact card for the lead's owner, each read
logged; the performer, another user, the client of another lead and anonymous callers are
refused, and nothing is logged for them."""

from __future__ import annotations

from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, unit_of_work
from tests.api.test_leads_api import API, auth, post_lead, pro_body
from tests.factories import make_user


async def test_the_owner_reads_the_winner_and_others_are_refused(client, parties,
                                                                 referral_deal) -> None:
    lead, _ = referral_deal
    (_, referrer), (business, performer) = parties["referrer"], parties["performer"]
    answer = await client.get(f"{API}/leads/{lead['id']}/performer", headers=auth(referrer))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body == {"lead_id": lead["id"], "professional_id": str(business.id),
                    "business_name": business.business_name, "phone": performer.phone,
                    "profile_url": f"/pros/{business.id}"}
    for outsider in (performer, make_user(name="זר"), parties["consumer"]):
        refused = await client.get(f"{API}/leads/{lead['id']}/performer",
                                   headers=auth(outsider))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "not_your_step"
    anonymous = await client.get(f"{API}/leads/{lead['id']}/performer")
    assert anonymous.status_code == 401
    with unit_of_work(SYSTEM) as session:
        logged = session.execute(text(
            "SELECT count(*) FROM performer_contact_reveals WHERE lead_id = :l"),
            {"l": lead["id"]}).scalar_one()
    assert logged == 1


async def test_no_card_before_a_winner(client, parties) -> None:
    r_business, referrer = parties["referrer"]
    lead = await post_lead(client, referrer, pro_body(r_business.id))
    answer = await client.get(f"{API}/leads/{lead['id']}/performer", headers=auth(referrer))
    assert answer.status_code == 403


async def test_the_lead_says_which_steps_are_the_callers(client, parties, referral_deal) -> None:
    lead, _ = referral_deal
    (_, referrer), (_, performer) = parties["referrer"], parties["performer"]
    mine = (await client.get(f"{API}/leads/{lead['id']}", headers=auth(referrer))).json()
    assert mine["viewer_role"] == "referrer"
    assert {"send_payment_link", "view_performer", "cancel_award"} <= set(mine["actions"])
    assert "pay" not in mine["actions"]
    won = (await client.get(f"{API}/leads/{lead['id']}", headers=auth(performer))).json()
    assert won["viewer_role"] == "performer"
    assert set(won["actions"]) == {"view_client", "change_price", "decline_award"}
    anonymous = (await client.get(f"{API}/leads/{lead['id']}")).json()
    assert (anonymous["viewer_role"], anonymous["actions"]) == ("visitor", [])
