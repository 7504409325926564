"""Row-level security on every identity table: another user, a member of another business and an
anonymous caller are each denied, on reads and on writes (DESIGN.md §4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from ofair_app.db.engine import ANONYMOUS, SYSTEM, Caller, unit_of_work
from ofair_app.models import User, UserRole
from ofair_app.services import (
    audit,
    auth,
    certificates,
    invitations,
    notifications,
    professionals,
)
from tests.factories import PDF_BYTES, caller_for, make_professional, make_user


@dataclass
class World:
    business: uuid.UUID
    owner: Caller
    other_user: Caller  # signed in, no business
    other_member: Caller  # owner of another business
    admin: Caller


@pytest.fixture
def world(db) -> World:
    business, owner = make_professional(business_name="חשמל אלון")
    make_professional(business_name="מנעולן רון")
    other_owner_user = _last_owner()
    owner_caller = caller_for(owner)
    with unit_of_work(owner_caller) as session:
        certificates.upload_certificate(session=session, caller=owner_caller,
                                        professional_id=business.id, title="רישיון חשמלאי",
                                        filename="license.pdf", data=PDF_BYTES)
        notifications.enqueue(session=session, channel="sms", to="+972500000077",
                              template="otp_code", locale="he",
                              params={"code": "123456", "minutes": 5})
    admin = caller_for(make_user(role=UserRole.admin, name="מנהלת"))
    with unit_of_work(admin) as session:
        audit.record(session=session, caller=admin, action="test.action",
                     subject_type="professional", subject_id=business.id)
    with unit_of_work(SYSTEM) as session:
        auth.send_login_code(session=session, ip="203.0.113.7", phone=owner.phone)
    notifications.drain()
    return World(business=business.id, owner=owner_caller,
                 other_user=caller_for(make_user(name="זר")),
                 other_member=caller_for(other_owner_user), admin=admin)


def _last_owner() -> User:
    with unit_of_work(SYSTEM) as session:
        user_id = session.execute(text(
            "SELECT user_id FROM professional_members ORDER BY created_at DESC LIMIT 1"
        )).scalar_one()
        return session.get(User, user_id)


def outsiders(world: World) -> list[tuple[str, Caller]]:
    return [("another user", world.other_user), ("another business", world.other_member),
            ("anonymous", ANONYMOUS)]


def count(caller: Caller, sql: str, **params) -> int:
    with unit_of_work(caller) as session:
        return session.execute(text(f"SELECT count(*) FROM ({sql}) AS q"), params).scalar_one()


def rows_changed(caller: Caller, sql: str, **params) -> int:
    with unit_of_work(caller) as session:
        return session.execute(text(sql), params).rowcount


def refused(caller: Caller, sql: str, **params) -> bool:
    try:
        with unit_of_work(caller) as session:
            session.execute(text(sql), params)
    except (ProgrammingError, DBAPIError) as error:
        # 42501 insufficient_privilege: a policy, a missing grant or a guard trigger said no.
        return getattr(error.orig, "sqlstate", None) == "42501"
    return False


# --- professionals -------------------------------------------------------------------------


def test_a_suspended_business_is_hidden_from_outsiders_but_not_its_members(world) -> None:
    with unit_of_work(world.admin) as session:
        professionals.set_suspended(session=session, caller=world.admin,
                                    professional_id=world.business, suspended=True)
    sql = "SELECT id FROM professionals WHERE id = :id"
    for name, caller in outsiders(world):
        assert count(caller, sql, id=world.business) == 0, name
    assert count(world.owner, sql, id=world.business) == 1
    assert count(world.admin, sql, id=world.business) == 1


def test_outsiders_cannot_edit_a_business(world) -> None:
    sql = "UPDATE professionals SET about = 'hacked' WHERE id = :id"
    for name, caller in outsiders(world):
        assert rows_changed(caller, sql, id=world.business) == 0, name
    assert rows_changed(world.owner, sql, id=world.business) == 1


def test_nobody_opens_a_business_in_someone_elses_name(world) -> None:
    sql = """INSERT INTO professionals (business_name, business_id, category_slug, locality_id,
             lat, lon, created_by)
             SELECT 'x', '000000018', category_slug, locality_id, lat, lon, :victim
             FROM professionals LIMIT 1"""
    for name, caller in outsiders(world):
        assert refused(caller, sql, victim=world.owner.user_id), name


def test_members_cannot_verify_or_reactivate_their_own_business(world) -> None:
    assert refused(world.owner, "UPDATE professionals SET verified = true WHERE id = :id",
                   id=world.business)
    assert refused(world.owner, "UPDATE professionals SET rating = 5 WHERE id = :id",
                   id=world.business)


# --- professional_members ------------------------------------------------------------------


def test_outsiders_do_not_see_a_business_team(world) -> None:
    sql = "SELECT user_id FROM professional_members WHERE professional_id = :id"
    for name, caller in outsiders(world):
        assert count(caller, sql, id=world.business) == 0, name
    assert count(world.owner, sql, id=world.business) == 1


def test_outsiders_cannot_join_or_change_a_team(world) -> None:
    for name, caller in outsiders(world):
        if caller.user_id is not None:
            assert refused(caller, """INSERT INTO professional_members
                (professional_id, user_id, role, added_by) VALUES (:p, :u, 'owner', :u)""",
                p=world.business, u=caller.user_id), name
        assert rows_changed(caller, "DELETE FROM professional_members WHERE professional_id = :p",
                            p=world.business) == 0, name
        assert rows_changed(caller, "UPDATE professional_members SET role = 'staff'"
                            " WHERE professional_id = :p", p=world.business) == 0, name


def test_colleagues_see_each_other_but_outsiders_see_no_member_account(world) -> None:
    sql = ("SELECT u.id FROM users u WHERE u.id = :owner")
    for name, caller in outsiders(world):
        assert count(caller, sql, owner=world.owner.user_id) == 0, name


# --- certificates --------------------------------------------------------------------------


def test_certificates_are_private_to_members_and_admins(world) -> None:
    sql = "SELECT id FROM certificates WHERE professional_id = :id"
    for name, caller in outsiders(world):
        assert count(caller, sql, id=world.business) == 0, name
        assert rows_changed(caller, "DELETE FROM certificates") == 0, name
        assert rows_changed(caller, "UPDATE certificates SET status = 'approved'") == 0, name
    assert count(world.owner, sql, id=world.business) == 1
    assert count(world.admin, sql, id=world.business) == 1


def test_outsiders_cannot_add_certificates_to_a_business(world) -> None:
    sql = """INSERT INTO certificates (professional_id, title, storage_key, filename,
             content_type, size_bytes, sha256, uploaded_by)
             VALUES (:p, 't', :k, 'f.pdf', 'application/pdf', 10, 'x', :u)"""
    for name, caller in outsiders(world):
        assert refused(caller, sql, p=world.business, k=str(uuid.uuid4()),
                       u=caller.user_id or world.owner.user_id), name


def test_members_cannot_approve_their_own_certificates(world) -> None:
    assert rows_changed(world.owner, "UPDATE certificates SET status = 'approved'") == 0


# --- codes, tokens, messages, audit --------------------------------------------------------


def test_login_codes_are_visible_to_nobody_but_the_login_step(world) -> None:
    for name, caller in [*outsiders(world), ("the owner", world.owner)]:
        assert count(caller, "SELECT id FROM otp_codes") == 0, name
        assert rows_changed(caller, "UPDATE otp_codes SET attempts = 0") == 0, name
    assert count(SYSTEM, "SELECT id FROM otp_codes") == 1


def test_tokens_are_visible_only_to_their_user(world) -> None:
    sql = "SELECT id FROM auth_tokens WHERE user_id = :u"
    for name, caller in outsiders(world):
        assert count(caller, sql, u=world.owner.user_id) == 0, name
        assert rows_changed(caller, "UPDATE auth_tokens SET revoked_at = now()"
                            " WHERE user_id = :u", u=world.owner.user_id) == 0, name
    assert count(world.owner, sql, u=world.owner.user_id) >= 1


def test_queued_messages_are_read_only_by_the_delivery_worker(world) -> None:
    for name, caller in [*outsiders(world), ("the owner", world.owner), ("admin", world.admin)]:
        assert count(caller, "SELECT id FROM outbox_messages") == 0, name
    assert refused(ANONYMOUS, """INSERT INTO outbox_messages (channel, to_address, template,
                   locale, body) VALUES ('sms', '+972500000001', 'x', 'he', 'spam')""")


def test_the_audit_log_is_read_and_written_only_by_admins(world) -> None:
    for name, caller in [*outsiders(world), ("the owner", world.owner)]:
        assert count(caller, "SELECT id FROM admin_audit_log") == 0, name
        assert refused(caller, """INSERT INTO admin_audit_log (actor_user_id, action,
                       subject_type, subject_id) VALUES (:u, 'x', 'y', 'z')""",
                       u=caller.user_id), name
    assert count(world.admin, "SELECT id FROM admin_audit_log") == 1


def test_the_audit_log_is_append_only_even_for_admins(world) -> None:
    assert refused(world.admin, "UPDATE admin_audit_log SET action = 'erased'")
    assert refused(world.admin, "DELETE FROM admin_audit_log")


# --- professional_invitations --------------------------------------------------------------


@pytest.fixture
def invited(world) -> tuple[uuid.UUID, Caller]:
    """An open invitation of the world's business, and the signed-in person it is for."""
    invitee = make_user(name="מוזמנת")
    with unit_of_work(world.owner) as session:
        invitation = invitations.invite_member(session=session, caller=world.owner,
                                               professional_id=world.business,
                                               phone=invitee.phone)
    return invitation.id, caller_for(invitee)


