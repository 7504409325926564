"""Site visits and the check-in on site, on real PostgreSQL: hours and slots in Israel's time,
who may book, capacity as locked inventory (20 bookings at once of the last place: exactly
one), the change cutoff, the day-before reminder, the calendar file; passes only the client
reads, the first scan checks in and every later (or simultaneous) one is the duplicate
contract; and RLS denial on every new table for another user, another business and nobody."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from jobs.runner import run_job
from ofair_app.db.engine import ANONYMOUS, SYSTEM, unit_of_work
from ofair_app.domain import visits as rules
from ofair_app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from ofair_app.models import ProposalCreate, UserRole
from ofair_app.models._base import utcnow
from ofair_app.services import check_ins, notifications, proposals, reviews, visits
from tests.factories import (
    caller_for,
    make_lead,
    make_paid_job,
    make_professional,
    make_user,
    make_won_job,
)

WEEKDAYS = {day: [(time(8, 0), time(12, 0)), (time(13, 0), time(17, 0))] for day in range(7)}


def open_hours(owner, business, capacity: int = 1, minutes: int = 60, exceptions=()):
    caller = caller_for(owner)
    with unit_of_work(caller) as session:
        return visits.set_availability(session=session, caller=caller,
                                       professional_id=business.id, visit_minutes=minutes,
                                       capacity=capacity, weekly=WEEKDAYS,
                                       exceptions=list(exceptions))


def offer(owner, business, lead):
    with unit_of_work(caller_for(owner)) as session:
        return proposals.create_proposal(
            session=session, caller=caller_for(owner), lead_id=lead.id,
            data=ProposalCreate(price="600", description="אגיע לבדוק ולתת מחיר מדויק.",
                                professional_id=business.id))


def a_slot(business, days_ahead: int = 3, index: int = 0) -> datetime:
    day = rules.local_day(utcnow()) + timedelta(days=days_ahead)
    with unit_of_work(ANONYMOUS) as session:
        found = visits.free_slots(session=session, professional_id=business.id, since=day,
                                  days=1)
    return found[index].starts_at


def book(user, lead, business, starts_at, **kw):
    caller = caller_for(user) if user else ANONYMOUS
    with unit_of_work(caller) as session:
        return visits.book(session=session, caller=caller, lead_id=lead.id,
                           professional_id=business.id, starts_at=starts_at, **kw)


def told(user, kind: str) -> int:
    notifications.drain()
    with unit_of_work(SYSTEM) as session:
        return session.execute(text("SELECT count(*) FROM notifications WHERE user_id = :u"
                                    " AND kind = :k"), {"u": user.id, "k": kind}).scalar()


@pytest.fixture
def request_with_offer(db):
    consumer = make_user(name="טל אדמוני")
    lead = make_lead(consumer)
    business, owner = make_professional(business_name="מיזוג טל")
    open_hours(owner, business)
    offer(owner, business, lead)
    return consumer, lead, business, owner


def test_slots_are_israel_wall_clock_across_summer_time() -> None:
    hours = rules.Availability(minutes=60, capacity=1,
                               weekly={d: (rules.Hours(time(9), time(11)),) for d in range(7)},
                               exceptions={})
    winter, summer = rules.slots_on(hours, date(2026, 12, 6)), rules.slots_on(hours,
                                                                             date(2027, 6, 6))
    assert [s.starts_at.astimezone(rules.ISRAEL).hour for s in winter + summer] == [9, 10] * 2
    assert winter[0].starts_at.hour == 7 and summer[0].starts_at.hour == 6  # UTC+2, UTC+3
    closed = rules.Availability(
        minutes=60, capacity=1, weekly=hours.weekly,
        exceptions={date(2026, 12, 6): rules.Exception_(date(2026, 12, 6))})
    assert rules.slots_on(closed, date(2026, 12, 6)) == []


@pytest.mark.parametrize(("field", "kw"), [
    ("visit_minutes", {"visit_minutes": 10}), ("visit_minutes", {"visit_minutes": 62}),
    ("capacity", {"capacity": 0}), ("capacity", {"capacity": 11}),
    ("weekly.1.0", {"weekly": {1: [("10:00", "09:00")]}}),
    ("weekly.1", {"weekly": {1: [("09:00", "12:00"), ("11:00", "13:00")]}}),
    ("weekly.9", {"weekly": {9: [("09:00", "12:00")]}}),
    ("weekly.1.0", {"weekly": {1: [("9am", "12:00")]}}),
    ("exceptions.0.day", {"exceptions": [{"day": "2020-01-01"}]}),
], ids=["short", "odd-minutes", "no-capacity", "big-capacity", "backwards", "overlap",
        "weekday", "time-text", "past-date"])
def test_bad_hours_name_the_field_and_change_nothing(request_with_offer, field, kw) -> None:
    _, _, business, owner = request_with_offer
    before = a_slot(business)
    caller = caller_for(owner)
    values = {"visit_minutes": 60, "capacity": 1, "weekly": WEEKDAYS, "exceptions": [], **kw}
    with pytest.raises(InvalidInput) as refused, unit_of_work(caller) as session:
        visits.set_availability(session=session, caller=caller, professional_id=business.id,
                                **values)
    assert field in refused.value.fields
    assert a_slot(business) == before
    stranger = make_professional(business_name="זר")[1]
    with pytest.raises(Forbidden), unit_of_work(caller_for(stranger)) as session:
        visits.set_availability(session=session, caller=caller_for(stranger),
                                professional_id=business.id, visit_minutes=30, capacity=1,
                                weekly={}, exceptions=[])


def test_who_may_book_and_the_visit_both_sides_see(request_with_offer) -> None:
    consumer, lead, business, owner = request_with_offer
    starts = a_slot(business)
    # a business that made no offer, a stranger, nobody
    other_business, other_owner = make_professional(business_name="בלי הצעה")
    open_hours(other_owner, other_business)
    with pytest.raises(Forbidden):
        book(consumer, lead, other_business, a_slot(other_business))
    with pytest.raises((Forbidden, NotFound)):
        book(make_user(), lead, business, starts)
    with pytest.raises(Forbidden):  # the business itself, before any award
        book(owner, lead, business, starts)
    with pytest.raises(Unauthenticated):
        book(None, lead, business, starts)
    with pytest.raises(InvalidInput):  # not one of its slots
        book(consumer, lead, business, starts + timedelta(minutes=17))
    view = book(consumer, lead, business, starts)
    assert view.visit.starts_at == starts and view.changeable and view.mine
    assert told(owner, "visit_booked") == 1
    with pytest.raises(Conflict) as twice:
        book(consumer, lead, business, a_slot(business, index=1))
    assert twice.value.code == "visit_exists"
    for user in (consumer, owner):
        caller = caller_for(user)
        with unit_of_work(caller) as session:
            [seen] = visits.of_lead(session=session, caller=caller, lead_id=lead.id)
        assert seen.visit.id == view.visit.id and seen.business_name == "מיזוג טל"
    # the slot is gone from the free list (capacity 1)
    with unit_of_work(ANONYMOUS) as session:
        free = visits.free_slots(session=session, professional_id=business.id,
                                 since=rules.local_day(starts), days=1)
    assert starts not in [s.starts_at for s in free]


def test_the_performer_books_after_the_award(db) -> None:
    consumer = make_user()
    business, owner = make_professional(business_name="ריצוף אבי")
    open_hours(owner, business)
    lead = make_won_job(consumer, owner, "3000")
    view = book(owner, lead, business, a_slot(business))
    assert view.mine and told(consumer, "visit_booked") == 1


def test_twenty_bookings_at_once_of_the_last_place_give_exactly_one(db) -> None:
    business, owner = make_professional(business_name="מעבדת מזגנים")
    open_hours(owner, business, capacity=2)
    leads = []
    for _ in range(21):
        consumer = make_user()
        lead = make_lead(consumer)
        offer(owner, business, lead)
        leads.append((consumer, lead))
    starts = a_slot(business)
    book(*leads[0], business, starts)  # one of the two places is taken already
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(consumer, lead):
        barrier.wait()
        try:
            book(consumer, lead, business, starts)
            result = "booked"
        except rules.SlotFull:
            result = "full"
        except Exception as error:
            result = repr(error)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=pair) for pair in leads[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["full"] * 19, outcomes
    with unit_of_work(SYSTEM) as session:
        assert session.execute(text("SELECT capacity, booked FROM visit_slots WHERE"
                                    " professional_id = :p"), {"p": business.id}).one() == (2, 2)
        assert session.execute(text("SELECT count(*) FROM site_visits WHERE"
                                    " professional_id = :p AND status = 'booked'"),
                               {"p": business.id}).scalar() == 2


def test_cancel_and_move_until_two_hours_before_then_locked(request_with_offer) -> None:
    consumer, lead, business, owner = request_with_offer
    starts = a_slot(business)
    visit = book(consumer, lead, business, starts).visit
    later = a_slot(business, days_ahead=4)
    pro = caller_for(owner)
    with unit_of_work(pro) as session:
        moved = visits.reschedule(session=session, caller=pro, visit_id=visit.id,
                                  starts_at=later)
    assert moved.visit.starts_at == later and told(consumer, "visit_rescheduled") == 1
    assert starts in [s.starts_at for s in _free(business, starts)]  # the old place is free
    caller = caller_for(consumer)
    with pytest.raises(rules.TooLate), unit_of_work(caller) as session:
        visits.cancel(session=session, caller=caller, visit_id=visit.id,
                      now=later - timedelta(minutes=90))
    with unit_of_work(caller) as session:
        done = visits.cancel(session=session, caller=caller, visit_id=visit.id)
    assert done.visit.status == "cancelled" and told(owner, "visit_cancelled") == 1
    with pytest.raises(Conflict), unit_of_work(caller) as session:
        visits.cancel(session=session, caller=caller, visit_id=visit.id)
    stranger = make_user()
    with pytest.raises(NotFound), unit_of_work(caller_for(stranger)) as session:
        visits.cancel(session=session, caller=caller_for(stranger), visit_id=visit.id)
    # cancelled: the lead may book again
    book(consumer, lead, business, starts)


def _free(business, moment):
    with unit_of_work(ANONYMOUS) as session:
        return visits.free_slots(session=session, professional_id=business.id,
                                 since=rules.local_day(moment), days=1)


def test_the_reminder_goes_to_both_sides_once_the_day_before(request_with_offer) -> None:
    consumer, lead, business, owner = request_with_offer
    starts = a_slot(business, days_ahead=2)
    book(consumer, lead, business, starts)
    assert run_job("reminders", as_of=starts - timedelta(days=1, hours=1)).detail.startswith(
        "0 visit reminders")
    assert run_job("reminders", as_of=starts - timedelta(hours=20)).detail.startswith(
        "1 visit reminders")
    assert run_job("reminders", as_of=starts - timedelta(hours=19)).detail.startswith(
        "0 visit reminders")
    assert told(consumer, "visit_reminder") == 1 and told(owner, "visit_reminder") == 1


def test_the_calendar_file_is_the_visit_and_needs_its_signed_link(request_with_offer) -> None:
    consumer, lead, business, _ = request_with_offer
    starts = a_slot(business)
    view = book(consumer, lead, business, starts)
    token = view.ics_url.split("token=")[1]
    [event] = Calendar.from_ical(visits.ics(visit_id=view.visit.id, token=token)).walk("VEVENT")
    assert event.decoded("dtstart") == starts and "מיזוג טל" in str(event.get("summary"))
    with pytest.raises(NotFound):
        visits.ics(visit_id=view.visit.id, token=token + "x")
    with pytest.raises(NotFound):  # another visit's link
        visits.ics(visit_id=lead.id, token=token)


# --- check-in ------------------------------------------------------------------------------


def passes(user, lead):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return check_ins.passes_of_lead(session=session, caller=caller, lead_id=lead.id)


def scan(user, **kw):
    caller = caller_for(user)
    with unit_of_work(caller) as session:
        return check_ins.check_in(session=session, caller=caller, **kw)


def test_only_the_client_holds_the_pass_and_the_first_scan_checks_in(request_with_offer):
    consumer, lead, business, owner = request_with_offer
    book(consumer, lead, business, a_slot(business))
    [visit_pass] = passes(consumer, lead)
    assert visit_pass.qr_svg.startswith("data:image/svg+xml") and "-" in visit_pass.code
    assert passes(owner, lead) == []  # the business scans the code; it never reads it
    with unit_of_work(caller_for(owner)) as session:
        assert session.execute(text("SELECT count(*) FROM check_in_passes")).scalar() == 0
    token = visit_pass.link.split("t=")[1]
    first = scan(owner, token=token, place="בכניסה לבניין")
    assert first.by and first.check_in.place == "בכניסה לבניין"
    assert told(consumer, "checked_in") == 1
    with pytest.raises(check_ins.AlreadyCheckedIn) as again:
        scan(owner, code=visit_pass.code.lower())
    assert again.value.code == "already_checked_in"
    assert again.value.extra["checked_in_by"] == first.by
    assert again.value.extra["checked_in_at"] == first.check_in.checked_in_at.isoformat()
    [shown] = passes(consumer, lead)
    assert shown.checked_in_at == first.check_in.checked_in_at


def test_simultaneous_scans_check_in_once(request_with_offer) -> None:
    consumer, lead, business, owner = request_with_offer
    book(consumer, lead, business, a_slot(business))
    token = passes(consumer, lead)[0].link.split("t=")[1]
    barrier, results, lock = threading.Barrier(8), [], threading.Lock()

    def attempt():
        barrier.wait()
        try:
            scan(owner, token=token)
            result = "in"
        except check_ins.AlreadyCheckedIn:
            result = "duplicate"
        with lock:
            results.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate"] * 7 + ["in"]


def test_a_pass_is_bound_signed_and_expires(request_with_offer) -> None:
    consumer, lead, business, owner = request_with_offer
    visit = book(consumer, lead, business, a_slot(business)).visit
    [visit_pass] = passes(consumer, lead)
    token = visit_pass.link.split("t=")[1]
    other = make_professional(business_name="עסק אחר")[1]
    with pytest.raises(Forbidden):
        scan(other, token=token)
    with pytest.raises(NotFound):  # another business typing the code learns nothing
        scan(other, code=visit_pass.code)
    with pytest.raises(NotFound):
        scan(owner, token=token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    with pytest.raises(InvalidInput):
        scan(owner, code="12")
    with pytest.raises(check_ins.PassExpired):  # a day after the visit ended
        scan(owner, token=token, now=visit.ends_at + timedelta(days=1))
    caller = caller_for(consumer)
    with unit_of_work(caller) as session:
        visits.cancel(session=session, caller=caller, visit_id=visit.id)
    with pytest.raises(Conflict):  # a cancelled visit's pass checks nobody in
        scan(owner, token=token)


def test_the_awarded_job_has_its_pass_and_the_review_shows_the_check_in(db) -> None:
    consumer = make_user(name="גלית")
    _business, owner = make_professional(business_name="חשמל גלית")
    lead = make_paid_job(consumer, owner, "900")  # paid: in progress
    [job_pass] = passes(consumer, lead)
    assert job_pass.check_in_pass.visit_id is None
    scan(owner, code=job_pass.code)
    from ofair_app.services import payments

    with unit_of_work(caller_for(owner)) as session:
        payments.complete(session=session, caller=caller_for(owner), lead_id=lead.id)
    with unit_of_work(caller_for(consumer)) as session:
        payments.confirm_completion(session=session, caller=caller_for(consumer),
                                    lead_id=lead.id)
    with unit_of_work(caller_for(consumer)) as session:
        view = reviews.write(session=session, caller=caller_for(consumer), lead_id=lead.id,
                             data=reviews.ReviewInput(rating=5, quality=5, punctuality=5,
                                                      price=5, attitude=5))
    assert view.checked_in
    admin = make_user(role=UserRole.admin)
    with unit_of_work(caller_for(admin)) as session:
        [seen] = check_ins.of_lead(session=session, caller=caller_for(admin), lead_id=lead.id)
    assert seen.business_name == "חשמל גלית"


def test_rls_denies_another_user_another_business_and_nobody(request_with_offer) -> None:
    consumer, lead, business, owner = request_with_offer
    book(consumer, lead, business, a_slot(business))
    scan(owner, token=passes(consumer, lead)[0].link.split("t=")[1])
    stranger, other_pro = make_user(), make_professional(business_name="מתחרה")[1]
    tables = {"site_visits": 0, "check_in_passes": 0, "check_ins": 0}
    for user in (stranger, other_pro, None):
        caller = caller_for(user) if user else ANONYMOUS
        with unit_of_work(caller) as session:
            for table, seen in tables.items():
                assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == seen
            # nobody changes another's hours, the inventory, a visit, a pass or a check-in
            for sql in ("UPDATE visit_settings SET capacity = 5",
                        "DELETE FROM visit_hours", "DELETE FROM visit_exceptions",
                        "UPDATE site_visits SET status = 'cancelled'",
                        "UPDATE check_in_passes SET expires_at = now()",
                        "DELETE FROM check_ins"):
                assert session.execute(text(sql)).rowcount == 0, sql
        for sql, params in (
                ("UPDATE visit_slots SET booked = 0", {}),
                ("INSERT INTO visit_slots (professional_id, starts_at, ends_at, capacity)"
                 " VALUES (:p, now(), now(), 9)", {"p": business.id}),
                ("INSERT INTO visit_hours (professional_id, weekday, starts, ends)"
                 " VALUES (:p, 1, '09:00', '10:00')", {"p": business.id}),
                ("INSERT INTO check_ins (pass_id, lead_id, professional_id, user_id)"
                 " SELECT gen_random_uuid(), :l, :p, :u", {"l": lead.id, "p": business.id,
                                                         "u": user.id if user else None})):
            with pytest.raises((ProgrammingError, DBAPIError)), unit_of_work(caller) as session:
                if session.execute(text(sql), params).rowcount == 0:
                    raise ProgrammingError(sql, params, Exception("refused: no row"))
    # the two sides see theirs
    for user, passes_seen in ((consumer, 1), (owner, 0)):
        with unit_of_work(caller_for(user)) as session:
            assert session.execute(text("SELECT count(*) FROM site_visits")).scalar() == 1
            assert session.execute(text("SELECT count(*) FROM check_ins")).scalar() == 1
            assert session.execute(text("SELECT count(*) FROM check_in_passes")
                                   ).scalar() == passes_seen


def test_now_is_aware(request_with_offer) -> None:
    """A naive time is not a slot (every time on the wire carries its offset)."""
    consumer, lead, business, _ = request_with_offer
    naive = a_slot(business).astimezone(UTC).replace(tzinfo=None)
    with pytest.raises(InvalidInput):
        book(consumer, lead, business, naive)
