"""How the signed-in person wants to be told: a channel per group of events, and quiet hours.

A section of the account page with its own state: it loads when it appears and saves each
change at once (like the marketing switch), through the same service as the REST API.
"""

from __future__ import annotations

import dataclasses
from typing import cast

import reflex as rx
from reflex.vars import ObjectVar, StringVar

from ofair_app.domain.errors import AppError
from ofair_app.domain.notifying import GROUPS, Channel, EventGroup
from ofair_app.services import notification_center, push
from ofair_app.ui import routes, theme
from ofair_app.ui.components.forms import error_banner, notice_banner
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import SessionState, login_url

# The channels a person chooses here ("device" is push, to the browsers enabled below).
SHOWN_CHANNELS: tuple[Channel, ...] = (Channel.push, Channel.sms, Channel.whatsapp,
                                       Channel.email)
# What the browser says about push on this device (`window.ofairPush`, assets/pwa.js).
STATUS_SCRIPT = ("window.ofairPush ? window.ofairPush.status()"
                 " : {supported: false, permission: 'unsupported'}")
# Straight from the click (Safari asks for permission only during one); the key rides on
# the button, so no round trip comes first.
SUBSCRIBE_SCRIPT = ("window.ofairPush ? window.ofairPush.subscribe("
                    "document.getElementById('push-enable').dataset.key)"
                    " : {ok: false, reason: 'unsupported'}")
UNSUBSCRIBE_SCRIPT = "window.ofairPush ? window.ofairPush.unsubscribe() : {ok: false}"
TIMES = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)]


@dataclasses.dataclass
class GroupChoice:
    group: str
    push: bool
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
    rows: rx.Field[list[GroupChoice]] = rx.field(default_factory=list)
    quiet_enabled: rx.Field[bool] = rx.field(True)
    quiet_start: rx.Field[str] = rx.field("22:00")
    quiet_end: rx.Field[str] = rx.field("07:00")
    shabbat: rx.Field[bool] = rx.field(False)
    times: rx.Field[list[str]] = rx.field(default_factory=lambda: list(TIMES))
    settings_error: rx.Field[str] = rx.field("")
    settings_notice: rx.Field[str] = rx.field("")
    # This device and push: the key browsers subscribe with ("" when the server has none)
    # and what the browser reported.
    push_key: rx.Field[str] = rx.field("")
    push_supported: rx.Field[bool] = rx.field(False)
    push_permission: rx.Field[str] = rx.field("")
    push_here: rx.Field[bool] = rx.field(False)
    push_ios: rx.Field[bool] = rx.field(False)
    push_standalone: rx.Field[bool] = rx.field(False)
    push_devices: rx.Field[int] = rx.field(0)
    push_message: rx.Field[str] = rx.field("")

    def _apply(self, shown: dict) -> None:
        for name, value in shown.items():
            setattr(self, name, value)
        extra = {self.quiet_start, self.quiet_end} - set(TIMES)
        self.times = sorted(TIMES + list(extra))

    @event
    async def load(self):
        caller = await self._caller()
        if caller is None:
            return None
        self.settings_error, self.settings_notice = "", ""
        prefs, devices = await self._as(caller, lambda s: (
            notification_center.preferences(session=s, caller=caller),
            push.devices(session=s, caller=caller)))
        self._apply(_shown(prefs))
        self.push_devices, self.push_message = len(devices), ""
        try:
            self.push_key = push.application_server_key()
        except AppError:
            self.push_key = ""
        return rx.call_script(STATUS_SCRIPT, callback=NotificationSettingsState.got_status)

    @event
    def got_status(self, status: dict):
        status = status if isinstance(status, dict) else {}
        self.push_supported = bool(status.get("supported")) and bool(self.push_key)
        self.push_permission = str(status.get("permission", ""))[:20]
        self.push_here = bool(status.get("subscribed"))
        self.push_ios = bool(status.get("ios"))
        self.push_standalone = bool(status.get("standalone"))

    @event
    async def enabled_here(self, result: dict):
        """The browser's answer to "enable": store its subscription, or say why not."""
        caller = await self._caller()
        if caller is None:
            return rx.redirect(login_url(routes.ACCOUNT))
        result = result if isinstance(result, dict) else {}
        self.push_message, self.settings_error = "", ""
        subscription = result.get("subscription") if result.get("ok") else None
        if not isinstance(subscription, dict):
            reason = str(result.get("reason", "error"))
            self.push_permission = "denied" if reason == "denied" else self.push_permission
            self.settings_error = self._text(
                "ui.push.denied" if reason == "denied" else "ui.push.unsupported"
                if reason == "unsupported" else "ui.push.failed")
            return None
        raw_keys = subscription.get("keys")
        keys = raw_keys if isinstance(raw_keys, dict) else {}
        _, agent = self._request_origin()
        try:
            await self._as(caller, lambda s: push.subscribe(
                session=s, caller=caller, endpoint=str(subscription.get("endpoint", "")),
                p256dh=str(keys.get("p256dh", "")), auth=str(keys.get("auth", "")),
                user_agent=agent))
            devices = await self._as(caller, lambda s: push.devices(session=s, caller=caller))
        except AppError as error:
            self.settings_error = self._message(error)
            return None
        self.push_here, self.push_permission = True, "granted"
        self.push_devices = len(devices)
        self.push_message = self._text("ui.push.enabled")
        return None

    @event
    async def disabled_here(self, result: dict):
        caller = await self._caller()
        if caller is None:
            return rx.redirect(login_url(routes.ACCOUNT))
        endpoint = result.get("endpoint") if isinstance(result, dict) else None
        if isinstance(endpoint, str) and endpoint:
            await self._as(caller, lambda s: push.unsubscribe(session=s, caller=caller,
                                                              endpoint=endpoint))
        devices = await self._as(caller, lambda s: push.devices(session=s, caller=caller))
        self.push_here, self.push_devices = False, len(devices)
        self.push_message = self._text("ui.push.disabled")
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

    @event
    async def choose(self, group: str, channel: str, on: bool):
        return await self._save(channels={group: {channel: bool(on)}})

    @event
    async def set_quiet(self, on: bool):
        return await self._save(quiet={"enabled": bool(on)})

    @event
    async def set_quiet_start(self, value: str):
        return await self._save(quiet={"start": value})

    @event
    async def set_quiet_end(self, value: str):
        return await self._save(quiet={"end": value})

    @event
    async def set_shabbat(self, on: bool):
        return await self._save(quiet={"shabbat": bool(on)})


