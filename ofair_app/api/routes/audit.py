"""The audit log for admins (issue 18 point 4): every admin action and every reveal of a
person's details in one timeline, narrowed by who, what, target, when and network, in cursor
pages, and exported whole as CSV or XLSX (streamed: never all in memory)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from ofair_app.api.deps import AdminCaller, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import Caller, unit_of_work
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.tax import ISRAEL
from ofair_app.i18n import Locale, translate
from ofair_app.services import audit, exports, users

router = APIRouter(route_class=ExactJsonRoute)


class AuditEntryOut(BaseModel):
    source: str
    id: int
    at: datetime
    action: str
    actor_user_id: uuid.UUID | None
    actor_name: str
    subject: str
    ip: str
    detail: str

    @classmethod
    def of(cls, row: audit.AuditRow) -> AuditEntryOut:
        return cls(**row.__dict__)


Who = Annotated[str | None, Query(max_length=254, description="a user id, phone or e-mail")]
Prefix = Annotated[str, Query(max_length=100, pattern=r"^[^\x00-\x1f]*$")]
Day = Annotated[date | None, Query(description="a day in Israel (YYYY-MM-DD), inclusive")]


def _query(session, who: str | None, action: str, subject: str, ip: str,
           since: date | None, until: date | None) -> audit.AuditQuery | None:
    """The narrowing asked for; None when it names a person who does not exist (nothing can
    match). 422 for a `who` that is no id, phone or e-mail, or days the wrong way round."""
    if since and until and since > until:
        raise InvalidInput(fields={"until": "errors.field.until_before_since"})
    actor = None
    if who:
        actor = users.find_user_id(session=session, who=who.strip())
        if actor is None:
            return None
    return audit.AuditQuery(
        actor=actor, action=action.strip(), subject=subject.strip(), ip=ip.strip(),
        since=datetime.combine(since, time(), tzinfo=ISRAEL) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), tzinfo=ISRAEL)
        if until else None)


@router.get("/admin/audit", response_model=Page[AuditEntryOut], name="timeline",
            tags=["admin"], responses=errors(403, 422))
def timeline(caller: AdminCaller, who: Who = None, action: Prefix = "", subject: Prefix = "",
             ip: Prefix = "", since: Day = None, until: Day = None,
             cursor: Annotated[str | None, Query(max_length=512)] = None,
             limit: Annotated[int, Query(ge=1, le=audit.AUDIT_PAGE_MAX)] = 50,
             ) -> Page[AuditEntryOut]:
    """Admin actions and reveals of personal details, newest first (`action`, `subject` and
    `ip` match from their start: `settlement.`, `lead:<id>`, `10.1.`)."""
    with unit_of_work(caller) as session:
        query = _query(session, who, action, subject, ip, since, until)
        if query is None:
            return Page(items=[])
        rows, next_cursor = audit.timeline(session=session, caller=caller, query=query,
                                           cursor=cursor, limit=limit)
    return Page(items=[AuditEntryOut.of(row) for row in rows], next_cursor=next_cursor)


def _rows(caller: Caller, who, action, subject, ip, since, until) -> Iterator[list[object]]:
    with unit_of_work(caller) as session:
        query = _query(session, who, action, subject, ip, since, until)
        if query is None:
            return
        for row in audit.timeline_all(session=session, caller=caller, query=query):
            yield audit.export_row(row)


def _headers(locale: Locale) -> list[str]:
    return [translate(f"export.audit.{column}", locale) for column in audit.EXPORT_COLUMNS]


def _checked(caller: Caller, who, since, until) -> None:
    """Refuse a bad request before the answer starts (a stream cannot turn into a 422)."""
    users.require_admin(caller)
    with unit_of_work(caller) as session:
        _query(session, who, "", "", "", since, until)


@router.get("/admin/audit.csv", name="timeline_csv", tags=["admin"],
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}, **errors(403, 422)})
def timeline_csv(caller: AdminCaller, locale: RequestLocale, who: Who = None,
                 action: Prefix = "", subject: Prefix = "", ip: Prefix = "",
                 since: Day = None, until: Day = None) -> StreamingResponse:
    """The narrowed timeline, whole, as CSV (UTF-8 with a byte-order mark, Israel's time)."""
    _checked(caller, who, since, until)
    rows = _rows(caller, who, action, subject, ip, since, until)
    return StreamingResponse(
        exports.csv_lines(_headers(locale), rows), media_type=exports.CSV_TYPE,
        headers={"Content-Disposition": 'attachment; filename="ofair-audit.csv"'})


@router.get("/admin/audit.xlsx", name="timeline_xlsx", tags=["admin"],
            response_class=StreamingResponse,
            responses={200: {"content": {exports.XLSX_TYPE: {}}}, **errors(403, 422)})
def timeline_xlsx(caller: AdminCaller, locale: RequestLocale, who: Who = None,
                  action: Prefix = "", subject: Prefix = "", ip: Prefix = "",
                  since: Day = None, until: Day = None) -> StreamingResponse:
    """The narrowed timeline, whole, as an Excel workbook (right to left, Israel's time)."""
    _checked(caller, who, since, until)
    rows = _rows(caller, who, action, subject, ip, since, until)
    return StreamingResponse(
        exports.xlsx_chunks(_headers(locale), rows, title=translate("export.audit.title",
                                                                     locale)),
        media_type=exports.XLSX_TYPE,
        headers={"Content-Disposition": 'attachment; filename="ofair-audit.xlsx"'})
