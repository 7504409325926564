"""Consent rules and the documents: versions required at sign-up, unsubscribe tokens, texts."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ofair_app import policies
from ofair_app.domain import consent as rules
from ofair_app.domain.consent import Acceptance, ConsentKind
from ofair_app.domain.errors import InvalidInput

CURRENT = {ConsentKind.privacy_notice: "2026-12-01", ConsentKind.terms: "2026-12-01"}
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECRET = "a-test-secret"


def test_sign_up_needs_both_current_versions_and_names_them():
    rules.check_acceptance(Acceptance("2026-12-01", "2026-12-01"), CURRENT)
    with pytest.raises(InvalidInput) as refused:
        rules.check_acceptance(None, CURRENT)
    error = refused.value
    assert error.code == "consent_required" and error.status == 422
    assert set(error.fields) == {"privacy_notice_version", "accept_terms_version"}
    assert error.params == {"privacy_notice": "2026-12-01", "terms": "2026-12-01"}
    assert error.field_params["accept_terms_version"] == {"version": "2026-12-01"}


def test_an_old_version_is_refused_like_a_missing_one():
    with pytest.raises(InvalidInput) as refused:
        rules.check_acceptance(Acceptance("2026-01-01", "2026-12-01"), CURRENT)
    assert set(refused.value.fields) == {"privacy_notice_version"}


def test_outdated_lists_documents_whose_current_version_was_not_acknowledged():
    assert rules.outdated(CURRENT, {ConsentKind.privacy_notice: "2026-12-01",
                                    ConsentKind.terms: "2026-12-01"}) == frozenset()
    assert rules.outdated(CURRENT, {ConsentKind.terms: "2025-01-01"}) == {
        ConsentKind.privacy_notice, ConsentKind.terms}


def test_an_unsubscribe_token_names_its_user_until_it_expires():
    user_id = uuid.uuid4()
    token = rules.unsubscribe_token(user_id, secret=SECRET, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token) and len(token) < 80
    assert rules.read_unsubscribe_token(token, secret=SECRET, now=NOW + timedelta(days=1)) \
        == user_id
    later = NOW + rules.UNSUBSCRIBE_TTL + timedelta(seconds=1)
    with pytest.raises(rules.BadUnsubscribeToken) as expired:
        rules.read_unsubscribe_token(token, secret=SECRET, now=later)
    assert expired.value.expired


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),  # signature changed
    lambda t: ("B" if t[0] != "B" else "C") + t[1:],  # user id changed
    lambda t: t[:10],  # cut short
    lambda t: "",
    lambda t: "!!!" + t,  # not base64
])
def test_a_tampered_token_is_refused_without_saying_expired(mangle):
    token = rules.unsubscribe_token(uuid.uuid4(), secret=SECRET, now=NOW)
    with pytest.raises(rules.BadUnsubscribeToken) as refused:
        rules.read_unsubscribe_token(mangle(token), secret=SECRET, now=NOW)
    assert not refused.value.expired


def test_a_token_signed_with_another_secret_is_refused():
    token = rules.unsubscribe_token(uuid.uuid4(), secret="other", now=NOW)
    with pytest.raises(rules.BadUnsubscribeToken):
        rules.read_unsubscribe_token(token, secret=SECRET, now=NOW)


@pytest.mark.parametrize("kind", list(policies.POLICIES))
@pytest.mark.parametrize("locale", ["he", "en"])
def test_each_document_renders_with_its_version_and_no_hole(kind, locale):
    text = policies.render(kind, locale)
    policy = policies.POLICIES[kind]
    assert policy.version in text and policy.effective.strftime("%d/%m/%Y") in text
    assert "{{" not in text and "{%" not in text
    if locale == "he":
        assert re.search("[\u0590-\u05ff]", text.splitlines()[0])


def test_the_documents_quote_the_real_settings(monkeypatch):
    from ofair_app.settings import get_settings

    monkeypatch.setenv("PLATFORM_FEE_CONSUMER_PCT", "12.5")
    monkeypatch.setenv("HOLD_PERIOD_DAYS", "9")
    get_settings.cache_clear()
    try:
        terms = policies.render(ConsentKind.terms, "en")
        assert "12.5% of the" in terms and "9 days after" in terms
        privacy = policies.render(ConsentKind.privacy_notice, "he")
        assert f"{policies.LEGAL_RECORDS_YEARS} שנים" in privacy
    finally:
        get_settings.cache_clear()


def test_the_privacy_notice_covers_what_the_law_asks():
    text = policies.render(ConsentKind.privacy_notice, "en")
    for needed in ("What we collect", "legal basis", "How long", "Who receives",
                   "outside Israel", "Your rights", "/account", "Privacy Protection Authority",
                   "IP", "payment provider"):
        assert needed in text, needed


def test_the_pages_get_html_with_tables_links_and_nothing_raw(monkeypatch):
    from ofair_app.settings import get_settings

    monkeypatch.setenv("PRIVACY_CONTACT_EMAIL", "<script>x</script>@ofair.co.il")
    get_settings.cache_clear()
    try:
        html = policies.render_html(ConsentKind.privacy_notice, "he")
    finally:
        get_settings.cache_clear()
    assert html.startswith("<h1>מדיניות פרטיות</h1>")
    assert "<table>" in html and '<a href="/account">' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
