"""Reflex configuration. The database is not configured here (no `db_url`): `ofair_app.db` owns the
engine and Alembic owns the schema; the embedded PostgreSQL starts on first use."""

import os

import reflex as rx

# Offline-safe defaults: no bun download, no telemetry, no version probe.
os.environ.setdefault("REFLEX_USE_NPM", "1")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")

from ofair_app.settings import get_settings
from ofair_app.ui.theme import radix_theme

settings = get_settings()

if settings.ofair_workers is not None:
    # The production server (Granian) takes its worker count from here; read before it starts.
    os.environ.setdefault("GRANIAN_WORKERS", str(settings.ofair_workers))

config = rx.Config(
    app_name="ofair_app",
    telemetry_enabled=False,
    cors_allowed_origins=settings.cors_origins,
    redis_url=settings.redis_url,
    # X-Forwarded-For is the client's to write unless our own proxies appended to it.
    trusted_proxy_hops=settings.ofair_trusted_proxy_hops,
    show_built_with_reflex=False,
    default_color_mode="light",
    plugins=[rx.plugins.RadixThemesPlugin(theme=radix_theme())],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
