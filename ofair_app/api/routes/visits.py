"""Site visits and the check-in on site: a business's visit hours
(`/professionals/{id}/visit-hours`) and free slots (`/professionals/{id}/visit-slots`), a lead's
visits (`/leads/{id}/visits`), cancelling and moving one (`/visits/{id}/…`), its calendar file
(`/visits/{id}.ics`), the client's passes (`/leads/{id}/check-in-passes`) and the check-in
itself (`/check-ins`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ofair_app.api.deps import CurrentCaller, OptionalCaller, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain import visits as rules
from ofair_app.domain.inputs import PlainText
from ofair_app.services import check_ins, visits

router = APIRouter(route_class=ExactJsonRoute)


class HoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts: time = Field(description="Israel time, HH:MM.")
    ends: time


class ExceptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    hours: Annotated[list[HoursIn], Field(max_length=rules.MAX_RANGES_A_DAY)] = Field(
        default=[], description="Empty: closed all day.")
    note: Annotated[PlainText, Field(max_length=rules.NOTE_MAX)] = ""


class VisitHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visit_minutes: int = Field(strict=True, ge=rules.MINUTES_RANGE[0],
                               le=rules.MINUTES_RANGE[1], multiple_of=5)
    capacity: int = Field(strict=True, ge=rules.CAPACITY_RANGE[0], le=rules.CAPACITY_RANGE[1],
                          description="Visits at the same time.")
    weekly: dict[Annotated[int, Field(ge=0, le=6)],
                 Annotated[list[HoursIn], Field(max_length=rules.MAX_RANGES_A_DAY)]] = Field(
        description="Day of the week (0 Monday … 6 Sunday) → its hours.")
    exceptions: Annotated[list[ExceptionIn], Field(max_length=rules.MAX_EXCEPTIONS)] = []


class VisitHoursOut(BaseModel):
    visit_minutes: int
    capacity: int
    weekly: dict[str, list[HoursIn]]
    exceptions: list[ExceptionIn]

    @classmethod
    def of(cls, found: rules.Availability) -> VisitHoursOut:
        return cls(visit_minutes=found.minutes, capacity=found.capacity,
                   weekly={str(day): [HoursIn(starts=h.starts, ends=h.ends) for h in hours]
                           for day, hours in sorted(found.weekly.items())},
                   exceptions=[ExceptionIn(day=e.day, note=e.note,
                                           hours=[HoursIn(starts=h.starts, ends=h.ends)
                                                  for h in e.hours])
                               for e in sorted(found.exceptions.values(), key=lambda e: e.day)])


class SlotOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    free: int = Field(description="Places left.")


class BookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    professional_id: uuid.UUID = Field(description="The business that visits.")
    starts_at: AwareDatetime = Field(description="One of the business's free slots.")


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime


class VisitOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    professional_id: uuid.UUID
    business_name: str
    starts_at: datetime
    ends_at: datetime
    status: rules.VisitStatus
    changeable: bool = Field(description="The caller may still cancel or move it.")
    checked_in_at: datetime | None
    ics_url: str = Field(description="The visit as an iCalendar file (a signed link).")

    @classmethod
    def of(cls, view: visits.VisitView) -> VisitOut:
        v = view.visit
        return cls(id=v.id, lead_id=v.lead_id, professional_id=v.professional_id,
                   business_name=view.business_name, starts_at=v.starts_at, ends_at=v.ends_at,
                   status=rules.VisitStatus(v.status), changeable=view.changeable,
                   checked_in_at=view.checked_in_at, ics_url=view.ics_url)


class PassOut(BaseModel):
    id: uuid.UUID
    visit_id: uuid.UUID | None = Field(description="Null: the awarded job's own pass.")
    code: str = Field(description="The short code to read out or type (ABCD-EFGH).")
    link: str = Field(description="What the QR code holds: the app's check-in page.")
    qr_svg: str = Field(description="The QR code as an SVG data URI.")
    expires_at: datetime
    checked_in_at: datetime | None
    checked_in_by: str


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[PlainText | None, Field(max_length=400)] = Field(
        default=None, description="From the QR code's link (`t`).")
    code: Annotated[PlainText | None, Field(max_length=20)] = Field(
        default=None, description="Or the short code, as typed.")
    place: Annotated[PlainText, Field(max_length=check_ins.PLACE_MAX)] = ""
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class CheckInOut(BaseModel):
    pass_id: uuid.UUID
    lead_id: uuid.UUID
    visit_id: uuid.UUID | None
    professional_id: uuid.UUID
    business_name: str
    checked_in_at: datetime
    checked_in_by: str
    place: str

    @classmethod
    def of(cls, view: check_ins.CheckInView) -> CheckInOut:
        c = view.check_in
        return cls(pass_id=c.pass_id, lead_id=c.lead_id, visit_id=c.visit_id,
                   professional_id=c.professional_id, business_name=view.business_name,
                   checked_in_at=c.checked_in_at, checked_in_by=view.by,  # type: ignore[arg-type]
                   place=c.place)


def _hours(body: VisitHoursIn) -> dict:
    return {"visit_minutes": body.visit_minutes, "capacity": body.capacity,
            "weekly": {day: [(h.starts, h.ends) for h in hours]
                       for day, hours in body.weekly.items()},
            "exceptions": [{"day": e.day, "note": e.note,
                            "hours": [(h.starts, h.ends) for h in e.hours]}
                           for e in body.exceptions]}


@router.put("/professionals/{professional_id}/visit-hours", response_model=VisitHoursOut,
            name="set_visit_hours", tags=["visits"], responses=errors(403, 404))
def set_visit_hours(professional_id: uuid.UUID, body: VisitHoursIn,
                    caller: CurrentCaller) -> VisitHoursOut:
    """Replace when the business visits clients (its members). Booked visits keep their time."""
    with unit_of_work(caller) as session:
        return VisitHoursOut.of(visits.set_availability(
            session=session, caller=caller, professional_id=professional_id, **_hours(body)))


@router.get("/professionals/{professional_id}/visit-hours", response_model=VisitHoursOut,
            name="get_visit_hours", tags=["visits"], responses=errors(404))
def get_visit_hours(professional_id: uuid.UUID, caller: OptionalCaller) -> VisitHoursOut:
    """The business's visit hours (404 while it has published none)."""
    from ofair_app.domain.errors import NotFound

    with unit_of_work(caller) as session:
        found = visits.availability(session, professional_id)
        if found is None:
            raise NotFound("errors.visit.no_hours")
        return VisitHoursOut.of(found)


