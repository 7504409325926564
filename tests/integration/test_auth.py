"""OTP login and tokens on the real database (DESIGN.md §3)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from ofair_app.db.engine import SYSTEM, Caller, unit_of_work
from ofair_app.domain.errors import InvalidInput, RateLimited, Unauthenticated
from ofair_app.models._base import utcnow
from ofair_app.services import auth, notifications
from ofair_app.settings import get_settings
from tests.factories import make_user, next_phone, signup_acceptance


@pytest.fixture
def test_otps(monkeypatch):
    monkeypatch.setenv("OFAIR_TEST_OTPS", "+972500000001=123456;+972500000002=654321")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def sent_code(target: str) -> str:
    """The code the console adapter kept in the outbox for `target` (as a developer reads it)."""
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        body = session.execute(text(
            "SELECT body FROM outbox_messages WHERE to_address = :t ORDER BY created_at DESC"
            " LIMIT 1"), {"t": target}).scalar_one()
    return re.search(r"\b(\d{6})\b", body).group(1)


def send(phone: str | None = None, email: str | None = None, now=None,
         ip: str = "203.0.113.7") -> auth.OtpSent:
    with unit_of_work(SYSTEM) as session:
        return auth.send_login_code(session=session, ip=ip, phone=phone, email=email, now=now)


def verify(otp: str, phone: str | None = None, email: str | None = None, now=None) -> auth.Login:
    with unit_of_work(SYSTEM) as session:
        return auth.verify_login_code(session=session, phone=phone, email=email, otp=otp, now=now,
                                      acceptance=signup_acceptance())


def test_three_spellings_of_one_mobile_log_into_one_user(db) -> None:
    users = []
    for spelling in ("050-123-4567", "0501234567", "+972501234567"):
        sent = send(phone=spelling, now=utcnow() - timedelta(minutes=4 - 2 * len(users)))
        assert sent.target.value == "+972501234567"
        login = verify(sent_code("+972501234567"), phone=spelling)
        users.append(login.user.id)
    assert len(set(users)) == 1


def test_first_login_creates_a_consumer_and_a_token_that_resolves(db) -> None:
    phone = next_phone()
    send(phone=phone)
    login = verify(sent_code(phone), phone=phone)
    assert login.created and login.user.role == "consumer" and login.user.phone == phone
    with unit_of_work(SYSTEM) as session:
        caller = auth.resolve_token(session=session, token=login.token)
        stored = session.execute(text("SELECT token_hash FROM auth_tokens")).scalars().all()
    assert caller == Caller(user_id=login.user.id, role="consumer")
    assert login.token not in stored and len(stored) == 1


def test_codes_are_stored_only_as_hashes(db) -> None:
    phone = next_phone()
    send(phone=phone)
    code = sent_code(phone)
    with unit_of_work(SYSTEM) as session:
        row = session.execute(text("SELECT * FROM otp_codes")).mappings().one()
    assert code not in str(dict(row))


def test_login_by_email_is_case_insensitive(db) -> None:
    send(email="Dana@Example.com")
    login = verify(sent_code("dana@example.com"), email="DANA@example.com")
    assert login.user.email == "dana@example.com" and login.user.phone is None


def test_test_numbers_use_their_fixed_code_and_send_nothing(db, test_otps) -> None:
    send(phone="050-000-0001")
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM outbox_messages")).scalar_one() == 0
    assert verify("123456", phone="0500000001").user.phone == "+972500000001"


def test_test_numbers_still_obey_send_limits_and_attempts(db, test_otps) -> None:
    send(phone="+972500000002")
    with pytest.raises(RateLimited):
        send(phone="+972500000002")
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            verify("111111", phone="+972500000002")
    with pytest.raises(Unauthenticated) as error:
        verify("654321", phone="+972500000002")
    assert error.value.code == "otp_attempts_exceeded"


def test_a_second_code_within_a_minute_is_refused_with_retry_after(db) -> None:
    phone = next_phone()
    now = utcnow()
    send(phone=phone, now=now)
    with pytest.raises(RateLimited) as error:
        send(phone=phone, now=now + timedelta(seconds=20))
    assert 39 <= error.value.retry_after_seconds <= 41
    send(phone=phone, now=now + timedelta(seconds=61))


def test_more_than_five_codes_an_hour_are_refused(db) -> None:
    phone = next_phone()
    start = utcnow() - timedelta(minutes=30)
    for minute in range(5):
        send(phone=phone, now=start + timedelta(minutes=2 * minute))
    with pytest.raises(RateLimited) as error:
        send(phone=phone, now=start + timedelta(minutes=12))
    # The first send leaves the hour window 60 minutes after it was made.
    assert 47 * 60 <= error.value.retry_after_seconds <= 48 * 60 + 1


def test_more_than_ten_codes_a_day_are_refused(db) -> None:
    phone = next_phone()
    start = utcnow() - timedelta(hours=20)
    for index in range(10):
        send(phone=phone, now=start + timedelta(hours=index * 1.5))
    with pytest.raises(RateLimited) as error:
        send(phone=phone, now=start + timedelta(hours=15.5))
    assert error.value.retry_after_seconds > 3600


def test_limits_are_per_target(db) -> None:
    now = utcnow()
    send(phone=next_phone(), now=now)
    send(phone=next_phone(), now=now)


def test_simultaneous_sends_to_one_target_let_only_one_through(db) -> None:
    phone = next_phone()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            send(phone=phone)
            outcomes.append("sent")
        except RateLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["limited", "limited", "limited", "sent"]


@pytest.fixture
def budgets(monkeypatch):
    """Set the hourly budgets for one test: `budgets(ip=3, sms=5)`."""
    def configure(*, ip: int | None = None, sms: int | None = None) -> None:
        if ip is not None:
            monkeypatch.setenv("OTP_IP_HOURLY_LIMIT", str(ip))
        if sms is not None:
            monkeypatch.setenv("OTP_GLOBAL_HOURLY_LIMIT", str(sms))
        get_settings.cache_clear()
    yield configure
    get_settings.cache_clear()


def test_one_network_gets_thirty_codes_an_hour_whatever_the_numbers(db) -> None:
    start = utcnow() - timedelta(minutes=40)
    for index in range(30):
        send(phone=next_phone(), now=start + timedelta(seconds=index), ip="198.51.100.9")
    with pytest.raises(RateLimited) as error:
        send(phone=next_phone(), now=start + timedelta(minutes=10), ip="198.51.100.9")
    assert error.value.code == "otp_network_budget"
    assert error.value.message_key == "errors.auth.too_many_codes_network"
    # The first of the thirty leaves the hour 60 minutes after it was sent: 50 minutes on.
    assert 50 * 60 <= error.value.retry_after_seconds <= 50 * 60 + 1
    send(phone=next_phone(), now=start + timedelta(minutes=10), ip="198.51.100.10")
    send(phone=next_phone(), now=start + timedelta(minutes=60, seconds=1), ip="198.51.100.9")


def test_the_network_budget_is_a_setting_and_refuses_e_mail_too(db, budgets) -> None:
    budgets(ip=2)
    send(phone=next_phone(), ip="198.51.100.9")
    send(email="dana@example.com", ip="198.51.100.9")
    with pytest.raises(RateLimited):
        send(email="noa@example.com", ip="198.51.100.9")
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM otp_codes")).scalar_one() == 2


def test_ipv6_addresses_of_one_prefix_share_a_budget(db, budgets) -> None:
    budgets(ip=2)
    send(phone=next_phone(), ip="2001:db8:7:1::1")
    send(phone=next_phone(), ip="2001:db8:7:1:ffff::2")
    with pytest.raises(RateLimited):
        send(phone=next_phone(), ip="2001:db8:7:1::3")
    send(phone=next_phone(), ip="2001:db8:7:2::1")  # another subscriber's prefix


def test_codes_for_test_numbers_count_against_the_network_budget(db, test_otps,
                                                                  budgets) -> None:
    budgets(ip=1)
    send(phone="+972500000001", ip="198.51.100.9")
    with pytest.raises(RateLimited):
        send(phone=next_phone(), ip="198.51.100.9")


def test_the_platform_sends_at_most_its_hourly_budget_of_text_messages(db, budgets) -> None:
    budgets(sms=3)
    start = utcnow() - timedelta(minutes=30)
    for index in range(3):  # three numbers, three networks: only the platform's budget counts
        send(phone=next_phone(), now=start + timedelta(minutes=index), ip=f"192.0.2.{index}")
    with pytest.raises(RateLimited) as error:
        send(phone=next_phone(), now=start + timedelta(minutes=5), ip="192.0.2.50")
    assert error.value.code == "otp_sms_budget"
    assert 55 * 60 <= error.value.retry_after_seconds <= 55 * 60 + 1
    send(email="dana@example.com", now=start + timedelta(minutes=5), ip="192.0.2.50")
    send(phone=next_phone(), now=start + timedelta(minutes=60, seconds=1), ip="192.0.2.50")


def test_simultaneous_sends_from_one_network_stay_within_its_budget(db, budgets) -> None:
    budgets(ip=2)
    barrier = threading.Barrier(5)
    outcomes: list[str] = []

    def attempt() -> None:
        phone = next_phone()
        barrier.wait()
        try:
            send(phone=phone, ip="198.51.100.77")
            outcomes.append("sent")
        except RateLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["limited"] * 3 + ["sent"] * 2


@pytest.mark.parametrize("phone", ["02-6234567", "03-6234567", "04-8234567", "08-9234567",
                                   "09-7234567", "072-2345678", "077-2345678", "1-700-500-500"])
def test_landline_voip_and_service_numbers_get_no_code(db, phone: str) -> None:
    with pytest.raises(InvalidInput) as error:
        send(phone=phone)
    assert error.value.fields == {"phone": "errors.phone.not_mobile"}
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM otp_codes")).scalar_one() == 0


def test_wrong_codes_count_even_though_the_request_fails(db) -> None:
    phone = next_phone()
    send(phone=phone)
    code = sent_code(phone)
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(1, 5):
        with pytest.raises(Unauthenticated) as error:
            verify(wrong, phone=phone)
        assert error.value.code == "otp_invalid"
        with unit_of_work(SYSTEM) as session:
            assert session.execute(text("SELECT attempts FROM otp_codes")).scalar_one() == attempt
    with pytest.raises(Unauthenticated) as error:
        verify(wrong, phone=phone)
    assert error.value.code == "otp_attempts_exceeded"
    with pytest.raises(Unauthenticated) as error:
        verify(code, phone=phone)  # the right code is dead after five wrong ones
    assert error.value.code == "otp_attempts_exceeded"


def test_an_expired_code_is_refused(db) -> None:
    phone = next_phone()
    sent = send(phone=phone)
    with pytest.raises(Unauthenticated):
        verify(sent_code(phone), phone=phone, now=sent.expires_at + timedelta(seconds=1))


def test_a_code_works_once(db) -> None:
    phone = next_phone()
    send(phone=phone)
    code = sent_code(phone)
    verify(code, phone=phone)
    with pytest.raises(Unauthenticated):
        verify(code, phone=phone)


def test_a_resend_retires_the_previous_code(db) -> None:
    phone = next_phone()
    send(phone=phone, now=utcnow() - timedelta(minutes=2))
    first = sent_code(phone)
    send(phone=phone)
    second = sent_code(phone)
    if first != second:
        with pytest.raises(Unauthenticated):
            verify(first, phone=phone)
    verify(second, phone=phone)


def test_a_code_for_one_number_does_not_open_another(db) -> None:
    first, second = next_phone(), next_phone()
    send(phone=first)
    send(phone=second)
    code = sent_code(first)
    if code != sent_code(second):
        with pytest.raises(Unauthenticated):
            verify(code, phone=second)


@pytest.mark.parametrize("otp", ["12345", "1234567", "abcdef", ""])
def test_malformed_codes_are_a_validation_error(db, otp: str) -> None:
    phone = next_phone()
    send(phone=phone)
    with pytest.raises(InvalidInput):
        verify(otp, phone=phone)


def test_phone_and_email_together_are_refused(db) -> None:
    with pytest.raises(InvalidInput):
        send(phone=next_phone(), email="a@example.com")
    with pytest.raises(InvalidInput):
        send()


def test_a_disabled_account_cannot_log_in_or_use_its_tokens(db) -> None:
    user = make_user(is_active=False)
    send(phone=user.phone)
    with pytest.raises(Exception) as error:
        verify(sent_code(user.phone), phone=user.phone)
    assert getattr(error.value, "code", "") == "account_disabled"


def test_revoked_and_expired_tokens_resolve_to_nobody(db) -> None:
    user = make_user()
    with unit_of_work(SYSTEM) as session:
        token, _ = auth.issue_token(session=session, user_id=user.id)
        old, _ = auth.issue_token(session=session, user_id=user.id,
                                  now=utcnow() - timedelta(days=31))
    with unit_of_work(Caller(user_id=user.id, role="consumer")) as session:
        assert auth.revoke_token(session=session, token=token)
    with unit_of_work(SYSTEM) as session:
        assert auth.resolve_token(session=session, token=token) is None
        assert auth.resolve_token(session=session, token=old) is None
        assert auth.resolve_token(session=session, token="not-a-token") is None
        assert auth.resolve_token(session=session, token="x" * 500) is None


def resolve(token: str, now):
    with unit_of_work(SYSTEM) as session:
        return auth.resolve_token(session=session, token=token, now=now)


def test_an_admins_session_ends_after_idle_minutes_and_use_keeps_it(db) -> None:
    from ofair_app.models import UserRole

    admin, consumer = make_user(role=UserRole.admin), make_user()
    start = utcnow()
    with unit_of_work(SYSTEM) as session:
        kept, _ = auth.issue_token(session=session, user_id=admin.id, now=start)
        idle, _ = auth.issue_token(session=session, user_id=admin.id, now=start)
        theirs, _ = auth.issue_token(session=session, user_id=consumer.id, now=start)
    limit = get_settings().admin_session_idle_minutes
    assert limit == 30
    # used every 20 minutes for two hours: never idle for 30
    for step in range(1, 7):
        assert resolve(kept, start + timedelta(minutes=20 * step)) is not None, step
    # unused for 31 minutes: ended for good (revoked: using it again does not revive it)
    assert resolve(idle, start + timedelta(minutes=limit + 1)) is None
    assert resolve(idle, start + timedelta(minutes=limit + 2)) is None
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT revoked_at IS NOT NULL FROM auth_tokens"
                                    " WHERE user_id = :id AND last_used_at IS NULL"),
                               {"id": admin.id}).scalar_one()
    # anyone else's session is not ended by idleness
    assert resolve(theirs, start + timedelta(days=5)) is not None


def test_a_tokens_use_is_written_at_most_once_a_minute(db) -> None:
    user = make_user()
    start = utcnow()
    with unit_of_work(SYSTEM) as session:
        token, _ = auth.issue_token(session=session, user_id=user.id, now=start)

    def last_used():
        with unit_of_work(SYSTEM) as session:
            return session.execute(text("SELECT last_used_at FROM auth_tokens"
                                        " WHERE user_id = :id"), {"id": user.id}).scalar_one()

    resolve(token, start + timedelta(seconds=30))
    assert last_used() is None  # under a minute since it was issued
    resolve(token, start + timedelta(seconds=70))
    assert last_used() == start + timedelta(seconds=70)
    resolve(token, start + timedelta(seconds=100))
    assert last_used() == start + timedelta(seconds=70)


def test_a_user_cannot_revoke_someone_elses_token(db) -> None:
    owner, other = make_user(), make_user()
    with unit_of_work(SYSTEM) as session:
        token, _ = auth.issue_token(session=session, user_id=owner.id)
    with unit_of_work(Caller(user_id=other.id, role="consumer")) as session:
        assert not auth.revoke_token(session=session, token=token)
    with unit_of_work(SYSTEM) as session:
        assert auth.resolve_token(session=session, token=token) is not None


def test_purge_removes_expired_tokens_and_old_codes_only(db) -> None:
    user = make_user()
    now = utcnow()
    with unit_of_work(SYSTEM) as session:
        auth.issue_token(session=session, user_id=user.id, now=now - timedelta(days=40))
        live, _ = auth.issue_token(session=session, user_id=user.id, now=now)
    send(phone=next_phone(), now=now - timedelta(days=2))
    send(phone=next_phone(), now=now - timedelta(minutes=1))
    with unit_of_work(SYSTEM) as session:
        assert auth.purge_expired(session=session, now=now) == {"tokens": 1, "codes": 1}
        assert auth.resolve_token(session=session, token=live) is not None
