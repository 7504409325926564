"""Message templates: every one exists and renders in both languages, strictly and as text."""

from __future__ import annotations

import re

import pytest
from jinja2 import Environment, UndefinedError, meta

from ofair_app.notifications.templates import (
    LOCALES,
    TEMPLATE_DIR,
    TEMPLATES,
    render,
    template_path,
    webotp_host,
)
from ofair_app.settings import get_settings

HEBREW = re.compile("[\u0590-\u05ff]")

# Distinct, ASCII values, so each can be found in the output and English output stays English.
# Parameters an SMS leaves to the page it links to (free text of up to 500 characters).
EMAIL_ONLY = frozenset({"reason", "figures"})  # an admin's note, a tier's figures

PARAMS: dict[str, dict[str, object]] = {
    "otp_code": {"code": "482915", "minutes": 5},
    "email_change": {"code": "730164", "minutes": 5, "name": "Dana"},
    "member_invited": {"business_name": "Cohen Renovations",
                       "url": "https://ofair.co.il/invitations"},
    "professional_verified": {"business_name": "Cohen Renovations",
                              "profile_url": "https://ofair.co.il/pros/7f3a"},
    "professional_suspended": {"business_name": "Cohen Renovations"},
    "phone_change": {"code": "123456", "minutes": 5},
    "account_inactive": {"close_on": "2027-01-31", "url": "https://ofair.co.il/login"},
    "proposal_received": {"lead_title": "Kitchen tap repair in Haifa",
                          "business_name": "Cohen Plumbing", "price": "₪1,200",
                          "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "proposal_accepted": {"lead_title": "Kitchen tap repair in Haifa",
                          "lead_url": "https://ofair.co.il/pro/leads/7f3a"},
    "proposal_rejected": {"lead_title": "Kitchen tap repair in Haifa",
                          "board_url": "https://ofair.co.il/pro"},
    "lead_hidden": {"lead_title": "Kitchen tap repair in Haifa",
                    "reason": "The description names the client's phone number",
                    "lead_url": "https://ofair.co.il/my/requests/42"},
    "lead_restored": {"lead_title": "Kitchen tap repair in Haifa",
                      "reason": "The phone number was removed",
                      "lead_url": "https://ofair.co.il/my/requests/42"},
    "referral_received": {"lead_title": "Bathroom renovation in Tel Aviv",
                          "referrer_name": "Levi Builders", "share": "20", "budget": "₪15,000",
                          "expires_on": "24/06/2025",
                          "referrals_url": "https://ofair.co.il/pro/referrals"},
    "referral_accepted": {"lead_title": "Bathroom renovation in Tel Aviv",
                          "business_name": "Cohen Plumbing",
                          "lead_url": "https://ofair.co.il/pro/leads/9b21"},
    "award_cancelled": {"lead_title": "Kitchen tap repair in Haifa",
                        "board_url": "https://ofair.co.il/pro"},
    "payment_link": {"business_name": "Cohen Plumbing", "amount": "₪1,200",
                     "lead_title": "Kitchen tap repair in Haifa",
                     "url": "https://ofair.co.il/checkout/cs_sandbox_3f9a"},
    "job_paid": {"lead_title": "Kitchen tap repair in Haifa", "amount": "₪1,200",
                 "lead_url": "https://ofair.co.il/pro/leads/7f3a"},
    "dispute_opened": {"lead_title": "Kitchen tap repair in Haifa",
                       "url": "https://ofair.co.il/admin/disputes"},
    "job_completed": {"lead_title": "Kitchen tap repair in Haifa",
                      "lead_url": "https://ofair.co.il/my/requests/7f3a", "days": 7},
    "marketing_update": {"subject": "Winter deals", "text": "Air conditioner service, 20% off"},
    "subscription_paid": {"amount": "₪116.82", "until": "02/01/2027",
                          "url": "https://ofair.co.il/pro/plan"},
    "subscription_renewal_failed": {"until": "09/01/2027", "next_try": "03/01/2027",
                                    "url": "https://ofair.co.il/pro/plan"},
    "subscription_lapsed": {"url": "https://ofair.co.il/pro/plan"},
    "lead_unlocked": {"business": "Yossi Plumbing Ltd", "title": "Fix a leaking kitchen tap",
                      "url": "https://ofair.co.il/my/requests/3f2a9c1e-8b7d-4c6a-9e1f"},
    "unlock_check": {"business": "Yossi Plumbing Ltd", "title": "Fix a leaking tap",
                     "url": "https://ofair.co.il/unlock-check/AbCdEfGhIjKlMnOpQrStUvWx"},
    "tier_changed": {"tier": "Gold", "previous": "Silver", "discount": "10%",
                     "figures": "12 jobs, rating 4.9, answers in 30 min, 0 disputes lost",
                     "url": "https://ofair.co.il/pro/plan"},
    "unlock_claim_decided": {"title": "Fix a leaking kitchen tap",
                             "outcome": "Refunded 29.50 ILS.",
                             "url": "https://ofair.co.il/pro/unlocks"},
    "autopay_failed": {"month": "11/2026", "amount": "₪377",
                       "url": "https://ofair.co.il/pro/invoices", "next_try": "02/12/2026"},
    "award_declined": {"lead_title": "Kitchen tap repair in Haifa",
                       "business_name": "Cohen Plumbing",
                       "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "new_lead": {"lead_title": "Fixing a leaking kitchen tap",
                 "budget": "₪1,200", "lead_url": "https://ofair.co.il/pro/leads/7f3a"},
    "completion_confirmed": {"lead_title": "Painting a 3-room flat",
                             "lead_url": "https://ofair.co.il/pro/leads/7f3a"},
    "dispute_resolved": {"lead_title": "Painting a 3-room flat",
                         "url": "https://ofair.co.il/my/requests/7f3a"},
    "referral_declined": {"lead_title": "Painting a 3-room flat",
                          "business_name": "Cohen Renovations",
                          "lead_url": "https://ofair.co.il/pro/leads/7f3a"},
    "chat_message": {"sender_name": "Cohen Renovations", "lead_title": "Painting a 3-room flat",
                     "thread_url": "https://ofair.co.il/messages/7f3a"},
    "review_request": {"lead_title": "Painting a 3-room flat", "business_name": "Cohen Renovations",
                       "review_url": "https://ofair.co.il/my/requests/7f3a"},
    "review_reminder": {"lead_title": "Painting a 3-room flat",
                        "business_name": "Cohen Renovations",
                        "review_url": "https://ofair.co.il/my/requests/7f3a"},
    "review_received": {"lead_title": "Painting a 3-room flat", "rating": 5,
                        "reviews_url": "https://ofair.co.il/pro/leads/7f3a"},
    "review_replied": {"business_name": "Cohen Renovations",
                       "review_url": "https://ofair.co.il/my/requests/7f3a"},
    "review_hidden": {"lead_title": "Painting a 3-room flat", "reason": "Names a third party",
                      "review_url": "https://ofair.co.il/my/requests/7f3a"},
    "review_restored": {"lead_title": "Painting a 3-room flat", "reason": "Checked again",
                        "review_url": "https://ofair.co.il/my/requests/7f3a"},
    "milestone_plan_proposed": {"lead_title": "Painting a 3-room flat", "count": 3,
                                "amount": "NIS 4,500.00",
                                "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "milestone_plan_agreed": {"lead_title": "Painting a 3-room flat", "count": 3,
                              "amount": "NIS 4,500.00",
                              "lead_url": "https://ofair.co.il/pro/leads/7f3a"},
    "milestone_submitted": {"lead_title": "Painting a 3-room flat", "milestone_title": "Walls",
                            "amount": "NIS 1,500.00", "days": 7,
                            "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "milestone_approved": {"lead_title": "Painting a 3-room flat", "milestone_title": "Walls",
                           "amount": "NIS 1,500.00",
                           "lead_url": "https://ofair.co.il/pro/leads/7f3a"},
    "milestone_update": {"lead_title": "Painting a 3-room flat", "milestone_title": "Walls",
                         "amount": "NIS 1,500.00",
                         "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "visit_booked": {"lead_title": "Painting a 3-room flat",
                   "business_name": "Cohen Renovations", "when": "Sunday 6 Dec, 09:00",
                   "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "visit_cancelled": {"lead_title": "Painting a 3-room flat",
                      "business_name": "Cohen Renovations", "when": "Sunday 6 Dec, 09:00",
                      "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "visit_rescheduled": {"lead_title": "Painting a 3-room flat",
                        "business_name": "Cohen Renovations", "when": "Sunday 6 Dec, 09:00",
                        "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "visit_reminder": {"lead_title": "Painting a 3-room flat",
                     "business_name": "Cohen Renovations", "when": "Sunday 6 Dec, 09:00",
                     "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "checked_in": {"lead_title": "Painting a 3-room flat", "business_name": "Cohen Renovations",
                   "lead_url": "https://ofair.co.il/my/requests/7f3a"},
    "payout_paid": {"amount": "₪4,250.00", "wallet_url": "https://ofair.co.il/pro/wallet"},
    "invoice_issued": {"number": "305-000123", "total": "₪1,180.00",
                       "invoices_url": "https://ofair.co.il/pro/invoices"},
}

