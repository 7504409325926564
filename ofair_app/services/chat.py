"""A lead's conversations: the owner and each business that made an offer (issue 19 point 6).

Use cases: the threads of a lead (`threads_of_lead`), one thread (`open_thread`), its
messages (`messages`), writing (`send`), the read receipt (`mark_read`) and a page's presence
(`here`, `gone`). The database writes a thread with every offer (migration 0023) and decides
who reads what (RLS: the two sides and admins); this module adds what a policy cannot say:

- until the owner awards the lead to this thread's business, phone numbers, e-mail addresses
  and links in every message are hidden for both sides (`domain.masking`), whoever wrote them;
  the text is kept as written, so the award reveals it, as it reveals the client's details;
- a thread is written in while its business's offer is open or the business got the job;
- a person writes at most `CHAT_MESSAGES_PER_MINUTE` messages a minute;
- a new message is told (`chat_message`) to the other side's people who are not reading the
  thread right now (a page open on it renews `chat_presence`);
- an admin reads a transcript (from a dispute) and each read is in the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AwareDatetime
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import Session, col, delete, func, select

from ofair_app.db.engine import Caller, affected, trusted_step
from ofair_app.domain.chat import MESSAGE_MAX_CHARS, PRESENT_SECONDS, Side, other
from ofair_app.domain.cursor import CursorCodec
from ofair_app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited
from ofair_app.domain.inputs import has_control_characters
from ofair_app.domain.leads import LeadStatus
from ofair_app.domain.masking import hide_contacts
from ofair_app.domain.proposals import ProposalStatus
from ofair_app.models import (
    ChatMessage,
    ChatPresence,
    ChatThread,
    Lead,
    Professional,
    Proposal,
    User,
)
from ofair_app.models._base import utcnow
from ofair_app.services import audit, notifications
from ofair_app.services.proposals import url
from ofair_app.settings import get_settings

PAGE_MAX = 100
MESSAGES_CURSOR = CursorCodec("chat_messages", tuple[AwareDatetime, uuid.UUID])
PRESENCE_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class MessageView:
    """One message as the reader may see it (`body` masked before the award)."""

    id: uuid.UUID
    side: Side
    sender_user_id: uuid.UUID
    body: str
    created_at: datetime
    read_at: datetime | None
    mine: bool


@dataclass(frozen=True)
class ThreadView:
    """A thread as its reader sees it. `side` is the reader's (None for an admin)."""

    thread: ChatThread
    side: Side | None
    lead_id: uuid.UUID
    lead_title: str
    business_name: str  # the proposing business
    owner_name: str  # the owner side as the business sees it: a first name or a business
    owned_by_business: bool  # a pro lead (its owner side is a business's members)
    writable: bool
    masked: bool
    unread: int
    last_message: MessageView | None

    @property
    def other_name(self) -> str:
        """Who the reader is talking to."""
        return self.owner_name if self.side == Side.pro else self.business_name


@dataclass(frozen=True)
class _Facts:
    """What the reader's view of a thread depends on, read once."""

    lead: Lead
    business_name: str
    owner_name: str
    offer_status: ProposalStatus | None
    offer_by: uuid.UUID | None

    def masked(self, thread: ChatThread) -> bool:
        return self.lead.performer_professional_id != thread.professional_id

    def writable(self, thread: ChatThread) -> bool:
        if self.lead.status == LeadStatus.cancelled:
            return False
        if self.lead.performer_professional_id == thread.professional_id:
            return True
        return self.lead.status == LeadStatus.active and self.offer_status == ProposalStatus.pending


def _side_of(session: Session, thread_id: uuid.UUID) -> Side | None:
    side = session.execute(text("SELECT app_thread_side(:t)"), {"t": thread_id}).scalar()
    return Side(side) if side else None


def _thread(session: Session, caller: Caller, thread_id: uuid.UUID) -> ChatThread:
    thread = session.get(ChatThread, thread_id) if caller.user_id else None
    if thread is None:
        raise NotFound("errors.chat.not_found")
    return thread


