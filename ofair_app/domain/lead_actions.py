"""Who is looking at a lead, and which next steps are theirs: the one answer every lead page
renders from and every use case checks (pure, no I/O).

A lead has up to three parties and they do different things at the same moment. On a
consumer's request the *client* (its author) chooses, pays and confirms. On a professional
lead the business that posted it is the *referrer*: its client has no account and pays through
a link texted to them, so the referrer sends that link and never sees a card form. The
*performer* is the business whose proposal won; a *proposer* has a proposal that has not won;
anyone else who may see the lead is a *visitor*.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ofair_app.domain.errors import Forbidden
from ofair_app.domain.leads import LeadStatus, LeadType, owner_may_cancel
from ofair_app.domain.proposals import ProposalStatus


class ViewerRole(StrEnum):
    client = "client"  # the consumer who posted the request
    referrer = "referrer"  # the business that posted a professional lead for a colleague
    performer = "performer"  # the business whose proposal won
    proposer = "proposer"  # a business whose proposal has not won (yet)
    admin = "admin"  # the back office, reading
    visitor = "visitor"  # anyone else who may see the lead


class LeadAction(StrEnum):
    propose = "propose"
    withdraw_proposal = "withdraw_proposal"
    choose_proposal = "choose_proposal"
    change_price = "change_price"  # either side of an award, before payment
    cancel_award = "cancel_award"  # the owner takes the award back, before payment
    decline_award = "decline_award"  # the winner gives the job back, before payment
    pay = "pay"  # the client pays at the provider's card form
    send_payment_link = "send_payment_link"  # the referrer has the link texted to its client
    start_work = "start_work"  # b2b mode: the winner starts; its client pays it directly
    mark_done = "mark_done"
    confirm_done = "confirm_done"
    open_dispute = "open_dispute"
    cancel_lead = "cancel_lead"
    refer = "refer"  # offer the lead to a colleague
    view_client = "view_client"  # the client's name, phone and address
    view_performer = "view_performer"  # the winner's contact card


# Statuses in which a winner stands (chosen, and not given back or taken back).
AWARD_STANDS = frozenset({LeadStatus.awarded, LeadStatus.in_progress, LeadStatus.completed,
                          LeadStatus.closed, LeadStatus.disputed})
DISPUTABLE = frozenset({LeadStatus.in_progress, LeadStatus.completed, LeadStatus.closed})
OWNERS = frozenset({ViewerRole.client, ViewerRole.referrer})
PARTIES = OWNERS | {ViewerRole.performer}


@dataclass(frozen=True)
class LeadSituation:
    """What the rules need to know about the lead, as the viewer's relation to it found it."""

    lead_type: LeadType
    status: LeadStatus
    my_proposal: ProposalStatus | None = None  # the viewer's business's latest proposal
    paid: bool = False  # a payment holds the job's money (paid or partly refunded)
    released: bool = False  # that money has been released to the parties
    b2b: bool = False  # b2b settlement: the client pays the performer, not the platform
    hidden: bool = False  # an admin took it off the board: no offers, referrals or awards
    plan: str | None = None  # a milestone plan: "proposed" (not agreed yet) or "agreed"


@dataclass(frozen=True)
class ViewerActions:
    role: ViewerRole
    actions: frozenset[LeadAction]

    def allows(self, action: LeadAction) -> bool:
        return action in self.actions


class NotYourStep(Forbidden):
    code, message_key = "not_your_step", "errors.lead.not_your_step"


def viewer_role(*, owns: bool, lead_type: LeadType | str, performs: bool, proposed: bool,
                is_admin: bool) -> ViewerRole:
    """The viewer's part in the lead, from their relation to it."""
    if owns:
        return (ViewerRole.client if LeadType(lead_type) == LeadType.consumer
                else ViewerRole.referrer)
    if performs:
        return ViewerRole.performer
    if proposed:
        return ViewerRole.proposer
    return ViewerRole.admin if is_admin else ViewerRole.visitor


def payment_step(role: ViewerRole) -> LeadAction | None:
    """How an owner gets the chosen job paid: the client pays at the card form; a referrer's
    client has no account here, so the referrer has the link texted to them. Nobody else
    starts a payment."""
    return {ViewerRole.client: LeadAction.pay,
            ViewerRole.referrer: LeadAction.send_payment_link}.get(role)


def allowed_actions(role: ViewerRole, situation: LeadSituation) -> frozenset[LeadAction]:
    """Every step `role` may take on the lead as it stands now."""
    status, lead_type = LeadStatus(situation.status), LeadType(situation.lead_type)
    allowed: set[LeadAction] = set()
    disputable = (situation.paid and not situation.released and status in DISPUTABLE)
    if role in OWNERS:
        allowed.add(LeadAction.view_client)
        if owner_may_cancel(status):
            allowed.add(LeadAction.cancel_lead)
        if status == LeadStatus.active and not situation.hidden:
            allowed.add(LeadAction.choose_proposal)
            if role == ViewerRole.referrer and lead_type == LeadType.professional_referral:
                allowed.add(LeadAction.refer)
        if status in AWARD_STANDS:
            allowed.add(LeadAction.view_performer)
        if status == LeadStatus.awarded:
            allowed |= {LeadAction.change_price, LeadAction.cancel_award}
            step = payment_step(role)
            if step is not None and not situation.b2b and situation.plan is None:
                allowed.add(step)
        if status == LeadStatus.completed:
            allowed.add(LeadAction.confirm_done)
    elif role == ViewerRole.performer:
        allowed.add(LeadAction.view_client)
        if status == LeadStatus.awarded:
            allowed |= {LeadAction.change_price, LeadAction.decline_award}
            if situation.b2b:  # refused (409) while a milestone plan waits for agreement
                allowed.add(LeadAction.start_work)
        if status == LeadStatus.in_progress and situation.plan is None:
            allowed.add(LeadAction.mark_done)
    elif role == ViewerRole.admin:
        allowed.add(LeadAction.view_client)
        if status in AWARD_STANDS:
            allowed.add(LeadAction.view_performer)
    if role in PARTIES and disputable and situation.plan is None:
        allowed.add(LeadAction.open_dispute)  # a job in milestones: a step at a time
    if situation.plan == "agreed":  # its price is the plan's, and it is paid a step at a time
        allowed -= {LeadAction.change_price, LeadAction.pay, LeadAction.send_payment_link}
    if role in (ViewerRole.proposer, ViewerRole.visitor) and status == LeadStatus.active:
        if situation.my_proposal == ProposalStatus.pending:
            allowed.add(LeadAction.withdraw_proposal)
        elif not situation.hidden:
            allowed.add(LeadAction.propose)
    return frozenset(allowed)


def actions_for(role: ViewerRole, situation: LeadSituation) -> ViewerActions:
    return ViewerActions(role=role, actions=allowed_actions(role, situation))


def require(viewer: ViewerActions, action: LeadAction) -> None:
    """Refuse (403) a step that is not the viewer's to take on this lead now."""
    if not viewer.allows(action):
        raise NotYourStep(params={"action": str(action)})
