"""Tables for spreadsheets: CSV and XLSX written row by row, so an export of a million rows
never sits in memory whole (issue 18: the audit log, the reports).

- CSV: UTF-8 with a byte-order mark (Excel then reads Hebrew right), one line at a time; no
  cell ever starts a formula (`csv_safe`).
- XLSX: openpyxl's write-only workbook, spooled to a temporary file and read back in chunks;
  the sheet reads right to left, dates are Israel's local time, money stays a number.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from ofair_app.domain.tax import ISRAEL

CHUNK = 64 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """A spreadsheet never runs a cell as a formula (=, +, -, @ first)."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(ISRAEL).replace(tzinfo=None)
    if isinstance(value, str):
        return csv_safe(value)
    return value


def csv_lines(headers: list[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The table as CSV text, a line at a time (the first starts with the byte-order mark)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    yield "\ufeff" + out.getvalue()
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([_csv_text(_cell(value)) for value in row])
        yield out.getvalue()


def _csv_text(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else value


def xlsx_chunks(headers: list[str], rows: Iterable[Iterable[object]], *,
                title: str) -> Iterator[bytes]:
    """The table as an XLSX file, in chunks: written to a temporary file row by row (openpyxl
    write-only mode holds one row at a time), then read back."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.sheet_view.rightToLeft = True
    bold = Font(bold=True)
    header_cells = []
    for name in headers:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_value(_cell(value)) for value in row])
    with tempfile.TemporaryFile() as spool:
        book.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


def _xlsx_value(value: object) -> object:
    if isinstance(value, Decimal):
        return value  # a number in the sheet, not text
    if isinstance(value, (dict, list)):
        return str(value)
    return value


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
