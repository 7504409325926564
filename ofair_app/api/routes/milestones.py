"""Projects in milestones: a lead's plan (`/leads/{id}/milestones`: read, propose, agree,
withdraw), each step said done and approved (`/milestones/{id}/submit|approve`), and the
performer's progress updates with photos (`/milestones/{id}/updates`,
`/milestone-updates/{id}/photos`, `/milestone-photos/{id}/link`). A step is paid through
`POST /payments/initiate` with its `milestone_id`, and disputed through
`POST /leads/{id}/disputes` with it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ofair_app.api.deps import CurrentCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routes.professionals import MAX_UPLOAD_READ, LinkOut
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.db.engine import unit_of_work
from ofair_app.domain import milestones as rules
from ofair_app.domain.inputs import MultilineText
from ofair_app.domain.milestones import MilestoneStatus, Side
from ofair_app.models._base import Money
from ofair_app.services import milestones
from ofair_app.services.milestones import PlanView

router = APIRouter(route_class=ExactJsonRoute)


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=400, description="What this step delivers.")
    amount: Money = Field(description="Shekels, at most two decimals.")
    due_on: date = Field(description="Israel's date; steps in order.")


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    milestones: list[StepIn] = Field(
        min_length=1, max_length=rules.STEPS_RANGE[1],
        description=f"{rules.STEPS_RANGE[0]} to {rules.STEPS_RANGE[1]} steps whose amounts "
                    "add up exactly to the accepted offer's price.")


class PhotoOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int


class UpdateOut(BaseModel):
    id: uuid.UUID
    milestone_id: uuid.UUID
    body: str
    created_at: datetime | None
    photos: list[PhotoOut]


class StepOut(BaseModel):
    id: uuid.UUID
    position: int
    title: str
    amount: Decimal
    due_on: date
    status: MilestoneStatus
    submitted_at: datetime | None
    approved_at: datetime | None
    payment_status: str | None = Field(description="Its latest payment's (escrow mode).")
    checkout_url: str | None = Field(description="While its payment waits for the client.")
    released: bool = Field(description="Its money went out to the parties.")
    updates: list[UpdateOut]


class PlanOut(BaseModel):
    lead_id: uuid.UUID
    proposal_id: uuid.UUID
    proposed_side: Side
    proposed_at: datetime | None
    agreed_at: datetime | None
    your_side: Side | None = Field(description="Null for an admin.")
    may_agree: bool = Field(description="The caller is the side asked to agree.")
    total: Decimal
    milestones: list[StepOut]

    @classmethod
    def of(cls, view: PlanView) -> PlanOut:
        plan = view.plan
        return cls(
            lead_id=plan.lead_id, proposal_id=plan.proposal_id,
            proposed_side=Side(plan.proposed_side), proposed_at=plan.proposed_at,
            agreed_at=plan.agreed_at, your_side=view.side, may_agree=view.may_agree,
            total=view.total,
            milestones=[StepOut(
                id=s.milestone.id, position=s.milestone.position, title=s.milestone.title,
                amount=s.milestone.amount, due_on=s.milestone.due_on,
                status=MilestoneStatus(s.milestone.status),
                submitted_at=s.milestone.submitted_at, approved_at=s.milestone.approved_at,
                payment_status=s.payment_status, checkout_url=s.checkout_url,
                released=s.released,
                updates=[_update_out(u, photos) for u, photos in s.updates])
                for s in view.steps])


def _update_out(update, photos) -> UpdateOut:
    return UpdateOut(id=update.id, milestone_id=update.milestone_id, body=update.body,
                     created_at=update.created_at,
                     photos=[PhotoOut(id=p.id, filename=p.filename, content_type=p.content_type,
                                      size_bytes=p.size_bytes) for p in photos])


class StepChangedOut(BaseModel):
    id: uuid.UUID
    status: MilestoneStatus
    submitted_at: datetime | None
    approved_at: datetime | None


class UpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: MultilineText = Field(max_length=4000, description="How the step is going.")


def _plan_out(view: PlanView | None) -> PlanOut:
    if view is None:
        from ofair_app.domain.errors import NotFound

        raise NotFound("errors.milestone.no_plan")
    return PlanOut.of(view)


@router.get("/leads/{lead_id}/milestones", response_model=PlanOut, name="get_plan",
            tags=["milestones"], responses=errors(403, 404))
def get_plan(lead_id: uuid.UUID, caller: CurrentCaller) -> PlanOut:
    """The lead's milestone plan with each step's payment and updates, for the job's two sides
    and admins (404 while there is none)."""
    with unit_of_work(caller) as session:
        return _plan_out(milestones.view(session=session, caller=caller, lead_id=lead_id))


@router.put("/leads/{lead_id}/milestones", response_model=PlanOut, name="propose_plan",
            tags=["milestones"], responses=errors(403, 404, 409))
def propose_plan(lead_id: uuid.UUID, body: PlanIn, caller: CurrentCaller) -> PlanOut:
    """Either side of an award proposes the steps, before anything is paid (replacing a
    proposal not yet agreed); 409 once agreed or paid."""
    steps = [{"title": s.title, "amount": s.amount, "due_on": s.due_on}
             for s in body.milestones]
    with unit_of_work(caller) as session:
        return _plan_out(milestones.propose(session=session, caller=caller, lead_id=lead_id,
                                            steps=steps))


@router.post("/leads/{lead_id}/milestones/agree", response_model=PlanOut, name="agree_plan",
             tags=["milestones"], responses=errors(403, 404, 409))
def agree_plan(lead_id: uuid.UUID, caller: CurrentCaller) -> PlanOut:
    """The side that did not propose the plan agrees: the job is paid, done and approved a
    step at a time from now on."""
    with unit_of_work(caller) as session:
        return _plan_out(milestones.agree(session=session, caller=caller, lead_id=lead_id))


@router.delete("/leads/{lead_id}/milestones", status_code=204, name="withdraw_plan",
               tags=["milestones"], responses=errors(403, 404, 409))
def withdraw_plan(lead_id: uuid.UUID, caller: CurrentCaller) -> None:
    """Either side drops a plan not yet agreed (the job is then paid in one go)."""
    with unit_of_work(caller) as session:
        milestones.withdraw(session=session, caller=caller, lead_id=lead_id)


def _changed(step) -> StepChangedOut:
    return StepChangedOut(id=step.id, status=MilestoneStatus(step.status),
                          submitted_at=step.submitted_at, approved_at=step.approved_at)


@router.post("/milestones/{milestone_id}/submit", response_model=StepChangedOut,
             name="submit", tags=["milestones"], responses=errors(403, 404, 409))
def submit(milestone_id: uuid.UUID, caller: CurrentCaller) -> StepChangedOut:
    """The performer says the step is done (paid first, in escrow mode); the owner is asked
    to approve it."""
    with unit_of_work(caller) as session:
        return _changed(milestones.submit(session=session, caller=caller,
                                          milestone_id=milestone_id))


@router.post("/milestones/{milestone_id}/approve", response_model=StepChangedOut,
             name="approve", tags=["milestones"], responses=errors(403, 404, 409))
def approve(milestone_id: uuid.UUID, caller: CurrentCaller) -> StepChangedOut:
    """The owner approves the step: its money is released after the hold period (escrow) or
    its commission recorded (b2b); the last one closes the job."""
    with unit_of_work(caller) as session:
        return _changed(milestones.approve(session=session, caller=caller,
                                           milestone_id=milestone_id))


@router.post("/milestones/{milestone_id}/updates", status_code=201, response_model=UpdateOut,
             name="add_update", tags=["milestones"], responses=errors(403, 404, 409))
def add_update(milestone_id: uuid.UUID, body: UpdateIn, caller: CurrentCaller) -> UpdateOut:
    """The performer's progress note on a step (photos follow, one request each)."""
    with unit_of_work(caller) as session:
        return _update_out(milestones.add_update(session=session, caller=caller,
                                                 milestone_id=milestone_id, body=body.body), [])


