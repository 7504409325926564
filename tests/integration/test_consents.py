"""Consents on real Postgres: recorded at sign-up with their versions, own rows only, append-only;
marketing needs a current opt-in in the outbox, and a signed link withdraws it."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ofair_app import policies
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.consent import Acceptance, ConsentChannel, ConsentKind, MessagePurpose
from ofair_app.domain.errors import Forbidden, InvalidInput
from ofair_app.models import Consent, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import auth, consents, notifications
from ofair_app.settings import get_settings
from tests.factories import (
    caller_for,
    make_professional,
    make_user,
    next_phone,
    signup_acceptance,
)
from tests.integration.test_outbox import RecordingSender, outbox

VERSION = policies.current_versions()


@pytest.fixture(autouse=True)
def fixed_codes(monkeypatch):
    monkeypatch.setenv("OFAIR_TEST_OTPS", "+972500000031=112233")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _rows(user_id) -> list[tuple]:
    with unit_of_work(SYSTEM) as session:
        return [tuple(row) for row in session.execute(text(
            "SELECT kind, version, accepted, channel FROM consents WHERE user_id = :u"
            " ORDER BY id"), {"u": user_id})]


def _login(acceptance, phone="+972500000031", channel=ConsentChannel.web) -> auth.Login:
    with unit_of_work(SYSTEM) as session:
        auth.send_login_code(session=session, ip="203.0.113.9", phone=phone)
    with unit_of_work(SYSTEM) as session:
        return auth.verify_login_code(session=session, phone=phone, otp="112233",
                                      acceptance=acceptance, channel=channel)


def _opt_in(user, channel=ConsentChannel.web) -> None:
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        consents.record(session=session, caller=caller, acceptance=Acceptance(marketing=True),
                        channel=channel)


# --- sign-up ---------------------------------------------------------------------------------


def test_sign_up_records_each_document_with_its_version_and_channel(db):
    login = _login(signup_acceptance(marketing=True))
    assert login.created and login.pending_consents == frozenset()
    assert _rows(login.user.id) == [
        ("privacy_notice", VERSION[ConsentKind.privacy_notice], True, "web"),
        ("terms", VERSION[ConsentKind.terms], True, "web"),
        ("marketing", policies.MARKETING_VERSION, True, "web"),
    ]


def test_marketing_is_no_until_the_person_says_yes(db):
    login = _login(signup_acceptance())
    assert [kind for kind, *_ in _rows(login.user.id)] == ["privacy_notice", "terms"]
    caller = caller_for(login.user)
    with unit_of_work(caller) as session:
        assert consents.status(session=session, caller=caller).marketing is False


def test_sign_up_without_acknowledging_opens_no_account_and_keeps_the_code(db):
    with pytest.raises(InvalidInput) as refused:
        _login(None)
    assert refused.value.code == "consent_required"
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
        assert session.execute(text("SELECT count(*) FROM consents")).scalar_one() == 0
    # The same code still works once the person has acknowledged the documents.
    with unit_of_work(SYSTEM) as session:
        login = auth.verify_login_code(session=session, phone="+972500000031", otp="112233",
                                       acceptance=signup_acceptance())
    assert login.created


def test_an_outdated_version_at_sign_up_is_refused(db):
    with pytest.raises(InvalidInput) as refused:
        _login(Acceptance(privacy_notice_version="2020-01-01",
                          terms_version=VERSION[ConsentKind.terms]))
    assert set(refused.value.fields) == {"privacy_notice_version"}


def test_a_new_version_is_pending_for_existing_users_until_they_accept(db, monkeypatch):
    login = _login(signup_acceptance())
    newer = policies.Policy(ConsentKind.terms, "2027-03-01", policies.POLICIES[
        ConsentKind.terms].effective, "/terms")
    monkeypatch.setitem(policies.POLICIES, ConsentKind.terms, newer)
    caller = caller_for(login.user)
    with unit_of_work(caller) as session:
        status = consents.status(session=session, caller=caller)
        assert status.pending == {ConsentKind.terms}
        assert status.terms.accepted_version == VERSION[ConsentKind.terms]
        consents.record(session=session, caller=caller, channel=ConsentChannel.api,
                        acceptance=Acceptance(terms_version="2027-03-01"))
        assert consents.status(session=session, caller=caller).pending == frozenset()
    assert _rows(login.user.id)[-1] == ("terms", "2027-03-01", True, "api")


def test_accepting_again_writes_nothing_new(db):
    login = _login(signup_acceptance())
    caller = caller_for(login.user)
    with unit_of_work(caller) as session:
        consents.record(session=session, caller=caller, channel=ConsentChannel.api,
                        acceptance=signup_acceptance(marketing=False))
        consents.record(session=session, caller=caller, channel=ConsentChannel.api,
                        acceptance=signup_acceptance(marketing=False))
    # The first "no" to marketing is kept (the person was asked); the repeat writes nothing.
    assert [kind for kind, *_ in _rows(login.user.id)] == ["privacy_notice", "terms",
                                                           "marketing"]


# --- row-level security and append-only ------------------------------------------------------


def _visible(caller) -> set:
    with unit_of_work(caller) as session:
        return set(session.execute(text("SELECT user_id FROM consents")).scalars())


@pytest.fixture
def two_people(db):
    dana, yossi = make_user(), make_user()
    for person in (dana, yossi):
        _opt_in(person)
    return dana, yossi


def test_a_person_reads_only_their_own_consents(two_people):
    dana, yossi = two_people
    assert _visible(caller_for(dana)) == {dana.id}
    assert _visible(caller_for(yossi)) == {yossi.id}


def test_another_business_reads_no_ones_consents(two_people):
    dana, _ = two_people
    _business, owner = make_professional()
    assert dana.id not in _visible(caller_for(owner))


def test_anonymous_reads_and_writes_no_consents(two_people):
    assert _visible(ANONYMOUS) == set()
    dana, _ = two_people
    with pytest.raises(DBAPIError), unit_of_work(ANONYMOUS) as session:
        session.execute(text(
            "INSERT INTO consents (user_id, kind, version, accepted, channel)"
            " VALUES (:u, 'marketing', 'x', true, 'web')"), {"u": dana.id})


def test_admins_read_everyones_consents(two_people):
    admin = make_user(role=UserRole.admin)
    assert {p.id for p in two_people} <= _visible(caller_for(admin))


def test_nobody_writes_a_consent_for_someone_else(two_people):
    dana, yossi = two_people
    admin = make_user(role=UserRole.admin)
    for writer in (yossi, admin):
        with pytest.raises(DBAPIError), unit_of_work(caller_for(writer)) as session:
            session.add(Consent(user_id=dana.id, kind=ConsentKind.marketing, version="x",
                                accepted=False, channel=ConsentChannel.web))
            session.flush()


@pytest.mark.parametrize("statement", [
    "UPDATE consents SET accepted = false WHERE user_id = :u",
    "DELETE FROM consents WHERE user_id = :u",
])
def test_consents_are_append_only_even_for_their_owner_and_admins(two_people, statement):
    dana, _ = two_people
    admin = make_user(role=UserRole.admin)
    for who in (caller_for(dana), caller_for(admin)):
        with pytest.raises(DBAPIError, match="permission denied"), unit_of_work(who) as session:
            session.execute(text(statement), {"u": dana.id})
    assert _rows(dana.id) == [("marketing", policies.MARKETING_VERSION, True, "web")]


# --- marketing through the outbox --------------------------------------------------------


def _queue(user, purpose=MessagePurpose.marketing, caller=SYSTEM):
    with unit_of_work(caller) as session:
        return notifications.enqueue(session=session, channel="sms", to=user.phone,
                                     template="marketing_update", locale=user.locale,
                                     params={"subject": "מבצע חורף", "text": "מזגנים"},
                                     user_id=user.id, purpose=purpose)


def test_the_outbox_refuses_marketing_without_an_opt_in(db):
    dana = make_user()
    with pytest.raises(Forbidden) as refused:
        _queue(dana)
    assert refused.value.code == "marketing_not_allowed"
    # No recipient whose consent could be checked: refused too.
    with pytest.raises(Forbidden), unit_of_work(SYSTEM) as session:
        notifications.enqueue(session=session, channel="sms", to=next_phone(),
                              template="marketing_update", locale="he",
                              params={"subject": "x", "text": "x"},
                              purpose=MessagePurpose.marketing)
    assert outbox() == []


def test_the_database_refuses_a_marketing_row_without_an_opt_in(db):
    dana = make_user()
    with pytest.raises(DBAPIError, match="row-level security"), unit_of_work(SYSTEM) as session:
        session.execute(text(
            "INSERT INTO outbox_messages (id, channel, to_address, template, locale, body,"
            " user_id, purpose) VALUES (gen_random_uuid(), 'sms', :to, 'marketing_update',"
            " 'he', 'x', :u, 'marketing')"), {"to": dana.phone, "u": dana.id})


def test_transactional_messages_need_no_opt_in(db):
    dana = make_user()
    _queue(dana, purpose=MessagePurpose.transactional)
    assert [m["purpose"] for m in outbox()] == ["transactional"]


def test_marketing_to_an_opted_in_person_is_marked_and_carries_a_working_opt_out(db):
    dana = make_user()
    _opt_in(dana)
    _queue(dana)
    [message] = outbox()
    assert message["purpose"] == "marketing"
    body = message["body"]
    assert body.startswith("פרסומת: חדש ב־OFAIR — מבצע חורף: מזגנים")
    link = re.search(r"להסרה: (\S+)", body).group(1)
    assert urlsplit(link).path == "/unsubscribe"
    token = parse_qs(urlsplit(link).query)["token"][0]
    with unit_of_work(SYSTEM) as session:
        assert consents.unsubscribe(session=session, token=token,
                                    channel=ConsentChannel.web) == dana.id
    assert _rows(dana.id)[-1] == ("marketing", policies.MARKETING_VERSION, False, "web")
    with pytest.raises(Forbidden):
        _queue(dana)


def test_an_english_marketing_email_is_marked_in_its_subject(db):
    dana = make_user(email="dana@example.com")
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE users SET locale = 'en' WHERE id = :u"), {"u": dana.id})
    _opt_in(dana)
    with unit_of_work(SYSTEM) as session:
        notifications.enqueue(session=session, channel="email", to="dana@example.com",
                              template="marketing_update", locale="en",
                              params={"text": "Winter deals", "subject": "Winter"},
                              user_id=dana.id, purpose=MessagePurpose.marketing)
    [message] = outbox()
    assert message["subject"] == "פרסומת: Winter"
    assert "Unsubscribe in one click: http" in message["body"]


def test_a_withdrawal_before_delivery_stops_the_message(db, monkeypatch):
    dana = make_user()
    _opt_in(dana)
    sender = RecordingSender()
    monkeypatch.setattr(notifications, "_dispatcher", _NoDispatch())
    _queue(dana)
    caller = caller_for(dana)
    with unit_of_work(caller) as session:
        consents.record(session=session, caller=caller, acceptance=Acceptance(marketing=False),
                        channel=ConsentChannel.web)
    with unit_of_work(SYSTEM) as session:
        counts = notifications.deliver_due(session=session, now=utcnow(), sender=sender)
    assert counts["failed"] == 1 and sender.sent == []
    [message] = outbox()
    assert message["status"] == "failed" and message["body"] == ""


class _NoDispatch:
    """Keeps freshly committed messages pending, for the job to find."""

    def submit(self, ids) -> None:
        pass

    def drain(self, timeout: float = 10.0) -> None:
        pass


def test_send_marketing_skips_people_without_an_opt_in_and_is_for_admins(db):
    admin, yes, no = make_user(role=UserRole.admin), make_user(), make_user()
    _opt_in(yes)
    caller = caller_for(admin)
    with unit_of_work(caller) as session:
        counts = notifications.send_marketing(session=session, caller=caller,
                                              template="marketing_update",
                                              params={"subject": "חדש", "text": "שירות"},
                                              user_ids=[yes.id, no.id])
    assert counts == {"queued": 1, "skipped": 1}
    assert [m["to_address"] for m in outbox()] == [yes.phone]
    consumer = caller_for(no)
    with pytest.raises(Forbidden), unit_of_work(consumer) as session:
        notifications.send_marketing(session=session, caller=consumer,
                                     template="marketing_update",
                                     params={"subject": "x", "text": "x"}, user_ids=[yes.id])


# --- the unsubscribe link --------------------------------------------------------------------


def test_a_bad_or_expired_link_is_refused_and_changes_nothing(db):
    dana = make_user()
    _opt_in(dana)
    link = consents.unsubscribe_link(dana.id, now=utcnow() - timedelta(days=400))
    expired = parse_qs(urlsplit(link).query)["token"][0]
    for token, code in ((expired, "unsubscribe_link_expired"),
                        ("not-a-token", "unsubscribe_link_invalid")):
        with pytest.raises(InvalidInput) as refused, unit_of_work(SYSTEM) as session:
            consents.unsubscribe(session=session, token=token, channel=ConsentChannel.web)
        assert refused.value.code == code
    assert _rows(dana.id)[-1][2] is True


def test_unsubscribing_twice_writes_one_withdrawal(db):
    dana = make_user()
    _opt_in(dana)
    token = parse_qs(urlsplit(consents.unsubscribe_link(dana.id)).query)["token"][0]
    for _ in range(2):
        with unit_of_work(SYSTEM) as session:
            consents.unsubscribe(session=session, token=token, channel=ConsentChannel.web)
    assert [accepted for _, _, accepted, _ in _rows(dana.id)] == [True, False]