CASES = [(name, locale, channel) for name in sorted(TEMPLATES) for locale in LOCALES
         for channel in sorted(TEMPLATES[name])]


@pytest.fixture
def public_url(monkeypatch):
    """Point OFAIR_PUBLIC_URL somewhere for one test, and put the cached settings back after."""
    def set_url(url: str) -> None:
        monkeypatch.setenv("OFAIR_PUBLIC_URL", url)
        get_settings.cache_clear()

    yield set_url
    monkeypatch.undo()
    get_settings.cache_clear()


def test_every_template_has_a_file_for_each_locale_and_listed_channel() -> None:
    for name, locale, channel in CASES:
        assert template_path(name, locale, channel).is_file(), (name, locale, channel)


def test_no_template_file_exists_that_the_registry_does_not_list() -> None:
    expected = {template_path(name, locale, channel) for name, locale, channel in CASES}
    assert set(TEMPLATE_DIR.glob("*/*.txt")) == expected


def test_the_sample_params_cover_every_template() -> None:
    assert set(PARAMS) == set(TEMPLATES)


@pytest.mark.parametrize(("name", "locale", "channel"), CASES)
def test_every_template_renders_with_all_its_params_in_both_languages(name, locale,
                                                                        channel) -> None:
    subject, body = render(name, locale, channel, **PARAMS[name])
    text = f"{subject}\n{body}"
    for key, value in PARAMS[name].items():
        if channel == "sms" and key in EMAIL_ONLY:
            continue  # an admin's free-text note does not fit in 160 characters
        assert str(value) in text, (name, locale, channel, value)
    assert "{{" not in text and "{%" not in text
    if locale == "he":
        assert HEBREW.search(body)
    else:
        assert not HEBREW.search(text)


