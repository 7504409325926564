"""Which steps the caller may take on a lead, and the winner's contact card for its owner.

`for_viewer` is the one place that turns "who is asking, and how does the lead stand" into the
caller's role and allowed actions (`domain/lead_actions.py` holds the rules): every lead page
renders from it, and the use cases that differ by party (paying, sending the payment link,
seeing the winner) refuse through it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, col, select

from ofair_app.db.engine import Caller
from ofair_app.domain import lead_actions as rules
from ofair_app.domain import payments as pay_rules
from ofair_app.domain.errors import NotFound
from ofair_app.domain.lead_actions import LeadAction, LeadSituation, ViewerActions
from ofair_app.domain.proposals import ProposalStatus
from ofair_app.models import (
    AccessReason,
    Lead,
    Payment,
    PerformerContactReveal,
    Professional,
    Proposal,
)
from ofair_app.services import leads as lead_service
from ofair_app.services import ledger, users
from ofair_app.services.plans import current_plan
from ofair_app.settings import get_settings


@dataclass(frozen=True)
class PerformerContact:
    """The winner as the lead's owner reaches it: its business and the phone of the member
    who sent the winning proposal."""

    professional_id: uuid.UUID
    business_name: str
    phone: str


def _my_proposal(session: Session, caller: Caller, lead: Lead) -> ProposalStatus | None:
    """The latest proposal on the lead by one of the caller's businesses (RLS shows a business
    only its own, and the owner all: the owner never asks)."""
    if not caller.professional_ids:
        return None
    status = session.exec(select(Proposal.status).where(
        Proposal.lead_id == lead.id, col(Proposal.professional_id).in_(caller.professional_ids))
        .order_by(col(Proposal.created_at).desc())).first()
    return ProposalStatus(status) if status is not None else None


def _money_held(session: Session, lead: Lead) -> tuple[bool, bool]:
    """(a payment holds the job's money, that money was released)."""
    payment = session.exec(select(Payment).where(
        Payment.lead_id == lead.id, col(Payment.status).in_(list(pay_rules.PAID)))
        .order_by(col(Payment.created_at).desc())).first()
    if payment is None:
        return False, False
    return True, ledger.was_released(session, payment.id)


def _plan(session: Session, lead: Lead) -> str | None:
    """Whether the job has a milestone plan: "proposed", "agreed", or None (read as the
    caller: only its two sides and admins see a plan, and only they have steps it changes)."""
    if lead.performer_professional_id is None:
        return None
    found = session.exec(current_plan(lead.id)).first()
    if found is None:
        return None
    return "agreed" if found.agreed_at is not None else "proposed"


def actions_on(session: Session, caller: Caller, lead: Lead) -> ViewerActions:
    """`for_viewer` for a lead already read (or locked) in this transaction."""
    relation = lead_service.relation_to(lead, caller)
    my_proposal = (None if relation == AccessReason.owner
                   else _my_proposal(session, caller, lead))
    role = rules.viewer_role(
        owns=relation == AccessReason.owner, lead_type=lead.type,
        performs=relation == AccessReason.performer,
        proposed=my_proposal is not None, is_admin=caller.role == "admin")
    paid, released = _money_held(session, lead)
    return rules.actions_for(role, LeadSituation(
        lead_type=lead.type, status=lead.status, my_proposal=my_proposal, paid=paid,
        released=released, b2b=get_settings().settlement_mode == "b2b",
        hidden=lead.hidden_at is not None, plan=_plan(session, lead)))


def for_viewer(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> ViewerActions:
    """The caller's role on the lead and the steps open to them now. Anyone who may see the
    lead may ask (anonymous callers are visitors); a lead they may not see is 404."""
    return actions_on(session, caller, lead_service.find_lead(session, lead_id))


def require_action(session: Session, caller: Caller, lead: Lead, action: LeadAction) -> None:
    """Refuse (403 `not_your_step`) a step that is not the caller's on this lead now."""
    rules.require(actions_on(session, caller, lead), action)


def reveal_performer(*, session: Session, caller: Caller, lead_id: uuid.UUID, ip: str = "",
                     user_agent: str = "") -> PerformerContact:
    """The winner's contact card, for the lead's owner (and admins) while an award stands.
    Every showing is logged in `performer_contact_reveals`; anyone else gets 403 and nothing
    is written."""
    user_id = users.require_user(caller)
    lead = lead_service.find_lead(session, lead_id)
    viewer = actions_on(session, caller, lead)
    rules.require(viewer, LeadAction.view_performer)
    proposal = session.exec(select(Proposal).where(
        Proposal.lead_id == lead.id, Proposal.status == ProposalStatus.accepted,
        Proposal.professional_id == lead.performer_professional_id)).first()
    business = (session.get(Professional, lead.performer_professional_id)
                if lead.performer_professional_id else None)
    phone = session.execute(text("SELECT lead_performer_phone(:lid)"),
                            {"lid": lead.id}).scalar_one_or_none()
    if proposal is None or business is None:
        raise NotFound("errors.lead.no_performer", code="no_performer")
    session.add(PerformerContactReveal(
        lead_id=lead.id, professional_id=business.id, proposal_id=proposal.id,
        user_id=user_id, reason="owner" if viewer.role in rules.OWNERS else "admin",
        ip=ip[:64], user_agent=user_agent[:200]))
    session.flush()
    return PerformerContact(professional_id=business.id, business_name=business.business_name,
                            phone=phone or "")
