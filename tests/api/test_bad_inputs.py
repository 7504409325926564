"""Nothing a client sends produces a 500: out-of-range numbers, NUL and control characters,
forged cursors and malformed ids are each a 422 naming the field (or a 404 for a well-formed id
that names nothing), and change nothing."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DataError

from ofair_app.api.errors import install_error_handlers
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import InvalidInput
from ofair_app.models import Lead
from tests.api.test_leads_api import API, auth, consumer_body, count_rows
from tests.factories import make_professional, make_user

INT4_OVER = 2**31


def _fields(response) -> dict:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["message"]
    return error["fields"]


def _b64(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize("value", [INT4_OVER, 2**63, -1, 0])
async def test_a_locality_out_of_range_is_a_422(client, db, value):
    response = await client.get(f"{API}/professionals", params={"locality": value})
    assert "locality" in _fields(response)


@pytest.mark.parametrize("path", ["/leads/public", "/professionals", "/localities"])
@pytest.mark.parametrize("text", ["חשמל\x00", "\x00", "a\x07b", "line\nbreak", "tab\there"])
async def test_control_characters_in_a_search_text_are_a_422(client, db, path, text):
    response = await client.get(f"{API}{path}", params={"q": text})
    assert "q" in _fields(response)


# A fixed id: the same test names on every collection.
SOME_ID = "b440e0c9-9924-47d5-aa96-d953bf430f1a"
FORGED_CURSORS = [
    "definitely-not-a-cursor",
    "%%%%",
    "אבג",
    _b64([True, "2026-01-01T00:00:00+00:00", SOME_ID]),  # the old, unnamed shape
    _b64({"k": "board", "v": [True, "not a date", SOME_ID]}),
    _b64({"k": "board", "v": [True, "2026-01-01T00:00:00", SOME_ID]}),  # no zone
    _b64({"k": "board", "v": [True, "2026-01-01T00:00:00+00:00"]}),
    _b64({"k": "directory", "v": [True, "4.5", INT4_OVER, SOME_ID]}),
    _b64({"k": "directory", "v": [True, "NaN", 3, SOME_ID]}),
    _b64({"k": "directory", "v": [True, "1e999", 3, SOME_ID]}),
    _b64({"k": "referrals", "v": ["2026-01-01T00:00:00+00:00", "x"]}),
    _b64("just a string"),
    base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
    "A" * 2000,
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
async def test_a_forged_cursor_is_a_422_on_cursor(client, db, cursor):
    _, pro = make_professional()
    for path, headers in (("/leads/public", {}), ("/professionals", {}),
                          ("/leads/board", auth(pro)), ("/referrals", auth(pro))):
        response = await client.get(f"{API}{path}", params={"cursor": cursor}, headers=headers)
        assert "cursor" in _fields(response), path


def test_a_cursor_of_another_list_is_refused():
    board = CursorCodec("board", tuple[int])
    directory = CursorCodec("directory", tuple[int])
    assert board.decode(board.encode([3])) == (3,)
    with pytest.raises(InvalidInput) as refused:
        directory.decode(board.encode([3]))
    assert refused.value.fields == {"cursor": "errors.field.cursor"}


async def test_a_lead_with_out_of_range_or_control_values_is_refused_and_not_written(
        client, db):
    user = make_user()
    body = consumer_body(locality_id=INT4_OVER, title="כותרת\x00", lat=float("1e308") * 10,
                         description="שורה ראשונה\nשורה\x1b שנייה", budget="1e400",
                         client_name="רונית\tלקוחה")
    response = await client.post(f"{API}/leads", content=json.dumps(body).replace(
        "Infinity", "1e999"), headers={**auth(user), "Content-Type": "application/json"})
    assert {"locality_id", "title", "lat", "description", "budget", "client_name"} <= set(
        _fields(response))
    assert count_rows(Lead) == 0


async def test_multiline_texts_keep_their_line_breaks_and_tabs(client, db):
    user = make_user()
    description = "הברז במטבח מטפטף כבר שבוע.\n\tיש רטיבות בארון שמתחת לכיור."
    response = await client.post(f"{API}/leads", json=consumer_body(description=description),
                                 headers=auth(user))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("lead_id", ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"])
async def test_a_malformed_id_in_a_path_is_a_422_and_an_unknown_one_a_404(client, db, lead_id):
    assert "lead_id" in _fields(await client.get(f"{API}/leads/{lead_id}"))
    missing = await client.get(f"{API}/leads/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("params", "field"), [
    ({"amount": "1e400"}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"amount": "1000", "referrer_share_percentage": "Infinity"}, "referrer_share_percentage"),
])
async def test_amounts_that_are_not_finite_or_sane_are_a_422(client, params, field):
    assert field in _fields(await client.get(f"{API}/commission/preview", params=params))


async def test_a_body_that_is_not_utf8_is_a_422_on_body(client, db):
    user = make_user()
    response = await client.post(f"{API}/leads", content=b"\xff\xfe{\x00}",
                                 headers={**auth(user), "Content-Type": "application/json"})
    assert "body" in _fields(response)


async def test_a_broken_multipart_form_is_a_422_on_body(client, db):
    _, pro = make_professional()
    response = await client.post(
        f"{API}/leads/{uuid.uuid4()}/attachments", content=b"--b\r\nNone--b--\r\n",
        headers={**auth(pro), "Content-Type": "multipart/form-data; boundary=b"})
    assert "body" in _fields(response)


async def test_a_value_the_database_refuses_is_a_422_not_a_500():
    # The safety net behind the door's types: a DataError that escapes a service anyway.
    api = FastAPI()
    install_error_handlers(api)

    @api.get("/api/v1/probe")
    def probe():
        raise DataError("SELECT 1", {}, Exception("value out of range for type integer"))

    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as caller:
        response = await caller.get("/api/v1/probe")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
