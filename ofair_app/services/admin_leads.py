"""Leads for admins (issue 18 point 2): every lead, narrowed by status, type, category, city,
days, owner and performer, newest first in cursor pages; one lead whole: its client's
details (each read by an admin is logged, as every reveal is), its history, its proposals,
its payment and its dispute; moderation: an admin hides a lead from the board with a reason
(its owner is told) and restores it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pydantic import AwareDatetime
from sqlmodel import Session, col, or_, select

from ofair_app.db.engine import Caller
from ofair_app.domain import identity
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import Conflict, InvalidInput
from ofair_app.domain.leads import LeadStatus, LeadType
from ofair_app.domain.tax import ISRAEL
from ofair_app.models import (
    Dispute,
    Lead,
    LeadEvent,
    Payment,
    Professional,
    Proposal,
)
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import audit, leads, notifications, proposals, users
from ofair_app.services.leads import ClientDetails


class NotOnBoard(Conflict):
    """Only an open lead is on the board, so only an open lead is hidden from it."""

    code, message_key = "lead_not_open", "errors.admin.hide_not_open"


LEADS_CURSOR = CursorCodec("admin-leads", tuple[AwareDatetime, uuid.UUID])
PAGE_MAX = 100


@dataclass(frozen=True)
class LeadQuery:
    status: str = ""
    type: str = ""
    category: str = ""
    locality_id: int | None = None
    since: date | None = None
    until: date | None = None
    owner: str = ""  # the owner: a user id, phone or e-mail
    performer: str = ""  # the performing business: its id or business number
    hidden: bool | None = None  # only hidden leads (True), only shown ones (False)


@dataclass(frozen=True)
class LeadWhole:
    lead: Lead
    client: ClientDetails | None
    events: list[LeadEvent]
    proposals: list[Proposal]
    payment: Payment | None
    dispute: Dispute | None


def _checked(query: LeadQuery) -> None:
    problems = {}
    if query.status and query.status not in {s.value for s in LeadStatus}:
        problems["status"] = "errors.field.choice"
    if query.type and query.type not in {t.value for t in LeadType}:
        problems["type"] = "errors.field.choice"
    if query.since and query.until and query.since > query.until:
        problems["until"] = "errors.field.until_before_since"
    if problems:
        raise InvalidInput(fields=problems)


def search(*, session: Session, caller: Caller, query: LeadQuery, cursor: str | None = None,
           limit: int = 25) -> tuple[list[Lead], str | None]:
    """Leads, newest first, narrowed by `query` (admins only: 403). An owner or performer
    nobody is finds nothing; a malformed one is a 422 on its field."""
    users.require_admin(caller)
    _checked(query)
    limit = max(1, min(limit, PAGE_MAX))
    wanted = select(Lead)
    if query.status:
        wanted = wanted.where(Lead.status == query.status)
    if query.type:
        wanted = wanted.where(Lead.type == query.type)
    if query.category:
        wanted = wanted.where(Lead.category_slug == query.category)
    if query.locality_id is not None:
        wanted = wanted.where(Lead.locality_id == query.locality_id)
    if query.since:
        wanted = wanted.where(col(Lead.created_at)
                              >= datetime.combine(query.since, time(), tzinfo=ISRAEL))
    if query.until:
        wanted = wanted.where(col(Lead.created_at) < datetime.combine(
            query.until + timedelta(days=1), time(), tzinfo=ISRAEL))
    if query.hidden is not None:
        wanted = wanted.where(col(Lead.hidden_at).is_not(None) if query.hidden
                              else col(Lead.hidden_at).is_(None))
    if query.owner.strip():
        owner = users.find_user_id(session=session, who=query.owner.strip())
        if owner is None:
            return [], None
        wanted = wanted.where(Lead.owner_user_id == owner)
    if query.performer.strip():
        business = _business(session, query.performer.strip())
        if business is None:
            return [], None
        wanted = wanted.where(Lead.performer_professional_id == business)
    if cursor:
        at, last = LEADS_CURSOR.decode(cursor)
        wanted = wanted.where(or_(col(Lead.created_at) < at,
                                  (col(Lead.created_at) == at) & (col(Lead.id) < last)))
    rows = list(session.exec(wanted.order_by(col(Lead.created_at).desc(), col(Lead.id).desc())
                             .limit(limit + 1)).all())
    page = rows[:limit]
    return page, (LEADS_CURSOR.encode((page[-1].created_at, page[-1].id))
                  if len(rows) > limit else None)


def _business(session: Session, who: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(who)
    except ValueError:
        pass
    if not who.isdigit() or len(who) > 9:
        raise InvalidInput(fields={"performer": "errors.field.business_id"})
    return session.exec(select(Professional.id).where(Professional.business_id == who)).first()


def whole(*, session: Session, caller: Caller, lead_id: uuid.UUID, ip: str = "",
          user_agent: str = "", with_client: bool = True) -> LeadWhole:
    """One lead as an admin reviews it. Its client's details (unless `with_client` is off:
    the page asks for them apart) are read through the same door as every reveal, so this
    read is logged (contact_access_logs, reason "admin")."""
    users.require_admin(caller)
    lead = leads.find_lead(session, lead_id)
    client = leads.reveal_contact(session=session, caller=caller, lead_id=lead_id, ip=ip,
                                  user_agent=user_agent) if with_client else None
    events = list(session.exec(select(LeadEvent).where(LeadEvent.lead_id == lead_id)
                               .order_by(col(LeadEvent.created_at))).all())
    proposals = list(session.exec(select(Proposal).where(Proposal.lead_id == lead_id)
                                  .order_by(col(Proposal.created_at))).all())
    payment = session.exec(select(Payment).where(Payment.lead_id == lead_id)
                           .order_by(col(Payment.created_at).desc())).first()
    dispute = session.exec(select(Dispute).where(Dispute.lead_id == lead_id)
                           .order_by(col(Dispute.created_at).desc())).first()
    return LeadWhole(lead=lead, client=client, events=events, proposals=proposals,
                     payment=payment, dispute=dispute)


# --- moderation ----------------------------------------------------------------------------


def _moderated(lead: Lead) -> dict[str, object]:
    return {"hidden_at": lead.hidden_at, "hidden_reason": lead.hidden_reason,
            "hidden_by": lead.hidden_by}


def _tell_owner(session: Session, caller: Caller, lead: Lead, template: str,
                reason: str) -> None:
    """The lead's owner hears of it: its author for a request, the business's owners for a
    pro lead."""
    params = {"lead_title": proposals.short_title(lead), "reason": reason,
              "lead_url": proposals.lead_url_for_owner(lead)}
    if lead.owner_professional_id is not None:
        notifications.tell(session=session, caller=caller, template=template, params=params,
                           businesses=[lead.owner_professional_id])
    else:
        notifications.tell(session=session, caller=caller, template=template, params=params,
                           users=[lead.owner_user_id])


def hide(*, session: Session, caller: Caller, lead_id: uuid.UUID, reason: str,
         ip: str = "") -> Lead:
    """Take an open lead off the board (admins only). While hidden nobody may propose on it,
    refer it or award it; its owner may still edit or cancel it. Its owner is told why.
    Hiding a hidden lead again changes nothing and writes nothing."""
    users.require_admin(caller)
    note = identity.clean_text(reason, field="reason", min_length=5, max_length=500,
                               multiline=True)
    lead = leads.find_lead(session, lead_id, lock=True)
    if lead.hidden_at is not None:
        return lead
    if lead.status != LeadStatus.active:
        raise NotOnBoard(params={"status": str(lead.status)})
    before = _moderated(lead)
    lead.hidden_at, lead.hidden_reason, lead.hidden_by = utcnow(), note, caller.user_id
    session.add(lead)
    session.flush()
    audit.change(session=session, caller=caller, action="lead.hide", subject_type="lead",
                 subject_id=lead.id, ip=ip, before=before, after=_moderated(lead), reason=note)
    _tell_owner(session, caller, lead, "lead_hidden", note)
    logs.action("lead", lead.id, "lead hidden from the board")
    session.refresh(lead)
    return lead


def restore(*, session: Session, caller: Caller, lead_id: uuid.UUID, reason: str,
            ip: str = "") -> Lead:
    """Put a hidden lead back (on the board again if it is still open); its owner is told.
    Restoring a lead that is not hidden changes nothing."""
    users.require_admin(caller)
    note = identity.clean_text(reason, field="reason", min_length=5, max_length=500,
                               multiline=True)
    lead = leads.find_lead(session, lead_id, lock=True)
    if lead.hidden_at is None:
        return lead
    before = _moderated(lead)
    lead.hidden_at = lead.hidden_reason = lead.hidden_by = None
    session.add(lead)
    session.flush()
    audit.change(session=session, caller=caller, action="lead.restore", subject_type="lead",
                 subject_id=lead.id, ip=ip, before=before, after=_moderated(lead), reason=note)
    _tell_owner(session, caller, lead, "lead_restored", note)
    logs.action("lead", lead.id, "lead restored to the board")
    session.refresh(lead)
    return lead
