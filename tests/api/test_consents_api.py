"""Consents over HTTP: sign-up needs the current documents (422 naming them), the caller's own
consents, and the one-click unsubscribe link without a login."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text

from ofair_app import policies
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.consent import ConsentKind
from ofair_app.models._base import utcnow
from ofair_app.services import consents
from ofair_app.settings import get_settings
from tests.factories import make_user, signup_fields, token_for

API = "/api/v1"
PHONE = "+972500000041"
CURRENT = policies.current_versions()


@pytest.fixture(autouse=True)
def fixed_code(monkeypatch):
    monkeypatch.setenv("OFAIR_TEST_OTPS", f"{PHONE}=445566")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _verify(client, locale="he", **extra):
    assert (await client.post(f"{API}/auth/send-otp", json={"phone": PHONE})).status_code == 202
    return await client.post(f"{API}/auth/verify-otp", json={"phone": PHONE, "otp": "445566",
                                                             **extra},
                             headers={"Accept-Language": locale})


def _consent_rows() -> list[tuple]:
    with unit_of_work(SYSTEM) as session:
        return [tuple(r) for r in session.execute(text(
            "SELECT kind, version, accepted, channel FROM consents ORDER BY id"))]


@pytest.mark.parametrize(("locale", "words"), [("en", "privacy notice"),
                                               ("he", "מדיניות הפרטיות")])
async def test_a_new_account_without_acknowledgement_is_a_translated_422(client, locale, words):
    response = await _verify(client, locale)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "consent_required"
    assert words in error["message"] and CURRENT[ConsentKind.privacy_notice] in error["message"]
    assert set(error["fields"]) == {"privacy_notice_version", "accept_terms_version"}
    assert CURRENT[ConsentKind.terms] in error["fields"]["accept_terms_version"]
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


async def test_the_same_code_then_opens_the_account_and_records_the_versions(client):
    assert (await _verify(client)).status_code == 422
    response = await client.post(f"{API}/auth/verify-otp",
                                 json={"phone": PHONE, "otp": "445566", **signup_fields(),
                                       "marketing_opt_in": False})
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"token", "expires_at", "user"}
    assert _consent_rows() == [
        ("privacy_notice", CURRENT[ConsentKind.privacy_notice], True, "api"),
        ("terms", CURRENT[ConsentKind.terms], True, "api"),
        ("marketing", policies.MARKETING_VERSION, False, "api"),
    ]


async def test_an_existing_account_logs_in_without_the_fields(client):
    make_user(phone=PHONE)
    response = await _verify(client)
    assert response.status_code == 200


async def test_consents_show_what_is_pending_and_record_answers(client):
    user = make_user()
    headers = bearer(token_for(user))
    body = (await client.get(f"{API}/users/me/consents", headers=headers)).json()
    assert body["privacy_notice"] == {"current_version": CURRENT[ConsentKind.privacy_notice],
                                      "accepted_version": None, "accepted_at": None,
                                      "needs_acceptance": True}
    assert body["marketing"] is False
    response = await client.put(f"{API}/users/me/consents", headers=headers,
                                json={**signup_fields(), "marketing": True})
    assert response.status_code == 200
    body = response.json()
    assert not body["privacy_notice"]["needs_acceptance"] and not body["terms"][
        "needs_acceptance"]
    assert body["marketing"] is True and body["marketing_at"]
    withdrawn = await client.put(f"{API}/users/me/consents", headers=headers,
                                 json={"marketing": False})
    assert withdrawn.json()["marketing"] is False
    assert [r[0] for r in _consent_rows()] == ["privacy_notice", "terms", "marketing",
                                               "marketing"]


async def test_an_old_version_is_a_422_naming_the_current_one(client):
    headers = bearer(token_for(make_user()))
    response = await client.put(f"{API}/users/me/consents",
                                headers={**headers, "Accept-Language": "en"},
                                json={"accept_terms_version": "1999-01-01"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert set(error["fields"]) == {"accept_terms_version"}
    assert CURRENT[ConsentKind.terms] in error["fields"]["accept_terms_version"]
    assert _consent_rows() == []


async def test_consents_need_a_login(client):
    assert (await client.get(f"{API}/users/me/consents")).status_code == 401
    assert (await client.put(f"{API}/users/me/consents",
                             json={"marketing": True})).status_code == 401


def _token(user_id, now=None) -> str:
    return parse_qs(urlsplit(consents.unsubscribe_link(user_id, now=now)).query)["token"][0]


async def test_the_unsubscribe_link_works_without_a_login(client):
    user = make_user()
    headers = bearer(token_for(user))
    await client.put(f"{API}/users/me/consents", headers=headers, json={"marketing": True})
    response = await client.post(f"{API}/unsubscribe", json={"token": _token(user.id)})
    assert response.status_code == 204
    body = (await client.get(f"{API}/users/me/consents", headers=headers)).json()
    assert body["marketing"] is False
    again = await client.post(f"{API}/unsubscribe", json={"token": _token(user.id)})
    assert again.status_code == 204


@pytest.mark.parametrize(("token", "code"), [
    ("garbage", "unsubscribe_link_invalid"),
    ("", "unsubscribe_link_invalid"),
    (None, "unsubscribe_link_expired"),
])
async def test_a_bad_or_expired_unsubscribe_link_is_a_translated_422(client, token, code):
    user = make_user()
    if token is None:
        token = _token(user.id, now=utcnow() - timedelta(days=365))
    response = await client.post(f"{API}/unsubscribe", json={"token": token},
                                 headers={"Accept-Language": "he"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code and re.search("[\u0590-\u05ff]", error["message"])
    assert _consent_rows() == []
