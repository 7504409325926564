"""Two widgets axe cannot judge alone (IS 5568 / WCAG 2.1 AA 2.1.1, 2.4.7, 4.1.2), driven by
keyboard on the production build:

- a file drop zone (certificates, the new-lead wizard) is one tab stop, a named button in the
  browser's accessibility tree, opens the file chooser on Enter and Space, shows its focus on
  the zone, and still takes a drop and `set_input_files`;
- the town picker is a combobox: the arrow keys, Home and End move the active option (named by
  aria-activedescendant), Enter picks it, Escape closes the list and leaves focus in the field.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ofair_app import reference
from ofair_app.i18n import translate
from tests.e2e.conftest import DESKTOP, PHONE, sign_in_as
from tests.e2e.test_a11y_axe import _axe, _report
from tests.factories import city, make_professional, make_user, token_for

PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2212f4f0000000049454e44ae426082")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Where focus is and how the browser names it: the element Playwright sees and the node
# Chromium gives screen readers (its own accessibility tree, through DevTools).
ACTIVE = """() => {
  const el = document.activeElement;
  return el ? {tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id,
               zone: el.closest('.ofair-drop') ? el.closest('.ofair-drop').id : ''} : null;
}"""


def _page(browser, app_url, locale: str, viewport=DESKTOP):
    context = browser.new_context(base_url=app_url, viewport=viewport, locale="he-IL")
    context.add_cookies([{"name": "ofair_locale", "value": locale, "url": app_url}])
    page = context.new_page()
    # Playwright takes over the file chooser once something listens for it: listen from the
    # start, so a chooser opened by a key press is never shown before it does.
    page.on("filechooser", lambda chooser: None)
    return context, page


def _chromium_node(page, selector: str) -> dict:
    """Chromium's accessibility node for `selector`: {role, name, ignored}."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node,
                                                         "fetchRelatives": False})["nodes"][0]
    finally:
        cdp.detach()
    return {"role": ax.get("role", {}).get("value"), "name": ax.get("name", {}).get("value"),
            "ignored": ax.get("ignored", False)}


def _outline(page, selector: str) -> str:
    return page.evaluate("""(sel) => { const s = getComputedStyle(document.querySelector(sel));
                           return s.outlineStyle + ' ' + s.outlineWidth; }""", selector)


def _drop(page, zone: str, name: str, mime: str, data: bytes) -> None:
    """Drag a file from outside the browser onto `zone`, as a person does with a mouse."""
    page.evaluate("""([zone, name, mime, bytes]) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name, {type: mime}));
      const target = document.querySelector(zone);
      for (const type of ['dragenter', 'dragover', 'drop'])
        target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true,
                                                  dataTransfer: transfer}));
    }""", [zone, name, mime, list(data)])


@pytest.fixture(scope="module")
def owner(app_url):
    _, user = make_professional(make_user(name="דנה קשת"), business_name="דנה חשמל",
                                category=reference.categories()[0].slug,
                                locality_id=city("Haifa"))
    return user


