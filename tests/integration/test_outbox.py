"""The outbox: written with the change, sent after commit, retried, never rolling anything back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from ofair_app.adapters.messaging import DeliveryError, OutgoingMessage
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.errors import InvalidInput
from ofair_app.models._base import utcnow
from ofair_app.services import auth, notifications
from tests.factories import caller_for, make_user, next_phone


class RecordingSender:
    """Stands in for a provider at the adapter boundary: records, or fails as told."""

    name = "recording"

    def __init__(self, failure: DeliveryError | None = None) -> None:
        self.failure = failure
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> str | None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(message)
        return f"ref-{len(self.sent)}"


def outbox() -> list[dict]:
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        return [dict(row) for row in session.execute(text(
            "SELECT * FROM outbox_messages ORDER BY created_at")).mappings()]


def queue(user_caller, to: str = "+972500000055", **params) -> None:
    with unit_of_work(user_caller) as session:
        notifications.enqueue(session=session, channel="sms", to=to, template="otp_code",
                              locale="he", params={"code": "654321", "minutes": 5} | params)


def test_a_message_committed_with_its_change_is_delivered_after_commit(db) -> None:
    queue(caller_for(make_user()))
    [message] = outbox()
    # The console adapter (the default) prints it and keeps it for a developer to read.
    assert message["status"] == "logged" and "654321" in message["body"]
    assert message["attempts"] == 1 and message["sent_at"] is not None


def test_a_rolled_back_change_sends_nothing(db) -> None:
    caller = caller_for(make_user())
    with pytest.raises(InvalidInput), unit_of_work(caller) as session:
        notifications.enqueue(session=session, channel="sms", to="+972500000056",
                              template="otp_code", locale="he",
                              params={"code": "111111", "minutes": 5})
        raise InvalidInput()
    assert outbox() == []


def test_messages_render_in_the_recipients_language(db) -> None:
    caller = caller_for(make_user())
    with unit_of_work(caller) as session:
        notifications.enqueue(session=session, channel="email", to="dana@example.com",
                              template="otp_code", locale="en",
                              params={"code": "222222", "minutes": 5})
    [message] = outbox()
    assert message["subject"] and "222222" in message["body"]
    assert not any("\u0590" <= char <= "\u05ff" for char in message["subject"])


def test_a_failed_send_never_rolls_back_the_login_it_announces(db, monkeypatch) -> None:
    monkeypatch.setattr(notifications, "get_sender",
                        lambda: RecordingSender(DeliveryError("connection refused",
                                                              permanent=False)))
    phone = next_phone()
    with unit_of_work(SYSTEM) as session:
        auth.send_login_code(session=session, ip="203.0.113.7", phone=phone)
    [message] = outbox()
    assert message["status"] == "pending" and message["attempts"] == 1
    assert "connection refused" in message["last_error"]
    assert message["next_attempt_at"] > utcnow()
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM otp_codes")).scalar_one() == 1


def test_the_job_retries_due_messages_and_wipes_codes_once_a_provider_has_them(db) -> None:
    with unit_of_work(SYSTEM) as session:
        notifications.enqueue(session=session, channel="sms", to="+972500000057",
                              template="otp_code", locale="he",
                              params={"code": "333333", "minutes": 5}, sensitive=True)
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE outbox_messages SET status = 'pending', attempts = 0"))
    sender = RecordingSender()
    with unit_of_work(SYSTEM) as session:
        counts = notifications.deliver_due(session=session, now=utcnow(), sender=sender)
    assert counts["sent"] == 1 and "333333" in sender.sent[0].body
    [message] = outbox()
    assert message["status"] == "sent" and message["body"] == ""
    assert message["provider_ref"] == "ref-1"
    with unit_of_work(SYSTEM) as session:  # nothing is sent twice
        assert notifications.deliver_due(session=session, now=utcnow(),
                                         sender=sender)["sent"] == 0


def test_permanent_failures_stop_and_transient_ones_back_off(db) -> None:
    with unit_of_work(SYSTEM) as session:
        for to in ("+972500000058", "+972500000059"):
            notifications.enqueue(session=session, channel="sms", to=to, template="otp_code",
                                  locale="he", params={"code": "444444", "minutes": 5})
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE outbox_messages SET status = 'pending', attempts = 0"))
    now = utcnow()
    with unit_of_work(SYSTEM) as session:
        notifications.deliver_due(session=session, now=now, limit=1,
                                  sender=RecordingSender(DeliveryError("no such user",
                                                                       permanent=True)))
        notifications.deliver_due(session=session, now=now, limit=1,
                                  sender=RecordingSender(DeliveryError("timeout",
                                                                       permanent=False)))
    statuses = sorted((m["status"], m["next_attempt_at"] > now) for m in outbox())
    assert statuses == [("failed", False), ("pending", True)]
    retry_at = max(m["next_attempt_at"] for m in outbox())
    assert retry_at - now == timedelta(minutes=1)
