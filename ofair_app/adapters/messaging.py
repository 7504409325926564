"""Delivery of rendered messages: the boundary between the outbox and the outside world.

The outbox (services/notifications.py) decides *when* to send and whether to retry; a `Sender`
only tries once and says, through `DeliveryError.permanent`, whether trying again could help.
Each channel goes through the backend its settings name: e-mail by SMTP, SMS through 019 SMS
(`adapters/sms.py`), WhatsApp through Meta's Cloud API (`adapters/whatsapp.py`), or any of them
to the console, so a developer reads login codes in the log and the outbox row.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Literal, Protocol

import httpx

from ofair_app.settings import Settings, get_settings

Channel = Literal["sms", "email", "whatsapp"]

console_logger = logging.getLogger("ofair.messages")

# E.164: a plus, a country code that never starts with 0, at most 15 digits in all.
_E164 = re.compile(r"\+[1-9]\d{6,14}")
# Implicit TLS (RFC 8314): a STARTTLS handshake would wait on this port until the timeout.
_IMPLICIT_TLS_PORT = 465
_EMAIL_POLICY = policy.default.clone(cte_type="7bit")


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """One rendered message, ready for a provider; `message_id` makes a resend recognisable.

    `template`, `locale` and `params` are what a channel that sends approved templates rather
    than our text (WhatsApp) needs: the template's name and language, and its named values.
    """

    channel: Channel
    to: str
    subject: str
    body: str
    html: str | None = None
    message_id: str
    template: str = ""
    locale: str = "he"
    # Left out of the hash (a dict has none), still compared; copied, so a caller that later
    # changes its own mapping does not change a message already built.
    params: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", {str(key): str(value)
                                            for key, value in self.params.items()})


class DeliveryError(Exception):
    """A send that failed; `permanent` tells the outbox to stop rather than back off and retry."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent

    def __reduce__(self) -> tuple[object, ...]:
        # The default reduce replays only `args`, which would lose the keyword-only flag.
        return (_rebuild_delivery_error, (str(self), self.permanent))


def _rebuild_delivery_error(message: str, permanent: bool) -> DeliveryError:
    return DeliveryError(message, permanent=permanent)


class Sender(Protocol):
    """Anything that can try to deliver one message."""

    name: str

    def send(self, message: OutgoingMessage) -> str | None:
        """Deliver once; return the provider's reference, or raise `DeliveryError`."""
        ...


def validate_address(message: OutgoingMessage) -> str:
    """The bare address to deliver to; a malformed one can never succeed, so it is permanent.

    Deliberately minimal: the provider is the judge of whether a mailbox or number exists; this
    only refuses what no provider could accept, and anything that could smuggle in a header.
    """
    to = message.to
    if not to or any(ord(char) < 32 or ord(char) == 127 for char in to):
        raise DeliveryError(f"invalid {message.channel} address: {to!r}", permanent=True)
    if message.channel in ("sms", "whatsapp"):
        if not _E164.fullmatch(to):
            raise DeliveryError(f"invalid phone number (expected E.164): {to!r}",
                                permanent=True)
        return to
    if message.channel == "email":
        _, address = parseaddr(to)
        local, at, domain = address.rpartition("@")
        # parseaddr glues stray words onto a bare address ("a@b.c x" -> "a@b.cx"): a bare
        # address must come back unchanged.
        if (not at or address.count("@") != 1 or not local or not domain
                or any(char.isspace() for char in address)
                or ("<" not in to and address != to.strip())):
            raise DeliveryError(f"invalid email address: {to!r}", permanent=True)
        return address
    raise DeliveryError(f"unknown channel: {message.channel!r}", permanent=True)


