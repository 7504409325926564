"""The reader's language: he (default, right-to-left) or en, kept in a cookie."""

import reflex as rx

from ofair_app.i18n import DIRECTION, catalog, normalize_locale

ONE_YEAR = 365 * 24 * 3600


class LocaleState(rx.State):
    locale: str = rx.Cookie("he", name="ofair_locale", max_age=ONE_YEAR, same_site="lax")

    @rx.var
    def direction(self) -> str:
        return DIRECTION[normalize_locale(self.locale)]

    def _apply_to_document(self):
        locale = normalize_locale(self.locale)
        return rx.call_script(
            f"document.documentElement.lang='{locale}';"
            f"document.documentElement.dir='{DIRECTION[locale]}'"
        )

    @rx.event
    def toggle(self):
        """Switch between Hebrew and English, for this page and the next visits."""
        self.locale = "en" if normalize_locale(self.locale) == "he" else "he"
        return self._apply_to_document()

    @rx.event
    def apply(self):
        """Keep <html lang/dir> in step with the cookie (runs on every page load)."""
        return self._apply_to_document()


def t(key: str) -> rx.Var:
    """The text of `key` in the reader's language. Both texts are compiled into the page, so
    switching language needs no round trip and no catalog travels in the state."""
    return rx.cond(LocaleState.locale == "en", catalog("en")[key], catalog("he")[key])
