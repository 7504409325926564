"""Inputs of the business form: category, subcategory chips, locality search, service radius.

Each takes the page's state class (a `BusinessFormState`), so onboarding and the profile editor
share them.
"""

import reflex as rx
from reflex.vars import ObjectVar

from ofair_app import reference
from ofair_app.ui import theme
from ofair_app.ui.state.locale import LocaleState, t

# The town picker's list of suggestions (one picker a page).
LOCALITY_LIST = "f-locality-list"


def localized(he: rx.Var | str, en: rx.Var | str) -> rx.Var:
    return rx.cond(LocaleState.locale == "en", en, he)


def category_select(state, id: str = "f-category",
                    placeholder: str = "ui.business.category_placeholder") -> rx.Component:
    """Every category with its icon; `state` has `category` and `set_category`."""
    return rx.select.root(
        rx.select.trigger(placeholder=t(placeholder), width="100%", id=id),
        rx.select.content(
            *(rx.select.item(
                rx.hstack(rx.icon(c.icon, size=15, color=theme.BRAND),
                          localized(c.name_he, c.name_en), spacing="2", align="center"),
                value=c.slug,
            ) for c in reference.categories()),
            position="popper",
        ),
        value=state.category,
        on_change=state.set_category,
        size="3",
    )


def subcategory_chips(state) -> rx.Component:
    def chip(option: ObjectVar[dict[str, str]]) -> rx.Component:
        chosen = state.subcategories.contains(option["slug"])
        return rx.button(
            rx.cond(chosen, rx.icon("check", size=14), rx.fragment()),
            localized(option["he"], option["en"]),
            type="button",
            size="2",
            radius="full",
            variant=rx.cond(chosen, "solid", "outline"),
            color_scheme=rx.cond(chosen, "teal", "gray"),
            on_click=state.toggle_subcategory(option["slug"]),
            aria_pressed=rx.cond(chosen, "true", "false"),
        )

    return rx.cond(
        state.sub_options.length() > 0,
        rx.vstack(
            rx.text(t("ui.business.subcategories"), weight="medium", size="2"),
            rx.flex(rx.foreach(state.sub_options, chip), wrap="wrap", gap="0.5rem",
                    id="f-subcategories"),
            spacing="2",
            width="100%",
        ),
    )


def locality_picker(state) -> rx.Component:
    """Type a few letters (Hebrew or English), pick the town from the list.

    The WAI-ARIA combobox pattern: focus stays in the text field, the arrow keys (and Home,
    End) move the active option, which `aria-activedescendant` names, Enter picks it and Escape
    closes the list; assets/combobox.js is that keyboard. A click or tap picks a town too."""
    result = lambda option: rx.el.button(  # noqa: E731
        rx.hstack(
            rx.icon("map-pin", size=15, color=theme.MUTED, aria_hidden="true"),
            rx.text(localized(option["he"], option["en"]), size="2", as_="span"),
            rx.text(localized(option["en"], option["he"]), size="1", color=theme.MUTED,
                    as_="span", lang=rx.cond(LocaleState.locale == "en", "he", "en")),
            spacing="2",
            align="center",
        ),
        type="button",
        on_click=state.choose_locality(option["id"]),
        role="option",
        id=f"{LOCALITY_LIST}-{option['id']}",
        aria_selected="false",
        tab_index=-1,
        cursor="pointer",
        width="100%",
        min_height="44px",
        padding="0.6rem 0.75rem",
        background="transparent",
        border="none",
        text_align="start",
        color="inherit",
        _hover={"background": rx.color("teal", 3)},
        class_name="locality-option",
    )
    expanded = state.locality_results.length() > 0
    return rx.vstack(
        rx.cond(
            state.locality_id > 0,
            rx.hstack(
                rx.icon("map-pin", size=16, color=theme.BRAND),
                rx.text(localized(state.locality_he, state.locality_en), weight="bold",
                        size="3", id="chosen-locality"),
                spacing="2",
                align="center",
            ),
        ),
        rx.box(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                value=state.locality_query,
                on_change=state.search_locality.debounce(250),
                placeholder=rx.cond(state.locality_id > 0, t("ui.business.locality_change"),
                                    t("ui.business.locality_placeholder")),
                size="3",
                width="100%",
                id="f-locality",
                name="locality_query",
                auto_complete="off",
                role="combobox",
                aria_autocomplete="list",
                aria_expanded=rx.cond(expanded, "true", "false"),
                aria_controls=LOCALITY_LIST,
            ),
            rx.cond(
                expanded,
                rx.box(
                    rx.foreach(state.locality_results, result),
                    role="listbox",
                    id=LOCALITY_LIST,
                    aria_label=t("ui.business.locality_results"),
                    position="absolute",
                    top="calc(100% + 4px)",
                    left="0",
                    right="0",
                    z_index="30",
                    max_height="18rem",
                    overflow_y="auto",
                    background=theme.SURFACE,
                    border=f"1px solid {theme.BORDER}",
                    border_radius="12px",
                    box_shadow="0 10px 30px rgba(18,38,43,0.12)",
                ),
            ),
            position="relative",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def radius_input(value: rx.Var, on_change, id: str) -> rx.Component:
    """A distance in km, 1-200, as the browser's own range input: a label's `for` names it,
    arrow keys move it and screen readers say its value (Radix's slider thumb takes no label).
    It moves freely in the browser; `on_change` gets the value, as text, once it rests."""
    return rx.debounce_input(
        rx.el.input(type="range", min=1, max=200, step=1, value=value, on_change=on_change,
                    id=id, name="radius", class_name="ofair-range"),
        debounce_timeout=250,
    )


def radius_slider(state) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(t("ui.business.radius_value"), size="2", color=theme.MUTED),
            rx.text(state.radius, " ", t("ui.business.km"), weight="bold", size="2",
                    id="radius-value"),
            spacing="2",
        ),
        radius_input(state.radius, state.set_radius_km, "f-radius"),
        spacing="2",
        width="100%",
    )
