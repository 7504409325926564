"""The look of OFAIR: a calm teal brand, a warm amber accent, Heebo for Hebrew and Latin alike.

Imported by rxconfig.py, so it imports nothing of the app but Reflex.
"""

import reflex as rx

# The palette. Pages use it through CSS variables (defined in assets/a11y.css), so the reader's
# high-contrast mode can swap every colour at once; PALETTE keeps the standard values for places
# that need a literal (the browser's theme colour, the PWA manifest).
PALETTE = {
    "brand": "#0d7a6f",
    "accent": "#f5b83d",
    "ink": "#12262b",
    "muted": "#5b6b70",
    "surface": "#ffffff",
    "page": "#f6f8f9",
    "border": "#e3e9eb",
}
BRAND = "var(--ofair-brand)"
ACCENT = "var(--ofair-accent)"
INK = "var(--ofair-ink)"
MUTED = "var(--ofair-muted)"
SURFACE = "var(--ofair-surface)"
PAGE = "var(--ofair-page)"
BORDER = "var(--ofair-border)"
BRAND_DARK = "#0a5f57"  # the far end of the brand band's gradient
# On the brand band (landing): a panel and icon tiles that darken it, so white text and the
# amber icons keep their contrast (translucent white would lighten it below 4.5:1).
BAND_PANEL = "rgba(0,0,0,0.12)"
BAND_TILE = "rgba(0,0,0,0.22)"
# The keyboard focus ring (assets/ofair.css has the same colours): the brand on light
# backgrounds, white on the brand band. tests/unit/test_palette_contrast.py checks every pair.
FOCUS = BRAND
FOCUS_ON_BRAND = "#ffffff"

MAX_WIDTH = "72rem"

# The literal stack, not var(--default-font-family): Reflex also writes `font_family` into that
# variable on <body>, and a variable defined as itself is invalid (the page falls back to the
# system font).
FONT_STACK = "'Heebo Variable', 'Noto Sans Hebrew', 'Segoe UI', Arial, sans-serif"

GLOBAL_STYLE: dict = {
    "font_family": FONT_STACK,
    "color": INK,
    "background_color": PAGE,
}

STYLESHEETS: list[str] = ["/fonts/heebo.css", "/ofair.css", "/a11y.css"]

# The reader's display preferences (text size, contrast, motion) from localStorage, applied to
# <html> before the first paint; the same file runs the accessibility control. A file, not an
# inline script: the pages' CSP allows our origin, and only the built pages' own inline scripts.
A11Y_SCRIPT_SRC = "/a11y.js"
# The arrow-key model of the town picker's list (and any combobox with a listbox), as a file
# for the same reason.
COMBOBOX_SCRIPT_SRC = "/combobox.js"
# The pro PWA: registers the service worker (`/sw.js`: the app shell offline, push messages) on
# the pro pages, and `window.ofairPush` for the "notifications on this device" switch.
PWA_SCRIPT_SRC = "/pwa.js"

# Sets <html lang/dir> from the locale cookie before the first paint, so English readers never
# see a right-to-left flash. LocaleState keeps it in step afterwards.
APPLY_LOCALE_SCRIPT = (
    "(function(){var m=document.cookie.match(/(?:^|; )ofair_locale=([^;]*)/);"
    "var l=(m&&decodeURIComponent(m[1]).replace(/\"/g,'')==='en')?'en':'he';"
    "document.documentElement.lang=l;document.documentElement.dir=l==='en'?'ltr':'rtl';})();"
)


def radix_theme():
    return rx.theme(accent_color="teal", gray_color="slate", radius="large", scaling="100%")


def head_components() -> list:
    return [
        rx.el.meta(name="theme-color", content=PALETTE["brand"]),
        rx.el.link(rel="manifest", href="/manifest.json"),
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
        rx.el.link(rel="icon", href="/icons/favicon-32.png", type="image/png", sizes="32x32"),
        rx.el.link(rel="apple-touch-icon", href="/icons/apple-touch-icon.png"),
        rx.el.meta(name="apple-mobile-web-app-title", content="OFAIR"),
        rx.el.meta(name="mobile-web-app-capable", content="yes"),
        rx.el.link(
            rel="preload",
            href="/fonts/heebo-hebrew-wght-normal.woff2",
            type="font/woff2",
            cross_origin="anonymous",
            custom_attrs={"as": "font"},
        ),
        # A plain <script> in the prerendered head (rx.script would defer it to after hydration).
        rx.el.script(APPLY_LOCALE_SCRIPT),
        rx.el.script(src=A11Y_SCRIPT_SRC),
        rx.el.script(src=COMBOBOX_SCRIPT_SRC),
        rx.el.script(src=PWA_SCRIPT_SRC, defer=True),
    ]


def card_style(**extra) -> dict:
    return {
        "background": SURFACE,
        "border": f"1px solid {BORDER}",
        "border_radius": "16px",
        "padding": "1.25rem",
        **extra,
    }
