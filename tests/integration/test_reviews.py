"""Reviews of closed jobs: only the owner of a closed lead reviews its performer, once; the
business's rating moves in the same transaction (and with moderation); the edit window; the
one reply; who is told; the reminder job; and the database's own refusals (RLS and the guard)
for every other party."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlmodel import select

from jobs.runner import run_job
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from ofair_app.domain.reviews import EditWindowOver
from ofair_app.models import Professional, Review, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import notifications, privacy, reviews
from tests.factories import (
    caller_for,
    make_paid_job,
    make_professional,
    make_user,
    make_won_job,
)

GOOD = {"rating": 5, "quality": 5, "punctuality": 4, "price": 4, "attitude": 5}


def data(**overrides) -> reviews.ReviewInput:
    return reviews.ReviewInput(**{**GOOD, "body": "עבודה נקייה ומקצועית, הגיע בזמן.",
                                  **overrides})


def write(user, lead, **overrides):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return reviews.write(session=session, caller=caller, lead_id=lead.id,
                             data=data(**overrides))


def business_score(business_id) -> tuple[Decimal, int]:
    with unit_of_work(SYSTEM) as session:
        row = session.get(Professional, business_id)
        return row.rating, row.review_count


def told(user, kind: str) -> list[str]:
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        return list(session.execute(text(
            "SELECT title FROM notifications WHERE user_id = :u AND kind = :k"
            " ORDER BY created_at"), {"u": user.id, "k": kind}).scalars())


@pytest.fixture
def closed(db):
    """A consumer's closed (paid, done, confirmed) job won by a business."""
    consumer = make_user(name="רונית לוי")
    business, owner = make_professional(business_name="שיפוצי אור")
    lead = make_paid_job(consumer, owner, "1200", done=True)
    return consumer, lead, business, owner


def test_the_owner_reviews_a_closed_job_once_and_the_rating_moves_with_it(closed) -> None:
    consumer, lead, business, owner = closed
    assert told(consumer, "review_request")  # asked when the job closed
    view = write(consumer, lead)
    assert view.review.rating == 5 and view.shown_as == "רונית" and view.mine
    assert business_score(business.id) == (Decimal("5.00"), 1)
    assert told(owner, "review_received")
    with pytest.raises(Conflict) as second:
        write(consumer, lead, rating=1)
    assert second.value.code == "review_exists"
    assert business_score(business.id) == (Decimal("5.00"), 1)
    # a second job of the same business, reviewed lower: the mean of the two
    other = make_paid_job(make_user(name="יוסי"), owner, "800", done=True)
    reviewer = caller_for_owner(other)
    write(reviewer, other, rating=2, display="verified")
    assert business_score(business.id) == (Decimal("3.50"), 2)
    with unit_of_work(ANONYMOUS) as session:
        page, _ = reviews.of_business(session=session, caller=ANONYMOUS,
                                      professional_id=business.id)
        summary = reviews.summary(session=session, professional_id=business.id)
    assert [v.shown_as for v in page] == ["", "רונית"]  # newest first; the second "verified"
    assert summary.distribution == {5: 1, 4: 0, 3: 0, 2: 1, 1: 0}
    assert summary.aspects["punctuality"] == "4.0" and summary.count == 2


def caller_for_owner(lead):
    with unit_of_work(SYSTEM) as session:
        from ofair_app.models import User

        return session.get(User, lead.owner_user_id)


def test_only_the_owner_and_only_after_close(closed) -> None:
    consumer, lead, business, owner = closed
    for someone in (owner, make_user(), make_user(role=UserRole.admin)):
        with pytest.raises(Forbidden):
            write(someone, lead)
    with pytest.raises(Unauthenticated), unit_of_work(ANONYMOUS) as session:
        reviews.write(session=session, caller=ANONYMOUS, lead_id=lead.id, data=data())
    with pytest.raises(NotFound):  # no such lead
        write(consumer, lead.model_copy(update={"id": uuid.uuid4()}))
    # awarded, not closed: refused, and nothing is written
    other_consumer = make_user()
    open_job = make_won_job(other_consumer, owner, "500")
    with pytest.raises(Conflict) as early:
        write(other_consumer, open_job)
    assert early.value.code == "job_not_closed"
    assert business_score(business.id) == (Decimal("0.00"), 0)


@pytest.mark.parametrize("bad", [{"rating": 0}, {"rating": 6}, {"quality": 0},
                                 {"attitude": "5"}, {"price": True}, {"punctuality": 4.5},
                                 {"body": "x" * 1501}, {"body": "a\x00b"},
                                 {"display": "public"}], ids=lambda b: next(iter(b)) + "-" +
                         str(next(iter(b.values())))[:6])
def test_bad_input_names_the_field_and_writes_nothing(closed, bad) -> None:
    consumer, lead, business, _ = closed
    with pytest.raises(InvalidInput) as refused:
        write(consumer, lead, **bad)
    assert set(refused.value.fields) == set(bad)
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT count(*) FROM reviews")).scalar() == 0
    assert business_score(business.id) == (Decimal("0.00"), 0)