def test_outsiders_see_no_invitation_of_a_business(world, invited) -> None:
    invitation_id, invitee = invited
    sql = "SELECT id, phone FROM professional_invitations WHERE id = :id"
    for name, caller in outsiders(world):
        assert count(caller, sql, id=invitation_id) == 0, name
    for caller in (world.owner, invitee, world.admin):
        assert count(caller, sql, id=invitation_id) == 1


def test_outsiders_cannot_answer_cancel_or_resend_an_invitation(world, invited) -> None:
    invitation_id, _ = invited
    for name, caller in outsiders(world):
        for sql in ("UPDATE professional_invitations SET status = 'accepted',"
                    " responded_by = app_user_id(), responded_at = now() WHERE id = :id",
                    "UPDATE professional_invitations SET status = 'cancelled',"
                    " responded_by = app_user_id(), responded_at = now() WHERE id = :id",
                    "UPDATE professional_invitations SET expires_at = now() + interval '1 year'"
                    " WHERE id = :id"):
            assert rows_changed(caller, sql, id=invitation_id) == 0, name


def test_outsiders_cannot_invite_for_a_business(world) -> None:
    sql = """INSERT INTO professional_invitations (professional_id, phone, invited_by,
             expires_at) VALUES (:p, '+972501112233', :u, now() + interval '7 days')"""
    for name, caller in outsiders(world):
        assert refused(caller, sql, p=world.business,
                       u=caller.user_id or world.owner.user_id), name


