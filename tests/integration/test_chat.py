"""Chat between a lead's owner and each business that made an offer: one thread per offer,
masking until the award, read receipts, who may write, the rate limit, who is told, and
the admin's audited transcript."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.chat import Side
from ofair_app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
)
from ofair_app.models import ProposalCreate, UserRole
from ofair_app.services import chat, notifications, proposals
from tests.factories import (
    add_member,
    caller_for,
    make_lead,
    make_professional,
    make_user,
    pro_lead_data,
)

CONTACTS = "call me on 052-1234567 or dana@example.com, see https://wa.me/972521234567"


def offer(pro, business, lead):
    caller = caller_for(pro)
    with unit_of_work(caller) as session:
        return proposals.create_proposal(
            session=session, caller=caller, lead_id=lead.id,
            data=ProposalCreate(price="700", description="אגיע מחר בבוקר עם כל החלקים.",
                                professional_id=business.id))


def threads(user, lead):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return chat.threads_of_lead(session=session, caller=caller, lead_id=lead.id)


def send(user, thread_id, body):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return chat.send(session=session, caller=caller, thread_id=thread_id, body=body)


def read(user, thread_id, **kw):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return chat.messages(session=session, caller=caller, thread_id=thread_id, **kw)


def told(user) -> list[dict]:
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        return [dict(r) for r in session.execute(text(
            "SELECT kind, title, link FROM notifications WHERE user_id = :u AND kind ="
            " 'chat_message' ORDER BY created_at"), {"u": user.id}).mappings()]


@pytest.fixture
def deal(db):
    """A consumer's lead with offers from two businesses."""
    consumer = make_user(name="רונית לוי")
    lead = make_lead(consumer)
    first, first_owner = make_professional(business_name="אינסטלציה לוי")
    second, second_owner = make_professional(business_name="צבע ושות׳")
    offers = [offer(first_owner, first, lead), offer(second_owner, second, lead)]
    return consumer, lead, (first, first_owner), (second, second_owner), offers


def test_every_offer_opens_its_thread_and_each_side_sees_only_its_own(deal) -> None:
    consumer, lead, (first, first_owner), (second, second_owner), _ = deal
    mine = threads(consumer, lead)
    assert {t.thread.professional_id for t in mine} == {first.id, second.id}
    assert all(t.side == Side.owner and t.writable and t.masked for t in mine)
    [theirs] = threads(first_owner, lead)
    assert theirs.thread.professional_id == first.id and theirs.side == Side.pro
    assert theirs.other_name == "רונית" and theirs.business_name == "אינסטלציה לוי"
    # a stranger, another business without an offer, and nobody at all
    outsider = make_professional(business_name="עסק אחר")[1]
    assert threads(outsider, lead) == []
    with pytest.raises(NotFound):
        read(outsider, theirs.thread.id)
    with pytest.raises(NotFound), unit_of_work(ANONYMOUS) as session:
        chat.messages(session=session, caller=ANONYMOUS, thread_id=theirs.thread.id)
    with pytest.raises(NotFound):
        read(second_owner, theirs.thread.id)


def test_contacts_are_masked_for_both_sides_until_the_award_then_shown(deal) -> None:
    consumer, lead, (first, first_owner), (second, second_owner), offers = deal
    thread = next(t for t in threads(consumer, lead) if t.thread.professional_id == first.id)
    other = next(t for t in threads(consumer, lead) if t.thread.professional_id == second.id)
    sent = send(first_owner, thread.thread.id, CONTACTS)
    send(consumer, thread.thread.id, "אפשר ב-0541234567? dana.levi@gmail.com")
    send(consumer, other.thread.id, "גם אתם: 0541234567")
    assert "052" not in sent.body and "@" not in sent.body and "wa.me" not in sent.body
    for user in (consumer, first_owner):
        rows, _ = read(user, thread.thread.id)
        assert [r.body.count("•••") >= 1 for r in rows] == [True, True]
        assert not any("0541234567" in r.body or "@" in r.body for r in rows)
    # the owner picks the first business: its thread shows what was written, the other doesn't
    with unit_of_work(caller_for(consumer)) as session:
        proposals.accept_proposal(session=session, caller=caller_for(consumer),
                                  proposal_id=offers[0].id)
    for user in (consumer, first_owner):
        rows, _ = read(user, thread.thread.id)
        assert rows[1].body == CONTACTS and "0541234567" in rows[0].body
    rows, _ = read(second_owner, other.thread.id)
    assert "0541234567" not in rows[0].body
    [mine] = threads(first_owner, lead)
    assert not mine.masked and mine.writable
    # the losing business's offer is closed: its thread is read-only now
    [theirs] = threads(second_owner, lead)
    assert not theirs.writable
    with pytest.raises(Conflict):
        send(second_owner, other.thread.id, "עדיין פנוי?")


