"""Site visits (issue 20 point 2).

Use cases: a business publishes when it visits clients (`set_availability`, read back with
`availability`); anyone sees its free slots (`free_slots`); the owner of a lead books a visit
with a business that made an offer on it, or the performer books one after the award (`book`);
either side cancels or moves it until `VISIT_CHANGE_CUTOFF_HOURS` before (`cancel`,
`reschedule`); both see the lead's visits (`of_lead`) and add one to a calendar (`ics`); the
`reminders` job tells both sides the day before (`remind_due`).

Capacity is inventory: a slot's row is written the first time it is booked and locked by every
booking of it, so of any number of bookings of its last place exactly one succeeds and the rest
are a 409 `slot_full`. The row is kept by the platform (a trusted step), after the caller's right
to book was checked here and, again, by the policy on `site_visits`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from ofair_app.db.engine import SYSTEM, Caller, trusted_step
from ofair_app.domain import visits as rules
from ofair_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ofair_app.domain.leads import LeadStatus
from ofair_app.models import (
    Lead,
    Professional,
    Proposal,
    SiteVisit,
    VisitException,
    VisitHours,
    VisitSettings,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import check_ins, notifications, users
from ofair_app.services.professionals import require_member
from ofair_app.services.proposals import lead_url_for_owner, short_title, url
from ofair_app.settings import get_settings

MAX_DAYS = 14  # free slots asked for at once
OPEN_FOR_VISITS = frozenset({LeadStatus.active, LeadStatus.awarded, LeadStatus.in_progress})


class VisitExists(Conflict):
    code, message_key = "visit_exists", "errors.visit.exists"


class LeadNotOpen(Conflict):
    code, message_key = "lead_not_open", "errors.visit.lead_closed"


class NoVisits(Conflict):
    code, message_key = "no_visits", "errors.visit.no_hours"


@dataclass(frozen=True)
class FreeSlot:
    starts_at: datetime
    ends_at: datetime
    free: int


@dataclass(frozen=True)
class VisitView:
    visit: SiteVisit
    business_name: str
    mine: bool  # the caller's side booked it
    changeable: bool  # still before the cutoff, and booked
    checked_in_at: datetime | None
    ics_url: str


def _cutoff() -> timedelta:
    return timedelta(hours=get_settings().visit_change_cutoff_hours)


# --- hours -----------------------------------------------------------------------------------


def availability(session: Session, professional_id: uuid.UUID) -> rules.Availability | None:
    """A business's visit hours, or None if it never set any."""
    settings = session.get(VisitSettings, professional_id)
    if settings is None:
        return None
    weekly: dict[int, list[rules.Hours]] = {}
    dated: dict[date, list[rules.Hours]] = {}
    for row in session.exec(select(VisitHours).where(
            VisitHours.professional_id == professional_id).order_by(col(VisitHours.starts))):
        hours = rules.Hours(row.starts, row.ends)
        if row.weekday is not None:
            weekly.setdefault(row.weekday, []).append(hours)
        elif row.day is not None:
            dated.setdefault(row.day, []).append(hours)
    exceptions = {row.day: rules.Exception_(row.day, tuple(dated.get(row.day, [])), row.note)
                  for row in session.exec(select(VisitException).where(
                      VisitException.professional_id == professional_id))}
    return rules.Availability(minutes=settings.visit_minutes, capacity=settings.capacity,
                              weekly={day: tuple(h) for day, h in weekly.items()},
                              exceptions=exceptions)


def set_availability(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                     visit_minutes: object, capacity: object, weekly: object,
                     exceptions: object) -> rules.Availability:
    """Replace the business's visit hours (its members). Visits already booked keep their
    time; only new bookings follow the new hours."""
    require_member(session=session, caller=caller, professional_id=professional_id)
    today = rules.local_day(utcnow())
    found = rules.check_availability(minutes=visit_minutes, capacity=capacity, weekly=weekly,
                                     exceptions=exceptions, today=today)
    session.execute(delete(VisitHours).where(col(VisitHours.professional_id) == professional_id))
    session.execute(delete(VisitException).where(
        col(VisitException.professional_id) == professional_id))
    settings = session.get(VisitSettings, professional_id) or VisitSettings(
        professional_id=professional_id)
    settings.visit_minutes, settings.capacity = found.minutes, found.capacity
    session.add(settings)
    for weekday, stretch in found.weekly.items():
        session.add_all(VisitHours(professional_id=professional_id, weekday=weekday,
                                   starts=h.starts, ends=h.ends) for h in stretch)
    for day, exception in found.exceptions.items():
        session.add(VisitException(professional_id=professional_id, day=day,
                                   note=exception.note))
        session.add_all(VisitHours(professional_id=professional_id, day=day, starts=h.starts,
                                   ends=h.ends) for h in exception.hours)
    session.flush()
    return found


