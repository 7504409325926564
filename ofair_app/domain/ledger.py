"""The double-entry ledger's rules (DESIGN.md §3 "Money"): pure, no I/O.

Every money movement is one transaction of entries that sum to zero; an entry's `amount` is
positive for a debit and negative for a credit. What the platform owes a business is a credit
balance on that business's accounts, so a wallet shows `-(sum of its entries)`.

A client's payment is held the way mature ledgers hold money (pending transfers): on the paid
webhook one `hold` moves the amount from the PSP's clearing account into pending accounts
(performer, referrer, platform). The hold is later resolved exactly once: `post` moves it to the
available accounts (the release after the hold period), `void` returns it (a refund before the
release). A partial refund voids the hold and holds the rest again. Nothing is ever updated in
place; a reversal is a new transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

ZERO = Decimal("0.00")


class Purpose(StrEnum):
    clearing = "clearing"  # asset: the clients' money held for us (at the PSP, then the bank)
    platform_pending = "platform_pending"  # commission on a job not yet released
    platform_revenue = "platform_revenue"
    pro_pending = "pro_pending"  # a business's money on hold
    pro_available = "pro_available"  # a business may withdraw it (negative: a debt)
    pro_payout = "pro_payout"  # requested withdrawals on their way to the bank
    pro_settlement = "pro_settlement"  # b2b: what a business owes (+) or is owed (-) this month
    vat_payable = "vat_payable"  # b2b: VAT on the platform's fees, owed to the Tax Authority


class TxKind(StrEnum):
    hold = "hold"  # paid: into pending accounts
    post = "post"  # a hold released to available accounts
    void = "void"  # a hold returned (refund before release)
    refund = "refund"  # money returned after release (may leave a debt)
    withdrawal = "withdrawal"  # a business asks to be paid out
    withdrawal_reversal = "withdrawal_reversal"  # an admin rejected the request
    payout = "payout"  # the bank transfer was made
    manual_payout = "manual_payout"  # an admin paid a business outside a batch
    accrue = "accrue"  # b2b: a job closed; its performer owes commission and referral fee
    accrue_reversal = "accrue_reversal"  # b2b: a job cancelled before its statement
    vat = "vat"  # b2b: a statement's VAT on the platform's fees
    statement_paid = "statement_paid"  # b2b: the business paid what its statement said it owed
    statement_credit = "statement_credit"  # b2b: what the platform owes a business, withdrawable
    credit_note = "credit_note"  # b2b: an invoiced job lowered or refunded: fees and VAT back
    subscription = "subscription"  # a business paid its plan by card: revenue and VAT
    unlock = "unlock"  # a business paid to unlock a client (by card, or from its balance)
    unlock_refund = "unlock_refund"  # an unlock paid back after a fair claim


PLATFORM_ACCOUNTS = {Purpose.clearing: "clearing",
                     Purpose.platform_pending: "platform:pending",
                     Purpose.platform_revenue: "platform:revenue",
                     Purpose.vat_payable: "platform:vat"}
PRO_PURPOSES = (Purpose.pro_pending, Purpose.pro_available, Purpose.pro_payout)


@lru_cache(maxsize=65536)  # a batch of thousands of postings names a few hundred accounts
def account_code(purpose: Purpose, professional_id: uuid.UUID | None = None) -> str:
    """`clearing`, `platform:revenue`, `pro:<id>:pending` …: one account per purpose and owner."""
    if purpose in PLATFORM_ACCOUNTS:
        return PLATFORM_ACCOUNTS[purpose]
    if professional_id is None:
        raise ValueError(f"{purpose} needs a business")
    return f"pro:{professional_id}:{purpose.value.removeprefix('pro_')}"


@dataclass(frozen=True)
class Leg:
    """One entry to write: an account (by purpose and owner) and a signed amount."""

    purpose: Purpose
    amount: Decimal
    professional_id: uuid.UUID | None = None

    @property
    def code(self) -> str:
        return account_code(self.purpose, self.professional_id)


class Unbalanced(ValueError):
    pass


def balanced(legs: list[Leg]) -> list[Leg]:
    """The legs without zero amounts, refusing a set that does not sum to zero."""
    kept = [leg for leg in legs if leg.amount != 0]
    if sum((leg.amount for leg in kept), ZERO) != 0:
        raise Unbalanced(f"legs sum to {sum(leg.amount for leg in kept)}")
    return kept


@dataclass(frozen=True)
class Shares:
    """Who gets what of one payment (the commission split, frozen on the payment). `referrer` is
    every referrer's fee together and `referrer_id` the first of them (the lead's owner); a chain
    names each referrer and its fee in `chain`."""

    final_amount: Decimal
    platform: Decimal
    referrer: Decimal
    performer: Decimal
    performer_id: uuid.UUID
    referrer_id: uuid.UUID | None
    chain: tuple[tuple[uuid.UUID, Decimal], ...] = ()

    @property
    def referrers(self) -> tuple[tuple[uuid.UUID, Decimal], ...]:
        """Each referrer paid and its fee, in the chain's order."""
        if self.chain:
            return self.chain
        if self.referrer and self.referrer_id is not None:
            return ((self.referrer_id, self.referrer),)
        return ()

    def scaled(self, amount: Decimal) -> Shares:
        """The same split of a part of the payment (a partial refund): pro rata, each part
        rounded to the agora, the performer taking the remainder so parts sum exactly."""
        from ofair_app.domain.leads import CENT

        if amount == self.final_amount:
            return self
        ratio = amount / self.final_amount
        platform = (self.platform * ratio).quantize(CENT)
        chain = tuple((pid, (fee * ratio).quantize(CENT)) for pid, fee in self.chain)
        referrer = (sum((fee for _, fee in chain), ZERO) if chain
                    else (self.referrer * ratio).quantize(CENT))
        return Shares(final_amount=amount, platform=platform, referrer=referrer,
                      performer=amount - platform - referrer, performer_id=self.performer_id,
                      referrer_id=self.referrer_id, chain=chain)


