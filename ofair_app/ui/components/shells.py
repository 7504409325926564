"""The three shells: consumer (top bar), pro (mobile bottom navigation), admin (sidebar).

Each sets `dir` on its root from the reader's language, so the layout mirrors with the text.
Shells take plain values (`active` is the route of the current page); only the language comes
from state.
"""

import reflex as rx

from ofair_app.settings import get_settings
from ofair_app.ui import routes, theme
from ofair_app.ui.components.a11y import accessibility_control
from ofair_app.ui.components.brand import icon_only_class, language_switch, logo
from ofair_app.ui.state.locale import LocaleState, t
from ofair_app.ui.state.session import SessionState


def _root(*children, **props) -> rx.Component:
    """A full-height column, so a short page still keeps its footer at the bottom."""
    return rx.flex(
        *children,
        direction="column",
        dir=LocaleState.direction,
        min_height="100vh",
        background=theme.PAGE,
        **props,
    )


def _sticky_bar(*children, height: str = "64px", max_width: str = theme.MAX_WIDTH, **props):
    return rx.el.header(
        rx.hstack(
            *children,
            align="center",
            # a phone's bar holds up to six items (logo, requests, accessibility, language,
            # account): tighter there, so it fits 360 px
            spacing=rx.breakpoints(initial="1", sm="3"),
            max_width=max_width,
            margin_x="auto",
            padding_x="1rem",
            height=height,
            # every item keeps its size and its words on one line (assets/ofair.css)
            class_name="ofair-bar",
        ),
        position="sticky",
        top="0",
        z_index="20",
        background="rgba(255,255,255,0.94)",
        backdrop_filter="saturate(1.4) blur(10px)",
        border_bottom=f"1px solid {theme.BORDER}",
        **props,
    )


# --- consumer ------------------------------------------------------------------------------


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(
        t(label),
        href=href,
        color=theme.MUTED,
        weight="medium",
        size="2",
        white_space="nowrap",
        _hover={"color": theme.INK},
    )


def login_button() -> rx.Component:
    return rx.link(
        rx.button(
            rx.icon("log-in", size=16),
            t("ui.nav.login"),
            size="2",
            radius="full",
            variant="solid",
        ),
        href=routes.LOGIN,
        id="login-link",
    )


