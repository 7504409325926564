"""`/messages/[thread_id]`: a conversation between a lead's owner and one business.

Both sides use this page (and an admin reads a transcript from a dispute, read-only). What the
other side writes appears within a second: the page follows its thread through the process's
one listener (`thread_changed`, `ui/state/live.py`), re-reads the latest messages under the
reader's RLS and marks them read, which the writer sees as "read". While the page is open the
reader counts as present (`chat.here`, renewed every minute), so a message is not also sent
to them as a notification.
"""

from __future__ import annotations

import dataclasses
import uuid

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.db.lead_signals import SIGNALS, thread_key
from ofair_app.domain.chat import MESSAGE_MAX_CHARS, Side
from ofair_app.domain.errors import AppError
from ofair_app.services import chat
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import error_banner, form
from ofair_app.ui.components.shells import consumer_shell, guarded
from ofair_app.ui.state.events import event
from ofair_app.ui.state.live import LiveLeadMixin
from ofair_app.ui.state.locale import LocaleState, t, t_with
from ofair_app.ui.state.session import SessionState

SHOWN = 100  # the latest messages on the page


@dataclasses.dataclass
class ChatLine:
    id: str
    body: str
    mine: bool
    read: bool
    # Both languages, so the language switch needs no reload.
    when_he: str
    when_en: str


def _line(view: chat.MessageView) -> ChatLine:
    return ChatLine(id=str(view.id), body=view.body, mine=view.mine,
                    read=view.read_at is not None,
                    when_he=format.message_time(view.created_at, "he"),
                    when_en=format.message_time(view.created_at, "en"))


class ChatState(LiveLeadMixin, SessionState):
    lines: rx.Field[list[ChatLine]] = rx.field(default_factory=list)
    other_name: rx.Field[str] = rx.field("")
    lead_title: rx.Field[str] = rx.field("")
    lead_link: rx.Field[str] = rx.field("")
    writable: rx.Field[bool] = rx.field(False)
    masked: rx.Field[bool] = rx.field(False)
    reading_as_admin: rx.Field[bool] = rx.field(False)
    missing: rx.Field[bool] = rx.field(False)
    draft: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")

    @rx.var
    def thread_id(self) -> str:
        return self.rx_router_page.params.get("thread_id", "")

    @rx.var
    def lead_id(self) -> str:  # LiveLeadMixin's name for what the page follows
        return self.thread_id

    def _watched_key(self) -> str:
        return thread_key(self.thread_id) if self.thread_id else ""

    async def _load(self, caller) -> None:
        try:
            wanted = uuid.UUID(self.thread_id)
        except ValueError:
            self.missing = True
            return
        ip = self.router.session.client_ip or ""

        def read(session):
            view = chat.open_thread(session=session, caller=caller, thread_id=wanted, ip=ip)
            rows, _ = chat.messages(session=session, caller=caller, thread_id=wanted,
                                    limit=SHOWN)
            if view.side is not None:
                chat.mark_read(session=session, caller=caller, thread_id=wanted)
                chat.here(session=session, caller=caller, thread_id=wanted)
            return view, rows

        try:
            view, rows = await self._as(caller, read)
        except AppError:
            self.missing, self.lines = True, []
            return
        self.missing = False
        self.reading_as_admin = view.side is None
        self.other_name = (f"{view.business_name} · {view.owner_name}" if view.side is None
                           else view.other_name)
        self.lead_title = view.lead_title
        self.writable, self.masked = view.writable, view.masked
        owner_is_consumer = view.side == Side.owner and not view.owned_by_business
        self.lead_link = (routes.my_request(view.lead_id) if owner_is_consumer
                          else routes.ADMIN_DISPUTES if view.side is None
                          else routes.pro_lead(view.lead_id))
        self.lines = [_line(r) for r in reversed(rows)]

    async def _still_here(self) -> None:
        caller = await self._caller()
        if caller is not None and not self.reading_as_admin:
            wanted = uuid.UUID(self.thread_id)
            await self._as(caller, lambda s: chat.here(session=s, caller=caller,
                                                       thread_id=wanted))

    @event
    async def open(self):
        caller, redirect = await self._guard("login")
        if caller is None:
            return redirect
        self.error, self.draft = "", ""
        self._live_mark = SIGNALS.mark()
        await self._load(caller)
        return None if self.missing else ChatState.watch_lead

    @event
    def set_draft(self, value: str):
        self.draft = value[:MESSAGE_MAX_CHARS + 1]

    @event
    async def send(self, form: dict):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(routes.LOGIN)
        body = str(form.get("body", self.draft))
        self.error = ""
        try:
            wanted = uuid.UUID(self.thread_id)
            sent = await self._as(caller, lambda s: chat.send(
                session=s, caller=caller, thread_id=wanted, body=body))
        except ValueError:
            self.missing = True
            return None
        except AppError as error:
            fields = self._field_messages(error)
            self.error = fields.get("body") or self._message(error)
            return None
        self.draft = ""
        if all(line.id != str(sent.id) for line in self.lines):
            self.lines = [*self.lines, _line(sent)]
        return rx.set_value("chat-draft", "")

    @event
    async def leave(self):
        """The page was left: stop following it and stop counting as present."""
        self.stop_watching()
        caller = await self._caller()
        if caller is None or self.reading_as_admin or not self.thread_id:
            return
        try:
            wanted = uuid.UUID(self.thread_id)
        except ValueError:
            return
        await self._as(caller, lambda s: chat.gone(session=s, caller=caller, thread_id=wanted))


