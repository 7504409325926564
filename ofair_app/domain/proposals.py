"""Proposals and referrals (DESIGN.md §3 "Referrals and proposals"): pure rules, no I/O.

A proposal is a business's offer on a lead: pending until the owner accepts one (the others are
rejected), or the proposer withdraws it. The accepted one can still end before payment: the
owner cancels the award, or the winner declines; the lead is open again.

A referral offers a professional lead to one chosen business at the terms of the moment (the
referrer's share is frozen on it). The receiver claims the lead (an accepted proposal at the
lead's budget) or rejects it; unanswered offers expire. Migration 0004 holds the same moves.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ofair_app.domain.errors import Conflict


class ProposalStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"  # another offer won, or the lead closed
    withdrawn = "withdrawn"  # by the proposer, while pending
    declined = "declined"  # the winner gave the job back before payment
    cancelled = "cancelled"  # the owner cancelled the award before payment


class ProposalOrigin(StrEnum):
    proposal = "proposal"  # sent from the lead page
    referral = "referral"  # written when a business claimed a referral


class ReferralStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    expired = "expired"  # not answered in time, or the lead went to someone else
    cancelled = "cancelled"  # withdrawn by the referrer
    referred_on = "referred_on"  # the receiver passed it on to a colleague (a chain)


class Party(StrEnum):
    proposer = "proposer"
    owner = "owner"
    receiver = "receiver"
    referrer = "referrer"


class LeadEventKind(StrEnum):
    proposal_accepted = "proposal_accepted"
    award_cancelled = "award_cancelled"
    award_declined = "award_declined"
    referral_offered = "referral_offered"
    referral_accepted = "referral_accepted"
    referral_rejected = "referral_rejected"
    referral_passed_on = "referral_passed_on"
    price_changed = "price_changed"


P, R = ProposalStatus, ReferralStatus
PROPOSAL_MOVES: dict[Party, frozenset[tuple[ProposalStatus, ProposalStatus]]] = {
    Party.proposer: frozenset({(P.pending, P.withdrawn), (P.accepted, P.declined)}),
    Party.owner: frozenset({(P.pending, P.accepted), (P.pending, P.rejected),
                            (P.accepted, P.cancelled)}),
}
REFERRAL_MOVES: dict[Party, frozenset[tuple[ReferralStatus, ReferralStatus]]] = {
    Party.receiver: frozenset({(R.pending, R.accepted), (R.pending, R.rejected),
                               (R.pending, R.referred_on)}),
    Party.referrer: frozenset({(R.pending, R.cancelled)}),
}
LIVE = frozenset({P.pending, P.accepted})  # at most one per business per lead


class ProposalClosed(Conflict):
    code, message_key = "proposal_not_pending", "errors.proposal.not_pending"


class ReferralClosed(Conflict):
    code, message_key = "referral_not_pending", "errors.referral.not_pending"


def move_proposal(party: Party, current: ProposalStatus | str,
                  target: ProposalStatus) -> ProposalStatus:
    """`target`, if `party` may move a proposal there from `current`; else 409."""
    if (ProposalStatus(current), target) not in PROPOSAL_MOVES.get(party, frozenset()):
        raise ProposalClosed(params={"status": str(current)})
    return target


def move_referral(party: Party, current: ReferralStatus | str,
                  target: ReferralStatus) -> ReferralStatus:
    if (ReferralStatus(current), target) not in REFERRAL_MOVES.get(party, frozenset()):
        raise ReferralClosed(params={"status": str(current)})
    return target


def referral_expires_at(offered_at: datetime, expiry_days: int) -> datetime:
    return offered_at + timedelta(days=expiry_days)


def is_expired(expires_at: datetime, now: datetime) -> bool:
    return expires_at <= now


# --- input rules ---------------------------------------------------------------------------

DESCRIPTION_LENGTH = (5, 2000)
MESSAGE_MAX = 500
PRICE_MIN = Decimal("0.01")
SCHEDULE_DAYS_AHEAD = 366
MAX_ATTACHMENTS = 5
