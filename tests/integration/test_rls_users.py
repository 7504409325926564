"""Row-level security on `users`: a person sees and edits only their own row."""

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, ProgrammingError

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.models import User, UserRole
from tests.factories import caller_for, make_user


def _visible_ids(caller: Caller) -> set:
    with unit_of_work(caller) as session:
        return set(session.scalars(select(User.id)))


def test_a_user_reads_only_their_own_row(db):
    dana, yossi = make_user(name="דנה"), make_user(name="יוסי")
    assert _visible_ids(caller_for(dana)) == {dana.id}
    assert _visible_ids(caller_for(yossi)) == {yossi.id}


def test_another_user_reading_by_id_gets_nothing(db):
    dana, yossi = make_user(), make_user()
    with unit_of_work(caller_for(yossi)) as session:
        assert session.get(User, dana.id) is None
        assert session.execute(
            text("SELECT phone FROM users WHERE id = :id"), {"id": dana.id}).first() is None


def test_anonymous_sees_no_users(db):
    make_user()
    assert _visible_ids(ANONYMOUS) == set()


def test_a_member_of_another_business_sees_no_one_elses_row(db):
    dana = make_user()
    pro = make_user(role=UserRole.professional)
    outsider = Caller(user_id=pro.id, role="professional",
                      professional_ids=(__import__("uuid").uuid4(),))
    assert dana.id not in _visible_ids(outsider)


def test_admin_and_system_see_everyone(db):
    dana, yossi = make_user(), make_user()
    admin = make_user(role=UserRole.admin)
    assert {dana.id, yossi.id, admin.id} <= _visible_ids(caller_for(admin))
    assert {dana.id, yossi.id, admin.id} <= _visible_ids(SYSTEM)


def test_a_user_cannot_update_someone_else(db):
    dana, yossi = make_user(name="דנה"), make_user()
    with unit_of_work(caller_for(yossi)) as session:
        result = session.execute(update(User).where(User.id == dana.id).values(name="hacked"))
        assert result.rowcount == 0
    with unit_of_work(SYSTEM) as session:
        assert session.get(User, dana.id).name == "דנה"


def test_a_user_updates_their_own_name(db):
    dana = make_user(name="דנה")
    with unit_of_work(caller_for(dana)) as session:
        session.get(User, dana.id).name = "דנה לוי"
    with unit_of_work(SYSTEM) as session:
        assert session.get(User, dana.id).name == "דנה לוי"


def test_a_user_cannot_promote_themselves(db):
    dana = make_user()
    with pytest.raises(DBAPIError, match="only an admin"), unit_of_work(caller_for(dana)) as s:
        s.execute(update(User).where(User.id == dana.id).values(role="admin"))
    with unit_of_work(SYSTEM) as session:
        assert session.get(User, dana.id).role == UserRole.consumer


def test_an_admin_may_change_a_role(db):
    dana, admin = make_user(), make_user(role=UserRole.admin)
    with unit_of_work(caller_for(admin)) as session:
        session.execute(update(User).where(User.id == dana.id).values(role="professional"))
    with unit_of_work(SYSTEM) as session:
        assert session.get(User, dana.id).role == UserRole.professional


@pytest.mark.parametrize("caller", [ANONYMOUS, Caller(user_id=None, role="consumer")])
def test_clients_cannot_create_users(db, caller):
    with pytest.raises(ProgrammingError, match="row-level security"), unit_of_work(caller) as s:
        s.add(User(phone="+972501112233"))


def test_a_user_cannot_insert_a_row_for_someone_else(db):
    dana = make_user()
    with pytest.raises(ProgrammingError, match="row-level security"), \
            unit_of_work(caller_for(dana)) as session:
        session.add(User(phone="+972501112299"))


def test_app_role_cannot_delete_users(db):
    dana = make_user()
    with pytest.raises(ProgrammingError, match="permission denied"), unit_of_work(SYSTEM) as s:
        s.execute(text("DELETE FROM users WHERE id = :id"), {"id": dana.id})


def test_phone_must_be_e164(db):
    with pytest.raises(DBAPIError, match="users_phone_e164"), unit_of_work(SYSTEM) as session:
        session.add(User(phone="050-123-4567"))
