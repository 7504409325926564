"""The board's short list of leads that may be pinned (migration 0009): who sets the flag, who
clears it, and that pages stay exact whichever way the pinned group is found. Also: a one-letter
word matches only itself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from jobs.runner import run_job
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.models._base import utcnow
from ofair_app.models.identity import UserRole
from ofair_app.services import board, subscriptions
from tests.factories import (
    caller_for,
    consumer_lead_data,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
)


def _flags() -> dict:
    with unit_of_work(SYSTEM) as session:
        return dict(session.execute(text("SELECT lead_id, pinned FROM lead_board")).all())


def _grant(professional_id, months: int = 1) -> None:
    admin = make_user(role=UserRole.admin, name="מנהלת")
    with unit_of_work(caller_for(admin)) as session:
        subscriptions.grant(session=session, caller=caller_for(admin),
                            professional_id=professional_id, months=months)


def _pages(filters: board.BoardFilters, limit: int = 2, now=None) -> list[tuple]:
    out, cursor = [], None
    for _ in range(100):
        with unit_of_work(ANONYMOUS) as session:
            cards, cursor = board.search(session=session, filters=filters, limit=limit,
                                         cursor=cursor, now=now)
        out.extend((card.lead_id, card.pinned) for card in cards)
        if cursor is None:
            return out
    raise AssertionError("the board never ended")


def test_a_subscription_pins_its_leads_and_its_end_unpins_them(db):
    business, owner = make_professional(business_name="מנויים בע\"מ")
    other, other_owner = make_professional(business_name="אחרים")
    before = make_lead(owner, pro_lead_data(business, title="התקנת מזגן"))
    theirs = make_lead(other_owner, pro_lead_data(other, title="התקנת מזגן"))
    consumers = make_lead(make_user(), consumer_lead_data(title="התקנת מזגן"))
    assert not any(_flags().values())

    _grant(business.id)
    after = make_lead(owner, pro_lead_data(business, title="תיקון נזילה"))
    flags = _flags()
    assert flags[before.id] and flags[after.id]  # the grant, and a new lead of a subscriber
    assert not flags[theirs.id] and not flags[consumers.id]
    assert [pinned for _, pinned in _pages(board.BoardFilters())] == [True, True, False, False]

    # Ended by time alone (a month and more later, no update): nothing pins it then, though
    # the flag waits for the job.
    later = utcnow() + timedelta(days=40)
    assert not any(pinned for _, pinned in _pages(board.BoardFilters(), now=later))
    assert _pages(board.BoardFilters(subscribed_only=True), now=later) == []
    assert "unpinned 0 leads" in run_job("renew_subscriptions", as_of=utcnow()).detail
    assert _flags()[before.id]

    assert "unpinned 2 leads" in run_job("renew_subscriptions", as_of=later).detail
    assert not any(_flags().values())
    assert "unpinned 0 leads" in run_job("renew_subscriptions", as_of=later).detail

    # A new grant pins them again at once.
    _grant(business.id)
    assert _flags()[before.id] and _flags()[after.id]


def test_a_subscription_cut_short_unpins_at_once(db):
    business, owner = make_professional()
    lead = make_lead(owner, pro_lead_data(business))
    _grant(business.id)
    assert _flags()[lead.id]
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE professionals SET subscribed_until = NULL WHERE id = :id"),
                        {"id": business.id})
    assert not _flags()[lead.id]


def test_pinned_pages_are_exact_whichever_way_they_are_found(db, monkeypatch):
    """Windows of one lead make both ways run in both groups."""
    monkeypatch.setattr(board, "PINNED_WINDOWS", (1,))
    monkeypatch.setattr(board, "RECENT_WINDOWS", (1, 2))
    monkeypatch.setattr(board, "CATEGORY_WINDOWS", (1,))
    business, owner = make_professional(business_name="מנויים")
    other, other_owner = make_professional(business_name="אחרים")
    consumer = make_user()
    made = []
    for i in range(12):
        title = "התקנת מזגן" if i % 3 == 0 else "תיקון נזילה"
        if i % 2:
            made.append((make_lead(owner, pro_lead_data(business, title=title)), True, title))
        elif i % 4:
            made.append((make_lead(other_owner, pro_lead_data(other, title=title)), False, title))
        else:
            made.append((make_lead(consumer, consumer_lead_data(title=title)), False, title))
    _grant(business.id)
    with unit_of_work(SYSTEM) as session:
        created = dict(session.execute(text("SELECT lead_id, created_at FROM lead_board")).all())

    for q in (None, "מזגן", "נזילה"):
        matches = [(lead.id, pinned) for lead, pinned, title in made
                   if q is None or q in title]
        expected = sorted(matches, key=lambda m: (m[1], created[m[0]], m[0]), reverse=True)
        assert _pages(board.BoardFilters(q=q)) == expected, q
        assert _pages(board.BoardFilters(q=q, subscribed_only=True)) == \
            [m for m in expected if m[1]], q


def test_a_one_letter_word_matches_only_itself(db):
    owner = make_user()
    alone = make_lead(owner, consumer_lead_data(title="תיקון דוד שמש קומה ד"))
    make_lead(owner, consumer_lead_data(title="החלפת דוד חשמלי"))
    with unit_of_work(ANONYMOUS) as session:
        cards, _ = board.search(session=session, filters=board.BoardFilters(q="ד"))
        assert [card.lead_id for card in cards] == [alone.id]
        cards, _ = board.search(session=session, filters=board.BoardFilters(q="דו"))
        assert len(cards) == 2  # two letters are the start of a word


def test_the_board_settings_apply_to_its_statements_only(db):
    with unit_of_work(ANONYMOUS) as session:
        before = session.execute(text("SELECT current_setting('work_mem'), "
                                      "current_setting('random_page_cost')")).one()
        board.search(session=session, filters=board.BoardFilters(q="מזגן"))
        after = session.execute(text("SELECT current_setting('work_mem'), "
                                     "current_setting('random_page_cost'), "
                                     "current_setting('statement_timeout')")).one()
    assert tuple(after[:2]) == tuple(before)
    assert after[2] != f"{board.get_settings().board_statement_timeout_ms}ms"


def test_the_subscribers_travel_as_one_typed_array(db):
    """The board reads the businesses subscribing now as one `uuid[]` string and sends it back
    as it is: the same set, usable with `= ANY(...)`, empty as `{}`."""
    from ofair_app.db.id_arrays import IdArray

    business, _ = make_professional(business_name="מנויה")
    other, _ = make_professional(business_name="מנויה שנייה")
    make_professional(business_name="לא מנויה")
    with unit_of_work(ANONYMOUS) as session:
        assert board.subscribed_businesses(session).empty
    _grant(business.id)
    _grant(other.id)
    with unit_of_work(ANONYMOUS) as session:
        subscribed = board.subscribed_businesses(session)
        assert isinstance(subscribed, IdArray) and not subscribed.empty
        found = session.execute(text(
            "SELECT id FROM professionals WHERE id = ANY(:ids)").bindparams(
            ids=subscribed)).scalars().all()
        assert set(found) == {business.id, other.id}
        later = board.subscribed_businesses(session, utcnow() + timedelta(days=400))
        assert later.empty
