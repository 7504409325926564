"""How the signed-in person wants to be told: a channel per group of events, and quiet hours.

A section of the account page with its own state: it loads when it appears and saves each
change at once (like the marketing switch), through the same service as the REST API.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from ofair_app.domain.errors import AppError
from ofair_app.domain.notifying import GROUPS, Channel, EventGroup
from ofair_app.services import notification_center
from ofair_app.ui import routes, theme
from ofair_app.ui.components.forms import error_banner, notice_banner
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState, login_url

# The channels a person chooses here (push joins once a device can be enabled).
SHOWN_CHANNELS: tuple[Channel, ...] = (Channel.sms, Channel.whatsapp, Channel.email)
TIMES = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)]


@dataclasses.dataclass
class GroupChoice:
    group: str
    sms: bool
    whatsapp: bool
    email: bool


def _shown(prefs: notification_center.Preferences) -> dict:
    quiet = prefs.quiet
    return {
        "rows": [GroupChoice(group=g.value, **{c.value: prefs.channels[g][c]
                                               for c in SHOWN_CHANNELS}) for g in GROUPS],
        "quiet_enabled": quiet.enabled,
        "quiet_start": quiet.start.strftime("%H:%M"),
        "quiet_end": quiet.end.strftime("%H:%M"),
        "shabbat": quiet.shabbat,
    }


class NotificationSettingsState(SessionState):
    rows: list[GroupChoice] = []
    quiet_enabled: bool = True
    quiet_start: str = "22:00"
    quiet_end: str = "07:00"
    shabbat: bool = False
    times: list[str] = TIMES
    settings_error: str = ""
    settings_notice: str = ""

    def _apply(self, shown: dict) -> None:
        for name, value in shown.items():
            setattr(self, name, value)
        extra = {self.quiet_start, self.quiet_end} - set(TIMES)
        self.times = sorted(TIMES + list(extra))

    @rx.event
    async def load(self):
        caller = await self._caller()
        if caller is None:
            return None
        self.settings_error, self.settings_notice = "", ""
        prefs = await self._as(caller, lambda s: notification_center.preferences(
            session=s, caller=caller))
        self._apply(_shown(prefs))
        return None

    async def _save(self, channels: dict | None = None, quiet: dict | None = None):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(login_url(routes.ACCOUNT))
        self.settings_error, self.settings_notice = "", ""
        try:
            prefs = await self._as(caller, lambda s: notification_center.update_preferences(
                session=s, caller=caller, channels=channels, quiet=quiet))
        except AppError as error:
            fields = self._field_messages(error)
            self.settings_error = next(iter(fields.values()), "") or self._message(error)
            return None
        self._apply(_shown(prefs))
        self.settings_notice = self._text("ui.notify.saved")
        return None

    @rx.event
    async def choose(self, group: str, channel: str, on: bool):
        return await self._save(channels={group: {channel: bool(on)}})

    @rx.event
    async def set_quiet(self, on: bool):
        return await self._save(quiet={"enabled": bool(on)})

    @rx.event
    async def set_quiet_start(self, value: str):
        return await self._save(quiet={"start": value})

    @rx.event
    async def set_quiet_end(self, value: str):
        return await self._save(quiet={"end": value})

    @rx.event
    async def set_shabbat(self, on: bool):
        return await self._save(quiet={"shabbat": bool(on)})


def _cell(row: rx.Var, channel: Channel) -> rx.Component:
    element_id = f"notify-{channel.value}-" + row.group
    return rx.el.td(
        rx.el.label(
            # A native checkbox: its label (this cell's 44 px) takes the tap too.
            rx.el.input(type="checkbox", id=element_id, checked=getattr(row, channel.value),
                        on_change=lambda _value: NotificationSettingsState.choose(
                            row.group, channel.value, ~getattr(row, channel.value)),
                        width="1.25rem", height="1.25rem", margin="0",
                        accent_color=theme.BRAND, cursor="pointer"),
            rx.el.span(_group_name(row.group), " — ", t(f"ui.notify.channel.{channel.value}"),
                       class_name="sr-only"),
            html_for=element_id,
            display="flex", align_items="center", justify_content="center",
            min_width="44px", min_height="44px", cursor="pointer",
        ),
        text_align="center",
    )


def _group_name(group: rx.Var) -> rx.Component:
    return rx.match(group, *((g.value, t(f"ui.notify.group.{g.value}")) for g in EventGroup),
                    "")


def _matrix() -> rx.Component:
    header = rx.el.tr(
        rx.el.th(rx.el.span(t("ui.notify.about"), class_name="sr-only"), scope="col"),
        *(rx.el.th(t(f"ui.notify.channel.{c.value}"), scope="col",
                   style={"font_size": "0.8rem", "font_weight": "600", "padding": "0 0.25rem",
                          "color": theme.MUTED}) for c in SHOWN_CHANNELS),
    )

    def line(row: rx.Var) -> rx.Component:
        return rx.el.tr(
            rx.el.th(_group_name(row.group), scope="row",
                     style={"text_align": "start", "font_weight": "500", "font_size": "0.9rem",
                            "padding": "0.25rem 0"}),
            *(_cell(row, c) for c in SHOWN_CHANNELS),
            border_top=f"1px solid {theme.BORDER}",
        )

    return rx.el.table(
        rx.el.caption(t("ui.notify.matrix_caption"), class_name="sr-only"),
        rx.el.thead(header),
        rx.el.tbody(rx.foreach(NotificationSettingsState.rows, line)),
        width="100%",
        style={"border_collapse": "collapse"},
        id="notify-matrix",
    )


def _switch(element_id: str, checked: rx.Var, on_change, label: str,
            hint: str) -> rx.Component:
    return rx.el.label(
        rx.switch(checked=checked, on_change=on_change, id=element_id, size="3",
                  flex_shrink="0", margin_top="2px"),
        rx.vstack(rx.text(t(label), size="2", weight="medium"),
                  rx.text(t(hint), size="1", color=theme.MUTED), spacing="0"),
        html_for=element_id, display="flex", gap="0.75rem", align_items="flex-start",
        cursor="pointer",
    )


def _time(element_id: str, label: str, value: rx.Var, on_change) -> rx.Component:
    return rx.vstack(
        rx.el.label(t(label), html_for=element_id, font_size="0.85rem", font_weight="500"),
        rx.el.select(
            rx.foreach(NotificationSettingsState.times,
                       lambda moment: rx.el.option(moment, value=moment)),
            value=value, on_change=on_change, id=element_id, dir="ltr",
            min_height="44px", padding="0 0.75rem", border_radius="10px",
            border=f"1px solid {theme.BORDER}", background=theme.SURFACE, color=theme.INK,
            width="100%",
        ),
        spacing="1", width="100%",
    )


def notification_settings() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.notify.title"), as_="h2", size="4"),
        rx.text(t("ui.notify.subtitle"), size="2", color=theme.MUTED, line_height="1.6"),
        error_banner(NotificationSettingsState.settings_error),
        notice_banner(NotificationSettingsState.settings_notice),
        _matrix(),
        rx.divider(),
        _switch("notify-quiet", NotificationSettingsState.quiet_enabled,
                NotificationSettingsState.set_quiet, "ui.notify.quiet", "ui.notify.quiet_hint"),
        rx.cond(
            NotificationSettingsState.quiet_enabled,
            rx.grid(
                _time("notify-quiet-start", "ui.notify.quiet_start",
                      NotificationSettingsState.quiet_start,
                      NotificationSettingsState.set_quiet_start),
                _time("notify-quiet-end", "ui.notify.quiet_end",
                      NotificationSettingsState.quiet_end,
                      NotificationSettingsState.set_quiet_end),
                columns="2", spacing="3", width="100%"),
        ),
        _switch("notify-shabbat", NotificationSettingsState.shabbat,
                NotificationSettingsState.set_shabbat, "ui.notify.shabbat",
                "ui.notify.shabbat_hint"),
        spacing="4",
        width="100%",
        id="notification-settings",
        style=theme.card_style(),
        on_mount=NotificationSettingsState.load,
    )
