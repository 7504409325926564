"""Message templates: one Jinja2 text file per template, locale and channel.

Files live at `templates/<locale>/<name>.<channel>.txt`. An email file starts with a
`Subject: ...` line and a blank line; an SMS file is only the body. Rendering is strict (a
missing parameter raises rather than sending a message with a hole in it) and never
HTML-escapes: these are plain-text messages.

Every OTP SMS ends with the WebOTP line `@host #code`, so a browser on the phone can offer the
code to the page that asked for it; the host comes from OFAIR_PUBLIC_URL, which must be the
origin the user signs in on for the browser to accept it.
"""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from jinja2 import Environment, StrictUndefined, Template, select_autoescape

from ofair_app.i18n import plural
from ofair_app.settings import get_settings

Channel = Literal["sms", "email"]

LOCALES: tuple[str, ...] = ("he", "en")
DEFAULT_LOCALE = "he"
TEMPLATE_DIR = Path(__file__).parent / "templates"

# Each template and the channels it exists for; a test checks that every file is there.
TEMPLATES: dict[str, frozenset[str]] = {
    "otp_code": frozenset({"sms", "email"}),
    "email_change": frozenset({"email"}),
    "phone_change": frozenset({"sms"}),
    "member_invited": frozenset({"sms", "email"}),
    "professional_verified": frozenset({"sms", "email"}),
    "professional_suspended": frozenset({"sms", "email"}),
    "account_inactive": frozenset({"sms", "email"}),
    "proposal_received": frozenset({"sms", "email"}),
    "proposal_accepted": frozenset({"sms", "email"}),
    "proposal_rejected": frozenset({"sms", "email"}),
    "lead_hidden": frozenset({"sms", "email"}),
    "lead_restored": frozenset({"sms", "email"}),
    "referral_received": frozenset({"sms", "email"}),
    "referral_accepted": frozenset({"sms", "email"}),
    "award_cancelled": frozenset({"sms", "email"}),
    "award_declined": frozenset({"sms", "email"}),
    "payment_link": frozenset({"sms", "email"}),
    "job_paid": frozenset({"sms", "email"}),
    "job_completed": frozenset({"sms", "email"}),
    "dispute_opened": frozenset({"sms", "email"}),
    "autopay_failed": frozenset({"sms", "email"}),
    "subscription_paid": frozenset({"sms", "email"}),
    "subscription_renewal_failed": frozenset({"sms", "email"}),
    "subscription_lapsed": frozenset({"sms", "email"}),
    "lead_unlocked": frozenset({"sms", "email"}),
    "unlock_check": frozenset({"sms"}),
    "unlock_claim_decided": frozenset({"sms", "email"}),
    "tier_changed": frozenset({"sms", "email"}),
    "new_lead": frozenset({"sms", "email"}),
    "completion_confirmed": frozenset({"sms", "email"}),
    "dispute_resolved": frozenset({"sms", "email"}),
    "referral_declined": frozenset({"sms", "email"}),
    "payout_paid": frozenset({"sms", "email"}),
    "invoice_issued": frozenset({"sms", "email"}),
    "chat_message": frozenset({"sms", "email"}),
    "review_request": frozenset({"sms", "email"}),
    "review_reminder": frozenset({"sms", "email"}),
    "review_received": frozenset({"sms", "email"}),
    "review_replied": frozenset({"sms", "email"}),
    "review_hidden": frozenset({"sms", "email"}),
    "review_restored": frozenset({"sms", "email"}),
    "visit_booked": frozenset({"sms", "email"}),
    "visit_cancelled": frozenset({"sms", "email"}),
    "visit_rescheduled": frozenset({"sms", "email"}),
    "visit_reminder": frozenset({"sms", "email"}),
    "checked_in": frozenset({"sms", "email"}),
    "milestone_plan_proposed": frozenset({"sms", "email"}),
    "milestone_plan_agreed": frozenset({"sms", "email"}),
    "milestone_submitted": frozenset({"sms", "email"}),
    "milestone_approved": frozenset({"sms", "email"}),
    "milestone_update": frozenset({"sms", "email"}),
    # Marketing (sent only with an opt-in; the outbox adds the ad marking and the opt-out).
    "marketing_update": frozenset({"sms", "email"}),
}

_SUBJECT = "Subject:"


@cache
def _environment() -> Environment:
    # Plain text is never HTML-escaped (an `&amp;` in an SMS is a bug); an .html template,
    # should one ever be added, would be. No trim_blocks: tags sit inside lines, and trimming
    # the newline after `{% endif %}` would join two lines of the message.
    return Environment(
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False,
                                     default=False),
        keep_trailing_newline=False,
    )


def template_path(template: str, locale: str, channel: str) -> Path:
    """The file of one template version."""
    return TEMPLATE_DIR / locale / f"{template}.{channel}.txt"


@cache
def _compiled(template: str, locale: str, channel: str) -> tuple[Template | None, Template]:
    """The subject (email only) and body templates of one file, compiled once.

    The subject line is compiled on its own so that a line break inside a parameter can
    neither end the subject early nor spill into the body.
    """
    path = template_path(template, locale, channel)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ValueError(f"missing template file: {path}") from error
    environment = _environment()
    if channel == "sms":
        return None, environment.from_string(source)
    first, _, rest = source.partition("\n")
    if not first.startswith(_SUBJECT) or rest[:1] not in ("\n", ""):
        raise ValueError(f"{path} must start with a {_SUBJECT!r} line and a blank line")
    subject = first[len(_SUBJECT):].strip()
    return environment.from_string(subject), environment.from_string(rest.lstrip("\n"))


def webotp_host(public_url: str | None = None) -> str:
    """The host a WebOTP line names: the sign-in origin's hostname, without scheme or port."""
    url = public_url if public_url is not None else get_settings().ofair_public_url
    return urlsplit(url).hostname or "localhost"


def render(template: str, locale: str | None, channel: Channel, **params: object
           ) -> tuple[str, str]:
    """(subject, body) of one message; the subject is empty for SMS.

    Raises ValueError for an unknown template, locale or channel, and jinja2's UndefinedError
    when a parameter the text uses is missing.
    """
    if template not in TEMPLATES:
        raise ValueError(f"unknown message template: {template!r}")
    if locale is None:
        locale = DEFAULT_LOCALE
    if locale not in LOCALES:
        raise ValueError(f"unknown message locale: {locale!r}")
    if channel not in TEMPLATES[template]:
        raise ValueError(f"template {template!r} has no {channel!r} version")
    subject_template, body_template = _compiled(template, locale, channel)
    # `plural("units.days", days)`: a count in agreement, through the catalogs' plural forms
    context: dict[str, object] = {"webotp_host": webotp_host(),
                                  "plural": partial(plural, locale=locale)} | params
    body = body_template.render(context).strip()
    if subject_template is None:
        return "", body
    # One line whatever the parameters held: a header cannot carry a line break.
    subject = " ".join(subject_template.render(context).split())
    return subject, body