class _WhenNothingElseShowsIt(logging.Filter):
    """Lets a record through only while the root logger has no handler of its own: a CLI that
    configured logging (or pytest's capture) shows the message already, the app server does not."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not logging.getLogger().handlers


def _show_messages_in_terminal() -> None:
    """Make `ofair.messages` visible in the app's own output (Reflex configures no logging, so
    an INFO record would be dropped), outside production only: it carries login codes."""
    if get_settings().ofair_env == "production":
        return
    if any(getattr(handler, "_ofair_console", False) for handler in console_logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._ofair_console = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("[ofair.messages] %(message)s"))
    handler.addFilter(_WhenNothingElseShowsIt())
    console_logger.addHandler(handler)
    if console_logger.getEffectiveLevel() > logging.INFO:
        console_logger.setLevel(logging.INFO)


class ConsoleSender:
    """Development delivery: the whole message in one log record, printed in the terminal that
    runs the app (never in production, which refuses this backend for e-mail)."""

    name = "console"

    def __init__(self) -> None:
        _show_messages_in_terminal()

    def send(self, message: OutgoingMessage) -> str | None:
        validate_address(message)
        if get_settings().ofair_env == "production":
            # A channel left without a provider: in production say that a message waits, never
            # its text.
            console_logger.warning("%s to %s (id %s) kept in the outbox: no provider",
                                   message.channel.upper(), message.to, message.message_id)
            return "console"
        subject = f"\nSubject: {message.subject}" if message.subject else ""
        if message.template and message.channel == "whatsapp":
            values = ", ".join(f"{name}={value}" for name, value in message.params.items())
            subject += f"\nTemplate: {message.template} ({message.locale}) {values}".rstrip()
        console_logger.info(
            "%s to %s (id %s)%s\n\n%s\n%s",
            message.channel.upper(), message.to, message.message_id, subject,
            message.body.rstrip(), "-" * 40,
        )
        # The outbox recognises this reference and keeps the row for a developer to read.
        return "console"


class SmtpSender:
    """Email through an SMTP relay with the standard library; one connection per message.

    The outbox sends a handful of messages at a time, so reusing a connection is not worth the
    state it would add (stale connections, a relay that drops idle clients).
    """

    name = "smtp"

    def __init__(self, host: str, port: int, username: str | None, password: str | None,
                 use_tls: bool, from_address: str, timeout: float = 10) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.use_tls = use_tls
        self.from_address = from_address
        self.timeout = timeout

    def send(self, message: OutgoingMessage) -> str | None:
        if message.channel != "email":
            raise DeliveryError(f"SMTP cannot deliver {message.channel}", permanent=True)
        recipient = validate_address(message)
        email = self._build(message)
        envelope_from = parseaddr(self.from_address)[1] or self.from_address
        smtp = self._connect()
        try:
            try:
                refused = smtp.send_message(email, from_addr=envelope_from,
                                            to_addrs=[recipient])
            except smtplib.SMTPNotSupportedError as error:
                # The relay lacks SMTPUTF8 for an internationalised address: it never will.
                raise DeliveryError(f"SMTP: {error}", permanent=True) from error
            except (smtplib.SMTPException, OSError) as error:
                raise _classify(error) from error
            if refused:
                raise _refused(refused)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        return str(email["Message-ID"])

    def _build(self, message: OutgoingMessage) -> EmailMessage:
        # 7-bit transfer encoding (base64 or quoted-printable for Hebrew): smtplib would send
        # an 8bit body without declaring BODY=8BITMIME, which a strict relay may mangle.
        email = EmailMessage(policy=_EMAIL_POLICY)
        try:
            email["Subject"] = message.subject
            email["From"] = self.from_address
            email["To"] = message.to
            email["Date"] = formatdate(usegmt=True)
            email["Message-ID"] = f"<{message.message_id}@ofair>"
            email.set_content(message.body, charset="utf-8")
            if message.html is not None:
                email.add_alternative(message.html, subtype="html", charset="utf-8")
        except (ValueError, TypeError) as error:  # e.g. a line break smuggled into a header
            raise DeliveryError(f"cannot build email: {error}", permanent=True) from error
        return email

    def _connect(self) -> smtplib.SMTP:
        """An open, greeted (and if configured, encrypted and logged-in) connection.

        Every failure here is about the relay or our configuration, not the message, so all of
        them are transient: once an operator fixes the relay, the queued messages go out.
        """
        smtp: smtplib.SMTP | None = None
        try:
            if self.use_tls and self.port == _IMPLICIT_TLS_PORT:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.use_tls:
                    smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo_or_helo_if_needed()
            if self.username:
                smtp.login(self.username, self.password or "")
        except (smtplib.SMTPException, OSError) as error:
            if smtp is not None:
                smtp.close()
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {_describe(error)}",
                                permanent=False) from error
        return smtp


def _classify(error: smtplib.SMTPException | OSError) -> DeliveryError:
    """Permanent for a 5xx verdict on this message; anything else may pass on a later try."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _refused(error.recipients)
    if isinstance(error, smtplib.SMTPResponseException) and not isinstance(
            error, smtplib.SMTPAuthenticationError | smtplib.SMTPConnectError):
        return DeliveryError(f"SMTP: {_describe(error)}", permanent=error.smtp_code >= 500)
    return DeliveryError(f"SMTP: {_describe(error)}", permanent=False)


