"""The palette's text and UI colours against their backgrounds meet WCAG 2.1 AA (IS 5568):
4.5:1 for text, 3:1 for large text and for the parts of controls and graphics one must see
(focus ring, icons that carry meaning). Computed with WCAG's relative-luminance formula."""

from __future__ import annotations

import pytest

from ofair_app.ui import theme

TEXT, LARGE_OR_UI = 4.5, 3.0


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def luminance(color: str) -> float:
    r, g, b = (_channel(v) for v in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def over(rgba: str, background: str) -> str:
    """A CSS `rgba(r,g,b,a)` painted over an opaque `background`, as one opaque colour."""
    *rgb, alpha = (float(v) for v in rgba.removeprefix("rgba(").rstrip(")").split(","))
    mixed = (round(alpha * f + (1 - alpha) * b) for f, b in zip(rgb, _rgb(background),
                                                                strict=True))
    return "#" + "".join(f"{v:02x}" for v in mixed)


def _on_band(*layers: str) -> str:
    """Translucent layers over the brand band, at its lighter end (the worse case for white)."""
    color = P["brand"]
    for layer in layers:
        color = over(layer, color)
    return color


WHITE = "#ffffff"
# Pages use the palette through CSS variables (assets/a11y.css); these are its standard values.
P = theme.PALETTE

PAIRS = [
    # (what, foreground, background, minimum)
    ("body text on a card", P["ink"], P["surface"], TEXT),
    ("body text on the page", P["ink"], P["page"], TEXT),
    ("secondary text on a card", P["muted"], P["surface"], TEXT),
    ("secondary text on the page", P["muted"], P["page"], TEXT),
    ("brand text and links on a card", P["brand"], P["surface"], TEXT),
    ("brand text and links on the page", P["brand"], P["page"], TEXT),
    ("white text on the brand colour", WHITE, P["brand"], TEXT),
    ("white text on the brand band's dark end", WHITE, theme.BRAND_DARK, TEXT),
    ("white text on the band's panel", WHITE, _on_band(theme.BAND_PANEL), TEXT),
    ("amber icons on the band's tiles", P["accent"],
     _on_band(theme.BAND_PANEL, theme.BAND_TILE), LARGE_OR_UI),
    ("the focus ring on a card", P["brand"], P["surface"], LARGE_OR_UI),
    ("the focus ring on the page", P["brand"], P["page"], LARGE_OR_UI),
    ("the focus ring on the brand band", theme.FOCUS_ON_BRAND, P["brand"], LARGE_OR_UI),
]


def test_contrast_formula_matches_wcag_reference_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the AA grey


@pytest.mark.parametrize(("what", "foreground", "background", "minimum"), PAIRS,
                         ids=[pair[0] for pair in PAIRS])
def test_palette_pair_meets_wcag_aa(what, foreground, background, minimum) -> None:
    ratio = contrast(foreground, background)
    assert ratio >= minimum, f"{what}: {foreground} on {background} is {ratio:.2f}:1"
