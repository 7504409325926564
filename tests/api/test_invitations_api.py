"""Team invitations over HTTP: 202 and the same answer for anyone, the invitee's own list,
accept and decline, 429 with Retry-After, roles, leaving, and the several-businesses 422."""

from __future__ import annotations

from ofair_app.domain import invitations as rules
from tests.api.test_leads_api import API, auth
from tests.factories import add_member, make_professional, make_user, next_phone

INVITATION_FIELDS = {"id", "professional_id", "phone", "email", "role", "status", "expires_at",
                     "created_at", "send_count", "last_sent_at"}


async def _invite(client, professional, owner, **body):
    return await client.post(f"{API}/professionals/{professional.id}/members",
                             headers=auth(owner), json=body)


async def test_an_invitation_reveals_neither_the_name_nor_whether_the_number_is_known(
        client) -> None:
    professional, owner = make_professional()
    registered = make_user(name="רונית שמואלי")
    member = make_user(name="משה אברהם")
    add_member(professional, owner, member)
    answers = [await _invite(client, professional, owner, phone=phone)
               for phone in (next_phone(), registered.phone, member.phone)]
    for answer in answers:
        assert answer.status_code == 202
        assert set(answer.json()) == INVITATION_FIELDS
        assert answer.json()["status"] == "pending" and answer.json()["send_count"] == 1
        assert "רונית" not in answer.text and "משה" not in answer.text
        assert "name" not in answer.json() and "user_id" not in answer.json()
    assert [a.json()["phone"] for a in answers] == [
        answers[0].json()["phone"], registered.phone, member.phone]


async def test_the_invitee_sees_accepts_and_then_acts_for_the_business(client) -> None:
    professional, owner = make_professional(business_name="שיפוצי כהן")
    invitee = make_user()
    invitation = (await _invite(client, professional, owner, phone=invitee.phone)).json()
    mine = await client.get(f"{API}/invitations", headers=auth(invitee))
    assert mine.status_code == 200
    assert [(i["id"], i["business_name"], i["role"]) for i in mine.json()] == [
        (invitation["id"], "שיפוצי כהן", "staff")]
    assert (await client.get(f"{API}/invitations", headers=auth(make_user()))).json() == []
    accepted = await client.post(f"{API}/invitations/{invitation['id']}/accept",
                                 headers=auth(invitee))
    assert accepted.status_code == 200 and accepted.json()["id"] == str(professional.id)
    assert accepted.json()["my_role"] == "staff"
    members = await client.get(f"{API}/professionals/{professional.id}/members",
                               headers=auth(invitee))
    assert members.status_code == 200 and len(members.json()) == 2
    again = await client.post(f"{API}/invitations/{invitation['id']}/accept",
                              headers=auth(invitee))
    assert again.status_code == 409 and again.json()["error"]["code"] == "invitation_not_pending"


async def test_someone_elses_invitation_is_not_found(client) -> None:
    professional, owner = make_professional()
    invitation = (await _invite(client, professional, owner, phone=next_phone())).json()
    for action in ("accept", "decline"):
        response = await client.post(f"{API}/invitations/{invitation['id']}/{action}",
                                     headers=auth(make_user()))
        assert response.status_code == 404 and "error" in response.json()
    assert (await client.post(f"{API}/invitations/{invitation['id']}/accept")).status_code == 401


async def test_decline_cancel_and_the_business_list(client) -> None:
    professional, owner = make_professional()
    invitee = make_user()
    declined = (await _invite(client, professional, owner, phone=invitee.phone)).json()
    assert (await client.post(f"{API}/invitations/{declined['id']}/decline",
                              headers=auth(invitee))).status_code == 204
    other = (await _invite(client, professional, owner, phone=next_phone())).json()
    base = f"{API}/professionals/{professional.id}/invitations"
    cancelled = await client.post(f"{base}/{other['id']}/cancel", headers=auth(owner))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    listed = await client.get(base, headers=auth(owner))
    assert {i["id"]: i["status"] for i in listed.json()} == {declined["id"]: "declined",
                                                             other["id"]: "cancelled"}
    assert (await client.get(f"{base}?status=pending", headers=auth(owner))).json() == []
    assert (await client.get(base, headers=auth(make_user()))).status_code == 403
    twice = await client.post(f"{base}/{other['id']}/cancel", headers=auth(owner))
    assert twice.status_code == 409


