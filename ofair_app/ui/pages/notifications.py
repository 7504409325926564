"""`/notifications`: everything the signed-in person was told about, newest first.

The bell in every shell leads here. Opening a notification marks it read and goes to the page
it is about; "mark all as read" empties the bell. How to be told (channels, quiet hours) is
chosen on the account page.
"""

from __future__ import annotations

import dataclasses
import uuid

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app.domain.errors import AppError
from ofair_app.models import Notification
from ofair_app.services import notification_center
from ofair_app.ui import format, routes, theme
from ofair_app.ui.components.forms import error_banner, page_title
from ofair_app.ui.components.shells import consumer_shell, guarded
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import LocaleState, t
from ofair_app.ui.state.session import SessionState, login_url, safe_next

PAGE = 20

ICONS = {"leads": "inbox", "proposals": "file-text", "referrals": "share-2",
         "jobs": "hammer", "money": "wallet", "chat": "message-circle",
         "account": "user-round"}


@dataclasses.dataclass
class NotificationRow:
    id: str
    title: str
    link: str
    icon: str
    unread: bool
    # Both languages, so the language switch needs no reload.
    when_he: str
    when_en: str


def _row(row: Notification) -> NotificationRow:
    return NotificationRow(id=str(row.id), title=row.title, link=row.link,
                           icon=ICONS.get(row.event_group, "bell"), unread=row.read_at is None,
                           when_he=format.ago(row.notified_at, "he"),
                           when_en=format.ago(row.notified_at, "en"))


def _page(session, caller, cursor: str | None):
    rows, next_cursor = notification_center.list_notifications(
        session=session, caller=caller, limit=PAGE, cursor=cursor)
    unread = notification_center.unread_count(session=session, caller=caller)
    return [_row(r) for r in rows], next_cursor or "", unread


class NotificationsState(SessionState):
    items: rx.Field[list[NotificationRow]] = rx.field(default_factory=list)
    next_cursor: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")

    @event
    async def open(self):
        caller, redirect = await self._guard("login")
        if caller is None:
            return redirect
        self.error = ""
        self.items, self.next_cursor, self.unread_notifications = await self._as(
            caller, lambda s: _page(s, caller, None))
        return None

    @event
    async def more(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(login_url(routes.NOTIFICATIONS))
        cursor = self.next_cursor
        if not cursor:
            return None
        try:
            rows, self.next_cursor, self.unread_notifications = await self._as(
                caller, lambda s: _page(s, caller, cursor))
        except AppError as error:
            self.error = self._message(error)
            return None
        self.items = self.items + rows
        return None

    @event
    async def open_one(self, notification_id: str, link: str):
        """Mark it read, then go to the page it is about (if any)."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(login_url(routes.NOTIFICATIONS))
        try:
            wanted = uuid.UUID(notification_id)
            await self._as(caller, lambda s: notification_center.mark_read(
                session=s, caller=caller, notification_id=wanted))
        except ValueError:
            self.error = self._text("errors.notification.not_found")
            return None
        except AppError as error:
            self.error = self._message(error)
            return None
        was_unread = any(r.id == notification_id and r.unread for r in self.items)
        self.items = [dataclasses.replace(r, unread=False) if r.id == notification_id else r
                      for r in self.items]
        if was_unread:
            self.unread_notifications = max(0, self.unread_notifications - 1)
        # Only a path on this site (the rows are ours, but the event's arguments are not).
        target = safe_next(link, "")
        return rx.redirect(target) if target else None

    @event
    async def read_all(self):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(login_url(routes.NOTIFICATIONS))
        await self._as(caller, lambda s: notification_center.mark_all_read(session=s,
                                                                          caller=caller))
        self.items = [dataclasses.replace(r, unread=False) for r in self.items]
        self.unread_notifications = 0
        return None


def _item(row: ObjectVar[NotificationRow]) -> rx.Component:
    icon = rx.center(
        rx.icon(row.icon, size=18, color=theme.BRAND, aria_hidden="true"),
        width="2.5rem", height="2.5rem", border_radius="999px",
        background=rx.color("teal", 3), flex_shrink="0")
    text = rx.vstack(
        rx.text(row.title, weight=rx.cond(row.unread, "bold", "regular"), size="2",
                dir="auto", line_height="1.5", text_align="start"),
        rx.text(rx.cond(LocaleState.locale == "en", row.when_en, row.when_he),
                size="1", color=theme.MUTED),
        spacing="1", align="start", min_width="0", flex="1")
    dot = rx.cond(row.unread, rx.box(
        rx.el.span(t("ui.notifications.unread_one"), class_name="sr-only"),
        width="0.6rem", height="0.6rem", border_radius="999px",
        background=rx.color("red", 9), flex_shrink="0"))
    return rx.el.li(
        rx.el.button(
            rx.hstack(icon, text, dot, align="center", spacing="3", width="100%"),
            on_click=NotificationsState.open_one(row.id, row.link),
            type="button",
            class_name="notification-item",
            data_unread=rx.cond(row.unread, "true", "false"),
            width="100%",
            min_height="44px",
            padding="0.85rem 1rem",
            background=rx.cond(row.unread, rx.color("teal", 2), theme.SURFACE),
            border=f"1px solid {theme.BORDER}",
            border_radius="14px",
            cursor="pointer",
            text_align="start",
            color=theme.INK,
            _hover={"background": rx.color("teal", 3)},
        ),
        list_style="none",
        width="100%",
    )


def _empty() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("bell-off", size=28, color=theme.MUTED, aria_hidden="true"),
            rx.text(t("ui.notifications.none"), color=theme.MUTED, size="2",
                    text_align="center"),
            align="center", spacing="2"),
        padding="2.5rem 1rem", width="100%", id="notifications-empty")


def notifications_page() -> rx.Component:
    return consumer_shell(
        rx.box(
            guarded(
                rx.vstack(
                    rx.flex(
                        page_title("ui.notifications.title", "ui.notifications.subtitle"),
                        rx.cond(
                            SessionState.unread_notifications > 0,
                            rx.button(rx.icon("check-check", size=16),
                                      t("ui.notifications.read_all"), variant="soft",
                                      size="2", on_click=NotificationsState.read_all,
                                      id="notifications-read-all", white_space="nowrap",
                                      min_height="44px"),
                        ),
                        direction=rx.breakpoints(initial="column", sm="row"),
                        justify="between", align=rx.breakpoints(initial="start", sm="end"),
                        gap="3", width="100%"),
                    error_banner(NotificationsState.error),
                    rx.cond(
                        NotificationsState.items.length() > 0,
                        rx.el.ul(rx.foreach(NotificationsState.items, _item),
                                 id="notifications-list", display="flex",
                                 flex_direction="column", gap="0.5rem", width="100%",
                                 padding="0", margin="0"),
                        _empty()),
                    rx.cond(
                        NotificationsState.next_cursor != "",
                        rx.button(t("ui.notifications.more"), variant="soft",
                                  color_scheme="gray", size="3", width="100%",
                                  on_click=NotificationsState.more, id="notifications-more"),
                    ),
                    rx.link(rx.hstack(rx.icon("settings-2", size=16, aria_hidden="true"),
                                      t("ui.notifications.settings_link"), spacing="2",
                                      align="center"),
                            href=f"{routes.ACCOUNT}#notification-settings", size="2",
                            id="notifications-settings-link", padding="0.6rem 0"),
                    spacing="4",
                    width="100%",
                ),
            ),
            max_width="40rem",
            margin_x="auto",
            padding="1.5rem 1rem 3rem",
            width="100%",
        ),
    )
