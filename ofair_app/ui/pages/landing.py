"""`/`: the consumer's request form, what OFAIR is, and the pitch to professionals."""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.pages.request_form import request_card
from ofair_app.ui.state.locale import t


def _icon_tile(icon: str, size: str = "2.75rem") -> rx.Component:
    return rx.center(
        rx.icon(icon, size=22, color=theme.BRAND),
        width=size,
        height=size,
        border_radius="12px",
        background=rx.color("teal", 3),
        flex_shrink="0",
    )


# --- hero ----------------------------------------------------------------------------------


def _cta(label: str, icon: str, href: str, primary: bool) -> rx.Component:
    return rx.link(
        rx.button(
            rx.icon(icon, size=18),
            t(label),
            size="4",
            radius="large",
            variant="solid" if primary else "surface",
            width="100%",
        ),
        href=href,
        width=rx.breakpoints(initial="100%", sm="auto"),
    )


def _hero() -> rx.Component:
    copy = rx.vstack(
        rx.badge(
            rx.icon("sparkles", size=14),
            t("ui.landing.eyebrow"),
            color_scheme="teal",
            variant="surface",
            size="2",
            radius="full",
        ),
        rx.heading(
            t("ui.landing.title"),
            as_="h1",
            weight="bold",
            font_size=rx.breakpoints(initial="1.9rem", sm="2.3rem", lg="2.75rem"),
            line_height="1.2",
            max_width="18em",
            letter_spacing="-0.01em",
        ),
        rx.text(
            t("ui.landing.subtitle"),
            size=rx.breakpoints(initial="3", md="4"),
            color=theme.MUTED,
            max_width="36rem",
            line_height="1.7",
        ),
        rx.flex(
            _cta("ui.landing.cta_post", "list-checks", routes.HOW_IT_WORKS, primary=False),
            _cta("ui.landing.cta_pro", "hard-hat", routes.FOR_PROS, primary=False),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="3",
            width="100%",
            padding_top="0.5rem",
            # On a phone the request form follows right away; these links would push it down.
            display=rx.breakpoints(initial="none", md="flex"),
        ),
        spacing="5",
        flex="1",
    )
    return rx.box(
        rx.flex(
            copy,
            request_card(),
            direction=rx.breakpoints(initial="column", md="row"),
            align=rx.breakpoints(initial="stretch", md="start"),
            spacing=rx.breakpoints(initial="6", md="9"),
            max_width=theme.MAX_WIDTH,
            margin_x="auto",
            padding=rx.breakpoints(initial="1.75rem 1rem 2.5rem", md="4rem 1rem 4rem"),
        ),
        background=(
            f"radial-gradient(60rem 28rem at 85% -10%, {rx.color('teal', 3)} 0%, transparent 60%),"
            f" linear-gradient(180deg, {rx.color('teal', 2)} 0%, {theme.PAGE} 100%)"
        ),
    )


# --- trust, steps, pros --------------------------------------------------------------------


def _trust_point(icon: str, title: str, body: str) -> rx.Component:
    return rx.hstack(
        _icon_tile(icon),
        rx.vstack(
            rx.text(t(title), weight="bold", size="3"),
            rx.text(t(body), color=theme.MUTED, size="2", line_height="1.6"),
            spacing="1",
        ),
        align="start",
        spacing="3",
        style=theme.card_style(),
    )


def _trust() -> rx.Component:
    return rx.grid(
        _trust_point("lock-keyhole", "ui.landing.stat_private", "ui.landing.stat_private_body"),
        _trust_point("shield-check", "ui.landing.stat_escrow", "ui.landing.stat_escrow_body"),
        _trust_point("badge-check", "ui.landing.stat_verified", "ui.landing.stat_verified_body"),
        columns=rx.breakpoints(initial="1", md="3"),
        spacing="4",
        max_width=theme.MAX_WIDTH,
        margin_x="auto",
        padding_x="1rem",
        id="trust",
    )


