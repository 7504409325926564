"""Choosing files to send with a form: photos and PDFs, checked again by the server."""

from __future__ import annotations

import reflex as rx

from ofair_app.adapters.storage import MAX_UPLOAD_BYTES
from ofair_app.ui import theme
from ofair_app.ui.state.locale import t, t_count

ACCEPT = {"image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"], "application/pdf": [".pdf"]}


def labelled_upload(*children, label: rx.Var | str, **props) -> rx.Component:
    """`rx.upload` whose file input (visually hidden, still read by screen readers) is named
    `label` (a catalog key or a translated Var)."""
    upload = rx.upload(*children, **props)
    stack = [upload]
    while stack:
        node = stack.pop()
        if getattr(node, "tag", None) == "input":
            node.custom_attrs["aria-label"] = t(label) if isinstance(label, str) else label
            break
        stack.extend(getattr(node, "children", []))
    return upload


def file_drop(upload_id: str, max_files: int) -> rx.Component:
    """A drop zone (a tap opens the phone's gallery or camera) and the names chosen so far."""
    return rx.vstack(
        labelled_upload(
            rx.vstack(rx.icon("image-plus", size=26, color=theme.BRAND),
                      rx.text(t("ui.wizard.files_drop"), size="2", weight="medium"),
                      rx.text(t("ui.wizard.files_types"), " ", t_count("ui.count.files", max_files),
                              size="1", color=theme.MUTED),
                      align="center", spacing="2"),
            label="ui.wizard.files_drop",
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
