"""People for admins over REST (issue 18 point 3): found by phone, e-mail, business number or
name; a person's businesses, leads and sign-ins; suspending ends every session at once and
reinstating lets them back; a role changes; each change audited with before and after;
nobody changes their own account; nobody but an admin reads or changes any of it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import AdminAuditLog, UserRole
from tests.api.test_leads_api import API, auth
from tests.factories import make_lead, make_professional, make_user, token_for


@pytest.fixture
def people(db):
    admin = make_user(role=UserRole.admin, name="נועה מנהלת")
    consumer = make_user(name="רונית כהן", phone="+972521234567", email="ronit@example.com")
    business, owner = make_professional(make_user(name="אלון לוי"), business_name="אינסטלציה אלון")
    make_lead(consumer)
    return {"admin": admin, "consumer": consumer, "owner": owner, "business": business}


async def test_nobody_but_an_admin_reads_or_changes_people(client, people) -> None:
    target = people["consumer"].id
    calls = [("get", "/admin/users", None), ("get", f"/admin/users/{target}", None),
             ("post", f"/admin/users/{target}/suspend", {"reason": "ספאם חוזר ונשנה"}),
             ("post", f"/admin/users/{target}/reinstate", {"reason": "ספאם חוזר ונשנה"}),
             ("post", f"/admin/users/{target}/role", {"role": "admin", "reason": "ניסיון"})]
    for method, path, body in calls:
        kwargs = {"json": body} if body else {}
        assert (await client.request(method, f"{API}{path}", **kwargs)).status_code == 401
        for user in (people["consumer"], people["owner"]):
            answer = await client.request(method, f"{API}{path}", headers=auth(user), **kwargs)
            assert answer.status_code == 403, (path, answer.text)
    with unit_of_work(SYSTEM) as session:
        assert session.exec(select(AdminAuditLog).where(
            AdminAuditLog.action.startswith("user."))).all() == []


@pytest.mark.parametrize(("q", "who"), [
    ("052-123-4567", "consumer"), ("+972521234567", "consumer"), ("ronit@", "consumer"),
    ("RONIT@EXAMPLE.COM", "consumer"), ("רונית", "consumer"), ("אינסטלציה", "owner"),
    ("אלון", "owner"),
])
async def test_an_admin_finds_a_person_by_what_is_at_hand(client, people, q, who) -> None:
    answer = await client.get(f"{API}/admin/users", headers=auth(people["admin"]),
                              params={"q": q})
    assert answer.status_code == 200, answer.text
    assert [row["id"] for row in answer.json()["items"]] == [str(people[who].id)]


async def test_by_business_number_with_the_business_and_paging(client, people) -> None:
    admin = auth(people["admin"])
    number = people["business"].business_id
    [row] = (await client.get(f"{API}/admin/users", headers=admin,
                              params={"q": number})).json()["items"]
    assert row["businesses"][0]["business_name"] == "אינסטלציה אלון"
    assert row["businesses"][0]["member_role"] == "owner"
    seen, cursor = [], None
    while True:
        page = (await client.get(f"{API}/admin/users", headers=admin, params={
            "limit": 1, **({"cursor": cursor} if cursor else {})})).json()
        seen += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 3
    bad = await client.get(f"{API}/admin/users", headers=admin, params={"cursor": "nope"})
    assert bad.status_code == 422 and "cursor" in bad.json()["error"]["fields"]


async def test_a_persons_page_has_businesses_leads_and_sign_ins(client, people) -> None:
    token_for(people["consumer"])  # a session of theirs
    answer = await client.get(f"{API}/admin/users/{people['consumer'].id}",
                              headers=auth(people["admin"]))
    assert answer.status_code == 200
    body = answer.json()
    assert body["name"] == "רונית כהן" and body["leads_posted"] == 1
    assert len(body["recent_leads"]) == 1 and body["sign_ins"]
    missing = await client.get(f"{API}/admin/users/00000000-0000-4000-8000-000000000000",
                               headers=auth(people["admin"]))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_user"


async def test_suspending_ends_every_session_at_once_and_reinstating_lets_back(
        client, people) -> None:
    admin, target = auth(people["admin"]), people["consumer"]
    theirs = auth(target)
    assert (await client.get(f"{API}/users/me", headers=theirs)).status_code == 200
    suspended = await client.post(f"{API}/admin/users/{target.id}/suspend", headers=admin,
                                  json={"reason": "הטרדה של בעלי מקצוע"})
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["is_active"] is False
    assert all(s["revoked_at"] for s in suspended.json()["sign_ins"])
    assert (await client.get(f"{API}/users/me", headers=theirs)).status_code == 401
    again = await client.post(f"{API}/admin/users/{target.id}/suspend", headers=admin,
                              json={"reason": "הטרדה של בעלי מקצוע"})
    assert again.status_code == 200  # the same again: nothing more happens
    back = await client.post(f"{API}/admin/users/{target.id}/reinstate", headers=admin,
                             json={"reason": "הבהרה התקבלה"})
    assert back.json()["is_active"] is True
    assert (await client.get(f"{API}/users/me", headers=auth(target))).status_code == 200
    with unit_of_work(SYSTEM) as session:
        rows = session.exec(select(AdminAuditLog).where(
            AdminAuditLog.subject_id == str(target.id),
            AdminAuditLog.action.in_(["user.suspend", "user.reinstate"]))
            .order_by(AdminAuditLog.id)).all()
    assert [r.action for r in rows] == ["user.suspend", "user.reinstate"]
    assert rows[0].detail["before"] == {"is_active": True}
    assert rows[0].detail["after"] == {"is_active": False}
    assert rows[0].detail["sessions_ended"] >= 1 and rows[0].actor_user_id == people["admin"].id


async def test_a_role_changes_with_before_and_after_and_a_lost_admin_is_signed_out(
        client, people) -> None:
    admin, target = auth(people["admin"]), people["consumer"]
    made = await client.post(f"{API}/admin/users/{target.id}/role", headers=admin,
                             json={"role": "admin", "reason": "מצטרפת לצוות התפעול"})
    assert made.status_code == 200 and made.json()["role"] == "admin"
    their_admin = auth(target)
    assert (await client.get(f"{API}/admin/users", headers=their_admin)).status_code == 200
    taken = await client.post(f"{API}/admin/users/{target.id}/role", headers=admin,
                              json={"role": "consumer", "reason": "עזבה את הצוות"})
    assert taken.json()["role"] == "consumer"
    assert (await client.get(f"{API}/admin/users", headers=their_admin)).status_code == 401
    with unit_of_work(SYSTEM) as session:
        rows = session.exec(select(AdminAuditLog).where(AdminAuditLog.action == "user.role")
                            .order_by(AdminAuditLog.id)).all()
    assert [(r.detail["before"], r.detail["after"]) for r in rows] == [
        ({"role": "consumer"}, {"role": "admin"}), ({"role": "admin"}, {"role": "consumer"})]


@pytest.mark.parametrize(("path", "body", "status", "field_or_code"), [
    ("suspend", {"reason": "קצר"}, 422, "reason"),
    ("suspend", {}, 422, "reason"),
    ("role", {"role": "owner", "reason": "תפקיד לא קיים"}, 422, "role"),
    ("role", {"role": "admin"}, 422, "reason"),
])
async def test_bad_changes_are_a_clear_error_and_change_nothing(client, people, path, body,
                                                                status, field_or_code) -> None:
    target = people["consumer"]
    answer = await client.post(f"{API}/admin/users/{target.id}/{path}",
                               headers=auth(people["admin"]), json=body)
    assert answer.status_code == status, answer.text
    assert field_or_code in answer.json()["error"]["fields"]
    detail = (await client.get(f"{API}/admin/users/{target.id}",
                               headers=auth(people["admin"]))).json()
    assert (detail["is_active"], detail["role"]) == (True, "consumer")


async def test_nobody_changes_their_own_account_here(client, people) -> None:
    me = people["admin"]
    for path, body in (("suspend", {"reason": "בדיקה עצמית"}),
                       ("role", {"role": "consumer", "reason": "בדיקה עצמית"})):
        answer = await client.post(f"{API}/admin/users/{me.id}/{path}", headers=auth(me),
                                   json=body)
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "own_account"
