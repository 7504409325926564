"""Every link of the shells' navigation leads to a page the app registers (no 404s)."""

from __future__ import annotations

import pytest

from ofair_app.ui import pages
from ofair_app.ui.components import shells


class _Recorder:
    def __init__(self) -> None:
        self.routes: set[str] = set()

    def add_page(self, component, *, route: str, **_: object) -> None:
        self.routes.add(route)


@pytest.fixture(scope="module")
def registered() -> set[str]:
    app = _Recorder()
    pages.register(app)
    return app.routes


@pytest.mark.parametrize("nav", ["PRO_NAV", "ADMIN_NAV"])
def test_every_navigation_link_has_a_page(nav: str, registered: set[str]) -> None:
    hrefs = [href for href, _icon, _label in getattr(shells, nav)]
    assert hrefs
    assert [href for href in hrefs if href not in registered] == []