def free_slots(*, session: Session, professional_id: uuid.UUID, since: date, days: int = 7,
               now: datetime | None = None) -> list[FreeSlot]:
    """The business's bookable slots from `since` for `days` days, with their free places
    (full ones left out)."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(fields={"days": "errors.field.invalid"})
    if session.get(Professional, professional_id) is None:
        raise NotFound("errors.professional.not_found")
    hours = availability(session, professional_id)
    if hours is None:
        return []
    now = now or utcnow()
    slots = [slot for offset in range(days)
             for slot in rules.slots_on(hours, since + timedelta(days=offset))
             if rules.bookable(slot.starts_at, now, _cutoff())]
    if not slots:
        return []
    taken = dict(session.execute(text(
        "SELECT starts_at, booked FROM visit_slots WHERE professional_id = :p"
        " AND starts_at BETWEEN :first AND :last"),
        {"p": professional_id, "first": slots[0].starts_at, "last": slots[-1].starts_at}).all())
    found = [FreeSlot(slot.starts_at, slot.ends_at, hours.capacity - taken.get(slot.starts_at, 0))
             for slot in slots]
    return [slot for slot in found if slot.free > 0]


# --- booking ---------------------------------------------------------------------------------


def _slot_of(session: Session, professional_id: uuid.UUID, starts_at: object,
             now: datetime) -> tuple[rules.Slot, int]:
    """The business's slot starting at `starts_at` and its capacity (422 if there is none)."""
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        raise rules.refuse("starts_at", "errors.visit.not_a_slot")
    hours = availability(session, professional_id)
    if hours is None:
        raise NoVisits()
    wanted = next((slot for slot in rules.slots_on(hours, rules.local_day(starts_at))
                   if slot.starts_at == starts_at), None)
    if wanted is None or not rules.bookable(wanted.starts_at, now, _cutoff()):
        raise rules.refuse("starts_at", "errors.visit.not_a_slot")
    return wanted, hours.capacity


_TAKE = text("""
    WITH made AS (
        INSERT INTO visit_slots (professional_id, starts_at, ends_at, capacity)
        VALUES (:p, :starts, :ends, :capacity)
        ON CONFLICT ON CONSTRAINT visit_slots_one_per_start DO NOTHING)
    SELECT 1
""")
_LOCK = text("SELECT id, capacity, booked FROM visit_slots WHERE professional_id = :p"
             " AND starts_at = :starts FOR UPDATE")


def _take_place(session: Session, caller: Caller, professional_id: uuid.UUID, slot: rules.Slot,
                capacity: int) -> uuid.UUID:
    """Take one place of the slot (the platform keeps the inventory): its row is written if
    new, then locked; a full slot is a 409."""
    params = {"p": professional_id, "starts": slot.starts_at, "ends": slot.ends_at,
              "capacity": capacity}
    with trusted_step(session, caller):
        session.execute(_TAKE, params)
        row = session.execute(_LOCK, params).one()
        # The business may have changed how many it makes at once since the row was written.
        limit = max(capacity, row.booked)
        if row.booked >= limit:
            raise rules.SlotFull()
        session.execute(text("UPDATE visit_slots SET booked = booked + 1, capacity = :c"
                             " WHERE id = :id"), {"c": limit, "id": row.id})
    slot_id: uuid.UUID = row.id
    return slot_id


def _free_place(session: Session, caller: Caller, slot_id: uuid.UUID) -> None:
    with trusted_step(session, caller):
        session.execute(text("UPDATE visit_slots SET booked = booked - 1 WHERE id = :id"
                             " AND booked > 0"), {"id": slot_id})


def _lead(session: Session, lead_id: uuid.UUID) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound()
    return lead


def _owns(lead: Lead, caller: Caller) -> bool:
    return (lead.owner_user_id == caller.user_id if lead.owner_professional_id is None
            else lead.owner_professional_id in caller.professional_ids)


