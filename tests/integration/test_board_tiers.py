"""Tiers order the Lead Board (issue 22 point 2, migration 0032): a business's tier gives its
leads a head start in time (`TIER_BOARD_BOOST_HOURS`), so they rank as if posted that much
later, within their group: pinned leads still come first, a fresh lead still beats a boosted
old one, pages stay exact, and a tier that changes moves the leads already on the board."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import select

from ofair_app import reference
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.leads import LeadStatus, LeadType
from ofair_app.domain.tiers import Tier
from ofair_app.models import Lead, ProfessionalTier, TierEvaluation
from ofair_app.models._base import utcnow
from ofair_app.services import board, tiers
from tests import standin
from tests.factories import make_professional, make_user
from tests.integration.test_board_pinned import _grant

CATEGORY = "plumbing"


def _posted(title: str, hours_ago: float, *, business=None, owner=None) -> Lead:
    """An open public lead posted `hours_ago` (a business's referral, or a client's request)."""
    now = utcnow()
    with unit_of_work(SYSTEM) as session:
        lead = Lead(type=LeadType.professional_referral if business else LeadType.consumer,
                    title=title, short_description=title, category_slug=CATEGORY,
                    lat=32.08, lon=34.78, owner_user_id=owner.id,
                    owner_professional_id=business.id if business else None, budget=800,
                    referrer_share_percentage=10 if business else None,
                    status=LeadStatus.active, created_at=now - timedelta(hours=hours_ago))
        session.add(lead)
        session.flush()
        return lead


def _hold(business, tier: Tier, boost_hours: float) -> None:
    """`business` holds `tier` with that head start, as the `update_tiers` job writes it."""
    with unit_of_work(SYSTEM) as session:
        held = session.get(ProfessionalTier, business.id)
        months = len(session.exec(select(TierEvaluation.id).where(
            TierEvaluation.professional_id == business.id)).all())
        evaluation = TierEvaluation(professional_id=business.id, month=date(2020 + months, 1, 1),
                                    tier=tier, previous_tier=Tier.bronze, completed_jobs=0,
                                    disputes_lost=0)
        session.add(evaluation)
        session.flush()
        held = held or ProfessionalTier(professional_id=business.id, tier=tier, since=utcnow(),
                                        evaluation_id=evaluation.id)
        held.tier, held.evaluation_id = tier, evaluation.id
        held.board_boost = timedelta(hours=boost_hours)
        session.add(held)


def _board(limit: int = 50) -> list[str]:
    """The titles of the whole board, page by page (`limit` a page)."""
    titles, cursor = [], None
    for _ in range(50):
        with unit_of_work(ANONYMOUS) as session:
            cards, cursor = board.search(session=session, filters=board.BoardFilters(
                category=CATEGORY), limit=limit, cursor=cursor)
        titles += [card.title for card in cards]
        if cursor is None:
            assert len(titles) == len(set(titles)), titles  # no page repeats a lead
            return titles
    raise AssertionError("the board never ended")


def _boosted() -> dict[str, object]:
    with unit_of_work(SYSTEM) as session:
        return dict(session.execute(text(
            "SELECT b.title, b.boosted_at - b.created_at FROM lead_board b")).all())


def test_a_tier_moves_its_leads_up_within_their_group_and_back_when_it_changes(db):
    gold, gold_owner = make_professional(business_name="זהב")
    bronze, bronze_owner = make_professional(business_name="ארד")
    subscriber, subscriber_owner = make_professional(business_name="מנוי")
    client = make_user(name="לקוחה")
    _posted("gold-3h", 3, business=gold, owner=gold_owner)
    _posted("bronze-1h", 1, business=bronze, owner=bronze_owner)
    _posted("bronze-5h", 5, business=bronze, owner=bronze_owner)
    _posted("client-2h", 2, owner=client)
    _posted("pinned-10h", 10, business=subscriber, owner=subscriber_owner)
    _grant(subscriber.id)
    newest_first = ["pinned-10h", "bronze-1h", "client-2h", "gold-3h", "bronze-5h"]
    assert _board() == newest_first
    assert set(_boosted().values()) == {None}  # nobody holds a tier: nothing moved

    # Gold's head start of 4 hours: its 3-hour-old lead ranks as if posted an hour from now,
    # first of the unpinned, and never above the pinned lead.
    _hold(gold, Tier.gold, 4)
    assert _board() == ["pinned-10h", "gold-3h", "bronze-1h", "client-2h", "bronze-5h"]
    assert _board(limit=2) == _board()  # the cursor pages by the same order
    assert _boosted()["gold-3h"] == timedelta(hours=4)

    # A lead it posts while Gold gets the head start too: posted 7 hours ago, it ranks with
    # the 3-hour-old ones, still below fresher leads of anyone.
    _posted("gold-7h", 7, business=gold, owner=gold_owner)
    assert _board() == ["pinned-10h", "gold-3h", "bronze-1h", "client-2h", "gold-7h",
                        "bronze-5h"]
    assert _board(limit=1) == _board()

    # A tier orders the pinned group the same way, which stays above every other lead.
    second, second_owner = make_professional(business_name="מנוי שני")
    _grant(second.id)
    _posted("pinned-1h", 1, business=subscriber, owner=subscriber_owner)
    _posted("pinned-4h", 4, business=second, owner=second_owner)
    assert _board()[:4] == ["pinned-1h", "pinned-4h", "pinned-10h", "gold-3h"]
    _hold(subscriber, Tier.premium, 10)
    assert _board()[:4] == ["pinned-1h", "pinned-10h", "pinned-4h", "gold-3h"]
    assert _board(limit=3) == _board()

    # Back to Bronze: the leads are back where their time puts them.
    _hold(gold, Tier.bronze, 0)
    _hold(subscriber, Tier.bronze, 0)
    assert _board() == ["pinned-1h", "pinned-4h", "pinned-10h", *newest_first[1:], "gold-7h"]
    assert set(_boosted().values()) == {None}


def test_the_monthly_job_sets_each_tier_head_start_from_the_settings(db, monkeypatch):
    business, owner = make_professional(business_name="חודשי")
    rival, rival_owner = make_professional(business_name="מתחרה")
    _posted("ours-2h", 2, business=business, owner=owner)
    _posted("theirs-1h", 1, business=rival, owner=rival_owner)
    with unit_of_work(SYSTEM) as session:  # the job evaluates active businesses: `business`
        session.execute(text("UPDATE professionals SET status = 'active' WHERE id = :id"),
                        {"id": business.id})
    assert _board() == ["theirs-1h", "ours-2h"]

    hours = {"bronze": 1.5, "silver": 2, "gold": 4, "premium": 8}
    with standin.configured(monkeypatch, {"TIER_BOARD_BOOST_HOURS": json.dumps(hours)}), \
            unit_of_work(SYSTEM) as session:
        run = tiers.update_all(session=session, as_of=utcnow())
    assert run.evaluated == 1
    with unit_of_work(SYSTEM) as session:
        held = session.get(ProfessionalTier, business.id)
        assert (held.tier, held.board_boost) == (Tier.bronze, timedelta(hours=1.5))
    assert _boosted()["ours-2h"] == timedelta(hours=1.5)
    assert _board() == ["ours-2h", "theirs-1h"]


def test_a_category_and_the_words_find_the_same_order(db):
    """The board reads its newest leads through the order's indexes, or every match at once
    (`board._query` without a window): both order by rank."""
    gold, gold_owner = make_professional(business_name="זהב")
    other, other_owner = make_professional(business_name="אחר")
    assert reference.category(CATEGORY) is not None
    _posted("תיקון נזילה ישן", 3, business=gold, owner=gold_owner)
    _posted("תיקון נזילה חדש", 1, business=other, owner=other_owner)
    _hold(gold, Tier.silver, 2.5)
    for filters in (board.BoardFilters(category=CATEGORY), board.BoardFilters(q="נזילה"),
                    board.BoardFilters(q="נזילה", category=CATEGORY)):
        with unit_of_work(ANONYMOUS) as session:
            cards, _ = board.search(session=session, filters=filters)
        assert [card.title for card in cards] == ["תיקון נזילה ישן", "תיקון נזילה חדש"]
