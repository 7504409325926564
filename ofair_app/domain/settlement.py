"""B2B settlement (DESIGN.md §3 "B2B mode", §11 "Tax documents"): pure rules, no I/O.

In b2b mode the client pays the performer directly, so the platform holds no money. When a job
closes it records what that job's performer owes: its commission to the platform and the
referral fee it owes the referrer, which the platform collects as the referrer's agent. Each
business has one running account (`Purpose.pro_settlement`): positive, the business owes the
platform; negative, the platform owes the business.

Once a month the platform nets each business's account for the previous calendar month in
Israel into one statement: the platform's fees (its only income, taxed: VAT at the rate of the
statement's date is added), the referral fees owed to colleagues and the referral fees earned
from colleagues (both outside the VAT base), and what was carried in. The sum is what the
business owes (autopay charges it) or what the platform owes the business (paid out or carried
to the next month).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ofair_app.domain import tax
from ofair_app.domain.commission import Split
from ofair_app.domain.errors import InvalidInput
from ofair_app.domain.ledger import ZERO, Leg, Purpose

# Autopay: a declined charge (or no card) is tried again this many days after the first one;
# after the last, the business may not send proposals until it pays.
RETRY_DAYS = (1, 3, 7)


class ChargeStatus(StrEnum):
    open = "open"  # recorded at close, waiting for its month's statement
    frozen = "frozen"  # its job is disputed: no statement takes it until the dispute ends
    settled = "settled"  # on a statement
    reversed = "reversed"  # its job was cancelled before settlement: the ledger took it back


class StatementStatus(StrEnum):
    due = "due"  # the business owes the amount: autopay charges its card
    paid = "paid"  # the business paid what it owed
    credit = "credit"  # the platform owes the business: paid out or carried forward
    settled = "settled"  # nothing either way


def month_of(moment: datetime) -> date:
    """The first day of the calendar month in Israel that `moment` falls in."""
    return tax.israel_date(moment).replace(day=1)


def previous_month(as_of: datetime) -> date:
    """The month a settlement run at `as_of` settles: the calendar month in Israel before the
    one `as_of` falls in."""
    this = month_of(as_of)
    return (this.replace(year=this.year - 1, month=12) if this.month == 1
            else this.replace(month=this.month - 1))


def next_month(month: date) -> date:
    return (month.replace(year=month.year + 1, month=1) if month.month == 12
            else month.replace(month=month.month + 1))


def settleable(month: date, as_of: datetime) -> date:
    """`month` as a settlement run at `as_of` may settle it: the first of a month that has
    ended in Israel by then. A month that has not ended (or a date that is not the first) is
    refused with 422."""
    if month.day != 1:
        raise InvalidInput(fields={"month": "errors.settlement.month_start"})
    if next_month(month) > tax.israel_date(as_of):
        raise InvalidInput(fields={"month": "errors.settlement.month_not_over"},
                           params={"month": month.strftime("%Y-%m")})
    return month


Referrers = Sequence[tuple[uuid.UUID, Decimal]]  # each referrer of a chain and its fee


def accrual_legs(split: Split, *, performer_id: uuid.UUID, referrers: Referrers) -> list[Leg]:
    """The ledger legs of a closed b2b job: the performer owes the commission and the referral
    fees; the platform earns the commission; each referrer of the chain is owed its fee."""
    return charge_legs(split.platform_commission, referrers, performer_id=performer_id)


def charge_legs(commission: Decimal, referrers: Referrers, *,
                performer_id: uuid.UUID) -> list[Leg]:
    """`accrual_legs` from a charge's frozen amounts (to take one back, `reversal_legs`)."""
    fees = sum((fee for _, fee in referrers), Decimal("0"))
    return [Leg(Purpose.pro_settlement, commission + fees, performer_id),
            Leg(Purpose.platform_revenue, -commission),
            *(Leg(Purpose.pro_settlement, -fee, referrer_id)
              for referrer_id, fee in referrers)]


def reversal_legs(legs: list[Leg]) -> list[Leg]:
    """The legs that take a recorded transaction back (a job cancelled before settlement)."""
    return [Leg(leg.purpose, -leg.amount, leg.professional_id) for leg in legs]


