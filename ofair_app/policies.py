"""The privacy notice and the terms of service: versioned documents shipped with the code.

Each document is a Markdown template per language under `ofair_app/data/policies/`
(`privacy_notice.he.md`, `terms.en.md`…), filled with the platform's real figures (fees, hold
periods, retention) from settings and constants, so the text never drifts from what the code
does. A document's version and effective date are here, one for both languages: changing what
a document says means a new version here, and everyone is asked to acknowledge it again (on
their next login in the app; `GET /users/me/consents` tells an API client).

Why one terms document for consumers and businesses: one account may be both (a consumer who
opens a business keeps their login), the marketplace's rules bind both sides of the same deal,
and one version to accept keeps the record simple. The document has a part for each side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources

from jinja2 import Environment, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt

from ofair_app.domain import identity
from ofair_app.domain.consent import UNSUBSCRIBE_TTL, ConsentKind
from ofair_app.domain.leads import REFERRER_SHARE_RANGE
from ofair_app.settings import get_settings

# Tax documents, ledger entries and the payments behind them: the Income Tax Ordinance and the
# bookkeeping regulations require books and their supporting documents for 7 years.
LEGAL_RECORDS_YEARS = 7
# Audit trails of who saw a client's contact details: kept as long as the deal's money records,
# so a complaint about a reveal can still be checked.
REVEAL_AUDIT_YEARS = LEGAL_RECORDS_YEARS


@dataclass(frozen=True)
class Policy:
    kind: ConsentKind
    version: str
    effective: date
    route: str


POLICIES: dict[ConsentKind, Policy] = {
    ConsentKind.privacy_notice: Policy(ConsentKind.privacy_notice, "2026-12-01",
                                       date(2026, 12, 1), "/privacy"),
    ConsentKind.terms: Policy(ConsentKind.terms, "2026-12-01", date(2026, 12, 1), "/terms"),
}


# The wording of the marketing opt-in (what a person says yes to), versioned like the documents.
MARKETING_VERSION = "2026-12-01"


def current_versions() -> dict[ConsentKind, str]:
    """The version of each document one must acknowledge today."""
    return {kind: policy.version for kind, policy in POLICIES.items()}


def _days(delta: timedelta) -> int:
    return int(delta.total_seconds() // 86400)


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


def facts() -> dict[str, object]:
    """The figures the documents quote, read from settings and the code's own constants."""
    from jobs.definitions import MESSAGE_RETENTION  # jobs imports the app; read it lazily

    settings = get_settings()
    consumer_fee = settings.platform_fee_consumer_pct
    referral_fee = settings.platform_fee_referral_pct
    discount = settings.subscriber_commission_discount_pct
    return {
        "consumer_fee_pct": _pct(consumer_fee),
        "referral_fee_pct": _pct(referral_fee),
        "subscriber_discount_pct": _pct(discount),
        "min_job_amount": _pct(settings.min_job_amount),
        "hold_period_days": settings.hold_period_days,
        "auto_confirm_days": settings.auto_confirm_days,
        "referral_expiry_days": settings.referral_expiry_days,
        "referrer_share_max": _pct(REFERRER_SHARE_RANGE[1]),
        "settlement_mode": settings.settlement_mode,
        "otp_minutes": int(identity.OTP_TTL.total_seconds() // 60),
        "otp_keep_days": _days(max(window for window, _ in identity.OTP_SEND_LIMITS)),
        "token_days": _days(identity.TOKEN_TTL),
        "message_days": _days(MESSAGE_RETENTION),
        "legal_years": LEGAL_RECORDS_YEARS,
        "reveal_audit_years": REVEAL_AUDIT_YEARS,
        "unsubscribe_days": _days(UNSUBSCRIBE_TTL),
        "privacy_email": settings.privacy_contact_email,
        "public_url": settings.ofair_public_url.rstrip("/"),
    }


@cache
def _template(kind: ConsentKind, locale: str):
    source = (resources.files("ofair_app.data") / "policies" / f"{kind.value}.{locale}.md")
    # Markdown, filled only with figures from settings and constants: nothing to escape.
    environment = Environment(undefined=StrictUndefined, keep_trailing_newline=True,
                              autoescape=select_autoescape(default_for_string=False))
    return environment.from_string(source.read_text(encoding="utf-8"))


def render(kind: ConsentKind, locale: str) -> str:
    """The document in `locale` (he or en) as Markdown, its version and date in the heading."""
    policy = POLICIES[kind]
    locale = "en" if locale == "en" else "he"
    effective = policy.effective.strftime("%d/%m/%Y")
    return _template(kind, locale).render(version=policy.version, effective=effective,
                                          **facts())


@cache
def _markdown() -> MarkdownIt:
    # CommonMark with tables; raw HTML in the source is escaped, never passed through.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render_html(kind: ConsentKind, locale: str) -> str:
    """The document as HTML, for the page (rendered here, so the browser needs no Markdown
    library)."""
    return _markdown().render(render(kind, locale))