def _split_legs(shares: Shares, *, pending: bool, sign: int) -> list[Leg]:
    """Credits (sign -1) or debits (sign +1) of the parts, on pending or final accounts."""
    platform = Purpose.platform_pending if pending else Purpose.platform_revenue
    pro = Purpose.pro_pending if pending else Purpose.pro_available
    return [Leg(platform, sign * shares.platform),
            Leg(pro, sign * shares.performer, shares.performer_id),
            *(Leg(pro, sign * fee, referrer_id) for referrer_id, fee in shares.referrers)]


def hold(shares: Shares) -> list[Leg]:
    """Paid: the PSP holds the money for us; each party's part waits in a pending account."""
    return balanced([Leg(Purpose.clearing, shares.final_amount),
                     *_split_legs(shares, pending=True, sign=-1)])


def post(shares: Shares) -> list[Leg]:
    """Released: each part moves from pending to available (revenue for the platform)."""
    return balanced([*_split_legs(shares, pending=True, sign=+1),
                     *_split_legs(shares, pending=False, sign=-1)])


def void(shares: Shares) -> list[Leg]:
    """Refunded before the release: the hold is undone, the money leaves the clearing account."""
    return balanced([*_split_legs(shares, pending=True, sign=+1),
                     Leg(Purpose.clearing, -shares.final_amount)])


def refund_after_release(shares: Shares) -> list[Leg]:
    """Refunded after the release: taken back from available balances (a business whose
    balance goes below zero owes it, and its next credits repay it first)."""
    return balanced([*_split_legs(shares, pending=False, sign=+1),
                     Leg(Purpose.clearing, -shares.final_amount)])


