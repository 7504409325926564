"""A list that keeps its pages in the browser: the server sends each page once.

The state holds only the latest page and its key (`ui/state/paging.py`); this component keeps,
in a React ref of its own, the pages shown so far, and on each new key:

- page 1 of a list (a new search, new filters, the page opened again) replaces the list;
- the next page of the same list is appended;
- any other key is ignored: a page it already has (a reconnect re-sends the state) or a page
  after a gap (after a reload the server still holds its last page until the page's on_load
  starts the list again). Until it has a page 1 the list shows `waiting`, never `empty`, and no
  "more" button, so a reload never shows a list with holes or a false "nothing here".

It is a memoization leaf: Reflex compiles it, its hooks and everything inside it into one memo
component, so the JavaScript names the hooks declare are in scope where the list renders
(`reflex.compiler.plugins.memoize`: snapshot boundaries keep their hooks in the memo body).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

import reflex as rx
from reflex.components.component import MemoizationLeaf
from reflex.vars import ArrayVar, ObjectVar, VarData

# A row of the list: a dict, or a dataclass.
ROW = TypeVar("ROW")


class PagedList(rx.el.Div):
    """A `<div>` compiled whole, with its hooks, into one memo component."""

    _memoization_mode = MemoizationLeaf._memoization_mode


def _accumulate_hook(name: str, page_key: rx.Var, page_rows: rx.Var) -> str:
    # Runs on every render; the ref changes only when the key does, so rendering twice (React's
    # strict or concurrent rendering) changes nothing.
    return (
        f"const {name}_rows = ((acc, key, rows) => {{"
        " if (key !== acc.key) {"
        "  acc.key = key;"
        "  const at = key.lastIndexOf(':');"
        "  const list = key.slice(0, Math.max(at, 0)), page = Number(key.slice(at + 1));"
        "  if (at > 0 && page === 1) { acc.list = list; acc.page = 1; acc.rows = rows; }"
        "  else if (acc.list !== null && list === acc.list && page === acc.page + 1)"
        "   { acc.page = page; acc.rows = acc.rows.concat(rows); }"
        " }"
        " return acc.rows;"
        f" }})({name}_ref.current, {page_key!s}, {page_rows!s});"
    )


def paged_list(*, name: str, page_rows: ArrayVar[Sequence[ROW]], page_key: rx.Var[str],
               item: Callable[[ObjectVar[ROW]], rx.Component], empty: rx.Component,
               waiting: rx.Component, more: rx.Component | None = None,
               list_props: dict | None = None, **props) -> rx.Component:
    """The pages of one list as they arrive: `item` renders a row; `empty` shows when page 1
    came back empty, `waiting` until page 1 arrives; `more` (the button that asks for the next
    page) shows only once the list holds its pages in order. `name` names the list's
    JavaScript variables: unique on the page, letters, digits and underscores."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"paged list name {name!r} is not a JavaScript identifier")
    name = f"paged_{name}"
    state_data = VarData.merge(page_key._get_all_var_data(), page_rows._get_all_var_data())
    hooks = {
        f"const {name}_ref = useRef({{key: null, list: null, page: 0, rows: []}});": None,
        _accumulate_hook(name, page_key, page_rows): None,
        f"const {name}_synced = {name}_ref.current.list !== null;": None,
    }
    data = VarData.merge(state_data, VarData(imports={"react": ["useRef"]}, hooks=hooks))
    # of page_rows's list type, so guess_type makes it an ArrayVar of the same rows
    rows = cast("ArrayVar[Sequence[ROW]]",
                rx.Var(_js_expr=f"{name}_rows", _var_type=page_rows._var_type,
                       _var_data=data).guess_type())
    synced: rx.Var[bool] = rx.Var(_js_expr=f"{name}_synced", _var_type=bool, _var_data=data)
    return PagedList.create(
        rx.cond(
            rows.length() > 0,
            rx.vstack(rx.foreach(rows, item), **{"spacing": "3", "width": "100%",
                                                 **(list_props or {})}),
            rx.cond(synced, empty, waiting),
        ),
        rx.cond(synced, more) if more is not None else rx.fragment(),
        **{"width": "100%", "display": "flex", "flex_direction": "column", "gap": "0.75rem",
           **props},
    )
