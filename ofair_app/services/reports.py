"""Reports for admins (issue 18 point 5): the platform's money month by month, and leads and
their conversion by category and by city, over a period of Israel's days.

Every figure is counted in the Israel calendar month in which it happened, read from the
table that records that event, so a month that has ended never changes afterwards (except
where noted below):

- `jobs`, `gross`: jobs paid for. Escrow: payments by `paid_at`, at the split frozen on the
  payment (the split the ledger's hold was written from). B2B: charges by `closed_at`, at their
  amounts now (a dispute that lowered a job's price before its statement counts at the new
  price; a job cancelled before its statement, `reversed`, does not count at all).
- `refunds`: money given back to clients. Escrow: the clearing account's side of the ledger's
  `void`, `refund` and re-`hold` transactions of payments (a refund before the release voids
  the hold and holds the rest again), when they were written. B2B: credit notes'
  `refund`, when they were issued.
- `gmv`: `gross - refunds`, the value of the month's work net of what went back.
- `commission`, `referral_fees`: the platform's fee and the referrers' fees on those jobs,
  less what was given back with the refunds (the platform's and the referrer's accounts on the
  same ledger transactions; a credit note's `commission` and `referrer_fee`).
- `vat`: b2b only, VAT on the platform's fees: each settlement statement's VAT in the month
  it settles, less credit notes' VAT when they were issued. Escrow mode invoices no VAT: zero.
- `payouts`: money sent to businesses' bank accounts: the clearing account's side of the
  ledger's `payout` (a batch marked paid) and `manual_payout` transactions.

Leads are counted by the day they were posted, and followed to where they are now: how many
got at least one proposal, how many are awarded (a performer stands), how many are closed,
and the conversion (closed of posted, in percent).

Each report is one aggregate query and an iterator read from the database in batches, so an
export streams row by row; list() it for a page. Admins only (403): an admin's unit of work
reads every row through row-level security.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import TextClause, text
from sqlmodel import Session

from ofair_app.db.engine import Caller
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.periods import Period, day_of
from ofair_app.domain.tax import israel_date
from ofair_app.i18n import translate
from ofair_app.models._base import utcnow
from ofair_app.services import users

MAX_MONTHS = 36  # the longest period a report covers, in calendar months
BATCH = 1000  # rows fetched from the database at a time


class ReportKind(StrEnum):
    money = "money"  # the platform's money, month by month
    leads_by_category = "leads_by_category"  # leads and conversion per category
    leads_by_city = "leads_by_city"  # leads and conversion per city (locality)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def period_of(*, since: date | str | None = None, until: date | str | None = None,
              today: date | None = None) -> Period:
    """The period asked for (days, or days written YYYY-MM-DD; empty: by default): by
    default this month in Israel so far. `InvalidInput` for a day that is no day, `until`
    before `since`, or days spanning more than `MAX_MONTHS` calendar months."""
    first, last = day_of(since, "since"), day_of(until, "until")
    until = last or today or israel_date(utcnow())
    since = first or until.replace(day=1)
    if since > until:
        raise InvalidInput(fields={"until": "errors.field.until_before_since"})
    if _months_between(since, until) >= MAX_MONTHS:
        raise InvalidInput(fields={"since": "errors.reports.period_too_long"},
                           params={"months": MAX_MONTHS})
    return Period(since=since, until=until)


@dataclass(frozen=True)
class MoneyMonth:
    """One Israel calendar month of the platform's money (see the module's doc)."""

    month: date  # its first day
    jobs: int
    gross: Decimal
    refunds: Decimal
    gmv: Decimal
    commission: Decimal
    referral_fees: Decimal
    vat: Decimal
    payouts: Decimal


@dataclass(frozen=True)
class LeadConversion:
    """The leads of one category or city posted in the period, and how far they got."""

    key: str  # the category's slug or the locality's id ("" for leads without a city)
    name: str  # in the reader's language
    posted: int
    with_proposals: int  # at least one proposal
    awarded: int  # a performer stands (a proposal or a referral accepted)
    closed: int  # done and confirmed
    conversion_pct: Decimal  # closed of posted, in percent (two places)


ReportRow = MoneyMonth | LeadConversion
R = TypeVar("R", MoneyMonth, LeadConversion)

# One branch per kind of event, each stating when it happened (`at`); a statement settles a
# month, so it happens at that month's first moment in Israel. The months of the period are
# listed whole, so a quiet month reads as zeros rather than as a gap.
_MONEY = text("""
    WITH moves (at, jobs, gross, refunds, commission, referral_fees, vat, payouts) AS (
        SELECT p.paid_at, 1, p.final_amount, 0, p.platform_commission, p.referrer_fee, 0, 0
          FROM payments p
         WHERE p.paid_at >= :start AND p.paid_at < :end
        UNION ALL
        SELECT t.created_at, 0, 0,
               CASE WHEN a.purpose = 'clearing' THEN -e.amount ELSE 0 END,
               CASE WHEN a.purpose IN ('platform_pending', 'platform_revenue')
                    THEN -e.amount ELSE 0 END,
               CASE WHEN a.purpose IN ('pro_pending', 'pro_available') AND EXISTS (
                         SELECT 1 FROM payment_referrers r
                          WHERE r.payment_id = p.id AND r.professional_id = a.professional_id)
                    THEN -e.amount ELSE 0 END,
               0, 0
          FROM ledger_transactions t
          JOIN payments p ON p.id = t.payment_id
          JOIN ledger_entries e ON e.transaction_id = t.id
          JOIN ledger_accounts a ON a.id = e.account_id
         WHERE t.created_at >= :start AND t.created_at < :end
           AND (t.kind IN ('void', 'refund')
                OR (t.kind = 'hold' AND EXISTS (
                    SELECT 1 FROM ledger_transactions v
                     WHERE v.payment_id = t.payment_id AND v.kind = 'void' AND v.id < t.id)))
        UNION ALL
        SELECT c.closed_at, 1, c.final_amount, 0, c.platform_commission, c.referrer_fee, 0, 0
          FROM b2b_charges c
         WHERE c.closed_at >= :start AND c.closed_at < :end AND c.status <> 'reversed'
        UNION ALL
        SELECT r.created_at, 0, 0, r.refund, -r.commission, -r.referrer_fee, -r.vat, 0
          FROM b2b_credits r
         WHERE r.created_at >= :start AND r.created_at < :end
        UNION ALL
        SELECT CAST(s.month AS timestamp) AT TIME ZONE 'Asia/Jerusalem', 0, 0, 0, 0, 0, s.vat, 0
          FROM settlement_statements s
         WHERE s.month >= :first_month AND s.month <= :last_month
        UNION ALL
        SELECT t.created_at, 0, 0, 0, 0, 0, 0, -e.amount
          FROM ledger_transactions t
          JOIN ledger_entries e ON e.transaction_id = t.id
          JOIN ledger_accounts a ON a.id = e.account_id AND a.purpose = 'clearing'
         WHERE t.kind IN ('payout', 'manual_payout')
           AND t.created_at >= :start AND t.created_at < :end
    ), months AS (
        SELECT CAST(m AS date) AS month
          FROM generate_series(CAST(:first_month AS date), CAST(:last_month AS date),
                               interval '1 month') AS m
    ), summed AS (
        SELECT months.month, CAST(coalesce(sum(moves.jobs), 0) AS integer) AS jobs,
               CAST(coalesce(sum(moves.gross), 0) AS numeric(14, 2)) AS gross,
               CAST(coalesce(sum(moves.refunds), 0) AS numeric(14, 2)) AS refunds,
               CAST(coalesce(sum(moves.commission), 0) AS numeric(14, 2)) AS commission,
               CAST(coalesce(sum(moves.referral_fees), 0) AS numeric(14, 2)) AS referral_fees,
               CAST(coalesce(sum(moves.vat), 0) AS numeric(14, 2)) AS vat,
               CAST(coalesce(sum(moves.payouts), 0) AS numeric(14, 2)) AS payouts
          FROM months
          LEFT JOIN moves ON CAST(date_trunc('month', moves.at AT TIME ZONE 'Asia/Jerusalem')
                                  AS date) = months.month
         GROUP BY months.month
    )
    SELECT month, jobs, gross, refunds, gross - refunds AS gmv, commission, referral_fees,
           vat, payouts
      FROM summed
     ORDER BY month
