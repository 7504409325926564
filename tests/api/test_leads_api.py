"""The `/leads` REST contract: posting, validation (422 naming the field, nothing written),
who sees a client's details (and the access log), editing and cancelling, the public board and a
business's board, pinned subscribers, attachments and the commission preview."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import func, select

from ofair_app import reference
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import (
    ConsumerLead,
    ContactAccessLog,
    Lead,
    LeadAttachment,
    ProfessionalLead,
    User,
    UserRole,
)
from tests.factories import PNG_BYTES, make_professional, make_user, token_for

API = "/api/v1"
HAIFA = reference.locality_by_slug("haifa")
TEL_AVIV = reference.locality_by_slug("tel-aviv")
PLUMBING = reference.categories()[0]
ELECTRICAL = reference.categories()[1]
PRIVATE_KEYS = {"client", "client_name", "client_phone", "client_address", "full_description"}
DROP = object()  # an override that removes the key from the body


def auth(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def _apply(body: dict, overrides: dict) -> dict:
    for key, value in overrides.items():
        if value is DROP:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def consumer_body(**overrides) -> dict:
    return _apply(dict(
        type="consumer", title="תיקון נזילה במטבח",
        description="הברז במטבח מטפטף כבר שבוע ויש רטיבות בארון שמתחת לכיור.",
        category=PLUMBING.slug, subcategory=PLUMBING.subcategories[0].slug,
        locality_id=HAIFA.id, budget="450", client_name="רונית לקוחה",
        client_phone="050-123-4567", client_address="הרצל 12, חיפה"), overrides)


def pro_body(business_id: uuid.UUID, /, **overrides) -> dict:
    return _apply(dict(
        type="professional_referral", title="החלפת דוד שמש",
        description="לקוח ותיק צריך החלפת דוד שמש בבניין של ארבע קומות.",
        category=PLUMBING.slug, locality_id=HAIFA.id, budget="3000",
        referrer_share_percentage="20", visibility="public", client_name="משה הלקוח",
        client_phone="052-765-4321", client_address="הנביאים 5, חיפה",
        professional_id=str(business_id)), overrides)


async def post_lead(client: httpx.AsyncClient, user: User, body: dict) -> dict:
    response = await client.post(f"{API}/leads", json=body, headers=auth(user))
    assert response.status_code == 201, response.text
    return response.json()


def count_rows(model) -> int:
    with unit_of_work(SYSTEM) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def access_logs() -> list[tuple]:
    with unit_of_work(SYSTEM) as session:
        return [tuple(row) for row in session.execute(text(
            "SELECT lead_id, user_id, professional_id, reason FROM contact_access_logs "
            "ORDER BY id")).all()]


def set_performer(lead_id: str, professional_id: uuid.UUID) -> None:
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE leads SET status = 'awarded', performer_professional_id = :p"
                             " WHERE id = :id"),
                        {"p": professional_id, "id": lead_id})


def keys_of(value) -> Iterator[str]:
    """Every key of every JSON object nested anywhere in `value`."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from keys_of(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from keys_of(inner)


async def walk_board(client: httpx.AsyncClient, path: str, headers: dict | None = None,
                     **params) -> tuple[list[dict], list[httpx.Response]]:
    """Every card of a board, page by page along `next_cursor`; and every raw response."""
    cards: list[dict] = []
    responses: list[httpx.Response] = []
    cursor = None
    for _ in range(100):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = await client.get(f"{API}{path}", params=query, headers=headers or {})
        assert response.status_code == 200, response.text
        responses.append(response)
        page = response.json()
        cards.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return cards, responses
    raise AssertionError("the board never ended")


async def public_ids(client: httpx.AsyncClient, **params) -> list[str]:
    cards, _ = await walk_board(client, "/leads/public", **params)
    return [card["id"] for card in cards]