def _facts_of(session: Session, caller: Caller,
              threads: list[ChatThread]) -> dict[uuid.UUID, _Facts]:
    """For threads of one lead: the lead, both sides' names and each business's latest offer,
    in four statements read as the platform (a side may not see the lead row itself once it
    is awarded to someone else); nothing handed back but what the thread's page shows."""
    lead_id = threads[0].lead_id
    businesses = [thread.professional_id for thread in threads]
    with trusted_step(session, caller):
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise NotFound("errors.chat.not_found")
        wanted = [*businesses, *([lead.owner_professional_id]
                                 if lead.owner_professional_id else [])]
        names = dict(session.exec(select(Professional.id, Professional.business_name)
                                  .where(col(Professional.id).in_(wanted))).all())
        if lead.owner_professional_id is not None:
            owner_name = names.get(lead.owner_professional_id, "")
        else:
            user = session.get(User, lead.owner_user_id)
            owner_name = (user.name or "").split(" ")[0] if user and user.closed_at is None else ""
        offers = {offer.professional_id: offer for offer in session.exec(
            select(Proposal).where(Proposal.lead_id == lead_id,
                                   col(Proposal.professional_id).in_(businesses))
            .order_by(col(Proposal.professional_id), col(Proposal.created_at).desc())
            .ext(distinct_on(col(Proposal.professional_id)))).all()}
        facts = {}
        for thread in threads:
            offer = offers.get(thread.professional_id)
            facts[thread.id] = _Facts(
                lead=lead, business_name=names.get(thread.professional_id, ""),
                owner_name=owner_name,
                offer_status=ProposalStatus(offer.status) if offer else None,
                offer_by=offer.created_by if offer else None)
        # Read as the platform: out of the caller's identity map, so no later read of the
        # caller's own is answered from it (past their RLS).
        session.expunge_all()
    return facts


def _facts(session: Session, caller: Caller, thread: ChatThread) -> _Facts:
    return _facts_of(session, caller, [thread])[thread.id]


def _view(row: ChatMessage, caller: Caller, masked: bool) -> MessageView:
    return MessageView(id=row.id, side=Side(row.side), sender_user_id=row.sender_user_id,
                       body=hide_contacts(row.body, links=True) if masked else row.body,
                       created_at=row.created_at, read_at=row.read_at,  # type: ignore[arg-type]
                       mine=row.sender_user_id == caller.user_id)


def _audit_admin_read(session: Session, caller: Caller, thread: ChatThread, ip: str) -> None:
    if caller.role == "admin":
        audit.record(session=session, caller=caller, action="chat.read",
                     subject_type="chat_thread", subject_id=thread.id,
                     detail={"lead_id": str(thread.lead_id)}, ip=ip)


_SIDES = text("SELECT id, app_thread_side(id) FROM chat_threads WHERE id IN :ids"
              ).bindparams(bindparam("ids", expanding=True))
# Each thread's newest message: one row read per thread from the index (the policy, a query
# of its own, is checked for that row alone, not for every message of every thread).
_LAST = text(
    "SELECT m.* FROM unnest(CAST(:ids AS uuid[])) AS t(id) CROSS JOIN LATERAL"
    " (SELECT * FROM chat_messages WHERE thread_id = t.id"
    " ORDER BY created_at DESC, id DESC LIMIT 1) AS m")
_UNREAD = text("SELECT thread_id, side, count(*) FROM chat_messages WHERE thread_id IN :ids"
               " AND read_at IS NULL GROUP BY thread_id, side"
               ).bindparams(bindparam("ids", expanding=True))


def _describe_all(session: Session, caller: Caller,
                  threads: list[ChatThread]) -> list[ThreadView]:
    """Threads of one lead as the caller sees them, in a few statements whatever their
    number (the owner's request page shows every offer's conversation)."""
    facts = _facts_of(session, caller, threads)
    ids = [thread.id for thread in threads]
    sides = {tid: Side(side) if side else None
             for tid, side in session.execute(_SIDES, {"ids": ids}).all()}
    last = {row.thread_id: row for row in session.execute(
        select(ChatMessage).from_statement(_LAST), params={"ids": ids}).scalars()}
    # Counts only, of threads the caller was just shown (their RLS chose `threads`): counted
    # as the platform, so the per-row policy does not run for each unread message.
    with trusted_step(session, caller):
        unread = {(tid, side): count
                  for tid, side, count in session.execute(_UNREAD, {"ids": ids}).all()}
    views = []
    for thread in threads:
        side, fact = sides.get(thread.id), facts[thread.id]
        masked = fact.masked(thread)
        message = last.get(thread.id)
        views.append(ThreadView(
            thread=thread, side=side, lead_id=thread.lead_id, lead_title=fact.lead.title,
            business_name=fact.business_name, owner_name=fact.owner_name,
            owned_by_business=fact.lead.owner_professional_id is not None,
            writable=side is not None and fact.writable(thread), masked=masked,
            unread=unread.get((thread.id, other(side).value), 0) if side else 0,
            last_message=_view(message, caller, masked) if message else None))
    return views


