"""The accessibility control: a labelled button that opens a small dialog with larger text,
high contrast and reduced motion.

The choices live in the browser only (localStorage) and apply to <html> before the first paint:
`assets/a11y.js` reads them, sets `data-text-size`, `data-contrast` and `data-motion`, and answers
the dialog's buttons (each names its choice in `data-a11y="setting:value"` and shows it in
`aria-pressed`); `assets/a11y.css` styles the page from those attributes. No server round trip,
nothing in any state. Radix's dialog keeps the focus inside and returns it to the button.
"""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.components.brand import icon_only_class
from ofair_app.ui.state.locale import t

# Every setting and its values, as assets/a11y.js knows them (the first is the default).
TEXT_SIZES = ("100", "125", "150")
OPTIONS: dict[str, tuple[str, ...]] = {
    "text-size": TEXT_SIZES,
    "contrast": ("standard", "more"),
    "motion": ("full", "reduce"),
}


def _option(setting: str, value: str, label: rx.Var | str, **props) -> rx.Component:
    return rx.el.button(
        label,
        type="button",
        class_name="a11y-option",
        custom_attrs={"data-a11y": f"{setting}:{value}", "aria-pressed": "false"},
        **props,
    )


def _group(setting: str, title_key: str, icon: str, *options: rx.Component) -> rx.Component:
    label_id = f"a11y-{setting}-label"
    return rx.el.div(
        rx.hstack(
            rx.icon(icon, size=16, color=theme.BRAND, aria_hidden="true"),
            rx.text(t(title_key), id=label_id, weight="bold", size="2"),
            spacing="2",
            align="center",
            margin_bottom="0.5rem",
        ),
        rx.flex(*options, gap="0.5rem", width="100%"),
        role="group",
        aria_labelledby=label_id,
        width="100%",
    )


def _panel() -> rx.Component:
    return rx.dialog.content(
        rx.hstack(
            rx.center(
                rx.icon("accessibility", size=20, color=theme.BRAND, aria_hidden="true"),
                width="2.5rem",
                height="2.5rem",
                border_radius="12px",
                background=rx.color("teal", 3),
                flex_shrink="0",
            ),
            rx.dialog.title(t("ui.a11y.control.title"), size="4", margin="0"),
            rx.spacer(),
            rx.dialog.close(
                rx.icon_button(
                    rx.icon("x", size=18),
                    variant="ghost",
                    color_scheme="gray",
                    size="3",
                    aria_label=t("ui.a11y.control.close"),
                    id="a11y-close",
                ),
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        rx.dialog.description(t("ui.a11y.control.description"), size="2", color=theme.MUTED,
                              margin_top="0.5rem"),
        rx.vstack(
            _group("text-size", "ui.a11y.control.text_size", "a-large-small",
                   *(_option("text-size", size, f"{size}%",
                             style={"font_size": f"{int(size) * 0.0094:.3f}rem"})
                     for size in TEXT_SIZES)),
            _group("contrast", "ui.a11y.control.contrast", "contrast",
                   _option("contrast", "standard", t("ui.a11y.control.contrast_standard")),
                   _option("contrast", "more", t("ui.a11y.control.contrast_more"))),
            _group("motion", "ui.a11y.control.motion", "wind",
                   _option("motion", "full", t("ui.a11y.control.motion_full")),
                   _option("motion", "reduce", t("ui.a11y.control.motion_reduce"))),
            spacing="5",
            width="100%",
            margin_top="1.25rem",
        ),
        rx.flex(
            rx.button(
                rx.icon("rotate-ccw", size=15, aria_hidden="true"),
                t("ui.a11y.control.reset"),
                variant="soft",
                color_scheme="gray",
                size="2",
                custom_attrs={"data-a11y": "reset:"},
                id="a11y-reset",
            ),
            rx.link(
                t("ui.a11y.control.statement"),
                href=routes.ACCESSIBILITY,
                size="2",
                weight="medium",
                underline="always",
                id="a11y-statement-link",
            ),
            justify="between",
            align="center",
            wrap="wrap",
            gap="0.75rem",
            margin_top="1.5rem",
            padding_top="1rem",
            border_top=f"1px solid {theme.BORDER}",
        ),
        id="a11y-panel",
        max_width="26rem",
        padding="1.25rem",
    )


def accessibility_control(icon_only: tuple[str, ...] = (), trigger: rx.Component | None = None,
                          **props) -> rx.Component:
    """The "Accessibility" button and its dialog. `icon_only`: the widths ("phone", "wide")
    where only the icon shows (the name stays, in `aria-label`); `trigger`: another button to
    open it with (the statement page's own)."""
    button = trigger or rx.button(
        rx.icon("accessibility", size=16, aria_hidden="true"),
        rx.text(t("ui.a11y.control.open"), as_="span", class_name=icon_only_class(icon_only)),
        variant="soft",
        color_scheme="gray",
        size="2",
        radius="full",
        aria_label=t("ui.a11y.control.open_label"),
        title=t("ui.a11y.control.open_label"),
        class_name="a11y-open",
        **props,
    )
    return rx.dialog.root(rx.dialog.trigger(button), _panel())