@router.post("/milestone-updates/{update_id}/photos", status_code=201, response_model=PhotoOut,
             name="add_photo", tags=["milestones"], responses=errors(403, 404, 409))
async def add_photo(
    update_id: uuid.UUID,
    caller: CurrentCaller,
    file: Annotated[UploadFile, File(description="JPEG or PNG, at most 10 MB")],
) -> PhotoOut:
    """A photo on the caller's own progress update (multipart), up to four an update."""
    data = await file.read(MAX_UPLOAD_READ)
    filename = file.filename or ""

    def store() -> PhotoOut:
        with unit_of_work(caller) as session:
            photo = milestones.add_photo(session=session, caller=caller, update_id=update_id,
                                         filename=filename, data=data)
            return PhotoOut(id=photo.id, filename=photo.filename,
                            content_type=photo.content_type, size_bytes=photo.size_bytes)

    return await run_in_threadpool(store)


@router.get("/milestone-photos/{photo_id}/link", response_model=LinkOut, name="photo_link",
            tags=["milestones"], responses=errors(403, 404))
def photo_link(photo_id: uuid.UUID, caller: CurrentCaller) -> LinkOut:
    """A five-minute link to a progress photo, for the job's two sides and admins."""
    with unit_of_work(caller) as session:
        url = milestones.photo_link(session=session, caller=caller, photo_id=photo_id)
    return LinkOut(url=url, expires_in=milestones.PHOTO_LINK_SECONDS)
