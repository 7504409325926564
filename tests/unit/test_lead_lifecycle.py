"""The lead lifecycle and its input rules (ofair_app/domain/leads.py), with no database.

Every (status, event) pair is tried: the allowed ones land where TRANSITIONS says, all others are
a 409 `illegal_transition`. The migration's `leads_guard` trigger enforces the same moves in
PostgreSQL; its MOVES tuple must equal the Python table.
"""

from __future__ import annotations

import importlib.util
import itertools
from decimal import Decimal
from pathlib import Path

import pytest

from ofair_app.domain.errors import Conflict, InvalidInput
from ofair_app.domain.leads import (
    ALLOWED_MOVES,
    BUDGET_MAX,
    TERMINAL,
    TRANSITIONS,
    Event,
    IllegalTransition,
    LeadStatus,
    amount_text,
    is_editable,
    next_status,
    parse_money,
    parse_share,
)

S, E = LeadStatus, Event
MIGRATION = Path(__file__).resolve().parents[2] / "alembic" / "versions" / "0003_leads.py"

# The lifecycle as DESIGN.md §3 draws it, written out independently of TRANSITIONS.
EXPECTED = {
    (S.active, E.award): S.awarded,
    (S.active, E.cancel): S.cancelled,
    (S.awarded, E.unaward): S.active,
    (S.awarded, E.start): S.in_progress,
    (S.awarded, E.cancel): S.cancelled,
    (S.in_progress, E.complete): S.completed,
    (S.in_progress, E.dispute): S.disputed,
    (S.in_progress, E.cancel): S.cancelled,
    (S.completed, E.confirm): S.closed,
    (S.completed, E.dispute): S.disputed,
    (S.closed, E.dispute): S.disputed,
    (S.disputed, E.resolve): S.closed,
    (S.disputed, E.cancel): S.cancelled,
}
ALL_PAIRS = list(itertools.product(LeadStatus, Event))
ALLOWED_PAIRS = [pair for pair in ALL_PAIRS if pair in EXPECTED]
FORBIDDEN_PAIRS = [pair for pair in ALL_PAIRS if pair not in EXPECTED]


def _migration(path: Path = MIGRATION):
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- transitions ---------------------------------------------------------------------------


def test_the_transition_table_is_the_designed_lifecycle() -> None:
    assert TRANSITIONS == EXPECTED
    assert len(ALLOWED_PAIRS) == 13 and len(FORBIDDEN_PAIRS) == 7 * 8 - 13


@pytest.mark.parametrize(("status", "event"), ALLOWED_PAIRS,
                         ids=[f"{s}-{e}" for s, e in ALLOWED_PAIRS])
def test_an_allowed_event_moves_the_lead_where_the_table_says(status, event) -> None:
    assert next_status(status, event) == EXPECTED[(status, event)]
    # the stored status is a plain string: it is read the same way
    assert next_status(str(status), event) == EXPECTED[(status, event)]


@pytest.mark.parametrize(("status", "event"), FORBIDDEN_PAIRS,
                         ids=[f"{s}-{e}" for s, e in FORBIDDEN_PAIRS])
def test_any_other_event_is_an_illegal_transition_409(status, event) -> None:
    with pytest.raises(IllegalTransition) as raised:
        next_status(status, event)
    error = raised.value
    assert isinstance(error, Conflict)
    assert error.status == 409
    assert error.code == "illegal_transition"
    assert error.message_key == "errors.lead.illegal_transition"
    assert error.params == {"status": str(status), "event": str(event)}


def test_an_unknown_status_is_not_silently_accepted() -> None:
    with pytest.raises(ValueError):
        next_status("archived", Event.cancel)


def test_cancelled_is_the_only_terminal_status() -> None:
    assert frozenset({S.cancelled}) == TERMINAL
    for event in Event:
        with pytest.raises(IllegalTransition):
            next_status(S.cancelled, event)


def test_every_non_terminal_status_has_a_way_out_and_closed_can_still_be_disputed() -> None:
    for status in set(LeadStatus) - TERMINAL:
        assert any(next_status_or_none(status, event) for event in Event), status
    assert next_status(S.closed, E.dispute) == S.disputed
    assert [e for e in Event if next_status_or_none(S.closed, e)] == [E.dispute]


def next_status_or_none(status: LeadStatus, event: Event) -> LeadStatus | None:
    try:
        return next_status(status, event)
    except IllegalTransition:
        return None


