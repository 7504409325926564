"""Choosing files to send with a form: photos and PDFs, checked again by the server."""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var

from ofair_app.adapters.storage import MAX_UPLOAD_BYTES
from ofair_app.ui import theme
from ofair_app.ui.state.locale import t, t_count

ACCEPT = {"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"], "application/pdf": [".pdf"]}


def _file_input(upload: rx.Component) -> rx.Component:
    """The `<input type=file>` react-dropzone puts inside the zone."""
    stack = [upload]
    while stack:
        node = stack.pop()
        if getattr(node, "tag", None) == "input":
            return node
        stack.extend(getattr(node, "children", []))
    raise ValueError("rx.upload without its file input")


def labelled_upload(*children, label: rx.Var | str, hint_id: str = "",
                    **props) -> rx.Component:
    """`rx.upload` whose one keyboard stop is its file input, named `label` (a catalog key or a
    translated Var) and described by the element `hint_id` (the types and limits).

    The zone itself is not focusable (react-dropzone's `noKeyboard`): a focusable zone around
    a file input is an interactive element inside another one, and a zone without a role has
    no name. The input stays visually hidden but takes Tab, says its name, and opens the file
    chooser on Enter or Space as the browser's own control does; `.ofair-drop` (assets/ofair.css)
    draws its focus ring on the zone. A click anywhere on the zone and a drop still work."""
    props["class_name"] = ["ofair-drop", *([props["class_name"]] if "class_name" in props
                                           else [])]
    upload = rx.upload(*children, no_keyboard=True, **props)
    field = _file_input(upload)
    field.custom_attrs["aria-label"] = t(label) if isinstance(label, str) else label
    if hint_id:
        field.custom_attrs["aria-describedby"] = hint_id
    # react-dropzone's getInputProps() gives the input tabIndex -1 and spreads its argument
    # last: ask it for a tab stop.
    field.special_props = [
        Var(_js_expr=prop._js_expr.removesuffix("()") + "({tabIndex: 0})", _var_type=None,
            _var_data=prop._get_all_var_data())
        if prop._js_expr.endswith("()") else prop
        for prop in field.special_props
    ]
    return upload


def file_drop(upload_id: str, max_files: int) -> rx.Component:
    """A drop zone (a tap opens the phone's gallery or camera) and the names chosen so far."""
    hint_id = f"{upload_id}-hint"
    return rx.vstack(
        labelled_upload(
            rx.vstack(rx.icon("image-plus", size=26, color=theme.BRAND, aria_hidden="true"),
                      rx.text(t("ui.wizard.files_drop"), size="2", weight="medium"),
                      rx.text(t("ui.wizard.files_types"), " ", t_count("ui.count.files", max_files),
                              size="1", color=theme.MUTED, id=hint_id),
                      align="center", spacing="2"),
            label="ui.wizard.files_drop",
            hint_id=hint_id,
            id=upload_id,
            multiple=True,
            max_files=max_files,
            max_size=MAX_UPLOAD_BYTES,
            accept=ACCEPT,
            border=f"2px dashed {rx.color('teal', 6)}",
            border_radius="14px",
            padding="1.5rem",
            width="100%",
            cursor="pointer",
        ),
        rx.foreach(rx.selected_files(upload_id), lambda name: rx.hstack(
            rx.icon("paperclip", size=14), rx.text(name, size="2"), spacing="2",
            align="center")),
        spacing="2",
        width="100%",
    )
