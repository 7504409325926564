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
                color=theme.INK,
            ),
            align="center",
            spacing="2",
        ),
        href=routes.HOME,
        aria_label="OFAIR",
        dir="ltr",
        underline="none",
    )


def language_switch(compact: bool = False) -> rx.Component:
    """`compact`: only the icon on a phone, where the top bar is full (the label stays for
    screen readers)."""
    return rx.button(
        rx.icon("languages", size=16),
        rx.text(t("ui.lang.switch"), as_="span",
                display=rx.breakpoints(initial="none", sm="inline") if compact else "inline"),
        on_click=LocaleState.toggle,
        variant="soft",
        color_scheme="gray",
        size="2",
        radius="full",
        aria_label=t("ui.lang.switch_label"),
        id="language-switch",
    )
