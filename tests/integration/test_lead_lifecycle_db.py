"""The database enforces the lead lifecycle itself (the `leads_guard` trigger of migration 0003):
even the trusted system caller moves a lead's status only along ALLOWED_MOVES, and nobody changes
what a lead is or whose it is. The platform's counters are the platform's."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ofair_app import reference
from ofair_app.db.engine import SYSTEM, Caller, unit_of_work
from ofair_app.domain.errors import Conflict
from ofair_app.domain.leads import ALLOWED_MOVES, LeadStatus, LeadType
from ofair_app.models import Lead
from ofair_app.services import leads
from tests.factories import caller_for, make_lead, make_user

CHECK_VIOLATION = "23514"
INSUFFICIENT_PRIVILEGE = "42501"
HAIFA = (32.81303, 34.99928)


def insert_lead(owner_id: uuid.UUID, status: LeadStatus) -> uuid.UUID:
    """A consumer lead written straight into `leads` by the trusted system, in `status`."""
    with unit_of_work(SYSTEM) as session:
        lead = Lead(type=LeadType.consumer, title="תיקון נזילה", short_description="נזילה",
                    category_slug=reference.categories()[0].slug, lat=HAIFA[0], lon=HAIFA[1],
                    owner_user_id=owner_id, status=status)
        session.add(lead)
        session.flush()
        return lead.id


def stored_status(lead_id: uuid.UUID) -> str:
    with unit_of_work(SYSTEM) as session:
        return session.execute(text("SELECT status FROM leads WHERE id = :id"),
                               {"id": lead_id}).scalar_one()


def update(caller: Caller, lead_id: uuid.UUID, assignment: str, **params) -> str | None:
    """Run `UPDATE leads SET <assignment>` in its own unit of work: None when one row changed,
    else the SQLSTATE the database refused it with."""
    try:
        with unit_of_work(caller) as session:
            changed = session.execute(text(f"UPDATE leads SET {assignment} WHERE id = :id"),
                                      {"id": lead_id, **params}).rowcount
    except DBAPIError as error:
        return getattr(error.orig, "sqlstate", None) or "no-sqlstate"
    assert changed == 1, "the update touched no row (hidden by RLS?)"
    return None


@pytest.fixture
def owner(db):
    return make_user(name="בעלת הבקשה")


@pytest.mark.parametrize("source", list(LeadStatus))
def test_the_database_moves_a_status_only_along_the_lifecycle(owner, source) -> None:
    for target in LeadStatus:
        if target == source:
            continue
        lead_id = insert_lead(owner.id, source)
        refused = update(SYSTEM, lead_id, "status = :status", status=target.value)
        if (source, target) in ALLOWED_MOVES:
            assert refused is None, f"{source} → {target} should be allowed"
            assert stored_status(lead_id) == target.value
        else:
            assert refused == CHECK_VIOLATION, f"{source} → {target} should be refused"
            assert stored_status(lead_id) == source.value


@pytest.mark.parametrize("status", list(LeadStatus))
def test_an_update_that_keeps_the_status_is_not_a_move(owner, status) -> None:
    lead_id = insert_lead(owner.id, status)
    assert update(SYSTEM, lead_id, "status = :status, title = 'כותרת חדשה'",
                  status=status.value) is None
    assert stored_status(lead_id) == status.value


def test_every_status_can_be_inserted_by_the_trusted_system(owner) -> None:
    ids = {status: insert_lead(owner.id, status) for status in LeadStatus}
    assert {s.value for s in ids} == {stored_status(i) for i in ids.values()}


def test_a_leads_type_and_owner_cannot_change_even_for_the_system(owner) -> None:
    lead_id = insert_lead(owner.id, LeadStatus.active)
    other = make_user(name="משתמש אחר")
    assert update(SYSTEM, lead_id, "type = 'professional_referral'") == CHECK_VIOLATION
    assert update(SYSTEM, lead_id, "owner_user_id = :u", u=other.id) == CHECK_VIOLATION
    assert update(SYSTEM, lead_id, "created_at = created_at - interval '1 day'") \
        == CHECK_VIOLATION
    owner_caller = caller_for(owner)
    assert update(owner_caller, lead_id, "owner_user_id = :u", u=other.id) == CHECK_VIOLATION
    with unit_of_work(SYSTEM) as session:
        row = session.execute(text("SELECT type, owner_user_id FROM leads WHERE id = :id"),
                              {"id": lead_id}).one()
    assert (row.type, row.owner_user_id) == ("consumer", owner.id)


def test_the_owner_cannot_change_the_proposal_count_but_the_platform_can(owner) -> None:
    lead_id = insert_lead(owner.id, LeadStatus.active)
    owner_caller = caller_for(owner)
    # the owner may edit their lead otherwise: the refusal is about the counter only
    assert update(owner_caller, lead_id, "title = 'כותרת של הבעלים'") is None
    assert update(owner_caller, lead_id, "proposal_count = 5") == INSUFFICIENT_PRIVILEGE
    assert update(owner_caller, lead_id, "proposal_count = proposal_count + 1") \
        == INSUFFICIENT_PRIVILEGE
    assert update(SYSTEM, lead_id, "proposal_count = 2") is None
    with unit_of_work(SYSTEM) as session:
        row = session.execute(text("SELECT title, proposal_count FROM leads WHERE id = :id"),
                              {"id": lead_id}).one()
    assert (row.title, row.proposal_count) == ("כותרת של הבעלים", 2)


def test_the_owner_is_held_to_the_lifecycle_too(owner) -> None:
    owner_caller = caller_for(owner)
    lead_id = insert_lead(owner.id, LeadStatus.active)
    assert update(owner_caller, lead_id, "status = 'closed'") == CHECK_VIOLATION
    assert update(owner_caller, lead_id, "status = 'cancelled'") is None
    assert update(owner_caller, lead_id, "status = 'active'") == CHECK_VIOLATION
    assert stored_status(lead_id) == "cancelled"


def test_an_owner_cannot_cancel_a_lead_once_it_is_paid_for(db) -> None:
    owner = make_user()
    lead = make_lead(owner)
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE leads SET status = 'awarded' WHERE id = :id"),
                        {"id": lead.id})
        session.execute(text("UPDATE leads SET status = 'in_progress' WHERE id = :id"),
                        {"id": lead.id})
    caller = caller_for(owner)
    with pytest.raises(Conflict) as refused, unit_of_work(caller) as session:
        leads.cancel_lead(session=session, caller=caller, lead_id=lead.id)
    assert refused.value.code == "illegal_transition"
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT status FROM leads WHERE id = :id"),
                               {"id": lead.id}).scalar_one() == "in_progress"
