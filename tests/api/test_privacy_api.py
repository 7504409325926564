"""`/users/me/export` and `/users/me/close`: the rights through the API."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import text

from jobs import run_job
from ofair_app.db.engine import SYSTEM, unit_of_work
from tests.api.test_leads_api import API, auth
from tests.factories import make_lead, make_paid_job, make_professional, make_user


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_export_is_accepted_built_in_the_background_and_downloaded_by_its_owner(client):
    user = make_user(name="נועה API", email="noa@example.com")
    make_lead(user)
    asked = await client.post(f"{API}/users/me/export", headers=auth(user))
    assert asked.status_code == 202
    body = asked.json()
    assert body["status"] == "pending" and body["download_url"] is None

    again = await client.post(f"{API}/users/me/export", headers=auth(user))
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
    assert again.json()["error"]["code"] == "export_pending"

    run_job("personal_data_exports", as_of=datetime.now(UTC))
    ready = await client.get(f"{API}/users/me/export/{body['id']}", headers=auth(user))
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    download = await client.get(_path(ready.json()["download_url"]))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert "attachment" in download.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    data = json.loads(archive.read("data.json"))
    assert data["tables"]["users"][0]["email"] == "noa@example.com"
    assert "leads.csv" in archive.namelist()

    stranger = await client.get(f"{API}/users/me/export/{body['id']}",
                                headers=auth(make_user()))
    assert stranger.status_code == 404
    anonymous = await client.get(f"{API}/users/me/export/{body['id']}")
    assert anonymous.status_code == 401
    tampered = await client.get(_path(ready.json()["download_url"]).replace("sig=", "sig=0"))
    assert tampered.status_code == 403


async def test_closing_needs_the_typed_confirmation_in_the_callers_language(client):
    user = make_user()
    for language, expected in (("en", "Type the phone number or e-mail address"),
                               ("he", "יש להקליד את מספר הטלפון")):
        answer = await client.post(f"{API}/users/me/close", json={"confirmation": "yes"},
                                   headers=auth(user) | {"Accept-Language": language})
        assert answer.status_code == 422
        assert answer.json()["error"]["fields"]["confirmation"].startswith(expected)
    missing = await client.post(f"{API}/users/me/close", json={}, headers=auth(user))
    assert missing.status_code == 422 and "confirmation" in missing.json()["error"]["fields"]


async def test_closing_with_obligations_lists_each_and_changes_nothing(client):
    consumer = make_user()
    _business, performer = make_professional()
    make_paid_job(consumer, performer, "500")
    answer = await client.post(f"{API}/users/me/close", json={"confirmation": consumer.phone},
                               headers=auth(consumer) | {"Accept-Language": "en"})
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "account_has_obligations"
    assert set(error["fields"]) == {"lead_in_progress", "money_held"}
    assert error["fields"]["money_held"].startswith("A payment of yours is still held")
    me = await client.get(f"{API}/users/me", headers=auth(consumer))
    assert me.status_code == 200 and me.json()["phone"] == consumer.phone


async def test_a_closed_account_answers_nothing_more(client):
    user = make_user(email="gone@example.com")
    headers = auth(user)
    answer = await client.post(f"{API}/users/me/close", json={"confirmation": "GONE@example.com"},
                               headers=headers)
    assert answer.status_code == 200
    assert answer.json() == {"user_id": str(user.id), "cancelled_leads": 0,
                             "withdrawn_proposals": 0, "closed_businesses": 0}
    assert (await client.get(f"{API}/users/me", headers=headers)).status_code == 401
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT phone, email, name FROM users WHERE id = :id"),
                               {"id": user.id}).one() == (None, None, "")


async def test_the_phone_is_corrected_through_a_code_to_the_new_number(client):
    user = make_user()
    landline = await client.post(f"{API}/users/me/phone", json={"phone": "03-123-4567"},
                                 headers=auth(user) | {"Accept-Language": "en"})
    assert landline.status_code == 422 and "phone" in landline.json()["error"]["fields"]
    same = await client.post(f"{API}/users/me/phone", json={"phone": user.phone},
                             headers=auth(user))
    assert same.status_code == 202 and same.json()["code_sent"] is False
    sent = await client.post(f"{API}/users/me/phone", json={"phone": "054-321-9876"},
                             headers=auth(user))
    assert sent.status_code == 202
    assert sent.json()["pending_phone"] == "+972543219876"
    wrong = await client.post(f"{API}/users/me/confirm-phone",
                              json={"phone": "054-321-9876", "otp": "000000"},
                              headers=auth(user))
    assert wrong.status_code == 401
    anonymous = await client.post(f"{API}/users/me/phone", json={"phone": "054-321-9876"})
    assert anonymous.status_code == 401
