"""Row-level security on every lead table: another user, a member of another business and an
anonymous caller are each denied the client's details and every write (DESIGN.md §4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, owner_engine, unit_of_work
from ofair_app.domain.leads import LeadVisibility
from ofair_app.models import UserRole
from ofair_app.services import leads, subscriptions
from tests.factories import (
    PNG_BYTES,
    caller_for,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
)
from tests.integration.test_rls_identity import count, refused, rows_changed


@dataclass
class World:
    consumer: Caller  # owns `request`
    pro: Caller  # owner of `business`, which owns `pro_lead` and `private_lead`
    business: uuid.UUID
    request: uuid.UUID
    pro_lead: uuid.UUID
    private_lead: uuid.UUID
    other_user: Caller
    other_member: Caller
    admin: Caller


@pytest.fixture
def world(db) -> World:
    consumer_user = make_user(name="רונית")
    business, pro_user = make_professional(business_name="אינסטלציה אלון")
    _, other_owner = make_professional(business_name="שיפוצי רון")
    request = make_lead(consumer_user)
    pro_lead = make_lead(pro_user, pro_lead_data(business))
    private_lead = make_lead(pro_user, pro_lead_data(business,
                                                     visibility=LeadVisibility.private))
    pro = caller_for(pro_user)
    with unit_of_work(pro) as session:
        leads.add_attachment(session=session, caller=pro, lead_id=pro_lead.id,
                             filename="boiler.png", data=PNG_BYTES)
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    with unit_of_work(admin) as session:
        subscriptions.grant(session=session, caller=admin, professional_id=business.id)
        leads.reveal_contact(session=session, caller=admin, lead_id=request.id)
    return World(consumer=caller_for(consumer_user), pro=pro, business=business.id,
                 request=request.id, pro_lead=pro_lead.id, private_lead=private_lead.id,
                 other_user=caller_for(make_user(name="זר")),
                 other_member=caller_for(other_owner), admin=admin)


def outsiders(world: World) -> list[tuple[str, Caller]]:
    return [("another user", world.other_user), ("another business", world.other_member),
            ("anonymous", ANONYMOUS)]


# --- leads ---------------------------------------------------------------------------------


def test_public_leads_are_seen_by_all_and_private_ones_only_by_their_business(world) -> None:
    sql = "SELECT id FROM leads WHERE id = :id"
    for name, caller in outsiders(world):
        assert count(caller, sql, id=world.request) == 1, name
        assert count(caller, sql, id=world.pro_lead) == 1, name
        assert count(caller, sql, id=world.private_lead) == 0, name
        assert count(caller, "SELECT id FROM public_leads WHERE id = :id",
                     id=world.private_lead) == 0, name
    assert count(world.pro, sql, id=world.private_lead) == 1
    assert count(world.admin, sql, id=world.private_lead) == 1


def test_outsiders_cannot_edit_cancel_or_delete_a_lead(world) -> None:
    for name, caller in outsiders(world):
        for lead_id in (world.request, world.pro_lead):
            assert rows_changed(caller, "UPDATE leads SET title = 'hacked' WHERE id = :id",
                                id=lead_id) == 0, name
            assert rows_changed(caller, "UPDATE leads SET status = 'cancelled' WHERE id = :id",
                                id=lead_id) == 0, name
        assert refused(caller, "DELETE FROM leads WHERE id = :id", id=world.request), name
    assert rows_changed(world.consumer, "UPDATE leads SET title = 'שלי' WHERE id = :id",
                        id=world.request) == 1


def test_nobody_posts_a_lead_in_someone_elses_name_or_business(world) -> None:
    in_their_name = """INSERT INTO leads (type, title, short_description, category_slug, lat,
                       lon, owner_user_id)
                       SELECT 'consumer', 'x x x', 'y', category_slug, lat, lon, :victim
                       FROM leads LIMIT 1"""
    for_their_business = """INSERT INTO leads (type, title, short_description, category_slug, lat,
                            lon, budget, referrer_share_percentage, owner_user_id,
                            owner_professional_id)
                            SELECT 'professional_referral', 'x x x', 'y', category_slug, lat, lon,
                                   100, 10, :me, :business FROM leads LIMIT 1"""
    for name, caller in outsiders(world):
        assert refused(caller, in_their_name, victim=world.consumer.user_id), name
        if caller.user_id is not None:
            assert refused(caller, for_their_business, me=caller.user_id,
                           business=world.business), name


def test_a_new_lead_cannot_start_awarded_or_with_a_performer(world) -> None:
    sql = """INSERT INTO leads (type, title, short_description, category_slug, lat, lon,
             owner_user_id, status) SELECT 'consumer', 'x x x', 'y', category_slug, lat, lon,
             :me, 'awarded' FROM leads LIMIT 1"""
    assert refused(world.other_user, sql, me=world.other_user.user_id)


def test_owners_cannot_pad_their_proposal_count(world) -> None:
    assert refused(world.consumer, "UPDATE leads SET proposal_count = 99 WHERE id = :id",
                   id=world.request)


# --- the client's details ------------------------------------------------------------------


@pytest.mark.parametrize("table", ["consumer_leads", "professional_leads"])
def test_client_details_are_denied_to_outsiders(world, table) -> None:
    sql = f"SELECT lead_id FROM {table}"
    for name, caller in outsiders(world):
        assert count(caller, sql) == 0, name
        assert rows_changed(caller, f"UPDATE {table} SET client_phone = '+972500000000'") == 0, \
            name
        assert refused(caller, f"DELETE FROM {table}"), name
    owner = world.consumer if table == "consumer_leads" else world.pro
    assert count(owner, sql) == (1 if table == "consumer_leads" else 2)
    assert count(world.admin, sql) >= 1


@pytest.mark.parametrize("table", ["consumer_leads", "professional_leads"])
def test_outsiders_cannot_attach_client_details_to_someone_elses_lead(world, table) -> None:
    lead_id = world.request if table == "consumer_leads" else world.pro_lead
    with owner_engine().begin() as conn:  # the app role may never delete client details
        conn.execute(text("SELECT set_config('app.current_role', 'system', true)"))
        conn.execute(text(f"DELETE FROM {table} WHERE lead_id = :id"), {"id": lead_id})
    sql = f"""INSERT INTO {table} (lead_id, client_name, client_phone, full_description)
              VALUES (:id, 'x', '+972501112222', 'y')"""
    for name, caller in outsiders(world):
        assert refused(caller, sql, id=lead_id), name


def test_the_accepted_performer_sees_the_client_and_outsiders_still_do_not(world) -> None:
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE leads SET status = 'awarded', performer_professional_id ="
                             " (SELECT professional_id FROM professional_members"
                             "  WHERE user_id = :u) WHERE id = :id"),
                        {"u": world.other_member.user_id, "id": world.request})
    assert count(world.other_member, "SELECT lead_id FROM consumer_leads") == 1
    assert count(world.other_user, "SELECT lead_id FROM consumer_leads") == 0
    assert count(ANONYMOUS, "SELECT lead_id FROM consumer_leads") == 0


# --- attachments ---------------------------------------------------------------------------


def test_attachments_are_as_private_as_the_client(world) -> None:
    for name, caller in outsiders(world):
        assert count(caller, "SELECT id FROM lead_attachments") == 0, name
        assert rows_changed(caller, "DELETE FROM lead_attachments") == 0, name
        assert refused(caller, """INSERT INTO lead_attachments (lead_id, storage_key, filename,
                       content_type, size_bytes, sha256, uploaded_by)
                       VALUES (:id, :k, 'f.png', 'image/png', 10, 'x', :u)""",
                       id=world.pro_lead, k=str(uuid.uuid4()),
                       u=caller.user_id or world.pro.user_id), name
    assert count(world.pro, "SELECT id FROM lead_attachments") == 1
    assert count(world.admin, "SELECT id FROM lead_attachments") == 1


# --- the access log ------------------------------------------------------------------------


def test_outsiders_neither_read_nor_forge_access_log_rows(world) -> None:
    for name, caller in outsiders(world):
        assert count(caller, "SELECT id FROM contact_access_logs") == 0, name
        assert refused(caller, """INSERT INTO contact_access_logs (lead_id, user_id, reason)
                       VALUES (:id, :u, 'admin')""", id=world.request,
                       u=caller.user_id or world.consumer.user_id), name
    assert count(world.consumer, "SELECT id FROM contact_access_logs") == 1  # their lead's
    assert count(world.admin, "SELECT id FROM contact_access_logs") == 1


def test_the_access_log_is_append_only_even_for_admins(world) -> None:
    assert refused(world.admin, "UPDATE contact_access_logs SET reason = 'owner'")
    assert refused(world.admin, "DELETE FROM contact_access_logs")
    assert refused(world.consumer, "DELETE FROM contact_access_logs")


# --- the board's read model and subscriptions ----------------------------------------------


def test_the_board_holds_only_open_public_leads_and_nobody_writes_it(world) -> None:
    assert count(ANONYMOUS, "SELECT lead_id FROM lead_board") == 2  # not the private one
    for name, caller in [*outsiders(world), ("the owner", world.pro), ("admin", world.admin)]:
        assert refused(caller, "UPDATE lead_board SET title = 'hacked'"), name
        assert refused(caller, "DELETE FROM lead_board"), name
        assert refused(caller, """INSERT INTO lead_board (lead_id, type, title,
                       short_description, category_slug, lat, lon, preferred_schedule,
                       proposal_count, created_at)
                       VALUES (:id, 'consumer', 'fake', 'fake', 'x', 32, 35, 'flexible', 0,
                               now())""", id=uuid.uuid4()), name


def test_subscriptions_are_private_and_granted_only_by_admins(world) -> None:
    sql = "SELECT id FROM subscriptions WHERE professional_id = :p"
    for name, caller in outsiders(world):
        assert count(caller, sql, p=world.business) == 0, name
        assert rows_changed(caller, "UPDATE subscriptions SET ends_at = ends_at + interval '1 year'"
                            ) == 0, name
    assert count(world.pro, sql, p=world.business) == 1
    assert refused(world.pro, """INSERT INTO subscriptions (professional_id, starts_at, ends_at)
                   VALUES (:p, now(), now() + interval '1 year')""", p=world.business)
    assert rows_changed(world.pro, "UPDATE subscriptions SET status = 'active'") == 0
    assert refused(world.pro, "UPDATE professionals SET subscribed_until = now()"
                   " + interval '9 years' WHERE id = :p", p=world.business)
