"""How numbers and times read on a page, in the reader's language (babel's CLDR data)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal

from ofair_app.domain.identity import display_phone
from ofair_app.i18n import money, translate

__all__ = ["ago", "day", "distance", "isolate", "joined", "long_day", "money", "month",
           "number", "phone"]

# Unicode's first-strong isolate and its closing pop (UAX #9): the text between them takes its
# own direction and does not reorder with its neighbours.
FSI, PDI = "\u2068", "\u2069"


def isolate(text: str) -> str:
    """`text` as one directional unit, for a string that will sit among text of the other
    direction (a Hebrew city in an English line, `40 km` in a Hebrew one)."""
    return f"{FSI}{text}{PDI}" if text else ""


def joined(*parts: str) -> str:
    """Short facts on one line, `a · b · c`, each isolated so mixed Hebrew, Latin and numbers
    keep their order in either direction; empty parts are left out."""
    return " · ".join(isolate(part) for part in parts if part)


def ago(moment: datetime | None, locale: str, now: datetime | None = None) -> str:
    """`לפני 5 דקות` / `5 minutes ago`; under a minute, `just now`."""
    if moment is None:
        return ""
    elapsed = (now or datetime.now(UTC)) - moment
    if elapsed < timedelta(minutes=1):
        return translate("ui.time.just_now", locale)
    return format_timedelta(-elapsed, locale=locale, add_direction=True, threshold=1)


def distance(km: float | None, locale: str) -> str:
    """`40 km away` / `40 ק"מ ממך`, isolated: the number and its unit stay one unit beside
    text of either direction."""
    if km is None:
        return ""
    if km < 1:
        return isolate(translate("ui.time.under_km", locale))
    value = f"{km:.0f}" if km >= 10 else f"{km:.1f}"
    return isolate(translate("ui.board.km_away", locale, km=value))


def number(value: int, locale: str) -> str:
    """A count with the locale's grouping (12,345)."""
    return format_decimal(value, locale=locale)


def phone(e164: str | None) -> str:
    """`050-123-4567` for an Israeli number."""
    return display_phone(e164) if e164 else ""


def day(value: date, locale: str) -> str:
    """`25 בנוב׳` / `25 Nov`; the year only when it is not this one."""
    pattern = "d MMM" if value.year == datetime.now(UTC).year else "d MMM y"
    return format_date(value, pattern, locale="he_IL" if locale == "he" else "en_IL")


def long_day(value: date, locale: str) -> str:
    """`1 בדצמבר 2026` / `1 December 2026`: a date that stands alone (a statement's review)."""
    return format_date(value, "long", locale="he_IL" if locale == "he" else "en_IL")


def month(value: date, locale: str) -> str:
    """`נובמבר 2026` / `November 2026`: the month a statement settles."""
    return format_date(value, "LLLL y", locale="he_IL" if locale == "he" else "en_IL")


def moment(value: datetime, locale: str) -> str:
    """`2 בדצמ׳ 2026, 14:05:09` / `2 Dec 2026, 14:05:09`: when something happened, on Israel's
    clock (an audit line: to the second)."""
    from ofair_app.domain.tax import ISRAEL

    return format_datetime(value.astimezone(ISRAEL), "d MMM y, HH:mm:ss",
                           locale="he_IL" if locale == "he" else "en_IL")


def message_time(value: datetime, locale: str, now: datetime | None = None) -> str:
    """`14:05` today, `2 בדצמ׳, 14:05` / `2 Dec, 14:05` before: when a chat message was
    written, on Israel's clock."""
    from ofair_app.domain.tax import ISRAEL

    local = value.astimezone(ISRAEL)
    today = (now or datetime.now(UTC)).astimezone(ISRAEL).date()
    pattern = "HH:mm" if local.date() == today else "d MMM, HH:mm"
    return format_datetime(local, pattern, locale="he_IL" if locale == "he" else "en_IL")