@router.get("/professionals/{professional_id}/visit-slots", response_model=Page[SlotOut],
            name="list_visit_slots", tags=["visits"], responses=errors(404))
def list_visit_slots(
    professional_id: uuid.UUID,
    caller: OptionalCaller,
    since: Annotated[date | None, Query(alias="from", description="Israel's date.")] = None,
    days: Annotated[int, Query(ge=1, le=visits.MAX_DAYS)] = 7,
) -> Page[SlotOut]:
    """The business's free slots for `days` days from `from` (today by default)."""
    with unit_of_work(caller) as session:
        found = visits.free_slots(session=session, professional_id=professional_id,
                                  since=since or rules.local_day(datetime.now().astimezone()),
                                  days=days)
        return Page(items=[SlotOut(starts_at=s.starts_at, ends_at=s.ends_at, free=s.free)
                           for s in found])


@router.post("/leads/{lead_id}/visits", status_code=201, response_model=VisitOut,
             name="book_visit", tags=["visits"], responses=errors(403, 404, 409))
def book_visit(lead_id: uuid.UUID, body: BookIn, caller: CurrentCaller) -> VisitOut:
    """Book a business's free slot for this lead: its owner, with a business that made an
    offer; or the chosen business after the award. 409 `slot_full` when the last place was
    just taken."""
    with unit_of_work(caller) as session:
        return VisitOut.of(visits.book(session=session, caller=caller, lead_id=lead_id,
                                       professional_id=body.professional_id,
                                       starts_at=body.starts_at))


@router.get("/leads/{lead_id}/visits", response_model=Page[VisitOut], name="list_visits",
            tags=["visits"], responses=errors(404))
