"""End-to-end harness: the production build (`reflex run --env prod --single-port`) in a
subprocess against the session's database, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import itertools
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from benchmarks.reflex_server import AppNotUp, reflex_prod

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
BUILD_TIMEOUT = 420

# Test numbers with a fixed code (OFAIR_TEST_OTPS), one per login a test performs: the send
# limits (one code a minute per number) apply to them as to everyone.
OTP_CODE = "246810"
OTP_PHONES = [f"+9725499900{n:02d}" for n in range(1, 31)]

# The accessibility coordinator the app under test names in its statement (from settings).
A11Y_COORDINATOR = {
    "ACCESSIBILITY_COORDINATOR_NAME": "מיכל לוי",
    "ACCESSIBILITY_COORDINATOR_PHONE": "03-555-0142",
    "ACCESSIBILITY_COORDINATOR_EMAIL": "negishut@example.co.il",
    "ACCESSIBILITY_REVIEWED_ON": "2026-11-24",
}


def pytest_collection_modifyitems(items):
    """Marks the e2e tests and runs them last, the tests of the b2b server after every other
    (see `b2b_url`). Playwright's sync API keeps an event loop running while it is open, where
    an async test could not start its own: it lives only while e2e tests run (`browser`,
    `pytest_runtest_teardown`)."""
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: ("tests/e2e/" in str(item.fspath),
                                 "b2b_url" in getattr(item, "fixturenames", ())))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(migrated_database: dict[str, str], log_dir: Path, **settings: str) -> Iterator[str]:
    """The whole app, production build, on one port, with `settings` over the tests' own."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    port = _free_port()
    env = {
        **migrated_database,
        "OFAIR_TEST_OTPS": ";".join(f"{phone}={OTP_CODE}" for phone in OTP_PHONES),
        # Every browser here signs in from 127.0.0.1: one network, more than 30 codes a run.
        "OTP_IP_HOURLY_LIMIT": "1000",
        **A11Y_COORDINATOR,
        **settings,
    }
    try:
        with reflex_prod(port, log_dir / "reflex.log", env=env, timeout=BUILD_TIMEOUT):
            yield f"http://127.0.0.1:{port}"
    except AppNotUp as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def app_url(migrated_database, tmp_path_factory) -> Iterator[str]:
    """The app as deployed by default (escrow settlement)."""
    yield from _serve(migrated_database, tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="session")
def b2b_url(app_url, migrated_database, tmp_path_factory) -> Iterator[str]:
    """The app deployed with `SETTLEMENT_MODE=b2b`: its own build (the pages differ: the
    invoices page takes the wallet's place, the job's steps have no checkout). Building it
    rewrites the bundle the escrow server serves, which has its socket's port compiled in, so
    the tests using this server run after every other (`pytest_collection_modifyitems`)."""
    yield from _serve(migrated_database, tmp_path_factory.mktemp("e2e-b2b"),
                      SETTLEMENT_MODE="b2b")


# One Chromium for the e2e tests in a row. Playwright's sync API runs an event loop in this
# thread while it is started, where an async test could not run its own, so it is stopped
# after the last e2e test of a row (`pytest_runtest_teardown`), not at the session's end.
_CHROMIUM: dict[str, object] = {}


class Screens:
    """A journey's screens, kept for the go-live gates (`python -m ofair_app gates`, gate E)
    when OFAIR_SCREENSHOTS_DIR is set: every page the test opens, in any context, is kept as
    the user leaves it for the next (each `goto`, a change of user included) and as it was
    when its context closes, numbered in order and named after the test and the path."""

    def __init__(self, folder: Path, test: str) -> None:
        self.folder, self.test, self.steps = folder, test, itertools.count(1)

    def keep(self, page) -> None:
        if page.is_closed() or page.url == "about:blank":
            return
        where = re.sub(r"[^\w.-]+", "_", urlsplit(page.url).path.strip("/")) or "home"
        page.screenshot(path=str(self.folder / f"{self.test}-{next(self.steps):02d}-{where}.png"))

    def watch(self, page):
        goto = page.goto

        def goto_keeping(url: str, **kwargs):
            self.keep(page)  # the screen as the user saw it, before they move on
            return goto(url, **kwargs)

        page.goto = goto_keeping
        return page

    def contexts(self, new_context):
        """`browser.new_context`, its contexts' pages watched and kept when it closes."""
        def new_context_kept(*args, **kwargs):
            context = new_context(*args, **kwargs)
            new_page, close = context.new_page, context.close
            context.new_page = lambda *a, **k: self.watch(new_page(*a, **k))

            def close_kept(*a, **k):
                for page in context.pages:
                    self.keep(page)
                return close(*a, **k)

            context.close = close_kept
            return context
        return new_context_kept


