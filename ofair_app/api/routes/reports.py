"""Reports for admins (issue 18 point 5): the platform's money month by month, and leads and
their conversion by category and by city, over Israel's days; each as JSON, or whole as CSV
or XLSX (streamed: read from the database in batches, never all in memory).

Money answers as decimal strings with two places; a month is written `YYYY-MM`. Where each
figure comes from: `services/reports.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, PlainSerializer

from ofair_app.api.deps import AdminCaller, DownloadAdmin, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.db.engine import Caller, unit_of_work
from ofair_app.domain.periods import Period
from ofair_app.i18n import Locale, translate
from ofair_app.services import exports, reports, users
from ofair_app.services.reports import ReportKind

router = APIRouter(route_class=ExactJsonRoute)

Report = Annotated[ReportKind, Query(description="which report")]
Day = Annotated[date | None, Query(
    description="a day in Israel (YYYY-MM-DD), inclusive; by default this month so far")]
Month = Annotated[date, PlainSerializer(lambda value: f"{value:%Y-%m}", return_type=str)]


class MoneyMonthOut(BaseModel):
    """One month in Israel: what clients paid (`gross`) and got back (`refunds`), the net
    (`gmv`), the platform's `commission`, the referrers' `referral_fees`, b2b `vat` and the
    `payouts` sent to businesses' banks."""

    model_config = ConfigDict(from_attributes=True)

    month: Month
    jobs: int
    gross: Decimal
    refunds: Decimal
    gmv: Decimal
    commission: Decimal
    referral_fees: Decimal
    vat: Decimal
    payouts: Decimal


class LeadConversionOut(BaseModel):
    """The leads of one category (`key`: its slug) or city (`key`: its locality id, "" for
    leads without one) posted in the period, and how far they got."""

    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    posted: int
    with_proposals: int
    awarded: int
    closed: int
    conversion_pct: Decimal


class ReportOut(BaseModel):
    """`months` for `report=money`, `groups` for the leads reports (the other list empty)."""

    report: ReportKind
    since: date
    until: date
    months: list[MoneyMonthOut] = []
    groups: list[LeadConversionOut] = []


@router.get("/admin/reports", response_model=ReportOut, name="reports", tags=["admin"],
            responses=errors(403, 422))
def read_report(caller: AdminCaller, locale: RequestLocale, report: Report = ReportKind.money,
                since: Day = None, until: Day = None) -> ReportOut:
    """One report over Israel's days `since`..`until` (at most 36 months): `money` month by
    month, or `leads_by_category` / `leads_by_city` with their conversion."""
    period = reports.period_of(since=since, until=until)
    with unit_of_work(caller) as session:
        found = list(reports.rows(session=session, caller=caller, report=report, period=period,
                                  locale=locale))
    answer = ReportOut(report=report, since=period.since, until=period.until)
    if report == ReportKind.money:
        answer.months = [MoneyMonthOut.model_validate(row) for row in found]
    else:
        answer.groups = [LeadConversionOut.model_validate(row) for row in found]
    return answer


def _checked(caller: Caller, since: date | None, until: date | None) -> Period:
    """Refuse a bad request before the answer starts (a stream cannot turn into a 422)."""
    users.require_admin(caller)
    return reports.period_of(since=since, until=until)


def _rows(caller: Caller, report: ReportKind, period: Period,
          locale: Locale) -> Iterator[list[object]]:
    with unit_of_work(caller) as session:
        for row in reports.rows(session=session, caller=caller, report=report, period=period,
                                locale=locale):
            yield reports.export_row(report, row)


def _headers(report: ReportKind, locale: Locale) -> list[str]:
    return [translate(f"export.reports.{report}.{column}", locale)
            for column in reports.EXPORT_COLUMNS[report]]


def _filename(report: ReportKind, period: Period, kind: str) -> str:
    return f'attachment; filename="ofair-{report}-{period.since}-{period.until}.{kind}"'


@router.get("/admin/reports.csv", name="reports_csv", tags=["admin"],
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}, **errors(403, 422)})
def report_csv(caller: DownloadAdmin, locale: RequestLocale, report: Report = ReportKind.money,
               since: Day = None, until: Day = None) -> StreamingResponse:
    """The report, whole, as CSV (UTF-8 with a byte-order mark, headers in the caller's
    language, money as plain numbers)."""
    period = _checked(caller, since, until)
    return StreamingResponse(
        exports.csv_lines(_headers(report, locale), _rows(caller, report, period, locale)),
        media_type=exports.CSV_TYPE,
        headers={"Content-Disposition": _filename(report, period, "csv")})


@router.get("/admin/reports.xlsx", name="reports_xlsx", tags=["admin"],
            response_class=StreamingResponse,
            responses={200: {"content": {exports.XLSX_TYPE: {}}}, **errors(403, 422)})
def report_xlsx(caller: DownloadAdmin, locale: RequestLocale, report: Report = ReportKind.money,
                since: Day = None, until: Day = None) -> StreamingResponse:
    """The report, whole, as an Excel workbook (right to left; money and rates are numbers,
    months are dates)."""
    period = _checked(caller, since, until)
    return StreamingResponse(
        exports.xlsx_chunks(_headers(report, locale), _rows(caller, report, period, locale),
                            title=translate(f"export.reports.{report}.title", locale)),
        media_type=exports.XLSX_TYPE,
        headers={"Content-Disposition": _filename(report, period, "xlsx")})
