"""A person's rights over their data, on real Postgres: the export, closing an account (and
that nothing personal of theirs remains anywhere the registry knows of), the audit trail."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from jobs import run_job
from ofair_app.adapters.storage import get_storage
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.errors import Conflict, InvalidInput, NotFound, RateLimited
from ofair_app.domain.personal_data import REGISTRY
from ofair_app.models import ExportStatus, PersonalDataExport, User, UserRole
from ofair_app.services import audit, auth, leads, privacy
from tests.factories import (
    PDF_BYTES,
    caller_for,
    make_lead,
    make_paid_job,
    make_professional,
    make_user,
    signup_acceptance,
)

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
HELD_RELEASE = datetime.now(UTC) + timedelta(days=30)


def request(user: User, now: datetime = NOW) -> privacy.ExportView:
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return privacy.request_export(session=session, caller=caller, ip="198.51.100.4",
                                      now=now)


def status(user: User, export_id: uuid.UUID, now: datetime = NOW) -> privacy.ExportView:
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return privacy.export_status(session=session, caller=caller, export_id=export_id,
                                     now=now)


def close(user: User, confirmation: str | None = None) -> privacy.ClosureReport:
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return privacy.close_account(session=session, caller=caller,
                                     confirmation=confirmation or user.phone or "")


def archive_of(export: privacy.ExportView) -> zipfile.ZipFile:
    with unit_of_work(SYSTEM) as session:
        key = session.get(PersonalDataExport, export.id).storage_key
    return zipfile.ZipFile(io.BytesIO(get_storage().get(key)))


# --- export ------------------------------------------------------------------------------


def test_an_export_is_built_by_the_job_from_every_table_that_holds_the_persons_data(db):
    consumer = make_user(name="מיכל ייצוא", email="michal@example.com")
    lead = make_lead(consumer)
    other = make_user(name="אחר לגמרי")
    make_lead(other)
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        leads.add_attachment(session=session, caller=caller, lead_id=lead.id,
                             filename="כיור.pdf", data=PDF_BYTES)
    asked = request(consumer)
    assert asked.status == ExportStatus.pending and asked.download_url is None

    outcome = run_job("personal_data_exports", as_of=NOW)
    assert outcome.status == "succeeded" and outcome.detail.startswith("built 1 exports")
    ready = status(consumer, asked.id, now=NOW + timedelta(minutes=1))
    assert ready.status == ExportStatus.ready and ready.download_url
    assert ready.expires_at == NOW + timedelta(hours=24)

    archive = archive_of(ready)
    names = set(archive.namelist())
    assert {"data.json", "users.csv", "leads.csv", "consumer_leads.csv",
            "auth_tokens.csv"} <= names
    assert any(name.startswith("files/lead_attachments/") and name.endswith("כיור.pdf")
               for name in names)
    data = json.loads(archive.read("data.json"))
    assert data["format"] == "ofair-personal-data/1"
    assert set(data["tables"]) == {t.name for t in REGISTRY if t.subject and t.exported}
    [me] = data["tables"]["users"]
    assert (me["name"], me["email"], me["phone"]) == ("מיכל ייצוא", "michal@example.com",
                                                      consumer.phone)
    assert [row["id"] for row in data["tables"]["leads"]] == [str(lead.id)]
    assert data["tables"]["consumer_leads"][0]["client_address"] == "הרצל 12, חיפה"
    assert data["tables"]["auth_tokens"] and all(
        "token_hash" not in row for row in data["tables"]["auth_tokens"])
    assert "אחר לגמרי" not in archive.read("data.json").decode()
    assert archive.read("users.csv").decode("utf-8-sig").startswith("id,phone,email,name,")


def test_the_link_is_the_owners_only_and_the_archive_expires(db):
    owner, stranger = make_user(), make_user()
    asked = request(owner)
    run_job("personal_data_exports", as_of=NOW)
    with pytest.raises(NotFound):
        status(stranger, asked.id)
    late = status(owner, asked.id, now=NOW + timedelta(hours=25))
    assert late.status == ExportStatus.expired and late.download_url is None

    outcome = run_job("personal_data_exports", as_of=NOW + timedelta(hours=25))
    assert outcome.detail.endswith("1 expired")
    with unit_of_work(SYSTEM) as session:
        row = session.get(PersonalDataExport, asked.id)
    assert row.status == ExportStatus.expired and row.storage_key is None
    assert not get_storage().exists(f"exports/{owner.id}/{asked.id}.zip")


def test_repeated_requests_are_rate_limited(db):
    user = make_user()
    request(user)
    with pytest.raises(RateLimited) as pending:
        request(user, NOW + timedelta(minutes=1))
    assert pending.value.code == "export_pending"
    run_job("personal_data_exports", as_of=NOW)
    request(user, NOW + timedelta(hours=1))
    run_job("personal_data_exports", as_of=NOW + timedelta(hours=1))
    request(user, NOW + timedelta(hours=2))
    run_job("personal_data_exports", as_of=NOW + timedelta(hours=2))
    with pytest.raises(RateLimited) as limit:
        request(user, NOW + timedelta(hours=3))
    assert limit.value.code == "export_limit"
    assert limit.value.retry_after_seconds == 21 * 3600 + 1
    assert request(user, NOW + timedelta(hours=24, seconds=1)).status == ExportStatus.pending


def test_exports_are_private_to_their_owner_under_rls(db):
    owner = make_user()
    _business, pro = make_professional()
    asked = request(owner)
    for caller in (caller_for(make_user()), caller_for(pro), ANONYMOUS):
        with unit_of_work(caller) as session:
            assert session.execute(text("SELECT count(*) FROM personal_data_exports"))\
                .scalar_one() == 0
    # Nobody writes an export for someone else, or marks their own ready.
    intruder = caller_for(make_user())
    with pytest.raises(Exception, match="row-level security"), \
            unit_of_work(intruder) as session:
        session.add(PersonalDataExport(user_id=owner.id))
        session.flush()
    mine = caller_for(owner)
    with unit_of_work(mine) as session:
        updated = session.execute(text(
            "UPDATE personal_data_exports SET status = 'ready', storage_key = 'x'"
            " WHERE id = :id"), {"id": asked.id}).rowcount
    assert updated == 0


# --- closing an account -------------------------------------------------------------------


def personal_values(user: User) -> list[str]:
    return [value for value in (user.phone, user.email, user.name) if value]


def remaining(values: list[str]) -> list[str]:
    """Every registered column (of every registered table) that still holds one of `values`."""
    found = []
    with unit_of_work(SYSTEM) as session:
        for table in REGISTRY:
            for column in table.columns:
                for value in values:
                    hits = session.execute(text(
                        f"SELECT count(*) FROM {table.name}"
                        f" WHERE CAST({column} AS text) LIKE :pattern"),
                        {"pattern": f"%{value}%"}).scalar_one()
                    if hits:
                        found.append(f"{table.name}.{column} has {value!r}")
    return found


def anywhere(values: list[str]) -> list[str]:
    """Every column of every table in the schema (registered or not) that holds one of
    `values`: what a closure must leave nowhere."""
    found = []
    with unit_of_work(SYSTEM) as session:
        columns = session.execute(text(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
            " AND c.table_name NOT IN ('alembic_version', 'localities', 'categories',"
            " 'subcategories')")).all()
        for table, column in columns:
            for value in values:
                hits = session.execute(text(
                    f'SELECT count(*) FROM "{table}"'
                    f' WHERE CAST("{column}" AS text) LIKE :pattern'),
                    {"pattern": f"%{value}%"}).scalar_one()
                if hits:
                    found.append(f"{table}.{column} has {value!r}")
    return found


def ledger_total() -> Decimal:
    with unit_of_work(SYSTEM) as session:
        return session.execute(text("SELECT coalesce(sum(amount), 0) FROM ledger_entries"))\
            .scalar_one()


def test_closing_erases_every_personal_value_and_keeps_the_ledger_balanced(db):
    consumer = make_user(name="שרה סוגרת", email="sara.closes@example.com")
    _business, performer = make_professional(business_name="אינסטלציה שלום")
    paid = make_paid_job(consumer, performer, "800", released_at=HELD_RELEASE)
    open_lead = make_lead(consumer)
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        leads.add_attachment(session=session, caller=caller, lead_id=open_lead.id,
                             filename="photo.pdf", data=PDF_BYTES)
        key = session.execute(text("SELECT storage_key FROM lead_attachments")).scalar_one()
        leads.reveal_contact(session=session, caller=caller, lead_id=paid.id,
                             ip="198.51.100.77", user_agent="SaraBrowser/1.0")
    request(consumer)
    run_job("personal_data_exports", as_of=NOW)
    values = [*personal_values(consumer), "198.51.100.77", "SaraBrowser", "הרצל 12"]
    assert remaining(values)  # the values are there before
    before = ledger_total()

    report = close(consumer, confirmation="sara.closes@example.com")
    assert report.cancelled_leads == 1
    assert remaining(values) == []
    assert anywhere(values) == []
    assert ledger_total() == before == 0
    assert not get_storage().exists(key)
    with unit_of_work(SYSTEM) as session:
        row = session.get(User, consumer.id)
        kept = session.execute(text("SELECT count(*) FROM payments WHERE payer_user_id = :u"),
                               {"u": consumer.id}).scalar_one()
        tokens = session.execute(text("SELECT count(*) FROM auth_tokens WHERE user_id = :u"),
                                 {"u": consumer.id}).scalar_one()
        statuses = dict(session.execute(text(
            "SELECT id, status FROM leads WHERE owner_user_id = :u"), {"u": consumer.id}).all())
        [event] = session.execute(text(
            "SELECT detail FROM admin_audit_log WHERE action = 'account.closed'"
            " AND actor_user_id = :u"), {"u": consumer.id}).scalars().all()
    assert (row.is_active, row.phone, row.email, row.name) == (False, None, None, "")
    assert row.closed_at is not None
    assert kept == 1 and tokens == 0  # the payment stays (7 years); every session ends
    assert statuses == {paid.id: "closed", open_lead.id: "cancelled"}
    assert event["reason"] == "request" and event["rows"]["users"] == 1
    # The same phone starts a fresh, empty account.
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM users WHERE phone = :p"),
                               {"p": consumer.phone}).scalar_one() == 0


def test_a_sole_traders_business_closes_with_the_account(db):
    business, owner = make_professional(business_name="חשמל יחיד", about="עוסק מורשה ותיק")
    close(owner)
    with unit_of_work(SYSTEM) as session:
        row = session.execute(text(
            "SELECT business_name, about, status, verified FROM professionals WHERE id = :id"),
            {"id": business.id}).one()
        members = session.execute(text("SELECT count(*) FROM professional_members"))\
            .scalar_one()
    assert tuple(row) == ("— —", "", "suspended", False) and members == 0
    assert remaining(["חשמל יחיד", "עוסק מורשה"]) == []


def test_closing_waits_for_open_obligations(db):
    consumer = make_user()
    _business, performer = make_professional()
    make_paid_job(consumer, performer, "500")  # paid, in progress: money held
    for person, reasons in (
            (consumer, ["errors.privacy.blocked.lead_in_progress",
                        "errors.privacy.blocked.money_held"]),
            (performer, ["errors.privacy.blocked.job_in_progress",
                         "errors.privacy.blocked.wallet_balance"])):
        with pytest.raises(Conflict) as refused:
            close(person)
        assert refused.value.code == "account_has_obligations"
        assert list(refused.value.fields.values()) == reasons
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM users WHERE closed_at IS NOT NULL"))\
            .scalar_one() == 0


def test_a_business_with_money_waits_until_it_is_paid_out(db):
    consumer = make_user()
    _business, performer = make_professional()
    make_paid_job(consumer, performer, "500", released_at=HELD_RELEASE)
    with pytest.raises(Conflict) as refused:
        close(performer)
    assert refused.value.fields == {"wallet_balance": "errors.privacy.blocked.wallet_balance"}
    close(consumer)  # the client has nothing open any more


def test_the_confirmation_must_be_the_accounts_phone_or_e_mail(db):
    user = make_user()
    for typed in ("", "yes", "050-000-0000", "someone@example.com"):
        with pytest.raises(InvalidInput) as refused:
            close(user, confirmation=typed or " ")
        assert refused.value.fields == {"confirmation": "errors.privacy.confirmation"}
    local = "0" + user.phone[4:6] + "-" + user.phone[6:9] + "-" + user.phone[9:]
    close(user, confirmation=local)


def test_an_admin_account_is_not_closed_by_its_holder(db):
    admin = make_user(role=UserRole.admin)
    with pytest.raises(Conflict):
        close(admin)


# --- audit trail ---------------------------------------------------------------------------


def test_logins_failed_codes_exports_and_closure_are_in_the_trail(db, monkeypatch):
    from ofair_app.settings import get_settings

    monkeypatch.setenv("OFAIR_TEST_OTPS", "+972500000001=123456")
    get_settings.cache_clear()
    try:
        with unit_of_work(SYSTEM) as session:
            auth.send_login_code(session=session, ip="203.0.113.5", phone="+972500000001")
        with pytest.raises(Exception), unit_of_work(SYSTEM) as session:
            auth.verify_login_code(session=session, phone="+972500000001", otp="000000",
                                   ip="203.0.113.5")
        with unit_of_work(SYSTEM) as session:
            login = auth.verify_login_code(session=session, phone="+972500000001",
                                           otp="123456", ip="203.0.113.5",
                                           acceptance=signup_acceptance())
    finally:
        get_settings.cache_clear()
    user = login.user
    assert user.last_login_at is not None
    request(user, datetime.now(UTC))
    close(user, confirmation="+972500000001")
    with unit_of_work(SYSTEM) as session:
        entries = audit.trail(session=session, caller=SYSTEM,
                              since=datetime.now(UTC) - timedelta(hours=1),
                              until=datetime.now(UTC) + timedelta(minutes=1))
    actions = [entry.action for entry in entries]
    assert actions.index("auth.otp_failed") < actions.index("auth.login") \
        < actions.index("account.export_requested") < actions.index("account.closed")
    failed = entries[actions.index("auth.otp_failed")]
    assert failed.subject.startswith("login_target:") and "972500000001" not in failed.subject
    with unit_of_work(SYSTEM) as session:
        mine = audit.trail(session=session, caller=SYSTEM, user_id=user.id,
                           since=datetime.now(UTC) - timedelta(hours=1),
                           until=datetime.now(UTC) + timedelta(minutes=1))
    assert {e.action for e in mine} >= {"auth.login", "account.export_requested",
                                        "account.closed"}
    assert all(e.ip == "" for e in mine)  # de-identified at closure


def test_only_admins_read_the_trail(db):
    with pytest.raises(Exception), unit_of_work(caller_for(make_user())) as session:
        audit.trail(session=session, caller=caller_for(make_user()),
                    since=NOW - timedelta(days=1), until=NOW)


# --- retention -----------------------------------------------------------------------------


def _age(user: User, last_login: datetime) -> None:
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE users SET last_login_at = :t WHERE id = :id"),
                        {"t": last_login, "id": user.id})


def test_inactive_accounts_get_a_notice_then_are_closed_and_reruns_change_nothing(db):
    idle = make_user(name="ישן מאוד")
    active = make_user(name="פעיל")
    admin = make_user(role=UserRole.admin)
    _age(idle, NOW - timedelta(days=710))
    _age(active, NOW - timedelta(days=10))
    _age(admin, NOW - timedelta(days=2000))

    first = run_job("retention", as_of=NOW)
    assert "1 inactive accounts told, 0 closed" in first.detail
    again = run_job("retention", as_of=NOW)
    assert "0 inactive accounts told, 0 closed" in again.detail
    with unit_of_work(SYSTEM) as session:
        [(template, to)] = session.execute(text(
            "SELECT template, to_address FROM outbox_messages WHERE user_id = :id"),
            {"id": idle.id}).all()
    assert (template, to) == ("account_inactive", idle.phone)

    later = NOW + timedelta(days=31)
    closing = run_job("retention", as_of=later)
    assert "1 closed" in closing.detail
    assert run_job("retention", as_of=later).detail.endswith(
        "0 inactive accounts told, 0 closed, 0 waiting on open obligations")
    with unit_of_work(SYSTEM) as session:
        rows = dict(session.execute(text("SELECT id, closed_at IS NOT NULL FROM users")).all())
    assert rows == {idle.id: True, active.id: False, admin.id: False}
    assert remaining(["ישן מאוד", idle.phone]) == []


def test_a_login_after_the_notice_keeps_the_account(db):
    idle = make_user()
    _age(idle, NOW - timedelta(days=710))
    run_job("retention", as_of=NOW)
    _age(idle, NOW + timedelta(days=1))  # signed in (which also clears the notice)
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE users SET inactivity_notice_at = NULL WHERE id = :id"),
                        {"id": idle.id})
    assert "0 closed" in run_job("retention", as_of=NOW + timedelta(days=40)).detail


def test_files_of_leads_finished_a_year_ago_are_deleted_once(db):
    consumer = make_user()
    lead = make_lead(consumer)
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        leads.add_attachment(session=session, caller=caller, lead_id=lead.id,
                             filename="a.pdf", data=PDF_BYTES)
        key = session.execute(text("SELECT storage_key FROM lead_attachments")).scalar_one()
        leads.cancel_lead(session=session, caller=caller, lead_id=lead.id)
    cancelled_at = datetime.now(UTC)
    early = run_job("retention", as_of=cancelled_at + timedelta(days=300))
    assert early.detail.startswith("deleted 0 attachments") and get_storage().exists(key)
    late = run_job("retention", as_of=cancelled_at + timedelta(days=366))
    assert late.detail.startswith("deleted 1 attachments") and not get_storage().exists(key)
    assert run_job("retention", as_of=cancelled_at + timedelta(days=366)).detail.startswith(
        "deleted 0 attachments")


def test_the_audit_command_prints_a_persons_trail(db, capsys):
    from ofair_app.__main__ import main

    user, other = make_user(), make_user()
    request(user, datetime.now(UTC))
    request(other, datetime.now(UTC))
    assert main(["audit", "--user", user.phone, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["action"], row["actor"]) for row in lines] == [
        ("account.export_requested", str(user.id))]
    assert lines[0]["ip"] == "198.51.100.4"
    assert main(["audit", "--since", "2020-01-01", "--until", "2020-01-02"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["audit", "--user", "not-a-person"]) == 2


def test_only_the_platform_blanks_audit_rows_or_deletes_invitations(db):
    consumer = make_user()
    business, owner = make_professional()
    lead = make_lead(consumer)
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        leads.reveal_contact(session=session, caller=caller, lead_id=lead.id,
                             ip="198.51.100.1", user_agent="Mine")
    request(consumer)
    from tests.factories import invite
    invite(business, owner, phone="+972501234567")
    admin = make_user(role=UserRole.admin)
    for who in (caller_for(consumer), caller_for(owner), caller_for(admin)):
        with unit_of_work(who) as session:
            for table in ("contact_access_logs", "admin_audit_log"):
                changed = session.execute(text(
                    f"UPDATE {table} SET ip = ''")).rowcount
                assert changed == 0, (table, who.role)
            assert session.execute(text("DELETE FROM professional_invitations")).rowcount == 0
    with pytest.raises(Exception, match="permission denied"), \
            unit_of_work(caller_for(admin)) as session:
        session.execute(text("UPDATE contact_access_logs SET lead_id = lead_id"))


# --- correcting: the phone number too -------------------------------------------------------


def test_a_person_corrects_their_phone_with_a_code_sent_to_the_new_number(db):
    from ofair_app.services import notifications, users
    from tests.factories import next_phone

    person, holder = make_user(), make_user()
    caller = caller_for(person)
    new = next_phone()
    with unit_of_work(caller) as session:
        sent = users.request_phone_change(session=session, caller=caller, phone=new)
        assert users.request_phone_change(session=session, caller=caller,
                                          phone=person.phone) is None
    assert sent.target.value == new
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        body = session.execute(text(
            "SELECT body FROM outbox_messages WHERE to_address = :t"), {"t": new}).scalar_one()
    code = body.split()[0]
    with pytest.raises(Exception), unit_of_work(caller) as session:
        users.confirm_phone(session=session, caller=caller, phone=new, otp="000000")
    with unit_of_work(caller) as session:
        assert users.confirm_phone(session=session, caller=caller, phone=new,
                                   otp=code).phone == new
    # Someone else's number: the code arrives, the change is refused at confirmation.
    with unit_of_work(caller) as session:
        users.request_phone_change(session=session, caller=caller, phone=holder.phone)
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        body = session.execute(text(
            "SELECT body FROM outbox_messages WHERE to_address = :t AND template ="
            " 'phone_change'"), {"t": holder.phone}).scalar_one()
    with pytest.raises(Conflict) as taken, unit_of_work(caller) as session:
        users.confirm_phone(session=session, caller=caller, phone=holder.phone,
                            otp=body.split()[0])
    assert taken.value.code == "phone_taken"


def test_old_webhook_rejections_and_answered_invitations_go_after_ninety_days(db):
    from ofair_app.models import WebhookRejection
    from tests.factories import invite

    now = datetime.now(UTC)
    with unit_of_work(SYSTEM) as session:
        for age in (100, 10):
            session.add(WebhookRejection(provider="sandbox", reason="not JSON",
                                         body_sha256="0" * 64, body_bytes=3,
                                         body_excerpt=f"{age} days", received_at=now
                                         - timedelta(days=age)))
    business, owner = make_professional()
    invite(business, owner, phone="+972501234500")
    invite(business, owner, phone="+972501234501")
    with unit_of_work(SYSTEM) as session:
        session.execute(text(
            "UPDATE professional_invitations SET status = 'expired',"
            " expires_at = :old WHERE phone = '+972501234500'"),
            {"old": now - timedelta(days=100)})
    first = run_job("retention", as_of=now)
    assert "1 invitations, 1 webhook rejections" in first.detail
    assert "0 invitations, 0 webhook rejections" in run_job("retention", as_of=now).detail
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT body_excerpt FROM webhook_rejections"))\
            .scalars().all() == ["10 days"]
        assert session.execute(text("SELECT phone FROM professional_invitations"))\
            .scalars().all() == ["+972501234501"]