def _refused(recipients: dict[str, tuple[int, bytes]]) -> DeliveryError:
    codes = [code for code, _ in recipients.values()]
    detail = "; ".join(f"{address}: {code} {reply.decode(errors='replace')}"
                       for address, (code, reply) in recipients.items())
    return DeliveryError(f"SMTP recipient refused: {detail}",
                         permanent=bool(codes) and all(code >= 500 for code in codes))


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def post_json(client: httpx.Client | None, timeout: float, url: str, body: dict,
              token: str, provider: str) -> httpx.Response:
    """POST `body` as JSON with a bearer token (the SMS and WhatsApp providers both take
    that); no answer is a transient `DeliveryError` naming `provider`. With no `client`, one
    for this request alone."""
    own = client or httpx.Client(timeout=timeout)
    try:
        # httpx writes JSON as UTF-8 as it is (`application/json`): Hebrew goes unescaped.
        return own.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    except httpx.TimeoutException as error:
        raise DeliveryError(f"{provider}: no answer within {timeout:g}s "
                            f"({type(error).__name__})", permanent=False) from error
    except httpx.HTTPError as error:
        raise DeliveryError(f"{provider} unreachable: {type(error).__name__}: {error}",
                            permanent=False) from error
    finally:
        if client is None:
            own.close()


class Router(Sender):
    """Sends each channel through its own adapter, so email can go out while SMS is logged."""

    name = "router"

    def __init__(self, email: Sender, sms: Sender | None = None,
                 whatsapp: Sender | None = None) -> None:
        self.email = email
        self.sms = sms if sms is not None else ConsoleSender()
        self.whatsapp = whatsapp if whatsapp is not None else ConsoleSender()

    def send(self, message: OutgoingMessage) -> str | None:
        if message.channel == "email":
            return self.email.send(message)
        if message.channel == "sms":
            return self.sms.send(message)
        if message.channel == "whatsapp":
            return self.whatsapp.send(message)
        raise DeliveryError(f"unknown channel: {message.channel!r}", permanent=True)


def get_sender(settings: Settings | None = None) -> Sender:
    """The sender the settings ask for; built per call, so changed settings apply at once."""
    settings = settings or get_settings()
    if settings.messaging_backend == "smtp":
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        email: Sender = SmtpSender(
            host=settings.smtp_host, port=settings.smtp_port,
            username=settings.smtp_username or None, password=password,
            use_tls=settings.smtp_use_tls, from_address=settings.smtp_from,
        )
    else:
        email = ConsoleSender()
    return Router(email=email, sms=_sms_sender(settings), whatsapp=_whatsapp_sender(settings))


def _sms_sender(settings: Settings) -> Sender:
    if settings.sms_backend == "019sms":
        # Imported here: the provider modules build on this one.
        from ofair_app.adapters.sms import Sms019Sender

        return Sms019Sender(
            api_url=settings.sms019_api_url, username=settings.sms019_username,
            api_token=settings.sms019_api_token.get_secret_value(),
            sender_id=settings.sms_sender_id, timeout=settings.sms_timeout_seconds,
        )
    return ConsoleSender()


def _whatsapp_sender(settings: Settings) -> Sender:
    if settings.whatsapp_backend == "cloud":
        from ofair_app.adapters.whatsapp import WhatsAppCloudSender

        return WhatsAppCloudSender(
            api_url=settings.whatsapp_api_url, api_version=settings.whatsapp_api_version,
            phone_number_id=settings.whatsapp_phone_number_id,
            token=settings.whatsapp_token.get_secret_value(),
            timeout=settings.whatsapp_timeout_seconds,
        )
    return ConsoleSender()