def error_of(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    if code is not None:
        assert error["code"] == code
    return error


# --- posting -------------------------------------------------------------------------------


async def test_post_consumer_lead_answers_201_with_the_client_for_its_owner(client) -> None:
    user = make_user(name="רונית")
    body = await post_lead(client, user, consumer_body())
    uuid.UUID(body["id"])
    assert body["type"] == "consumer" and body["status"] == "active"
    assert body["is_mine"] is True and body["can_view_contact"] is True
    assert body["visibility"] == "public"
    assert body["budget"] == "450.00" and body["referrer_share_percentage"] is None
    assert body["category"]["slug"] == PLUMBING.slug
    assert body["locality"]["id"] == HAIFA.id
    assert body["client"] == {
        "client_name": "רונית לקוחה", "client_phone": "+972501234567",
        "client_address": "הרצל 12, חיפה",
        "full_description": "הברז במטבח מטפטף כבר שבוע ויש רטיבות בארון שמתחת לכיור."}
    assert count_rows(Lead) == 1 and count_rows(ConsumerLead) == 1
    mine = (await client.get(f"{API}/leads/mine", headers=auth(user))).json()["items"]
    assert [lead["id"] for lead in mine] == [body["id"]]


async def test_post_professional_lead_carries_its_business_and_terms(client) -> None:
    business, owner = make_professional(business_name="אינסטלציה אלון")
    body = await post_lead(client, owner, pro_body(business.id, visibility="private"))
    assert body["type"] == "professional_referral"
    assert body["professional"]["id"] == str(business.id)
    assert body["professional"]["business_name"] == "אינסטלציה אלון"
    assert body["budget"] == "3000.00"
    assert body["referrer_share_percentage"] == "20.00"
    assert body["visibility"] == "private"
    assert body["is_mine"] is True
    assert body["client"]["client_name"] == "משה הלקוח"
    assert body["client"]["client_phone"] == "+972527654321"
    assert count_rows(Lead) == 1 and count_rows(ProfessionalLead) == 1
    assert count_rows(ConsumerLead) == 0


INVALID_POSTS = [
    # (case, lead type, overrides, the field the 422 names)
    ("malformed client phone", "consumer", {"client_phone": "12-34"}, "client_phone"),
    ("non-Israeli phone", "consumer", {"client_phone": "+14155550123"}, "client_phone"),
    ("markup in the title", "consumer", {"title": "<script>alert(1)</script>"}, "title"),
    ("too-short description", "consumer", {"description": "קצר"}, "description"),
    ("unknown category", "consumer", {"category": "no-such-trade", "subcategory": DROP},
     "category"),
    ("subcategory of another category", "consumer",
     {"subcategory": ELECTRICAL.subcategories[0].slug}, "subcategory"),
    ("negative budget", "consumer", {"budget": -1}, "budget"),
    ("budget with three decimals", "consumer", {"budget": "12.345"}, "budget"),
    ("budget that is not a number", "consumer", {"budget": "abc"}, "budget"),
    ("coordinates outside Israel", "consumer",
     {"locality_id": DROP, "lat": 48.8566, "lon": 2.3522}, "lat"),
    ("no locality and no coordinates", "consumer", {"locality_id": DROP}, "locality_id"),
    ("unknown locality", "consumer", {"locality_id": 1}, "locality_id"),
    ("only one coordinate", "consumer", {"locality_id": DROP, "lat": 32.8}, "lon"),
    # the service names `type`: a consumer request has no referral terms at all
    ("consumer with a referrer share", "consumer", {"referrer_share_percentage": "10"},
     "type"),
    ("referrer share above 90", "pro", {"referrer_share_percentage": 95},
     "referrer_share_percentage"),
    ("pro lead without a business", "pro", {"professional_id": DROP}, "professional_id"),
    ("pro lead without a budget", "pro", {"budget": DROP}, "budget"),
    ("pro lead with a malformed client phone", "pro", {"client_phone": "050"},
     "client_phone"),
]


@pytest.mark.parametrize(("case", "kind", "overrides", "field"), INVALID_POSTS,
                         ids=[case for case, *_ in INVALID_POSTS])
async def test_bad_input_is_422_naming_the_field_and_writes_nothing(client, case, kind,
                                                                    overrides, field) -> None:
    if kind == "pro":
        business, user = make_professional()
        body = pro_body(business.id, **overrides)
    else:
        user = make_user(name="")  # a nameless user would get the client's name on success
        body = consumer_body(**overrides)
    response = await client.post(f"{API}/leads", json=body, headers=auth(user))
    error = error_of(response, 422, "validation_error")
    assert field in error["fields"], (case, error["fields"])
    assert error["fields"][field]  # a translated message, not an empty string
    assert count_rows(Lead) == 0
    assert count_rows(ConsumerLead) == 0 and count_rows(ProfessionalLead) == 0
    mine = await client.get(f"{API}/leads/mine", headers=auth(user))
    assert mine.status_code == 200 and mine.json()["items"] == []
    with unit_of_work(SYSTEM) as session:
        assert session.get(User, user.id).name == user.name


async def test_every_bad_field_is_named_at_once(client) -> None:
    user = make_user()
    # (An amount that is not one at all, such as "12.345", is refused by the request's
    # validation before the service looks at the rest: test_money_input_api.)
    body = consumer_body(client_phone="12-34", title="<b>x</b>", budget="20000000",
                         category="no-such-trade", subcategory=DROP)
    error = error_of(await client.post(f"{API}/leads", json=body, headers=auth(user)), 422,
                     "validation_error")
    assert {"client_phone", "title", "budget", "category"} <= set(error["fields"])
    assert count_rows(Lead) == 0


async def test_every_bad_field_is_named_with_its_limit_in_the_callers_language(
        client) -> None:
    user = make_user()
    body = consumer_body(title="ab", description="קצר", budget="20000000",
                         client_phone="12-34")
    for language, expected in [
        ("en", {"title": "Enter at least 3 characters.",
                "description": "Enter at least 10 characters.",
                "budget": "Enter an amount between ₪0 and ₪10,000,000."}),
        ("he", {"title": "יש להזין לפחות 3 תווים.",
                "description": "יש להזין לפחות 10 תווים.",
                "budget": "יש להזין סכום בין ₪0 ל־₪10,000,000."}),
    ]:
        response = await client.post(f"{API}/leads", json=body,
                                     headers={**auth(user), "Accept-Language": language})
        error = error_of(response, 422, "validation_error")
        assert set(error) >= {"code", "message", "fields"}
        assert set(error["fields"]) == {*expected, "client_phone"}
        assert {name: error["fields"][name] for name in expected} == expected
    assert count_rows(Lead) == 0


async def test_a_budget_implausible_for_the_category_is_refused_naming_the_range(
        client) -> None:
    user = make_user()
    electrical = reference.category("electrical")
    socket = consumer_body(title="החלפת שקע בסלון", category="electrical",
                           subcategory="outlets-wiring", budget="1000000",
                           description="שקע אחד בסלון הפסיק לעבוד וצריך להחליף אותו.")
    response = await client.post(f"{API}/leads", json=socket,
                                 headers={**auth(user), "Accept-Language": "en"})
    error = error_of(response, 422, "validation_error")
    assert error["fields"] == {"budget": "For this category, enter a budget between ₪100 and "
                                         "₪150,000."}
    assert (electrical.budget_min, electrical.budget_max) == (100, 150000)
    assert count_rows(Lead) == 0
    # A pro lead is held to the same range.
    business, owner = make_professional()
    response = await client.post(f"{API}/leads", headers=auth(owner),
                                 json=pro_body(business.id, category="electrical",
                                               subcategory=DROP, budget="2000000"))
    assert "budget" in error_of(response, 422, "validation_error")["fields"]
    # A plausible one is posted; an edit to an implausible budget, or to a category the
    # budget does not fit, changes nothing.
    lead = await post_lead(client, user, {**socket, "budget": "350"})
    path = f"{API}/leads/{lead['id']}"
    for change in ({"budget": "1000000"}, {"category": "architecture-engineering"}):
        response = await client.put(path, headers={**auth(user), "Accept-Language": "he"},
                                    json=change)
        message = error_of(response, 422, "validation_error")["fields"]["budget"]
        assert "₪" in message and "ל־₪" in message
    unchanged = (await client.get(path)).json()
    assert (unchanged["budget"], unchanged["category"]["slug"]) == ("350.00", "electrical")


@pytest.mark.parametrize("request_of", ["lead budget", "preview amount", "board budget_min"])
async def test_a_huge_amount_is_422_not_500(client, request_of) -> None:
    if request_of == "lead budget":
        user = make_user()
        response = await client.post(f"{API}/leads", json=consumer_body(budget="1e30"),
                                     headers=auth(user))
        field = "budget"
    elif request_of == "preview amount":
        response = await client.get(f"{API}/commission/preview", params={"amount": "1e30"})
        field = "amount"
    else:
        response = await client.get(f"{API}/leads/public", params={"budget_min": "1e30"})
        field = "budget_min"
    assert field in error_of(response, 422, "validation_error")["fields"]


async def test_a_pro_lead_for_a_business_the_caller_is_not_in_is_403(client) -> None:
    business, _ = make_professional(business_name="עסק של אחרים")
    _, stranger_owner = make_professional(business_name="עסק זר")
    response = await client.post(f"{API}/leads", json=pro_body(business.id),
                                 headers=auth(stranger_owner))
    error_of(response, 403)
    plain_user = make_user()
    error_of(await client.post(f"{API}/leads", json=pro_body(business.id),
                               headers=auth(plain_user)), 403)
    assert count_rows(Lead) == 0 and count_rows(ProfessionalLead) == 0


async def test_anonymous_post_is_401_and_writes_nothing(client) -> None:
    response = await client.post(f"{API}/leads", json=consumer_body())
    error_of(response, 401, "unauthenticated")
    assert count_rows(Lead) == 0


# --- reading a lead and its client ---------------------------------------------------------


async def test_a_lead_shows_its_client_only_to_its_owner(client) -> None:
    owner = make_user(name="בעלת הבקשה")
    body = consumer_body(client_name="אורנה שמורה", client_phone="054-987-6543",
                         client_address="רחוב החבצלת 17, חיפה")
    lead = await post_lead(client, owner, body)
    secrets = ["אורנה שמורה", "+972549876543", "054-987-6543", "549876543",
               "רחוב החבצלת 17"]

    for headers in ({}, auth(make_user(name="שכן סקרן"))):
        response = await client.get(f"{API}/leads/{lead['id']}", headers=headers)
        assert response.status_code == 200
        seen = response.json()
        assert seen["id"] == lead["id"] and seen["title"] == lead["title"]
        assert "client" not in seen and "visibility" not in seen
        assert seen["is_mine"] is False and seen["can_view_contact"] is False
        assert not PRIVATE_KEYS & set(keys_of(seen))
        for secret in secrets:
            assert secret not in response.text

    mine = await client.get(f"{API}/leads/{lead['id']}", headers=auth(owner))
    assert mine.status_code == 200
    assert mine.json()["is_mine"] is True
    assert mine.json()["client"]["client_name"] == "אורנה שמורה"
    assert mine.json()["client"]["client_phone"] == "+972549876543"
    assert mine.json()["client"]["client_address"] == "רחוב החבצלת 17, חיפה"


async def test_an_unknown_lead_is_404(client) -> None:
    error_of(await client.get(f"{API}/leads/{uuid.uuid4()}"), 404)


async def test_contact_is_for_the_owner_and_admins_and_an_admin_read_is_logged(client) -> None:
    owner = make_user(name="בעל הבקשה")
    lead = await post_lead(client, owner, consumer_body(client_name="אביגיל פרטית"))
    path = f"{API}/leads/{lead['id']}/contact"
    expected = {"lead_id": lead["id"], "client_name": "אביגיל פרטית",
                "client_phone": "+972501234567", "client_address": "הרצל 12, חיפה"}

    response = await client.get(path, headers=auth(owner))
    assert response.status_code == 200
    assert expected.items() <= response.json().items()
    assert access_logs() == []  # the owner reading their own client is not logged

    _, other_member = make_professional(business_name="עסק סקרן")
    for outsider in (make_user(name="זר"), other_member):
        response = await client.get(path, headers=auth(outsider))
        error_of(response, 403, "contact_forbidden")
        assert "אביגיל" not in response.text and "501234567" not in response.text
    error_of(await client.get(path), 401)
    assert count_rows(ContactAccessLog) == 0

    admin = make_user(role=UserRole.admin, name="מנהלת")
    seen = (await client.get(f"{API}/leads/{lead['id']}", headers=auth(admin))).json()
    assert seen["can_view_contact"] is True and "client" not in seen
    response = await client.get(path, headers=auth(admin))
    assert response.status_code == 200
    assert expected.items() <= response.json().items()
    assert count_rows(ContactAccessLog) == 1
    assert access_logs() == [(uuid.UUID(lead["id"]), admin.id, None, "admin")]


async def test_an_admin_lists_a_business_leads_without_their_clients(client) -> None:
    business, member = make_professional(business_name="שיפוצי אלון")
    lead = await post_lead(client, member, pro_body(business.id, client_name="אביגיל פרטית"))
    path = f"{API}/leads/mine?professional_id={business.id}"
    [own] = (await client.get(path, headers=auth(member))).json()["items"]
    assert own["client"]["client_name"] == "אביגיל פרטית"
    admin = make_user(role=UserRole.admin, name="מנהלת")
    response = await client.get(path, headers=auth(admin))
    assert response.status_code == 200, response.text
    [seen] = response.json()["items"]
    assert seen["id"] == lead["id"] and "client" not in seen
    assert seen["can_view_contact"] is True  # the read goes through /contact, and is logged
    assert "אביגיל" not in response.text and count_rows(ContactAccessLog) == 0


async def test_the_performer_is_offered_the_contact_but_outsiders_still_are_not(client) -> None:
    owner = make_user()
    lead = await post_lead(client, owner, consumer_body(client_name="אביגיל פרטית"))
    performer, performer_owner = make_professional(business_name="המבצעים בע״מ")
    _, other_member = make_professional(business_name="עסק סקרן")
    set_performer(lead["id"], performer.id)
    seen = (await client.get(f"{API}/leads/{lead['id']}", headers=auth(performer_owner))).json()
    assert seen["can_view_contact"] is True and seen["is_mine"] is False
    assert "client" not in seen and "אביגיל" not in json.dumps(seen, ensure_ascii=False)
    other = (await client.get(f"{API}/leads/{lead['id']}", headers=auth(other_member))).json()
    assert other["can_view_contact"] is False
    error_of(await client.get(f"{API}/leads/{lead['id']}/contact", headers=auth(other_member)),
             403, "contact_forbidden")
    assert count_rows(ContactAccessLog) == 0


async def test_the_performer_reads_the_contact_and_the_read_is_logged(client) -> None:
    owner = make_user()
    lead = await post_lead(client, owner, consumer_body(client_name="אביגיל פרטית"))
    performer, performer_owner = make_professional(business_name="המבצעים בע״מ")
    set_performer(lead["id"], performer.id)
    response = await client.get(f"{API}/leads/{lead['id']}/contact",
                                headers=auth(performer_owner))
    assert response.status_code == 200, response.text
    assert response.json()["client_name"] == "אביגיל פרטית"
    assert response.json()["client_phone"] == "+972501234567"
    assert access_logs() == [(uuid.UUID(lead["id"]), performer_owner.id, performer.id,
                              "performer")]


# --- editing and cancelling ----------------------------------------------------------------


async def test_the_owner_edits_an_open_lead_and_the_public_sees_the_new_text(client) -> None:
    owner = make_user()
    lead = await post_lead(client, owner, consumer_body())
    path = f"{API}/leads/{lead['id']}"
    new_description = "הברז מטפטף כבר שבועיים והארון מתחת לכיור נרטב לגמרי."
    response = await client.put(path, headers=auth(owner),
                                json={"title": "נזילה דחופה במטבח",
                                      "description": new_description})
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "נזילה דחופה במטבח"
    assert response.json()["short_description"] == new_description
    assert response.json()["client"]["full_description"] == new_description
    public = (await client.get(path)).json()
    assert public["title"] == "נזילה דחופה במטבח"
    assert public["short_description"] == new_description
    cards, _ = await walk_board(client, "/leads/public")
    assert [(c["id"], c["title"]) for c in cards] == [(lead["id"], "נזילה דחופה במטבח")]


async def test_a_description_with_a_phone_number_is_hidden_in_the_public_summary(
        client) -> None:
    owner = make_user()
    description = "נזילה מתחת לכיור, תתקשרו אליי 054-555-1212 או dana@example.com בבקשה."
    lead = await post_lead(client, owner, consumer_body(description=description))
    public = await client.get(f"{API}/leads/{lead['id']}")
    assert "555-1212" not in public.text and "dana@example.com" not in public.text
    assert "•••" in public.json()["short_description"]


async def test_another_user_cannot_edit_or_cancel_a_lead(client) -> None:
    owner = make_user()
    lead = await post_lead(client, owner, consumer_body())
    path = f"{API}/leads/{lead['id']}"
    _, other_member = make_professional()
    for stranger in (make_user(), other_member):
        edited = await client.put(path, headers=auth(stranger), json={"title": "נפרץ"})
        assert edited.status_code in (403, 404), edited.text
        cancelled = await client.post(f"{path}/cancel", headers=auth(stranger))
        assert cancelled.status_code in (403, 404), cancelled.text
    public = (await client.get(path)).json()
    assert (public["title"], public["status"]) == ("תיקון נזילה במטבח", "active")
    assert await public_ids(client) == [lead["id"]]


@pytest.mark.parametrize("action", ["edit", "cancel", "attach"])
async def test_a_non_owner_changing_a_visible_lead_is_403(client, action) -> None:
    owner = make_user()
    lead = await post_lead(client, owner, consumer_body())
    path = f"{API}/leads/{lead['id']}"
    stranger = auth(make_user())
    assert (await client.get(path, headers=stranger)).status_code == 200  # they can see it
    if action == "edit":
        response = await client.put(path, headers=stranger, json={"title": "נפרץ"})
    elif action == "cancel":
        response = await client.post(f"{path}/cancel", headers=stranger)
    else:
        response = await client.post(f"{path}/attachments", headers=stranger,
                                     files={"file": ("x.png", PNG_BYTES, "image/png")})
    error_of(response, 403, "not_lead_owner")


async def test_a_cancelled_lead_cannot_be_edited_or_cancelled_again(client) -> None:
    owner = make_user()
    lead = await post_lead(client, owner, consumer_body())
    path = f"{API}/leads/{lead['id']}"
    cancelled = await client.post(f"{path}/cancel", headers=auth(owner))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    error_of(await client.put(path, headers=auth(owner), json={"title": "כותרת חדשה"}), 409,
             "lead_not_editable")
    error_of(await client.post(f"{path}/cancel", headers=auth(owner)), 409,
             "illegal_transition")
    assert (await client.get(path)).json()["status"] == "cancelled"
    assert await public_ids(client) == []  # a cancelled lead leaves the board


async def test_a_private_pro_lead_is_invisible_to_outsiders(client) -> None:
    business, owner = make_professional(business_name="מפנים בשקט")
    lead = await post_lead(client, owner, pro_body(business.id, visibility="private"))
    _, outsider = make_professional(business_name="עסק אחר")
    for headers in ({}, auth(outsider), auth(make_user())):
        error_of(await client.get(f"{API}/leads/{lead['id']}", headers=headers), 404)
        assert await public_ids(client) == []
    mine = await client.get(f"{API}/leads/{lead['id']}", headers=auth(owner))
    assert mine.status_code == 200 and mine.json()["visibility"] == "private"


# --- the public board ----------------------------------------------------------------------


async def test_public_board_filters_by_category_type_and_budget(client) -> None:
    user = make_user()
    business, pro = make_professional()
    plumbing = await post_lead(client, user, consumer_body(budget="300"))
    electrical = await post_lead(client, user, consumer_body(
        category=ELECTRICAL.slug, subcategory=DROP, title="התקנת נקודת חשמל", budget="1500"))
    no_budget = await post_lead(client, user, consumer_body(budget=DROP, title="ייעוץ אינסטלציה"))
    referral = await post_lead(client, pro, pro_body(business.id, budget="5000"))

    everything = await public_ids(client)
    assert set(everything) == {plumbing["id"], electrical["id"], no_budget["id"],
                               referral["id"]}
    assert set(await public_ids(client, category=PLUMBING.slug)) == {
        plumbing["id"], no_budget["id"], referral["id"]}
    assert await public_ids(client, category=ELECTRICAL.slug) == [electrical["id"]]
    assert await public_ids(client, type="professional_referral") == [referral["id"]]
    assert set(await public_ids(client, type="consumer")) == {
        plumbing["id"], electrical["id"], no_budget["id"]}
    assert await public_ids(client, budget_min="1000", budget_max="2000") == [electrical["id"]]
    assert set(await public_ids(client, budget_min="1000")) == {electrical["id"],
                                                                referral["id"]}
    assert await public_ids(client, budget_max="300") == [plumbing["id"]]
    card = next(c for c in (await walk_board(client, "/leads/public"))[0]
                if c["id"] == referral["id"])
    assert card["budget"] == "5000.00" and card["referrer_share_percentage"] == "20.00"
    assert card["professional"]["id"] == str(business.id) and card["pinned"] is False


async def test_public_board_radius_separates_haifa_from_tel_aviv(client) -> None:
    user = make_user()
    haifa = await post_lead(client, user, consumer_body())
    tel_aviv = await post_lead(client, user, consumer_body(locality_id=TEL_AVIV.id,
                                                           client_address="דיזנגוף 50"))
    near_haifa, _ = await walk_board(client, "/leads/public", lat=HAIFA.lat, lon=HAIFA.lon,
                                     radius_km=20)
    assert [c["id"] for c in near_haifa] == [haifa["id"]]
    assert near_haifa[0]["distance_km"] is not None and near_haifa[0]["distance_km"] < 1
    assert await public_ids(client, lat=TEL_AVIV.lat, lon=TEL_AVIV.lon,
                            radius_km=20) == [tel_aviv["id"]]
    wide = await public_ids(client, lat=HAIFA.lat, lon=HAIFA.lon, radius_km=150)
    assert set(wide) == {haifa["id"], tel_aviv["id"]}
    # the public sees about where a lead is, never the exact point
    card = near_haifa[0]
    assert card["lat"] == round(HAIFA.lat, 2) and card["lon"] == round(HAIFA.lon, 2)


async def test_public_board_finds_a_hebrew_word_by_its_prefix(client) -> None:
    user = make_user()
    leak = await post_lead(client, user, consumer_body(title="תיקון נזילה במטבח"))
    paint = await post_lead(client, user, consumer_body(
        title="צביעת דירה בחיפה", description="צריך לצבוע דירת שלושה חדרים לפני כניסה."))
    assert await public_ids(client, q="נזיל") == [leak["id"]]
    assert await public_ids(client, q="תיק") == [leak["id"]]
    assert await public_ids(client, q="צביע") == [paint["id"]]
    assert await public_ids(client, q="חדרים") == [paint["id"]]  # the description counts
    assert await public_ids(client, q="מזגן") == []


async def test_public_board_pages_walk_every_lead_once(client) -> None:
    user = make_user()
    business, pro = make_professional()
    created = [(await post_lead(client, user, consumer_body(title=f"עבודה מספר {i}")))["id"]
               for i in range(4)]
    created.append((await post_lead(client, pro, pro_body(business.id)))["id"])
    created.append((await post_lead(client, user, consumer_body(title="עבודה אחרונה")))["id"])
    admin = make_user(role=UserRole.admin)
    granted = await client.post(f"{API}/admin/subscriptions", headers=auth(admin),
                                json={"professional_id": str(business.id), "months": 1})
    assert granted.status_code == 201, granted.text

    for limit in (1, 2, 4):
        cards, responses = await walk_board(client, "/leads/public", limit=limit)
        ids = [c["id"] for c in cards]
        assert len(ids) == len(set(ids)) == len(created), limit
        assert set(ids) == set(created)
        assert all(len(r.json()["items"]) <= limit for r in responses)
        assert len(responses) == -(-len(created) // limit)  # no empty trailing page
        # pinned first, then newest first
        expected = [created[4], *reversed([c for c in created if c != created[4]])]
        assert ids == expected, limit


async def test_public_board_refuses_nonsense_filters_with_the_field_named(client) -> None:
    cases = [
        ({"cursor": "definitely-not-a-cursor"}, "cursor"),
        ({"cursor": "W251bGwsIG51bGxd"}, "cursor"),  # base64 of '[null, null]'
        ({"radius_km": 10}, "lat"),
        ({"lat": HAIFA.lat}, "lon"),
        ({"budget_min": "2000", "budget_max": "1000"}, "budget_max"),
        ({"category": "no-such-trade"}, "category"),
        ({"lat": 40.7, "lon": -74.0}, "lat"),
        ({"budget_min": "-5"}, "budget_min"),
        ({"limit": 0}, "limit"),
    ]
    for params, field in cases:
        response = await client.get(f"{API}/leads/public", params=params)
        error = error_of(response, 422, "validation_error")
        assert field in error["fields"], (params, error["fields"])


async def test_a_subscribers_lead_is_pinned_first_even_when_older(client) -> None:
    business, pro = make_professional(business_name="מנוי מוביל")
    older = await post_lead(client, pro, pro_body(business.id))
    newer = await post_lead(client, make_user(), consumer_body())
    before, _ = await walk_board(client, "/leads/public")
    assert [(c["id"], c["pinned"]) for c in before] == [(newer["id"], False),
                                                        (older["id"], False)]
    assert await public_ids(client, subscribed_only="true") == []

    admin = make_user(role=UserRole.admin)
    granted = await client.post(f"{API}/admin/subscriptions", headers=auth(admin),
                                json={"professional_id": str(business.id), "months": 2})
    assert granted.status_code == 201, granted.text
    assert granted.json()["professional_id"] == str(business.id)
    assert granted.json()["status"] == "active"

    after, _ = await walk_board(client, "/leads/public")
    assert [(c["id"], c["pinned"]) for c in after] == [(older["id"], True),
                                                       (newer["id"], False)]
    only, _ = await walk_board(client, "/leads/public", subscribed_only="true")
    assert [(c["id"], c["pinned"]) for c in only] == [(older["id"], True)]
    # a filter that excludes the pinned lead excludes it from the pinned group too
    assert await public_ids(client, type="consumer") == [newer["id"]]


async def test_only_an_admin_grants_a_subscription(client) -> None:
    business, owner = make_professional()
    for user in (owner, make_user()):
        response = await client.post(f"{API}/admin/subscriptions", headers=auth(user),
                                     json={"professional_id": str(business.id)})
        error_of(response, 403)
    error_of(await client.post(f"{API}/admin/subscriptions",
                               json={"professional_id": str(business.id)}), 401)
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM subscriptions")).scalar_one() == 0


# --- a business's board --------------------------------------------------------------------


async def test_a_business_board_shows_its_trade_in_its_area_but_not_its_own_leads(
        client) -> None:
    business, pro = make_professional(business_name="אינסטלטור חיפה", service_radius_km=20)
    colleague, colleague_owner = make_professional(business_name="קולגה")
    consumer = make_user()
    visible = await post_lead(client, consumer, consumer_body())
    colleague_lead = await post_lead(client, colleague_owner, pro_body(colleague.id))
    await post_lead(client, colleague_owner, pro_body(colleague.id, visibility="private"))
    await post_lead(client, consumer, consumer_body(locality_id=TEL_AVIV.id))
    await post_lead(client, consumer, consumer_body(category=ELECTRICAL.slug, subcategory=DROP))
    await post_lead(client, pro, pro_body(business.id))

    cards, responses = await walk_board(client, "/leads/board", headers=auth(pro))
    assert {c["id"] for c in cards} == {visible["id"], colleague_lead["id"]}
    assert responses[0].json()["professional_id"] == str(business.id)
    assert all(c["category"]["slug"] == PLUMBING.slug for c in cards)
    assert all(c["distance_km"] is not None and c["distance_km"] <= 20 for c in cards)

    # the colleague's board has the consumer lead and this business's lead, not its own
    theirs, _ = await walk_board(client, "/leads/board", headers=auth(colleague_owner))
    assert colleague_lead["id"] not in {c["id"] for c in theirs}
    assert visible["id"] in {c["id"] for c in theirs}


async def test_the_business_board_is_for_members_only(client) -> None:
    error_of(await client.get(f"{API}/leads/board", headers=auth(make_user())), 403)
    error_of(await client.get(f"{API}/leads/board"), 401)
    other, _ = make_professional()
    _, pro = make_professional()
    error_of(await client.get(f"{API}/leads/board", params={"professional_id": str(other.id)},
                              headers=auth(pro)), 403)


# --- nobody learns a client's details from the public surfaces -----------------------------


async def test_no_public_answer_leaks_a_client_detail(client) -> None:
    business, pro = make_professional(business_name="מפנה סודות")
    _, watcher = make_professional(business_name="עסק צופה")
    clients = [
        ("זלמן פרנקנשטיין", "+972541112233", "054-111-2233", "רחוב הסודות 77, חיפה"),
        ("אביטל נסתרת", "+972547778899", "054-777-8899", "שדרות הנסתר 3, חיפה"),
        ("גרשון מסתורי", "+972532224455", "053-222-4455", "סמטת הצל 8, חיפה"),
        ("תמר חסויה", "+972583336677", "058-333-6677", "כיכר הלילה 12, חיפה"),
    ]
    named_user = make_user(name=clients[1][0], phone=clients[1][1])
    leads = [
        await post_lead(client, make_user(), consumer_body(
            client_name=clients[0][0], client_phone=clients[0][2],
            client_address=clients[0][3])),
        # no client name or phone given: the requester's own are used, just as private
        await post_lead(client, named_user, consumer_body(
            client_name=DROP, client_phone=DROP, client_address=clients[1][3],
            title="החלפת ברז באמבטיה")),
        await post_lead(client, pro, pro_body(
            business.id, client_name=clients[2][0], client_phone=clients[2][2],
            client_address=clients[2][3])),
        await post_lead(client, pro, pro_body(
            business.id, visibility="private", client_name=clients[3][0],
            client_phone=clients[3][1], client_address=clients[3][3])),
    ]
    secrets = []
    for name, e164, dashed, address in clients:
        secrets += [name, e164, dashed, dashed.replace("-", ""), e164[4:], address,
                    address.split(",")[0]]

    # the owners do get them: the scan below is looking for strings that really exist
    owner_view = await client.get(f"{API}/leads/{leads[1]['id']}", headers=auth(named_user))
    assert owner_view.json()["client"]["client_name"] == clients[1][0]
    assert owner_view.json()["client"]["client_phone"] == clients[1][1]

    responses: list[httpx.Response] = []
    for headers in ({}, auth(watcher)):
        for limit in (2, 20):
            cards, pages = await walk_board(client, "/leads/public", headers, limit=limit)
            responses += pages
            assert {c["id"] for c in cards} == {lead["id"] for lead in leads[:3]}
        for lead in leads:
            responses.append(await client.get(f"{API}/leads/{lead['id']}", headers=headers))
    cards, pages = await walk_board(client, "/leads/board", auth(watcher), limit=1)
    responses += pages
    assert {c["id"] for c in cards} == {lead["id"] for lead in leads[:3]}
    for lead in leads:
        responses.append(await client.get(f"{API}/leads/{lead['id']}/contact",
                                          headers=auth(watcher)))
        responses.append(await client.get(f"{API}/leads/{lead['id']}/attachments",
                                          headers=auth(watcher)))

    assert len(responses) > 20
    for response in responses:
        for secret in secrets:
            assert secret not in response.text, (str(response.url), secret)
        assert not PRIVATE_KEYS & set(keys_of(json.loads(response.text))), str(response.url)
    assert count_rows(ContactAccessLog) == 0


# --- attachments ---------------------------------------------------------------------------


async def test_lead_attachments_are_as_private_as_the_client(client) -> None:
    business, owner = make_professional()
    lead = await post_lead(client, owner, pro_body(business.id))
    path = f"{API}/leads/{lead['id']}/attachments"

    uploaded = await client.post(path, headers=auth(owner),
                                 files={"file": ("photo.png", PNG_BYTES, "image/png")})
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    assert attachment["lead_id"] == lead["id"]
    assert attachment["content_type"] == "image/png"
    assert attachment["size_bytes"] == len(PNG_BYTES)
    assert attachment["filename"] == "photo.png"

    disguised = await client.post(path, headers=auth(owner), files={
        "file": ("photo.png", b"just some text pretending to be a picture", "image/png")})
    assert "file" in error_of(disguised, 422, "validation_error")["fields"]
    assert count_rows(LeadAttachment) == 1

    listed = await client.get(path, headers=auth(owner))
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()] == [attachment["id"]]

    _, outsider = make_professional(business_name="עסק סקרן")
    for stranger in (outsider, make_user()):
        error_of(await client.get(path, headers=auth(stranger)), 403)
        error_of(await client.get(f"{API}/lead-attachments/{attachment['id']}/link",
                                  headers=auth(stranger)), 404)
        refused = await client.post(path, headers=auth(stranger),
                                    files={"file": ("x.png", PNG_BYTES, "image/png")})
        assert refused.status_code in (403, 404), refused.text
    assert count_rows(LeadAttachment) == 1

    link = await client.get(f"{API}/lead-attachments/{attachment['id']}/link",
                            headers=auth(owner))
    assert link.status_code == 200, link.text
    assert link.json()["expires_in"] == 300
    parts = urlsplit(link.json()["url"])
    downloaded = await client.get(f"{parts.path}?{parts.query}")
    assert downloaded.status_code == 200
    assert downloaded.content == PNG_BYTES


async def test_attachments_cannot_be_added_once_the_lead_is_cancelled(client) -> None:
    business, owner = make_professional()
    lead = await post_lead(client, owner, pro_body(business.id))
    await client.post(f"{API}/leads/{lead['id']}/cancel", headers=auth(owner))
    response = await client.post(f"{API}/leads/{lead['id']}/attachments", headers=auth(owner),
                                 files={"file": ("photo.png", PNG_BYTES, "image/png")})
    error_of(response, 409, "lead_not_editable")
    assert count_rows(LeadAttachment) == 0


# --- the commission preview ----------------------------------------------------------------


async def test_commission_preview_splits_the_design_example(client) -> None:
    response = await client.get(f"{API}/commission/preview",
                                params={"amount": "1000", "referrer_share_percentage": "20"})
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("final_amount", "platform_commission",
                                            "referrer_fee", "professional_net_amount")} == {
        "final_amount": "1000.00", "platform_commission": "50.00", "referrer_fee": "200.00",
        "professional_net_amount": "750.00"}


async def test_commission_preview_for_a_consumer_lead_and_a_subscriber(client) -> None:
    consumer = (await client.get(f"{API}/commission/preview",
                                 params={"amount": "1000", "type": "consumer"})).json()
    assert (consumer["platform_commission"], consumer["referrer_fee"],
            consumer["professional_net_amount"]) == ("100.00", "0.00", "900.00")
    subscribed = (await client.get(f"{API}/commission/preview", params={
        "amount": "1000", "referrer_share_percentage": "20", "subscribed": "true"})).json()
    assert (subscribed["platform_commission"], subscribed["referrer_fee"],
            subscribed["professional_net_amount"]) == ("40.00", "200.00", "760.00")


async def test_commission_preview_refuses_bad_amounts_and_shares(client) -> None:
    for params, field in [({"amount": "12.345"}, "amount"),
                          ({"amount": "abc"}, "amount"),
                          ({"amount": "1000", "referrer_share_percentage": "95"},
                           "referrer_share_percentage")]:
        response = await client.get(f"{API}/commission/preview", params=params)
        assert field in error_of(response, 422, "validation_error")["fields"], params
    below = await client.get(f"{API}/commission/preview", params={"amount": "50"})
    assert error_of(below, 422, "validation_error")["fields"]