@pytest.fixture
def browser(app_url, request):
    if "browser" not in _CHROMIUM:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _CHROMIUM["playwright"] = playwright
        _CHROMIUM["browser"] = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                          args=CHROMIUM_ARGS)
    chromium = _CHROMIUM["browser"]
    folder = os.environ.get("OFAIR_SCREENSHOTS_DIR")
    if not folder:
        yield chromium
        return
    test = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("/")[-1])
    chromium.new_context = Screens(Path(folder), test).contexts(chromium.new_context)
    try:
        yield chromium
    finally:
        del chromium.new_context  # the browser's own again, for the next test


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After an e2e test whose next test is not one (or none is left): Chromium and
    Playwright's loop go, once the test's own pages are closed."""
    if nextitem is not None and "tests/e2e/" in str(nextitem.fspath):
        return
    browser = _CHROMIUM.pop("browser", None)
    if browser is not None:
        browser.close()
        _CHROMIUM.pop("playwright").stop()


def _page(browser, app_url, viewport):
    context = browser.new_context(base_url=app_url, viewport=viewport, locale="he-IL")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def on_console(msg) -> None:
        # The 404 page's own document answers 404 by design; any other failure counts.
        if msg.type != "error" or (" 404 " in msg.text and msg.location.get("url") == page.url):
            return
        errors.append(f"console: {msg.text}")

    page.on("console", on_console)
    return context, page, errors


@pytest.fixture
def page(browser, app_url, request):
    """A phone-sized page; the test fails if the page logged an error."""
    context, page, errors = _page(browser, app_url, PHONE)
    yield page
    context.close()
    assert errors == [], errors


@pytest.fixture
def b2b_page(browser, b2b_url, request):
    """A phone-sized page of the b2b server; the test fails if the page logged an error."""
    context, page, errors = _page(browser, b2b_url, PHONE)
    yield page
    context.close()
    assert errors == [], errors


@pytest.fixture
def desktop_page(browser, app_url, request):
    context, page, errors = _page(browser, app_url, DESKTOP)
    yield page
    context.close()
    assert errors == [], errors


_otp_phones = iter(OTP_PHONES)


@pytest.fixture
def otp_phone() -> str:
    """A test number no other test has logged in with."""
    return next(_otp_phones)


def sign_in_as(page, app_url: str, token: str) -> None:
    """Put a login token in the browser, as the login page does after a right code.

    A page still open may have an answer from the server on its way: Reflex writes the cookie
    back from every state it receives, so that answer would put the previous user's token back
    over this one. The page is left first, so nothing of the old session can arrive."""
    if page.url != "about:blank":
        page.goto("about:blank")
    page.context.add_cookies([{"name": "ofair_token", "value": token, "url": app_url}])


SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")


def save_shots(browser, app_url: str, user, path: str, ready: str, name: str,
               opener: str = "") -> None:
    """With OFAIR_SHOTS_DIR set: save `path` as `user` (None: a visitor) sees it at 390 px and
    1280 px, in Hebrew and in English, once `ready` shows; with `opener`, after clicking it,
    with its confirmation open. For a person to look at; nothing is asserted but that the page
    got there."""
    if not SHOTS:
        return
    from playwright.sync_api import expect

    from tests.factories import token_for

    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for size, viewport in (("390", PHONE), ("1280", DESKTOP)):
        for locale in ("he", "en"):
            context = browser.new_context(base_url=app_url, viewport=viewport)
            page = context.new_page()
            if user is not None:
                sign_in_as(page, app_url, token_for(user))
            page.context.add_cookies([{"name": "ofair_locale", "value": locale,
                                       "url": app_url}])
            page.goto(path)
            if opener:
                page.locator(opener).first.click()
                expect(page.get_by_role("alertdialog")).to_be_visible()
            else:
                expect(page.locator(ready).first).to_be_visible()
            page.wait_for_timeout(300)  # web fonts, the dialog's opening animation
            page.screenshot(path=f"{SHOTS}/{name}-{size}-{locale}.png", full_page=not opener)
            context.close()
