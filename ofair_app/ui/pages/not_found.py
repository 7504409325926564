"""The page for any address that is not one (Reflex serves it for every unknown route)."""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.state.locale import t


def not_found() -> rx.Component:
    return consumer_shell(
        rx.center(
            rx.vstack(
                rx.center(
                    rx.icon("map-pin-off", size=30, color=theme.BRAND),
                    width="4rem",
                    height="4rem",
                    border_radius="999px",
                    background=rx.color("teal", 3),
                ),
                rx.text("404", size="2", weight="bold", color=rx.color("teal", 9), dir="ltr"),
                rx.heading(t("ui.not_found.title"), as_="h1", size="7"),
                rx.text(t("ui.not_found.body"), color=theme.MUTED, max_width="26rem"),
                rx.link(
                    rx.button(
                        rx.icon("house", size=16), t("ui.not_found.home"), size="3", radius="large"
                    ),
                    href=routes.HOME,
                    margin_top="0.5rem",
                ),
                align="center",
                spacing="3",
                text_align="center",
            ),
            min_height="60vh",
            padding="3rem 1rem",
        )
    )
