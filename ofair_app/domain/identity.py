"""Identity rules (DESIGN.md §3): who may log in with what, and what a business must look like.

Pure functions, no I/O. Each refusal raises `InvalidInput` naming the field and a message key,
so the API and the UI explain it the same way in both languages.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ofair_app.domain.errors import InvalidInput

DEFAULT_REGION = "IL"

OTP_LENGTH = 6
OTP_TTL = timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 5
# Rolling windows of sends per target: at most `limit` codes within `window`.
OTP_SEND_LIMITS: tuple[tuple[timedelta, int], ...] = (
    (timedelta(minutes=1), 1),
    (timedelta(hours=1), 5),
    (timedelta(days=1), 10),
)
# Budgets across targets (amounts are settings): codes one network may ask for, and text
# messages the whole platform may send, within this rolling window. Per-target limits stop
# annoying one person; these stop a script from sending codes to many numbers (SMS pumping).
OTP_BUDGET_WINDOW = timedelta(hours=1)
TOKEN_TTL = timedelta(days=30)

NAME_MAX = 120
BUSINESS_NAME_MIN = 2
ABOUT_MAX = 2000
SPECIALTY_MAX = 40
SPECIALTIES_MAX = 12
SERVICE_RADIUS_KM = (1, 200)

# A business is shown as "new" while it has completed no job here and joined this recently.
NEW_BUSINESS_PERIOD = timedelta(days=90)


def is_new_business(*, completed_jobs: int, joined_at: datetime | None, now: datetime) -> bool:
    """Whether to call a business "new": only while it has no completed job on OFAIR and
    joined less than NEW_BUSINESS_PERIOD ago. A business with a completed job is never new,
    however recent (so "new" never stands beside "2 jobs done"), and an old one with none is
    not new either: it simply has no jobs done yet."""
    if completed_jobs > 0:
        return False
    return joined_at is None or now - joined_at < NEW_BUSINESS_PERIOD


_MARKUP = re.compile(r"[<>{}\[\]\\`$]")


# --- phones and emails ---------------------------------------------------------------------


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """A phone that can receive a login code, as E.164 (`050-123-4567` → `+972501234567`).

    Mobile numbers only, by `phonenumbers`' number type: landlines (02, 03, 04, 08, 09), VoIP
    numbers (072, 073, 074, 076, 077, 079), toll-free and premium numbers cannot receive an
    SMS and are refused with `errors.phone.not_mobile`. Its metadata lags behind the Israeli
    numbering plan (it calls `050-123-4567` invalid), so an Israeli number it does not know is
    accepted when it has the mobile shape (05x and seven digits); any type it does know wins.
    """
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise InvalidInput(fields={field: "errors.phone.invalid"})
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidInput(fields={field: "errors.phone.invalid"}) from None
    if phonenumbers.is_valid_number(number):
        mobile = phonenumbers.number_type(number) in _MOBILE_TYPES
    elif number.country_code == 972:
        national = str(number.national_number)
        mobile = len(national) == 9 and national.startswith("5")
    elif phonenumbers.is_possible_number(number):
        mobile = False
    else:
        raise InvalidInput(fields={field: "errors.phone.invalid"})
    if not mobile:
        raise InvalidInput(fields={field: "errors.phone.not_mobile"})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# `FIXED_LINE_OR_MOBILE` is what some countries' plans (the US, Canada) give every number.
_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE,
                           phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})


def display_phone(e164: str) -> str:
    """How a person reads a number: `050-123-4567` for Israel, international elsewhere."""
    number = phonenumbers.parse(e164, DEFAULT_REGION)
    if number.country_code == 972:
        national = "0" + str(number.national_number)
        return f"{national[:3]}-{national[3:6]}-{national[6:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(raw: str, *, field: str = "email") -> str:
    """A syntactically deliverable address, lower-cased (addresses are one user however typed)."""
    text = (raw or "").strip()
    if not text or len(text) > 254:
        raise InvalidInput(fields={field: "errors.email.invalid"})
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput(fields={field: "errors.email.invalid"}) from None
    return result.normalized.lower()


def requester_network(ip: str | None) -> str:
    """The network a login-code request is budgeted under: an IPv4 address as it is, an IPv6
    address by its /64 (one subscriber's prefix: a script could otherwise use a fresh address
    for every request), an IPv4-mapped IPv6 address as its IPv4; anything unreadable shares
    one `unknown` budget."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


# --- names and free text -------------------------------------------------------------------


