"""The accessibility statement's content and settings, and the accessibility control's pieces
(the script, the stylesheet and the palette they share with theme.py)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from ofair_app.i18n import catalog
from ofair_app.settings import Settings
from ofair_app.ui import routes, theme
from ofair_app.ui.components import a11y, shells
from ofair_app.ui.pages import accessibility

ASSETS = Path(__file__).resolve().parents[2] / "assets"
CSS = (ASSETS / "a11y.css").read_text(encoding="utf-8")
SCRIPT = (ASSETS / "a11y.js").read_text(encoding="utf-8")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("ACCESSIBILITY_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


# --- settings ----------------------------------------------------------------------------------


def test_defaults_name_the_role_and_an_address_and_a_review_day(clean_env):
    settings = Settings()
    assert settings.accessibility_coordinator_name == ""
    assert settings.accessibility_coordinator_phone == ""
    assert settings.accessibility_coordinator_email == "accessibility@ofair.co.il"
    assert settings.accessibility_reviewed_on == date(2026, 12, 1)


def test_the_coordinator_and_review_day_come_from_the_environment(clean_env):
    clean_env.setenv("ACCESSIBILITY_COORDINATOR_NAME", "  מיכל לוי ")
    clean_env.setenv("ACCESSIBILITY_COORDINATOR_PHONE", "03-555-0142")
    clean_env.setenv("ACCESSIBILITY_COORDINATOR_EMAIL", "negishut@example.co.il")
    clean_env.setenv("ACCESSIBILITY_REVIEWED_ON", "2026-11-24")
    settings = Settings()
    assert accessibility.coordinator_from(settings) == accessibility.Coordinator(
        name="מיכל לוי", phone="03-555-0142", phone_href="tel:035550142",
        email="negishut@example.co.il")
    assert accessibility.reviewed_on(settings) == {"he": "24 בנובמבר 2026",
                                                   "en": "24 November 2026"}


def test_a_phone_link_keeps_what_a_dialer_reads(clean_env):
    clean_env.setenv("ACCESSIBILITY_COORDINATOR_PHONE", "+972 (3) 555-0142")
    assert accessibility.coordinator_from(Settings()).phone_href == "tel:+97235550142"
    clean_env.setenv("ACCESSIBILITY_COORDINATOR_PHONE", "*2700")
    assert accessibility.coordinator_from(Settings()).phone_href == "tel:*2700"


def test_no_phone_means_no_phone_link(clean_env):
    assert accessibility.coordinator_from(Settings()).phone_href == ""


@pytest.mark.parametrize(("name", "value"), [
    ("ACCESSIBILITY_COORDINATOR_PHONE", "call me"),
    ("ACCESSIBILITY_COORDINATOR_EMAIL", "not-an-address"),
    ("ACCESSIBILITY_COORDINATOR_EMAIL", "two@at@example.com"),
    ("ACCESSIBILITY_REVIEWED_ON", "last tuesday"),
    ("ACCESSIBILITY_COORDINATOR_NAME", "x" * 121),
])
def test_bad_coordinator_settings_are_refused_at_start(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert name.lower() in str(raised.value)


# --- the statement's content -------------------------------------------------------------------

ITEMS = ([f"ui.a11y.done.{key}" for key in accessibility.DONE]
         + [f"ui.a11y.limits.{key}" for key in accessibility.LIMITS]
         + [f"ui.a11y.contact.{key}" for key in accessibility.CONTACT]
         + [f"ui.a11y.support.{key}" for key in accessibility.SCREEN_READERS])


def test_every_item_of_the_statement_is_in_both_languages():
    for key in ITEMS:
        assert catalog("he")[key] and catalog("en")[key], key
        assert re.search("[\u0590-\u05ff]", catalog("he")[key]), key


def test_the_page_shows_every_section_in_both_languages():
    page = str(accessibility.accessibility_statement())
    keys = [key for key in catalog("en") if key.startswith("ui.a11y.")
            and not key.startswith("ui.a11y.control.") and key != "ui.a11y.nav"]
    for key in keys:
        for locale in ("he", "en"):
            # placeholders ({date}) are filled on the page: look for the text around them
            for piece in re.split(r"\{\w+\}", catalog(locale)[key]):
                if piece.strip():
                    assert json.dumps(piece.strip())[1:-1] in page, (key, locale)
    assert 'id:"coordinator"' in page or '"coordinator"' in page
    assert "mailto:" in page


def test_the_statement_says_what_regulation_35_asks_for():
    """The law and standard it follows, what was done, what is not accessible, and how to
    reach the coordinator, in each language."""
    he, en = catalog("he"), catalog("en")
    assert "התשע״ג-2013" in he["ui.a11y.law.body"] and "(תקנה 35)" in he["ui.a11y.law.body"]
    assert "ת״י 5568" in he["ui.a11y.law.body"] and "WCAG 2.1" in he["ui.a11y.law.body"]
    assert "regulation 35" in en["ui.a11y.law.body"] and "IS 5568" in en["ui.a11y.law.body"]
    assert "axe-core" in en["ui.a11y.done.checks"] and "axe-core" in he["ui.a11y.done.checks"]
    for reader in ("NVDA", "VoiceOver", "TalkBack"):
        assert reader in en[f"ui.a11y.support.{reader.lower()}"]
        assert reader in he[f"ui.a11y.support.{reader.lower()}"]
    assert "PDF" in en["ui.a11y.limits.uploads"]
    assert "payment provider" in en["ui.a11y.limits.payment"]
    assert "{date}" in he["ui.a11y.reviewed"] and "{date}" in en["ui.a11y.reviewed"]


def test_every_shell_footer_links_to_the_statement():
    for shell in (shells.consumer_shell(), shells.pro_shell(), shells.admin_shell()):
        rendered = str(shell)
        footer = rendered[rendered.index("footer-accessibility"):]
        assert f'to:"{routes.ACCESSIBILITY}"' in footer[:600]
        assert "a11y-open" in rendered


def test_the_statement_page_is_registered():
    from tests.unit.test_navigation import _Recorder

    app = _Recorder()
    from ofair_app.ui import pages

    pages.register(app)
    assert routes.ACCESSIBILITY in app.routes


# --- the control ---------------------------------------------------------------------------------


def test_the_script_knows_every_choice_the_dialog_offers():
    for setting, values in a11y.OPTIONS.items():
        choices = re.search(rf"'{setting}': \[([^\]]*)\]", SCRIPT)
        assert choices, setting
        assert re.findall(r"'([^']+)'", choices.group(1)) == list(values)


def test_the_stylesheet_styles_every_non_default_choice():
    for setting, values in a11y.OPTIONS.items():
        for value in values[1:]:
            assert f'html[data-{setting}="{value}"]' in CSS, (setting, value)
    assert "prefers-reduced-motion: reduce" in CSS


def test_the_page_loads_the_script_in_the_head_and_the_stylesheet():
    assert (ASSETS / theme.A11Y_SCRIPT_SRC.lstrip("/")).is_file()
    assert "/a11y.css" in theme.STYLESHEETS
    heads = [str(component) for component in theme.head_components()]
    assert any(theme.A11Y_SCRIPT_SRC in head and "script" in head for head in heads)


def _declarations(block_selector: str) -> dict[str, str]:
    start = CSS.index(block_selector)
    body = CSS[CSS.index("{", start) + 1:CSS.index("}", start)]
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", body))


def test_theme_colours_are_the_stylesheets_variables():
    root = _declarations(":root {")
    for name, value in theme.PALETTE.items():
        assert root[f"--ofair-{name}"] == value
        assert getattr(theme, name.upper()) == f"var(--ofair-{name})"


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    lighter, darker = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_high_contrast_text_colours_reach_seven_to_one_on_white():
    high = _declarations('html[data-contrast="more"],')
    text_colours = ["--ofair-brand", "--ofair-ink", "--ofair-muted", "--teal-11", "--teal-9",
                    "--slate-11", "--slate-12", "--gray-11", "--amber-11", "--red-11",
                    "--red-9", "--green-11"]
    for name in text_colours:
        assert _contrast(high[name], "#ffffff") >= 7, name
    assert high["--ofair-page"] == high["--ofair-surface"] == "#ffffff"


def test_standard_palette_text_reaches_four_and_a_half_to_one():
    for name in ("brand", "ink", "muted"):
        for background in ("surface", "page"):
            assert _contrast(theme.PALETTE[name], theme.PALETTE[background]) >= 4.5
