"""`/pro`: the professional's home, where the Lead Board lives."""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.components.shells import pro_shell
from ofair_app.ui.state.locale import t


def _empty_board() -> rx.Component:
    return rx.center(
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
                max_width="24rem",
                line_height="1.6",
            ),
            align="center",
            spacing="3",
        ),
        id="lead-board-empty",
        style=theme.card_style(padding="2.5rem 1.25rem"),
        width="100%",
    )


def _fact(icon: str, title: str, body: str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=20, color=theme.BRAND, flex_shrink="0", margin_top="2px"),
        rx.vstack(
            rx.text(t(title), weight="bold", size="2"),
            rx.text(t(body), color=theme.MUTED, size="2", line_height="1.55"),
            spacing="1",
        ),
        align="start",
        spacing="3",
    )


def _how_leads_arrive() -> rx.Component:
    return rx.vstack(
        rx.text(t("ui.pro.facts_title"), weight="bold", size="3"),
        _fact("map-pin", "ui.pro.fact_area_title", "ui.pro.fact_area_body"),
        _fact("share-2", "ui.pro.fact_referral_title", "ui.pro.fact_referral_body"),
        _fact("lock-keyhole", "ui.pro.fact_private_title", "ui.pro.fact_private_body"),
        spacing="4",
        width="100%",
        style=theme.card_style(),
    )


def pro_home() -> rx.Component:
    return pro_shell(
        rx.vstack(
            rx.vstack(
                rx.heading(t("ui.pro.board_title"), as_="h1", size="7"),
                rx.text(t("ui.pro.board_subtitle"), color=theme.MUTED, size="2", line_height="1.6"),
                spacing="2",
            ),
            rx.grid(
                _empty_board(),
                _how_leads_arrive(),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            spacing="5",
            width="100%",
        ),
        active=routes.PRO_HOME,
    )
