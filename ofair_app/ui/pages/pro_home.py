"""`/pro`: the professional's home, where the Lead Board lives."""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.locale import t


def pro_home() -> rx.Component:
    return pro_shell(
        rx.vstack(
            rx.heading(t("ui.pro.board_title"), as_="h1", size="6"),
            rx.text(t("ui.pro.board_subtitle"), color=theme.MUTED, size="2"),
            rx.center(
                rx.vstack(
                    rx.center(
                        rx.icon("inbox", size=28, color=theme.BRAND),
                        width="3.5rem",
                        height="3.5rem",
                        border_radius="999px",
                        background=rx.color("teal", 3),
                    ),
                    rx.text(t("ui.pro.empty_title"), weight="bold", size="4"),
                    rx.text(
                        t("ui.pro.empty_body"),
                        color=theme.MUTED,
                        size="2",
                        text_align="center",
                        max_width="22rem",
                    ),
                    align="center",
                    spacing="3",
                ),
                style=theme.card_style(padding="2.5rem 1.25rem"),
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        active=routes.PRO_HOME,
    )
