"""Push messages through the outbox: a notice reaches every browser its person enabled, as an
encrypted, VAPID-signed Web Push the stand-in push service decrypts; a browser the push service
says is gone (404/410) is removed and not retried; the choice "no push" is respected."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ofair_app.adapters.webpush import generate_vapid_keys
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.models import ProposalCreate
from ofair_app.services import notification_center, notifications, proposals, push
from tests.factories import caller_for, make_lead, make_professional, make_user
from tests.standin import configured


@pytest.fixture
def webpush(db, webpush_service, monkeypatch):
    keys = generate_vapid_keys()
    with configured(monkeypatch, {"PUSH_BACKEND": "webpush",
                                  "VAPID_PRIVATE_KEY": keys.private_key,
                                  "VAPID_SUBJECT": "mailto:ops@ofair.co.il",
                                  "PUSH_TIMEOUT_SECONDS": "2"}):
        yield webpush_service


def enable(service, user, behaviour: str = "ok"):
    subscription, _keys = service.subscribe(
        behaviour, application_server_key=push.application_server_key())
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        push.subscribe(session=session, caller=caller, endpoint=subscription["endpoint"],
                       p256dh=subscription["keys"]["p256dh"],
                       auth=subscription["keys"]["auth"])
    return subscription


def offer(lead):
    business, pro = make_professional(business_name="שיפוצים בע״מ")
    caller = caller_for(pro)
    with unit_of_work(caller) as session:
        proposals.create_proposal(session=session, caller=caller, lead_id=lead.id,
                                  data=ProposalCreate(price="1200", description="עבודה נקייה.",
                                                      professional_id=business.id))


def outbox(user) -> list[dict]:
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        return [dict(r) for r in session.execute(text(
            "SELECT channel, status, to_address, last_error FROM outbox_messages"
            " WHERE user_id = :u AND channel = 'push' ORDER BY created_at"),
            {"u": user.id}).mappings()]


def test_a_notice_reaches_each_enabled_browser_encrypted_and_signed(webpush) -> None:
    consumer = make_user(name="נועה")
    phone, laptop = enable(webpush, consumer), enable(webpush, consumer)
    lead = make_lead(consumer)
    offer(lead)
    sent = outbox(consumer)
    assert [m["status"] for m in sent] == ["sent", "sent"]
    assert sorted(r.endpoint_id for r in webpush.received) == sorted(
        s["endpoint"].rsplit("/", 1)[1] for s in (phone, laptop))
    payload = webpush.received[0].payload
    assert payload["title"] == "OFAIR" and payload["url"] == f"/my/requests/{lead.id}"
    assert payload["body"].startswith("שיפוצים בע״מ הציעו ₪1,200")
    assert payload["lang"] == "he" and payload["dir"] == "rtl"
    assert webpush.received[0].claims["sub"] == "mailto:ops@ofair.co.il"


def test_a_browser_that_is_gone_is_removed_and_not_retried(webpush) -> None:
    consumer = make_user()
    enable(webpush, consumer, "gone")
    enable(webpush, consumer, "not_found")
    kept = enable(webpush, consumer)
    offer(make_lead(consumer))
    statuses = sorted(m["status"] for m in outbox(consumer))
    assert statuses == ["failed", "failed", "sent"]
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        left = push.devices(session=session, caller=caller)
    assert [d.endpoint for d in left] == [kept["endpoint"]]


def test_a_throttled_push_is_retried_later(webpush) -> None:
    consumer = make_user()
    enable(webpush, consumer, "throttle")
    offer(make_lead(consumer))
    [message] = outbox(consumer)
    assert message["status"] == "pending" and "429" in message["last_error"]


def test_turning_push_off_for_a_group_sends_nothing(webpush) -> None:
    consumer = make_user()
    enable(webpush, consumer)
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        notification_center.update_preferences(session=session, caller=caller,
                                               channels={"proposals": {"push": False}})
    offer(make_lead(consumer))
    assert outbox(consumer) == [] and webpush.received == []


def test_new_leads_reach_the_browsers_of_matching_businesses(webpush) -> None:
    _business, pro = make_professional(business_name="אינסטלציה")
    enable(webpush, pro)
    make_lead(make_user())
    [message] = outbox(pro)
    # subscribers first; the others NOTIFY_PRIORITY_MINUTES later (the tests' setting)
    assert message["status"] in ("sent", "pending")
