"""The reader's language: he (default, right-to-left) or en, kept in a cookie.

Catalog texts are compiled into the page in both languages (`t()`), so they follow the switch
in the browser. What the server formats for a page (statuses, relative times, categories,
cities, dates, amounts) is in the page's state, in the language it was read in: switching the
language runs the open page's loaders again (`toggle`), so it all re-renders at once. Pages
that hold what the reader is typing (forms, wizards, the login) are registered with
`reread=False`: reloading them would wipe the input, and their labels are catalog texts.
"""

import re

import reflex as rx

from ofair_app.i18n import DIRECTION, catalog, normalize_locale, plural
from ofair_app.ui.state.events import event

ONE_YEAR = 365 * 24 * 3600

# Route patterns (as Reflex keeps them, e.g. "pro/leads/[lead_id]") whose on_load handlers only
# read and format: the language switch runs them again.
_REREAD_ROUTES: set[str] = set()


def reread_on_language_switch(route: str) -> None:
    """Register a page whose loaders the language switch runs again (pages/__init__.py)."""
    from reflex.utils.format import format_route

    _REREAD_ROUTES.add(format_route(route))


def _loaders_of(path: str) -> list:
    """The open page's on_load handlers when it is registered for a re-read, else none."""
    from reflex_base.registry import RegistrationContext

    app = RegistrationContext.get().app
    route = app.router(path)
    if route is None or route not in _REREAD_ROUTES:
        return []
    return list(app.get_load_events(path))


class LocaleState(rx.State):
    locale: rx.Field[str] = rx.field(
        rx.Cookie("he", name="ofair_locale", max_age=ONE_YEAR, same_site="lax"))

    @rx.var
    def direction(self) -> str:
        return DIRECTION[normalize_locale(self.locale)]

    def _apply_to_document(self):
        locale = normalize_locale(self.locale)
        return rx.call_script(
            f"document.documentElement.lang='{locale}';"
            f"document.documentElement.dir='{DIRECTION[locale]}'"
        )

    @event
    def toggle(self):
        """Switch between Hebrew and English, for this page and the next visits: the document's
        lang/dir at once, and the page's server-formatted content read again in the new
        language."""
        self.locale = "en" if normalize_locale(self.locale) == "he" else "he"
        return [self._apply_to_document(), *_loaders_of(self.rx_router_url.path)]

    @event
    def apply(self):
        """Keep <html lang/dir> in step with the cookie (runs on every page load)."""
        return self._apply_to_document()


def t(key: str) -> rx.Var:
    """The text of `key` in the reader's language. Both texts are compiled into the page, so
    switching language needs no round trip and no catalog travels in the state."""
    return rx.cond(LocaleState.locale == "en", catalog("en")[key], catalog("he")[key])


def t_count(key: str, count: int) -> rx.Var:
    """The counted phrase `key` agreeing with `count` (known when the page is built), in the
    reader's language: `t_count("ui.count.files", 5)` is "5 קבצים" / "5 files"."""
    return rx.cond(LocaleState.locale == "en", plural(key, count, "en"), plural(key, count, "he"))


def t_with(key: str, **values: rx.Var | str | rx.Component) -> rx.Component:
    """The text of `key` with its `{name}` placeholders filled by page values (a business's
    name, an amount), in the reader's language: each language keeps its own word order."""

    def parts(locale: str) -> list[rx.Component | str]:
        pieces = re.split(r"\{(\w+)\}", catalog(locale)[key])
        # each value isolated (<bdi>), so a Latin name in a Hebrew sentence keeps the
        # sentence's punctuation where it belongs
        return [rx.el.bdi(values[piece]) if odd else piece
                for odd, piece in ((i % 2 == 1, p) for i, p in enumerate(pieces))
                if odd or piece]

    return rx.cond(LocaleState.locale == "en", rx.fragment(*parts("en")),
                   rx.fragment(*parts("he")))
