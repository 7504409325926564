"""Reviews of closed jobs: writing (`/leads/{id}/review`), changing and answering
(`/reviews/{id}`), a business's reviews (`/professionals/{id}/reviews`) and moderation
(`/admin/reviews/{id}/hide|restore`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ofair_app.api.deps import AdminCaller, ClientIp, CurrentCaller, OptionalCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routes.admin_users import ReasonIn
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain import reviews as rules
from ofair_app.domain.cursor import CURSOR_MAX_LENGTH
from ofair_app.domain.errors import NotFound
from ofair_app.domain.inputs import MultilineText, PlainText
from ofair_app.services import reviews

router = APIRouter(route_class=ExactJsonRoute)

Score = Annotated[int, Field(strict=True, ge=rules.SCORE_RANGE[0], le=rules.SCORE_RANGE[1],
                             description="Whole stars, 1 to 5.")]


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Score = Field(description="Overall, 1 to 5.")
    quality: Score
    punctuality: Score
    price: Score
    attitude: Score
    body: Annotated[MultilineText, Field(max_length=rules.BODY_MAX)] = ""
    display: rules.Display = Field(
        default=rules.Display.name,
        description="`name`: shown with the reviewer's first name and the job's city; "
                    "`verified`: shown as \"a verified client\".")

    def as_input(self) -> reviews.ReviewInput:
        return reviews.ReviewInput(rating=self.rating, quality=self.quality,
                                   punctuality=self.punctuality, price=self.price,
                                   attitude=self.attitude, body=self.body,
                                   display=self.display.value)


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[MultilineText, Field(min_length=1, max_length=rules.REPLY_MAX)]


class ReplyOut(BaseModel):
    body: str
    replied_at: datetime


class ReviewOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    professional_id: uuid.UUID
    rating: int
    quality: int
    punctuality: int
    price: int
    attitude: int
    body: str
    display: rules.Display
    reviewer: str = Field(description="The reviewer's first name, or empty: \"a verified "
                                      "client\".")
    locality_id: int | None = Field(description="The job's city (see `/localities`).")
    verified_job: bool = Field(description="Always true: only closed jobs are reviewed.")
    checked_in: bool = Field(description="The business checked in on site for this job.")
    reply: ReplyOut | None
    created_at: datetime
    updated_at: datetime
    editable_until: datetime
    hidden: bool = Field(description="Hidden by an admin (seen only by its two sides and "
                                     "admins).")
    hidden_reason: str | None

    @classmethod
    def of(cls, view: reviews.ReviewView) -> ReviewOut:
        r = view.review
        return cls(id=r.id, lead_id=r.lead_id, professional_id=r.professional_id,
                   rating=r.rating, quality=r.quality, punctuality=r.punctuality, price=r.price,
                   attitude=r.attitude, body=r.body, display=rules.Display(r.display),
                   reviewer=view.shown_as, locality_id=r.locality_id, verified_job=True,
                   checked_in=view.checked_in,
                   reply=ReplyOut(body=r.reply, replied_at=r.replied_at)  # type: ignore[arg-type]
                   if r.reply is not None else None,
                   created_at=r.created_at, updated_at=r.updated_at,  # type: ignore[arg-type]
                   editable_until=view.editable_until, hidden=view.hidden,
                   hidden_reason=r.hidden_reason)


class SummaryOut(BaseModel):
    rating: str = Field(description="The mean of the shown reviews, two places.")
    count: int
    distribution: dict[str, int] = Field(description="Stars (\"5\" … \"1\") → how many.")
    aspects: dict[str, str] = Field(description="Each aspect's mean, one place (empty with "
                                                "no reviews).")


class ReviewsPage(Page[ReviewOut]):
    summary: SummaryOut


@router.post("/leads/{lead_id}/review", status_code=201, response_model=ReviewOut,
             name="write_review", tags=["reviews"], responses=errors(403, 404, 409))
def write_review(lead_id: uuid.UUID, body: ReviewIn, caller: CurrentCaller) -> ReviewOut:
    """The lead's owner reviews its performer once the job is closed (409 before that, or for
    a second review; 403 for anyone else). The business's rating changes at once."""
    with unit_of_work(caller) as session:
        return ReviewOut.of(reviews.write(session=session, caller=caller, lead_id=lead_id,
                                          data=body.as_input()))


