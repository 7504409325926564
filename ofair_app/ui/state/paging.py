"""Paged lists whose "more" sends only the new page.

Reflex sends a state var whole whenever it changes, so a list var that grows by a page on each
"more" sends every page again (the 20th page of the board weighed 200 KB). A paged list's state
holds instead only the page it just read (`page_rows`) and a page key, `"<list>:<n>"`: the n-th
page of one list, where a new search starts a new list at 1. The browser keeps the pages it has
shown and appends the next one (`ui/components/paged.py`); the server never resends them.

Each answer moves the key, so every "more" has an answer the browser sees, even at the end of
the list (an empty page), and a page the browser already has (a reconnect re-sends the state)
is recognised by its key and not shown twice.
"""

from __future__ import annotations

import secrets


def first_page_key() -> str:
    """The key of page 1 of a new list (a new search, new filters, the page opened again)."""
    return f"{secrets.token_hex(4)}:1"


def next_page_key(key: str) -> str:
    """The key of the page after `key`'s, in the same list."""
    list_id, _, number = key.rpartition(":")
    return f"{list_id}:{int(number) + 1}"
