"""The privacy notice's short layer and the consent boxes, for sign-up and the request form.

The boxes are the browser's own checkboxes inside the page's form (unticked until the person
ticks them; a ticked box sends `yes`), each with its label, so a screen reader and a keyboard
use them as any checkbox. The full documents open in a new tab, so what was typed stays.
"""

from __future__ import annotations

import reflex as rx

from ofair_app.ui import routes, theme
from ofair_app.ui.state.locale import t, t_with

ACKNOWLEDGE = "accept_policies"
MARKETING = "marketing_opt_in"


def document_link(label: str, href: str) -> rx.Component:
    return rx.link(t(label), href=href, is_external=True, text_decoration="underline",
                   color=theme.BRAND, weight="medium")


def notice_summary(key: str = "ui.consent.summary") -> rx.Component:
    """The layered notice: a few lines saying what is collected, why and who sees it, with the
    full notice and the terms a tap away."""
    return rx.hstack(
        rx.icon("shield-check", size=16, color=theme.BRAND, flex_shrink="0", margin_top="2px"),
        rx.text(t(key), " ",
                document_link("ui.consent.read_privacy", routes.PRIVACY), " · ",
                document_link("ui.consent.read_terms", routes.TERMS),
                size="1", color=theme.MUTED, line_height="1.6"),
        spacing="2",
        align="start",
        width="100%",
        id="privacy-summary",
    )


def check_box(name: str, control_id: str, label: rx.Component | rx.Var[str],
              error: rx.Var | str = "", required: bool = False, checked: rx.Var | bool = False,
              hint: str = "") -> rx.Component:
    """A form's checkbox with its label (the whole row toggles it), an optional hint under
    it and its error. Never ticked in advance unless `checked` says it was."""
    message_id = f"{control_id}-message"
    hint_id = f"{control_id}-hint"
    attrs = {"aria-invalid": rx.cond(error != "", "true", "false"),
             "aria-describedby": f"{hint_id} {message_id}" if hint else message_id}
    if required:
        attrs["aria-required"] = "true"
    return rx.vstack(
        rx.el.label(
            rx.el.input(type="checkbox", name=name, value="yes", id=control_id,
                        custom_attrs=attrs, default_checked=checked, width="1.25rem",
                        height="1.25rem", flex_shrink="0", margin="0.1rem 0 0",
                        accent_color=theme.BRAND, cursor="pointer"),
            rx.text(label, as_="span", size="2", line_height="1.5"),
            html_for=control_id,
            display="flex",
            gap="0.6rem",
            align_items="flex-start",
            cursor="pointer",
            min_height="44px",
            padding_y="0.35rem",
        ),
        rx.text(t(hint), size="1", color=theme.MUTED, id=hint_id, padding_inline_start="1.85rem")
        if hint else rx.fragment(),
        rx.cond(
            error != "",
            rx.hstack(rx.icon("circle-alert", size=14, color=rx.color("red", 10),
                              flex_shrink="0"),
                      rx.text(error, size="2", color=rx.color("red", 11)),
                      spacing="1", align="center", role="alert", id=message_id,
                      class_name="ofair-field-error"),
            rx.fragment(),
        ),
        spacing="1",
        width="100%",
    )


def acknowledge_box(control_id: str, error: rx.Var | str = "") -> rx.Component:
    """"I have read the privacy notice and accept the terms": required."""
    label = t_with("ui.consent.acknowledge",
                   privacy=document_link("ui.consent.privacy_notice", routes.PRIVACY),
                   terms=document_link("ui.consent.terms", routes.TERMS))
    return check_box(ACKNOWLEDGE, control_id, label, error, required=True)


def marketing_box(control_id: str) -> rx.Component:
    """Marketing messages: a separate answer, never ticked in advance."""
    return check_box(MARKETING, control_id, t("ui.consent.marketing"))


def ticked(form: dict, name: str) -> bool:
    return str(form.get(name, "")) in ("yes", "on", "true")