@pytest.mark.parametrize(("name", "locale", "channel"),
                         [case for case in CASES if case[2] == "email"])
def test_email_templates_have_a_one_line_subject_and_a_separate_body(name, locale,
                                                                     channel) -> None:
    subject, body = render(name, locale, channel, **PARAMS[name])
    assert subject.strip() and "\n" not in subject
    assert not body.startswith("Subject:") and body.strip()


@pytest.mark.parametrize(("name", "locale", "channel"),
                         [case for case in CASES if case[2] == "sms"])
def test_sms_templates_have_no_subject_and_fit_in_160_characters(name, locale, channel,
                                                                 public_url) -> None:
    public_url("https://ofair.co.il")
    subject, body = render(name, locale, channel, **PARAMS[name])
    assert subject == ""
    assert len(body) <= 160, (name, locale, len(body))


def test_hebrew_otp_sms_starts_with_the_code_and_ends_with_the_webotp_line(public_url) -> None:
    public_url("https://ofair.co.il")
    _, body = render("otp_code", "he", "sms", code="123456", minutes=5)
    assert body.startswith("123456 ")
    assert "5 דקות" in body
    assert body.splitlines()[-1] == "@ofair.co.il #123456"
    assert body.splitlines()[-2] == ""  # WebOTP wants the origin line on its own