def _cell(row: ObjectVar[GroupChoice], channel: Channel) -> rx.Component:
    # `group` is a str field: Reflex reads it as a StringVar (its stubs type a dataclass's
    # fields only as ObjectItemOperation)
    element_id = f"notify-{channel.value}-" + cast(StringVar, row.group)
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

    def line(row: ObjectVar[GroupChoice]) -> rx.Component:
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


def _this_device() -> rx.Component:
    """Push on this device: enable or turn off, and on an iPhone how to install the app
    first (Safari gives push only to a web app added to the Home Screen)."""
    state = NotificationSettingsState
    enable = rx.button(rx.icon("bell-ring", size=16, aria_hidden="true"),
                       t("ui.push.enable"), id="push-enable", size="3", min_height="44px",
                       data_key=state.push_key,
                       on_click=rx.call_script(SUBSCRIBE_SCRIPT, callback=state.enabled_here))
    disable = rx.button(t("ui.push.disable"), id="push-disable", size="2", variant="soft",
                        color_scheme="gray", min_height="44px",
                        on_click=rx.call_script(UNSUBSCRIBE_SCRIPT,
                                                callback=state.disabled_here))
    ios_help = rx.vstack(
        rx.text(t("ui.push.ios_title"), size="2", weight="medium"),
        rx.el.ol(rx.el.li(t("ui.push.ios_step1")), rx.el.li(t("ui.push.ios_step2")),
                 rx.el.li(t("ui.push.ios_step3")),
                 style={"padding_inline_start": "1.25rem", "margin": "0",
                        "font_size": "0.9rem", "line_height": "1.7"}),
        spacing="1", id="push-ios-help")
    return rx.vstack(
        rx.hstack(rx.icon("smartphone", size=18, color=theme.BRAND, aria_hidden="true"),
                  rx.heading(t("ui.push.title"), as_="h3", size="3"),
                  spacing="2", align="center"),
        rx.text(t("ui.push.subtitle"), size="2", color=theme.MUTED, line_height="1.6"),
        rx.cond(
            state.push_here,
            rx.hstack(rx.badge(rx.icon("check", size=14, aria_hidden="true"),
                               t("ui.push.on_here"), color_scheme="green", size="2"),
                      disable, spacing="3", align="center", wrap="wrap", id="push-on"),
            rx.cond(
                state.push_supported,
                rx.cond(state.push_permission == "denied",
                        rx.text(t("ui.push.denied"), size="2", id="push-blocked"),
                        enable),
                rx.cond(state.push_ios & ~state.push_standalone, ios_help,
                        rx.text(t("ui.push.unsupported"), size="2", color=theme.MUTED,
                                id="push-unsupported")),
            ),
        ),
        notice_banner(state.push_message),
        spacing="2", width="100%", id="push-device",
        padding="1rem", border=f"1px solid {theme.BORDER}", border_radius="12px",
    )


def notification_settings() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.notify.title"), as_="h2", size="4"),
        rx.text(t("ui.notify.subtitle"), size="2", color=theme.MUTED, line_height="1.6"),
        error_banner(NotificationSettingsState.settings_error),
        notice_banner(NotificationSettingsState.settings_notice),
        _this_device(),
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
