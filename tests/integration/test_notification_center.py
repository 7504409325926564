"""The notification center: every told event lands in the person's list, channels follow their
choices, quiet hours hold messages, new leads fan out to the businesses they suit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from jobs.runner import run_job
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.errors import InvalidInput, NotFound, Unauthenticated
from ofair_app.models import Notification
from ofair_app.models._base import utcnow
from ofair_app.services import notification_center, notifications, proposals
from ofair_app.settings import get_settings
from tests.factories import (
    caller_for,
    city,
    make_lead,
    make_professional,
    make_user,
)


def rows(sql: str, **params) -> list[dict]:
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        return [dict(r) for r in session.execute(text(sql), params).mappings()]


def offer(pro_owner, business, lead, price: str = "500"):
    from ofair_app.models import ProposalCreate

    caller = caller_for(pro_owner)
    with unit_of_work(caller) as session:
        return proposals.create_proposal(
            session=session, caller=caller, lead_id=lead.id,
            data=ProposalCreate(price=price, description="אגיע מחר בבוקר עם כל החלקים.",
                                professional_id=business.id))


def test_a_new_offer_lands_in_the_owners_center_in_their_language_with_its_page(db) -> None:
    consumer = make_user(name="רונית")
    lead = make_lead(consumer)
    business, pro = make_professional(business_name="אינסטלציה לוי")
    offer(pro, business, lead)
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        items, cursor = notification_center.list_notifications(session=session, caller=caller)
        unread = notification_center.unread_count(session=session, caller=caller)
    [item] = [i for i in items if i.kind == "proposal_received"]
    assert unread == len(items) and cursor is None
    assert item.event_group == "proposals" and item.read_at is None
    assert item.title == f'אינסטלציה לוי הציעו ₪500 לבקשה "{lead.title}"'
    assert item.link == f"/my/requests/{lead.id}"
    # and the SMS went as before (a phone, no choice made: SMS on for offers)
    sms = rows("SELECT * FROM outbox_messages WHERE template = 'proposal_received'")
    assert [m["channel"] for m in sms] == ["sms"] and sms[0]["to_address"] == consumer.phone


def test_reading_one_and_all_and_nobody_else_can(db) -> None:
    consumer = make_user()
    lead = make_lead(consumer)
    for name in ("אחד", "שניים"):
        business, pro = make_professional(business_name=f"עסק {name}")
        offer(pro, business, lead)
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        items, _ = notification_center.list_notifications(session=session, caller=caller)
    assert len(items) == 2
    stranger = caller_for(make_user())
    with pytest.raises(NotFound), unit_of_work(stranger) as session:
        notification_center.mark_read(session=session, caller=stranger,
                                      notification_id=items[0].id)
    with pytest.raises(Unauthenticated), unit_of_work(ANONYMOUS) as session:
        notification_center.mark_read(session=session, caller=ANONYMOUS,
                                      notification_id=items[0].id)
    with unit_of_work(caller) as session:
        first = notification_center.mark_read(session=session, caller=caller,
                                              notification_id=items[0].id)
        again = notification_center.mark_read(session=session, caller=caller,
                                              notification_id=items[0].id)
        assert first.read_at is not None and again.read_at == first.read_at
        assert notification_center.unread_count(session=session, caller=caller) == 1
        assert notification_center.mark_all_read(session=session, caller=caller) == 1
        assert notification_center.unread_count(session=session, caller=caller) == 0


def test_the_list_pages_newest_first_without_gaps(db) -> None:
    user = make_user()
    now = utcnow()
    with unit_of_work(SYSTEM) as session:
        for i in range(45):
            session.add(Notification(user_id=user.id, kind="job_paid", event_group="jobs",
                                     title=f"#{i}", notified_at=now - timedelta(minutes=i)))
    caller = caller_for(user)
    seen, cursor = [], None
    while True:
        with unit_of_work(caller) as session:
            page, cursor = notification_center.list_notifications(
                session=session, caller=caller, limit=20, cursor=cursor)
        seen += [n.title for n in page]
        if cursor is None:
            break
    assert seen == [f"#{i}" for i in range(45)]
    with pytest.raises(InvalidInput), unit_of_work(caller) as session:
        notification_center.list_notifications(session=session, caller=caller, cursor="junk")


def test_choices_route_each_group_and_refuse_bad_input_whole(db) -> None:
    consumer = make_user(email="ronit@example.com")
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        prefs = notification_center.preferences(session=session, caller=caller)
    # defaults: SMS for offers (has a phone), e-mail off, nothing but the app for chat
    assert prefs.channels["proposals"]["sms"] and not prefs.channels["proposals"]["email"]
    assert not prefs.channels["chat"]["sms"] and not prefs.channels["leads"]["email"]
    assert prefs.quiet.enabled is False  # NOTIFY_QUIET_HOURS is off in tests
    with pytest.raises(InvalidInput) as refused, unit_of_work(caller) as session:
        notification_center.update_preferences(
            session=session, caller=caller,
            channels={"proposals": {"email": True}, "nonsense": {"sms": True},
                      "jobs": {"pigeon": True}},
            quiet={"start": "25:00"})
    assert set(refused.value.fields) == {"channels.nonsense", "channels.jobs.pigeon",
                                         "quiet.start"}
    with unit_of_work(caller) as session:  # nothing of the refused change was written
        assert not notification_center.preferences(
            session=session, caller=caller).channels["proposals"]["email"]
        notification_center.update_preferences(
            session=session, caller=caller,
            channels={"proposals": {"email": True, "sms": False, "whatsapp": True}})
    lead = make_lead(consumer)
    business, pro = make_professional()
    offer(pro, business, lead)
    sent = rows("SELECT channel, to_address, params FROM outbox_messages"
                " WHERE template = 'proposal_received' ORDER BY channel")
    assert [(m["channel"], m["to_address"]) for m in sent] == [
        ("email", "ronit@example.com"), ("whatsapp", consumer.phone)]
    # WhatsApp carries the template's values for Meta's approved copy
    assert sent[1]["params"]["business_name"] == business.business_name
    # the center has it whatever the channels
    assert rows("SELECT 1 FROM notifications WHERE user_id = :u", u=consumer.id)


def test_everything_off_still_reaches_the_center(db) -> None:
    consumer = make_user()
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        notification_center.update_preferences(
            session=session, caller=caller,
            channels={"proposals": {"sms": False, "email": False, "whatsapp": False}})
    lead = make_lead(consumer)
    business, pro = make_professional()
    offer(pro, business, lead)
    assert rows("SELECT 1 FROM outbox_messages WHERE template = 'proposal_received'") == []
    assert len(rows("SELECT 1 FROM notifications WHERE kind = 'proposal_received'")) == 1


def test_quiet_hours_hold_messages_until_they_end_and_the_job_sends_them(db, monkeypatch
                                                                         ) -> None:
    consumer = make_user()
    caller = caller_for(consumer)
    # quiet all day but a minute: whatever the wall clock, now is quiet
    now_local = datetime.now(UTC).astimezone(notifications_tz())
    ends = (now_local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    starts = (now_local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    with unit_of_work(caller) as session:
        notification_center.update_preferences(
            session=session, caller=caller,
            quiet={"enabled": True, "start": starts.strftime("%H:%M"),
                   "end": ends.strftime("%H:%M")})
    lead = make_lead(consumer)
    business, pro = make_professional()
    offer(pro, business, lead)
    [held] = rows("SELECT * FROM outbox_messages WHERE template = 'proposal_received'")
    assert held["status"] == "pending" and held["attempts"] == 0
    release = held["next_attempt_at"].astimezone(notifications_tz())
    assert release.time() == ends and release > now_local
    # the center shows it at once
    assert rows("SELECT 1 FROM notifications WHERE kind = 'proposal_received'")
    # the job before the end leaves it; after the end sends it
    run_job("deliver_notifications", as_of=release - timedelta(minutes=1))
    assert rows("SELECT status FROM outbox_messages WHERE id = :i",
                i=held["id"])[0]["status"] == "pending"
    run_job("deliver_notifications", as_of=release + timedelta(minutes=1))
    assert rows("SELECT status FROM outbox_messages WHERE id = :i",
                i=held["id"])[0]["status"] == "logged"


def test_login_codes_ignore_quiet_hours(db, monkeypatch) -> None:
    monkeypatch.setenv("NOTIFY_QUIET_HOURS", "00:00-23:59")
    get_settings.cache_clear()
    try:
        from ofair_app.services import auth

        phone = "+972501234599"
        with unit_of_work(SYSTEM) as session:  # as the login door does
            auth.send_login_code(session=session, phone=phone, ip="198.51.100.7")
        [code] = rows("SELECT status FROM outbox_messages WHERE to_address = :p", p=phone)
        assert code["status"] == "logged"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def notifications_tz():
    from ofair_app.domain.notifying import ISRAEL

    return ISRAEL


def test_a_new_lead_reaches_matching_businesses_subscribers_first(db) -> None:
    haifa = city("Haifa")
    _, near_owner = make_professional(business_name="קרוב", locality_id=haifa)
    subscribed, sub_owner = make_professional(business_name="מנוי", locality_id=haifa)
    # too far for its 20 km, and another trade: neither is told
    make_professional(business_name="רחוק", locality_id=city("Eilat"))
    make_professional(business_name="תחום אחר", category=_other_category(), locality_id=haifa)
    with unit_of_work(SYSTEM) as session:
        session.execute(text("UPDATE professionals SET subscribed_until = now()"
                             " + interval '30 days' WHERE id = :p"), {"p": subscribed.id})
    owner = make_user()
    lead = make_lead(owner)
    told = {r["user_id"]: r for r in rows(
        "SELECT * FROM notifications WHERE kind = 'new_lead'")}
    assert set(told) == {near_owner.id, sub_owner.id}
    minutes = get_settings().notify_priority_minutes
    wait = told[near_owner.id]["notified_at"] - told[sub_owner.id]["notified_at"]
    assert timedelta(minutes=minutes) - timedelta(seconds=1) <= wait \
        <= timedelta(minutes=minutes) + timedelta(seconds=1)
    assert told[near_owner.id]["link"] == f"/pro/leads/{lead.id}"
    # the non-subscriber does not see it yet; the subscriber does
    for user, shown in ((near_owner, 0), (sub_owner, 1)):
        caller = caller_for(user)
        with unit_of_work(caller) as session:
            assert notification_center.unread_count(session=session, caller=caller) == shown
    # no SMS for new leads unless chosen
    assert rows("SELECT 1 FROM outbox_messages WHERE template = 'new_lead'") == []


def test_a_business_that_chose_sms_for_new_leads_gets_it_after_the_priority_delay(db
                                                                                   ) -> None:
    _, owner = make_professional(locality_id=city("Haifa"))
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        notification_center.update_preferences(session=session, caller=caller,
                                               channels={"leads": {"sms": True}})
    before = utcnow()
    make_lead(make_user())
    [sms] = rows("SELECT * FROM outbox_messages WHERE template = 'new_lead'")
    assert sms["to_address"] == owner.phone and sms["status"] == "pending"
    delay = sms["next_attempt_at"] - before
    assert timedelta(minutes=get_settings().notify_priority_minutes) <= delay \
        < timedelta(minutes=get_settings().notify_priority_minutes + 1)


def test_the_lead_owner_and_its_own_business_are_not_told(db) -> None:
    business, owner = make_professional(locality_id=city("Haifa"))
    from tests.factories import pro_lead_data

    make_lead(owner, pro_lead_data(business))
    assert rows("SELECT 1 FROM notifications WHERE kind = 'new_lead'") == []


def _other_category() -> str:
    from ofair_app import reference

    return reference.categories()[1].slug


def test_old_notifications_are_forgotten_by_the_job(db) -> None:
    user = make_user()
    now = utcnow()
    with unit_of_work(SYSTEM) as session:
        session.add(Notification(user_id=user.id, kind="job_paid", event_group="jobs",
                                 title="old", notified_at=now - timedelta(days=181)))
        session.add(Notification(user_id=user.id, kind="job_paid", event_group="jobs",
                                 title="new", notified_at=now - timedelta(days=10)))
    run_job("deliver_notifications", as_of=now)
    assert [r["title"] for r in rows("SELECT title FROM notifications")] == ["new"]


def test_the_chosen_channels_reach_the_real_providers(db, whatsapp_api, sms019_api) -> None:
    """Through the outbox to the 019 SMS and WhatsApp Cloud API stand-ins: the SMS text, and
    Meta's approved template with this event's values."""
    consumer = make_user(phone="+972501112233")
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        notification_center.update_preferences(
            session=session, caller=caller,
            channels={"proposals": {"sms": True, "whatsapp": True}})
    lead = make_lead(consumer)
    business, pro = make_professional(business_name="אינסטלציה לוי")
    offer(pro, business, lead, price="1200")
    statuses = rows("SELECT channel, status FROM outbox_messages"
                    " WHERE template = 'proposal_received' ORDER BY channel")
    assert statuses == [{"channel": "sms", "status": "sent"},
                        {"channel": "whatsapp", "status": "sent"}]
    [sms] = sms019_api.sent
    assert "אינסטלציה לוי" in sms.message and sms.phone == "0501112233"
    [delivered] = whatsapp_api.delivered
    assert (delivered.template, delivered.language, delivered.to) == (
        "ofair_proposal_received", "he", "972501112233")
    assert delivered.values["business_name"] == "אינסטלציה לוי"
    assert delivered.values["lead_url"].endswith(f"/my/requests/{lead.id}")


# --- every event of issue 19 reaches its people's centers -----------------------------------


def kinds(user) -> list[str]:
    return [r["kind"] for r in rows("SELECT kind FROM notifications WHERE user_id = :u"
                                    " ORDER BY created_at", u=user.id)]


def test_a_confirmed_job_and_a_payout_tell_the_performer(db) -> None:
    from tests.factories import make_paid_job, pay_out

    consumer = make_user()
    _, performer = make_professional()
    make_paid_job(consumer, performer, "1000", done=True, released_at=utcnow() + timedelta(
        days=get_settings().hold_period_days + 1))
    assert {"proposal_accepted", "job_paid", "completion_confirmed"} <= set(kinds(performer))
    assert {"proposal_received", "job_completed"} <= set(kinds(consumer))
    pay_out(performer, make_user(role="admin"), "500")
    [paid] = rows("SELECT * FROM notifications WHERE kind = 'payout_paid'")
    assert paid["user_id"] == performer.id and "500" in paid["title"]
    assert paid["link"] == "/pro/wallet"


def test_a_resolved_dispute_tells_both_sides(db) -> None:
    from ofair_app.services import disputes
    from tests.factories import make_paid_job

    consumer = make_user()
    _, performer = make_professional()
    lead = make_paid_job(consumer, performer, "800")
    client = caller_for(consumer)
    with unit_of_work(client) as session:
        dispute = disputes.open_dispute(session=session, caller=client, lead_id=lead.id,
                                        reason="העבודה לא הסתיימה כמו שסוכם.")
    admin = caller_for(make_user(role="admin"))
    disputes.resolve(caller=admin, dispute_id=dispute.id, resolution="release",
                     note="נבדק מול שני הצדדים.")
    told = rows("SELECT user_id, link FROM notifications WHERE kind = 'dispute_resolved'")
    assert {r["user_id"] for r in told} == {consumer.id, performer.id}
    assert {r["link"] for r in told} == {f"/my/requests/{lead.id}", f"/pro/leads/{lead.id}"}


def test_a_declined_referral_tells_the_referrer(db) -> None:
    from ofair_app.models import ReferralCreate
    from ofair_app.services import referrals
    from tests.factories import make_lead, pro_lead_data

    referrer_business, referrer = make_professional(business_name="מפנה")
    receiver_business, receiver = make_professional(business_name="מקבל")
    lead = make_lead(referrer, pro_lead_data(referrer_business))
    caller = caller_for(referrer)
    with unit_of_work(caller) as session:
        referral = referrals.share_lead(
            session=session, caller=caller, lead_id=lead.id,
            data=ReferralCreate(receiver_professional_id=receiver_business.id))
    assert "referral_received" in kinds(receiver)
    other = caller_for(receiver)
    with unit_of_work(other) as session:
        referrals.reject_referral(session=session, caller=other, referral_id=referral.id)
    [declined] = rows("SELECT * FROM notifications WHERE kind = 'referral_declined'")
    assert declined["user_id"] == referrer.id and "מקבל" in declined["title"]


def test_an_issued_tax_invoice_tells_the_business(db) -> None:
    from tests.factories import seed_statement

    consumer = make_user()
    _, performer = make_professional(business_name="מבצע")
    referrer_business, referrer = make_professional(business_name="מפנה")
    seed_statement(consumer, performer, referrer, referrer_business)
    [invoice] = rows("SELECT * FROM notifications WHERE kind = 'invoice_issued'")
    assert invoice["user_id"] == performer.id and invoice["link"] == "/pro/invoices"


def test_an_invitation_reaches_the_center_of_an_existing_account(db) -> None:
    from tests.factories import invite

    business, owner = make_professional(business_name="שיפוצי הגליל")
    member = make_user()
    invite(business, owner, phone=member.phone)
    [note] = rows("SELECT * FROM notifications WHERE kind = 'member_invited'")
    assert note["user_id"] == member.id and note["link"] == "/invitations"
    assert "שיפוצי הגליל" in note["title"]
    # a number with no account yet gets the SMS only
    invite(business, owner, phone="+972509876543")
    assert len(rows("SELECT 1 FROM notifications WHERE kind = 'member_invited'")) == 1
