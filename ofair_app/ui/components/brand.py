"""The OFAIR wordmark and the language switch."""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.state.locale import LocaleState, t


def _unscaled(length: str) -> str:
    """`length` as if the reader's larger-text choice were not on (assets/a11y.css): the
    wordmark is a logo, and a bigger one would only push the top bar wider than a phone."""
    return f"calc({length} / var(--ofair-text-scale, 1))"


# Where a top-bar control shows only its icon, its name kept for screen readers (the classes are
# in assets/ofair.css): "phone" below 48em, where the bar is full; "wide" from 80em, where the
# pro shell's bar also carries its five links. Between the two there is room for the words.
ICON_ONLY_CLASSES = {"phone": "ofair-label-sm", "tablet": "ofair-label-md",
                     "wide": "ofair-label-lg"}


def icon_only_class(icon_only: tuple[str, ...]) -> str:
    """The classes that hide a control's words (not its name) at the widths `icon_only` names."""
    return " ".join(ICON_ONLY_CLASSES[width] for width in icon_only)


def logo(size: str = "1.35rem") -> rx.Component:
    mark = _unscaled("1.9rem")
    return rx.link(
        rx.hstack(
            rx.image(src="/favicon.svg", width=mark, height=mark, alt=""),
            rx.text(
                "OFAIR", font_weight="800", font_size=_unscaled(size), letter_spacing="0.04em",
                color=theme.INK, class_name="ofair-wordmark",
            ),
            align="center",
            spacing="2",
        ),
        href=routes.HOME,
        aria_label="OFAIR",
        dir="ltr",
        underline="none",
        class_name="ofair-tap",
        # a crowded bar shrinks or hides other items, never the wordmark under its badge
        flex_shrink="0",
        white_space="nowrap",
    )


def language_switch(icon_only: tuple[str, ...] = ()) -> rx.Component:
    """The other language's name, in that language (marked with its `lang`), as the button's
    text and so its accessible name. `icon_only`: the widths ("phone", "wide") where the top bar
    has no room for the name: only the icon shows and the name stays for screen readers."""
    return rx.button(
        rx.icon("languages", size=16, aria_hidden="true"),
        rx.text(t("ui.lang.switch"), as_="span",
                lang=rx.cond(LocaleState.locale == "en", "he", "en"),
                class_name=icon_only_class(icon_only)),
        on_click=LocaleState.toggle,
        variant="soft",
        color_scheme="gray",
        size="2",
        radius="full",
        title=t("ui.lang.switch_label"),
        id="language-switch",
    )
