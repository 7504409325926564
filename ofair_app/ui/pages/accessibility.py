"""`/accessibility`: the accessibility statement (Equal Rights for Persons with Disabilities
(Service Accessibility Adjustments) Regulations 2013, reg. 35), in Hebrew and English.

What was made accessible and how, what is not yet, the accessibility coordinator (name, phone
and e-mail from settings) and the day of the last review. The texts are catalog keys; the
coordinator and the date come from settings when the page opens, the date formatted for each
language, so the language switch needs no round trip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

import reflex as rx
from reflex.vars import ObjectVar, StringVar

from ofair_app.settings import Settings, get_settings
from ofair_app.ui import format, theme
from ofair_app.ui.components.a11y import accessibility_control
from ofair_app.ui.components.forms import dict_var
from ofair_app.ui.components.pickers import localized
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.state.events import event
from ofair_app.ui.state.locale import t, t_with
from ofair_app.ui.state.session import SessionState

# The sections' items, in the order the page shows them (catalog keys).
DONE = ("checks", "keyboard", "structure", "language", "contrast", "resize", "control")
LIMITS = ("uploads", "payment", "user_content", "automatic")
CONTACT = ("page", "problem", "device")
SCREEN_READERS = ("nvda", "voiceover", "talkback")


@dataclass(frozen=True)
class Coordinator:
    """The accessibility coordinator as the statement shows them (empty: not shown)."""

    name: str
    phone: str
    phone_href: str
    email: str


def coordinator_from(settings: Settings) -> Coordinator:
    """The coordinator of the settings; a phone's link keeps only what a dialer reads."""
    phone = settings.accessibility_coordinator_phone.strip()
    return Coordinator(
        name=settings.accessibility_coordinator_name.strip(),
        phone=phone,
        phone_href=f"tel:{re.sub(r'[^0-9+*]', '', phone)}" if phone else "",
        email=settings.accessibility_coordinator_email.strip(),
    )


def reviewed_on(settings: Settings) -> dict[str, str]:
    """The day of the last review, written for each language."""
    day = settings.accessibility_reviewed_on
    return {"he": format.long_day(day, "he"), "en": format.long_day(day, "en")}


class AccessibilityState(SessionState):
    coordinator: rx.Field[Coordinator] = rx.field(
        default_factory=lambda: Coordinator("", "", "", ""))
    reviewed: rx.Field[dict[str, str]] = rx.field(default_factory=dict)

    @event
    async def open(self):
        """Anyone may read it; signed in or not, the top bar shows who is here."""
        await self._identify()
        self.access = "ok"
        settings = get_settings()
        self.coordinator = coordinator_from(settings)
        self.reviewed = reviewed_on(settings)


# --- the page --------------------------------------------------------------------------------


def _section(title_key: str, *children, id: str | None = None) -> rx.Component:
    return rx.el.section(
        rx.heading(t(title_key), as_="h2", size="5", margin_bottom="0.75rem"),
        *children,
        id=id,
        width="100%",
        padding_top="1.75rem",
        margin_top="1.75rem",
        border_top=f"1px solid {theme.BORDER}",
    )


def _paragraph(key: str, **props) -> rx.Component:
    return rx.text(t(key), as_="p", size="3", line_height="1.75", color=theme.INK, **props)


def _items(prefix: str, keys: tuple[str, ...], icon: str, color: str) -> rx.Component:
    return rx.el.ul(
        *(rx.el.li(
            rx.icon(icon, size=18, color=color, flex_shrink="0", margin_top="0.3rem",
                    aria_hidden="true"),
            rx.text(t(f"{prefix}.{key}"), size="3", line_height="1.75"),
            display="flex",
            gap="0.75rem",
            align_items="flex-start",
        ) for key in keys),
        display="flex",
        flex_direction="column",
        gap="0.85rem",
        list_style="none",
        padding="0",
        margin="0",
    )


def _contact_line(icon: str, label_key: str, value: rx.Var, href: rx.Var,
                  id: str) -> rx.Component:
    return rx.hstack(
        rx.center(rx.icon(icon, size=18, color=theme.BRAND, aria_hidden="true"),
                  width="2.5rem", height="2.5rem", border_radius="12px",
                  background=rx.color("teal", 3), flex_shrink="0"),
        rx.vstack(
            rx.text(t(label_key), size="1", color=theme.MUTED, weight="medium"),
            rx.link(rx.el.bdi(value), href=href, size="3", weight="bold", dir="ltr",
                    underline="always", id=id, overflow_wrap="anywhere"),
            spacing="0",
            min_width="0",
        ),
        spacing="3",
        align="center",
        min_height="44px",
    )


