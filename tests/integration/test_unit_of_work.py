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


PLANS = text("SELECT current_setting('plan_cache_mode')")


def test_generic_plans_hold_for_their_transaction_only(db):
    """A hot path may have its prepared statements planned once; the next transaction on the
    pooled connection plans as usual again."""
    with unit_of_work(SYSTEM, generic_plans=True) as session:
        assert session.execute(PLANS).scalar_one() == "force_generic_plan"
        assert session.execute(CONTEXT).one() == ("", "system", "")
    for _ in range(3):
        with unit_of_work(SYSTEM) as session:
            assert session.execute(PLANS).scalar_one() == "auto"
