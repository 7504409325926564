"""Reviews of closed jobs (issue 20 point 1).

Use cases: the owner of a closed lead reviews its performer (`write`) and may change it for
`EDIT_DAYS` (`edit`); the business answers once (`reply`); an admin hides a review with a
reason or shows it again (`hide`, `restore`); anyone reads a business's shown reviews with their
distribution (`of_business`); the lead's page shows its review (`of_lead`). When a job closes
its owner is asked for a review (`request`), and reminded once `REMIND_AFTER_DAYS` later if
they have not written one (`remind_due`, the `reminders` job).

The database decides who may write what (migration 0024: only a closed lead's owner inserts,
about its performer; `reviews_guard` for each party's columns). The business's `rating` and
`review_count` are recomputed here, in the same transaction as every change that moves them,
with the business's row locked so two reviews at once cannot lose each other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AwareDatetime
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ofair_app.db.engine import SYSTEM, Caller, affected, trusted_step
from ofair_app.domain import reviews as rules
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from ofair_app.domain.identity import clean_text
from ofair_app.domain.leads import LeadStatus
from ofair_app.models import Lead, Professional, Review, User
from ofair_app.models._base import utcnow
from ofair_app.observability import logs
from ofair_app.services import audit, check_ins, notifications, users
from ofair_app.services.proposals import lead_url_for_owner, short_title, url

PAGE_MAX = 50
REVIEWS_CURSOR = CursorCodec("reviews", tuple[AwareDatetime, uuid.UUID])


class ReviewExists(Conflict):
    code, message_key = "review_exists", "errors.review.exists"


class NotClosed(Conflict):
    code, message_key = "job_not_closed", "errors.review.not_closed"


class ReplyExists(Conflict):
    code, message_key = "reply_exists", "errors.review.reply_exists"


@dataclass(frozen=True)
class ReviewInput:
    """What a reviewer sends (scores as whole numbers; `body` may be empty)."""

    rating: object
    quality: object
    punctuality: object
    price: object
    attitude: object
    body: object = ""
    display: object = rules.Display.name.value


@dataclass(frozen=True)
class ReviewView:
    """A review as its reader may see it: the reviewer only as the public sees them."""

    review: Review
    shown_as: str  # the first name, or "" for "a verified client"
    checked_in: bool  # the job had a check-in on site
    editable_until: datetime
    mine: bool  # the caller wrote it
    can_edit: bool
    can_reply: bool

    @property
    def hidden(self) -> bool:
        return self.review.hidden_at is not None


@dataclass(frozen=True)
class Summary:
    """A business's shown reviews at a glance."""

    rating: str  # the mean, two places, as stored on the business
    count: int
    distribution: dict[int, int]  # stars → how many
    aspects: dict[str, str]  # aspect → its mean, one place


def _clean(data: ReviewInput) -> tuple[rules.Scores, str, rules.Display]:
    """Every bad field of the review at once (422), or its clean values."""
    errors = FieldErrors()
    scores = errors.check(rules.check_scores, {
        "rating": data.rating, "quality": data.quality, "punctuality": data.punctuality,
        "price": data.price, "attitude": data.attitude})
    body = errors.check(rules.check_text, data.body, field="body", limit=rules.BODY_MAX)
    display = (rules.Display(data.display)
               if data.display in {d.value for d in rules.Display} else None)
    if display is None:
        errors.add("display", "errors.field.invalid")
    errors.raise_if_any()
    return scores, body, display  # type: ignore[return-value]


def _lock_business(session: Session, caller: Caller, professional_id: uuid.UUID) -> None:
    """Serialise the changes to one business's score (taken before the review is written)."""
    with trusted_step(session, caller):
        session.execute(text("SELECT 1 FROM professionals WHERE id = :p FOR UPDATE"),
                        {"p": professional_id})


def _rerate(session: Session, caller: Caller, professional_id: uuid.UUID) -> None:
    """The business's rating and count from its shown reviews, written as the platform."""
    with trusted_step(session, caller):
        count, total = session.execute(text(
            "SELECT count(*), coalesce(sum(rating), 0) FROM reviews"
            " WHERE professional_id = :p AND hidden_at IS NULL"), {"p": professional_id}).one()
        session.execute(text("UPDATE professionals SET rating = :r, review_count = :n"
                             " WHERE id = :p"),
                        {"r": rules.average(total, count), "n": count, "p": professional_id})
        session.expire_all()


