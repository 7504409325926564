"""The Lead Board: open public leads, filtered, nearest-first in spirit and newest-first in order,
with leads of subscribing businesses pinned on top.

Queries read `lead_board`, the public projection the database keeps of open public leads
(migration 0003 explains why: under row-level security PostgreSQL could not use the text and
place indexes). It holds nothing private, so whatever it answers is safe to show anyone.

Order: pinned leads first, then the rest; within each, newest first by rank (`RANK`, then
`lead_id`, descending): a lead's rank is when it was posted, plus its business's head start when
the business's performance tier gives one (`TIER_BOARD_BOOST_HOURS`, migration 0032). The cursor
names the last card's group and position, so pages never skip or repeat a lead while new ones
arrive.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
import sqlalchemy as sa
from pydantic import AwareDatetime
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlmodel import Session, col, select

from ofair_app import reference
from ofair_app.db.engine import Caller
from ofair_app.db.id_arrays import IdArray
from ofair_app.domain import leads as rules
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import Forbidden, InvalidInput
from ofair_app.domain.inputs import has_control_characters
from ofair_app.domain.leads import LeadType
from ofair_app.models import Professional
from ofair_app.models._base import utcnow
from ofair_app.services import unlocks
from ofair_app.services.professionals import acting_business
from ofair_app.settings import get_settings

PAGE_MAX = 50
KM_PER_DEGREE = 111.045
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Hebrew's final letters in their usual form, as `board_document` indexes them (migration 0008).
_FINAL_LETTERS = str.maketrans("ךםןףץ", "כמנפצ")

board = sa.Table(
    "lead_board", sa.MetaData(),
    sa.Column("lead_id", sa.Uuid(), primary_key=True),
    sa.Column("type", sa.String()),
    sa.Column("title", sa.String()),
    sa.Column("short_description", sa.String()),
    sa.Column("category_slug", sa.String()),
    sa.Column("subcategory_slug", sa.String()),
    sa.Column("locality_id", sa.Integer()),
    sa.Column("lat", sa.Float()),
    sa.Column("lon", sa.Float()),
    sa.Column("budget", sa.Numeric(12, 2)),
    sa.Column("referrer_share_percentage", sa.Numeric(5, 2)),
    sa.Column("preferred_schedule", sa.String()),
    sa.Column("owner_professional_id", sa.Uuid()),
    sa.Column("proposal_count", sa.Integer()),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("search_doc", postgresql.TSVECTOR()),
    sa.Column("budget_cents", sa.BigInteger()),
    sa.Column("pinned", sa.Boolean()),
    sa.Column("direct_contact", sa.Boolean()),
    sa.Column("unlock_count", sa.SmallInteger()),
    sa.Column("boosted_at", sa.DateTime(timezone=True)),
)
B = board.c
# The columns a condition is written on: the board's own, or a window's of it (a subquery).
Columns = ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]
# The board's order: when the lead was posted, or later by its business's tier's head start.
# The newest-first indexes are on this very expression (migration 0032).
RANK = sa.func.coalesce(B.boosted_at, B.created_at)
# What a card shows (the search document, the budget's index copy and the flag of leads that may
# be pinned stay in the database: a card is pinned when its business subscribes right now).
CARD_COLUMNS = [column for column in board.c
                if column.name not in ("search_doc", "budget_cents", "pinned", "boosted_at")]
# The first tries read only the newest leads after the cursor, newest first, until a page
# matches; when they come up short, every match is found at once (`_query`). A further window
# is read only when the last one's rate of matches foretells twice the page in it; rarer matches
# are quicker found all at once. Measured at 10M leads (benchmarks/bench_board.py --random):
# - without a category, the newest 40,000 lie together, in the order they were written (about
#   6,000 pages), while every match of a word found in 1-3 % of the leads is as many rows
#   scattered over the board (20,000-70,000 pages): the second window saves most of those;
# - a category's newest leads lie a dozen rows apart, so its 40,000 are 40,000 pages, more than
#   every match in one category costs: one window;
# - the pinned group's own small indexes find every match quickly: one small window.
RECENT_WINDOWS = (4000, 40_000)
CATEGORY_WINDOWS = (4000,)
PINNED_WINDOWS = (500,)


@dataclass(frozen=True)
class BoardFilters:
    """What a visitor narrows the board by. A point and a radius go together."""

    category: str | None = None
    subcategory: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    type: LeadType | None = None
    q: str | None = None
    subscribed_only: bool = False
    # Not a visitor's filter: a business does not see its own leads on its board.
    exclude_professional_id: uuid.UUID | None = None


@dataclass(frozen=True)
class BoardCard:
    lead_id: uuid.UUID
    type: LeadType
    title: str
    short_description: str
    category_slug: str
    subcategory_slug: str | None
    locality_id: int | None
    lat: float
    lon: float
    budget: Decimal | None
    referrer_share_percentage: Decimal | None
    preferred_schedule: str
    owner_professional_id: uuid.UUID | None
    proposal_count: int
    created_at: datetime
    pinned: bool
    distance_km: float | None
    business: Professional | None = field(default=None, compare=False)
    # A direct-contact lead: what unlocking its client costs and the places left (else None).
    unlock: unlocks.Offer | None = None


def check_filters(filters: BoardFilters) -> BoardFilters:
    """Refuses filters that cannot mean anything (422 naming the field)."""
    if filters.q and has_control_characters(filters.q):  # PostgreSQL cannot even take a NUL
        raise InvalidInput(fields={"q": "errors.text.control"})
    if filters.category and reference.category(filters.category) is None:
        raise InvalidInput(fields={"category": "errors.category.unknown"})
    if filters.subcategory:
        found = reference.subcategory(filters.subcategory)
        if found is None or (filters.category and found[0].slug != filters.category):
            raise InvalidInput(fields={"subcategory": "errors.category.sub_unknown"})
    has_point = filters.lat is not None or filters.lon is not None
    if has_point and (filters.lat is None or filters.lon is None):
        raise InvalidInput(fields={"lat" if filters.lat is None else "lon":
                                   "errors.field.required"})
    if filters.lat is not None and filters.lon is not None and \
            not rules.in_israel(filters.lat, filters.lon):
        raise InvalidInput(fields={"lat": "errors.lead.outside_israel"})
    if filters.radius_km is not None:
        low, high = rules.RADIUS_KM_RANGE
        if not (low <= filters.radius_km <= high) or not math.isfinite(filters.radius_km):
            raise InvalidInput(fields={"radius_km": "errors.lead.radius_range"},
                               params={"min": low, "max": high})
        if not has_point:
            raise InvalidInput(fields={"lat": "errors.lead.radius_needs_point"})
    for name in ("budget_min", "budget_max"):
        value = getattr(filters, name)
        if value is not None:
            rules.parse_money(value, field=name)
    if filters.budget_min is not None and filters.budget_max is not None and \
            filters.budget_min > filters.budget_max:
        raise InvalidInput(fields={"budget_max": "errors.lead.budget_range"})
    if filters.q is not None and len(filters.q) > 80:
        raise InvalidInput(fields={"q": "errors.field.max_length"}, params={"max": 80})
    return filters


def distance_sql(lat: float, lon: float, c: Columns = B) -> sa.ColumnElement[float]:
    """Great-circle distance in km from a point to the card's place (haversine)."""
    return 2 * reference.EARTH_RADIUS_KM * sa.func.asin(sa.func.sqrt(
        sa.func.power(sa.func.sin(sa.func.radians(c.lat - lat) / 2), 2)
        + sa.func.cos(sa.func.radians(lat)) * sa.func.cos(sa.func.radians(c.lat))
        * sa.func.power(sa.func.sin(sa.func.radians(c.lon - lon) / 2), 2)))