""")

_FUNNEL = """
    SELECT {key} AS key, {name} AS name, count(*) AS posted,
           count(*) FILTER (WHERE l.proposal_count > 0) AS with_proposals,
           count(*) FILTER (WHERE l.performer_professional_id IS NOT NULL) AS awarded,
           count(*) FILTER (WHERE l.status = 'closed') AS closed,
           CAST(round(100.0 * count(*) FILTER (WHERE l.status = 'closed') / count(*), 2)
                AS numeric(5, 2)) AS conversion_pct
      FROM leads l {join}
     WHERE l.created_at >= :start AND l.created_at < :end
     GROUP BY {group}
     ORDER BY posted DESC, name
"""
_BY_CATEGORY = text(_FUNNEL.format(
    key="c.slug",
    name="CASE WHEN :locale = 'en' THEN c.name_en ELSE c.name_he END",
    join="JOIN categories c ON c.slug = l.category_slug",
    group="c.slug, c.name_he, c.name_en"))
_BY_CITY = text(_FUNNEL.format(
    key="coalesce(CAST(l.locality_id AS text), '')",
    name="coalesce(CASE WHEN :locale = 'en' THEN loc.name_en ELSE loc.name_he END, :no_city)",
    join="LEFT JOIN localities loc ON loc.id = l.locality_id",
    group="l.locality_id, loc.name_he, loc.name_en"))


def _streamed(session: Session, query: TextClause, parameters: Mapping[str, object],
              row: Callable[..., R]) -> Iterator[R]:
    result = session.execute(query.execution_options(yield_per=BATCH), parameters)
    for found in result:
        yield row(**found._mapping)


def _bounds(period: Period) -> dict[str, object]:
    return {"start": period.start, "end": period.end, "first_month": period.first_month,
            "last_month": period.last_month}


def money_by_month(*, session: Session, caller: Caller, period: Period) -> Iterator[MoneyMonth]:
    """Each month of the period, oldest first, with what clients paid and got back, the
    platform's and referrers' fees, VAT and payouts (admins only: 403)."""
    users.require_admin(caller)
    return _streamed(session, _MONEY, _bounds(period), MoneyMonth)


def leads_by_category(*, session: Session, caller: Caller, period: Period,
                      locale: str) -> Iterator[LeadConversion]:
    """Leads posted in the period per category (named in `locale`), the busiest first, with
    how many got proposals, were awarded and closed (admins only: 403)."""
    users.require_admin(caller)
    return _streamed(session, _BY_CATEGORY, {**_bounds(period), "locale": locale},
                     LeadConversion)


def leads_by_city(*, session: Session, caller: Caller, period: Period,
                  locale: str) -> Iterator[LeadConversion]:
    """Leads posted in the period per city (named in `locale`; leads without one together),
    the busiest first, with how many got proposals, were awarded and closed (admins only)."""
    users.require_admin(caller)
    return _streamed(session, _BY_CITY, {**_bounds(period), "locale": locale,
                                         "no_city": translate("ui.reports.no_city", locale)},
                     LeadConversion)


def rows(*, session: Session, caller: Caller, report: ReportKind, period: Period,
         locale: str) -> Iterator[ReportRow]:
    """The rows of `report`, read in batches (an export streams them; a page lists them)."""
    if report == ReportKind.money:
        return money_by_month(session=session, caller=caller, period=period)
    by = leads_by_category if report == ReportKind.leads_by_category else leads_by_city
    return by(session=session, caller=caller, period=period, locale=locale)


# --- exports: columns (their headers are `export.reports.<report>.<column>`) ---------------

EXPORT_COLUMNS: dict[ReportKind, tuple[str, ...]] = {
    ReportKind.money: ("month", "jobs", "gross", "refunds", "gmv", "commission",
                       "referral_fees", "vat", "payouts"),
    ReportKind.leads_by_category: ("name", "posted", "with_proposals", "awarded", "closed",
                                   "conversion_pct"),
    ReportKind.leads_by_city: ("name", "posted", "with_proposals", "awarded", "closed",
                               "conversion_pct"),
}


def export_row(report: ReportKind, row: ReportRow) -> list[object]:
    """A row's cells in `EXPORT_COLUMNS` order: dates stay dates, money and rates numbers."""
    return [getattr(row, column) for column in EXPORT_COLUMNS[report]]