def test_the_reviewer_edits_for_seven_days_then_it_is_locked(closed) -> None:
    consumer, lead, business, owner = closed
    view = write(consumer, lead)
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        edited = reviews.edit(session=session, caller=caller, review_id=view.review.id,
                              data=data(rating=3, body="בסדר, אבל איחר."))
    assert edited.review.rating == 3 and business_score(business.id) == (Decimal("3.00"), 1)
    with pytest.raises(Forbidden), unit_of_work(caller_for(owner)) as session:
        reviews.edit(session=session, caller=caller_for(owner), review_id=view.review.id,
                     data=data(rating=5))
    with pytest.raises(EditWindowOver), unit_of_work(caller) as session:  # eight days on
        reviews.edit(session=session, caller=caller, review_id=view.review.id,
                     data=data(rating=1), now=utcnow() + timedelta(days=8))
    assert business_score(business.id) == (Decimal("3.00"), 1)


def test_the_business_answers_once_and_the_reviewer_is_told(closed) -> None:
    consumer, lead, _business, owner = closed
    view = write(consumer, lead)
    pro = caller_for(owner)
    with pytest.raises(InvalidInput), unit_of_work(pro) as session:
        reviews.reply(session=session, caller=pro, review_id=view.review.id, body="  ")
    with unit_of_work(pro) as session:
        answered = reviews.reply(session=session, caller=pro, review_id=view.review.id,
                                 body="תודה רבה, שמחנו לעבוד איתך!")
    assert answered.review.reply.startswith("תודה") and not answered.can_reply
    assert told(consumer, "review_replied")
    with pytest.raises(Conflict), unit_of_work(pro) as session:
        reviews.reply(session=session, caller=pro, review_id=view.review.id, body="שוב")
    stranger = make_professional(business_name="עסק אחר")[1]
    with pytest.raises(Forbidden), unit_of_work(caller_for(stranger)) as session:
        reviews.reply(session=session, caller=caller_for(stranger), review_id=view.review.id,
                      body="לא שלי")


def test_an_admin_hides_and_restores_with_a_reason_both_sides_told_and_audited(closed) -> None:
    consumer, lead, business, owner = closed
    view = write(consumer, lead)
    admin = make_user(role=UserRole.admin)
    back = caller_for(admin)
    with pytest.raises(InvalidInput), unit_of_work(back) as session:
        reviews.hide(session=session, caller=back, review_id=view.review.id, reason="x")
    with pytest.raises(Forbidden), unit_of_work(caller_for(owner)) as session:
        reviews.hide(session=session, caller=caller_for(owner), review_id=view.review.id,
                     reason="לא מוצא חן בעיני")
    with unit_of_work(back) as session:
        hidden = reviews.hide(session=session, caller=back, review_id=view.review.id,
                              reason="מציין שם של אדם אחר")
    assert hidden.hidden and business_score(business.id) == (Decimal("0.00"), 0)
    assert told(consumer, "review_hidden") and told(owner, "review_hidden")
    with unit_of_work(ANONYMOUS) as session:  # gone from the public page
        assert reviews.of_business(session=session, caller=ANONYMOUS,
                                   professional_id=business.id)[0] == []
        assert reviews.of_lead(session=session, caller=ANONYMOUS, lead_id=lead.id) is None
    caller = caller_for(consumer)  # its writer still sees it, and why
    with unit_of_work(caller) as session:
        mine = reviews.of_lead(session=session, caller=caller, lead_id=lead.id)
    assert mine.hidden and mine.review.hidden_reason == "מציין שם של אדם אחר"
    with unit_of_work(back) as session:
        reviews.restore(session=session, caller=back, review_id=view.review.id,
                        reason="נבדק שוב, תקין")
    assert business_score(business.id) == (Decimal("5.00"), 1)
    assert told(consumer, "review_restored")
    with unit_of_work(SYSTEM) as session:
        actions = list(session.execute(text(
            "SELECT action FROM admin_audit_log WHERE subject_type = 'review'"
            " ORDER BY created_at")).scalars())
    assert actions == ["review.hide", "review.restore"]


def test_the_reminder_goes_once_three_days_after_close_and_not_after_a_review(closed) -> None:
    consumer, _lead, _business, owner = closed
    second_consumer = make_user(name="אבי")
    reviewed = make_paid_job(second_consumer, owner, "900", done=True)
    write(second_consumer, reviewed)
    assert run_job("reminders", as_of=utcnow()).detail.endswith(", 0 review reminders")
    later = utcnow() + timedelta(days=3, minutes=1)
    assert run_job("reminders", as_of=later).detail.endswith(", 1 review reminders")
    assert run_job("reminders", as_of=later).detail.endswith(", 0 review reminders")
    assert len(told(consumer, "review_reminder")) == 1
    assert told(second_consumer, "review_reminder") == []