def _view(review: Review, caller: Caller, checked_in: bool, now: datetime) -> ReviewView:
    created = review.created_at or now
    mine = caller.user_id is not None and review.reviewer_user_id == caller.user_id
    shown = review.reviewer_name if review.display == rules.Display.name.value else ""
    return ReviewView(
        review=review, shown_as=shown, checked_in=checked_in,
        editable_until=rules.editable_until(created), mine=mine,
        can_edit=mine and now <= rules.editable_until(created),
        can_reply=(review.reply is None and review.hidden_at is None
                   and review.professional_id in caller.professional_ids))


def _views(session: Session, caller: Caller, rows: list[Review]) -> list[ReviewView]:
    checked = check_ins.attended(session, caller,
                                 [(row.lead_id, row.professional_id) for row in rows])
    now = utcnow()
    return [_view(row, caller, row.lead_id in checked, now) for row in rows]


def _find(session: Session, review_id: uuid.UUID, *, lock: bool = False) -> Review:
    query = select(Review).where(Review.id == review_id)
    review = session.exec(query.with_for_update() if lock else query).first()
    if review is None:
        raise NotFound("errors.review.not_found")
    return review


# --- writing ---------------------------------------------------------------------------------


def _lead(session: Session, caller: Caller, lead_id: uuid.UUID) -> Lead:
    """The lead, read as the platform: whoever is not its owner gets a 403 even where its row
    is not theirs to see (nothing of it is handed back)."""
    with trusted_step(session, caller):
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise NotFound()
        session.expunge(lead)
    return lead


def write(*, session: Session, caller: Caller, lead_id: uuid.UUID,
          data: ReviewInput) -> ReviewView:
    """The owner of a closed lead reviews its performer, once (409 for a second one)."""
    user_id = users.require_user(caller)
    scores, body, display = _clean(data)
    lead = _lead(session, caller, lead_id)
    owner = (lead.owner_user_id == caller.user_id if lead.owner_professional_id is None
             else lead.owner_professional_id in caller.professional_ids)
    if not owner:
        raise Forbidden("errors.review.owner_only")
    if lead.status != LeadStatus.closed or lead.performer_professional_id is None:
        raise NotClosed(params={"status": str(lead.status)})
    if session.exec(select(Review.id).where(Review.lead_id == lead.id)).first() is not None:
        raise ReviewExists()
    reviewer = session.get(User, caller.user_id)
    _lock_business(session, caller, lead.performer_professional_id)
    review = Review(lead_id=lead.id, professional_id=lead.performer_professional_id,
                    reviewer_user_id=user_id, rating=scores.rating, quality=scores.quality,
                    punctuality=scores.punctuality, price=scores.price,
                    attitude=scores.attitude, body=body,
                    display=display.value,
                    reviewer_name=rules.first_name(reviewer.name if reviewer else ""),
                    locality_id=lead.locality_id)
    session.add(review)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ReviewExists() from None
    _rerate(session, caller, review.professional_id)
    notifications.tell(
        session=session, caller=caller, template="review_received",
        businesses=[review.professional_id],
        params={"lead_title": short_title(lead), "rating": scores.rating,
                "reviews_url": url(f"/pro/leads/{lead.id}")})
    logs.action("review", review.id, "review written")
    session.refresh(review)
    return _views(session, caller, [review])[0]


def edit(*, session: Session, caller: Caller, review_id: uuid.UUID, data: ReviewInput,
         now: datetime | None = None) -> ReviewView:
    """The reviewer changes their review within `EDIT_DAYS` of writing it (the database's
    guard holds the same window)."""
    users.require_user(caller)
    scores, body, display = _clean(data)
    review = _find(session, review_id)
    if review.reviewer_user_id != caller.user_id:
        raise Forbidden("errors.review.reviewer_only")
    now = now or utcnow()
    rules.require_editable(review.created_at or now, now)
    _lock_business(session, caller, review.professional_id)
    review = _find(session, review_id, lock=True)
    for name, value in scores.as_dict().items():
        setattr(review, name, value)
    review.body, review.display = body, display.value
    session.add(review)
    session.flush()
    _rerate(session, caller, review.professional_id)
    session.refresh(review)
    return _views(session, caller, [review])[0]