def test_read_receipts_and_unread_counts(deal) -> None:
    consumer, lead, (_first, first_owner), _, _ = deal
    [thread] = threads(first_owner, lead)
    send(first_owner, thread.thread.id, "שלום, מתי נוח לכם?")
    send(first_owner, thread.thread.id, "אפשר גם מחר")
    mine = next(t for t in threads(consumer, lead) if t.thread.id == thread.thread.id)
    assert mine.unread == 2 and mine.last_message.body == "אפשר גם מחר"
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        assert chat.mark_read(session=session, caller=caller, thread_id=thread.thread.id) == 2
    with unit_of_work(caller) as session:
        assert chat.mark_read(session=session, caller=caller, thread_id=thread.thread.id) == 0
    rows, _ = read(first_owner, thread.thread.id)
    assert all(r.mine and r.read_at is not None for r in rows)
    # reading your own messages does not mark them
    send(consumer, thread.thread.id, "מחר בעשר")
    with unit_of_work(caller) as session:
        chat.mark_read(session=session, caller=caller, thread_id=thread.thread.id)
    rows, _ = read(first_owner, thread.thread.id)
    assert rows[0].read_at is None and not rows[0].mine


def test_bad_messages_are_refused_whole(deal) -> None:
    consumer, lead, (_first, first_owner), _, _ = deal
    [thread] = threads(first_owner, lead)
    for body, key in (("", "errors.chat.empty"), ("   \n ", "errors.chat.empty"),
                      ("x" * 2001, "errors.chat.too_long"), ("a\x00b", "errors.text.control"),
                      (None, "errors.chat.empty"), (12, "errors.chat.empty")):
        with pytest.raises(InvalidInput) as refused:
            send(first_owner, thread.thread.id, body)
        assert refused.value.fields == {"body": key}
    assert send(first_owner, thread.thread.id, "x" * 2000).body == "x" * 2000
    rows, _ = read(consumer, thread.thread.id)
    assert len(rows) == 1
    with pytest.raises(InvalidInput):
        read(consumer, thread.thread.id, limit=0)
    with pytest.raises(InvalidInput):
        read(consumer, thread.thread.id, cursor="not-a-cursor")


def test_paging_back_through_a_long_conversation(deal) -> None:
    consumer, lead, (_first, first_owner), _, _ = deal
    [thread] = threads(first_owner, lead)
    for n in range(7):
        send(first_owner if n % 2 else consumer, thread.thread.id, f"הודעה {n}")
    seen, cursor = [], None
    while True:
        rows, cursor = read(consumer, thread.thread.id, limit=3, cursor=cursor)
        seen += [r.body for r in rows]
        if cursor is None:
            break
    assert seen == [f"הודעה {n}" for n in reversed(range(7))]


def test_the_rate_limit_counts_a_person_across_threads(deal, monkeypatch) -> None:
    monkeypatch.setenv("CHAT_MESSAGES_PER_MINUTE", "3")
    from ofair_app.settings import get_settings

    get_settings.cache_clear()
    try:
        consumer, lead, *_ = deal
        first, second = threads(consumer, lead)
        send(consumer, first.thread.id, "1")
        send(consumer, second.thread.id, "2")
        send(consumer, first.thread.id, "3")
        with pytest.raises(RateLimited) as refused:
            send(consumer, second.thread.id, "4")
        assert 1 <= refused.value.retry_after_seconds <= 61
        rows, _ = read(consumer, second.thread.id)
        assert [r.body for r in rows] == ["2"]
    finally:
        monkeypatch.delenv("CHAT_MESSAGES_PER_MINUTE")
        get_settings.cache_clear()