def test_two_reviews_at_once_for_one_business_both_count(db) -> None:
    business, owner = make_professional(business_name="מיזוג צפון")
    jobs = []
    for rating in (5, 1):
        consumer = make_user()
        jobs.append((consumer, make_paid_job(consumer, owner, "700", done=True), rating))
    barrier = threading.Barrier(2)

    def review(consumer, lead, rating):
        barrier.wait()
        write(consumer, lead, rating=rating)

    threads = [threading.Thread(target=review, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert business_score(business.id) == (Decimal("3.00"), 2)


def test_the_database_refuses_every_other_party(closed) -> None:
    """Past the service: RLS and the guard, as each party's own transaction."""
    consumer, lead, business, owner = closed
    view = write(consumer, lead)
    rid = view.review.id
    stranger, other_pro = make_user(), make_professional(business_name="עסק זר")[1]

    def attempt(user, sql, **params):
        caller = caller_for(user) if user else ANONYMOUS
        with unit_of_work(caller) as session:
            return session.execute(text(sql), {"id": rid, **params}).rowcount

    # nobody else changes the scores, the reply or the moderation
    assert attempt(stranger, "UPDATE reviews SET rating = 1 WHERE id = :id") == 0
    assert attempt(other_pro, "UPDATE reviews SET reply = 'x' WHERE id = :id") == 0
    assert attempt(None, "UPDATE reviews SET rating = 1 WHERE id = :id") == 0
    for user, sql in ((owner, "UPDATE reviews SET rating = 1 WHERE id = :id"),
                      (consumer, "UPDATE reviews SET reply = 'mine' WHERE id = :id"),
                      (consumer, "UPDATE reviews SET hidden_at = now(), hidden_reason = 'x'"
                                 " WHERE id = :id")):
        with pytest.raises((ProgrammingError, DBAPIError)):
            attempt(user, sql)
    # nobody inserts a review of a job that is not theirs and closed
    for user in (stranger, other_pro, None, owner):
        with pytest.raises((ProgrammingError, DBAPIError)):
            attempt(user, "INSERT INTO reviews (lead_id, professional_id, reviewer_user_id,"
                          " rating, quality, punctuality, price, attitude) VALUES"
                          " (:lead, :pro, :me, 5, 5, 5, 5, 5)",
                    lead=make_won_job(make_user(), owner, "300").id, pro=business.id,
                    me=user.id if user else None)
    # and nobody but the platform deletes one
    for user in (consumer, owner, stranger, make_user(role=UserRole.admin)):
        assert attempt(user, "DELETE FROM reviews WHERE id = :id") == 0
    # review_requests: only their own, read only
    for user in (stranger, other_pro, None):
        caller = caller_for(user) if user else ANONYMOUS
        with unit_of_work(caller) as session:
            assert session.execute(text("SELECT count(*) FROM review_requests")).scalar() == 0
    with unit_of_work(caller_for(consumer)) as session:
        assert session.execute(text("SELECT count(*) FROM review_requests")).scalar() == 1
        assert session.execute(text("UPDATE review_requests SET reminded_at = now()")
                               ).rowcount == 0


def test_a_hidden_review_is_seen_only_by_its_sides_and_admins(closed) -> None:
    consumer, lead, _business, owner = closed
    view = write(consumer, lead)
    admin = make_user(role=UserRole.admin)
    with unit_of_work(caller_for(admin)) as session:
        reviews.hide(session=session, caller=caller_for(admin), review_id=view.review.id,
                     reason="פרטים אישיים בטקסט")
    for user, sees in ((consumer, 1), (owner, 1), (admin, 1), (make_user(), 0),
                       (make_professional(business_name="אחר")[1], 0), (None, 0)):
        caller = caller_for(user) if user else ANONYMOUS
        with unit_of_work(caller) as session:
            assert session.execute(text("SELECT count(*) FROM reviews")).scalar() == sees


def test_closing_the_account_keeps_the_scores_and_drops_the_name_and_text(db) -> None:
    consumer = make_user(name="רונית לוי")
    business, owner = make_professional(business_name="שיפוצי אור")
    lead = make_paid_job(consumer, owner, "1200",
                         released_at=utcnow() + timedelta(days=8))
    write(consumer, lead)
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        privacy.close_account(session=session, caller=caller, confirmation=consumer.phone)
    with unit_of_work(SYSTEM) as session:
        review = session.exec(select(Review)).one()
    assert review.reviewer_name == "" and review.body == "" and review.rating == 5
    with unit_of_work(ANONYMOUS) as session:
        [shown], _ = reviews.of_business(session=session, caller=ANONYMOUS,
                                         professional_id=business.id)
    assert shown.shown_as == ""  # "a verified client"
    assert business_score(business.id) == (Decimal("5.00"), 1)
