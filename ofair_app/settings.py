"""Every setting OFAIR reads, in one typed object (DESIGN.md §9).

Values come from the environment or a `.env` file in the working directory. The defaults make a
local run work with nothing set: an embedded PostgreSQL under `OFAIR_DATA_DIR`, the sandbox PSP,
console messaging, local file storage. Production refuses placeholder secrets.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from ofair_app.domain.tiers import TierRules

# Secrets that ship as defaults so a local run works; production must replace every one of them.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "whsec_sandbox_change_me", "sk_test_change_me"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- environment -----------------------------------------------------------------------
    ofair_env: Literal["development", "test", "production"] = "development"
    ofair_data_dir: Path = Path(".ofair")
    ofair_secret_key: SecretStr = SecretStr("change-me")
    ofair_public_url: str = "http://localhost:3000"
    # A comma-separated list of origins allowed to call the API from a browser.
    ofair_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    ofair_scheduler: Literal["on", "off"] = "on"
    ofair_timezone: str = "Asia/Jerusalem"
    ofair_test_otps: str = ""
    # Where the privacy notice tells people to write about their personal data.
    privacy_contact_email: str = "privacy@ofair.co.il"
    # The largest JSON (or other non-upload) request body the API reads; uploads have their own.
    api_max_json_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none, the
    # connection's address is the client's). The per-network code budget counts by it.
    ofair_trusted_proxy_hops: int = Field(default=0, ge=0, le=10)

    # --- login codes -----------------------------------------------------------------------
    # Codes one network may ask for in an hour (any targets), and text messages with a code
    # the whole platform may send in an hour: past either, 429 with Retry-After.
    otp_ip_hourly_limit: int = Field(default=30, ge=1)
    # An admin's session ends when it was not used for this long (anyone else's lasts until
    # its token expires): the next request answers 401 and the pages ask to sign in again.
    admin_session_idle_minutes: int = Field(default=30, ge=5, le=24 * 60)
    otp_global_hourly_limit: int = Field(default=2000, ge=1)

    # --- database --------------------------------------------------------------------------
    # The application role (no superuser, no BYPASSRLS, owns nothing) and the owner role that
    # runs migrations. Both unset: an embedded PostgreSQL under OFAIR_DATA_DIR is started.
    database_url: SecretStr | None = None
    database_owner_url: SecretStr | None = None
    database_name: str = "ofair"
    database_app_role: str = "ofair_app"
    database_owner_role: str = "ofair_owner"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # The longest a Lead Board statement may run: past it the search answers "narrow your
    # search" (422) instead of holding a connection (and the page) for longer.
    board_statement_timeout_ms: int = Field(default=2000, ge=100, le=60000)

    # --- money -----------------------------------------------------------------------------
    settlement_mode: Literal["escrow", "b2b"] = "escrow"
    psp_provider: Literal["sandbox", "stripe", "cardcom"] = "sandbox"
    stripe_secret_key: SecretStr = SecretStr("sk_test_change_me")
    stripe_webhook_secret: SecretStr = SecretStr("whsec_sandbox_change_me")
    stripe_api_base: str | None = None
    # Cardcom (REST API v11). The defaults are placeholders: production refuses them when
    # PSP_PROVIDER=cardcom. CARDCOM_API_BASE points elsewhere in tests (a local stand-in).
    cardcom_terminal: str = "change-me"
    cardcom_api_name: str = "change-me"
    cardcom_api_password: SecretStr = SecretStr("change-me")
    cardcom_api_base: str = "https://secure.cardcom.solutions/api/v11"
    cardcom_timeout_seconds: float = 15.0
    # The Tax Authority's allocation numbers (Israel Invoices): `sandbox` answers locally and
    # deterministically; `ita` asks the Authority's SHAAM invoices API (OAuth2). The defaults
    # point at the Authority's test environment with placeholder credentials: production
    # refuses them when INVOICE_AUTHORITY=ita.
    invoice_authority: Literal["sandbox", "ita"] = "sandbox"
    ita_api_base: str = "https://ita-api.taxes.gov.il/shaam/tsandbox"
    ita_token_url: str = (
        "https://openapi.taxes.gov.il/shaam/tsandbox/longtimetoken/oauth2/token")  # noqa: S105
    ita_client_id: str = "change-me"
    ita_client_secret: SecretStr = SecretStr("change-me")
    ita_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    # Who issues the tax documents (b2b mode): the platform's registered name, address and
    # dealer number (ח"פ), printed on every invoice and sent with allocation requests. The
    # defaults are a development company: production refuses them in b2b mode.
    invoice_issuer_name: str = Field(default="אופייר בע\"מ (פיתוח)", min_length=2,
                                     max_length=120)
    invoice_issuer_address: str = Field(default="רחוב הדוגמה 1, תל אביב-יפו", min_length=2,
                                        max_length=200)
    invoice_issuer_number: str = "516000007"
    hold_period_days: int = Field(default=7, ge=0, le=365)
    auto_confirm_days: int = Field(default=7, ge=1, le=365)
    referral_expiry_days: int = Field(default=7, ge=1, le=365)
    referral_chain_max: int = Field(default=4, ge=1, le=10)  # referrers in a chain, owner incl.
    # Performance tiers (domain/tiers.py): what each tier requires of a business's last 90
    # days, and what it is worth (percent off the platform's rate, hours of head start on the
    # Lead Board). Empty: the defaults there.
    tier_thresholds: str = ""
    tier_discounts: str = ""
    tier_board_boost_hours: str = ""
    min_job_amount: Decimal = Field(default=Decimal("100"), ge=0)
    platform_fee_consumer_pct: Decimal = Field(default=Decimal("10"), ge=0, le=100)
    platform_fee_referral_pct: Decimal = Field(default=Decimal("5"), ge=0, le=100)
    subscriber_commission_discount_pct: Decimal = Field(default=Decimal("20"), ge=0, le=100)
    # The pro plan's price a period (30 days), before VAT; a subscription keeps the price it
    # was bought at.
    subscription_price: Decimal = Field(default=Decimal("99"), gt=0, le=100000, decimal_places=2)
    # Unlocking a direct-contact lead's client: the price before VAT, per category (a JSON
    # object of category slug to price; the others cost UNLOCK_PRICE), how many businesses
    # may unlock one lead, and how many days a business has to claim a refund.
    unlock_price: Decimal = Field(default=Decimal("25"), gt=0, le=10000, decimal_places=2)
    unlock_prices: dict[str, Decimal] = Field(default_factory=dict)
    unlock_max_per_lead: int = Field(default=3, ge=1, le=20)
    unlock_refund_days: int = Field(default=7, ge=1, le=60)

    # --- personal data (services/privacy.py, domain/personal_data.py) -----------------------
    # How long a "download all my data" archive stays fetchable, and how many one person may
    # ask for in 24 hours.
    personal_data_export_hours: int = Field(default=24, ge=1, le=168)
    personal_data_exports_per_day: int = Field(default=3, ge=1, le=50)
    # Files of a lead (and of its proposals) are deleted this long after it closed or was
    # cancelled.
    lead_files_retention_days: int = Field(default=365, ge=1, le=3650)
    # An account nobody signed in to for this long is closed, INACTIVE_NOTICE_DAYS after a
    # notice that says so (a login in between keeps it).
    inactive_account_days: int = Field(default=730, ge=30, le=3650)
    inactive_notice_days: int = Field(default=30, ge=1, le=365)

    # --- files -----------------------------------------------------------------------------
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str = "ofair"
    s3_endpoint_url: str | None = None
    s3_region: str = "il-central-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None

    # --- messaging -------------------------------------------------------------------------
    # A new lead reaches subscribers' businesses at once and the others this much later.
    notify_priority_minutes: int = Field(default=10, ge=0, le=24 * 60)
    # Quiet hours (Israel time) for people who never set their own; "" for none.
    notify_quiet_hours: str = Field(default="22:00-07:00",
                                    pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
    # Chat: how many messages one person may send a minute (all threads together).
    chat_messages_per_minute: int = Field(default=20, ge=1, le=600)
    # Site visits: cancelled or moved until this many hours before they start.
    visit_change_cutoff_hours: int = Field(default=2, ge=0, le=168)
    messaging_backend: Literal["console", "smtp"] = "console"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_use_tls: bool = False
    smtp_from: str = "OFAIR <no-reply@ofair.local>"
    # SMS: `console` logs them (production keeps them waiting in the outbox); `019sms` sends
    # them through 019 SMS (019sms.co.il: JSON with a bearer token, Israeli numbers only). The
    # credentials are placeholders: production refuses them when SMS_BACKEND=019sms.
    # SMS019_API_URL points elsewhere in tests (a local stand-in).
    sms_backend: Literal["console", "019sms"] = "console"
    sms019_api_url: str = "https://019sms.co.il/api"
    sms019_username: str = "change-me"
    sms019_api_token: SecretStr = SecretStr("change-me")
    # The alphanumeric sender the phone shows (registered with the provider): at most 11
    # English letters and digits.
    sms_sender_id: str = Field(default="OFAIR", pattern=r"^[A-Za-z0-9]{1,11}$")
    sms_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # WhatsApp: `console` logs them; `cloud` sends Meta's approved templates (named
    # `ofair_<template>`) through the WhatsApp Cloud API from WHATSAPP_PHONE_NUMBER_ID.
    # Production refuses the placeholder token, or no phone number id, when it is `cloud`.
    whatsapp_backend: Literal["console", "cloud"] = "console"
    whatsapp_api_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = Field(default="v23.0", pattern=r"^v\d+\.\d+$")
    whatsapp_phone_number_id: str = ""
    whatsapp_token: SecretStr = SecretStr("change-me")
    whatsapp_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Web Push to the browsers people enabled: `console` logs them; `webpush` encrypts and
    # sends them to each browser's push service, signed with VAPID_PRIVATE_KEY (make a pair
    # with `python -m ofair_app push keys`). Without a key, `console` uses one made per process
    # (subscriptions then stop working at a restart: fine for development only); production
    # refuses `webpush` without a key or with a subject that is not mailto:/https:.
    push_backend: Literal["console", "webpush"] = "console"
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = "mailto:support@ofair.co.il"
    push_timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    # --- accessibility ---------------------------------------------------------------------
    # The accessibility statement (/accessibility; the Service Accessibility Regulations 2013,
    # reg. 35) names the accessibility coordinator people reach with a barrier or a request,
    # and the day the site's accessibility was last reviewed. An empty name shows the role's
    # title; an empty phone or e-mail leaves that line out (production should set all three).
    accessibility_coordinator_name: str = Field(default="", max_length=120)
    accessibility_coordinator_phone: str = Field(default="", max_length=30,
                                                 pattern=r"^[0-9+*()\- ]*$")
    accessibility_coordinator_email: str = Field(default="accessibility@ofair.co.il",
                                                 max_length=254,
                                                 pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    accessibility_reviewed_on: date = date(2026, 12, 1)

    # --- scale-out -------------------------------------------------------------------------
    # Reflex keeps each tab's state in Redis instead of in one process, so any worker (or any
    # machine) can serve any tab's next event.
    redis_url: str | None = None
    # Backend worker processes of `reflex run --env prod` (unset: Reflex's choice, 1 without
    # Redis and 2 x cores + 1 with it). More than one needs REDIS_URL.
    ofair_workers: int | None = Field(default=None, ge=1, le=64)

    # --- observability (ofair_app/observability) --------------------------------------------
    # `json`: one JSON object a line, with the request id, the caller and the ids of the money
    # and inventory actions it took; `text`: the same, as a line for a person at a terminal.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Networks that may read /api/v1/metrics without a token (comma-separated CIDRs; the
    # client's address as `client_ip` reads it). Anyone else needs an admin's token.
    metrics_allowed_networks: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=lambda: [ip_network("127.0.0.0/8"), ip_network("::1/128")])
    # Errors go to Sentry (through its SDK) when a DSN is set; nothing is sent otherwise.
    sentry_dsn: SecretStr | None = None
    sentry_environment: str = Field(default="development", max_length=64)
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    @field_validator("ofair_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("metrics_allowed_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [ip_network(net.strip(), strict=False) for net in value.split(",")
                    if net.strip()]
        return value

    @field_validator("tier_thresholds", "tier_discounts", "tier_board_boost_hours")
    @classmethod
    def _tiers(cls, value: str, info: ValidationInfo) -> str:
        from ofair_app.domain import tiers

        if value.strip():
            parse = {"tier_thresholds": tiers.parse_thresholds,
                     "tier_discounts": tiers.parse_discounts,
                     "tier_board_boost_hours": tiers.parse_board_boosts}[info.field_name or ""]
            try:
                parse(value)
            except (ValueError, TypeError, ArithmeticError) as error:
                raise ValueError(str(error)) from None
        return value

    def tier_rules(self) -> TierRules:
        """What the tiers require and are worth (`domain.tiers.TierRules`), from the settings
        or the defaults."""
        from ofair_app.domain import tiers

        return tiers.TierRules(
            thresholds=(tiers.parse_thresholds(self.tier_thresholds)
                        if self.tier_thresholds.strip() else tiers.DEFAULT_THRESHOLDS),
            discounts=(tiers.parse_discounts(self.tier_discounts)
                       if self.tier_discounts.strip() else tiers.DEFAULT_DISCOUNTS),
            board_boosts=(tiers.parse_board_boosts(self.tier_board_boost_hours)
                          if self.tier_board_boost_hours.strip()
                          else tiers.DEFAULT_BOARD_BOOSTS))

    @field_validator("unlock_prices")
    @classmethod
    def _unlock_prices(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for slug, price in value.items():
            if not 0 < price <= 10000 or price != price.quantize(Decimal("0.01")):
                raise ValueError(f"UNLOCK_PRICES: {slug}'s price must be 0.01-10000 ILS")
        return value

    @field_validator("invoice_issuer_number")
    @classmethod
    def _issuer_number(cls, value: str) -> str:
        from ofair_app.domain.tax import dealer_number_valid

        if not dealer_number_valid(value):
            raise ValueError("INVOICE_ISSUER_NUMBER must be a dealer number: nine digits with"
                             " a valid check digit")
        return value

    @model_validator(mode="after")
    def _workers_need_redis(self) -> Settings:
        if (self.ofair_workers or 1) > 1 and not self.redis_url:
            raise ValueError("OFAIR_WORKERS above 1 needs REDIS_URL: without it each worker "
                             "keeps its own tabs' state, and a reconnect to another loses it")
        return self

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.ofair_env != "production":
            return self
        problems = []
        if self.ofair_secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
            problems.append("OFAIR_SECRET_KEY")
        if self.stripe_webhook_secret.get_secret_value() in PLACEHOLDER_SECRETS:
            problems.append("STRIPE_WEBHOOK_SECRET")
        if (
            self.psp_provider == "stripe"
            and self.stripe_secret_key.get_secret_value() in PLACEHOLDER_SECRETS
        ):
            problems.append("STRIPE_SECRET_KEY")
        if self.psp_provider == "cardcom":
            if not self.cardcom_terminal.isdigit():
                problems.append("CARDCOM_TERMINAL")
            if self.cardcom_api_name in PLACEHOLDER_SECRETS:
                problems.append("CARDCOM_API_NAME")
            if self.cardcom_api_password.get_secret_value() in PLACEHOLDER_SECRETS:
                problems.append("CARDCOM_API_PASSWORD")
            if not self.cardcom_api_base.startswith("https://"):
                problems.append("CARDCOM_API_BASE (https only)")
        if self.invoice_authority == "ita":
            problems.extend(self._ita_problems())
        if self.settlement_mode == "b2b" and self.invoice_issuer_number == "516000007":
            problems.append("INVOICE_ISSUER_NUMBER (the development company's)")
        if self.database_url is None:
            problems.append("DATABASE_URL (the embedded database is for development only)")
        if self.ofair_test_otps.strip():
            problems.append("OFAIR_TEST_OTPS (test numbers are refused in production)")
        if self.messaging_backend == "console":
            problems.append("MESSAGING_BACKEND=console (it logs login codes in clear)")
        problems.extend(self._messaging_problems())
        if problems:
            raise ValueError(
                "production refuses placeholder or development-only settings: "
                + ", ".join(problems)
            )
        return self

    def _messaging_problems(self) -> list[str]:
        """What production cannot send SMS or WhatsApp with: a real backend without its
        credentials, or a provider URL that is not https."""
        problems = []
        if self.sms_backend == "019sms":
            if self.sms019_username in PLACEHOLDER_SECRETS:
                problems.append("SMS019_USERNAME")
            if self.sms019_api_token.get_secret_value() in PLACEHOLDER_SECRETS:
                problems.append("SMS019_API_TOKEN")
            if not self.sms019_api_url.startswith("https://"):
                problems.append("SMS019_API_URL (https only)")
        if self.push_backend == "webpush":
            if self.vapid_private_key is None or not self.vapid_private_key.get_secret_value():
                problems.append("VAPID_PRIVATE_KEY")
            if not self.vapid_subject.startswith(("mailto:", "https://")):
                problems.append("VAPID_SUBJECT (mailto: or https:)")
        if self.whatsapp_backend == "cloud":
            if self.whatsapp_token.get_secret_value() in PLACEHOLDER_SECRETS:
                problems.append("WHATSAPP_TOKEN")
            if not self.whatsapp_phone_number_id.isdigit():
                problems.append("WHATSAPP_PHONE_NUMBER_ID")
            if not self.whatsapp_api_url.startswith("https://"):
                problems.append("WHATSAPP_API_URL (https only)")
        return problems

    def _ita_problems(self) -> list[str]:
        """What production cannot run the Tax Authority adapter with: placeholder credentials,
        a URL that is not https, or the Authority's test environment (its numbers are void)."""
        problems = []
        if self.ita_client_id in PLACEHOLDER_SECRETS:
            problems.append("ITA_CLIENT_ID")
        if self.ita_client_secret.get_secret_value() in PLACEHOLDER_SECRETS:
            problems.append("ITA_CLIENT_SECRET")
        for name, url in (("ITA_API_BASE", self.ita_api_base),
                          ("ITA_TOKEN_URL", self.ita_token_url)):
            if not url.startswith("https://"):
                problems.append(f"{name} (https only)")
            elif "/tsandbox" in url:
                problems.append(f"{name} (the Authority's test environment)")
        return problems

    @property
    def embedded_database(self) -> bool:
        """True when no external database is configured and pgserver provides one."""
        return self.database_url is None

    @property
    def data_dir(self) -> Path:
        return self.ofair_data_dir.expanduser().resolve()

    @property
    def cors_origins(self) -> list[str]:
        """Origins allowed to call the API and open the app's WebSocket from a browser."""
        if self.ofair_cors_origins:
            return self.ofair_cors_origins
        origins = [self.ofair_public_url.rstrip("/")]
        if self.ofair_env != "production":
            # Locally, the same server is reached as localhost and as 127.0.0.1.
            for a, b in (("://localhost", "://127.0.0.1"), ("://127.0.0.1", "://localhost")):
                if a in origins[0]:
                    origins.append(origins[0].replace(a, b))
        return origins


class _SettingsCache:
    """The process-wide settings, read from the environment once. Tests call
    `get_settings.cache_clear()` after changing it. Reading and clearing hold one lock, so a
    thread that was still reading the old environment cannot put its stale settings back after
    a clear (`functools.lru_cache` would: the outbox's sender thread did, between a test's
    change and its next read)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: Settings | None = None

    def __call__(self) -> Settings:
        settings = self._settings
        if settings is not None:
            return settings
        with self._lock:
            if self._settings is None:
                self._settings = Settings()
            return self._settings

    def cache_clear(self) -> None:
        with self._lock:
            self._settings = None


get_settings = _SettingsCache()