def test_a_lead_can_be_cancelled_until_it_completes_but_not_after() -> None:
    cancellable = {s for s in LeadStatus if next_status_or_none(s, E.cancel)}
    assert cancellable == {S.active, S.awarded, S.in_progress, S.disputed}


@pytest.mark.parametrize("status", list(LeadStatus))
def test_only_an_active_lead_is_editable(status) -> None:
    assert is_editable(status) is (status == S.active)
    assert is_editable(str(status)) is (status == S.active)


# --- the database's copy of the lifecycle --------------------------------------------------


def test_allowed_moves_are_the_status_pairs_of_the_transitions() -> None:
    assert {(source, target) for (source, _), target in EXPECTED.items()} == ALLOWED_MOVES


def test_the_migration_trigger_allows_exactly_the_python_moves() -> None:
    migration = _migration()
    assert set(migration.MOVES) == {(a.value, b.value) for a, b in ALLOWED_MOVES}
    assert len(migration.MOVES) == len(set(migration.MOVES))  # no duplicates hiding a typo
    assert set(migration.STATUSES) == {s.value for s in LeadStatus}
    # 0004 rewrote the trigger (with who may move a lead): the same moves.
    for later in ("0004_proposals.py", "0005_money.py"):
        assert set(_migration(MIGRATION.with_name(later)).MOVES) == set(migration.MOVES)


# --- money and shares ----------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    (1000, Decimal("1000.00")),
    ("1000.00", Decimal("1000.00")),
    (Decimal("0.5"), Decimal("0.50")),
    (12.34, Decimal("12.34")),
    ("250.5", Decimal("250.50")),
    (0, Decimal("0.00")),
    (BUDGET_MAX, Decimal("10000000.00")),
])
def test_parse_money_accepts_numbers_and_decimal_strings(raw, expected) -> None:
    value = parse_money(raw, field="budget")
    assert value == expected
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize("raw", [
    "abc", "1.234", -1, Decimal("-0.01"), True, False, None, "NaN", "Infinity", "-Infinity",
    "", Decimal("10000000.01"), 10_000_001, "1e8", " 250.5 ",
])
def test_parse_money_refuses_what_is_not_an_amount(raw) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_money(raw, field="budget")
    assert set(raised.value.fields) == {"budget"}
    assert raised.value.status == 422


def test_parse_money_names_the_range_in_its_error() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_money(-1, field="amount")
    assert raised.value.fields == {"amount": "errors.field.money_range"}
    assert raised.value.field_params == {"amount": {"min": "0", "max": "10,000,000"}}
    assert amount_text(BUDGET_MAX) == "10,000,000"
    with pytest.raises(InvalidInput) as raised:
        parse_money("1.234", field="amount")
    assert raised.value.fields == {"amount": "errors.field.money"}


def test_parse_money_honours_a_custom_minimum() -> None:
    assert parse_money("100", field="x", minimum=Decimal("100")) == Decimal("100.00")
    with pytest.raises(InvalidInput):
        parse_money("99.99", field="x", minimum=Decimal("100"))


@pytest.mark.parametrize("raw", ["1e30", Decimal("1E+26"), "9" * 29])
def test_parse_money_refuses_a_huge_amount_as_invalid_input(raw) -> None:
    with pytest.raises(InvalidInput):
        parse_money(raw, field="budget")


@pytest.mark.parametrize(("raw", "expected"), [
    (0, Decimal("0.00")), ("0", Decimal("0.00")), (20, Decimal("20.00")),
    ("33.33", Decimal("33.33")), (Decimal("89.99"), Decimal("89.99")), (90, Decimal("90.00")),
    ("90.00", Decimal("90.00")),
])
def test_parse_share_accepts_zero_to_ninety_inclusive(raw, expected) -> None:
    assert parse_share(raw) == expected


@pytest.mark.parametrize("raw", [
    "90.01", Decimal("90.01"), 91, 95, -1, "-0.01", "12.345", "abc", None, True, "NaN",
])
def test_parse_share_refuses_outside_zero_to_ninety(raw) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_share(raw)
    assert raised.value.fields == {"referrer_share_percentage": "errors.lead.share_range"}


def test_parse_share_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_share(95, field="share")
    assert raised.value.fields == {"share": "errors.lead.share_range"}
