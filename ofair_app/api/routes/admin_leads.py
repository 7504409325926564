"""Leads for admins (issue 18 point 2): every lead narrowed by status, type, category, city,
days, owner and performer, in cursor pages; one lead whole, its client's details included
(each such read is logged as a reveal); hiding a lead from the board with a reason, and
restoring it (both audited, the owner told)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from ofair_app.api.deps import AdminCaller, ClientIp, RequestLocale
from ofair_app.api.openapi import errors
from ofair_app.api.routes.admin_users import ReasonIn
from ofair_app.api.routes.leads import ClientOut, LeadOut, view_out
from ofair_app.api.routes.payments import DisputeOut, PaymentOut
from ofair_app.api.routes.proposals import ProposalOut
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.leads import LeadStatus, LeadType
from ofair_app.models import AccessReason
from ofair_app.services import admin_leads
from ofair_app.services.leads import LeadView

router = APIRouter(route_class=ExactJsonRoute)


class LeadEventOut(BaseModel):
    event: str
    actor_user_id: uuid.UUID
    professional_id: uuid.UUID | None
    proposal_id: uuid.UUID | None
    created_at: datetime | None


class AdminLeadOut(BaseModel):
    lead: LeadOut
    owner_user_id: uuid.UUID
    performer_professional_id: uuid.UUID | None
    client: ClientOut | None
    history: list[LeadEventOut]
    proposals: list[ProposalOut]
    payment: PaymentOut | None
    dispute: DisputeOut | None
    hidden_at: datetime | None
    hidden_reason: str | None


Text = Annotated[str, Query(max_length=254)]


@router.get("/admin/leads", response_model=Page[LeadOut], name="leads", tags=["admin"],
            responses=errors(403, 422))
def search_leads(caller: AdminCaller, locale: RequestLocale,
                 status: LeadStatus | None = None, type: LeadType | None = None,
                 category: Annotated[str, Query(max_length=64)] = "",
                 locality_id: Annotated[int | None, Query(ge=1)] = None,
                 since: date | None = None, until: date | None = None,
                 owner: Text = "", performer: Text = "", hidden: bool | None = None,
                 cursor: Annotated[str | None, Query(max_length=512)] = None,
                 limit: Annotated[int, Query(ge=1, le=admin_leads.PAGE_MAX)] = 25,
                 ) -> Page[LeadOut]:
    """Every lead, newest first: `owner` is a user id, phone or e-mail; `performer` a
    business id or number; days are Israel's, both ends included; `hidden` keeps only the
    leads admins hid (true) or only the others (false)."""
    query = admin_leads.LeadQuery(
        status=status.value if status else "", type=type.value if type else "",
        category=category, locality_id=locality_id, since=since, until=until, owner=owner,
        performer=performer, hidden=hidden)
    with unit_of_work(caller) as session:
        found, next_cursor = admin_leads.search(session=session, caller=caller, query=query,
                                                cursor=cursor, limit=limit)
        return Page(items=[view_out(session, LeadView(lead=lead, relation=AccessReason.admin,
                                                      client=None), locale)
                           for lead in found], next_cursor=next_cursor)


@router.get("/admin/leads/{lead_id}", response_model=AdminLeadOut, name="lead", tags=["admin"],
            responses=errors(403, 404))
def get_lead(lead_id: uuid.UUID, caller: AdminCaller, locale: RequestLocale, ip: ClientIp,
             request: Request) -> AdminLeadOut:
    """One lead whole: its client's details (this read is logged), history, proposals,
    payment and dispute."""
    with unit_of_work(caller) as session:
        found = admin_leads.whole(session=session, caller=caller, lead_id=lead_id, ip=ip,
                                  user_agent=request.headers.get("user-agent", ""))
        client = found.client
        return AdminLeadOut(
            lead=view_out(session, LeadView(lead=found.lead, relation=AccessReason.admin,
                                            client=None), locale),
            owner_user_id=found.lead.owner_user_id,
            performer_professional_id=found.lead.performer_professional_id,
            client=ClientOut(client_name=client.name, client_phone=client.phone,
                             client_address=client.address,
                             full_description=client.full_description) if client else None,
            history=[LeadEventOut(event=str(e.event), actor_user_id=e.actor_user_id,
                                  professional_id=e.professional_id, proposal_id=e.proposal_id,
                                  created_at=e.created_at) for e in found.events],
            proposals=[ProposalOut.of(p) for p in found.proposals],
            payment=PaymentOut.of(found.payment) if found.payment else None,
            dispute=DisputeOut.of(found.dispute) if found.dispute else None,
            hidden_at=found.lead.hidden_at, hidden_reason=found.lead.hidden_reason)


def _moderated(caller, locale: str, lead_id: uuid.UUID, step) -> LeadOut:
    with unit_of_work(caller) as session:
        lead = step(session)
        return view_out(session, LeadView(lead=lead, relation=AccessReason.admin, client=None),
                        locale)


@router.post("/admin/leads/{lead_id}/hide", response_model=LeadOut, name="hide_lead",
             tags=["admin"], responses=errors(403, 404, 409))
def hide_lead(lead_id: uuid.UUID, body: ReasonIn, caller: AdminCaller, locale: RequestLocale,
              ip: ClientIp) -> LeadOut:
    """Take an open lead off the Lead Board: no offers, referrals or awards until it is
    restored. Its owner is told the reason; audited. Hiding it again changes nothing; a lead
    that is no longer open is a 409."""
    return _moderated(caller, locale, lead_id, lambda session: admin_leads.hide(
        session=session, caller=caller, lead_id=lead_id, reason=body.reason, ip=ip))


@router.post("/admin/leads/{lead_id}/restore", response_model=LeadOut, name="restore_lead",
             tags=["admin"], responses=errors(403, 404))
def restore_lead(lead_id: uuid.UUID, body: ReasonIn, caller: AdminCaller,
                 locale: RequestLocale, ip: ClientIp) -> LeadOut:
    """Put a hidden lead back (on the board, if it is still open); its owner is told;
    audited. Restoring a lead that is not hidden changes nothing."""
    return _moderated(caller, locale, lead_id, lambda session: admin_leads.restore(
        session=session, caller=caller, lead_id=lead_id, reason=body.reason, ip=ip))
