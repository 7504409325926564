"""The three shells: consumer (top bar), pro (mobile bottom navigation), admin (sidebar).

Each sets `dir` on its root from the reader's language, so the layout mirrors with the text.
"""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.components.brand import language_switch, logo
from ofair_app.ui.state.locale import LocaleState, t


def _root(*children, **props) -> rx.Component:
    return rx.box(
        *children, dir=LocaleState.direction, min_height="100vh", background=theme.PAGE, **props
    )


# --- consumer ------------------------------------------------------------------------------


def _top_bar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            logo(),
            rx.spacer(),
            rx.hstack(
                rx.link(
                    t("ui.nav.how"), href=routes.HOW_IT_WORKS, color=theme.MUTED, weight="medium"
                ),
                rx.link(
                    t("ui.nav.for_pros"), href=routes.FOR_PROS, color=theme.MUTED, weight="medium"
                ),
                spacing="5",
                display=rx.breakpoints(initial="none", md="flex"),
            ),
            language_switch(),
            align="center",
            spacing="4",
            max_width=theme.MAX_WIDTH,
            margin_x="auto",
            padding_x="1rem",
            height="64px",
        ),
        position="sticky",
        top="0",
        z_index="10",
        background="rgba(255,255,255,0.92)",
        backdrop_filter="blur(8px)",
        border_bottom=f"1px solid {theme.BORDER}",
    )


def _footer() -> rx.Component:
    return rx.el.footer(
        rx.flex(
            logo("1.1rem"),
            rx.text(t("ui.footer.made_in"), color=theme.MUTED, size="2"),
            rx.text(t("ui.footer.rights"), color=theme.MUTED, size="2"),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="3",
            justify="between",
            align="center",
            max_width=theme.MAX_WIDTH,
            margin_x="auto",
            padding="2rem 1rem",
        ),
        border_top=f"1px solid {theme.BORDER}",
        background=theme.SURFACE,
    )


def consumer_shell(*children) -> rx.Component:
    return _root(_top_bar(), rx.el.main(*children), _footer())


# --- pro -----------------------------------------------------------------------------------

PRO_NAV = [
    (routes.PRO_HOME, "layout-list", "ui.pro.nav.board"),
    (routes.PRO_MY_LEADS, "folder-open", "ui.pro.nav.my_leads"),
    (routes.PRO_REFERRALS, "share-2", "ui.pro.nav.referrals"),
    (routes.PRO_WALLET, "wallet", "ui.pro.nav.wallet"),
    (routes.PRO_PROFILE, "user-round", "ui.pro.nav.profile"),
]


def _pro_tab(href: str, icon: str, label: str, active: bool) -> rx.Component:
    color = theme.BRAND if active else theme.MUTED
    return rx.link(
        rx.vstack(
            rx.icon(icon, size=22, color=color),
            rx.text(t(label), size="1", weight="medium", color=color),
            spacing="1",
            align="center",
        ),
        href=href,
        flex="1",
        padding_y="0.5rem",
        text_align="center",
        aria_current="page" if active else None,
    )


def pro_shell(*children, active: str = routes.PRO_HOME) -> rx.Component:
    return _root(
        rx.el.header(
            rx.hstack(
                logo("1.2rem"),
                rx.spacer(),
                language_switch(),
                align="center",
                max_width="40rem",
                margin_x="auto",
                padding_x="1rem",
                height="56px",
            ),
            position="sticky",
            top="0",
            z_index="10",
            background=theme.SURFACE,
            border_bottom=f"1px solid {theme.BORDER}",
        ),
        rx.el.main(*children, max_width="40rem", margin_x="auto", padding="1rem 1rem 6rem"),
        rx.el.nav(
            rx.hstack(
                *(_pro_tab(h, i, label, h == active) for h, i, label in PRO_NAV),
                max_width="40rem",
                margin_x="auto",
                spacing="0",
            ),
            id="pro-bottom-nav",
            position="fixed",
            bottom="0",
            left="0",
            right="0",
            background=theme.SURFACE,
            border_top=f"1px solid {theme.BORDER}",
            z_index="10",
            padding_bottom="env(safe-area-inset-bottom)",
        ),
    )


# --- admin ---------------------------------------------------------------------------------

ADMIN_NAV = [
    (routes.ADMIN_HOME, "layout-dashboard", "ui.admin.nav.dashboard"),
    (routes.ADMIN_PROFESSIONALS, "badge-check", "ui.admin.nav.professionals"),
    (routes.ADMIN_LEADS, "list-checks", "ui.admin.nav.leads"),
    (routes.ADMIN_PAYOUTS, "banknote", "ui.admin.nav.payouts"),
    (routes.ADMIN_DISPUTES, "scale", "ui.admin.nav.disputes"),
]


def _admin_link(href: str, icon: str, label: str, active: bool) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=18), rx.text(t(label), weight="medium"), spacing="3", align="center"
        ),
        href=href,
        padding="0.6rem 0.8rem",
        border_radius="10px",
        color=theme.BRAND if active else theme.INK,
        background=rx.color("teal", 3) if active else "transparent",
        aria_current="page" if active else None,
    )


def admin_shell(*children, active: str = routes.ADMIN_HOME) -> rx.Component:
    sidebar = rx.vstack(
        logo("1.2rem"),
        rx.text(t("ui.admin.title"), size="1", color=theme.MUTED, weight="medium"),
        rx.vstack(
            *(_admin_link(h, i, label, h == active) for h, i, label in ADMIN_NAV),
            spacing="1",
            width="100%",
            margin_top="1rem",
        ),
        rx.spacer(),
        language_switch(),
        role="navigation",
        id="admin-sidebar",
        width=rx.breakpoints(initial="100%", md="15rem"),
        padding="1.25rem",
        background=theme.SURFACE,
        spacing="2",
        border_inline_end=rx.breakpoints(initial="none", md=f"1px solid {theme.BORDER}"),
        border_bottom=rx.breakpoints(initial=f"1px solid {theme.BORDER}", md="none"),
        min_height=rx.breakpoints(initial="auto", md="100vh"),
    )
    return _root(
        rx.flex(
            sidebar,
            rx.el.main(*children, flex="1", padding="1.5rem"),
            direction=rx.breakpoints(initial="column", md="row"),
        ),
    )
