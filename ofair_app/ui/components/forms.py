"""Form pieces shared by every page: a labelled field with its error, banners, a section card."""

import reflex as rx

from ofair_app.ui import theme
from ofair_app.ui.state.locale import t


def field(label: str, control: rx.Component, error: rx.Var | str = "", hint: str | rx.Var = "",
          html_for: str = "") -> rx.Component:
    """A label above its control, a hint or the error below (the error wins, in red). `hint` is
    a catalog key, or an already translated Var."""
    return rx.vstack(
        rx.el.label(t(label), html_for=html_for or None, font_weight="500", font_size="0.9rem"),
        control,
        rx.cond(
            error != "",
            rx.hstack(
                rx.icon("circle-alert", size=14, color=rx.color("red", 10), flex_shrink="0"),
                rx.text(error, size="2", color=rx.color("red", 11)),
                spacing="1",
                align="center",
                role="alert",
            ),
            rx.text(hint if isinstance(hint, rx.Var) else t(hint), size="1", color=theme.MUTED)
            if isinstance(hint, rx.Var) or hint else rx.fragment(),
        ),
        spacing="1",
        width="100%",
    )


def error_banner(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert",
                   width="100%", size="1"),
    )


def notice_banner(message: rx.Var, icon: str = "circle-check") -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon=icon, color_scheme="teal", role="status", width="100%",
                   size="1"),
    )


def section(title: str, *children, subtitle: str = "", **props) -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(t(title), as_="h2", size="4"),
            rx.text(t(subtitle), color=theme.MUTED, size="2") if subtitle else rx.fragment(),
            spacing="1",
            width="100%",
        ),
        *children,
        spacing="4",
        width="100%",
        style=theme.card_style(),
        **props,
    )


def page_title(title: str, subtitle: str = "") -> rx.Component:
    return rx.vstack(
        rx.heading(t(title), as_="h1", size="7"),
        rx.text(t(subtitle), color=theme.MUTED, size="2", line_height="1.6") if subtitle
        else rx.fragment(),
        spacing="2",
        width="100%",
    )


def status_badge(status: rx.Var, verified: rx.Var) -> rx.Component:
    """A business's standing: verified, awaiting verification, or suspended."""
    return rx.cond(
        status == "suspended",
        rx.badge(rx.icon("ban", size=14), t("ui.pro.status.suspended"), color_scheme="red",
                 size="2", radius="full"),
        rx.cond(
            verified,
            rx.badge(rx.icon("badge-check", size=14), t("ui.pro.status.verified"),
                     color_scheme="teal", size="2", radius="full"),
            rx.badge(rx.icon("hourglass", size=14), t("ui.pro.status.pending"),
                     color_scheme="amber", size="2", radius="full"),
        ),
    )


def joined(*parts, **props) -> rx.Component:
    """Short facts on one line, `a · b · c`, each in its own `<bdi>` so a Hebrew city beside an
    English category, or `40 km` in a Hebrew line, keeps its order in either direction. A part
    given as a tuple is one unit (`(radius, " ", t("ui.business.km"))`)."""
    children: list = []
    for index, part in enumerate(parts):
        if index:
            children.append(" · ")
        children.append(rx.el.bdi(*part) if isinstance(part, tuple) else rx.el.bdi(part))
    return rx.text(*children, **props)


def fact(icon: str, label: str, value: rx.Var) -> rx.Component:
    """One labelled fact with its icon (a city, a budget…); nothing when the value is empty."""
    return rx.cond(
        value != "",
        rx.hstack(
            rx.icon(icon, size=16, color=theme.MUTED, flex_shrink="0", margin_top="3px"),
            rx.vstack(rx.text(t(label), size="1", color=theme.MUTED),
                      rx.text(value, size="2", weight="medium", dir="auto"), spacing="0"),
            spacing="3",
            align="start",
        ),
    )


def empty_state(text_key: str, icon: str = "inbox") -> rx.Component:
    """A quiet card for a list with nothing in it yet, saying what would be there."""
    return rx.vstack(rx.icon(icon, size=26, color=theme.MUTED),
                     rx.text(t(text_key), size="2", color=theme.MUTED, text_align="center"),
                     align="center", spacing="2", width="100%",
                     style=theme.card_style(padding="2rem 1rem"))


def confirm_dialog(trigger: rx.Component | None, title: rx.Component | str,
                   body: rx.Component | str, confirm: str, on_confirm, *, color: str = "red",
                   dismiss: str = "ui.confirm.cancel", confirm_class: str = "",
                   open: rx.Var | None = None, on_open_change=None) -> rx.Component:
    """Ask before doing what cannot be taken back: every such action in the app goes through
    here. `trigger` opens it (or, with `trigger=None`, the page controls it with `open` and
    `on_open_change`, for an action started from a menu); `title` and `body` are catalog keys or
    components that say what will happen (amounts, names: see `t_with`); `confirm` is a key.

    Radix's alert dialog: role="alertdialog" named by its title and described by its body,
    focus moves into it (to the safe button) and stays there, Escape or the cancel button
    closes it and nothing happens; only the confirm button runs `on_confirm`."""
    controlled = {} if open is None else {"open": open, "on_open_change": on_open_change}
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger) if trigger is not None else rx.fragment(),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t(title) if isinstance(title, str) else title),
            rx.alert_dialog.description(t(body) if isinstance(body, str) else body,
                                        size="2", line_height="1.6"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(t(dismiss), variant="soft", color_scheme="gray",
                                                 class_name="confirm-cancel")),
                rx.alert_dialog.action(rx.button(t(confirm), color_scheme=color,
                                                 on_click=on_confirm,
                                                 class_name=f"confirm-action {confirm_class}"
                                                 .strip())),
                spacing="3",
                justify="end",
                wrap="wrap",
                margin_top="1rem",
            ),
            max_width="28rem",
            class_name="confirm-dialog",
        ),
        **controlled,
    )


def card_list(rows: rx.Var, render, empty_key: str) -> rx.Component:
    """A list of cards, or a quiet empty state saying what would be there."""
    return rx.cond(rows.length() > 0,
                   rx.vstack(rx.foreach(rows, render), spacing="3", width="100%"),
                   empty_state(empty_key))


def list_tabs(value: rx.Var, on_change, *tabs: tuple[rx.Component, str, rx.Component]
              ) -> rx.Component:
    """Tabs of lists: each tab is (its label, its value, its content)."""
    return rx.tabs.root(
        rx.tabs.list(*(rx.tabs.trigger(label, value=key) for label, key, _ in tabs)),
        *(rx.tabs.content(content, value=key, padding_top="1rem") for _, key, content in tabs),
        value=value,
        on_change=on_change,
        width="100%",
    )