def test_the_other_side_is_told_unless_they_are_on_the_thread(deal) -> None:
    consumer, lead, (_first, first_owner), _, _ = deal
    [thread] = threads(first_owner, lead)
    send(first_owner, thread.thread.id, "שלום")
    [note] = told(consumer)
    assert note["link"] == f"/messages/{thread.thread.id}"
    assert note["title"] == f'הודעה חדשה מאינסטלציה לוי על "{lead.title}"'
    assert told(first_owner) == []  # never the writer
    # the consumer opens the thread: the next message is not a notification
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        chat.here(session=session, caller=caller, thread_id=thread.thread.id)
    send(first_owner, thread.thread.id, "עוד משהו")
    assert len(told(consumer)) == 1
    with unit_of_work(caller) as session:
        chat.gone(session=session, caller=caller, thread_id=thread.thread.id)
    send(first_owner, thread.thread.id, "ועוד")
    assert len(told(consumer)) == 2
    # the answer reaches whoever sent the offer
    send(consumer, thread.thread.id, "תודה")
    assert len(told(first_owner)) == 1


def test_a_pro_lead_is_owned_by_every_member_of_its_business(db) -> None:
    owner_business, owner = make_professional(business_name="חשמל כהן")
    colleague = make_user(name="יוסי")
    add_member(owner_business, owner, colleague)
    lead = make_lead(owner, pro_lead_data(owner_business))
    business, pro = make_professional(business_name="חשמל לוי")
    offer(pro, business, lead)
    [thread] = threads(colleague, lead)
    assert thread.side == Side.owner and thread.other_name == "חשמל לוי"
    [theirs] = threads(pro, lead)
    assert theirs.other_name == "חשמל כהן"
    send(colleague, thread.thread.id, "מתי אפשר להתחיל?")
    rows, _ = read(owner, thread.thread.id)
    assert rows[0].side == Side.owner and not rows[0].mine


def test_admins_read_a_transcript_from_a_dispute_audited_and_never_write(deal) -> None:
    consumer, lead, (_first, first_owner), _, offers = deal
    [thread] = threads(first_owner, lead)
    send(first_owner, thread.thread.id, CONTACTS)
    with unit_of_work(caller_for(consumer)) as session:
        proposals.accept_proposal(session=session, caller=caller_for(consumer),
                                  proposal_id=offers[0].id)
    admin = make_user(role=UserRole.admin, name="מנהלת")
    caller = caller_for(admin)
    with unit_of_work(caller) as session:
        found = chat.thread_for_dispute(session=session, caller=caller, lead_id=lead.id)
    assert found == thread.thread.id
    with unit_of_work(caller) as session:
        view = chat.open_thread(session=session, caller=caller, thread_id=found, ip="10.0.0.9")
        rows, _ = chat.messages(session=session, caller=caller, thread_id=found, ip="10.0.0.9")
    assert view.side is None and not view.writable and rows[0].body == CONTACTS
    with unit_of_work(SYSTEM) as session:
        audited = session.execute(text(
            "SELECT action, subject_id, ip FROM admin_audit_log WHERE actor_user_id = :a"),
            {"a": admin.id}).all()
    assert [tuple(r) for r in audited] == [("chat.read", str(found), "10.0.0.9")] * 2
    with pytest.raises(Forbidden):
        send(admin, found, "שלום")
    with pytest.raises(Forbidden), unit_of_work(caller) as session:
        chat.mark_read(session=session, caller=caller, thread_id=found)
    with pytest.raises(Forbidden), unit_of_work(caller_for(consumer)) as session:
        chat.thread_for_dispute(session=session, caller=caller_for(consumer), lead_id=lead.id)


def test_a_cancelled_lead_closes_its_threads(deal) -> None:
    consumer, lead, (_first, first_owner), _, _ = deal
    [thread] = threads(first_owner, lead)
    send(consumer, thread.thread.id, "שאלה")
    from ofair_app.services import leads

    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        leads.cancel_lead(session=session, caller=caller, lead_id=lead.id)
    with pytest.raises(Conflict):
        send(first_owner, thread.thread.id, "תשובה")
    rows, _ = read(first_owner, thread.thread.id)
    assert [r.body for r in rows] == ["שאלה"]