def _may_book(session: Session, caller: Caller, lead: Lead, professional_id: uuid.UUID) -> None:
    """The owner, with a business that made an offer on the lead; or a member of the
    performer, after the award (403 otherwise)."""
    if _owns(lead, caller):
        offered = session.exec(select(Proposal.id).where(
            Proposal.lead_id == lead.id, Proposal.professional_id == professional_id)).first()
        if offered is not None and (lead.performer_professional_id in (None, professional_id)):
            return
    elif (professional_id in caller.professional_ids
          and lead.performer_professional_id == professional_id):
        return
    raise Forbidden("errors.visit.not_yours")


def book(*, session: Session, caller: Caller, lead_id: uuid.UUID, professional_id: uuid.UUID,
         starts_at: object, now: datetime | None = None) -> VisitView:
    """Book the business's slot at `starts_at` for the lead."""
    users.require_user(caller)
    now = now or utcnow()
    lead = _lead(session, lead_id)
    _may_book(session, caller, lead, professional_id)
    if LeadStatus(lead.status) not in OPEN_FOR_VISITS:
        raise LeadNotOpen(params={"status": str(lead.status)})
    slot, capacity = _slot_of(session, professional_id, starts_at, now)
    if session.exec(select(SiteVisit.id).where(
            SiteVisit.lead_id == lead.id, SiteVisit.professional_id == professional_id,
            SiteVisit.status == rules.VisitStatus.booked)).first() is not None:
        raise VisitExists()
    slot_id = _take_place(session, caller, professional_id, slot, capacity)
    visit = SiteVisit(lead_id=lead.id, professional_id=professional_id, slot_id=slot_id,
                      starts_at=slot.starts_at, ends_at=slot.ends_at, booked_by=caller.user_id)
    session.add(visit)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise VisitExists() from None
    check_ins.issue_for_visit(session, caller, visit)
    _tell(session, caller, lead, visit, "visit_booked")
    logs.action("visit", visit.id, "site visit booked", slot_id=str(slot_id))
    session.refresh(visit)
    return _views(session, caller, [visit])[0]


def _visit(session: Session, caller: Caller, visit_id: uuid.UUID) -> SiteVisit:
    visit = session.get(SiteVisit, visit_id) if caller.user_id else None
    if visit is None:
        raise NotFound("errors.visit.not_found")
    return visit


def _require_side(session: Session, caller: Caller, visit: SiteVisit) -> Lead:
    lead = _lead(session, visit.lead_id)
    if not (_owns(lead, caller) or visit.professional_id in caller.professional_ids):
        raise Forbidden("errors.visit.not_yours")  # an admin reads, never changes
    return lead


def _changeable(session: Session, caller: Caller, visit_id: uuid.UUID,
                now: datetime) -> tuple[SiteVisit, Lead]:
    """The booked visit, locked, for one of its sides to change before the cutoff (403 for
    anyone else, 409 once cancelled or too close to its time)."""
    visit = _visit(session, caller, visit_id)
    lead = _require_side(session, caller, visit)
    rules.require_changeable(visit.starts_at, now, _cutoff())
    visit = session.exec(select(SiteVisit).where(SiteVisit.id == visit.id)
                         .with_for_update()).one()
    if visit.status != rules.VisitStatus.booked:
        raise Conflict("errors.visit.not_booked", code="visit_not_booked")
    return visit, lead


def cancel(*, session: Session, caller: Caller, visit_id: uuid.UUID,
           now: datetime | None = None) -> VisitView:
    """Either side cancels the visit until the cutoff; its place is free again."""
    now = now or utcnow()
    visit, lead = _changeable(session, caller, visit_id, now)
    visit.status, visit.cancelled_at, visit.cancelled_by = (rules.VisitStatus.cancelled.value,
                                                            now, caller.user_id)
    session.add(visit)
    session.flush()
    _free_place(session, caller, visit.slot_id)
    _tell(session, caller, lead, visit, "visit_cancelled")
    logs.action("visit", visit.id, "site visit cancelled")
    session.refresh(visit)
    return _views(session, caller, [visit])[0]


