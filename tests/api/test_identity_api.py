"""The identity endpoints over HTTP: status codes, field names and error envelopes (§5)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from ofair_app import reference
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import UserRole
from ofair_app.services import notifications
from ofair_app.settings import get_settings
from tests.factories import (
    PDF_BYTES,
    PNG_BYTES,
    city,
    make_professional,
    make_user,
    next_business_id,
    next_phone,
    signup_fields,
    token_for,
)


@pytest.fixture(autouse=True)
def test_otps(monkeypatch):
    monkeypatch.setenv("OFAIR_TEST_OTPS", "+972500000001=123456")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client, phone: str = "+972500000001", otp: str = "123456") -> dict:
    assert (await client.post("/api/v1/auth/send-otp", json={"phone": phone})).status_code == 202
    response = await client.post("/api/v1/auth/verify-otp",
                                 json={"phone": phone, "otp": otp, **signup_fields()})
    assert response.status_code == 200, response.text
    return response.json()


# --- auth ----------------------------------------------------------------------------------


async def test_send_and_verify_answer_the_contract_shapes(client) -> None:
    sent = await client.post("/api/v1/auth/send-otp", json={"phone": "050-000-0001"})
    assert sent.status_code == 202
    assert sent.json()["target"] == "+972500000001" and sent.json()["channel"] == "sms"
    assert 55 <= sent.json()["resend_after_seconds"] <= 60
    body = (await client.post("/api/v1/auth/verify-otp",
                              json={"phone": "0500000001", "otp": "123456",
                                    **signup_fields()})).json()
    assert set(body) == {"token", "expires_at", "user"}
    assert set(body["user"]) >= {"id", "phone", "email", "name", "role"}
    assert body["user"]["phone"] == "+972500000001" and body["user"]["role"] == "consumer"


async def test_a_malformed_phone_is_a_translated_422(client) -> None:
    response = await client.post("/api/v1/auth/send-otp", json={"phone": "12-34"},
                                 headers={"Accept-Language": "he"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "phone" in error["fields"]
    assert re.search("[\u0590-\u05ff]", error["fields"]["phone"])


async def test_a_second_code_within_a_minute_is_429_with_retry_after(client) -> None:
    phone = next_phone()
    assert (await client.post("/api/v1/auth/send-otp", json={"phone": phone})).status_code == 202
    response = await client.post("/api/v1/auth/send-otp", json={"phone": phone},
                                 headers={"Accept-Language": "en"})
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["error"]["message"].startswith("Too many codes")


async def test_one_network_past_its_hourly_budget_is_429_in_the_envelope(client) -> None:
    for _ in range(30):  # thirty different numbers: no per-number limit is reached
        sent = await client.post("/api/v1/auth/send-otp", json={"phone": next_phone()})
        assert sent.status_code == 202
    response = await client.post("/api/v1/auth/send-otp", json={"phone": next_phone()},
                                 headers={"Accept-Language": "en"})
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "otp_network_budget"
    assert error["message"].startswith("Too many codes were asked for from your network")
    assert 3590 <= error["retry_after"] == int(response.headers["Retry-After"]) <= 3601
    hebrew = await client.post("/api/v1/auth/send-otp", json={"email": "dana@example.com"})
    assert hebrew.status_code == 429 and re.search("[\u0590-\u05ff]",
                                                   hebrew.json()["error"]["message"])


async def test_a_forwarded_for_header_counts_only_behind_a_trusted_proxy(client,
                                                                         monkeypatch) -> None:
    monkeypatch.setenv("OTP_IP_HOURLY_LIMIT", "1")
    get_settings.cache_clear()
    spoofed = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in (1, 2)]
    assert (await client.post("/api/v1/auth/send-otp", json={"phone": next_phone()},
                              headers=spoofed[0])).status_code == 202
    assert (await client.post("/api/v1/auth/send-otp", json={"phone": next_phone()},
                              headers=spoofed[1])).status_code == 429
    monkeypatch.setenv("OFAIR_TRUSTED_PROXY_HOPS", "1")
    get_settings.cache_clear()
    # Our proxy appended the client's address last; whatever the client wrote before it is
    # not believed.
    for client_address in ("198.51.100.1", "198.51.100.2"):
        headers = {"X-Forwarded-For": f"10.9.9.9, {client_address}"}
        assert (await client.post("/api/v1/auth/send-otp", json={"phone": next_phone()},
                                  headers=headers)).status_code == 202
    headers = {"X-Forwarded-For": "10.9.9.10, 198.51.100.1"}
    assert (await client.post("/api/v1/auth/send-otp", json={"phone": next_phone()},
                              headers=headers)).status_code == 429


@pytest.mark.parametrize("phone", ["02-6234567", "077-2345678"])
async def test_a_landline_gets_a_clear_422_on_the_phone_field(client, phone: str) -> None:
    for locale, words in (("en", "mobile number"), ("he", "נייד")):
        response = await client.post("/api/v1/auth/send-otp", json={"phone": phone},
                                     headers={"Accept-Language": locale})
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error" and words in error["fields"]["phone"]


async def test_a_wrong_code_is_401_and_counts(client) -> None:
    await client.post("/api/v1/auth/send-otp", json={"phone": "+972500000001"})
    response = await client.post("/api/v1/auth/verify-otp",
                                 json={"phone": "+972500000001", "otp": "000000"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "otp_invalid"
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT attempts FROM otp_codes")).scalar_one() == 1


async def test_revoke_ends_the_token_and_a_replay_is_401(client) -> None:
    token = (await login(client))["token"]
    assert (await client.get("/api/v1/users/me", headers=bearer(token))).status_code == 200
    assert (await client.post("/api/v1/auth/revoke", headers=bearer(token))).status_code == 204
    replay = await client.get("/api/v1/users/me", headers=bearer(token))
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "token_invalid"
    assert (await client.post("/api/v1/auth/revoke", headers=bearer(token))).status_code == 401


async def test_endpoints_that_need_a_user_answer_401_without_a_token(client) -> None:
    for method, path in [("GET", "/api/v1/users/me"), ("PUT", "/api/v1/users/me"),
                         ("POST", "/api/v1/professionals"), ("POST", "/api/v1/auth/revoke")]:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthenticated"


# --- users ---------------------------------------------------------------------------------


async def test_users_me_updates_name_and_locale(client) -> None:
    token = (await login(client))["token"]
    response = await client.put("/api/v1/users/me", headers=bearer(token),
                                json={"name": "  דנה   כהן ", "locale": "en"})
    assert response.status_code == 200
    assert response.json()["name"] == "דנה כהן" and response.json()["locale"] == "en"
    bad = await client.put("/api/v1/users/me", headers=bearer(token),
                           json={"name": "<img src=x onerror=alert(1)>"})
    assert bad.status_code == 422 and "name" in bad.json()["error"]["fields"]
    assert (await client.get("/api/v1/users/me", headers=bearer(token))).json()["name"] == \
        "דנה כהן"


async def test_a_new_email_changes_only_after_its_code_is_confirmed(client) -> None:
    token = (await login(client))["token"]
    response = await client.put("/api/v1/users/me", headers=bearer(token),
                                json={"email": "New@Example.com"})
    assert response.json()["email_verification_sent"] is True
    assert response.json()["email"] is None and response.json()["pending_email"] == \
        "new@example.com"
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        body = session.execute(text("SELECT body FROM outbox_messages"
                                    " WHERE to_address = 'new@example.com'")).scalar_one()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    wrong = await client.post("/api/v1/users/me/confirm-email", headers=bearer(token),
                              json={"email": "new@example.com", "otp": "000000"
                                    if code != "000000" else "111111"})
    assert wrong.status_code == 401
    confirmed = await client.post("/api/v1/users/me/confirm-email", headers=bearer(token),
                                  json={"email": "new@example.com", "otp": code})
    assert confirmed.status_code == 200 and confirmed.json()["email"] == "new@example.com"


async def test_an_email_that_belongs_to_someone_else_is_409_on_confirmation(client) -> None:
    make_user(email="taken@example.com")
    token = (await login(client))["token"]
    await client.put("/api/v1/users/me", headers=bearer(token), json={"email": "taken@example.com"})
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        body = session.execute(text("SELECT body FROM outbox_messages"
                                    " WHERE to_address = 'taken@example.com'")).scalar_one()
    code = re.search(r"\b(\d{6})\b", body).group(1)
    response = await client.post("/api/v1/users/me/confirm-email", headers=bearer(token),
                                 json={"email": "taken@example.com", "otp": code})
    assert response.status_code == 409 and response.json()["error"]["code"] == "email_taken"


# --- professionals -------------------------------------------------------------------------


def business_body(**changes) -> dict:
    first = reference.categories()[0]
    return {"business_name": "מיזוג הצפון", "business_id": next_business_id(),
            "category": first.slug, "subcategories": [first.subcategories[0].slug],
            "locality_id": city("Haifa"), "service_radius_km": 25,
            "specialties": ["מזגנים"], "about": "התקנה ותיקון"} | changes


async def test_opening_a_business_answers_201_and_the_token_then_acts_for_it(client) -> None:
    token = (await login(client))["token"]
    response = await client.post("/api/v1/professionals", headers=bearer(token),
                                 json=business_body())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"] and created["my_role"] == "owner" and created["status"] == "pending"
    mine = await client.get("/api/v1/professionals/mine", headers=bearer(token))
    assert [p["id"] for p in mine.json()] == [created["id"]]
    me = await client.get("/api/v1/users/me", headers=bearer(token))
    assert me.json()["role"] == "professional"


async def test_a_bad_business_id_or_a_duplicate_is_refused(client) -> None:
    token = (await login(client))["token"]
    bad = await client.post("/api/v1/professionals", headers=bearer(token),
                            json=business_body(business_id="123456789"))
    assert bad.status_code == 422 and "business_id" in bad.json()["error"]["fields"]
    body = business_body()
    assert (await client.post("/api/v1/professionals", headers=bearer(token),
                              json=body)).status_code == 201
    again = await client.post("/api/v1/professionals", headers=bearer(token), json=body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "business_id_taken"


async def test_the_public_profile_and_directory_carry_no_phone_email_or_business_id(
    client,
) -> None:
    professional, owner = make_professional(about="שירות מהיר")
    profile = await client.get(f"/api/v1/professionals/{professional.id}")
    listing = await client.get("/api/v1/professionals")
    assert profile.status_code == 200 and listing.status_code == 200
    for payload in (profile.text, listing.text):
        assert owner.phone not in payload and professional.business_id not in payload
        assert "phone" not in payload and "email" not in payload
    assert listing.json()["items"][0]["id"] == str(professional.id)
    assert "next_cursor" in listing.json()


async def test_members_see_the_private_profile(client) -> None:
    professional, owner = make_professional()
    response = await client.get(f"/api/v1/professionals/{professional.id}",
                                headers=bearer(token_for(owner)))
    assert response.json()["business_id"] == professional.business_id


async def test_directory_filters_are_validated(client) -> None:
    assert (await client.get("/api/v1/professionals?category=nope")).status_code == 422
    assert (await client.get("/api/v1/professionals?locality=999999999")).status_code == 422
    assert (await client.get("/api/v1/professionals?limit=500")).status_code == 422
    assert (await client.get("/api/v1/professionals?cursor=%%%")).status_code == 422
    assert (await client.get("/api/v1/professionals/not-a-uuid")).status_code == 422
    unknown = await client.get("/api/v1/professionals/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404


async def test_owners_invite_staff_and_staff_cannot(client) -> None:
    professional, owner = make_professional()
    invited = await client.post(f"/api/v1/professionals/{professional.id}/members",
                                headers=bearer(token_for(owner)),
                                json={"phone": "054-777-0001"})
    assert invited.status_code == 202 and invited.json()["status"] == "pending"
    assert invited.json()["phone"] == "+972547770001" and invited.json()["role"] == "staff"
    stranger_token = (await login(client, "+972500000001"))["token"]  # not a member
    refused = await client.post(f"/api/v1/professionals/{professional.id}/members",
                                headers=bearer(stranger_token), json={"phone": "054-777-0002"})
    assert refused.status_code == 403
    members = await client.get(f"/api/v1/professionals/{professional.id}/members",
                               headers=bearer(token_for(owner)))
    assert [m["phone"] for m in members.json()] == [owner.phone]  # nobody joined yet


async def test_verify_is_admin_only(client) -> None:
    professional, owner = make_professional()
    url = f"/api/v1/professionals/{professional.id}/verify"
    assert (await client.post(url)).status_code == 401
    assert (await client.post(url, headers=bearer(token_for(owner)))).status_code == 403
    admin = make_user(role=UserRole.admin)
    response = await client.post(url, headers=bearer(token_for(admin)), json={"note": "ok"})
    assert response.status_code == 200 and response.json()["verified"] is True
    queue = await client.get("/api/v1/admin/professionals?status=active",
                             headers=bearer(token_for(admin)))
    assert [p["id"] for p in queue.json()] == [str(professional.id)]


# --- certificates --------------------------------------------------------------------------


async def test_a_certificate_uploads_and_downloads_through_a_signed_link(client) -> None:
    professional, owner = make_professional()
    url = f"/api/v1/professionals/{professional.id}/certificates"
    response = await client.post(url, headers=bearer(token_for(owner)),
                                 files={"file": ("רישיון.pdf", PDF_BYTES, "application/pdf")},
                                 data={"title": "רישיון עסק"})
    assert response.status_code == 201, response.text
    certificate = response.json()
    assert certificate["content_type"] == "application/pdf" and certificate["status"] == "pending"
    link = await client.get(f"/api/v1/certificates/{certificate['id']}/link",
                            headers=bearer(token_for(owner)))
    assert link.status_code == 200
    parts = urlsplit(link.json()["url"])
    download = await client.get(f"{parts.path}?{parts.query}")
    assert download.status_code == 200 and download.content == PDF_BYTES


async def test_others_get_no_link_to_a_certificate(client) -> None:
    professional, owner = make_professional()
    uploaded = await client.post(f"/api/v1/professionals/{professional.id}/certificates",
                                 headers=bearer(token_for(owner)),
                                 files={"file": ("a.png", PNG_BYTES, "image/png")})
    link = f"/api/v1/certificates/{uploaded.json()['id']}/link"
    _, other_owner = make_professional(business_name="עסק אחר")
    assert (await client.get(link)).status_code == 401
    assert (await client.get(link, headers=bearer(token_for(make_user())))).status_code == 404
    assert (await client.get(link, headers=bearer(token_for(other_owner)))).status_code == 404
    admin = make_user(role=UserRole.admin)
    assert (await client.get(link, headers=bearer(token_for(admin)))).status_code == 200


@pytest.mark.parametrize(("filename", "content"), [
    ("evil.pdf", b"<html><script>alert(1)</script></html>"),
    ("program.pdf", b"MZ\x90\x00" + b"\x00" * 100),
    ("empty.pdf", b""),
    ("huge.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)),
])
async def test_disguised_empty_or_oversized_files_are_refused(client, filename, content) -> None:
    professional, owner = make_professional()
    response = await client.post(f"/api/v1/professionals/{professional.id}/certificates",
                                 headers=bearer(token_for(owner)),
                                 files={"file": (filename, content, "application/pdf")})
    assert response.status_code == 422 and "file" in response.json()["error"]["fields"]
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM certificates")).scalar_one() == 0


# --- reference -----------------------------------------------------------------------------


async def test_categories_and_localities_answer_in_the_callers_language(client) -> None:
    categories = await client.get("/api/v1/categories", headers={"Accept-Language": "en"})
    assert len(categories.json()["items"]) >= 20
    first = categories.json()["items"][0]
    assert first["name"] == first["name_en"] and first["subcategories"]
    hebrew = await client.get("/api/v1/localities", params={"q": "חיפ"})
    assert hebrew.json()["items"][0]["name_en"].startswith("Haifa")
    assert hebrew.json()["items"][0]["name"] == hebrew.json()["items"][0]["name_he"]
    english = await client.get("/api/v1/localities", params={"q": "tel a"})
    assert any(item["name_he"].startswith("תל אביב") for item in english.json()["items"])
    assert (await client.get("/api/v1/localities", params={"limit": 0})).status_code == 422
