"""Team invitations: nobody joins a business without accepting, nothing leaks to the inviter,
the limits hold, and a business always keeps an owner."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, Caller, unit_of_work
from ofair_app.domain import invitations as rules
from ofair_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from ofair_app.domain.invitations import InvitationStatus
from ofair_app.models import MemberRole, User, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import invitations, notifications, professionals, wallets
from ofair_app.settings import get_settings
from tests.factories import (
    add_member,
    caller_for,
    invite,
    make_professional,
    make_user,
    next_phone,
)


def _as(caller: Caller, work):
    with unit_of_work(caller) as session:
        return work(session)


def _accept(user: User, invitation_id: uuid.UUID):
    caller = caller_for(user)
    return _as(caller, lambda s: invitations.accept_invitation(
        session=s, caller=caller, invitation_id=invitation_id))


def _decline(user: User, invitation_id: uuid.UUID) -> None:
    caller = caller_for(user)
    _as(caller, lambda s: invitations.decline_invitation(session=s, caller=caller,
                                                         invitation_id=invitation_id))


def _members(professional_id: uuid.UUID) -> dict[uuid.UUID, str]:
    with unit_of_work(SYSTEM) as session:
        return dict(session.execute(text(
            "SELECT user_id, role FROM professional_members WHERE professional_id = :p"),
            {"p": professional_id}).all())


def _messages(to: str) -> list[tuple[str, str]]:
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        return [tuple(row) for row in session.execute(text(
            "SELECT template, body FROM outbox_messages WHERE to_address = :to"
            " ORDER BY created_at"), {"to": to}).all()]


def _backdate(invitation_id: uuid.UUID, **columns) -> None:
    sets = ", ".join(f"{name} = :{name}" for name in columns)
    with unit_of_work(SYSTEM) as session:
        session.execute(text(f"UPDATE professional_invitations SET {sets} WHERE id = :id"),
                        {"id": invitation_id, **columns})


# --- inviting ------------------------------------------------------------------------------


def test_inviting_creates_an_invitation_not_a_membership_nor_an_account(db) -> None:
    professional, owner = make_professional(business_name="שיפוצי כהן")
    phone = next_phone()
    invitation = invite(professional, owner, phone=phone)
    assert invitation.status == InvitationStatus.pending and invitation.phone == phone
    assert invitation.role == MemberRole.staff and invitation.send_count == 1
    assert timedelta(days=6, hours=23) < invitation.expires_at - utcnow() <= rules.INVITATION_TTL
    assert _members(professional.id) == {owner.id: "owner"}
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM users WHERE phone = :p"),
                               {"p": phone}).scalar_one() == 0
    [(template, body)] = _messages(phone)
    assert template == "member_invited" and "שיפוצי כהן" in body
    assert f"{get_settings().ofair_public_url.rstrip('/')}/invitations" in body


def test_the_answer_is_the_same_for_a_stranger_a_registered_user_and_a_member(db) -> None:
    professional, owner = make_professional()
    registered = make_user(name="רונית שמואלי")
    member = make_user(name="משה אברהם")
    add_member(professional, owner, member)
    answers = [invite(professional, owner, phone=phone)
               for phone in (next_phone(), registered.phone, member.phone)]
    shapes = [(a.status, a.role, a.send_count, a.email, type(a)) for a in answers]
    assert shapes == [shapes[0]] * 3
    for answer in answers:
        assert "רונית" not in repr(answer) and "משה" not in repr(answer)


def test_inviting_again_returns_the_open_invitation_and_sends_nothing(db) -> None:
    professional, owner = make_professional()
    phone = next_phone()
    first = invite(professional, owner, phone=phone)
    again = invite(professional, owner, phone=phone.replace("+972", "0"))
    assert again.id == first.id and again.send_count == 1
    assert len(_messages(phone)) == 1


def test_an_email_invitation_is_sent_by_email(db) -> None:
    professional, owner = make_professional()
    invitation = invite(professional, owner, email="Noa@Example.COM")
    assert invitation.email == "noa@example.com" and invitation.phone is None
    assert [t for t, _ in _messages("noa@example.com")] == ["member_invited"]


@pytest.mark.parametrize("target", [{}, {"phone": "050-1234567", "email": "a@b.co"},
                                    {"email": "not-an-address"}, {"phone": "12"}])
def test_a_missing_or_bad_target_is_refused_and_nothing_is_written(db, target) -> None:
    professional, owner = make_professional()
    with pytest.raises(InvalidInput):
        invite(professional, owner, **target)
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text(
            "SELECT count(*) FROM professional_invitations")).scalar_one() == 0


# --- answering -----------------------------------------------------------------------------


def test_accepting_starts_the_membership_and_makes_a_consumer_a_professional(db) -> None:
    professional, owner = make_professional()
    consumer = make_user()
    invitation = invite(professional, owner, phone=consumer.phone)
    mine = _as(caller_for(consumer), lambda s: invitations.my_invitations(
        session=s, caller=caller_for(consumer)))
    assert [(m.id, m.business_name) for m in mine] == [(invitation.id,
                                                        professional.business_name)]
    assert _accept(consumer, invitation.id).id == professional.id
    assert _members(professional.id) == {owner.id: "owner", consumer.id: "staff"}
    caller = caller_for(consumer)
    assert caller.professional_ids == (professional.id,) and caller.role == "professional"
    with unit_of_work(SYSTEM) as session:
        assert session.get(User, consumer.id).role == UserRole.professional
    listed = _as(caller_for(owner), lambda s: invitations.list_invitations(
        session=s, caller=caller_for(owner), professional_id=professional.id))
    assert [i.status for i in listed] == [InvitationStatus.accepted]
    with pytest.raises(Conflict):
        _accept(consumer, invitation.id)


def test_an_invitation_by_email_is_accepted_by_the_account_with_that_address(db) -> None:
    professional, owner = make_professional()
    invitee = make_user(email="noa@example.com")
    invitation = invite(professional, owner, email="noa@example.com")
    _accept(invitee, invitation.id)
    assert _members(professional.id)[invitee.id] == "staff"


def test_declining_changes_nothing_but_the_invitation(db) -> None:
    professional, owner = make_professional()
    invitee = make_user()
    invitation = invite(professional, owner, phone=invitee.phone)
    _decline(invitee, invitation.id)
    assert _members(professional.id) == {owner.id: "owner"}
    with unit_of_work(SYSTEM) as session:
        assert session.get(User, invitee.id).role == UserRole.consumer
    with pytest.raises(Conflict):
        _accept(invitee, invitation.id)


def test_nobody_else_answers_an_invitation(db) -> None:
    professional, owner = make_professional()
    colleague = make_user()
    add_member(professional, owner, colleague)
    invitation = invite(professional, owner, phone=next_phone())
    for user in (colleague, owner, make_user()):
        with pytest.raises(NotFound):
            _accept(user, invitation.id)
        with pytest.raises(NotFound):
            _decline(user, invitation.id)
    assert set(_members(professional.id)) == {owner.id, colleague.id}


def test_an_invitation_expires_after_seven_days(db) -> None:
    professional, owner = make_professional()
    invitee = make_user()
    invitation = invite(professional, owner, phone=invitee.phone)
    _backdate(invitation.id, expires_at=utcnow() - timedelta(minutes=1))
    assert _as(caller_for(invitee), lambda s: invitations.my_invitations(
        session=s, caller=caller_for(invitee))) == []
    with pytest.raises(Conflict) as error:
        _accept(invitee, invitation.id)
    assert error.value.code == "invitation_expired"
    listed = _as(caller_for(owner), lambda s: invitations.list_invitations(
        session=s, caller=caller_for(owner), professional_id=professional.id,
        status=InvitationStatus.expired))
    assert [i.id for i in listed] == [invitation.id]
    # The job writes it down; a new invitation can then be sent.
    with unit_of_work(SYSTEM) as session:
        assert invitations.expire_invitations(session=session, caller=SYSTEM,
                                              now=utcnow()) == 1
    again = invite(professional, owner, phone=invitee.phone)
    assert again.id != invitation.id and again.status == InvitationStatus.pending


def test_an_expired_invitation_still_marked_pending_makes_room_for_a_new_one(db) -> None:
    professional, owner = make_professional()
    phone = next_phone()
    old = invite(professional, owner, phone=phone)
    _backdate(old.id, expires_at=utcnow() - timedelta(seconds=5))
    new = invite(professional, owner, phone=phone)
    assert new.id != old.id
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT status FROM professional_invitations WHERE id = :i"),
                               {"i": old.id}).scalar_one() == "expired"


def test_accepting_for_a_suspended_business_is_refused(db) -> None:
    professional, owner = make_professional()
    invitee = make_user()
    invitation = invite(professional, owner, phone=invitee.phone)
    admin = caller_for(make_user(role=UserRole.admin))
    _as(admin, lambda s: professionals.set_suspended(session=s, caller=admin,
                                                     professional_id=professional.id,
                                                     suspended=True))
    with pytest.raises(Forbidden):
        _accept(invitee, invitation.id)
    assert _members(professional.id) == {owner.id: "owner"}


# --- the business's side: cancel, resend, limits ------------------------------------------


def test_owners_cancel_an_open_invitation_and_it_can_no_longer_be_accepted(db) -> None:
    professional, owner = make_professional()
    invitee = make_user()
    invitation = invite(professional, owner, phone=invitee.phone)
    oc = caller_for(owner)
    cancelled = _as(oc, lambda s: invitations.cancel_invitation(
        session=s, caller=oc, professional_id=professional.id, invitation_id=invitation.id))
    assert cancelled.status == InvitationStatus.cancelled
    with pytest.raises(Conflict):
        _accept(invitee, invitation.id)
    other, other_owner = make_professional(business_name="חשמל אלון")
    with pytest.raises(NotFound):  # another business's owner
        _as(caller_for(other_owner), lambda s: invitations.cancel_invitation(
            session=s, caller=caller_for(other_owner), professional_id=other.id,
            invitation_id=invitation.id))


def test_a_resend_waits_its_interval_then_sends_and_extends_the_expiry(db) -> None:
    professional, owner = make_professional()
    phone = next_phone()
    invitation = invite(professional, owner, phone=phone)
    oc = caller_for(owner)

    def resend():
        return _as(oc, lambda s: invitations.resend_invitation(
            session=s, caller=oc, professional_id=professional.id,
            invitation_id=invitation.id))

    with pytest.raises(RateLimited) as error:
        resend()
    assert 0 < error.value.retry_after_seconds <= rules.RESEND_INTERVAL.total_seconds() + 1
    earlier = utcnow() - rules.RESEND_INTERVAL - timedelta(seconds=1)
    _backdate(invitation.id, sent_times=[earlier], last_sent_at=earlier,
              expires_at=utcnow() + timedelta(days=1))
    again = resend()
    assert again.send_count == 2 and again.expires_at > utcnow() + timedelta(days=6)
    assert len(_messages(phone)) == 2


def test_a_business_sends_at_most_twenty_invitations_a_day(db) -> None:
    professional, owner = make_professional()
    for _ in range(rules.DAILY_SENDS_PER_BUSINESS):
        invite(professional, owner, phone=next_phone())
    with pytest.raises(RateLimited) as error:
        invite(professional, owner, phone=next_phone())
    assert error.value.code == "invitation_limit"
    assert 0 < error.value.retry_after_seconds <= 86_400
    # Removing and re-adding the same person is no way around it.
    first = invitations.list_invitations
    oc = caller_for(owner)
    oldest = _as(oc, lambda s: first(session=s, caller=oc, professional_id=professional.id))[-1]
    _as(oc, lambda s: invitations.cancel_invitation(
        session=s, caller=oc, professional_id=professional.id, invitation_id=oldest.id))
    with pytest.raises(RateLimited):
        invite(professional, owner, phone=oldest.phone)
    # Another business has its own allowance.
    other, other_owner = make_professional(business_name="חשמל אלון")
    assert invite(other, other_owner, phone=next_phone()).status == InvitationStatus.pending


def test_concurrent_invitations_never_pass_the_daily_limit(db) -> None:
    professional, owner = make_professional()
    for _ in range(rules.DAILY_SENDS_PER_BUSINESS - 2):
        invite(professional, owner, phone=next_phone())
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def attempt() -> None:
        barrier.wait()
        try:
            invite(professional, owner, phone=next_phone())
            outcomes.append("sent")
        except RateLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["limited"] * 4 + ["sent"] * 2


# --- roles, leaving, the last owner --------------------------------------------------------


def test_only_an_accepted_member_is_made_an_owner(db) -> None:
    professional, owner = make_professional()
    stranger = make_user()
    invite(professional, owner, phone=stranger.phone)
    oc = caller_for(owner)
    with pytest.raises(NotFound):
        _as(oc, lambda s: professionals.change_member_role(
            session=s, caller=oc, professional_id=professional.id, user_id=stranger.id,
            role=MemberRole.owner))
    colleague = make_user()
    add_member(professional, owner, colleague)
    promoted = _as(oc, lambda s: professionals.change_member_role(
        session=s, caller=oc, professional_id=professional.id, user_id=colleague.id,
        role=MemberRole.owner))
    assert promoted.role == MemberRole.owner
    assert _members(professional.id) == {owner.id: "owner", colleague.id: "owner"}


def test_the_last_owner_cannot_step_down_leave_or_be_removed(db) -> None:
    professional, owner = make_professional()
    colleague = make_user()
    add_member(professional, owner, colleague)
    oc = caller_for(owner)
    for work in (
        lambda s: professionals.change_member_role(session=s, caller=oc,
                                                   professional_id=professional.id,
                                                   user_id=owner.id, role=MemberRole.staff),
        lambda s: professionals.leave_business(session=s, caller=oc,
                                               professional_id=professional.id),
        lambda s: professionals.remove_member(session=s, caller=oc,
                                              professional_id=professional.id,
                                              user_id=owner.id),
    ):
        with pytest.raises(Conflict) as error:
            _as(oc, work)
        assert error.value.code == "last_owner"
    # A member leaves; a non-member cannot "leave".
    cc = caller_for(colleague)
    _as(cc, lambda s: professionals.leave_business(session=s, caller=cc,
                                                   professional_id=professional.id))
    assert _members(professional.id) == {owner.id: "owner"}
    with pytest.raises(Forbidden):
        _as(cc, lambda s: professionals.leave_business(session=s, caller=cc,
                                                       professional_id=professional.id))


def test_two_owners_stepping_down_at_once_leave_one_owner(db) -> None:
    professional, owner = make_professional()
    second = make_user()
    add_member(professional, owner, second)
    oc = caller_for(owner)
    _as(oc, lambda s: professionals.change_member_role(
        session=s, caller=oc, professional_id=professional.id, user_id=second.id,
        role=MemberRole.owner))
    callers = [caller_for(owner), caller_for(second)]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def step_down(caller: Caller) -> None:
        barrier.wait()
        try:
            _as(caller, lambda s: professionals.leave_business(
                session=s, caller=caller, professional_id=professional.id))
            outcomes.append("left")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=step_down, args=(c,)) for c in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["left", "refused"]
    assert list(_members(professional.id).values()) == ["owner"]


# --- several businesses --------------------------------------------------------------------


def test_someone_in_several_businesses_says_which_one(db) -> None:
    first, owner = make_professional(business_name="שיפוצי כהן")
    second, _ = make_professional(owner, business_name="חשמל כהן")
    caller = caller_for(owner)
    with pytest.raises(InvalidInput) as error:
        _as(caller, lambda s: wallets.wallet(session=s, caller=caller))
    assert error.value.fields == {"professional_id": "errors.professional.choose"}
    chosen = _as(caller, lambda s: wallets.wallet(session=s, caller=caller,
                                                  professional_id=second.id))
    assert chosen.professional_id == second.id
    only, single_owner = make_professional(business_name="מנעולן רון")
    single = caller_for(single_owner)
    assert _as(single, lambda s: wallets.wallet(session=s, caller=single)).professional_id \
        == only.id
    assert first.id != second.id


def test_two_owners_demoting_each_other_at_once_leave_one_owner(db) -> None:
    professional, owner = make_professional()
    second = make_user()
    add_member(professional, owner, second)
    oc = caller_for(owner)
    _as(oc, lambda s: professionals.change_member_role(
        session=s, caller=oc, professional_id=professional.id, user_id=second.id,
        role=MemberRole.owner))
    pairs = [(caller_for(owner), second.id), (caller_for(second), owner.id)]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def demote(caller: Caller, target: uuid.UUID) -> None:
        barrier.wait()
        try:
            _as(caller, lambda s: professionals.change_member_role(
                session=s, caller=caller, professional_id=professional.id, user_id=target,
                role=MemberRole.staff))
            outcomes.append("demoted")
        except (Conflict, Forbidden):  # the loser may already be staff when it checks
            outcomes.append("refused")

    threads = [threading.Thread(target=demote, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["demoted", "refused"]
    assert sorted(_members(professional.id).values()) == ["owner", "staff"]