def withdrawal(professional_id: uuid.UUID, amount: Decimal) -> list[Leg]:
    return balanced([Leg(Purpose.pro_available, amount, professional_id),
                     Leg(Purpose.pro_payout, -amount, professional_id)])


def withdrawal_reversal(professional_id: uuid.UUID, amount: Decimal) -> list[Leg]:
    return balanced([Leg(Purpose.pro_payout, amount, professional_id),
                     Leg(Purpose.pro_available, -amount, professional_id)])


def payout(professional_id: uuid.UUID, amount: Decimal) -> list[Leg]:
    return balanced([Leg(Purpose.pro_payout, amount, professional_id),
                     Leg(Purpose.clearing, -amount)])


def manual_payout(professional_id: uuid.UUID, amount: Decimal) -> list[Leg]:
    return balanced([Leg(Purpose.pro_available, amount, professional_id),
                     Leg(Purpose.clearing, -amount)])


class Place(StrEnum):
    """Where a business's money can be, as its wallet names it: outside the platform (the
    client who paid, the business's bank) or in one of its three balances."""

    client = "client"
    pending = "pending"  # held until the job is confirmed and the hold period passes
    available = "available"  # may be withdrawn
    payout = "payout"  # asked for, on its way to the bank
    bank = "bank"
    settlement = "settlement"  # b2b: the month's account between the business and the platform
    tax = "tax"  # b2b: VAT, owed on to the Tax Authority


# Every kind of transaction moves a business's money from one place to another.
MOVES: dict[TxKind, tuple[Place, Place]] = {
    TxKind.hold: (Place.client, Place.pending),
    TxKind.post: (Place.pending, Place.available),
    TxKind.void: (Place.pending, Place.client),
    TxKind.refund: (Place.available, Place.client),
    TxKind.withdrawal: (Place.available, Place.payout),
    TxKind.withdrawal_reversal: (Place.payout, Place.available),
    TxKind.payout: (Place.payout, Place.bank),
    TxKind.manual_payout: (Place.available, Place.bank),
    # b2b: the client paid the business directly; the job's fees go on the month's account
    TxKind.accrue: (Place.client, Place.settlement),
    TxKind.accrue_reversal: (Place.settlement, Place.client),
    TxKind.vat: (Place.settlement, Place.tax),
    TxKind.statement_paid: (Place.bank, Place.settlement),
    TxKind.statement_credit: (Place.settlement, Place.available),
    TxKind.credit_note: (Place.settlement, Place.client),
    # paid from the business's card straight to the platform: its fee, and VAT owed on
    TxKind.subscription: (Place.bank, Place.tax),
    # an unlock paid from the balance (a card's leaves no business balance), and its refund
    TxKind.unlock: (Place.available, Place.tax),
    TxKind.unlock_refund: (Place.tax, Place.available),
}

_COLUMNS = {Purpose.pro_pending: "pending", Purpose.pro_available: "available",
            Purpose.pro_payout: "in_payout"}


@dataclass(frozen=True)
class WalletMove:
    """What one transaction did to a business's wallet: where the money came from and went,
    and the change to each of its balances (+ credited, − taken), so the lines of each
    column add up to that balance."""

    source: Place
    destination: Place
    pending: Decimal = ZERO
    available: Decimal = ZERO
    in_payout: Decimal = ZERO


def wallet_move(kind: TxKind, entries: dict[Purpose, Decimal]) -> WalletMove:
    """The move of a transaction of `kind` whose entries on the business's accounts sum, per
    account, to `entries` (ledger signs: a credit is negative, i.e. money owed to it)."""
    source, destination = MOVES[kind]
    changes = {_COLUMNS[purpose]: owed(total) for purpose, total in entries.items()
               if purpose in _COLUMNS}
    return WalletMove(source=source, destination=destination, **changes)


def owed(entries_sum: Decimal) -> Decimal:
    """What an account owes its holder, from the sum of its entries (credits are negative)."""
    return -entries_sum if entries_sum else ZERO
