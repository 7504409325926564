"""Every page, registered in one place with its route and on_load handlers."""

import reflex as rx


def register(app: rx.App) -> None:
    app.add_page(lambda: rx.heading("OFAIR"), route="/", title="OFAIR")