@router.get("/leads/{lead_id}/review", response_model=ReviewOut, name="get_lead_review",
            tags=["reviews"], responses=errors(404))
def get_lead_review(lead_id: uuid.UUID, caller: CurrentCaller) -> ReviewOut:
    """The review of this job (404 while there is none)."""
    with unit_of_work(caller) as session:
        view = reviews.of_lead(session=session, caller=caller, lead_id=lead_id)
        if view is None:
            raise NotFound("errors.review.not_found")
        return ReviewOut.of(view)


@router.put("/reviews/{review_id}", response_model=ReviewOut, name="edit_review",
            tags=["reviews"], responses=errors(403, 404, 409))
def edit_review(review_id: uuid.UUID, body: ReviewIn, caller: CurrentCaller) -> ReviewOut:
    """Change a review, within 7 days of writing it (409 `review_locked` after that)."""
    with unit_of_work(caller) as session:
        return ReviewOut.of(reviews.edit(session=session, caller=caller, review_id=review_id,
                                         data=body.as_input()))


@router.post("/reviews/{review_id}/reply", response_model=ReviewOut, name="reply_to_review",
             tags=["reviews"], responses=errors(403, 404, 409))
def reply_to_review(review_id: uuid.UUID, body: ReplyIn, caller: CurrentCaller) -> ReviewOut:
    """The reviewed business answers, once; the reviewer is told."""
    with unit_of_work(caller) as session:
        return ReviewOut.of(reviews.reply(session=session, caller=caller, review_id=review_id,
                                          body=body.body))


@router.get("/professionals/{professional_id}/reviews", response_model=ReviewsPage,
            name="list_professional_reviews", tags=["reviews"], responses=errors(404))
def list_professional_reviews(
    professional_id: uuid.UUID,
    caller: OptionalCaller,
    limit: Annotated[int, Query(ge=1, le=reviews.PAGE_MAX)] = 20,
    cursor: Annotated[PlainText | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> ReviewsPage:
    """A business's shown reviews, newest first, with its rating, the distribution of stars and
    each aspect's mean (on the first page and every other)."""
    with unit_of_work(caller) as session:
        rows, next_cursor = reviews.of_business(session=session, caller=caller,
                                                professional_id=professional_id, limit=limit,
                                                cursor=cursor)
        summary = reviews.summary(session=session, professional_id=professional_id)
        return ReviewsPage(
            items=[ReviewOut.of(v) for v in rows], next_cursor=next_cursor,
            summary=SummaryOut(rating=summary.rating, count=summary.count,
                               distribution={str(k): v for k, v in summary.distribution.items()},
                               aspects=summary.aspects))


@router.post("/admin/reviews/{review_id}/hide", response_model=ReviewOut, name="hide_review",
             tags=["admin"], responses=errors(403, 404))
def hide_review(review_id: uuid.UUID, body: ReasonIn, caller: AdminCaller,
                ip: ClientIp) -> ReviewOut:
    """Hide a review from the business's page and its rating; both sides are told the reason;
    audited. Hiding it again changes nothing."""
    with unit_of_work(caller) as session:
        return ReviewOut.of(reviews.hide(session=session, caller=caller, review_id=review_id,
                                         reason=body.reason, ip=ip))


@router.post("/admin/reviews/{review_id}/restore", response_model=ReviewOut,
             name="restore_review", tags=["admin"], responses=errors(403, 404))
def restore_review(review_id: uuid.UUID, body: ReasonIn, caller: AdminCaller,
                   ip: ClientIp) -> ReviewOut:
    """Show a hidden review again; both sides are told; audited."""
    with unit_of_work(caller) as session:
        return ReviewOut.of(reviews.restore(session=session, caller=caller,
                                            review_id=review_id, reason=body.reason, ip=ip))