def account_menu(icon_only: tuple[str, ...] = ()) -> rx.Component:
    """The signed-in person's name, with their areas and logout. `icon_only`: the widths
    ("phone", "wide") where only the icon shows (the name stays, in `aria-label`)."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user-round", size=16),
                rx.text(SessionState.user_name, as_="span", max_width="9rem",
                        overflow="hidden", text_overflow="ellipsis", white_space="nowrap",
                        class_name=icon_only_class(icon_only)),
                # where the name gives way to the icon, so does the arrow (room for the bell)
                rx.icon("chevron-down", size=14, class_name=icon_only_class(icon_only)),
                variant="soft",
                color_scheme="gray",
                size="2",
                radius="full",
                aria_label=SessionState.user_name,
                id="account-menu",
            ),
        ),
        rx.menu.content(
            rx.cond(
                SessionState.pending_invitations > 0,
                rx.menu.item(rx.icon("mail", size=14), t("ui.invitations.menu"),
                             rx.badge(SessionState.pending_invitations, color_scheme="amber",
                                      radius="full"),
                             on_click=rx.redirect(routes.INVITATIONS), id="menu-invitations"),
            ),
            rx.menu.item(rx.icon("clipboard-list", size=14), t("ui.nav.my_requests"),
                         on_click=rx.redirect(routes.MY_REQUESTS), id="menu-my-requests"),
            rx.menu.item(rx.icon("user-round-cog", size=14), t("ui.nav.account"),
                         on_click=rx.redirect(routes.ACCOUNT), id="menu-account"),
            rx.menu.separator(),
            rx.cond(
                SessionState.user_role == "admin",
                rx.menu.item(rx.icon("shield", size=14), t("ui.nav.admin_area"),
                             on_click=rx.redirect(routes.ADMIN_HOME)),
            ),
            rx.menu.item(rx.icon("briefcase-business", size=14), t("ui.nav.pro_area"),
                         on_click=rx.redirect(routes.PRO_HOME)),
            rx.menu.separator(),
            rx.menu.item(rx.icon("log-out", size=14), t("ui.nav.logout"),
                         on_click=SessionState.logout, id="logout", color_scheme="red"),
        ),
    )


def my_requests_link() -> rx.Component:
    """The signed-in person's own requests, always in the consumer's top bar (on a phone the
    icon and a short label; under 440 px the icon, named by the label)."""
    return rx.cond(
        SessionState.signed_in,
        rx.link(
            rx.hstack(rx.icon("clipboard-list", size=16),
                      rx.text(t("ui.nav.my_requests"), white_space="nowrap",
                              class_name="ofair-label-xs"),
                      spacing="1", align="center"),
            href=routes.MY_REQUESTS,
            id="my-requests-link",
            color=theme.INK,
            weight="medium",
            size="2",
            padding=rx.breakpoints(initial="0.35rem 0.25rem", sm="0.35rem 0.5rem"),
            border_radius="999px",
            _hover={"background": rx.color("teal", 3)},
        ),
    )


def invitations_pointer() -> rx.Component:
    """A mail icon with the count of open team invitations, shown only when there are some
    (on a phone the pro shell has no account menu, so this is how they are found)."""
    return rx.cond(
        SessionState.pending_invitations > 0,
        rx.link(
            rx.box(
                rx.icon("mail", size=20, color=theme.INK, aria_hidden="true"),
                # The link's name: the words, then the count the badge shows.
                rx.el.span(t("ui.invitations.menu"), " ", class_name="sr-only"),
                rx.badge(SessionState.pending_invitations, color_scheme="amber", radius="full",
                         variant="solid", size="1", position="absolute", top="-0.45rem",
                         inset_inline_end="-0.6rem"),
                position="relative",
                display="flex",
            ),
            href=routes.INVITATIONS,
            title=t("ui.invitations.menu"),
            id="invitations-pointer",
            padding="0.35rem",
        ),
    )


def notifications_bell() -> rx.Component:
    """A bell to the notification center, with the unread count, for everyone signed in."""
    return rx.cond(
        SessionState.signed_in,
        rx.link(
            rx.box(
                rx.icon("bell", size=20, color=theme.INK, aria_hidden="true"),
                # The link's name: the words, then the count the badge shows.
                rx.el.span(t("ui.notifications.title"), class_name="sr-only"),
                rx.cond(
                    SessionState.unread_notifications > 0,
                    rx.fragment(
                        rx.el.span(", ", t("ui.notifications.unread"), " ",
                                   SessionState.unread_notifications, class_name="sr-only"),
                        rx.badge(rx.cond(SessionState.unread_notifications > 99, "99+",
                                         SessionState.unread_notifications.to_string()),
                                 color_scheme="red", radius="full", variant="solid",
                                 size="1", position="absolute", top="-0.45rem",
                                 inset_inline_end="-0.6rem", aria_hidden="true"),
                    ),
                ),
                position="relative",
                display="flex",
            ),
            href=routes.NOTIFICATIONS,
            title=t("ui.notifications.title"),
            id="notifications-bell",
            display="inline-flex",
            align_items="center",
            justify_content="center",
            min_width="44px",
            min_height="44px",
            flex_shrink="0",
        ),
    )


def business_switcher() -> rx.Component:
    """For someone in several businesses: which one this browser acts for, always visible in
    its own strip under the pro shell's top bar (the bar has no room for it beside the links):
    the strip's width on a phone, a select of its own size from tablet width up."""
    return rx.cond(
        SessionState.businesses.length() > 1,
        rx.select.root(
            rx.select.trigger(
                placeholder=t("ui.business.choose"),
                aria_label=t("ui.business.choose"),
                width=rx.breakpoints(initial="100%", sm="auto"),
                max_width=rx.breakpoints(initial="100%", sm="20rem"),
                variant="soft",
                radius="full",
                class_name="business-switcher",
            ),
            rx.select.content(
                rx.foreach(SessionState.businesses,
                           lambda b: rx.select.item(b.name, value=b.id)),
                position="popper",
            ),
            value=SessionState.business_id,
            on_change=SessionState.choose_business,
            size="2",
        ),
    )