@pytest.mark.parametrize("locale", ["he", "en"])
def test_the_certificate_drop_zone_is_one_named_tab_stop(browser, app_url, owner,
                                                         locale) -> None:
    name = translate("ui.certificate.drop", locale)
    context, page = _page(browser, app_url, locale)
    sign_in_as(page, app_url, token_for(owner))
    try:
        page.goto("/pro/profile")
        field = page.locator("#certificate-upload input[type=file]")
        expect(field).to_be_attached(timeout=15_000)
        page.wait_for_load_state("networkidle")
        # one tab stop: the zone is not focusable, its file input is, right after the title
        assert page.locator("#certificate-upload").get_attribute("tabindex") is None
        page.locator("#f-cert-title").focus()
        page.keyboard.press("Tab")
        assert page.evaluate(ACTIVE) == {"tag": "input", "type": "file", "id": "",
                                         "zone": "certificate-upload"}
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_focused()
        expect(button).to_have_accessible_description(
            translate("ui.certificate.limits", locale))
        chromium = _chromium_node(page, "#certificate-upload input[type=file]")
        assert chromium["name"] == name and not chromium["ignored"], chromium
        # the focus shows on the zone around it
        assert _outline(page, "#certificate-upload").startswith("solid"), \
            _outline(page, "#certificate-upload")
        page.keyboard.press("Tab")
        assert page.evaluate(ACTIVE)["zone"] == "", "the zone holds a second tab stop"
        page.keyboard.press("Shift+Tab")
        expect(button).to_be_focused()
        # Enter and Space open the file chooser
        for key, chosen in (("Space", "licence.pdf"), ("Enter", "permit.pdf")):
            expect(button).to_be_focused()
            with page.expect_file_chooser() as chooser:
                page.keyboard.press(key)
            chooser.value.set_files(files=[{"name": chosen, "mimeType": "application/pdf",
                                            "buffer": PDF_BYTES}])
            expect(page.locator("#certificate-upload")).to_contain_text(chosen)
            page.wait_for_timeout(300)
        # a file dragged onto the zone replaces it
        _drop(page, "#certificate-upload", "diploma.png", "image/png", PNG_BYTES)
        expect(page.locator("#certificate-upload")).to_contain_text("diploma.png")
        problems = _report(f"/pro/profile with a file chosen ({locale})", _axe(page))
        assert not problems, problems
        # and set_input_files, then the upload, as before
        page.fill("#f-cert-title", f"רישיון חשמלאי {locale}")
        page.set_input_files("#certificate-upload input[type=file]", files=[{
            "name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
        expect(page.locator("#certificate-upload-button")).to_be_enabled()
        page.click("#certificate-upload-button")
        expect(page.locator("#certificate-list")).to_contain_text(f"רישיון חשמלאי {locale}")
    finally:
        context.close()


def test_the_wizard_takes_files_by_keyboard_and_publishes_them(browser, app_url,
                                                               owner) -> None:
    category = reference.categories()[0]
    context, page = _page(browser, app_url, "he", viewport=PHONE)
    sign_in_as(page, app_url, token_for(owner))
    try:
        page.goto("/pro/leads/new")
        page.fill("#w-title", "תיקון לוח חשמל")
        page.fill("#w-description", "הלוח מקפיץ את הפחת בכל גשם, צריך בדיקה")
        page.click("#w-category")
        page.get_by_role("option", name=category.name_he, exact=True).click()
        page.fill("#f-locality", "חיפ")
        page.locator(".locality-option").first.click()
        page.click("#w-next")
        page.fill("#w-client_name", "משה הלקוח")
        page.fill("#w-client_phone", "052-765-4321")
        page.click("#w-next")
        name = translate("ui.wizard.files_drop", "he")
        button = page.get_by_role("button", name=name, exact=True)
        expect(button).to_be_attached()
        # Tab from the top of the step reaches the zone's one stop
        page.locator("#lead-files").scroll_into_view_if_needed()
        page.locator("h1").first.focus()
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate(ACTIVE)["zone"] == "lead-files":
                break
        expect(button).to_be_focused()
        assert _outline(page, "#lead-files").startswith("solid")
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Enter")
        chooser.value.set_files(files=[{"name": "panel.png", "mimeType": "image/png",
                                        "buffer": PNG_BYTES}])
        expect(page.get_by_text("panel.png")).to_be_visible()
        _drop(page, "#lead-files", "meter.png", "image/png", PNG_BYTES)
        expect(page.get_by_text("meter.png")).to_be_visible()
        page.set_input_files("#lead-files input[type=file]", files=[
            {"name": "panel.png", "mimeType": "image/png", "buffer": PNG_BYTES},
            {"name": "meter.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
        expect(page.get_by_text("meter.pdf")).to_be_visible()
        page.click("#w-next")
        page.fill("#w-budget", "800")
        page.locator("#w-budget").blur()
        page.click("#w-next")
        page.click("#w-publish")
        expect(page).to_have_url(re.compile(r"/pro/leads/[0-9a-f-]{36}$"), timeout=15_000)
        expect(page.get_by_text("meter.pdf")).to_be_visible()
        expect(page.get_by_text("panel.png")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "query"), [("he", "קרית"), ("en", "kiryat")])
def test_the_town_picker_moves_with_the_arrow_keys(browser, app_url, locale, query) -> None:
    context, page = _page(browser, app_url, locale, viewport=PHONE)
    try:
        page.goto("/")
        combo = page.locator("#f-locality")
        expect(combo).to_be_visible(timeout=15_000)
        page.wait_for_load_state("networkidle")
        combo.focus()
        page.keyboard.type(query, delay=30)
        listbox = page.get_by_role("listbox", name=translate("ui.business.locality_results",
                                                             locale))
        expect(listbox).to_be_visible()
        expect(combo).to_have_attribute("aria-expanded", "true")
        options = listbox.get_by_role("option")
        expect(options).to_have_count(8)
        ids = [options.nth(i).get_attribute("id") for i in range(8)]
        assert all(ids) and len(set(ids)) == 8, ids
        # options are not tab stops: focus stays in the field
        assert all(options.nth(i).get_attribute("tabindex") == "-1" for i in range(8))

        def active() -> str | None:
            expect(combo).to_be_focused()
            current = combo.get_attribute("aria-activedescendant")
            if current:
                chosen = listbox.get_by_role("option", selected=True)
                expect(chosen).to_have_count(1)
                assert chosen.get_attribute("id") == current
                assert page.locator(f"#{current}").get_attribute("data-active") == "true"
            return current

        assert active() is None
        steps = [("ArrowDown", 0), ("ArrowDown", 1), ("ArrowDown", 2), ("ArrowUp", 1),
                 ("End", 7), ("ArrowDown", 0), ("ArrowUp", 7), ("Home", 0)]
        for key, index in steps:
            page.keyboard.press(key)
            assert active() == ids[index], f"after {key}"
        # the active option shows, as a focus ring does
        assert _outline(page, f"#{ids[0]}").startswith("solid")
        problems = _report(f"/ with the town list open ({locale})", _axe(page))
        assert not problems, problems
        # Escape closes the list; focus stays in the field; ArrowDown opens it again
        page.keyboard.press("Escape")
        expect(listbox).to_be_hidden()
        expect(combo).to_have_attribute("aria-expanded", "false")
        assert active() is None
        page.keyboard.press("ArrowDown")
        expect(listbox).to_be_visible()
        assert active() == ids[0]
        page.keyboard.press("ArrowDown")
        picked = options.nth(1).locator("span").first.inner_text()
        page.keyboard.press("Enter")
        expect(page.locator("#chosen-locality")).to_have_text(picked)
        expect(listbox).to_be_hidden()
        expect(combo).to_be_focused()
        expect(combo).to_have_attribute("aria-expanded", "false")
        assert combo.get_attribute("aria-activedescendant") is None
        # Typing starts over
        page.keyboard.type(query[:3], delay=30)
        expect(listbox).to_be_visible()
        assert active() is None
        # a click picks too, and leaves focus in the field
        options.first.click()
        expect(listbox).to_be_hidden()
        expect(combo).to_be_focused()
    finally:
        context.close()
