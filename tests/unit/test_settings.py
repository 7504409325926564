from decimal import Decimal

import pytest
from pydantic import ValidationError

from ofair_app.settings import Settings

PRODUCTION_READY = {
    "OFAIR_ENV": "production",
    "OFAIR_SECRET_KEY": "a-long-random-secret",
    "STRIPE_WEBHOOK_SECRET": "whsec_live_secret",
    "DATABASE_URL": "postgresql://ofair_app:pw@db.internal/ofair",
    "MESSAGING_BACKEND": "smtp",
}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No OFAIR variable from the outer environment, and no .env file in the working dir."""
    for name in list(__import__("os").environ):
        if name.startswith(("OFAIR_", "DATABASE_", "STRIPE_", "PSP_", "S3_", "SMTP_",
                            "MESSAGING_", "CARDCOM_", "ITA_", "INVOICE_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults_run_locally_with_nothing_set(clean_env):
    settings = Settings()
    assert settings.ofair_env == "development"
    assert settings.embedded_database
    assert settings.settlement_mode == "escrow"
    assert settings.psp_provider == "sandbox"
    assert settings.storage_backend == "local"
    assert settings.hold_period_days == 7
    assert settings.min_job_amount == Decimal("100")
    assert settings.platform_fee_consumer_pct == Decimal("10")
    assert settings.platform_fee_referral_pct == Decimal("5")
    assert settings.ofair_timezone == "Asia/Jerusalem"


def test_money_settings_are_decimal_not_float(clean_env):
    clean_env.setenv("MIN_JOB_AMOUNT", "150.10")
    settings = Settings()
    assert isinstance(settings.min_job_amount, Decimal)
    assert settings.min_job_amount == Decimal("150.10")


def test_dotenv_file_is_read(clean_env, tmp_path):
    (tmp_path / ".env").write_text("HOLD_PERIOD_DAYS=3\nSETTLEMENT_MODE=b2b\n")
    settings = Settings()
    assert settings.hold_period_days == 3
    assert settings.settlement_mode == "b2b"


def test_environment_beats_dotenv(clean_env, tmp_path):
    (tmp_path / ".env").write_text("HOLD_PERIOD_DAYS=3\n")
    clean_env.setenv("HOLD_PERIOD_DAYS", "9")
    assert Settings().hold_period_days == 9


def test_invalid_values_are_refused(clean_env):
    clean_env.setenv("SETTLEMENT_MODE", "cash")
    with pytest.raises(ValidationError):
        Settings()


def test_production_refuses_placeholder_secrets(clean_env):
    clean_env.setenv("OFAIR_ENV", "production")
    with pytest.raises(ValidationError) as error:
        Settings()
    message = str(error.value)
    assert "OFAIR_SECRET_KEY" in message
    assert "STRIPE_WEBHOOK_SECRET" in message
    assert "DATABASE_URL" in message


@pytest.fixture
def production_env(clean_env):
    for name, value in PRODUCTION_READY.items():
        clean_env.setenv(name, value)
    return clean_env


def test_production_refuses_test_otps(production_env):
    production_env.setenv("OFAIR_TEST_OTPS", "+972500000001=123456")
    with pytest.raises(ValidationError, match="OFAIR_TEST_OTPS"):
        Settings()


def test_production_refuses_the_console_messaging_backend(production_env):
    production_env.setenv("MESSAGING_BACKEND", "console")
    with pytest.raises(ValidationError, match="MESSAGING_BACKEND"):
        Settings()


def test_production_refuses_placeholder_stripe_key_when_stripe_is_used(production_env):
    production_env.setenv("PSP_PROVIDER", "stripe")
    with pytest.raises(ValidationError, match="STRIPE_SECRET_KEY"):
        Settings()


def test_production_refuses_placeholder_cardcom_settings_when_cardcom_is_used(production_env):
    production_env.setenv("PSP_PROVIDER", "cardcom")
    with pytest.raises(ValidationError) as refused:
        Settings()
    for name in ("CARDCOM_TERMINAL", "CARDCOM_API_NAME", "CARDCOM_API_PASSWORD"):
        assert name in str(refused.value)
    production_env.setenv("CARDCOM_TERMINAL", "123456")
    production_env.setenv("CARDCOM_API_NAME", "ofair-live")
    production_env.setenv("CARDCOM_API_PASSWORD", "a-real-password")
    production_env.setenv("CARDCOM_API_BASE", "http://cardcom.example")
    with pytest.raises(ValidationError, match="CARDCOM_API_BASE"):
        Settings()
    production_env.delenv("CARDCOM_API_BASE")
    assert Settings().cardcom_api_base == "https://secure.cardcom.solutions/api/v11"


def test_production_refuses_placeholder_ita_settings_when_ita_is_used(production_env):
    assert Settings().invoice_authority == "sandbox"  # the sandbox needs nothing
    production_env.setenv("INVOICE_AUTHORITY", "ita")
    with pytest.raises(ValidationError) as refused:
        Settings()
    for name in ("ITA_CLIENT_ID", "ITA_CLIENT_SECRET", "ITA_API_BASE (the Authority's test",
                 "ITA_TOKEN_URL (the Authority's test"):
        assert name in str(refused.value)
    production_env.setenv("ITA_CLIENT_ID", "ofair-live-client")
    production_env.setenv("ITA_CLIENT_SECRET", "a-real-secret")
    production_env.setenv("ITA_API_BASE", "http://ita-api.taxes.gov.il/shaam/production")
    production_env.setenv("ITA_TOKEN_URL", "https://openapi.taxes.gov.il/shaam/production"
                                           "/longtimetoken/oauth2/token")
    with pytest.raises(ValidationError, match="ITA_API_BASE \\(https only\\)"):
        Settings()
    production_env.setenv("ITA_API_BASE", "https://ita-api.taxes.gov.il/shaam/production")
    settings = Settings()
    assert settings.ita_client_secret.get_secret_value() == "a-real-secret"
    assert settings.ita_timeout_seconds == 15.0


def test_production_accepts_real_settings(production_env):
    settings = Settings()
    assert settings.ofair_env == "production"
    assert not settings.embedded_database


def test_cors_origins_from_comma_list(clean_env):
    clean_env.setenv("OFAIR_CORS_ORIGINS", "https://ofair.co.il, https://app.ofair.co.il")
    assert Settings().cors_origins == ["https://ofair.co.il", "https://app.ofair.co.il"]


def test_cors_defaults_to_the_public_url_never_wildcard(clean_env):
    assert Settings().cors_origins == ["http://localhost:3000", "http://127.0.0.1:3000"]


def test_production_cors_is_exactly_the_public_url(production_env):
    production_env.setenv("OFAIR_PUBLIC_URL", "https://ofair.co.il")
    assert Settings().cors_origins == ["https://ofair.co.il"]


def test_several_workers_need_redis(clean_env):
    clean_env.delenv("REDIS_URL", raising=False)
    clean_env.setenv("OFAIR_WORKERS", "2")
    with pytest.raises(ValidationError, match="REDIS_URL"):
        Settings()
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert Settings().ofair_workers == 2


def test_one_worker_needs_no_redis(clean_env):
    clean_env.delenv("REDIS_URL", raising=False)
    clean_env.setenv("OFAIR_WORKERS", "1")
    assert Settings().ofair_workers == 1
    assert Settings(ofair_workers=None).ofair_workers is None
