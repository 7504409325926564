"""Row-level security on the notification center and choices: each person only their own.

For every table: another user, a member of another business, an admin and an anonymous caller
read nothing and change nothing; the person reads their own and changes only what they may.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.models import UserRole
from ofair_app.models._base import utcnow
from tests.factories import caller_for, make_professional, make_user

TABLES = ("notifications", "notification_preferences", "notification_quiet_hours")


@pytest.fixture
def dana(db):
    """A person with one row in each table."""
    dana = make_user(name="דנה")
    with unit_of_work(SYSTEM) as session:
        session.execute(text(
            "INSERT INTO notifications (user_id, kind, event_group, title, notified_at)"
            " VALUES (:u, 'job_paid', 'jobs', 'שולם', :now)"), {"u": dana.id, "now": utcnow()})
        session.execute(text(
            "INSERT INTO notification_preferences (user_id, event_group, channel, enabled)"
            " VALUES (:u, 'jobs', 'email', true)"), {"u": dana.id})
        session.execute(text("INSERT INTO notification_quiet_hours (user_id) VALUES (:u)"),
                        {"u": dana.id})
    return dana


def _count(caller: Caller, table: str) -> int:
    with unit_of_work(caller) as session:
        return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _others(dana) -> dict[str, Caller]:
    _, business_owner = make_professional()
    return {"another user": caller_for(make_user()),
            "another business": caller_for(business_owner),
            "an admin": caller_for(make_user(role=UserRole.admin)),
            "anonymous": ANONYMOUS}


@pytest.mark.parametrize("table", TABLES)
def test_only_the_person_reads_their_rows(dana, table) -> None:
    assert _count(caller_for(dana), table) == 1
    for who, caller in _others(dana).items():
        assert _count(caller, table) == 0, who


@pytest.mark.parametrize("table", TABLES)
def test_nobody_else_changes_or_deletes_them(dana, table) -> None:
    column = {"notifications": "read_at = now()", "notification_preferences": "enabled = false",
              "notification_quiet_hours": "shabbat = true"}[table]
    for who, caller in _others(dana).items():
        with unit_of_work(caller) as session:
            changed = session.execute(text(f"UPDATE {table} SET {column}"
                                           " WHERE user_id = :u"), {"u": dana.id}).rowcount
            assert changed == 0, who
        with unit_of_work(caller) as session:
            deleted = session.execute(text(f"DELETE FROM {table} WHERE user_id = :u"),
                                      {"u": dana.id}).rowcount
            assert deleted == 0, who
    assert _count(caller_for(dana), table) == 1


@pytest.mark.parametrize("table", TABLES)
def test_nobody_writes_rows_for_someone_else(dana, table) -> None:
    victim = make_user()
    insert = {
        "notifications": "INSERT INTO notifications (user_id, kind, event_group, title,"
                         " notified_at) VALUES (:u, 'job_paid', 'jobs', 'fake', now())",
        "notification_preferences": "INSERT INTO notification_preferences (user_id,"
                                    " event_group, channel, enabled)"
                                    " VALUES (:u, 'jobs', 'sms', false)",
        "notification_quiet_hours": "INSERT INTO notification_quiet_hours (user_id)"
                                    " VALUES (:u)",
    }[table]
    with pytest.raises(DBAPIError, match=r"row-level security|permission denied"), \
            unit_of_work(caller_for(dana)) as session:
        session.execute(text(insert), {"u": victim.id})


def test_a_person_cannot_write_their_own_notifications_or_change_more_than_read_at(dana
                                                                                   ) -> None:
    caller = caller_for(dana)
    with pytest.raises(DBAPIError), unit_of_work(caller) as session:
        session.execute(text(
            "INSERT INTO notifications (user_id, kind, event_group, title, notified_at)"
            " VALUES (:u, 'job_paid', 'jobs', 'fake', now())"), {"u": dana.id})
    with pytest.raises(DBAPIError, match="permission denied"), \
            unit_of_work(caller) as session:
        session.execute(text("UPDATE notifications SET title = 'changed' WHERE user_id = :u"),
                        {"u": dana.id})
    with unit_of_work(caller) as session:
        assert session.execute(text("UPDATE notifications SET read_at = now()"
                                    " WHERE user_id = :u"), {"u": dana.id}).rowcount == 1
