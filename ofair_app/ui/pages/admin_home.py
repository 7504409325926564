"""`/admin`: the back office's home: is the platform healthy?"""

import reflex as rx

from ofair_app.services import health
from ofair_app.ui import routes, theme
from ofair_app.ui.components.shells import admin_shell
from ofair_app.ui.state.locale import t
from ofair_app.ui.state.session import blocking


class AdminHomeState(rx.State):
    # "checking" until the first answer, then "ok", "unsafe" (connected, but as a role that
    # bypasses row-level security) or "down".
    db_status: str = "checking"
    db_latency: str = ""
    db_role: str = ""
    checking: bool = False

    @rx.event
    async def refresh(self):
        """Query the database as the application role (the same check as /api/v1/health)."""
        self.checking = True
        yield
        result = await blocking(health.check_database)
        if result.ok:
            self.db_status = "ok"
        elif result.role is not None:
            self.db_status = "unsafe"
        else:
            self.db_status = "down"
        self.db_latency = f"{result.latency_ms:.1f} ms"
        self.db_role = result.role or "—"
        self.checking = False


def _row(label: str, value: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.text(t(label), color=theme.MUTED, size="2"),
        rx.spacer(),
        value,
        width="100%",
        align="center",
        padding_y="0.75rem",
        border_bottom=f"1px solid {theme.BORDER}",
    )


def _badge(icon: str, label: str, color: str) -> rx.Component:
    return rx.badge(rx.icon(icon, size=14), t(label), color_scheme=color, size="2")


def _status_badge() -> rx.Component:
    return rx.match(
        AdminHomeState.db_status,
        ("ok", _badge("circle-check", "ui.admin.db_ok", "green")),
        ("unsafe", _badge("triangle-alert", "ui.admin.db_unsafe", "red")),
        ("down", _badge("circle-x", "ui.admin.db_down", "red")),
        rx.badge(t("ui.admin.db_checking"), color_scheme="gray", size="2"),
    )


def _health_card() -> rx.Component:
    s = AdminHomeState
    return rx.vstack(
        rx.hstack(
            rx.center(
                rx.icon("database", size=20, color=theme.BRAND),
                width="2.5rem",
                height="2.5rem",
                border_radius="10px",
                background=rx.color("teal", 3),
            ),
            rx.vstack(
                rx.text(t("ui.admin.db"), weight="bold", size="3"),
                rx.text(t("ui.admin.db_hint"), color=theme.MUTED, size="1"),
                spacing="0",
            ),
            rx.spacer(),
            rx.box(_status_badge(), id="db-status"),
            align="center",
            width="100%",
            padding_bottom="0.5rem",
            border_bottom=f"1px solid {theme.BORDER}",
        ),
        rx.cond(
            s.db_status == "down",
            rx.text(t("ui.admin.db_down_hint"), color=theme.MUTED, size="2", padding_y="0.75rem"),
        ),
        rx.cond(
            (s.db_status == "ok") | (s.db_status == "unsafe"),
            rx.fragment(
                _row(
                    "ui.admin.latency", rx.text(s.db_latency, dir="ltr", size="2", weight="medium")
                ),
                _row("ui.admin.role", rx.code(s.db_role, dir="ltr")),
                _row(
                    "ui.admin.rls",
                    rx.cond(
                        s.db_status == "ok",
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
            loading=s.checking,
            variant="soft",
            margin_top="0.75rem",
        ),
        spacing="0",
        width="100%",
        max_width="34rem",
        style=theme.card_style(),
    )


def admin_home() -> rx.Component:
    return admin_shell(
        rx.vstack(
            rx.vstack(
                rx.heading(t("ui.admin.nav.dashboard"), as_="h1", size="7"),
                rx.text(t("ui.admin.dashboard_subtitle"), color=theme.MUTED, size="2"),
                spacing="1",
            ),
            rx.heading(t("ui.admin.health_title"), as_="h2", size="4", margin_top="0.5rem"),
            _health_card(),
            spacing="4",
            width="100%",
        ),
        active=routes.ADMIN_HOME,
    )
