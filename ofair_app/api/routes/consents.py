"""`/users/me/consents` and `/unsubscribe`: the privacy notice, the terms and marketing."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from ofair_app.api.deps import CurrentCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.db.engine import SYSTEM, unit_of_work
from ofair_app.domain.consent import Acceptance, ConsentChannel
from ofair_app.domain.inputs import PlainText
from ofair_app.services import consents

router = APIRouter(route_class=ExactJsonRoute)


class DocumentOut(BaseModel):
    current_version: str
    accepted_version: str | None
    accepted_at: datetime | None
    needs_acceptance: bool


class ConsentsOut(BaseModel):
    privacy_notice: DocumentOut
    terms: DocumentOut
    marketing: bool
    marketing_at: datetime | None

    @classmethod
    def of(cls, status: consents.ConsentStatus) -> ConsentsOut:
        def document(doc: consents.DocumentStatus) -> DocumentOut:
            return DocumentOut(current_version=doc.current_version,
                               accepted_version=doc.accepted_version,
                               accepted_at=doc.accepted_at,
                               needs_acceptance=doc.needs_acceptance)
        return cls(privacy_notice=document(status.privacy_notice), terms=document(status.terms),
                   marketing=status.marketing, marketing_at=status.marketing_at)


class ConsentsIn(BaseModel):
    privacy_notice_version: PlainText | None = Field(
        default=None, max_length=32,
        description="The version of the privacy notice the person acknowledged (the current one).")
    accept_terms_version: PlainText | None = Field(
        default=None, max_length=32,
        description="The version of the terms of service the person accepted (the current one).")
    marketing: bool | None = Field(
        default=None, description="true: opt in to marketing messages; false: withdraw.")


class UnsubscribeIn(BaseModel):
    token: PlainText = Field(max_length=100)


@router.get("/users/me/consents", response_model=ConsentsOut,
            name="get_consents", tags=["users"], responses=errors(403))
def get_consents(caller: CurrentCaller) -> ConsentsOut:
    """The caller's answers: which versions of the privacy notice and the terms they
    acknowledged (`needs_acceptance` when the current one is not among them), and marketing."""
    with unit_of_work(caller) as session:
        return ConsentsOut.of(consents.status(session=session, caller=caller))


@router.put("/users/me/consents", response_model=ConsentsOut,
            name="update_consents", tags=["users"], responses=errors(403))
def put_consents(body: ConsentsIn, caller: CurrentCaller) -> ConsentsOut:
    """Acknowledge the current privacy notice and/or accept the current terms (422
    `consent_required` naming the current versions if another is given), and opt in to or
    withdraw from marketing. Each change is recorded with its version and time."""
    acceptance = Acceptance(privacy_notice_version=body.privacy_notice_version,
                            terms_version=body.accept_terms_version, marketing=body.marketing)
    with unit_of_work(caller) as session:
        return ConsentsOut.of(consents.record(session=session, caller=caller,
                                              acceptance=acceptance,
                                              channel=ConsentChannel.api))


@router.post("/unsubscribe", status_code=204,
             name="unsubscribe", tags=["users"])
def unsubscribe(body: UnsubscribeIn) -> Response:
    """Stop marketing messages with the token of the link in one (no login needed). 422
    `unsubscribe_link_invalid` or `unsubscribe_link_expired`. Clicking twice is harmless."""
    with unit_of_work(SYSTEM) as session:
        consents.unsubscribe(session=session, token=body.token, channel=ConsentChannel.api)
    return Response(status_code=204)