def account_button() -> rx.Component:
    return rx.cond(SessionState.signed_in, account_menu(icon_only=("phone",)), login_button())


def guarded(*children) -> rx.Component:
    """A page's content once its guard said yes; "not allowed" for a wrong role; a quiet
    placeholder while the guard runs (or redirects to the login)."""
    return rx.match(
        SessionState.access,
        ("ok", rx.fragment(*children)),
        ("denied", not_allowed()),
        rx.center(rx.spinner(size="3"), padding="4rem 0", width="100%", id="page-checking"),
    )


def not_allowed() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.center(
                rx.icon("lock-keyhole", size=26, color=rx.color("red", 10)),
                width="3.25rem",
                height="3.25rem",
                border_radius="999px",
                background=rx.color("red", 3),
            ),
            rx.heading(t("ui.denied.title"), as_="h1", size="6", text_align="center"),
            rx.text(t("ui.denied.body"), color=theme.MUTED, size="2", text_align="center",
                    max_width="24rem", line_height="1.6"),
            rx.hstack(
                rx.link(rx.button(t("ui.denied.home"), variant="soft"), href=routes.HOME),
                rx.button(t("ui.denied.switch_account"), variant="soft", color_scheme="gray",
                          on_click=SessionState.logout),
                spacing="3",
            ),
            align="center",
            spacing="3",
            id="not-allowed",
        ),
        padding="4rem 1rem",
        width="100%",
    )


def _top_bar() -> rx.Component:
    return _sticky_bar(
        logo(),
        rx.spacer(),
        invitations_pointer(),
        notifications_bell(),
        rx.hstack(
            _nav_link("ui.nav.how", routes.HOW_IT_WORKS),
            _nav_link("ui.nav.for_pros", routes.FOR_PROS),
            spacing="5",
            # from 992 px: at tablet width the bar's controls (the bell, a long name) need it
            display=rx.breakpoints(initial="none", lg="flex"),
            margin_inline_end="0.75rem",
        ),
        my_requests_link(),
        accessibility_control(icon_only=("phone", "tablet")),
        language_switch(icon_only=("phone", "tablet")),
        account_button(),
    )


def _footer_link(label: str, href: str) -> rx.Component:
    return rx.link(t(label), href=href, color=theme.MUTED, size="2", _hover={"color": theme.INK})


def legal_links() -> rx.Component:
    """The links every footer carries, in every shell: the accessibility statement, the privacy
    notice and the terms."""
    return rx.el.nav(
        rx.flex(
            rx.link(t("ui.a11y.nav"), href=routes.ACCESSIBILITY, color=theme.MUTED, size="2",
                    underline="always", _hover={"color": theme.INK},
                    class_name="footer-accessibility"),
            rx.link(t("ui.footer.privacy"), href=routes.PRIVACY, color=theme.MUTED, size="2",
                    underline="always", _hover={"color": theme.INK},
                    class_name="footer-privacy"),
            rx.link(t("ui.footer.terms"), href=routes.TERMS, color=theme.MUTED, size="2",
                    underline="always", _hover={"color": theme.INK},
                    class_name="footer-terms"),
            gap="1.25rem",
            wrap="wrap",
            align="center",
        ),
        aria_label=t("ui.footer.legal_label"),
    )


def _small_footer(**props) -> rx.Component:
    """The pro and admin shells' footer: the legal links and the rights line, nothing else."""
    return rx.el.footer(
        rx.flex(
            legal_links(),
            rx.text(t("ui.footer.rights"), color=theme.MUTED, size="1"),
            direction=rx.breakpoints(initial="column", sm="row"),
            gap="0.5rem",
            justify="between",
            align=rx.breakpoints(initial="start", sm="center"),
            max_width=props.pop("max_width", theme.MAX_WIDTH),
            margin_x="auto",
            padding="1rem",
        ),
        border_top=f"1px solid {theme.BORDER}",
        width="100%",
        **props,
    )


