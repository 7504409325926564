"""Every shell's top bar fits its window: consumer, business owner and admin, signed out and
signed in, in Hebrew and English, from a small phone (360 px) to a wide desktop (1440 px). At each
width no two items of the bar (the logo's mark and word, the badge beside it, links, buttons,
the business switcher) cover each other, every item stays inside its row and the window, and
no label breaks onto a second line (a nav item reading "Lead / Board"). One browser per role
and language; the window is resized between widths, the page is not reloaded.

With OFAIR_SHOTS_DIR set, the window at each width is saved for a person to see."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y_world import TOWN, World, make_world
from tests.e2e.conftest import sign_in_as
from tests.factories import add_member, city, invite, make_professional, make_user, token_for

SHOTS = os.environ.get("OFAIR_SHOTS_DIR", "")
WIDTHS = [360, 390, 768, 1024, 1280, 1440]
HEIGHT = 800

# Who visits what: each shell the role can see, signed in or out. "busy_pro" is the most
# crowded bar there is: two businesses (the switcher), an open invitation (the mail icon) and
# a long name.
PAGES = {
    "anon": ["/", "/accessibility"],
    "consumer": ["/", "/pro/onboarding"],
    "pro": ["/pro", "/pro/my-leads", "/account"],
    "busy_pro": ["/pro/profile", "/"],
    "admin": ["/admin", "/account"],
}

# Problems of the bars as the window is now: items that cover each other or stick out of their
# row or the window, and text that runs onto a second line. The admin shell's sidebar holds its
# brand and controls from tablet width up, so it is checked like a bar.
TOP_BAR_PROBLEMS = """() => {
  const BARS = 'header, #admin-sidebar';
  const width = document.documentElement.clientWidth;
  const name = (el) => (el.id ? '#' + el.id : el.tagName.toLowerCase()
    + (el.classList[0] ? '.' + el.classList[0] : '')) + ' "' + ((el.innerText
    || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ').slice(0, 20)) + '"';
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 1 && box.height > 1 && getComputedStyle(el).visibility !== 'hidden';
  };
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const problems = [];
  const items = [...document.querySelectorAll(['a[href]', 'button', '.rt-Badge',
      '.ofair-wordmark', 'img'].map(s => BARS.split(', ').map(b => `${b} ${s}`).join(', '))
      .join(', '))].filter(shown).map(el => [el, el.getBoundingClientRect()]);
  // a row that scrolls sideways (the admin's links on a phone) holds more than it shows
  const inScroller = (el) => {
    for (let node = el.parentElement; node && !node.matches(BARS); node = node.parentElement)
      if (scrolls(node)) return true;
    return false;
  };
  for (let i = 0; i < items.length; i++) {
    const [a, p] = items[i];
    // every item inside the window and inside its row
    const row = a.closest('header > *, #admin-sidebar > *');
    if (!inScroller(a) && (p.left < -1 || p.right > width + 1))
      problems.push(`${name(a)} is outside the window`);
    if (row && !inScroller(a)) {
      const r = row.getBoundingClientRect();
      if (p.left < r.left - 1 || p.right > r.right + 1)
        problems.push(`${name(a)} sticks out of its row by `
          + Math.round(Math.max(r.left - p.left, p.right - r.right)) + ' px');
    }
    for (let j = i + 1; j < items.length; j++) {
      const [b, q] = items[j];
      if (a.contains(b) || b.contains(a)) continue;
      const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (w > 1 && h > 1) problems.push(`${name(a)} overlaps ${name(b)}`);
    }
  }
  // every text of a bar (and of the phone's bottom tab bar) on one line
  for (const bar of document.querySelectorAll(BARS + ', #pro-bottom-nav')) {
    const walker = document.createTreeWalker(bar, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.textContent.trim() || !shown(el) || el.closest('.sr-only, [class*="ofair-label-"]'))
        continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter(r => r.width > 0)
        .sort((x, y) => x.top - y.top);
      let lines = rects.length ? 1 : 0, bottom = rects.length ? rects[0].bottom : 0;
      for (const r of rects) if (r.top >= bottom - 1) { lines += 1; bottom = r.bottom; }
      if (lines > 1) problems.push(`"${node.textContent.trim().slice(0, 30)}" wraps onto `
        + `${lines} lines`);
    }
  }
  return [...new Set(problems)];
}"""


@pytest.fixture(scope="module")
def world(app_url) -> World:
    world = make_world()
    town = city(TOWN)
    busy = make_user(name="אלכסנדרה בן־שושן־רוזנטל")
    make_professional(busy, business_name="אינסטלציה ושיפוצים אלכסנדרה", locality_id=town)
    second, second_owner = make_professional(make_user(name="גיל אורן"),
                                             business_name="גיל חשמל", locality_id=town)
    add_member(second, second_owner, busy)
    third, third_owner = make_professional(make_user(name="שרון טל"),
                                           business_name="שרון גינון", locality_id=town)
    invite(third, third_owner, phone=busy.phone)
    world.tokens["busy_pro"] = token_for(busy)
    return world


@pytest.mark.parametrize("locale", ["he", "en"])
@pytest.mark.parametrize("role", list(PAGES))
def test_top_bars_fit_at_every_width(browser, app_url, world, role, locale) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
    context = browser.new_context(base_url=app_url, locale="he-IL",
                                  viewport={"width": WIDTHS[-1], "height": HEIGHT})
    context.add_cookies([{"name": "ofair_locale", "value": locale, "url": app_url}])
    page = context.new_page()
    if role != "anon":
        sign_in_as(page, app_url, world.tokens[role])
    problems: list[str] = []
    try:
        for path in PAGES[role]:
            page.set_viewport_size({"width": WIDTHS[-1], "height": HEIGHT})
            page.goto(path)
            page.wait_for_load_state("networkidle")
            expect(page.locator("h1").first).to_be_visible(timeout=15_000)
            page.wait_for_timeout(400)  # web fonts, the last state deltas
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": HEIGHT})
                page.wait_for_timeout(150)
                problems += [f"{path} at {width} px: {problem}"
                             for problem in page.evaluate(TOP_BAR_PROBLEMS)]
                if SHOTS:
                    name = path.strip("/").replace("/", "-") or "home"
                    page.screenshot(path=f"{SHOTS}/{role}-{name}-{width}-{locale}.png")
    finally:
        context.close()
    if problems:
        pytest.fail(f"{role}, {locale}: {len(problems)} top-bar problems:\n"
                    + "\n".join(problems), pytrace=False)
