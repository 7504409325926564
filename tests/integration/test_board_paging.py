"""The Lead Board's state on real Postgres: what each event's delta (the websocket answer) carries.
"More" answers with its own page only, never the pages before it; at the end of the list it
still answers; a search starts a new list; an empty filtered board knows it is filtered."""

from __future__ import annotations

import inspect

import pytest
from reflex.state import State

import ofair_app.ofair_app  # noqa: F401 (registers every page's state)
from ofair_app.ui.pages.pro_home import PAGE, BoardState
from ofair_app.ui.state.session import SessionState
from tests.factories import (
    city,
    consumer_lead_data,
    make_lead,
    make_professional,
    make_user,
    token_for,
)

LEADS = 2 * PAGE + 5  # two full pages and a short third


@pytest.fixture
async def board(db):
    """A signed-in business's board state in a fresh state tree, with `LEADS` leads in its
    area, and the tree's root for deltas."""
    _, owner = make_professional(locality_id=city("Haifa"), service_radius_km=30)
    consumer = make_user(name="צרכן")
    for n in range(LEADS):
        make_lead(consumer, consumer_lead_data(title=f"עבודה מספר {n:02d}"))
    root = State(_reflex_internal_init=True)
    session = await root.get_state(SessionState)
    session.token = token_for(owner)
    board = await root.get_state(BoardState)
    root._clean()
    return root, board


async def _run(root: State, handler, *args) -> list[dict]:
    """The handler's deltas for the board, one per answer the browser would get (a yield
    sends one, the end another), as Reflex builds them after each step."""
    deltas = []
    result = handler.fn(*args)
    if inspect.isasyncgen(result):
        async for _ in result:
            deltas.append(await root._get_resolved_delta())
            root._clean()
    else:
        await result
    deltas.append(await root._get_resolved_delta())
    root._clean()
    name = BoardState.get_full_name()
    return [{key.removesuffix("_rx_state_"): value
             for key, value in delta.get(name, {}).items()} for delta in deltas]


def _lists(delta: dict) -> list[list]:
    return [value for value in delta.values() if isinstance(value, list)]


async def test_more_answers_with_the_new_page_only(board):
    root, state = board
    [opened] = await _run(root, BoardState.open, state)
    first = opened["page_rows"]
    assert len(first) == PAGE and opened["page_key"].endswith(":1")
    seen = [row["id"] for row in first]

    for page in (2, 3):
        answers = await _run(root, BoardState.more, state)
        assert answers[0] == {"loading": True}  # the button's spinner, nothing else
        last = answers[-1]
        assert last["loading"] is False
        assert last["page_key"] == opened["page_key"].replace(":1", f":{page}")
        # The only list in the answer is the new page: no card shown before comes again.
        assert _lists(last) == [last["page_rows"]]
        ids = [row["id"] for row in last["page_rows"]]
        assert len(ids) == (PAGE if page == 2 else LEADS - 2 * PAGE)
        assert not set(ids) & set(seen)
        seen += ids
    assert len(set(seen)) == LEADS
    assert state.cursor == ""

    # The end of the list: "more" still answers, with an empty page under a new key.
    [end] = await _run(root, BoardState.more, state)
    assert end == {"page_rows": [], "page_key": opened["page_key"].replace(":1", ":4")}


async def test_a_search_starts_a_new_list(board):
    root, state = board
    [opened] = await _run(root, BoardState.open, state)
    await _run(root, BoardState.more, state)
    [searched] = await _run(root, BoardState.apply, state,
                            {"q": "מספר 07", "budget_min": "", "budget_max": ""})
    assert searched["page_key"].endswith(":1")
    assert searched["page_key"].split(":")[0] != opened["page_key"].split(":")[0]
    assert [row["title"] for row in searched["page_rows"]] == ["עבודה מספר 07"]


async def test_an_empty_filtered_board_knows_it_is_filtered(board):
    root, state = board
    await _run(root, BoardState.open, state)
    assert state.filtered is False
    [none] = await _run(root, BoardState.apply, state,
                        {"q": "אין כזה דבר", "budget_min": "", "budget_max": ""})
    assert none["page_rows"] == [] and state.filtered is True
    [cleared] = await _run(root, BoardState.clear, state)
    assert len(cleared["page_rows"]) == PAGE and state.filtered is False
    assert state.q == "" and state.radius == 30


async def test_another_business_in_the_tab_starts_from_its_own_radius(board):
    root, state = board
    await _run(root, BoardState.open, state)
    await _run(root, BoardState.set_radius_km, state, "80")
    assert state.radius == 80 and state.filtered is True
    [again] = await _run(root, BoardState.open, state)  # the same business: its radius stays
    assert state.radius == 80
    _, other = make_professional(business_name="אילת", locality_id=city("Eilat"),
                                 service_radius_km=5)
    (await root.get_state(SessionState)).token = token_for(other)
    [opened] = await _run(root, BoardState.open, state)
    assert state.radius == 5 and state.filtered is False
    assert opened["page_rows"] == [] and opened["page_key"] != again["page_key"]


async def test_a_search_past_the_time_limit_says_narrow_your_search_on_the_page(board,
                                                                                 monkeypatch):
    """The board statement waits on a lock past BOARD_STATEMENT_TIMEOUT_MS: the page shows the
    translated message; the next search, unhindered, answers."""
    from sqlalchemy import text

    from ofair_app.db.engine import owner_engine
    from ofair_app.i18n import translate
    from ofair_app.settings import get_settings

    root, state = board
    await _run(root, BoardState.open, state)
    monkeypatch.setenv("BOARD_STATEMENT_TIMEOUT_MS", "200")
    get_settings.cache_clear()
    try:
        with owner_engine().connect() as conn:
            transaction = conn.begin()
            conn.execute(text("LOCK TABLE lead_board IN ACCESS EXCLUSIVE MODE"))
            [answer] = await _run(root, BoardState.apply, state, {"q": "עבודה"})
            transaction.rollback()
        assert answer["error"] == translate("errors.board.search_too_broad", state.locale)
        [again] = await _run(root, BoardState.apply, state, {"q": "עבודה"})
        assert again["error"] == "" and len(again["page_rows"]) == PAGE
    finally:
        monkeypatch.delenv("BOARD_STATEMENT_TIMEOUT_MS")
        get_settings.cache_clear()