def _footer() -> rx.Component:
    return rx.el.footer(
        rx.flex(
            rx.vstack(
                logo("1.1rem"),
                rx.text(t("ui.brand.tagline"), color=theme.MUTED, size="2"),
                spacing="2",
            ),
            rx.flex(
                _footer_link("ui.nav.how", routes.HOW_IT_WORKS),
                _footer_link("ui.nav.for_pros", routes.FOR_PROS),
                _footer_link("ui.nav.pro_area", routes.PRO_HOME),
                spacing="5",
                wrap="wrap",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="4",
            justify="between",
            align=rx.breakpoints(initial="start", sm="center"),
            max_width=theme.MAX_WIDTH,
            margin_x="auto",
            padding="2rem 1rem 1rem",
        ),
        rx.box(
            rx.flex(
                legal_links(),
                rx.flex(
                    rx.text(t("ui.footer.rights"), color=theme.MUTED, size="1"),
                    rx.text(t("ui.footer.made_in"), color=theme.MUTED, size="1"),
                    direction="column",
                    align=rx.breakpoints(initial="start", sm="end"),
                    gap="0.25rem",
                ),
                direction=rx.breakpoints(initial="column", sm="row"),
                gap="0.75rem",
                justify="between",
                padding="1rem 0 1.5rem",
                border_top=f"1px solid {theme.BORDER}",
            ),
            max_width=theme.MAX_WIDTH,
            margin_x="auto",
            padding_x="1rem",
        ),
        border_top=f"1px solid {theme.BORDER}",
        background=theme.SURFACE,
    )


def consumer_shell(*children) -> rx.Component:
    return _root(_top_bar(), rx.el.main(*children, flex="1", width="100%"), _footer())


# --- pro -----------------------------------------------------------------------------------

PRO_NAV = [
    (routes.PRO_HOME, "layout-list", "ui.pro.nav.board"),
    (routes.PRO_MY_LEADS, "folder-open", "ui.pro.nav.my_leads"),
    (routes.PRO_REFERRALS, "share-2", "ui.pro.nav.referrals"),
    (routes.PRO_WALLET, "wallet", "ui.pro.nav.wallet"),
    (routes.PRO_PROFILE, "user-round", "ui.pro.nav.profile"),
]
# In b2b mode the platform holds no money: the invoices page takes the wallet's place.
B2B_NAV = (routes.PRO_INVOICES, "receipt-text", "ui.pro.nav.invoices")


def pro_nav() -> list[tuple[str, str, str]]:
    """The pro app's five links, for the deployment's settlement mode."""
    if get_settings().settlement_mode != "b2b":
        return PRO_NAV
    return [B2B_NAV if link[0] == routes.PRO_WALLET else link for link in PRO_NAV]
PRO_WIDTH = "56rem"
# From this width the five links sit in the top bar (which then needs the consumer shell's
# width, and its other controls shrink to icons); below it, the bottom tab bar holds them.
PRO_TOP_NAV = "lg"


def _pro_tab(href: str, icon: str, label: str, active: bool) -> rx.Component:
    color = theme.BRAND if active else theme.MUTED
    return rx.link(
        rx.vstack(
            rx.box(
                rx.icon(icon, size=22, color=color),
                padding="0.2rem 1rem",
                border_radius="999px",
                background=rx.color("teal", 3) if active else "transparent",
            ),
            rx.text(t(label), size="1", weight="bold" if active else "medium", color=color),
            spacing="1",
            align="center",
        ),
        href=href,
        flex="1",
        min_width="0",
        padding_y="0.45rem",
        text_align="center",
        aria_current="page" if active else None,
    )


def _pro_top_link(href: str, icon: str, label: str, active: bool) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(t(label), white_space="nowrap"), spacing="2",
                  align="center"),
        href=href,
        size="2",
        weight="medium",
        padding="0.4rem 0.75rem",
        border_radius="999px",
        color=theme.BRAND if active else theme.MUTED,
        background=rx.color("teal", 3) if active else "transparent",
        _hover={"color": theme.INK},
        aria_current="page" if active else None,
    )


