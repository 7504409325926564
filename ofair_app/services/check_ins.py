"""The one-time check-in on site (issue 20 point 3).

Every booked visit, and every awarded job, has a pass the client shows on site: a QR code and a
short code. The business's member scans the code with the phone's camera (the QR is a link to
the app's check-in page) or types the short code. The first scan checks in (when, who, where
the pro said it was); every later scan is a 409 with the documented duplicate contract,
`{"error": {"code": "already_checked_in", "checked_in_at": ..., "checked_in_by": ...}}`.

A pass is bound to its visit or job and to the business that may scan it; its link is signed
(itsdangerous, with OFAIR_SECRET_KEY) and carries its expiry, and the pass row expires too. The
check-in's key is the pass, so any number of scans at once insert exactly one row. Only the
client (and admins) can read a pass: the business must not hold the code it is meant to scan
on site.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import segno
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import text
from sqlmodel import Session, col, select

from ofair_app.db.engine import Caller, affected, trusted_step
from ofair_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ofair_app.domain.identity import clean_text
from ofair_app.domain.leads import LeadStatus
from ofair_app.models import CheckIn, CheckInPass, Lead, SiteVisit, User
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import notifications, users
from ofair_app.services.proposals import lead_url_for_owner, short_title, url
from ofair_app.settings import get_settings

# Short codes: no 0/O, 1/I/L, so a code read aloud or typed from a phone is not mistaken.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
JOB_PASS_DAYS = 30  # a job's pass is renewed when the client opens it after that
VISIT_PASS_AFTER = timedelta(hours=12)  # a visit's pass lasts until this long after it ends
JOB_STATUSES = frozenset({LeadStatus.awarded, LeadStatus.in_progress})
PLACE_MAX = 200


class AlreadyCheckedIn(Conflict):
    code, message_key = "already_checked_in", "errors.check_in.already"


class PassExpired(Conflict):
    code, message_key = "pass_expired", "errors.check_in.expired"


@dataclass(frozen=True)
class PassView:
    """A pass as the client sees it: what to show the business on site."""

    check_in_pass: CheckInPass
    code: str  # grouped for reading: ABCD-EFGH
    link: str  # what the QR code holds
    qr_svg: str  # the QR code, as a data: URI of an SVG image
    checked_in_at: datetime | None
    checked_in_by: str


@dataclass(frozen=True)
class CheckInView:
    check_in: CheckIn
    by: str  # the member's name
    business_name: str


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().ofair_secret_key.get_secret_value(),
                             salt="ofair.check-in")


def token_of(check_in_pass: CheckInPass) -> str:
    return _signer().dumps({"p": str(check_in_pass.id),
                            "e": int(check_in_pass.expires_at.timestamp())})


def link_of(check_in_pass: CheckInPass) -> str:
    """The QR code's link: the check-in page of the app, with the signed token."""
    return url(f"/pro/check-in?t={token_of(check_in_pass)}")


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(raw: str) -> str:
    """What a person typed, as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def grouped(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _insert_pass(session: Session, lead_id: uuid.UUID, visit_id: uuid.UUID | None,
                 professional_id: uuid.UUID, expires_at: datetime) -> None:
    """As the platform (the caller is inside a trusted step); a code taken by chance is drawn
    again."""
    for _ in range(5):
        created = affected(session.execute(text(
            "INSERT INTO check_in_passes (lead_id, visit_id, professional_id, code, expires_at)"
            " VALUES (:l, :v, :p, :c, :e) ON CONFLICT DO NOTHING"),
            {"l": lead_id, "v": visit_id, "p": professional_id, "c": _new_code(),
             "e": expires_at}))
        if created:
            return
        taken = session.execute(text(
            "SELECT 1 FROM check_in_passes WHERE lead_id = :l AND visit_id IS NOT DISTINCT"
            " FROM :v"), {"l": lead_id, "v": visit_id}).first()
        if taken:  # the pass exists already (a second view at the same moment)
            return
    raise RuntimeError("no free check-in code after five draws")


def issue_for_visit(session: Session, caller: Caller, visit: SiteVisit) -> None:
    """A booked visit's pass, valid until `VISIT_PASS_AFTER` after it ends."""
    with trusted_step(session, caller):
        _insert_pass(session, visit.lead_id, visit.id, visit.professional_id,
                     visit.ends_at + VISIT_PASS_AFTER)


def move_visit_pass(session: Session, caller: Caller, visit: SiteVisit) -> None:
    with trusted_step(session, caller):
        session.execute(text("UPDATE check_in_passes SET expires_at = :e WHERE visit_id = :v"),
                        {"e": visit.ends_at + VISIT_PASS_AFTER, "v": visit.id})


