"""The accessibility statement's state on real Postgres: anyone may open it, signed in or not,
and it shows the coordinator and the review day of the running app's settings."""

from __future__ import annotations

import pytest
from reflex.state import State

import ofair_app.ofair_app  # noqa: F401 (registers every page's state)
from ofair_app.settings import get_settings
from ofair_app.ui.pages.accessibility import AccessibilityState, Coordinator
from ofair_app.ui.state.session import SessionState
from tests.factories import make_user, token_for


@pytest.fixture
def coordinator_settings(monkeypatch):
    monkeypatch.setenv("ACCESSIBILITY_COORDINATOR_NAME", "מיכל לוי")
    monkeypatch.setenv("ACCESSIBILITY_COORDINATOR_PHONE", "03-555-0142")
    monkeypatch.setenv("ACCESSIBILITY_COORDINATOR_EMAIL", "negishut@example.co.il")
    monkeypatch.setenv("ACCESSIBILITY_REVIEWED_ON", "2026-11-24")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


async def _opened(token: str = "") -> tuple[AccessibilityState, SessionState]:
    root = State(_reflex_internal_init=True)
    session = await root.get_state(SessionState)
    session.token = token
    page = await root.get_state(AccessibilityState)
    await AccessibilityState.open.fn(page)
    return page, session


async def test_a_visitor_reads_the_coordinator_and_review_day_from_settings(
        db, coordinator_settings):
    page, session = await _opened()
    assert page.access == "ok"
    assert not session.signed_in
    assert page.coordinator == Coordinator(name="מיכל לוי", phone="03-555-0142",
                                           phone_href="tel:035550142",
                                           email="negishut@example.co.il")
    assert page.reviewed == {"he": "24 בנובמבר 2026", "en": "24 November 2026"}


async def test_a_signed_in_reader_keeps_their_top_bar(db, coordinator_settings):
    user = make_user(name="רונית")
    page, session = await _opened(token_for(user))
    assert page.access == "ok"
    assert session.signed_in and session.user_name == "רונית"
    assert page.coordinator.name == "מיכל לוי"


async def test_without_a_name_the_page_shows_the_role(db, monkeypatch):
    monkeypatch.delenv("ACCESSIBILITY_COORDINATOR_NAME", raising=False)
    get_settings.cache_clear()
    try:
        page, _ = await _opened()
        assert page.coordinator.name == ""
        assert page.coordinator.email == "accessibility@ofair.co.il"
    finally:
        get_settings.cache_clear()
