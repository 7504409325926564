"""The page for any address that is not one."""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.components.shells import consumer_shell
from ofair_app.ui.state.locale import t


def not_found() -> rx.Component:
    return consumer_shell(
        rx.center(
            rx.vstack(
                rx.text("404", size="9", weight="bold", color=rx.color("teal", 6)),
                rx.heading(t("ui.not_found.title"), as_="h1", size="6"),
                rx.text(t("ui.not_found.body"), color=theme.MUTED),
                rx.link(rx.button(t("ui.not_found.home"), size="3"), href=routes.HOME),
                align="center",
                spacing="3",
                text_align="center",
            ),
            min_height="60vh",
            padding="2rem 1rem",
        )
    )