def _ensure_job_pass(session: Session, caller: Caller, lead: Lead, now: datetime) -> None:
    """The awarded job's pass: made when the client first opens it, renewed once expired
    (while nobody has checked in with it)."""
    if lead.performer_professional_id is None or LeadStatus(lead.status) not in JOB_STATUSES:
        return
    with trusted_step(session, caller):
        current = session.exec(select(CheckInPass).where(
            CheckInPass.lead_id == lead.id, col(CheckInPass.visit_id).is_(None))).first()
        until = now + timedelta(days=JOB_PASS_DAYS)
        if current is None:
            _insert_pass(session, lead.id, None, lead.performer_professional_id, until)
        elif current.expires_at <= now and session.get(CheckIn, current.id) is None:
            session.execute(text("UPDATE check_in_passes SET expires_at = :e WHERE id = :id"),
                            {"e": until, "id": current.id})
        session.expunge_all()


def passes_of_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID,
                   now: datetime | None = None) -> list[PassView]:
    """The passes the lead's owner shows on site: the job's (once awarded) and each booked
    visit's. Nobody else reads them (an empty list)."""
    now = now or utcnow()
    lead = session.get(Lead, lead_id) if caller.user_id else None
    if lead is None:
        raise NotFound()
    owns = (lead.owner_user_id == caller.user_id if lead.owner_professional_id is None
            else lead.owner_professional_id in caller.professional_ids)
    if not owns:
        return []
    _ensure_job_pass(session, caller, lead, now)
    rows = session.exec(select(CheckInPass).where(CheckInPass.lead_id == lead_id)).all()
    booked = set(session.exec(select(SiteVisit.id).where(
        SiteVisit.lead_id == lead_id, SiteVisit.status == "booked")).all())
    consumed = {row.check_in.pass_id: row for row in _views(session, caller, session.exec(
        select(CheckIn).where(CheckIn.lead_id == lead_id)).all())}
    found = []
    for row in rows:
        if row.visit_id is not None and row.visit_id not in booked:
            continue
        if row.visit_id is None and LeadStatus(lead.status) not in JOB_STATUSES \
                and row.id not in consumed:
            continue
        done = consumed.get(row.id)
        link = link_of(row)
        found.append(PassView(
            check_in_pass=row, code=grouped(row.code), link=link,
            qr_svg=segno.make(link, error="m").svg_data_uri(scale=5, border=2),
            checked_in_at=done.check_in.checked_in_at if done else None,
            checked_in_by=done.by if done else ""))
    return found


def _find_pass(session: Session, caller: Caller, token: str | None,
               code: str | None, now: datetime) -> CheckInPass:
    """The pass named by the signed link or the typed code, read as the platform (the
    business may not read passes). A code of another business's pass is not found."""
    if token:
        try:
            claims = _signer().loads(token)
            pass_id, expires = uuid.UUID(claims["p"]), int(claims["e"])
        except (BadSignature, KeyError, TypeError, ValueError):
            raise NotFound("errors.check_in.unknown") from None
        if expires < int(now.timestamp()):
            raise PassExpired()
        query = select(CheckInPass).where(CheckInPass.id == pass_id)
    else:
        typed = normal_code(code or "")
        if len(typed) != CODE_LENGTH:
            raise InvalidInput(fields={"code": "errors.check_in.code"},
                               params={"length": CODE_LENGTH})
        query = select(CheckInPass).where(CheckInPass.code == typed,
                                          col(CheckInPass.professional_id).in_(
                                              caller.professional_ids or [uuid.UUID(int=0)]))
    with trusted_step(session, caller):
        found = session.exec(query).first()
        if found is not None:
            session.expunge(found)
    if found is None:
        raise NotFound("errors.check_in.unknown")
    if found.professional_id not in caller.professional_ids:
        raise Forbidden("errors.check_in.not_yours")
    return found