def test_nobody_invites_an_owner_or_deletes_an_invitation(world, invited) -> None:
    invitation_id, _ = invited
    with pytest.raises(DBAPIError), unit_of_work(world.owner) as session:
        session.execute(text("""INSERT INTO professional_invitations (professional_id, phone,
            role, invited_by, expires_at) VALUES (:p, '+972501112233', 'owner', :u,
            now() + interval '7 days')"""), {"p": world.business, "u": world.owner.user_id})
    # Only the retention job (the platform) deletes invitations, long after they were answered
    # (migration 0011_privacy_rights); a person's DELETE matches no row.
    for caller in (world.owner, world.admin):
        assert rows_changed(caller, "DELETE FROM professional_invitations WHERE id = :id",
                            id=invitation_id) == 0
    assert count(world.owner, "SELECT id FROM professional_invitations WHERE id = :id",
                 id=invitation_id) == 1


def test_the_invitee_only_answers_and_the_owner_never_answers_for_them(world, invited) -> None:
    invitation_id, invitee = invited
    # The owner cannot accept in the invitee's name, nor stretch or re-address it ...
    assert refused(world.owner, "UPDATE professional_invitations SET status = 'accepted',"
                   " responded_by = :u, responded_at = now() WHERE id = :id",
                   id=invitation_id, u=invitee.user_id)
    assert refused(world.owner, "UPDATE professional_invitations SET phone = '+972501112233'"
                   " WHERE id = :id", id=invitation_id)
    # ... the invitee cannot cancel, extend or resend it ...
    assert refused(invitee, "UPDATE professional_invitations SET status = 'cancelled',"
                   " responded_by = app_user_id(), responded_at = now() WHERE id = :id",
                   id=invitation_id)
    assert refused(invitee, "UPDATE professional_invitations SET"
                   " expires_at = now() + interval '1 year' WHERE id = :id", id=invitation_id)
    # ... nor join the team without answering, nor as an owner.
    for role in ("staff", "owner"):
        assert refused(invitee, """INSERT INTO professional_members
            (professional_id, user_id, role, added_by) VALUES (:p, :u, :r, :by)""",
                       p=world.business, u=invitee.user_id, r=role, by=world.owner.user_id)


def test_an_owner_no_longer_adds_people_directly(world) -> None:
    victim = make_user(name="לא הסכים")
    assert refused(world.owner, """INSERT INTO professional_members
        (professional_id, user_id, role, added_by) VALUES (:p, :u, 'staff', :by)""",
                   p=world.business, u=victim.id, by=world.owner.user_id)
