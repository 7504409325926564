"""The audit log for admins (issue 18 point 4): every admin action and every reveal of a
person's details in one timeline, narrowed by who, what, target, when and network, in cursor
pages, and exported whole as CSV or XLSX (streamed: never all in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from ofair_app.api.deps import AdminCaller, DownloadAdmin, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import Caller, unit_of_work
from ofair_app.i18n import Locale, translate
from ofair_app.services import audit, exports, users

router = APIRouter(route_class=ExactJsonRoute)


Who = Annotated[str | None, Query(max_length=254, description="a user id, phone or e-mail")]
Prefix = Annotated[str, Query(max_length=100, pattern=r"^[^\x00-\x1f]*$")]
Day = Annotated[date | None, Query(description="a day in Israel (YYYY-MM-DD), inclusive")]


@router.get("/admin/audit", response_model=Page[audit.AuditRow], name="timeline",
            tags=["admin"], responses=errors(403, 422))
def timeline(caller: AdminCaller, who: Who = None, action: Prefix = "", subject: Prefix = "",
             ip: Prefix = "", since: Day = None, until: Day = None,
             cursor: Annotated[str | None, Query(max_length=512)] = None,
             limit: Annotated[int, Query(ge=1, le=audit.AUDIT_PAGE_MAX)] = 50,
             ) -> Page[audit.AuditRow]:
    """Admin actions and reveals of personal details, newest first (`action`, `subject` and
    `ip` match from their start: `settlement.`, `lead:<id>`, `10.1.`)."""
    with unit_of_work(caller) as session:
        query = audit.narrowing(session=session, who=who, action=action, subject=subject, ip=ip,
                                since=since, until=until)
        if query is None:
            return Page(items=[])
        rows, next_cursor = audit.timeline(session=session, caller=caller, query=query,
                                           cursor=cursor, limit=limit)
    return Page(items=rows, next_cursor=next_cursor)


def _rows(caller: Caller, who, action, subject, ip, since, until) -> Iterator[list[object]]:
    with unit_of_work(caller) as session:
        query = audit.narrowing(session=session, who=who, action=action, subject=subject, ip=ip,
                                since=since, until=until)
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
        audit.narrowing(session=session, who=who, since=since, until=until)


@router.get("/admin/audit.csv", name="timeline_csv", tags=["admin"],
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}, **errors(403, 422)})
def timeline_csv(caller: DownloadAdmin, locale: RequestLocale, who: Who = None,
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
def timeline_xlsx(caller: DownloadAdmin, locale: RequestLocale, who: Who = None,
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
