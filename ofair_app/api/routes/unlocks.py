"""Unlocking direct-contact leads: an owner pays to see the client, a business claims a fair
refund, the client answers the claim's link, admins decide the rest."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from ofair_app.api.deps import AdminCaller, CurrentCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.db.engine import unit_of_work
from ofair_app.models import (
    ClaimDecision,
    ClaimStatus,
    ClientAnswer,
    LeadUnlock,
    RefundClaimCreate,
    UnlockCreate,
    UnlockRefundClaim,
)
from ofair_app.services import unlocks

router = APIRouter(route_class=ExactJsonRoute)

Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class UnlockOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    professional_id: uuid.UUID
    pay_with: str = Field(description="card (the default saved card) or balance")
    status: str = Field(description="started (the card's answer is awaited), succeeded,"
                                    " declined or refunded")
    price_before_vat: Decimal
    vat: Decimal
    amount: Decimal
    unlocked_at: datetime | None
    tax_document_id: uuid.UUID | None

    @classmethod
    def of(cls, row: LeadUnlock) -> UnlockOut:
        return cls(id=row.id, lead_id=row.lead_id, professional_id=row.professional_id,
                   pay_with=str(row.pay_with), status=str(row.status),
                   price_before_vat=row.price, vat=row.vat, amount=row.amount,
                   unlocked_at=row.unlocked_at, tax_document_id=row.tax_document_id)


class ClaimOut(BaseModel):
    id: uuid.UUID
    unlock_id: uuid.UUID
    lead_id: uuid.UUID
    professional_id: uuid.UUID
    reason: str
    note: str
    status: str = Field(description="open (the client's answer or an admin awaited),"
                                    " approved (the refund is on its way), refunded, rejected")
    decided_how: str | None = Field(description="number_invalid, duplicate, client_confirmed"
                                                " or admin")
    decision_note: str
    client_answer: str | None
    created_at: datetime | None
    decided_at: datetime | None

    @classmethod
    def of(cls, claim: UnlockRefundClaim) -> ClaimOut:
        return cls(id=claim.id, unlock_id=claim.unlock_id, lead_id=claim.lead_id,
                   professional_id=claim.professional_id, reason=str(claim.reason),
                   note=claim.note, status=str(claim.status), decided_how=claim.decided_how,
                   decision_note=claim.decision_note, client_answer=claim.client_answer,
                   created_at=claim.created_at, decided_at=claim.decided_at)


class UnlockViewOut(BaseModel):
    """An unlock with its lead, its business and its claim."""

    id: uuid.UUID
    lead_id: uuid.UUID
    lead_title: str
    professional_id: uuid.UUID
    business_name: str
    pay_with: str
    status: str
    amount: Decimal
    unlocked_at: datetime | None
    refunded_at: datetime | None
    claim_until: datetime | None = Field(description="a refund may be claimed until then")
    claim: ClaimOut | None
    tax_document_id: uuid.UUID | None
    refund_document_id: uuid.UUID | None

    @classmethod
    def of(cls, view: unlocks.UnlockView, *, full: bool = True) -> UnlockViewOut:
        return cls(id=view.id, lead_id=view.lead_id, lead_title=view.lead_title,
                   professional_id=view.professional_id, business_name=view.business_name,
                   pay_with=view.pay_with if full else "", status=view.status,
                   amount=view.amount if full else Decimal("0"),
                   unlocked_at=view.unlocked_at, refunded_at=view.refunded_at,
                   claim_until=view.claim_until,
                   claim=ClaimOut.of(view.claim) if view.claim is not None else None,
                   tax_document_id=view.tax_document_id if full else None,
                   refund_document_id=view.refund_document_id if full else None)


class ClientCheckOut(BaseModel):
    lead_title: str
    business_name: str
    answer: str | None
    open: bool


class ClaimQueueOut(BaseModel):
    claim: ClaimOut
    lead_title: str
    business_name: str
    amount: Decimal
    pay_with: str
    unlocked_at: datetime | None
    number_in_service: bool = Field(description="the platform's own check of the number")
    had_before: bool = Field(description="the business had a lead of this client before")


@router.post("/leads/{lead_id}/unlock", response_model=UnlockOut, name="unlock",
             tags=["unlocks"], responses=errors(402, 403, 404, 409, 503))
def unlock(lead_id: uuid.UUID, body: UnlockCreate, caller: CurrentCaller) -> UnlockOut:
    """An owner unlocks a direct-contact lead's client for their business, paying with its
    default saved card or its available balance. Unlocking again returns the same unlock,
    nothing charged. 409 `not_direct_contact`, `own_lead`, `unlock_closed`, `no_places_left`,
    `no_card` or `insufficient_funds`; 402 `card_declined`; 503 when the provider did not
    answer (try again: the same charge is resent, never twice)."""
    return UnlockOut.of(unlocks.unlock(caller=caller, lead_id=lead_id, data=body))


@router.get("/leads/{lead_id}/unlocks", response_model=list[UnlockViewOut], name="lead_unlocks",
            tags=["unlocks"], responses=errors(404))
def lead_unlocks(lead_id: uuid.UUID, caller: CurrentCaller) -> list[UnlockViewOut]:
    """Who unlocked the lead: its owner sees each business and when; a business sees its
    own unlock; admins see all."""
    with unit_of_work(caller) as session:
        views = unlocks.for_lead(session=session, caller=caller, lead_id=lead_id)
        return [UnlockViewOut.of(v, full=caller.role == "admin"
                                 or v.professional_id in caller.professional_ids)
                for v in views]


@router.get("/unlocks", response_model=list[UnlockViewOut], name="list", tags=["unlocks"],
            responses=errors(403, 404, 422))
def business_unlocks(caller: CurrentCaller,
                     professional_id: uuid.UUID | None = None) -> list[UnlockViewOut]:
    """The unlocks a business paid for, newest first, each with its refund claim."""
    with unit_of_work(caller) as session:
        return [UnlockViewOut.of(v) for v in unlocks.for_business(
            session=session, caller=caller, professional_id=professional_id)]


@router.post("/unlocks/{unlock_id}/refund-claim", status_code=201, response_model=ClaimOut,
             name="claim_refund", tags=["unlocks"], responses=errors(404, 409))
def claim_refund(unlock_id: uuid.UUID, body: RefundClaimCreate,
                 caller: CurrentCaller) -> ClaimOut:
    """A member claims the unlock's money back for a bad contact, within the refund window
    (UNLOCK_REFUND_DAYS). Refunded at once when the number fails validation or the business
    already had the client; for `never_asked` the client gets a link to confirm; otherwise
    an admin decides. 409 `already_claimed`, `claim_window_closed`, `not_refundable`."""
    return ClaimOut.of(unlocks.claim_refund(caller=caller, unlock_id=unlock_id, data=body))


@router.get("/unlock-checks/{token}", response_model=ClientCheckOut, name="client_check",
            tags=["unlocks"], responses=errors(404))
def client_check(token: Token) -> ClientCheckOut:
    """The client's link (no account needed): the job and the business that claims they
    never asked."""
    check = unlocks.client_check(token)
    return ClientCheckOut(lead_title=check.lead_title, business_name=check.business_name,
                          answer=check.answer, open=check.open)


@router.post("/unlock-checks/{token}", response_model=ClientCheckOut, name="client_answer",
             tags=["unlocks"], responses=errors(404))
def client_answer(token: Token, body: ClientAnswer) -> ClientCheckOut:
    """The client answers once: `never_asked` refunds the business, `asked` leaves the claim
    to an admin."""
    check = unlocks.client_answer(token, body)
    return ClientCheckOut(lead_title=check.lead_title, business_name=check.business_name,
                          answer=check.answer, open=check.open)


@router.get("/admin/unlock-claims", response_model=list[ClaimQueueOut], name="admin_claims",
            tags=["admin"], responses=errors(403, 422))
def admin_claims(caller: AdminCaller,
                 status: ClaimStatus | None = Query(default=ClaimStatus.open)
                 ) -> list[ClaimQueueOut]:
    """Refund claims to decide (open ones by default, oldest first), with the platform's own
    checks of the number and of an earlier lead of the same client."""
    with unit_of_work(caller) as session:
        rows = unlocks.queue(session=session, caller=caller,
                             status=str(status) if status else None)
        return [ClaimQueueOut(claim=ClaimOut.of(r.claim), lead_title=r.lead_title,
                              business_name=r.business_name, amount=r.amount,
                              pay_with=r.pay_with, unlocked_at=r.unlocked_at,
                              number_in_service=r.number_in_service, had_before=r.had_before)
                for r in rows]


@router.post("/admin/unlock-claims/{claim_id}/decide", response_model=ClaimOut,
             name="admin_decide_claim", tags=["admin"], responses=errors(403, 404, 409))
def decide(claim_id: uuid.UUID, body: ClaimDecision, caller: AdminCaller) -> ClaimOut:
    """An admin refunds the claim (to the card or the balance it was paid from) or rejects
    it with a reason the business reads. Audited."""
    return ClaimOut.of(unlocks.decide(caller=caller, claim_id=claim_id, data=body))
