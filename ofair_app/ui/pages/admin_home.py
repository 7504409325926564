"""`/admin`: the back office's home: is the platform healthy?"""

import asyncio

import reflex as rx

from ofair_app.services import health
from ofair_app.ui import routes, theme
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.state.locale import t


class AdminHomeState(rx.State):
    checked: bool = False
    db_ok: bool = False
    db_latency_ms: float = 0.0
    db_role: str = ""
    rls_enforced: bool = False

    @rx.event
    async def refresh(self):
        """Query the database as the application role (the same check as /api/v1/health)."""
        result = await asyncio.to_thread(health.check_database)
        self.checked = True
        self.db_ok = result.ok
        self.db_latency_ms = result.latency_ms
        self.db_role = result.role or "-"
        self.rls_enforced = bool(result.rls_enforced)


def _row(label: str, value: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.text(t(label), color=theme.MUTED),
        rx.spacer(),
        value,
        width="100%",
        padding_y="0.5rem",
        border_bottom=f"1px solid {theme.BORDER}",
    )


def admin_home() -> rx.Component:
    s = AdminHomeState
    status = rx.cond(
        s.checked,
        rx.cond(
            s.db_ok,
            rx.badge(t("ui.admin.db_ok"), color_scheme="green", size="2"),
            rx.badge(t("ui.admin.db_down"), color_scheme="red", size="2"),
        ),
        rx.badge(t("ui.admin.db_checking"), color_scheme="gray", size="2"),
    )
    return admin_shell(
        rx.vstack(
            rx.heading(t("ui.admin.health_title"), as_="h1", size="6"),
            rx.vstack(
                _row("ui.admin.db", rx.box(status, id="db-status")),
                rx.cond(
                    s.checked,
                    rx.fragment(
                        _row(
                            "ui.admin.latency",
                            rx.text(s.db_latency_ms.to_string(), " ms", dir="ltr"),
                        ),
                        _row("ui.admin.role", rx.code(s.db_role)),
                        _row(
                            "ui.admin.rls",
                            rx.cond(
                                s.rls_enforced,
                                rx.badge(t("ui.admin.rls_on"), color_scheme="green"),
                                rx.badge(t("ui.admin.rls_off"), color_scheme="red"),
                            ),
                        ),
                    ),
                ),
                rx.button(
                    rx.icon("refresh-cw", size=16),
                    t("ui.admin.refresh"),
                    on_click=s.refresh,
                    variant="soft",
                    margin_top="0.5rem",
                ),
                spacing="0",
                width="100%",
                max_width="32rem",
                style=theme.card_style(),
            ),
            spacing="4",
        ),
        active=routes.ADMIN_HOME,
    )