def _coordinator_card() -> rx.Component:
    # A dataclass state var is an ObjectVar on the class (Reflex types `Field.__get__` for
    # pyright: mypy picks its sequence overload); its str fields are StringVars.
    c = cast("ObjectVar[Coordinator]", AccessibilityState.coordinator)
    return rx.vstack(
        rx.hstack(
            rx.icon("user-round-check", size=18, color=theme.BRAND, aria_hidden="true"),
            rx.text(t("ui.a11y.coordinator.title"), size="2", weight="bold", color=theme.MUTED),
            spacing="2",
            align="center",
        ),
        rx.text(
            rx.cond(c.name != "", rx.el.bdi(c.name), t("ui.a11y.coordinator.default_name")),
            size="5", weight="bold", id="coordinator-name",
        ),
        rx.cond(c.phone != "", _contact_line("phone", "ui.a11y.coordinator.phone", c.phone,
                                             c.phone_href, "coordinator-phone")),
        rx.cond(c.email != "", _contact_line("mail", "ui.a11y.coordinator.email", c.email,
                                             "mailto:" + cast(StringVar, c.email),
                                             "coordinator-email")),
        spacing="3",
        width="100%",
        padding="1.25rem",
        border_radius="16px",
        border=f"1px solid {theme.BORDER}",
        background=theme.PAGE,
        id="coordinator",
    )


def _reviewed() -> rx.Var:
    reviewed = dict_var(AccessibilityState.reviewed)
    return localized(reviewed.get("he", ""), reviewed.get("en", ""))


def _hero() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.center(
                rx.icon("accessibility", size=28, color=theme.BRAND, aria_hidden="true"),
                width="3.5rem", height="3.5rem", border_radius="16px",
                background=rx.color("teal", 3), flex_shrink="0",
            ),
            # a long word at a large text size wraps instead of widening a phone's page
            rx.heading(t("ui.a11y.title"), as_="h1", size=rx.breakpoints(initial="7", sm="8"),
                       min_width="0", overflow_wrap="break-word", hyphens="auto"),
            gap="1rem",
            align="center",
            wrap="wrap",
        ),
        rx.text(t("ui.a11y.subtitle"), as_="p", size="4", color=theme.MUTED, line_height="1.7",
                max_width="40rem"),
        rx.flex(
            rx.badge(rx.icon("shield-check", size=14, aria_hidden="true"), t("ui.a11y.level"),
                     color_scheme="teal", variant="soft", size="2", radius="full"),
            rx.badge(rx.icon("calendar-check", size=14, aria_hidden="true"),
                     # one flex item, so the badge's gap does not split "ב־" from the date
                     rx.el.span(t_with("ui.a11y.reviewed", date=_reviewed())),
                     color_scheme="gray", variant="soft", size="2", radius="full",
                     white_space="normal", height="auto", max_width="100%",
                     id="reviewed-on"),
            gap="0.5rem",
            wrap="wrap",
        ),
        spacing="4",
        width="100%",
    )


def _adjust() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading(t("ui.a11y.adjust.title"), as_="h2", size="4"),
            rx.text(t("ui.a11y.adjust.body"), size="2", color=theme.MUTED, line_height="1.6"),
            spacing="1",
            flex="1",
            min_width="min(14rem, 100%)",
        ),
        accessibility_control(trigger=rx.button(
            rx.icon("sliders-horizontal", size=16, aria_hidden="true"),
            t("ui.a11y.control.title"),
            size="3",
            class_name="a11y-open",
            id="a11y-open-here",
        )),
        gap="1rem",
        align="center",
        wrap="wrap",
        width="100%",
        padding="1.25rem",
        margin_top="1.75rem",
        border_radius="16px",
        background=rx.color("teal", 2),
        border=f"1px solid {rx.color('teal', 5)}",
    )


def accessibility_statement() -> rx.Component:
    return consumer_shell(
        rx.box(
            rx.el.article(
                _hero(),
                _adjust(),
                _section("ui.a11y.law.title", _paragraph("ui.a11y.law.body")),
                _section("ui.a11y.done.title",
                         _items("ui.a11y.done", DONE, "circle-check", theme.BRAND)),
                _section("ui.a11y.support.title",
                         _paragraph("ui.a11y.support.body", margin_bottom="0.85rem"),
                         _items("ui.a11y.support", SCREEN_READERS, "audio-lines", theme.BRAND),
                         _paragraph("ui.a11y.support.checks", margin_top="0.85rem")),
                _section("ui.a11y.limits.title",
                         _paragraph("ui.a11y.limits.intro", margin_bottom="0.85rem"),
                         _items("ui.a11y.limits", LIMITS, "info", theme.MUTED),
                         id="known-limits"),
                _section("ui.a11y.premises.title", _paragraph("ui.a11y.premises.body")),
                _section(
                    "ui.a11y.contact.title",
                    _paragraph("ui.a11y.contact.body", margin_bottom="0.85rem"),
                    _items("ui.a11y.contact", CONTACT, "dot", theme.BRAND),
                    rx.box(_coordinator_card(), margin_y="1.25rem"),
                    _paragraph("ui.a11y.contact.answer"),
                    id="contact",
                ),
                rx.text(
                    t("ui.a11y.coordinator.reviewed"), ": ", rx.el.bdi(_reviewed()),
                    size="2", color=theme.MUTED, margin_top="2rem", as_="p",
                ),
                background=theme.SURFACE,
                border=f"1px solid {theme.BORDER}",
                border_radius="20px",
                padding=rx.breakpoints(initial="1.5rem 1.1rem", sm="2.5rem"),
                box_shadow="0 1px 2px rgba(18,38,43,0.04), 0 8px 24px rgba(18,38,43,0.05)",
            ),
            max_width="50rem",
            margin_x="auto",
            padding=rx.breakpoints(initial="1.25rem 0.75rem 2.5rem", sm="2.5rem 1rem 4rem"),
        )
    )