def _box(lat: float, lon: float, radius_km: float, c: Columns = B) -> sa.ColumnElement[bool]:
    """Points within the radius lie inside this box. Plain float ranges (leakproof, so the
    planner uses their statistics and the (category, lat, lon) index) rather than a point in
    a box, whose selectivity PostgreSQL can only guess (benchmarks/bench_board.py)."""
    dlat = radius_km / KM_PER_DEGREE
    dlon = radius_km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return sa.and_(c.lat.between(lat - dlat, lat + dlat), c.lon.between(lon - dlon, lon + dlon))


def search_words(q: str | None) -> list[str]:
    """The words a search looks for, as the board's document holds them: lower case, Hebrew's
    final letters in their usual form, at most 8 words of at most 40 letters (an underscore
    parts words, as in the document)."""
    if not q:
        return []
    return [w[:40] for w in _WORD.findall(q.lower().translate(_FINAL_LETTERS))[:8]]


def text_condition(words: list[str], c: Columns = B,
                   tags: tuple[str, ...] = ()) -> sa.ColumnElement[bool]:
    """Every word, as the start of a word of the lead's title or summary, in Hebrew or English
    (`חשמל` finds `חשמלאי`, `מזגן` finds `מזגנים`); a Hebrew word is also found behind
    one-letter prefixes (`מזגן` finds `ומזגנים`). A one-letter word matches only itself. The
    document holds each word's starts and its words without the prefixes (migrations 0008 and
    0009b), so each searched word is one whole entry of the index; `tags` (`#c:<category>`,
    `#s:<subcategory>`, `#t:<type>`) ask the same index for those too, in one search."""
    entries = [*words, *tags]
    tsquery = " & ".join("'" + entry.replace("'", "''") + "'" for entry in entries)
    return c.search_doc.op("@@")(sa.cast(sa.literal(tsquery), postgresql.TSQUERY))


