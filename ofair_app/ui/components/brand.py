"""The OFAIR wordmark and the language switch."""

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.state.locale import LocaleState, t


def _unscaled(length: str) -> str:
    """`length` as if the reader's larger-text choice were not on (assets/a11y.css): the
    wordmark is a logo, and a bigger one would only push the top bar wider than a phone."""
    return f"calc({length} / var(--ofair-text-scale, 1))"


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
    )


def language_switch(compact: bool = False) -> rx.Component:
    """The other language's name, in that language (marked with its `lang`), as the button's
    text and so its accessible name. `compact`: on a phone, where the top bar is full, only the
    icon shows and the name stays for screen readers."""
    return rx.button(
        rx.icon("languages", size=16, aria_hidden="true"),
        rx.text(t("ui.lang.switch"), as_="span",
                lang=rx.cond(LocaleState.locale == "en", "he", "en"),
                class_name="ofair-label-sm" if compact else ""),
        on_click=LocaleState.toggle,
        variant="soft",
        color_scheme="gray",
        size="2",
        radius="full",
        title=t("ui.lang.switch_label"),
        id="language-switch",
    )
