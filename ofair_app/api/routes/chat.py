"""A lead's conversations (`/leads/{id}/threads`, `/threads/{id}/…`) and the browsers that take
push messages (`/push/…`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ofair_app.api.deps import ClientIp, CurrentCaller
from ofair_app.api.openapi import errors
from ofair_app.api.routing import ExactJsonRoute
from ofair_app.api.schemas import Page
from ofair_app.db.engine import unit_of_work
from ofair_app.domain.chat import MESSAGE_MAX_CHARS, Side
from ofair_app.domain.cursor import CURSOR_MAX_LENGTH
from ofair_app.domain.inputs import MultilineText, PlainText
from ofair_app.services import chat, push

router = APIRouter(route_class=ExactJsonRoute)


class MessageOut(BaseModel):
    id: uuid.UUID
    side: Side = Field(description="`owner`: the lead's owner; `pro`: the proposing business.")
    mine: bool = Field(description="Written by the caller.")
    body: str = Field(description="The text; phone numbers, e-mail addresses and links show "
                                  "as `•••` until the lead is awarded to this business.")
    created_at: datetime
    read_at: datetime | None = Field(description="When the other side read it.")

    @classmethod
    def of(cls, view: chat.MessageView) -> MessageOut:
        return cls(id=view.id, side=view.side, mine=view.mine, body=view.body,
                   created_at=view.created_at, read_at=view.read_at)


class ThreadOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    professional_id: uuid.UUID = Field(description="The business that made the offer.")
    lead_title: str
    business_name: str
    side: Side | None = Field(description="The caller's side (null for an admin).")
    writable: bool = Field(description="Whether the caller may write in it now.")
    masked: bool = Field(description="Contact details in messages are hidden (before the "
                                     "award to this business).")
    unread: int = Field(description="Messages from the other side the caller has not read.")
    last_message: MessageOut | None

    @classmethod
    def of(cls, view: chat.ThreadView) -> ThreadOut:
        return cls(id=view.thread.id, lead_id=view.lead_id,
                   professional_id=view.thread.professional_id, lead_title=view.lead_title,
                   business_name=view.business_name, side=view.side, writable=view.writable,
                   masked=view.masked, unread=view.unread,
                   last_message=MessageOut.of(view.last_message) if view.last_message else None)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[MultilineText, Field(min_length=1, max_length=MESSAGE_MAX_CHARS)]


class ReadOut(BaseModel):
    marked: int = Field(description="How many of the other side's messages were unread.")


class PushKeysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p256dh: Annotated[PlainText, Field(min_length=20, max_length=200)]
    auth: Annotated[PlainText, Field(min_length=8, max_length=100)]


class PushSubscriptionIn(BaseModel):
    """What the browser's `PushSubscription.toJSON()` gives."""

    model_config = ConfigDict(extra="forbid")

    endpoint: Annotated[PlainText, Field(min_length=10, max_length=1000)]
    expirationTime: int | None = None
    keys: PushKeysIn


class PushEndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: Annotated[PlainText, Field(min_length=10, max_length=1000)]


class PushSubscriptionOut(BaseModel):
    id: uuid.UUID
    endpoint: str
    created_at: datetime


class PushKeyOut(BaseModel):
    public_key: str = Field(description="The VAPID public key: the browser's "
                                        "`applicationServerKey`, base64url.")


@router.get("/leads/{lead_id}/threads", response_model=Page[ThreadOut],
            name="list_threads", tags=["chat"], responses=errors(404))
def list_threads(lead_id: uuid.UUID, caller: CurrentCaller) -> Page[ThreadOut]:
    """The lead's conversations the caller is a side of (the owner: one per business that made
    an offer), most recent first."""
    with unit_of_work(caller) as session:
        views = chat.threads_of_lead(session=session, caller=caller, lead_id=lead_id)
        return Page(items=[ThreadOut.of(v) for v in views])


@router.get("/threads/{thread_id}/messages", response_model=Page[MessageOut],
            name="list_messages", tags=["chat"], responses=errors(404))
def list_messages(
    thread_id: uuid.UUID,
    caller: CurrentCaller,
    ip: ClientIp,
    limit: Annotated[int, Query(ge=1, le=chat.PAGE_MAX)] = 50,
    cursor: Annotated[PlainText | None, Query(max_length=CURSOR_MAX_LENGTH)] = None,
) -> Page[MessageOut]:
    """The thread's messages, newest first. An admin's read is written to the audit log."""
    with unit_of_work(caller) as session:
        rows, next_cursor = chat.messages(session=session, caller=caller, thread_id=thread_id,
                                          limit=limit, cursor=cursor, ip=ip)
        return Page(items=[MessageOut.of(r) for r in rows], next_cursor=next_cursor)


@router.post("/threads/{thread_id}/messages", status_code=201, response_model=MessageOut,
             name="send_message", tags=["chat"], responses=errors(403, 404, 409, 429))
def send_message(thread_id: uuid.UUID, body: MessageIn, caller: CurrentCaller) -> MessageOut:
    """Write in the thread as the caller's side (text, up to 2,000 characters)."""
    with unit_of_work(caller) as session:
        return MessageOut.of(chat.send(session=session, caller=caller, thread_id=thread_id,
                                       body=body.body))


@router.post("/threads/{thread_id}/read", response_model=ReadOut,
             name="read_thread", tags=["chat"], responses=errors(403, 404))
def read_thread(thread_id: uuid.UUID, caller: CurrentCaller) -> ReadOut:
    """Mark the other side's messages read (they see the receipt)."""
    with unit_of_work(caller) as session:
        return ReadOut(marked=chat.mark_read(session=session, caller=caller,
                                             thread_id=thread_id))


@router.get("/push/key", response_model=PushKeyOut, name="push_key", tags=["push"],
            responses=errors(503))
def push_key() -> PushKeyOut:
    """The key a browser subscribes with (503 while push is not configured)."""
    return PushKeyOut(public_key=push.application_server_key())


@router.post("/push/subscriptions", status_code=201, response_model=PushSubscriptionOut,
             name="subscribe_push", tags=["push"], responses=errors(403))
def subscribe_push(body: PushSubscriptionIn, caller: CurrentCaller) -> PushSubscriptionOut:
    """This browser receives the caller's push messages (again: the same row, renewed)."""
    with unit_of_work(caller) as session:
        row = push.subscribe(session=session, caller=caller, endpoint=body.endpoint,
                             p256dh=body.keys.p256dh, auth=body.keys.auth)
        return PushSubscriptionOut(id=row.id, endpoint=row.endpoint,
                                   created_at=row.created_at)  # type: ignore[arg-type]


@router.post("/push/subscriptions/delete", status_code=204, name="unsubscribe_push",
             tags=["push"], responses=errors(403))
def unsubscribe_push(body: PushEndpointIn, caller: CurrentCaller) -> None:
    """This browser stops receiving the caller's push messages (unknown: nothing to do)."""
    with unit_of_work(caller) as session:
        push.unsubscribe(session=session, caller=caller, endpoint=body.endpoint)