def pro_shell(*children, active: str = routes.PRO_HOME, guard: bool = True) -> rx.Component:
    """Phones, tablets and narrow laptops get a bottom tab bar (thumb reach, and the top bar
    keeps room for the words of its controls); from `PRO_TOP_NAV` up the same links sit in the
    top bar, whose other controls then show only their icons. With `guard`, the content waits
    for the page's access check (see `guarded`)."""
    # the controls' words where the bar has room for them: not on a phone, not beside the links
    icon_only = ("phone", "wide")
    return _root(
        _sticky_bar(
            logo("1.2rem"),
            # on a phone the bar is full (the accessibility, language and account buttons)
            rx.badge(t("ui.pro.badge"), variant="soft", color_scheme="amber", radius="full",
                     display=rx.breakpoints(initial="none", sm="inline-flex")),
            rx.spacer(),
            rx.hstack(
                *(_pro_top_link(h, i, label, h == active) for h, i, label in pro_nav()),
                spacing="1",
                display=rx.breakpoints(initial="none", **{PRO_TOP_NAV: "flex"}),
                role="navigation",
            ),
            rx.spacer(),
            invitations_pointer(),
            notifications_bell(),
            accessibility_control(icon_only=icon_only),
            language_switch(icon_only=icon_only),
            # Everywhere, phones included: the way to one's own account and out of it.
            rx.cond(SessionState.signed_in, account_menu(icon_only=icon_only)),
            height="56px",
            # as wide as the consumer shell's bar: the logo stays put between the shells
            max_width=theme.MAX_WIDTH,
        ),
        # The business this browser acts for, in its own strip: the bar has no room for it.
        rx.cond(
            SessionState.businesses.length() > 1,
            rx.box(
                rx.box(business_switcher(), max_width=PRO_WIDTH, margin_x="auto"),
                padding="0.6rem 1rem",
                background=theme.SURFACE,
                border_bottom=f"1px solid {theme.BORDER}",
            ),
        ),
        rx.el.main(
            guarded(*children) if guard else rx.fragment(*children),
            flex="1",
            width="100%",
            max_width=PRO_WIDTH,
            margin_x="auto",
            padding=rx.breakpoints(initial="1.25rem 1rem 2rem", md="2rem 1rem 3rem"),
        ),
        # Where the bottom tab bar shows, the page ends above it.
        _small_footer(max_width=PRO_WIDTH,
                      padding_bottom=rx.breakpoints(initial="5.5rem", **{PRO_TOP_NAV: "0"})),
        rx.el.nav(
            rx.hstack(
                *(_pro_tab(h, i, label, h == active) for h, i, label in pro_nav()),
                max_width="40rem",
                margin_x="auto",
                spacing="0",
            ),
            id="pro-bottom-nav",
            aria_label=t("ui.pro.nav.label"),
            display=rx.breakpoints(initial="block", **{PRO_TOP_NAV: "none"}),
            position="fixed",
            bottom="0",
            left="0",
            right="0",
            background=theme.SURFACE,
            border_top=f"1px solid {theme.BORDER}",
            box_shadow="0 -4px 16px rgba(18,38,43,0.06)",
            z_index="20",
            padding_bottom="env(safe-area-inset-bottom)",
        ),
    )


# --- admin ---------------------------------------------------------------------------------