def list_visits(lead_id: uuid.UUID, caller: CurrentCaller) -> Page[VisitOut]:
    """The lead's visits the caller is a side of."""
    with unit_of_work(caller) as session:
        return Page(items=[VisitOut.of(v) for v in visits.of_lead(
            session=session, caller=caller, lead_id=lead_id)])


@router.post("/visits/{visit_id}/cancel", response_model=VisitOut, name="cancel_visit",
             tags=["visits"], responses=errors(403, 404, 409))
def cancel_visit(visit_id: uuid.UUID, caller: CurrentCaller) -> VisitOut:
    """Cancel, until the cutoff before it starts (409 `visit_locked` after)."""
    with unit_of_work(caller) as session:
        return VisitOut.of(visits.cancel(session=session, caller=caller, visit_id=visit_id))


@router.post("/visits/{visit_id}/reschedule", response_model=VisitOut,
             name="reschedule_visit", tags=["visits"], responses=errors(403, 404, 409))
def reschedule_visit(visit_id: uuid.UUID, body: MoveIn, caller: CurrentCaller) -> VisitOut:
    """Move it to another free slot of the business, until the cutoff."""
    with unit_of_work(caller) as session:
        return VisitOut.of(visits.reschedule(session=session, caller=caller, visit_id=visit_id,
                                             starts_at=body.starts_at))


@router.get("/visits/{visit_id}.ics", name="visit_calendar", tags=["visits"],
            response_class=Response, responses={
                200: {"content": {"text/calendar": {}}, "description": "RFC 5545"},
                **errors(404)})
def visit_calendar(visit_id: uuid.UUID, locale: RequestLocale,
                   token: Annotated[PlainText, Query(max_length=200)]) -> Response:
    """The visit as a calendar file, for the holder of its signed link (no login)."""
    return Response(visits.ics(visit_id=visit_id, token=token, locale=locale),
                    media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="visit-{visit_id}.ics"'})


@router.get("/leads/{lead_id}/check-in-passes", response_model=Page[PassOut],
            name="list_check_in_passes", tags=["visits"], responses=errors(404))
def list_check_in_passes(lead_id: uuid.UUID, caller: CurrentCaller) -> Page[PassOut]:
    """What the lead's owner shows the business on site (the job's pass once awarded, and each
    booked visit's). Empty for anyone else: the business scans them, it never reads them."""
    with unit_of_work(caller) as session:
        return Page(items=[PassOut(
            id=p.check_in_pass.id, visit_id=p.check_in_pass.visit_id, code=p.code, link=p.link,
            qr_svg=p.qr_svg, expires_at=p.check_in_pass.expires_at,
            checked_in_at=p.checked_in_at, checked_in_by=p.checked_in_by)
            for p in check_ins.passes_of_lead(session=session, caller=caller,
                                              lead_id=lead_id)])


@router.post("/check-ins", status_code=201, response_model=CheckInOut, name="check_in",
             tags=["visits"], responses=errors(403, 404, 409, 422))
def check_in(body: CheckInIn, caller: CurrentCaller) -> CheckInOut:
    """Consume a pass on site, by its QR link's token or its short code (the business's
    members). The first scan checks in; any later one answers 409 `already_checked_in` with
    `checked_in_at` and `checked_in_by`."""
    from ofair_app.domain.errors import InvalidInput

    if not body.token and not body.code:
        raise InvalidInput(fields={"code": "errors.check_in.code"},
                           params={"length": check_ins.CODE_LENGTH})
    with unit_of_work(caller) as session:
        return CheckInOut.of(check_ins.check_in(
            session=session, caller=caller, token=body.token, code=body.code, place=body.place,
            lat=body.lat, lon=body.lon))


@router.get("/leads/{lead_id}/check-ins", response_model=Page[CheckInOut],
            name="list_check_ins", tags=["visits"], responses=errors(404))
def list_check_ins(lead_id: uuid.UUID, caller: CurrentCaller) -> Page[CheckInOut]:
    """The lead's check-ins: its two sides and admins."""
    with unit_of_work(caller) as session:
        return Page(items=[CheckInOut.of(v) for v in check_ins.of_lead(
            session=session, caller=caller, lead_id=lead_id)])