def test_webotp_host_is_the_public_urls_hostname_without_scheme_or_port(public_url) -> None:
    public_url("https://app.ofair.co.il:8443/some/path")
    _, body = render("otp_code", "en", "sms", code="654321", minutes=5)
    assert body.endswith("\n@app.ofair.co.il #654321")
    assert webotp_host("http://localhost:3000") == "localhost"


def test_a_single_minute_reads_naturally_in_both_languages() -> None:
    assert "דקה אחת" in render("otp_code", "he", "sms", code="1", minutes=1)[1]
    assert "1 minute." in render("otp_code", "en", "sms", code="1", minutes=1)[1]
    assert "1 minutes" not in render("otp_code", "en", "email", code="1", minutes=1)[1]


@pytest.mark.parametrize(("days", "he", "en"), [(1, "בעוד יום אחד", "in 1 day"),
                                               (2, "בעוד יומיים", "in 2 days"),
                                               (7, "בעוד 7 ימים", "in 7 days")])
def test_days_agree_with_their_number_through_the_catalogs_plural_forms(days, he, en) -> None:
    params = {"lead_title": "תיקון", "lead_url": "https://ofair.co.il/x", "days": days}
    for channel in ("sms", "email"):
        assert he in render("job_completed", "he", channel, **params)[1]
        assert en in render("job_completed", "en", channel, **params)[1]


def test_a_missing_param_raises_instead_of_leaving_a_hole() -> None:
    with pytest.raises(UndefinedError):
        render("otp_code", "he", "sms", code="123456")
    with pytest.raises(UndefinedError):
        render("professional_verified", "en", "email", business_name="Cohen")


def test_email_change_greets_by_name_and_copes_without_one() -> None:
    assert render("email_change", "en", "email", code="1", minutes=5,
                  name="Dana")[1].startswith("Hello Dana,")
    assert render("email_change", "en", "email", code="1", minutes=5,
                  name="")[1].startswith("Hello,")
    assert render("email_change", "he", "email", code="1", minutes=5,
                  name="")[1].startswith("שלום,")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_an_invitation_says_only_the_business_name_and_the_link(locale, channel) -> None:
    """Nothing an inviter types reaches the invitee: no inviter name, no free text."""
    source = template_path("member_invited", locale, channel).read_text(encoding="utf-8")
    variables = meta.find_undeclared_variables(Environment().parse(source))
    assert variables == {"business_name", "url"}


def test_unknown_template_raises_value_error() -> None:
    with pytest.raises(ValueError, match="template"):
        render("no_such_template", "he", "sms")


@pytest.mark.parametrize("locale", ["fr", "", "HE", "en-US"])
def test_unknown_locale_raises_value_error(locale) -> None:
    with pytest.raises(ValueError, match="locale"):
        render("otp_code", locale, "sms", code="1", minutes=5)


def test_no_locale_falls_back_to_hebrew() -> None:
    assert render("otp_code", None, "email", code="1", minutes=5) == render(
        "otp_code", "he", "email", code="1", minutes=5)


def test_a_channel_the_template_does_not_have_raises_value_error() -> None:
    with pytest.raises(ValueError, match="sms"):
        render("email_change", "he", "sms", code="1", minutes=5, name="")


def test_text_is_never_html_escaped() -> None:
    _, body = render("professional_suspended", "en", "sms", business_name="Cohen & Sons <TLV>")
    assert "Cohen & Sons <TLV>" in body


def test_a_line_break_in_a_param_cannot_split_the_subject() -> None:
    subject, body = render("professional_verified", "en", "email",
                           business_name="Cohen\nBcc: victim@example.com",
                           profile_url="https://ofair.co.il/pros/1")
    assert "\n" not in subject
    assert subject.startswith("Cohen Bcc: victim@example.com")
    assert body.startswith("Hello,")