ADMIN_NAV = [
    (routes.ADMIN_HOME, "layout-dashboard", "ui.admin.nav.dashboard"),
    (routes.ADMIN_LEADS, "inbox", "ui.admin.nav.leads"),
    (routes.ADMIN_USERS, "users", "ui.admin.nav.users"),
    (routes.ADMIN_PROFESSIONALS, "badge-check", "ui.admin.nav.professionals"),
    (routes.ADMIN_PAYOUTS, "banknote", "ui.admin.nav.payouts"),
    (routes.ADMIN_DISPUTES, "scale", "ui.admin.nav.disputes"),
    (routes.ADMIN_UNLOCK_CLAIMS, "phone-off", "ui.admin.nav.unlock_claims"),
    (routes.ADMIN_FINANCE, "receipt-text", "ui.admin.nav.finance"),
    (routes.ADMIN_REPORTS, "chart-column", "ui.admin.nav.reports"),
    (routes.ADMIN_AUDIT, "scroll-text", "ui.admin.nav.audit"),
]


def _admin_link(href: str, icon: str, label: str, active: bool, **props) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=18),
            rx.text(t(label), weight="medium", white_space="nowrap"),
            spacing="3",
            align="center",
        ),
        href=href,
        padding="0.55rem 0.8rem",
        border_radius="10px",
        color=theme.BRAND if active else theme.INK,
        background=rx.color("teal", 3) if active else "transparent",
        _hover={"background": rx.color("teal", 3) if active else rx.color("gray", 3)},
        aria_current="page" if active else None,
        **props,
    )


def _admin_brand() -> rx.Component:
    return rx.hstack(
        logo("1.2rem"),
        rx.badge(t("ui.admin.badge"), variant="soft", color_scheme="gray", radius="full",
                 flex_shrink="0"),
        align="center",
        spacing="2",
        flex_shrink="0",
    )


def admin_shell(*children, active: str = routes.ADMIN_HOME) -> rx.Component:
    """A sidebar from tablet width up; on a phone, a top bar with a scrolling row of links."""
    links = [(h, i, label, h == active) for h, i, label in ADMIN_NAV]
    sidebar = rx.el.aside(
        rx.vstack(
            _admin_brand(),
            rx.el.nav(
                rx.vstack(*(_admin_link(*link) for link in links), spacing="1", width="100%"),
                aria_label=t("ui.admin.title"),
                width="100%",
                margin_top="1.25rem",
            ),
            rx.spacer(),
            rx.hstack(notifications_bell(), rx.cond(SessionState.signed_in, account_menu()),
                      align="center", spacing="2"),
            accessibility_control(),
            language_switch(),
            height="100%",
            spacing="2",
        ),
        id="admin-sidebar",
        display=rx.breakpoints(initial="none", md="block"),
        width="15rem",
        flex_shrink="0",
        padding="1.25rem",
        background=theme.SURFACE,
        border_inline_end=f"1px solid {theme.BORDER}",
        position="sticky",
        top="0",
        height="100vh",
    )
    top_bar = rx.el.header(
        rx.hstack(
            _admin_brand(), rx.spacer(), notifications_bell(),
            accessibility_control(icon_only=("phone",)),
            language_switch(icon_only=("phone",)),
            rx.cond(SessionState.signed_in, account_menu(icon_only=("phone",))),
            align="center", padding=rx.breakpoints(initial="0.75rem", sm="0.75rem 1rem"),
            spacing=rx.breakpoints(initial="1", sm="2"), class_name="ofair-bar",
        ),
        rx.el.nav(
            rx.hstack(
                *(_admin_link(*link, flex_shrink="0") for link in links),
                spacing="1",
                padding="0 0.75rem 0.6rem",
            ),
            aria_label=t("ui.admin.title"),
            overflow_x="auto",
            style={"scrollbar_width": "none"},
        ),
        id="admin-topbar",
        display=rx.breakpoints(initial="block", md="none"),
        background=theme.SURFACE,
        border_bottom=f"1px solid {theme.BORDER}",
        position="sticky",
        top="0",
        z_index="20",
    )
    return _root(
        rx.flex(
            sidebar,
            rx.box(
                top_bar,
                rx.el.main(
                    guarded(*children),
                    padding=rx.breakpoints(initial="1.25rem 1rem", md="2rem 2.5rem"),
                    max_width="64rem",
                    flex="1",
                ),
                _small_footer(max_width="64rem"),
                display="flex",
                flex_direction="column",
                flex="1",
                min_width="0",
            ),
            flex="1",
        ),
    )
