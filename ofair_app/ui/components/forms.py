"""Form pieces shared by every page: a labelled field with its error, banners, a section card."""

from collections.abc import Callable, Sequence
from typing import TypeVar, cast

import reflex as rx
from babel.dates import get_month_names
from reflex.vars import ArrayVar, ObjectVar

from ofair_app.ui import theme
from ofair_app.ui.state.locale import LocaleState, t


def dict_var(var: rx.Var[dict[str, str]]) -> ObjectVar[dict[str, str]]:
    """A `dict[str, str]` state var read on its class, as the `ObjectVar` Reflex makes of it.
    Reflex types `Field.__get__` for pyright; mypy resolves a dict field to `ArrayVar[Never]`
    (the `Field[SEQUENCE_TYPE]` overload matches it first), so the cast gives back the type the
    var has at run time. Nothing changes at run time: the var itself is returned."""
    return cast("ObjectVar[dict[str, str]]", var)


def form(*children: rx.Component, **props) -> rx.Component:
    """Every form of the app. The browser's own validation is off (`noValidate`): an empty or
    wrong submit reaches the handler, which names every bad field at once in the app's words
    and language, beside each field (`field`), instead of one native bubble per submit."""
    return rx.form(*children, no_validate=True, **props)


def field(label: str, control: rx.Component, error: rx.Var | str = "", hint: str | rx.Var = "",
          html_for: str = "", required: bool = False) -> rx.Component:
    """A label above its control, a hint or the error below (the error wins, in red). `hint` is
    a catalog key, or an already translated Var. With `html_for` (the control's id), the
    control says to assistive technology whether it is required and invalid, and which text
    describes it (`aria-describedby`: the error, or else the hint)."""
    message_id = f"{html_for}-message" if html_for else None
    if html_for:
        _by_id(control, html_for).custom_attrs.update({
            "aria-invalid": rx.cond(error != "", "true", "false"),
            "aria-describedby": message_id,
        })
        if required:
            _by_id(control, html_for).custom_attrs["aria-required"] = "true"
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
                id=message_id,
                class_name="ofair-field-error",
            ),
            rx.text(hint if isinstance(hint, rx.Var) else t(hint), size="1", color=theme.MUTED,
                    id=message_id)
            if isinstance(hint, rx.Var) or hint else rx.fragment(),
        ),
        spacing="1",
        width="100%",
        min_width="0",
    )


def _by_id(control: rx.Component, id: str) -> rx.Component:
    """The element the label names, inside `control` (a select's trigger, the input of a
    picker), so its invalid/required state and its message reach assistive technology; the
    control itself when none carries that id."""
    stack = [control]
    while stack:
        node = stack.pop()
        if getattr(node, "id", None) == id:
            return node
        stack.extend(getattr(node, "children", []))
    return control


_MONTHS = {locale: get_month_names("wide", locale=locale) for locale in ("he", "en")}


def date_select(id: str, day: rx.Var, month: rx.Var, year: rx.Var, years: rx.Var,
                on_change) -> rx.Component:
    """A date as three lists, day / month (by name, in the reader's language) / year: it reads
    `dd/mm/yyyy` in Hebrew and English alike, fits a phone's width and never falls back to the
    browser's `mm/dd/yyyy`. `on_change(part, value)` gets "day", "month" or "year"; the state
    reads the three with `domain.inputs.date_from_parts`. `id` is the day list's (the label's
    target); the month and year lists add `-month` and `-year`."""
    def one(part: str, value: rx.Var, items: list[rx.Component] | rx.Component, label: str,
            grow: str) -> tuple[rx.Component, str]:
        return rx.select.root(
            rx.select.trigger(placeholder=t(f"ui.date.{part}"), width="100%",
                              id=id if part == "day" else f"{id}-{part}",
                              aria_label=t(label)),
            rx.select.content(items, position="popper"),
            value=value,
            on_change=lambda v: on_change(part, v),
            size="3",
        ), grow

    days = [rx.select.item(str(d), value=str(d)) for d in range(1, 32)]
    months = [rx.select.item(rx.cond(LocaleState.locale == "en", _MONTHS["en"][m],
                                     _MONTHS["he"][m]), value=str(m)) for m in range(1, 13)]
    year_items = rx.foreach(years, lambda y: rx.select.item(y, value=y))
    parts = [one("day", day, days, "ui.date.day", "3"),
             one("month", month, months, "ui.date.month", "4"),
             one("year", year, year_items, "ui.date.year", "4")]
    return rx.hstack(
        *(rx.box(select, flex=f"{grow} 1 0", min_width="0") for select, grow in parts),
        spacing="1",
        width="100%",
        role="group",
    )


def day_range(state, prefix: str, errors: rx.Var[dict[str, str]], *,
              since: str = "ui.audit.since", until: str = "ui.audit.until") -> rx.Component:
    """"From" and "to" days of a `state.days.DaysMixin`, each as `date_select`'s three lists;
    their ids are `<prefix>-since` and `<prefix>-until` (the day lists), errors below each."""
    def one(end: str, label: str) -> rx.Component:
        element_id = f"{prefix}-{end}"
        return field(label, date_select(
            element_id, getattr(state, f"{end}_day"), getattr(state, f"{end}_month"),
            getattr(state, f"{end}_year"), state.day_years,
            getattr(state, f"set_{end}")), error=dict_var(errors).get(end, ""),
            html_for=element_id)

    return rx.grid(one("since", since), one("until", until),
                   columns=rx.breakpoints(initial="1", sm="2"), spacing="3", width="100%")


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


# A row of a list of cards: a dict, or a dataclass.
ROW = TypeVar("ROW")


def card_list(rows: ArrayVar[Sequence[ROW]], render: Callable[[ObjectVar[ROW]], rx.Component],
              empty_key: str) -> rx.Component:
    """A list of cards, or a quiet empty state saying what would be there."""
    return rx.cond(rows.length() > 0,
                   rx.vstack(rx.foreach(rows, render), spacing="3", width="100%"),
                   empty_state(empty_key))


def list_tabs(value: rx.Var, on_change,
              *tabs: tuple[rx.Component | rx.Var[str], str, rx.Component]) -> rx.Component:
    """Tabs of lists: each tab is (its label, its value, its content)."""
    return rx.tabs.root(
        rx.tabs.list(*(rx.tabs.trigger(label, value=key) for label, key, _ in tabs)),
        *(rx.tabs.content(content, value=key, padding_top="1rem") for _, key, content in tabs),
        value=value,
        on_change=on_change,
        width="100%",
    )
