"""The accessibility sweep (IS 5568 / WCAG 2.1 AA), measured in Chromium on the production
build. On every page of test_a11y_axe.SWEEP (each role, Hebrew and English), loaded once: axe
finds nothing at 390 px and at 1280 px, nor in the page's dialogs, and what axe cannot see: Tab
reaches every control with a visible focus ring, touch targets are at least 44x44 px on a
phone, and at 200% zoom nothing scrolls sideways. On key pages: a dialog keeps focus inside and
gives it back; offers and statuses that change live are polite status regions; a status never
speaks by colour alone; Hebrew fragments in the English page are isolated with their own
direction."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ofair_app.db.engine import unit_of_work
from ofair_app.models import ProposalCreate
from ofair_app.services import proposals
from tests.e2e.a11y_world import TOWN, World, make_world
from tests.e2e.conftest import DESKTOP, PHONE, sign_in_as
from tests.e2e.test_a11y_axe import AXE_JS, ROLES, SHOT_PATHS, SHOTS, SWEEP, _axe, _report
from tests.factories import caller_for, city, make_professional, make_user

# Key pages for the checks that are not swept: (role, path) with `{...}` filled from the data.
KEY_PAGES = [
    ("anon", "/"),
    ("anon", "/login"),
    ("consumer", "/my/requests/{open_lead}"),
    ("pro", "/pro"),
    ("pro", "/pro/leads/{open_lead}"),
    ("pro", "/pro/wallet"),
    ("admin", "/admin/payouts"),
]

# Every element a keyboard user should reach, visible; marked with its order for the report.
MARK_CONTROLS = """() => {
  const sel = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]),'
    + ' select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
  const seen = [];
  for (const el of document.querySelectorAll(sel)) {
    if (el.tabIndex < 0 || el.closest('[inert], [aria-hidden="true"]')) continue;
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    el.dataset.a11yControl = String(seen.length);
    seen.push(el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + (el.className || '')
              .toString().split(' ').slice(0, 2).join('.') + ' "' + (el.innerText || el
              .getAttribute('aria-label') || '').trim().slice(0, 30) + '"');
  }
  return seen;
}"""

# Records, as focus moves, the focused element and whether a focus indicator shows: its own
# outline or box-shadow, the ring Radix draws on a text field's wrapper, or, for a visually
# hidden control (a file drop's input), the ring on the element around it.
RECORD_FOCUS = """() => {
  window.__a11yFocus = [];
  const ring = (node) => {
    if (!node) return false;
    const s = getComputedStyle(node);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1)
      || (s.boxShadow && s.boxShadow !== 'none');
  };
  // Last in the event's path (the page's own handlers run first): a roving-focus group's root
  // hands focus on to its current item as it gets it, and only the item counts.
  window.addEventListener('focusin', (event) => {
    const el = document.activeElement;
    if (!el || el === document.body || el !== event.target) return;
    // a roving-focus group (Radix tabs, segmented control) hands its focus to its current item
    const reached = [];
    for (let node = el; node; node = node.parentElement)
      if (node.dataset && node.dataset.a11yControl !== undefined)
        reached.push(node.dataset.a11yControl);
    const box = el.getBoundingClientRect();
    const hidden = box.width <= 1 || box.height <= 1;
    window.__a11yFocus.push({reached,
      name: el.id ? '#' + el.id : el.tagName.toLowerCase() + '.'
        + String(el.className).split(' ')[0],
      visible: ring(el) || ring(el.closest('.rt-TextFieldRoot, .rt-TextAreaRoot'))
        || (hidden && ring(el.parentElement))});
  });
}"""


@pytest.fixture(scope="module")
def world(app_url) -> World:
    return make_world()


def _open(browser, app_url, world: World, role: str, viewport: dict, locale: str = "he"):
    context = browser.new_context(base_url=app_url, viewport=viewport, locale="he-IL")
    context.add_cookies([{"name": "ofair_locale", "value": locale, "url": app_url}])
    page = context.new_page()
    if role != "anon":
        sign_in_as(page, app_url, world.tokens[role])
    return context, page


def _go(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1").first).to_be_visible(timeout=15_000)
    page.wait_for_timeout(400)


def _tab_through(page) -> list[str]:
    """Tab from the top of the page past its last control: what was never reached, and what
    was reached without a visible focus."""
    controls = page.evaluate(MARK_CONTROLS)
    if not controls:
        return ["no controls found"]
    page.evaluate(RECORD_FOCUS)
    page.locator("body").focus()
    for _ in range(len(controls) + 15):
        page.keyboard.press("Tab")
    visits = page.evaluate("() => window.__a11yFocus")
    reached = {i for visit in visits for i in visit["reached"]}
    missed = [controls[i] for i in range(len(controls)) if str(i) not in reached]
    unringed = sorted({visit["name"] for visit in visits if not visit["visible"]})
    return ([f"Tab never reaches {missed}"] if missed else []) + (
        [f"no visible focus on {unringed}"] if unringed else [])


def test_a_dialog_keeps_focus_inside_and_returns_it(browser, app_url, world) -> None:
    context, page = _open(browser, app_url, world, "consumer", PHONE)
    try:
        _go(page, "/my/requests/{open_lead}".format(**world.paths))
        trigger = page.locator(".choose-offer").first
        trigger.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_be_visible()
        inside = "() => !!document.activeElement.closest('[role=alertdialog]')"
        assert page.evaluate(inside), "focus did not move into the dialog"
        for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:
            page.keyboard.press(key)
            assert page.evaluate(inside), f"focus left the dialog after {key}"
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        assert page.evaluate("() => document.activeElement.classList.contains('choose-offer')"
                             ), "focus did not return to the button that opened the dialog"
    finally:
        context.close()


def test_offers_arriving_are_announced_politely(browser, app_url, world) -> None:
    context, page = _open(browser, app_url, world, "consumer", PHONE)
    try:
        _go(page, "/my/requests/{open_lead}".format(**world.paths))
        live = page.locator("#offers-live")
        expect(live).to_have_attribute("aria-live", "polite")
        expect(live).to_have_attribute("role", "status")
        expect(page.locator(".lead-status")).to_have_attribute("role", "status")
        before = int(live.inner_text().rsplit(" ", 1)[-1])
        _, newcomer = make_professional(make_user(name="שגיא חדש"), business_name="שגיא תיקונים",
                                        locality_id=city(TOWN))
        caller = caller_for(newcomer)
        with unit_of_work(caller) as session:
            proposals.create_proposal(session=session, caller=caller,
                                      lead_id=uuid.UUID(world.paths["open_lead"]),
                                      data=ProposalCreate(price=Decimal("480"),
                                                          description="אפשר כבר היום."))
        expect(live).to_have_text(f"הצעות: {before + 1}", timeout=10_000)
    finally:
        context.close()


# Controls that may be smaller than 44x44: a link inside a sentence (WCAG 2.5.5's "inline"
# exception) and a native control whose visible label, which also takes the tap, makes the
# target (a checkbox with its label).
SMALL_TARGETS = """() => {
  const sel = 'a[href], button, input:not([type=hidden]), select, textarea, [role=button],'
    + ' [role=tab], [role=checkbox], [role=radio], [role=switch], [role=combobox], [role=option]';
  const small = [];
  for (const el of document.querySelectorAll(sel)) {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    if (!box.width || !box.height || box.width <= 1 || style.visibility === 'hidden'
        || el.closest('[aria-hidden="true"], .sr-only')) continue;
    if (el.tagName === 'A' && style.display === 'inline' && el.parentElement
        && el.parentElement.innerText.trim() !== el.innerText.trim()) continue;
    // a checkbox's wrapping label takes the tap too
    const label = el.closest('label');
    const target = label ? label.getBoundingClientRect() : box;
    if (Math.round(Math.max(target.height, box.height)) < 44
        || Math.round(Math.max(target.width, box.width)) < 44)
      small.push(`${el.id ? '#' + el.id : el.tagName.toLowerCase() + '.'
        + String(el.className).split(' ')[0]} "${(el.innerText || el.getAttribute('aria-label')
        || '').trim().slice(0, 24)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
  return small;
}"""


# A 1280 px window zoomed to 200% lays the page out in 640 CSS px: everything must still fit
# the width (WCAG 1.4.4 resize text, 1.4.10 reflow).
ZOOMED = {"width": 640, "height": 400}
SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width && (box.right > width + 1 || box.left < -1)
      && !el.closest('.sr-only, [class*="ofair-label-"], [aria-hidden="true"]')
      && getComputedStyle(el).position !== 'fixed';
  }).slice(0, 5).map(el => el.id ? '#' + el.id : el.tagName.toLowerCase() + '.'
    + String(el.className).split(' ')[0]);
  return {scroll: document.documentElement.scrollWidth - width, wide};
}"""


# Bigger targets must still fit: no two controls of the top bar cover each other.
OVERLAPPING_IN_HEADER = """() => {
  const boxes = [...document.querySelectorAll('header a[href], header button')]
    .map(el => [el, el.getBoundingClientRect()]).filter(([, b]) => b.width > 1 && b.height > 1);
  const hits = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, p] = boxes[i], [b, q] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (w > 1 && h > 1) hits.push(`${a.id || a.tagName} / ${b.id || b.tagName}`);
    }
  return hits;
}"""


def _axe_at(page, where: str, sizes: dict[str, dict]) -> list[str]:
    """axe's violations on the page as it is, at each of `sizes` in turn (a resize re-lays the
    page out by its CSS media queries, the same as loading it at that size)."""
    problems: list[str] = []
    for name, viewport in sizes.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(150)
        problems += _report(f"{where}, {name} px)", _axe(page))
    return problems


def _shot(page, visit, role: str, locale: str, size: str) -> None:
    if SHOTS and visit.path in SHOT_PATHS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        name = re.sub(r"\W+", "-", visit.path.strip("/{}") or "home").strip("-")
        page.screenshot(path=f"{SHOTS}/{role}-{name}-{size}-{locale}.png", full_page=True)


@pytest.mark.parametrize("locale", ["he", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe_and_works_by_keyboard_and_by_touch(browser, app_url, world,
                                                                  role, locale) -> None:
    """Each page the role visits in the sweep, in one signed-in browser, loaded once: axe finds
    nothing at 390 px and at 1280 px, nor in the page's dialogs; at 390 px every target is at
    least 44x44 px and the top bar's controls do not cover each other; at 1280 px Tab reaches
    every control, each with a visible focus; at 200% zoom nothing scrolls sideways."""
    assert AXE_JS.exists(), f"{AXE_JS} missing: run ./ofair setup (npm ci in tests/e2e/axe)"
    context, page = _open(browser, app_url, world, role, PHONE, locale=locale)
    problems: list[str] = []
    try:
        for visit in (v for v in SWEEP if v.role == role):
            path = visit.path.format(**world.paths)
            page.set_viewport_size(PHONE)
            _go(page, path)
            problems += _report(f"{path} ({role}, {locale}, 390 px)", _axe(page))
            _shot(page, visit, role, locale, "390")
            small = page.evaluate(SMALL_TARGETS)
            overlapping = page.evaluate(OVERLAPPING_IN_HEADER)
            problems += [f"{path} (390 px): targets under 44x44 px: {small}"] if small else []
            problems += ([f"{path} (390 px): top-bar controls overlap: {overlapping}"]
                         if overlapping else [])
            page.set_viewport_size(DESKTOP)
            page.wait_for_timeout(200)
            problems += _report(f"{path} ({role}, {locale}, 1280 px)", _axe(page))
            _shot(page, visit, role, locale, "1280")
            problems += [f"{path} (1280 px): {problem}" for problem in _tab_through(page)]
            page.set_viewport_size(ZOOMED)
            page.wait_for_timeout(200)
            overflow = page.evaluate(SIDEWAYS)
            problems += ([f"{path} (200%): scrolls sideways: {overflow}"]
                         if overflow["scroll"] > 1 else [])
            for opener in visit.dialogs:
                page.set_viewport_size(DESKTOP)
                page.locator(opener).first.click()
                dialog = page.locator("[role=alertdialog], [role=dialog]").first
                expect(dialog).to_be_visible()
                page.wait_for_timeout(300)
                problems += _axe_at(page, f"{path} with {opener}'s dialog ({role}, {locale}",
                                    {"1280": DESKTOP, "390": PHONE})
                page.keyboard.press("Escape")
                expect(dialog).to_be_hidden()
    finally:
        context.close()
    if problems:
        pytest.fail(f"{role}, {locale}: {len(problems)} problems:\n" + "\n".join(problems),
                    pytrace=False)


@pytest.mark.parametrize(("role", "path"), KEY_PAGES)
def test_statuses_are_words_and_hebrew_in_english_is_isolated(browser, app_url, world, role,
                                                              path) -> None:
    """Every badge says its meaning in text (colour only repeats it); in the English page,
    every Hebrew run (names, titles, descriptions people typed) sits in an element with its own
    direction (`dir`, or a `<bdi>`), so punctuation and numbers around it keep their order."""
    context, page = _open(browser, app_url, world, role, DESKTOP, locale="en")
    try:
        _go(page, path.format(**world.paths))
        silent_badges = page.evaluate("""() => [...document.querySelectorAll('.rt-Badge')]
          .filter(b => b.getBoundingClientRect().width && !(b.innerText.trim()
                       || b.getAttribute('aria-label')))
          .map(b => b.outerHTML.slice(0, 80))""")
        loose_hebrew = page.evaluate("""() => {
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          const loose = [];
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!/[\\u0590-\\u05ff]/.test(node.textContent) || !el.getClientRects().length
                || el.closest('script, style, .sr-only')) continue;
            const own = el.closest('[dir]:not(html), bdi, [lang="he"]');
            if (!own) loose.push(node.textContent.trim().slice(0, 40));
          }
          return loose;
        }""")
    finally:
        context.close()
    assert not silent_badges, f"{path}: badges with no words: {silent_badges}"
    assert not loose_hebrew, f"{path}: Hebrew without its own direction in English: {loose_hebrew}"


def test_errors_of_pickers_are_announced_and_tied_to_them(browser, app_url, world) -> None:
    """A select and the town picker, like the text fields, say they are invalid and point to
    their message, which is an alert (announced when it appears)."""
    context, page = _open(browser, app_url, world, "anon", PHONE)
    try:
        _go(page, "/")
        page.click("#r-submit")
        for control in ("#r-category", "#f-locality"):
            target = page.locator(control)
            expect(target).to_have_attribute("aria-invalid", "true")
            message = page.locator("#" + target.get_attribute("aria-describedby"))
            expect(message).to_have_attribute("role", "alert")
            expect(message).not_to_have_text("")
    finally:
        context.close()
