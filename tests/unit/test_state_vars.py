"""A page's state never redefines a var of the session it inherits: a page var named `token`
once replaced the sign-in cookie, so opening the page signed the person out (and the login page
sent them straight back: a redirect loop)."""

from __future__ import annotations

import ofair_app.ui.pages  # noqa: F401 - registers every page state
from ofair_app.ui.state.session import SessionState


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found


def test_no_page_state_shadows_a_session_var() -> None:
    inherited = set(SessionState.base_vars) | set(SessionState.computed_vars)
    shadowing = {f"{sub.__name__}.{name}" for sub in _all_subclasses(SessionState)
                 for name in getattr(sub, "__annotations__", {}) if name in inherited}
    assert shadowing == set()