def reschedule(*, session: Session, caller: Caller, visit_id: uuid.UUID, starts_at: object,
               now: datetime | None = None) -> VisitView:
    """Either side moves the visit to another free slot of the business, until the cutoff."""
    now = now or utcnow()
    visit, lead = _changeable(session, caller, visit_id, now)
    slot, capacity = _slot_of(session, visit.professional_id, starts_at, now)
    if slot.starts_at == visit.starts_at:
        return _views(session, caller, [visit])[0]
    old_slot = visit.slot_id
    visit.slot_id = _take_place(session, caller, visit.professional_id, slot, capacity)
    visit.starts_at, visit.ends_at, visit.reminded_at = slot.starts_at, slot.ends_at, None
    session.add(visit)
    session.flush()
    _free_place(session, caller, old_slot)
    check_ins.move_visit_pass(session, caller, visit)
    _tell(session, caller, lead, visit, "visit_rescheduled")
    logs.action("visit", visit.id, "site visit moved", slot_id=str(visit.slot_id))
    session.refresh(visit)
    return _views(session, caller, [visit])[0]


# --- reading ---------------------------------------------------------------------------------


def _ics_signer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().ofair_secret_key.get_secret_value(),
                             salt="ofair.visit.ics")


def ics_url(visit_id: uuid.UUID) -> str:
    """A link a calendar app may open without signing in: it names this visit only."""
    token = _ics_signer().dumps(str(visit_id))
    return url(f"/api/v1/visits/{visit_id}.ics?token={token}")


def _views(session: Session, caller: Caller, rows: list[SiteVisit]) -> list[VisitView]:
    if not rows:
        return []
    now = utcnow()
    with trusted_step(session, caller):
        names = dict(session.exec(select(Professional.id, Professional.business_name).where(
            col(Professional.id).in_({row.professional_id for row in rows}))).all())
    checked = check_ins.checked_in_visits(session, [row.id for row in rows])
    lead = session.get(Lead, rows[0].lead_id)
    owner = lead is not None and _owns(lead, caller)
    return [VisitView(
        visit=row, business_name=names.get(row.professional_id, ""),
        mine=row.booked_by == caller.user_id,
        changeable=(row.status == rules.VisitStatus.booked
                    and now <= row.starts_at - _cutoff()
                    and (owner or row.professional_id in caller.professional_ids)),
        checked_in_at=checked.get(row.id), ics_url=ics_url(row.id)) for row in rows]


def of_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> list[VisitView]:
    """The lead's visits the caller may see (the owner: all; a business: its own), soonest
    first, cancelled ones after."""
    rows = list(session.exec(select(SiteVisit).where(SiteVisit.lead_id == lead_id).order_by(
        col(SiteVisit.status), col(SiteVisit.starts_at))).all()) if caller.user_id else []
    return _views(session, caller, rows)


def bookable_with(*, session: Session, caller: Caller, lead_id: uuid.UUID
                  ) -> list[tuple[uuid.UUID, str]]:
    """The businesses the caller may book a visit with on this lead now, and their names: for
    its owner, each that made an offer (only the chosen one once awarded); for the performer's
    member, its own business after the award; none that has a booked visit already."""
    lead = session.get(Lead, lead_id) if caller.user_id else None
    if lead is None or LeadStatus(lead.status) not in OPEN_FOR_VISITS:
        return []
    if _owns(lead, caller):
        offered = set(session.exec(select(Proposal.professional_id).where(
            Proposal.lead_id == lead.id)).all())
        if lead.performer_professional_id is not None:
            offered &= {lead.performer_professional_id}
    elif lead.performer_professional_id in caller.professional_ids:
        offered = {lead.performer_professional_id}
    else:
        return []
    booked = set(session.exec(select(SiteVisit.professional_id).where(
        SiteVisit.lead_id == lead.id, SiteVisit.status == rules.VisitStatus.booked)).all())
    wanted = offered - booked
    if not wanted:
        return []
    with trusted_step(session, caller):
        names = dict(session.exec(select(Professional.id, Professional.business_name).where(
            col(Professional.id).in_(wanted))).all())
        with_hours = set(session.exec(select(VisitSettings.professional_id).where(
            col(VisitSettings.professional_id).in_(wanted))).all())
    return sorted(((pid, names.get(pid, "")) for pid in wanted & with_hours),
                  key=lambda pair: pair[1])


