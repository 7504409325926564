"""Row-level security on conversations and push devices (migration 0023).

For every table: another user, another business (one with its own offer on the same lead), an
admin where it is none of theirs, and an anonymous caller read nothing and change nothing; each
side writes only as itself, and marks read only what the other side wrote.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.models import ProposalCreate, UserRole
from ofair_app.services import proposals
from tests.factories import caller_for, make_lead, make_professional, make_user


def _offer(pro, business, lead):
    caller = caller_for(pro)
    with unit_of_work(caller) as session:
        proposals.create_proposal(session=session, caller=caller, lead_id=lead.id,
                                  data=ProposalCreate(price="500", description="הצעה מסודרת.",
                                                      professional_id=business.id))


@pytest.fixture
def world(db):
    consumer = make_user(name="דנה")
    lead = make_lead(consumer)
    business, pro = make_professional(business_name="העסק")
    rival, rival_owner = make_professional(business_name="המתחרה")
    _offer(pro, business, lead)
    _offer(rival_owner, rival, lead)
    with unit_of_work(SYSTEM) as session:
        thread = session.execute(text(
            "SELECT id FROM chat_threads WHERE lead_id = :l AND professional_id = :p"),
            {"l": lead.id, "p": business.id}).scalar_one()
        session.execute(text(
            "INSERT INTO chat_presence (thread_id, user_id, seen_at) VALUES (:t, :u, now())"),
            {"t": thread, "u": consumer.id})
        session.execute(text(
            "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth)"
            " VALUES (:u, 'https://push.example/abc', 'k', 'a')"), {"u": consumer.id})
    with unit_of_work(caller_for(pro)) as session:  # only a side writes, as itself
        session.execute(text(
            "INSERT INTO chat_messages (thread_id, sender_user_id, side, body)"
            " VALUES (:t, :u, 'pro', 'שלום')"), {"t": thread, "u": pro.id})
    return {"consumer": consumer, "pro": pro, "rival": rival_owner, "thread": thread,
            "lead": lead, "admin": make_user(role=UserRole.admin),
            "stranger": make_user()}


def _rows(caller: Caller, sql: str, **params) -> list:
    with unit_of_work(caller) as session:
        return session.execute(text(sql), params).all()


def _count(caller: Caller, table: str, thread) -> int:
    column = "id" if table == "chat_threads" else "thread_id"
    if table == "push_subscriptions":
        return len(_rows(caller, "SELECT 1 FROM push_subscriptions"))
    return len(_rows(caller, f"SELECT 1 FROM {table} WHERE {column} = :t", t=thread))


def _denied(caller: Caller, sql: str, **params) -> None:
    with pytest.raises(DBAPIError), unit_of_work(caller) as session:
        session.execute(text(sql), params)


def _changes(caller: Caller, sql: str, **params) -> int:
    with unit_of_work(caller) as session:
        return session.execute(text(sql), params).rowcount


@pytest.mark.parametrize("table", ["chat_threads", "chat_messages"])
def test_the_two_sides_and_admins_read_a_thread_nobody_else(world, table) -> None:
    thread = world["thread"]
    for who in ("consumer", "pro", "admin"):
        assert _count(caller_for(world[who]), table, thread) == 1, who
    for who in ("rival", "stranger"):
        assert _count(caller_for(world[who]), table, thread) == 0, who
    assert _count(ANONYMOUS, table, thread) == 0


@pytest.mark.parametrize("table", ["chat_presence", "push_subscriptions"])
def test_presence_and_devices_are_their_persons_alone(world, table) -> None:
    thread = world["thread"]
    assert _count(caller_for(world["consumer"]), table, thread) == 1
    for who in ("pro", "rival", "stranger", "admin"):
        assert _count(caller_for(world[who]), table, thread) == 0, who
    assert _count(ANONYMOUS, table, thread) == 0
    for who in ("pro", "stranger", "admin"):
        assert _changes(caller_for(world[who]), f"DELETE FROM {table}") == 0, who


def test_each_side_writes_only_as_itself(world) -> None:
    thread, pro, consumer = world["thread"], world["pro"], world["consumer"]
    insert = ("INSERT INTO chat_messages (thread_id, sender_user_id, side, body, read_at)"
              " VALUES (:t, :u, :s, 'x', :r)")
    # as the other side, in someone else's name, pre-read, or not a side at all
    _denied(caller_for(pro), insert, t=thread, u=pro.id, s="owner", r=None)
    _denied(caller_for(pro), insert, t=thread, u=consumer.id, s="pro", r=None)
    _denied(caller_for(pro), insert.replace(":r", "now()"), t=thread, u=pro.id, s="pro")
    for who in ("rival", "stranger", "admin"):
        user = world[who]
        for side in ("owner", "pro"):
            _denied(caller_for(user), insert, t=thread, u=user.id, s=side, r=None)
    _denied(ANONYMOUS, insert, t=thread, u=consumer.id, s="owner", r=None)
    # nobody opens a thread by hand, not even a side
    for who in ("consumer", "pro", "stranger"):
        _denied(caller_for(world[who]),
                "INSERT INTO chat_threads (lead_id, professional_id)"
                " SELECT lead_id, professional_id FROM chat_threads WHERE id = :t", t=thread)
    # the two sides do write as themselves
    assert _changes(caller_for(consumer), insert, t=thread, u=consumer.id, s="owner",
                    r=None) == 1


def test_only_the_reader_marks_the_other_sides_messages_read(world) -> None:
    thread = world["thread"]
    mark = "UPDATE chat_messages SET read_at = now() WHERE thread_id = :t"
    for who in ("pro", "rival", "stranger", "admin"):  # the writer, and everyone else
        assert _changes(caller_for(world[who]), mark, t=thread) == 0, who
    assert _changes(ANONYMOUS, mark, t=thread) == 0
    assert _changes(caller_for(world["consumer"]), mark, t=thread) == 1
    # the text and the sender are nobody's to change, nor to delete
    for who in ("consumer", "pro"):
        _denied(caller_for(world[who]), "UPDATE chat_messages SET body = 'y' WHERE thread_id = :t",
                t=thread)
        assert _changes(caller_for(world[who]),
                        "DELETE FROM chat_messages WHERE thread_id = :t", t=thread) == 0


def test_presence_only_on_a_thread_of_ones_own(world) -> None:
    thread = world["thread"]
    here = "INSERT INTO chat_presence (thread_id, user_id, seen_at) VALUES (:t, :u, now())"
    for who in ("rival", "stranger", "admin"):
        _denied(caller_for(world[who]), here, t=thread, u=world[who].id)
    _denied(caller_for(world["pro"]), here, t=thread, u=world["consumer"].id)
    assert _changes(caller_for(world["pro"]), here, t=thread, u=world["pro"].id) == 1


def test_a_device_is_registered_only_in_ones_own_name(world) -> None:
    add = ("INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth)"
           " VALUES (:u, :e, 'k', 'a')")
    _denied(caller_for(world["stranger"]), add, u=world["consumer"].id,
            e=f"https://push.example/{uuid.uuid4()}")
    _denied(ANONYMOUS, add, u=world["consumer"].id, e=f"https://push.example/{uuid.uuid4()}")
    assert _changes(caller_for(world["stranger"]), add, u=world["stranger"].id,
                    e=f"https://push.example/{uuid.uuid4()}") == 1
    assert _changes(caller_for(world["stranger"]),
                    "UPDATE push_subscriptions SET user_id = :me", me=world["stranger"].id) == 1
