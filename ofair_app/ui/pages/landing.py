"""`/`: what OFAIR is, for consumers and for professionals."""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.state.locale import t


def _trust_point(icon: str, title: str, body: str) -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon(icon, size=22, color=theme.BRAND),
            width="2.75rem",
            height="2.75rem",
            border_radius="12px",
            background=rx.color("teal", 3),
            flex_shrink="0",
        ),
        rx.vstack(
            rx.text(t(title), weight="bold", size="3"),
            rx.text(t(body), color=theme.MUTED, size="2"),
            spacing="1",
        ),
        align="start",
        spacing="3",
        style=theme.card_style(),
    )


def _step(number: str, title: str, body: str) -> rx.Component:
    return rx.vstack(
        rx.center(
            rx.text(number, weight="bold", color="white"),
            width="2.25rem",
            height="2.25rem",
            border_radius="999px",
            background=theme.BRAND,
        ),
        rx.text(t(title), weight="bold", size="4"),
        rx.text(t(body), color=theme.MUTED, size="2"),
        spacing="2",
        style=theme.card_style(),
        height="100%",
    )


def _hero() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.badge(
                t("ui.landing.eyebrow"),
                color_scheme="teal",
                variant="soft",
                size="2",
                radius="full",
            ),
            rx.heading(
                t("ui.landing.title"),
                as_="h1",
                size=rx.breakpoints(initial="8", md="9"),
                weight="bold",
                line_height="1.15",
                max_width="44rem",
            ),
            rx.text(
                t("ui.landing.subtitle"),
                size=rx.breakpoints(initial="3", md="4"),
                color=theme.MUTED,
                max_width="40rem",
            ),
            rx.flex(
                rx.link(
                    rx.button(
                        rx.icon("clipboard-pen", size=18),
                        t("ui.landing.cta_post"),
                        size="4",
                        radius="large",
                        width="100%",
                    ),
                    href=routes.HOW_IT_WORKS,
                    width=rx.breakpoints(initial="100%", sm="auto"),
                ),
                rx.link(
                    rx.button(
                        rx.icon("hard-hat", size=18),
                        t("ui.landing.cta_pro"),
                        size="4",
                        variant="outline",
                        radius="large",
                        width="100%",
                    ),
                    href=routes.FOR_PROS,
                    width=rx.breakpoints(initial="100%", sm="auto"),
                ),
                direction=rx.breakpoints(initial="column", sm="row"),
                gap="3",
                width="100%",
            ),
            spacing="5",
            max_width=theme.MAX_WIDTH,
            margin_x="auto",
            padding=rx.breakpoints(initial="2.5rem 1rem 2rem", md="5rem 1rem 3.5rem"),
        ),
        background=f"linear-gradient(180deg, {rx.color('teal', 2)} 0%, {theme.PAGE} 100%)",
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
    )


def _how() -> rx.Component:
    return rx.vstack(
        rx.heading(t("ui.landing.how_title"), as_="h2", size="7"),
        rx.grid(
            _step("1", "ui.landing.step1_title", "ui.landing.step1_body"),
            _step("2", "ui.landing.step2_title", "ui.landing.step2_body"),
            _step("3", "ui.landing.step3_title", "ui.landing.step3_body"),
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="4",
            width="100%",
        ),
        id="how",
        spacing="5",
        max_width=theme.MAX_WIDTH,
        margin_x="auto",
        padding="3.5rem 1rem 1rem",
        scroll_margin_top="72px",
    )


def _pros() -> rx.Component:
    def point(text: str) -> rx.Component:
        return rx.hstack(
            rx.icon("circle-check", size=20, color=theme.ACCENT, flex_shrink="0"),
            rx.text(t(text), size="3"),
            align="center",
            spacing="2",
        )

    return rx.box(
        rx.vstack(
            rx.heading(t("ui.landing.pros_title"), as_="h2", size="7", color="white"),
            rx.text(
                t("ui.landing.pros_body"),
                size="3",
                color="rgba(255,255,255,0.88)",
                max_width="44rem",
            ),
            rx.vstack(
                point("ui.landing.pros_point1"),
                point("ui.landing.pros_point2"),
                point("ui.landing.pros_point3"),
                spacing="2",
                color="white",
            ),
            rx.link(
                rx.button(
                    t("ui.landing.pros_cta"),
                    size="3",
                    color_scheme="amber",
                    variant="solid",
                    radius="large",
                    high_contrast=True,
                ),
                href=routes.PRO_HOME,
            ),
            rx.text(t("ui.landing.commission_note"), size="1", color="rgba(255,255,255,0.7)"),
            spacing="4",
            max_width=theme.MAX_WIDTH,
            margin_x="auto",
            padding="2.5rem 1.5rem",
        ),
        id="pros",
        background=theme.BRAND,
        border_radius=rx.breakpoints(initial="0", sm="24px"),
        margin=rx.breakpoints(initial="3rem 0 0", sm="3rem 1rem 3rem"),
        scroll_margin_top="72px",
    )


def landing() -> rx.Component:
    return consumer_shell(
        _hero(), _trust(), _how(), rx.box(_pros(), max_width="74rem", margin_x="auto")
    )
