"""Theme placeholder, replaced by the UI work."""

import reflex as rx

GLOBAL_STYLE: dict = {}
STYLESHEETS: list[str] = []


def radix_theme():
    return rx.theme(accent_color="teal", radius="large")


def head_components() -> list:
    return []