# Each page is planned for its own values (a generic plan cannot tell a crowded city from a
# village, and picks badly for one of them: benchmarks/bench_board.py), its statements may run
# `board_statement_timeout_ms` at most, and the bitmaps of broad conditions stay exact (at the
# default 4 MB, two conditions of 300,000 leads each made a lossy bitmap, whose every page was
# then read and rechecked: seconds at 10M leads), and reading a row costs what it costs when the
# board is in memory: at the default `random_page_cost` of 4 the planner ANDed a 9,000-lead word
# bitmap with a 330,000-lead place bitmap to save heap reads that cost less than building it
# (180 ms instead of 50). Returns the settings it replaces.
BOARD_WORK_MEM = "64MB"
BOARD_RANDOM_PAGE_COST = "1.1"
_BOARD_SETTINGS = sa.text(
    "SELECT current_setting('statement_timeout') AS timeout, "
    "current_setting('work_mem') AS work_mem, "
    "current_setting('random_page_cost') AS random_page_cost, "
    "set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('statement_timeout', :timeout, true), "
    "set_config('work_mem', :work_mem, true), "
    "set_config('random_page_cost', :random_page_cost, true)")
_RESTORE = sa.text("SELECT set_config('statement_timeout', :timeout, true), "
                   "set_config('work_mem', :work_mem, true), "
                   "set_config('random_page_cost', :random_page_cost, true)")


class SearchTooBroad(InvalidInput):
    """A board search ran past its time: the searcher is asked to narrow it."""

    code, message_key = "search_too_broad", "errors.board.search_too_broad"


# A board page ends at (pinned group?, rank, lead id).
BOARD_CURSOR = CursorCodec("board", tuple[bool, AwareDatetime, uuid.UUID])


_SUBSCRIBED = sa.text("SELECT coalesce(array_agg(id ORDER BY id), '{}')::text"
                      " FROM professionals WHERE subscribed_until > :now")


def subscribed_businesses(session: Session, now: datetime | None = None) -> IdArray:
    """Businesses whose leads are pinned right now, as one value (see `db.id_arrays`)."""
    return IdArray(session.execute(_SUBSCRIBED, {"now": now or utcnow()}).scalar_one())


def _tags(filters: BoardFilters) -> tuple[str, ...]:
    """The document's tags of the category, subcategory and type a search asks for."""
    wanted = (("#c:", filters.category), ("#s:", filters.subcategory), ("#t:", filters.type))
    return tuple(f"{tag}{value}" for tag, value in wanted if value)