def _describe(session: Session, caller: Caller, thread: ChatThread) -> ThreadView:
    return _describe_all(session, caller, [thread])[0]


def open_thread(*, session: Session, caller: Caller, thread_id: uuid.UUID,
                ip: str = "") -> ThreadView:
    """One thread the caller is a side of (or, for an admin, any: audited)."""
    thread = _thread(session, caller, thread_id)
    _audit_admin_read(session, caller, thread, ip)
    return _describe(session, caller, thread)


def threads_of_lead(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> list[ThreadView]:
    """The conversations of a lead the caller may read: the owner's with every business that
    made an offer, a business's own one; most recent first. A lead with none of them is 404."""
    threads = session.exec(select(ChatThread).where(ChatThread.lead_id == lead_id)
                           .order_by(col(ChatThread.created_at))).all() if caller.user_id else []
    if not threads:
        visible = session.exec(select(Lead.id).where(Lead.id == lead_id)).first()
        if visible is None or caller.user_id is None:
            raise NotFound()
        return []
    views = _describe_all(session, caller, list(threads))
    return sorted(views, key=lambda v: v.last_message.created_at if v.last_message
                  else v.thread.created_at, reverse=True)  # type: ignore[arg-type,return-value]


def thread_for_dispute(*, session: Session, caller: Caller, lead_id: uuid.UUID) -> uuid.UUID | None:
    """The conversation between a lead's owner and its performer (an admin's way in from a
    dispute)."""
    if caller.role != "admin":
        raise Forbidden()
    lead = session.get(Lead, lead_id)
    if lead is None or lead.performer_professional_id is None:
        return None
    return session.exec(select(ChatThread.id).where(
        ChatThread.lead_id == lead_id,
        ChatThread.professional_id == lead.performer_professional_id)).first()


def messages(*, session: Session, caller: Caller, thread_id: uuid.UUID, limit: int = 50,
             cursor: str | None = None, ip: str = "") -> tuple[list[MessageView], str | None]:
    """A page of the thread's messages, newest first (`cursor` goes further back)."""
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(fields={"limit": "errors.field.invalid"})
    thread = _thread(session, caller, thread_id)
    _audit_admin_read(session, caller, thread, ip)
    facts = _facts(session, caller, thread)
    query = select(ChatMessage).where(ChatMessage.thread_id == thread.id)
    if cursor:
        moment, mid = MESSAGES_CURSOR.decode(cursor)
        query = query.where(func.row(col(ChatMessage.created_at), col(ChatMessage.id))
                            < func.row(moment, mid))
    rows = session.exec(query.order_by(col(ChatMessage.created_at).desc(),
                                       col(ChatMessage.id).desc()).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = (MESSAGES_CURSOR.encode((page[-1].created_at, page[-1].id))
                   if len(rows) > limit else None)
    masked = facts.masked(thread)
    return [_view(row, caller, masked) for row in page], next_cursor


def _clean(body: object) -> str:
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput(fields={"body": "errors.chat.empty"})
    body = body.strip()
    if len(body) > MESSAGE_MAX_CHARS:
        raise InvalidInput(fields={"body": "errors.chat.too_long"},
                           params={"max": MESSAGE_MAX_CHARS})
    if has_control_characters(body, multiline=True):
        raise InvalidInput(fields={"body": "errors.text.control"})
    return body


def _check_rate(session: Session, caller: Caller, now: datetime) -> None:
    allowed = get_settings().chat_messages_per_minute
    recent = session.exec(select(ChatMessage.created_at).where(
        ChatMessage.sender_user_id == caller.user_id,
        col(ChatMessage.created_at) > now - timedelta(minutes=1))
        .order_by(col(ChatMessage.created_at)).limit(allowed)).all()
    if len(recent) >= allowed:
        oldest = recent[0]
        assert oldest is not None  # created_at is NOT NULL (and the WHERE compares it)
        raise RateLimited(int((oldest + timedelta(minutes=1) - now).total_seconds()) + 1,
                          "errors.chat.rate_limited")


def send(*, session: Session, caller: Caller, thread_id: uuid.UUID, body: object) -> MessageView:
    """Write a message as the caller's side, and tell the other side's people who are not
    reading the thread. Admins read, never write."""
    body = _clean(body)
    thread = _thread(session, caller, thread_id)
    side = _side_of(session, thread.id)
    if side is None:
        raise Forbidden("errors.chat.read_only")
    facts = _facts(session, caller, thread)
    if not facts.writable(thread):
        raise Conflict("errors.chat.closed")
    now = utcnow()
    _check_rate(session, caller, now)
    row = ChatMessage(thread_id=thread.id, sender_user_id=caller.user_id,  # type: ignore[arg-type]
                      side=side.value, body=body)
    session.add(row)
    session.flush()
    session.refresh(row)
    _tell_other_side(session, caller, thread, facts, side, now)
    return _view(row, caller, facts.masked(thread))


def _tell_other_side(session: Session, caller: Caller, thread: ChatThread, facts: _Facts,
                     side: Side, now: datetime) -> None:
    """The other side's people: whoever of them wrote in the thread, and its default person
    (the consumer or whoever posted the pro lead; whoever sent the offer), less those reading
    the thread right now."""
    lead = facts.lead
    with trusted_step(session, caller):
        people = set(session.exec(select(ChatMessage.sender_user_id).where(
            ChatMessage.thread_id == thread.id, ChatMessage.side == other(side).value)
            .distinct()).all())
        default = lead.owner_user_id if side == Side.pro else facts.offer_by
        if default is not None:
            people.add(default)
        present = set(session.exec(select(ChatPresence.user_id).where(
            ChatPresence.thread_id == thread.id,
            col(ChatPresence.seen_at) > now - timedelta(seconds=PRESENT_SECONDS))).all())
    recipients = people - present - {caller.user_id}
    if not recipients:
        return
    sender = facts.business_name if side == Side.pro else (facts.owner_name or "")
    notifications.tell(
        session=session, caller=caller, template="chat_message",
        params={"sender_name": notifications.quoted_title(sender) if sender else "",
                "lead_title": notifications.quoted_title(lead.title),
                "thread_url": url(f"/messages/{thread.id}")},
        users=recipients)


def mark_read(*, session: Session, caller: Caller, thread_id: uuid.UUID) -> int:
    """The other side's messages are read (the receipt they see); how many were unread."""
    thread = _thread(session, caller, thread_id)
    side = _side_of(session, thread.id)
    if side is None:
        raise Forbidden("errors.chat.read_only")
    return affected(session.execute(text(
        "UPDATE chat_messages SET read_at = now() WHERE thread_id = :t AND side = :s"
        " AND read_at IS NULL"), {"t": thread.id, "s": other(side).value}))


def here(*, session: Session, caller: Caller, thread_id: uuid.UUID) -> None:
    """The caller's page is open on the thread (renewed while it stays open); nothing for an
    admin reading a transcript."""
    if _side_of(session, thread_id) is None:
        return
    session.execute(text(
        "INSERT INTO chat_presence (thread_id, user_id, seen_at) VALUES (:t, :u, now())"
        " ON CONFLICT (thread_id, user_id) DO UPDATE SET seen_at = now()"),
        {"t": thread_id, "u": caller.user_id})


def gone(*, session: Session, caller: Caller, thread_id: uuid.UUID) -> None:
    """The caller left the thread's page."""
    session.execute(delete(ChatPresence).where(
        col(ChatPresence.thread_id) == thread_id, col(ChatPresence.user_id) == caller.user_id))


def forget_presence(*, session: Session, now: datetime) -> int:
    """Presence rows of pages closed without a goodbye (the system, from the job)."""
    return affected(session.execute(delete(ChatPresence).where(
        col(ChatPresence.seen_at) < now - PRESENCE_KEPT)))
