"""The Lead Board's safety net: a board statement that runs past BOARD_STATEMENT_TIMEOUT_MS ends
with "narrow your search" (422 `search_too_broad`, translated), never a hang or a 500.

The test makes a statement slow for real: another connection holds an ACCESS EXCLUSIVE lock on
`lead_board`, so the board's SELECT waits, and waiting counts against the statement timeout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from ofair_app.db.engine import ANONYMOUS, owner_engine, unit_of_work
from ofair_app.services import board
from ofair_app.settings import get_settings
from tests.factories import make_lead, make_professional, make_user, token_for

API = "/api/v1"


@pytest.fixture
def short_timeout(monkeypatch) -> Iterator[int]:
    monkeypatch.setenv("BOARD_STATEMENT_TIMEOUT_MS", "200")
    get_settings.cache_clear()
    try:
        yield 200
    finally:
        monkeypatch.delenv("BOARD_STATEMENT_TIMEOUT_MS")
        get_settings.cache_clear()


@contextmanager
def board_locked() -> Iterator[None]:
    with owner_engine().connect() as conn:
        transaction = conn.begin()
        conn.execute(text("LOCK TABLE lead_board IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            transaction.rollback()


def test_the_service_raises_search_too_broad_and_restores_the_timeout(db, short_timeout):
    make_lead(make_user())
    with unit_of_work(ANONYMOUS) as session:
        before = session.execute(text("SHOW statement_timeout")).scalar_one()
        cards, _ = board.search(session=session, filters=board.BoardFilters())
        assert len(cards) == 1
        # The board's limit applies to its own statements only.
        assert session.execute(text("SHOW statement_timeout")).scalar_one() == before
    with board_locked(), pytest.raises(board.SearchTooBroad) as raised, \
            unit_of_work(ANONYMOUS) as session:
        board.search(session=session, filters=board.BoardFilters(q="נזילה"))
    assert raised.value.status == 422
    assert raised.value.code == "search_too_broad"


@pytest.mark.parametrize(("language", "words"), [("he", "לצמצם"), ("en", "Narrow")])
async def test_the_public_board_answers_422_narrow_your_search(client, short_timeout, language,
                                                                 words):
    make_lead(make_user())
    with board_locked():
        response = await client.get(f"{API}/leads/public", params={"q": "נזילה"},
                                    headers={"Accept-Language": language})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "search_too_broad"
    assert words in error["message"]
    # The lock is gone: the same search answers again.
    again = await client.get(f"{API}/leads/public", params={"q": "נזילה"})
    assert again.status_code == 200


async def test_a_business_board_answers_422_too(client, short_timeout):
    _, owner = make_professional()
    headers = {"Authorization": f"Bearer {token_for(owner)}", "Accept-Language": "en"}
    with board_locked():
        response = await client.get(f"{API}/leads/board", headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "search_too_broad"