def _bubble(line: ObjectVar[ChatLine]) -> rx.Component:
    receipt = rx.cond(
        line.mine,
        rx.hstack(
            rx.icon(rx.cond(line.read, "check-check", "check"), size=14, aria_hidden="true"),
            rx.text(rx.cond(line.read, t("ui.chat.read"), t("ui.chat.sent")), size="1"),
            spacing="1", align="center", class_name="chat-receipt",
            data_read=rx.cond(line.read, "true", "false")),
    )
    return rx.el.li(
        rx.box(
            rx.el.span(rx.cond(line.mine, t("ui.chat.you_wrote"), t("ui.chat.they_wrote")),
                       class_name="sr-only"),
            rx.text(line.body, dir="auto", size="2", white_space="pre-wrap",
                    line_height="1.6", class_name="chat-body", overflow_wrap="anywhere"),
            rx.hstack(
                rx.text(rx.cond(LocaleState.locale == "en", line.when_en, line.when_he),
                        size="1"),
                receipt,
                spacing="2", align="center", justify="end", color=theme.MUTED,
            ),
            padding="0.6rem 0.85rem",
            border_radius="14px",
            max_width="85%",
            background=rx.cond(line.mine, rx.color("teal", 3), theme.SURFACE),
            border=f"1px solid {theme.BORDER}",
        ),
        display="flex",
        justify_content=rx.cond(line.mine, "flex-end", "flex-start"),
        list_style="none",
        class_name="chat-line",
        data_mine=rx.cond(line.mine, "true", "false"),
    )


def _composer() -> rx.Component:
    return form(
        rx.el.label(t("ui.chat.message_label"), html_for="chat-draft", class_name="sr-only"),
        rx.hstack(
            rx.text_area(
                id="chat-draft", name="body", placeholder=t("ui.chat.placeholder"),
                on_change=ChatState.set_draft.debounce(300), max_length=MESSAGE_MAX_CHARS,
                rows="2", resize="vertical", dir="auto", width="100%", size="3",
                aria_describedby="chat-hint",
            ),
            rx.button(rx.icon("send", size=18, aria_hidden="true"),
                      rx.el.span(t("ui.chat.send"), class_name="ofair-label-sm"),
                      type="submit", size="3", id="chat-send", min_height="44px",
                      aria_label=t("ui.chat.send")),
            align="end", spacing="2", width="100%",
        ),
        rx.text(t_with("ui.chat.hint", max=f"{MESSAGE_MAX_CHARS:,}"), id="chat-hint", size="1",
                color=theme.MUTED),
        on_submit=ChatState.send,
        reset_on_submit=False,
        width="100%",
    )


def _thread() -> rx.Component:
    return rx.vstack(
        rx.link(rx.hstack(rx.icon("arrow-right", size=16, aria_hidden="true",
                                  class_name="ofair-back"),
                          t("ui.chat.back"), spacing="1", align="center"),
                href=ChatState.lead_link, size="2", id="chat-back", padding="0.6rem 0"),
        rx.vstack(
            rx.heading(ChatState.other_name, as_="h1", size="5", dir="auto"),
            rx.text(ChatState.lead_title, size="2", color=theme.MUTED, dir="auto"),
            spacing="1", align="start"),
        rx.cond(ChatState.masked,
                rx.callout(t("ui.chat.masked"), icon="eye-off", size="1", color_scheme="gray",
                           id="chat-masked", width="100%")),
        rx.cond(ChatState.reading_as_admin,
                rx.callout(t("ui.chat.admin_read"), icon="shield", size="1",
                           color_scheme="amber", width="100%")),
        rx.box(
            rx.cond(
                ChatState.lines.length() > 0,
                rx.el.ul(rx.foreach(ChatState.lines, _bubble), id="chat-lines",
                         display="flex", flex_direction="column", gap="0.5rem",
                         padding="0", margin="0"),
                rx.center(rx.text(t("ui.chat.empty"), size="2", color=theme.MUTED,
                                  text_align="center"), padding="2rem 1rem"),
            ),
            # Newest at the bottom and the view anchored there (column-reverse scrolls from
            # the end), in a live region so a screen reader hears a new message.
            display="flex", flex_direction="column-reverse", overflow_y="auto",
            max_height="60vh", min_height="12rem", width="100%", padding="0.75rem",
            border=f"1px solid {theme.BORDER}", border_radius="14px",
            background=rx.color("gray", 2), aria_live="polite", role="log",
            aria_label=t("ui.chat.log_label"), tab_index=0, id="chat-log",
        ),
        error_banner(ChatState.error),
        rx.cond(ChatState.writable, _composer(),
                rx.cond(~ChatState.reading_as_admin,
                        rx.callout(t("ui.chat.closed"), icon="lock", size="1",
                                   color_scheme="gray", width="100%", id="chat-closed"))),
        spacing="3",
        width="100%",
    )


def _missing() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.chat.missing_title"), as_="h1", size="5"),
        rx.text(t("errors.chat.not_found"), color=theme.MUTED),
        rx.link(t("ui.notifications.title"), href=routes.NOTIFICATIONS),
        spacing="3", align="start", id="chat-missing")


def chat_page() -> rx.Component:
    return consumer_shell(
        rx.box(
            guarded(rx.cond(ChatState.missing, _missing(), _thread())),
            max_width="44rem",
            margin_x="auto",
            padding="1rem 1rem 3rem",
            width="100%",
            on_unmount=ChatState.leave,
        ),
    )
