"""The unit of work: one transaction, caller context scoped to it, rollback on error."""

import uuid

import pytest
from sqlalchemy import select, text

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, app_engine, unit_of_work
from ofair_app.models import User
from tests.factories import make_user

CONTEXT = text("SELECT current_setting('app.current_user_id', true),"
               " current_setting('app.current_role', true),"
               " current_setting('app.tenant_ids', true)")


def test_context_is_set_for_the_transaction(db):
    user_id, tenant = uuid.uuid4(), uuid.uuid4()
    with unit_of_work(Caller(user_id=user_id, role="professional",
                             professional_ids=(tenant,))) as session:
        assert session.execute(CONTEXT).one() == (str(user_id), "professional", str(tenant))
        assert session.execute(text("SELECT app_tenant_ids()")).scalar_one() == [tenant]


def test_context_does_not_leak_to_the_next_transaction_on_the_same_connection(db):
    with app_engine().connect() as conn:
        with conn.begin():
            conn.execute(text("SELECT set_config('app.current_role', 'admin', true)"))
        assert conn.execute(text("SELECT app_role()")).scalar_one() == "anonymous"
        conn.rollback()


def test_pooled_connections_start_anonymous(db):
    for _ in range(5):
        with unit_of_work(SYSTEM):
            pass
    with unit_of_work(ANONYMOUS) as session:
        assert session.execute(CONTEXT).one() == ("", "anonymous", "")


def test_an_error_rolls_everything_back(db):
    with pytest.raises(RuntimeError), unit_of_work(SYSTEM) as session:
        session.add(User(phone="+972501234567", name="half written"))
        session.flush()
        raise RuntimeError("boom")
    with unit_of_work(SYSTEM) as session:
        assert session.scalars(select(User)).all() == []


def test_commits_when_the_block_ends(db):
    user = make_user()
    with unit_of_work(SYSTEM) as session:
        assert session.get(User, user.id) is not None


PLANS = text("SELECT current_setting('plan_cache_mode'), current_setting('enable_seqscan')")


def test_a_hot_path_plans_once_and_by_keys_for_its_transaction_only(db):
    """A hot path has its prepared statements planned once, by their keys; the next
    transaction on the pooled connection plans as usual again."""
    with unit_of_work(SYSTEM, hot_path=True) as session:
        assert session.execute(PLANS).one() == ("force_generic_plan", "off")
        assert session.execute(CONTEXT).one() == ("", "system", "")
    for _ in range(3):
        with unit_of_work(SYSTEM) as session:
            assert session.execute(PLANS).one() == ("auto", "on")


def test_a_hot_path_plan_made_on_a_small_table_still_finds_rows_by_key(db):
    """The plan of a statement that finds rows from an array of keys, made once while its table
    is nearly empty, does not read the whole table when it has grown."""
    explain = text("EXPLAIN UPDATE outbox_messages m SET attempts = m.attempts"
                   " FROM unnest(CAST(:ids AS uuid[])) AS v(id) WHERE m.id = v.id")
    with unit_of_work(SYSTEM, hot_path=True) as session:
        plan = "\n".join(session.execute(explain, {"ids": [uuid.uuid4()]}).scalars())
    assert "outbox_messages_pkey" in plan, plan  # an index scan, or a bitmap one
    assert "Seq Scan on outbox_messages" not in plan, plan