def _step(number: str, icon: str, title: str, body: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.center(
                rx.text(number, weight="bold", color="white", size="3"),
                width="2.25rem",
                height="2.25rem",
                border_radius="999px",
                background=theme.BRAND,
                flex_shrink="0",
            ),
            rx.spacer(),
            rx.icon(icon, size=22, color=rx.color("teal", 8)),
            width="100%",
            align="center",
        ),
        rx.text(t(title), weight="bold", size="4"),
        rx.text(t(body), color=theme.MUTED, size="2", line_height="1.6"),
        spacing="2",
        style=theme.card_style(),
        height="100%",
    )


def _how() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.landing.how_title"), as_="h2", size="7"),
        rx.text(t("ui.landing.how_subtitle"), color=theme.MUTED, size="3"),
        rx.grid(
            _step("1", "file-pen-line", "ui.landing.step1_title", "ui.landing.step1_body"),
            _step("2", "messages-square", "ui.landing.step2_title", "ui.landing.step2_body"),
            _step("3", "handshake", "ui.landing.step3_title", "ui.landing.step3_body"),
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="4",
            width="100%",
            margin_top="0.75rem",
        ),
        id="how",
        spacing="2",
        max_width=theme.MAX_WIDTH,
        margin_x="auto",
        padding="4rem 1rem 1rem",
        scroll_margin_top="64px",
    )


def _pros() -> rx.Component:
    def point(icon: str, text: str) -> rx.Component:
        return rx.hstack(
            rx.center(
                rx.icon(icon, size=18, color=theme.ACCENT),
                width="2.25rem",
                height="2.25rem",
                border_radius="10px",
                background=theme.BAND_TILE,
                flex_shrink="0",
            ),
            rx.text(t(text), size="3", weight="medium"),
            align="center",
            spacing="3",
        )

    pitch = rx.vstack(
        rx.heading(t("ui.landing.pros_title"), as_="h2", size="7", color="white"),
        rx.text(
            t("ui.landing.pros_body"),
            size="3",
            color="white",
            line_height="1.7",
        ),
        rx.link(
            rx.button(
                t("ui.landing.pros_cta"),
                rx.icon("arrow-left", size=18, class_name="ofair-forward"),
                size="3",
                radius="large",
                background="white",
                color=theme.BRAND,
                _hover={"background": rx.color("teal", 2)},
            ),
            href=routes.PRO_HOME,
            margin_top="0.5rem",
        ),
        spacing="4",
        flex="3",
    )
    points = rx.vstack(
        point("map-pinned", "ui.landing.pros_point1"),
        point("handshake", "ui.landing.pros_point2"),
        point("receipt-text", "ui.landing.pros_point3"),
        rx.separator(size="4", background="rgba(255,255,255,0.18)"),
        rx.text(t("ui.landing.commission_note"), size="1", color="white"),
        spacing="4",
        color="white",
        flex="2",
        width="100%",
        padding="1.5rem",
        border_radius="16px",
        background=theme.BAND_PANEL,
        border="1px solid rgba(255,255,255,0.14)",
    )
    band = rx.flex(
        pitch,
        points,
        direction=rx.breakpoints(initial="column", md="row"),
        align=rx.breakpoints(initial="stretch", md="center"),
        spacing="7",
        max_width=theme.MAX_WIDTH,
        margin_x="auto",
        padding=rx.breakpoints(initial="2.5rem 1.25rem 3rem", md="4rem 1rem"),
    )
    # A full-width band that meets the footer: no strip of page colour between them.
    return rx.box(
        band,
        id="pros",
        margin_top=rx.breakpoints(initial="3.5rem", md="4.5rem"),
        background=f"linear-gradient(135deg, {theme.BRAND} 0%, {theme.BRAND_DARK} 100%)",
        scroll_margin_top="64px",
    )


def landing() -> rx.Component:
    return consumer_shell(_hero(), _trust(), _how(), _pros())