def _conditions(filters: BoardFilters, c: Columns, *, pinned_ids: IdArray,
                pinned_group: bool, tagged: bool) -> list[sa.ColumnElement[bool]]:
    """Every condition of the filters and the group, on the columns `c` (the board or a window
    of it), apart from the category and the cursor. `tagged`: the words and the category,
    subcategory and type in one search of the word index."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.subcategory and not tagged:
        conditions.append(c.subcategory_slug == filters.subcategory)
    if filters.type and not tagged:
        conditions.append(c.type == str(filters.type))
    # In cents: integer comparisons let the planner read the budgets' statistics (0008).
    if filters.budget_min is not None:
        conditions.append(c.budget_cents >= math.ceil(filters.budget_min * 100))
    if filters.budget_max is not None:
        conditions.append(c.budget_cents <= math.floor(filters.budget_max * 100))
    if filters.lat is not None and filters.lon is not None and filters.radius_km is not None:
        conditions.append(_box(filters.lat, filters.lon, filters.radius_km, c))
        conditions.append(distance_sql(filters.lat, filters.lon, c) <= filters.radius_km)
    words = search_words(filters.q)
    if words:
        conditions.append(text_condition(words, c, _tags(filters) if tagged else ()))
    if filters.exclude_professional_id is not None:
        conditions.append(sa.or_(c.owner_professional_id.is_(None),
                                 c.owner_professional_id != filters.exclude_professional_id))
    owner_pinned = (c.owner_professional_id == sa.func.any(pinned_ids.param())
                    if not pinned_ids.empty else sa.false())
    if pinned_group:
        conditions.append(owner_pinned)
    elif not pinned_ids.empty:
        conditions.append(sa.or_(c.owner_professional_id.is_(None), ~owner_pinned))
    return conditions


def _query(filters: BoardFilters, *, pinned_ids: IdArray, pinned_group: bool,
           after: tuple[datetime, uuid.UUID] | None, limit: int,
           window: int | None) -> sa.Select[Any]:
    """The newest `limit` leads of a group that match, after the cursor, in one of two ways:

    - with `window`: among the newest `window` leads (of the category) after the cursor only,
      read newest first until `limit` match. Quick when matches are common; when fewer than
      `limit` turn up, it proves nothing about older leads, and the caller asks again without;
    - without: every match first, through whichever indexes select best (words, place,
      category, budget, subscribers), then the newest of them. Quick when matches are few:
      exactly when the window came up short. Ordering by an expression no index provides keeps
      the planner from walking the newest-first index and filtering, which reads the whole
      board when its estimate of the matches is too high (benchmarks/bench_board.py --random).
      With words, the category, subcategory and type are asked of the word index with them.
    """
    tagged = window is None and bool(search_words(filters.q))
    scoped: list[sa.ColumnElement[bool]] = []
    if pinned_group:  # the small partial indexes of leads that may be pinned (migration 0009)
        scoped.append(B.pinned)
    if filters.category and not tagged:
        scoped.append(B.category_slug == filters.category)
    if after is not None:
        scoped.append(sa.tuple_(RANK, B.lead_id) < sa.tuple_(*after))
    source: sa.FromClause
    if window is not None:
        recent = (sa.select(board, RANK.label("ranked_at")).where(*scoped)
                  .order_by(RANK.desc(), B.lead_id.desc())
                  .limit(window).subquery("recent"))
        c, order = recent.c, (recent.c.ranked_at.desc(), recent.c.lead_id.desc())
        source, conditions, rank = recent, [], recent.c.ranked_at
    else:
        c, order = B, ((RANK + sa.text("interval '0'")).desc(), B.lead_id.desc())
        source, conditions, rank = board, scoped, RANK.label("ranked_at")
    conditions += _conditions(filters, c, pinned_ids=pinned_ids, pinned_group=pinned_group,
                              tagged=tagged)
    distance = (distance_sql(filters.lat, filters.lon, c)
                if filters.lat is not None and filters.lon is not None else sa.null())
    columns = [c[column.name] for column in CARD_COLUMNS]
    return (sa.select(*columns, rank, distance.label("distance_km")).select_from(source)
            .where(*conditions).order_by(*order).limit(limit))


def search(*, session: Session, filters: BoardFilters, limit: int = 20,
           cursor: str | None = None, now: datetime | None = None,
           ) -> tuple[list[BoardCard], str | None]:
    """One page of the board and the cursor of the next (None at the end)."""
    check_filters(filters)
    limit = max(1, min(limit, PAGE_MAX))
    previous = session.execute(_BOARD_SETTINGS, {
        "timeout": f"{get_settings().board_statement_timeout_ms}ms",
        "work_mem": BOARD_WORK_MEM, "random_page_cost": BOARD_RANDOM_PAGE_COST}).one()
    try:
        rows = _rows(session, filters, limit=limit, cursor=cursor, now=now)
    except sa.exc.OperationalError as error:
        if isinstance(error.orig, psycopg.errors.QueryCanceled):
            raise SearchTooBroad() from None
        raise
    session.execute(_RESTORE, {"timeout": previous.timeout, "work_mem": previous.work_mem,
                               "random_page_cost": previous.random_page_cost})
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last_pinned, last = page[-1]
        next_cursor = BOARD_CURSOR.encode((last_pinned, last.ranked_at, last.lead_id))
    businesses = _businesses(session, {row.owner_professional_id for _, row in page
                                       if row.owner_professional_id})
    cards = [BoardCard(
        lead_id=row.lead_id, type=LeadType(row.type), title=row.title,
        short_description=row.short_description, category_slug=row.category_slug,
        subcategory_slug=row.subcategory_slug, locality_id=row.locality_id, lat=row.lat,
        lon=row.lon, budget=row.budget, referrer_share_percentage=row.referrer_share_percentage,
        preferred_schedule=row.preferred_schedule,
        owner_professional_id=row.owner_professional_id, proposal_count=row.proposal_count,
        created_at=row.created_at, pinned=pinned,
        distance_km=None if row.distance_km is None else round(float(row.distance_km), 1),
        business=businesses.get(row.owner_professional_id),
        unlock=(unlocks.offer(row.category_slug, row.unlock_count, now=now)
                if row.direct_contact else None),
    ) for pinned, row in page]
    return cards, next_cursor


def _rows(session: Session, filters: BoardFilters, *, limit: int, cursor: str | None,
          now: datetime | None, trace: list[tuple[str, sa.Select[Any]]] | None = None,
          ) -> list[tuple[bool, sa.Row[Any]]]:
    """Up to `limit + 1` rows after the cursor, pinned group first, each with its group.
    `trace` collects each statement run, named by its group and window (the benchmark's
    plans)."""
    pinned_ids = subscribed_businesses(session, now)
    after_pinned, after = True, None
    if cursor:
        after_pinned, stamp, lead_id = BOARD_CURSOR.decode(cursor)
        after = (stamp, lead_id)

    rows: list[tuple[bool, sa.Row[Any]]] = []
    groups = [True] if filters.subscribed_only else [True, False]
    for pinned_group in groups:
        if pinned_group and not after_pinned:
            continue  # the cursor is already past the pinned leads
        if pinned_group and (pinned_ids.empty or filters.type == LeadType.consumer):
            continue  # no business subscribes, or a client's own request (no business's lead)
        position = after if pinned_group == after_pinned else None
        wanted = limit + 1 - len(rows)
        windows = (PINNED_WINDOWS if pinned_group else
                   CATEGORY_WINDOWS if filters.category else RECENT_WINDOWS)
        tries = [*windows, None]
        while tries:
            window = tries.pop(0)
            query = _query(filters, pinned_ids=pinned_ids, pinned_group=pinned_group,
                           after=position, limit=wanted, window=window)
            found = session.execute(query).all()
            if trace is not None:
                group = "pinned" if pinned_group else "rest"
                trace.append((f"{group}/{f'newest {window}' if window else 'matches'}", query))
            if len(found) >= wanted:
                break
            if window is not None and tries[0] is not None and \
                    len(found) * tries[0] < 2 * wanted * window:
                tries = [None]  # at this window's rate, the next may come up short too
        rows.extend((pinned_group, row) for row in found)
        if len(rows) > limit:
            break
    return rows


def _businesses(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Professional]:
    if not ids:
        return {}
    return {p.id: p for p in session.exec(
        select(Professional).where(col(Professional.id).in_(ids))).all()}


def for_business(*, session: Session, caller: Caller, professional_id: uuid.UUID | None,
                 filters: BoardFilters, limit: int = 20, cursor: str | None = None,
                 ) -> tuple[Professional, list[BoardCard], str | None]:
    """A business's own board: leads in its category within its service area (from its place,
    unless the filters give another point or a radius), never its own leads. The caller must
    be a member; without `professional_id`, their only business (someone in several must say
    which: 422 on `professional_id`)."""
    if professional_id is None and not caller.professional_ids:
        raise Forbidden("errors.professional.not_member")
    business = acting_business(session=session, caller=caller, professional_id=professional_id)
    has_point = filters.lat is not None and filters.lon is not None
    scoped = replace(
        filters,
        category=filters.category or business.category_slug,
        lat=filters.lat if has_point else business.lat,
        lon=filters.lon if has_point else business.lon,
        radius_km=filters.radius_km if filters.radius_km is not None
        else float(business.service_radius_km),
        exclude_professional_id=business.id,
    )
    cards, next_cursor = search(session=session, filters=scoped, limit=limit, cursor=cursor)
    return business, cards, next_cursor