@dataclass(frozen=True)
class ChargeLine:
    """One closed job on a business's statement, as that business sees it."""

    charge_id: uuid.UUID
    lead_id: uuid.UUID
    final_amount: Decimal
    fee: Decimal  # the platform's commission this business owes (0 for the referrer's line)
    referral_owed: Decimal  # referral fee this business (the performer) owes a colleague
    referral_earned: Decimal  # referral fee owed to this business (the referrer)
    title: str = ""  # the job's title, as its lines on the invoice name it


@dataclass(frozen=True)
class StatementFigures:
    """A business's month, netted. `amount_due` > 0: the business owes it; < 0: the platform
    owes the business its absolute value."""

    fees: Decimal  # the platform's fees, before VAT
    vat_rate: Decimal
    vat: Decimal
    referral_owed: Decimal  # collected on colleagues' behalf, outside the VAT base
    referral_earned: Decimal
    carried_in: Decimal  # the balance brought from earlier months (signed like amount_due)
    credits: Decimal  # credit notes since the last statement (signed like amount_due)
    amount_due: Decimal

    @property
    def status(self) -> StatementStatus:
        if self.amount_due > ZERO:
            return StatementStatus.due
        return StatementStatus.credit if self.amount_due < ZERO else StatementStatus.settled


def net(lines: list[ChargeLine], *, carried_in: Decimal, on: date,
        credits: Decimal = ZERO) -> StatementFigures:
    """Net a business's lines of one month, with what it carried in and the credit notes since
    its last statement (their VAT was fixed by the invoices they correct), on the statement's
    date `on` (whose VAT rate applies to the platform's fees)."""
    fees = sum((line.fee for line in lines), ZERO)
    owed = sum((line.referral_owed for line in lines), ZERO)
    earned = sum((line.referral_earned for line in lines), ZERO)
    figures = tax.totals(fees, on)
    return StatementFigures(
        fees=fees, vat_rate=figures.rate, vat=figures.vat, referral_owed=owed,
        referral_earned=earned, carried_in=carried_in, credits=credits,
        amount_due=figures.before_vat + figures.vat + owed - earned + carried_in + credits)


def vat_legs(vat: Decimal, professional_id: uuid.UUID) -> list[Leg]:
    """The VAT on a statement's fees: the business owes it, the platform owes it on to the
    Tax Authority."""
    return [Leg(Purpose.pro_settlement, vat, professional_id), Leg(Purpose.vat_payable, -vat)]


def next_attempt(first: datetime, failures: int) -> datetime | None:
    """When to charge a statement again after `failures` failed charges, the first made at
    `first`: 1, 3 and 7 days after it; None after the last (the business must pay itself)."""
    if failures < 1:
        return first
    if failures > len(RETRY_DAYS):
        return None
    return first + timedelta(days=RETRY_DAYS[failures - 1])


def payout_legs(amount: Decimal, professional_id: uuid.UUID) -> list[Leg]:
    """What the platform owes a business for a month, made withdrawable (its wallet's
    available balance), for a business that asked to be paid out rather than carry it."""
    return [Leg(Purpose.pro_settlement, amount, professional_id),
            Leg(Purpose.pro_available, -amount, professional_id)]



def overdue(status: str, autopay_attempts: int, next_attempt_at: datetime | None) -> bool:
    """A statement still due after its last autopay retry failed: its business may not send
    proposals until it pays (`services.autopay.require_paid_up` asks the database the same)."""
    return (status == StatementStatus.due and autopay_attempts > 0
            and next_attempt_at is None)


def credit_note_legs(commission: Decimal, vat: Decimal, referrers: Referrers, *,
                     performer_id: uuid.UUID) -> list[Leg]:
    """An invoiced job lowered or refunded: the performer is owed back the fee, its VAT and the
    referral fees; the platform gives back the fee and the VAT; each referrer gives back its
    part of the fee."""
    fees = sum((fee for _, fee in referrers), Decimal("0"))
    return [Leg(Purpose.pro_settlement, -(commission + vat + fees), performer_id),
            Leg(Purpose.platform_revenue, commission), Leg(Purpose.vat_payable, vat),
            *(Leg(Purpose.pro_settlement, fee, referrer_id) for referrer_id, fee in referrers)]