def ics(*, visit_id: uuid.UUID, token: str, locale: str = "he") -> bytes:
    """The visit as an iCalendar file (RFC 5545), for the holder of its signed link."""
    try:
        if _ics_signer().loads(token) != str(visit_id):
            raise NotFound("errors.visit.not_found")
    except BadSignature:
        raise NotFound("errors.visit.not_found") from None
    from ofair_app.db.engine import unit_of_work
    from ofair_app.i18n import translate

    with unit_of_work(SYSTEM) as session:
        visit = session.get(SiteVisit, visit_id)
        if visit is None:
            raise NotFound("errors.visit.not_found")
        lead = session.get(Lead, visit.lead_id)
        business = session.get(Professional, visit.professional_id)
    calendar = Calendar()
    calendar.add("prodid", "-//OFAIR//site visits//HE")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{visit.id}@ofair.co.il")
    event.add("dtstamp", utcnow())
    event.add("dtstart", visit.starts_at)
    event.add("dtend", visit.ends_at)
    event.add("summary", translate("ics.visit_summary", locale,
                                   business=business.business_name if business else "",
                                   title=lead.title if lead else ""))
    event.add("description", lead_url_for_owner(lead) if lead else "")
    event.add("status", "CANCELLED" if visit.status == rules.VisitStatus.cancelled
              else "CONFIRMED")
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


# --- telling ---------------------------------------------------------------------------------


def _params(lead: Lead, visit: SiteVisit, business: str, for_owner: bool) -> dict[str, object]:
    return {"lead_title": short_title(lead),
            "business_name": notifications.quoted_title(business),
            "when": lambda locale: _when(visit.starts_at, locale),
            "lead_url": lead_url_for_owner(lead) if for_owner else url(f"/pro/leads/{lead.id}")}


def _when(moment: datetime, locale: str) -> str:
    from babel.dates import format_datetime

    return format_datetime(moment.astimezone(rules.ISRAEL), "EEEE d MMM, HH:mm",
                           locale="he_IL" if locale == "he" else "en_IL")


def _tell(session: Session, caller: Caller, lead: Lead, visit: SiteVisit, template: str) -> None:
    """Tell the side that did not act: the owner when the business did, and the other way."""
    with trusted_step(session, caller):
        business = session.get(Professional, visit.professional_id)
        name = business.business_name if business else ""
    if visit.professional_id in caller.professional_ids and not _owns(lead, caller):
        notifications.tell(session=session, caller=caller, template=template,
                           users=[lead.owner_user_id],
                           params=_localized(_params(lead, visit, name, True)))
    else:
        notifications.tell(session=session, caller=caller, template=template,
                           businesses=[visit.professional_id],
                           params=_localized(_params(lead, visit, name, False)))


def _localized(params: dict[str, object]) -> Callable[[str], dict[str, object]]:
    """Params whose `when` is written in each recipient's language."""
    return lambda locale: {key: value(locale) if callable(value) else value
                           for key, value in params.items()}


_DUE = text("""
    SELECT id FROM site_visits
    WHERE status = 'booked' AND reminded_at IS NULL AND starts_at > :now
      AND starts_at <= :until
    ORDER BY starts_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
""")


def remind_due(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Remind both sides of the visits starting in the next day, once (system)."""
    ids = list(session.execute(_DUE, {"now": now, "until": now + timedelta(days=1),
                                      "limit": limit}).scalars())
    if not ids:
        return 0
    visits = session.exec(select(SiteVisit).where(col(SiteVisit.id).in_(ids))).all()
    leads = {lead.id: lead for lead in session.exec(select(Lead).where(
        col(Lead.id).in_({v.lead_id for v in visits}))).all()}
    names = dict(session.exec(select(Professional.id, Professional.business_name).where(
        col(Professional.id).in_({v.professional_id for v in visits}))).all())
    notices = []
    for visit in visits:
        lead, name = leads[visit.lead_id], names.get(visit.professional_id, "")
        notices.append(notifications.Notice(
            template="visit_reminder", users=(lead.owner_user_id,),
            params=_localized(_params(lead, visit, name, True))))
        notices.append(notifications.Notice(
            template="visit_reminder", businesses=(visit.professional_id,),
            params=_localized(_params(lead, visit, name, False))))
    notifications.tell_all(session=session, caller=SYSTEM, notices=notices)
    session.execute(text("UPDATE site_visits SET reminded_at = :now WHERE id = ANY(:ids)"),
                    {"now": now, "ids": ids})
    return len(ids)