def clean_text(raw: str | None, *, field: str, max_length: int, min_length: int = 0,
               multiline: bool = False) -> str:
    """Plain text a person typed: trimmed, NFC, no control characters and no markup.

    Markup characters are refused rather than escaped: a name like `<script>` is a mistake or an
    attack, never a real business name, and refusing keeps every later consumer (PDFs, SMS,
    e-mail) safe without each having to escape.
    """
    text = unicodedata.normalize("NFC", (raw or "")).strip()
    if not multiline:
        text = " ".join(text.split())
    if len(text) < min_length:
        raise InvalidInput(fields={field: "errors.field.min_length"}, params={"min": min_length})
    if len(text) > max_length:
        raise InvalidInput(fields={field: "errors.field.max_length"}, params={"max": max_length})
    for char in text:
        if unicodedata.category(char) in {"Cc", "Cf", "Co", "Cs"} and not (
            multiline and char in "\n\t"
        ):
            raise InvalidInput(fields={field: "errors.text.control"})
    if _MARKUP.search(text):
        raise InvalidInput(fields={field: "errors.text.markup"})
    return text


def clean_person_name(raw: str | None, *, field: str = "name") -> str:
    """A person's display name: empty is allowed (filled in later), otherwise it needs a letter."""
    name = clean_text(raw, field=field, max_length=NAME_MAX)
    if name and not any(char.isalpha() for char in name):
        raise InvalidInput(fields={field: "errors.name.letters"})
    return name


# --- businesses ----------------------------------------------------------------------------


def is_valid_business_id(value: str) -> bool:
    """The Israeli ID check digit (Luhn-like, weights 1,2,1,2… on the 9 digits).

    It covers ת.ז. (עוסק פטור/מורשה) and ח.פ. (companies, 51…), which share the algorithm.
    """
    if not re.fullmatch(r"\d{5,9}", value):
        return False
    digits = value.zfill(9)
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (1 if index % 2 == 0 else 2)
        total += product - 9 if product > 9 else product
    return total % 10 == 0 and digits != "000000000"


def normalize_business_id(raw: str, *, field: str = "business_id") -> str:
    """Nine digits with a valid check digit; spaces and dashes as people type them are fine."""
    digits = re.sub(r"[\s-]", "", raw or "")
    if not digits.isdigit() or not is_valid_business_id(digits):
        raise InvalidInput(fields={field: "errors.business_id.invalid"})
    return digits.zfill(9)


def clean_specialties(raw: list[str] | None, *, field: str = "specialties") -> list[str]:
    """Short free-text tags; duplicates (by case) removed, order kept."""
    values: list[str] = []
    seen: set[str] = set()
    for item in raw or []:
        tag = clean_text(item, field=field, max_length=SPECIALTY_MAX)
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            values.append(tag)
    if len(values) > SPECIALTIES_MAX:
        raise InvalidInput(fields={field: "errors.specialties.too_many"})
    return values


def check_service_radius(value: int, *, field: str = "service_radius_km") -> int:
    low, high = SERVICE_RADIUS_KM
    if not low <= value <= high:
        raise InvalidInput(fields={field: "errors.service_radius.range"})
    return value


# --- codes and tokens ----------------------------------------------------------------------


def new_otp_code() -> str:
    return f"{secrets.randbelow(10**OTP_LENGTH):0{OTP_LENGTH}d}"


def hash_otp(code: str, *, target: str, purpose: str, pepper: bytes) -> str:
    """A keyed hash bound to its target and purpose, so a leaked table cannot be brute-forced
    offline without the server's secret, and a code for one number never verifies another."""
    message = f"{purpose}\n{target}\n{code}".encode()
    return hmac.new(pepper, message, hashlib.sha256).hexdigest()


def otp_matches(code: str, stored_hash: str, *, target: str, purpose: str,
                pepper: bytes) -> bool:
    candidate = hash_otp(code, target=target, purpose=purpose, pepper=pepper)
    return hmac.compare_digest(candidate, stored_hash)


def is_code_shaped(code: str) -> bool:
    return bool(re.fullmatch(rf"\d{{{OTP_LENGTH}}}", code or ""))


def new_token() -> str:
    """An opaque bearer token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are long and random, so a plain SHA-256 is enough (no need for a slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TestOtps:
    """`OFAIR_TEST_OTPS="+972500000001=123456;…"`: fixed codes for listed numbers only."""

    __test__ = False  # not a pytest class

    codes: dict[str, str]

    @classmethod
    def parse(cls, raw: str) -> TestOtps:
        codes: dict[str, str] = {}
        for part in (raw or "").replace(",", ";").split(";"):
            if not part.strip():
                continue
            target, _, code = part.partition("=")
            code = code.strip()
            if not is_code_shaped(code):
                raise ValueError(f"OFAIR_TEST_OTPS: {target.strip()!r} needs a 6-digit code")
            key = target.strip()
            key = normalize_email(key) if "@" in key else normalize_phone(key)
            codes[key] = code
        return cls(codes)

    def code_for(self, target: str) -> str | None:
        return self.codes.get(target)