def reply(*, session: Session, caller: Caller, review_id: uuid.UUID, body: object) -> ReviewView:
    """The reviewed business answers, once; the reviewer is told."""
    users.require_user(caller)
    answer = rules.check_text(body, field="body", limit=rules.REPLY_MAX, required=True)
    if _find(session, review_id).professional_id not in caller.professional_ids:
        raise Forbidden("errors.review.business_only")
    review = _find(session, review_id, lock=True)
    if review.reply is not None:
        raise ReplyExists()
    if review.hidden_at is not None:
        raise Conflict("errors.review.hidden", code="review_hidden")
    review.reply, review.replied_at, review.replied_by = answer, utcnow(), caller.user_id
    session.add(review)
    session.flush()
    if review.reviewer_user_id is not None:
        lead = session.get(Lead, review.lead_id)
        with trusted_step(session, caller):
            business = session.get(Professional, review.professional_id)
            name = business.business_name if business else ""
        notifications.tell(
            session=session, caller=caller, template="review_replied",
            users=[review.reviewer_user_id],
            params={"business_name": notifications.quoted_title(name),
                    "review_url": lead_url_for_owner(lead) if lead else url("/")})
    session.refresh(review)
    return _views(session, caller, [review])[0]


def _moderated(review: Review) -> dict[str, object]:
    return {"hidden": review.hidden_at is not None, "reason": review.hidden_reason}


def _moderate(session: Session, caller: Caller, review_id: uuid.UUID, reason: str, ip: str,
              *, hide: bool) -> ReviewView:
    users.require_admin(caller)
    note = clean_text(reason, field="reason", min_length=5, max_length=rules.REASON_MAX,
                      multiline=True)
    review = _find(session, review_id)
    if (review.hidden_at is not None) == hide:  # already so: nothing changes, nothing written
        return _views(session, caller, [review])[0]
    _lock_business(session, caller, review.professional_id)
    review = _find(session, review_id, lock=True)
    before = _moderated(review)
    if hide:
        review.hidden_at, review.hidden_reason, review.hidden_by = utcnow(), note, caller.user_id
    else:
        review.hidden_at = review.hidden_reason = review.hidden_by = None
    session.add(review)
    session.flush()
    _rerate(session, caller, review.professional_id)
    action = "review.hide" if hide else "review.restore"
    audit.change(session=session, caller=caller, action=action, subject_type="review",
                 subject_id=review.id, ip=ip, before=before, after=_moderated(review),
                 reason=note)
    lead = session.get(Lead, review.lead_id)
    template = "review_hidden" if hide else "review_restored"
    title = short_title(lead) if lead else ""
    if review.reviewer_user_id is not None and lead is not None:
        notifications.tell(session=session, caller=caller, template=template,
                           users=[review.reviewer_user_id],
                           params={"lead_title": title, "reason": note,
                                   "review_url": lead_url_for_owner(lead)})
    notifications.tell(session=session, caller=caller, template=template,
                       businesses=[review.professional_id],
                       params={"lead_title": title, "reason": note,
                               "review_url": url(f"/pro/leads/{review.lead_id}")})
    logs.action("review", review.id, f"review {'hidden' if hide else 'restored'}")
    session.refresh(review)
    return _views(session, caller, [review])[0]


def hide(*, session: Session, caller: Caller, review_id: uuid.UUID, reason: str,
         ip: str = "") -> ReviewView:
    """Take a review off the business's page (admins, with a reason both sides are told); the
    business's score leaves it out. Hiding a hidden review changes nothing."""
    return _moderate(session, caller, review_id, reason, ip, hide=True)


def restore(*, session: Session, caller: Caller, review_id: uuid.UUID, reason: str,
            ip: str = "") -> ReviewView:
    """Show a hidden review again (admins; both sides told)."""
    return _moderate(session, caller, review_id, reason, ip, hide=False)


# --- reading ---------------------------------------------------------------------------------


def of_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> ReviewView | None:
    """The lead's review, for those who may see it (its sides, admins, or anyone while shown)."""
    review = session.exec(select(Review).where(Review.lead_id == lead_id)).first()
    return _views(session, caller, [review])[0] if review else None