def _names(session: Session, caller: Caller,
           user_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    user_ids.discard(None)
    if not user_ids:
        return {}
    with trusted_step(session, caller):
        return {row.id: row.name or "" for row in session.exec(
            select(User).where(col(User.id).in_(user_ids))).all()}


def _views(session: Session, caller: Caller, rows: Iterable[CheckIn]) -> list[CheckInView]:
    from ofair_app.models import Professional

    rows = list(rows)
    names = _names(session, caller, {row.user_id for row in rows})
    with trusted_step(session, caller):
        businesses = dict(session.exec(select(Professional.id, Professional.business_name)
                                       .where(col(Professional.id).in_(
                                           {row.professional_id for row in rows}))).all()) \
            if rows else {}
    return [CheckInView(check_in=row,
                        by=names.get(row.user_id, "") if row.user_id is not None else "",
                        business_name=businesses.get(row.professional_id, "")) for row in rows]


def check_in(*, session: Session, caller: Caller, token: str | None = None,
             code: str | None = None, place: str | None = None, lat: float | None = None,
             lon: float | None = None, now: datetime | None = None) -> CheckInView:
    """The business's member on site consumes the pass: the first time checks in; any later
    time is a 409 `already_checked_in` naming when and by whom."""
    users.require_user(caller)
    now = now or utcnow()
    where = clean_text(place or "", field="place", max_length=PLACE_MAX)
    if (lat is None) != (lon is None) or (lat is not None and not (
            -90 <= lat <= 90 and -180 <= lon <= 180)):  # type: ignore[operator]
        raise InvalidInput(fields={"lat": "errors.field.invalid"})
    found = _find_pass(session, caller, token, code, now)
    first = session.execute(text(
        "SELECT checked_in_at, user_id FROM check_ins WHERE pass_id = :p"),
        {"p": found.id}).first()
    if first is None:
        if found.expires_at <= now:
            raise PassExpired()
        _require_current(session, caller, found)
        inserted = session.execute(text(
            "INSERT INTO check_ins (pass_id, lead_id, visit_id, professional_id, user_id, place,"
            " lat, lon) VALUES (:p, :l, :v, :b, :u, :place, :lat, :lon)"
            " ON CONFLICT (pass_id) DO NOTHING RETURNING pass_id"),
            {"p": found.id, "l": found.lead_id, "v": found.visit_id,
             "b": found.professional_id, "u": caller.user_id, "place": where, "lat": lat,
             "lon": lon}).first()
        if inserted is not None:
            row = session.get(CheckIn, found.id)
            assert row is not None
            _tell_owner(session, caller, found)
            logs.action("check_in", found.id, "checked in on site",
                        lead_id=str(found.lead_id))
            return _views(session, caller, [row])[0]
        first = session.execute(text(
            "SELECT checked_in_at, user_id FROM check_ins WHERE pass_id = :p"),
            {"p": found.id}).first()
        assert first is not None  # the insert lost to the check-in that exists
    by = _names(session, caller, {first.user_id}).get(first.user_id, "")
    raise AlreadyCheckedIn(extra={"checked_in_at": first.checked_in_at.isoformat(),
                                  "checked_in_by": by},
                           params={"name": by})


def _require_current(session: Session, caller: Caller, found: CheckInPass) -> None:
    """The pass's visit is still booked, or its job still awarded (409 otherwise)."""
    with trusted_step(session, caller):
        if found.visit_id is not None:
            visit = session.get(SiteVisit, found.visit_id)
            current = visit is not None and visit.status == "booked"
        else:
            lead = session.get(Lead, found.lead_id)
            current = (lead is not None and LeadStatus(lead.status) in JOB_STATUSES
                       and lead.performer_professional_id == found.professional_id)
        session.expunge_all()
    if not current:
        raise Conflict("errors.check_in.not_current", code="pass_not_current")


def _tell_owner(session: Session, caller: Caller, found: CheckInPass) -> None:
    from ofair_app.models import Professional

    with trusted_step(session, caller):
        lead = session.get(Lead, found.lead_id)
        business = session.get(Professional, found.professional_id)
        name = business.business_name if business else ""
        if lead is not None:
            session.expunge(lead)
    if lead is not None:
        notifications.tell(session=session, caller=caller, template="checked_in",
                           users=[lead.owner_user_id],
                           params={"business_name": notifications.quoted_title(name),
                                   "lead_title": short_title(lead),
                                   "lead_url": lead_url_for_owner(lead)})


def of_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> list[CheckInView]:
    """The lead's check-ins the caller may see (its sides and admins), first first."""
    rows = session.exec(select(CheckIn).where(CheckIn.lead_id == lead_id)
                        .order_by(col(CheckIn.checked_in_at))).all() if caller.user_id else []
    return _views(session, caller, rows)


def checked_in_visits(session: Session, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each of these visits was checked in (as the caller reads check-ins)."""
    if not visit_ids:
        return {}
    # Neither is None in a row read: visit_id is one of `visit_ids`, and checked_in_at is
    # NOT NULL in the table (the model leaves it None until the database sets it).
    return {cast(uuid.UUID, row.visit_id): cast(datetime, row.checked_in_at)
            for row in session.exec(select(CheckIn).where(col(CheckIn.visit_id).in_(visit_ids)))
            .all()}


def attended(session: Session, caller: Caller, pairs: list[tuple[uuid.UUID, uuid.UUID]]
             ) -> set[uuid.UUID]:
    """Of these (lead, business) pairs, the leads where that business checked in on site (a
    review's mark; read as the platform: the mark is public, the check-in is not)."""
    if not pairs:
        return set()
    with trusted_step(session, caller):
        return set(session.execute(text(
            "SELECT DISTINCT c.lead_id FROM check_ins c"
            " JOIN unnest(CAST(:leads AS uuid[]), CAST(:pros AS uuid[])) AS w(lead_id, pro)"
            " ON w.lead_id = c.lead_id AND w.pro = c.professional_id"),
            {"leads": [p[0] for p in pairs], "pros": [p[1] for p in pairs]}).scalars())