async def test_the_daily_limit_answers_429_with_retry_after(client) -> None:
    professional, owner = make_professional()
    for _ in range(rules.DAILY_SENDS_PER_BUSINESS):
        assert (await _invite(client, professional, owner,
                              phone=next_phone())).status_code == 202
    limited = await _invite(client, professional, owner, phone=next_phone())
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 86_400
    assert limited.json()["error"]["code"] == "invitation_limit"
    assert "20" in limited.json()["error"]["message"]


async def test_a_resend_too_soon_answers_429(client) -> None:
    professional, owner = make_professional()
    invitation = (await _invite(client, professional, owner, phone=next_phone())).json()
    response = await client.post(
        f"{API}/professionals/{professional.id}/invitations/{invitation['id']}/resend",
        headers=auth(owner))
    assert response.status_code == 429 and "Retry-After" in response.headers


async def test_bad_input_gets_422_in_the_envelope(client) -> None:
    professional, owner = make_professional()
    for body in ({}, {"phone": "12"}, {"email": "nope"},
                 {"phone": "050-1234567", "email": "a@b.co"}, {"phone": "x" * 40},
                 {"phone": "050-1234567", "role": "owner"}):
        response = await _invite(client, professional, owner, **body)
        assert response.status_code == 422, body
        assert "error" in response.json()


async def test_roles_and_the_last_owner_over_http(client) -> None:
    professional, owner = make_professional()
    colleague = make_user()
    add_member(professional, owner, colleague)
    members = f"{API}/professionals/{professional.id}/members"
    stranger = make_user()
    not_member = await client.put(f"{members}/{stranger.id}", headers=auth(owner),
                                  json={"role": "owner"})
    assert not_member.status_code == 404
    last = await client.delete(f"{members}/me", headers=auth(owner))
    assert last.status_code == 409 and last.json()["error"]["code"] == "last_owner"
    demote = await client.put(f"{members}/{owner.id}", headers=auth(owner),
                              json={"role": "staff"})
    assert demote.status_code == 409
    promoted = await client.put(f"{members}/{colleague.id}", headers=auth(owner),
                                json={"role": "owner"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "owner"
    assert (await client.delete(f"{members}/me", headers=auth(owner))).status_code == 204
    left = await client.get(members, headers=auth(colleague))
    assert [m["role"] for m in left.json()] == ["owner"]


async def test_the_wallet_asks_which_business_when_there_are_several(client) -> None:
    first, owner = make_professional(business_name="שיפוצי כהן")
    second, _ = make_professional(owner, business_name="חשמל כהן")
    ambiguous = await client.get(f"{API}/wallets/me", headers=auth(owner))
    assert ambiguous.status_code == 422
    error = ambiguous.json()["error"]
    assert set(error["fields"]) == {"professional_id"}
    assert "שיפוצי" not in ambiguous.text and "חשמל" not in ambiguous.text
    english = await client.get(f"{API}/wallets/me",
                               headers={**auth(owner), "Accept-Language": "en"})
    assert "several businesses" in english.json()["error"]["message"]
    chosen = await client.get(f"{API}/wallets/me?professional_id={second.id}",
                              headers=auth(owner))
    assert chosen.status_code == 200 and chosen.json()["professional_id"] == str(second.id)
    board = await client.get(f"{API}/leads/board", headers=auth(owner))
    assert board.status_code == 422
    chosen_board = await client.get(f"{API}/leads/board?professional_id={first.id}",
                                    headers=auth(owner))
    assert chosen_board.status_code == 200