def summary(*, session: Session, professional_id: uuid.UUID) -> Summary:
    """The distribution of a business's shown reviews and each aspect's mean."""
    business = session.get(Professional, professional_id)
    if business is None:
        raise NotFound("errors.professional.not_found")
    shown = (Review.professional_id == professional_id, col(Review.hidden_at).is_(None))
    counts = dict(session.exec(select(Review.rating, func.count()).where(*shown)
                               .group_by(col(Review.rating))).all())
    means = session.exec(select(*[func.avg(getattr(Review, a)) for a in rules.ASPECTS])
                         .where(*shown)).one()
    return Summary(rating=f"{business.rating:.2f}", count=business.review_count,
                   distribution={stars: counts.get(stars, 0) for stars in range(5, 0, -1)},
                   aspects={aspect: f"{mean:.1f}" if mean is not None else ""
                            for aspect, mean in zip(rules.ASPECTS, means, strict=True)})


def of_business(*, session: Session, caller: Caller, professional_id: uuid.UUID,
                limit: int = 20, cursor: str | None = None
                ) -> tuple[list[ReviewView], str | None]:
    """A business's shown reviews, newest first (`cursor` goes further back)."""
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(fields={"limit": "errors.field.invalid"})
    if session.get(Professional, professional_id) is None:
        raise NotFound("errors.professional.not_found")
    query = select(Review).where(Review.professional_id == professional_id,
                                 col(Review.hidden_at).is_(None))
    if cursor:
        moment, rid = REVIEWS_CURSOR.decode(cursor)
        query = query.where(func.row(col(Review.created_at), col(Review.id))
                            < func.row(moment, rid))
    rows = list(session.exec(query.order_by(col(Review.created_at).desc(),
                                            col(Review.id).desc()).limit(limit + 1)).all())
    page = rows[:limit]
    next_cursor = (REVIEWS_CURSOR.encode((page[-1].created_at, page[-1].id))
                   if len(rows) > limit else None)
    return _views(session, caller, page), next_cursor


# --- asking for one --------------------------------------------------------------------------


def request(session: Session, caller: Caller, lead: Lead) -> None:
    """The job closed: its owner is asked to review the performer (once per lead)."""
    if lead.performer_professional_id is None:
        return
    with trusted_step(session, caller):
        created = affected(session.execute(text(
            "INSERT INTO review_requests (lead_id, user_id, professional_id)"
            " VALUES (:l, :u, :p) ON CONFLICT (lead_id) DO NOTHING"),
            {"l": lead.id, "u": lead.owner_user_id,
             "p": lead.performer_professional_id}))
        business = session.get(Professional, lead.performer_professional_id)
        name = business.business_name if business else ""
    if created:
        notifications.tell(session=session, caller=caller, template="review_request",
                           users=[lead.owner_user_id], to_caller=True,
                           params={"lead_title": short_title(lead),
                                   "business_name": notifications.quoted_title(name),
                                   "review_url": lead_url_for_owner(lead)})


_DUE = text("""
    SELECT r.lead_id FROM review_requests r
    JOIN leads l ON l.id = r.lead_id
    WHERE r.reminded_at IS NULL AND r.requested_at <= :cutoff AND l.status = 'closed'
      AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.lead_id = r.lead_id)
    ORDER BY r.requested_at
    LIMIT :limit
    FOR UPDATE OF r SKIP LOCKED
""")


def remind_due(*, session: Session, now: datetime, limit: int = 500) -> int:
    """Remind, once, the owners asked `REMIND_AFTER_DAYS` ago who have not reviewed yet
    (system; a job that runs again sends nothing twice)."""
    cutoff = now - timedelta(days=rules.REMIND_AFTER_DAYS)
    due = list(session.execute(_DUE, {"cutoff": cutoff, "limit": limit}).scalars())
    if not due:
        return 0
    leads = session.exec(select(Lead).where(col(Lead.id).in_(due))).all()
    names = dict(session.exec(select(Professional.id, Professional.business_name).where(
        col(Professional.id).in_({lead.performer_professional_id for lead in leads}))).all())
    notifications.tell_all(session=session, caller=SYSTEM, notices=[notifications.Notice(
        template="review_reminder", users=(lead.owner_user_id,),
        params={"lead_title": short_title(lead),
                "business_name": notifications.quoted_title(
                    names.get(lead.performer_professional_id, "")
                    if lead.performer_professional_id is not None else ""),
                "review_url": lead_url_for_owner(lead)}) for lead in leads])
    session.execute(text("UPDATE review_requests SET reminded_at = :now"
                         " WHERE lead_id = ANY(:ids)"), {"now": now, "ids": due})
    return len(due)
