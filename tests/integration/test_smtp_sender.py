"""SMTP delivery against a real local SMTP server (aiosmtpd), and the channel router."""

from __future__ import annotations

import email
import logging
import pickle
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ofair_app.adapters.messaging import (
    ConsoleSender,
    DeliveryError,
    OutgoingMessage,
    Router,
    SmtpSender,
    get_sender,
)
from ofair_app.settings import Settings

HEBREW_SUBJECT = "קוד הכניסה שלך ל-OFAIR"
HEBREW_BODY = "שלום,\n\nקוד הכניסה שלך ל-OFAIR:\n\n123456\n\nצוות OFAIR"


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts, or answers with a given refusal."""

    def __init__(self, refuse_rcpt: str | None = None, refuse_data: str | None = None) -> None:
        self.refuse_rcpt = refuse_rcpt
        self.refuse_data = refuse_data
        self.envelopes: list = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse_data:
            return self.refuse_data
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        # handled=False: aiosmtpd itself answers 535 to a failure (else it would stay silent).
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator:
    """Start a local SMTP server with a given handler; every one started is stopped after."""
    controllers: list[Controller] = []

    def start(handler: Mailbox, **smtp_options) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_options)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


def sender_for(port: int, **options) -> SmtpSender:
    settings = {"host": "127.0.0.1", "port": port, "username": None, "password": None,
                "use_tls": False, "from_address": "OFAIR <no-reply@ofair.local>",
                "timeout": 5} | options
    return SmtpSender(**settings)


def an_email(to: str = "dana@example.com", **fields) -> OutgoingMessage:
    values = {"channel": "email", "to": to, "subject": HEBREW_SUBJECT, "body": HEBREW_BODY,
              "message_id": "0b7e9c1e-5d1f-4a0e-9a43-3c3f1b2a9d10"} | fields
    return OutgoingMessage(**values)


def parsed(envelope) -> EmailMessage:
    return email.message_from_bytes(envelope.content, policy=policy.default)


def test_a_hebrew_email_arrives_with_its_subject_body_and_message_id(smtp_server) -> None:
    mailbox = Mailbox()
    port = smtp_server(mailbox)

    reference = sender_for(port).send(an_email())

    [envelope] = mailbox.envelopes
    assert envelope.mail_from == "no-reply@ofair.local"
    assert envelope.rcpt_tos == ["dana@example.com"]
    message = parsed(envelope)
    assert message["Subject"] == HEBREW_SUBJECT
    assert message["To"] == "dana@example.com"
    assert message["From"] == "OFAIR <no-reply@ofair.local>"
    assert message["Date"]
    assert message["Message-ID"] == "<0b7e9c1e-5d1f-4a0e-9a43-3c3f1b2a9d10@ofair>"
    assert reference == "<0b7e9c1e-5d1f-4a0e-9a43-3c3f1b2a9d10@ofair>"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content_charset() == "utf-8"
    assert body["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
    assert body.get_content().strip() == HEBREW_BODY
    # On the wire every header is ASCII (RFC 2047), whatever the relay supports.
    raw_headers = envelope.content.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()


def test_an_html_version_travels_as_an_alternative_to_the_text(smtp_server) -> None:
    mailbox = Mailbox()
    port = smtp_server(mailbox)

    sender_for(port).send(an_email(html="<p dir=\"rtl\">שלום</p>"))

    message = parsed(mailbox.envelopes[0])
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == HEBREW_BODY
    assert "<p dir=\"rtl\">שלום</p>" in message.get_body(preferencelist=("html",)).get_content()


def test_a_refused_recipient_is_a_permanent_failure(smtp_server) -> None:
    port = smtp_server(Mailbox(refuse_rcpt="550 5.1.1 No such user"))

    with pytest.raises(DeliveryError) as caught:
        sender_for(port).send(an_email())

    assert caught.value.permanent is True
    assert "550" in str(caught.value)


def test_a_temporarily_refused_recipient_is_retried_later(smtp_server) -> None:
    port = smtp_server(Mailbox(refuse_rcpt="450 4.2.1 Mailbox busy, try again later"))

    with pytest.raises(DeliveryError) as caught:
        sender_for(port).send(an_email())

    assert caught.value.permanent is False


@pytest.mark.parametrize(("reply", "permanent"), [
    ("554 5.7.1 Message rejected as spam", True),
    ("451 4.3.0 Local error, try again", False),
])
def test_a_refused_message_body_is_permanent_on_5xx_and_transient_on_4xx(
        smtp_server, reply, permanent) -> None:
    port = smtp_server(Mailbox(refuse_data=reply))

    with pytest.raises(DeliveryError) as caught:
        sender_for(port).send(an_email())

    assert caught.value.permanent is permanent


def test_a_closed_port_is_a_transient_failure() -> None:
    with pytest.raises(DeliveryError) as caught:
        sender_for(free_port()).send(an_email())

    assert caught.value.permanent is False


# A test server on loopback: AUTH without TLS is the point, not a risk.
login_without_tls = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@login_without_tls
def test_the_configured_credentials_log_in_before_sending(smtp_server) -> None:
    mailbox = Mailbox()
    port = smtp_server(mailbox, authenticator=mailbox.authenticate, auth_require_tls=False,
                       auth_required=True)

    sender_for(port, username="ofair", password="s3cret").send(an_email())

    assert mailbox.logins == [(b"ofair", b"s3cret")]
    assert len(mailbox.envelopes) == 1


@login_without_tls
def test_rejected_credentials_are_transient_so_fixed_settings_still_deliver(smtp_server) -> None:
    mailbox = Mailbox()
    port = smtp_server(mailbox, authenticator=mailbox.authenticate, auth_require_tls=False,
                       auth_required=True)

    with pytest.raises(DeliveryError) as caught:
        sender_for(port, username="ofair", password="wrong").send(an_email())

    assert caught.value.permanent is False
    assert "535" in str(caught.value)  # the server's verdict, not a timeout
    assert mailbox.envelopes == []


@pytest.mark.parametrize("address", [
    "not-an-address", "dana@", "@example.com", "a@b@example.com", "dana@example.com junk",
    "dana@example.com\r\nBcc: victim@example.com", "",
])
def test_a_malformed_email_address_fails_permanently_without_connecting(address) -> None:
    # Port 1 on loopback: a connection attempt would fail transiently, not permanently.
    with pytest.raises(DeliveryError) as caught:
        sender_for(1).send(an_email(to=address))

    assert caught.value.permanent is True


@pytest.mark.parametrize("number", ["0501234567", "972501234567", "+97250-123-4567", "+0123",
                                    "+9725012345678901"])
def test_a_malformed_phone_number_fails_permanently(number) -> None:
    message = OutgoingMessage(channel="sms", to=number, subject="", body="123456",
                              message_id="m1")
    with pytest.raises(DeliveryError) as caught:
        ConsoleSender().send(message)

    assert caught.value.permanent is True


def test_smtp_refuses_sms_permanently() -> None:
    message = OutgoingMessage(channel="sms", to="+972501234567", subject="", body="123456",
                              message_id="m1")
    with pytest.raises(DeliveryError) as caught:
        sender_for(1).send(message)

    assert caught.value.permanent is True


def test_the_router_logs_sms_to_the_console_and_sends_email_by_smtp(smtp_server,
                                                                     caplog) -> None:
    mailbox = Mailbox()
    port = smtp_server(mailbox)
    router = Router(email=sender_for(port))
    sms = OutgoingMessage(channel="sms", to="+972501234567", subject="",
                          body="123456 הוא קוד הכניסה שלך ל-OFAIR.\n\n@ofair.co.il #123456",
                          message_id="sms-1")

    with caplog.at_level(logging.INFO, logger="ofair.messages"):
        assert router.send(sms) == "console"
        reference = router.send(an_email())

    [record] = [r for r in caplog.records if r.name == "ofair.messages"]
    assert "+972501234567" in record.getMessage()
    assert "@ofair.co.il #123456" in record.getMessage()
    assert reference == "<0b7e9c1e-5d1f-4a0e-9a43-3c3f1b2a9d10@ofair>"
    assert [envelope.rcpt_tos for envelope in mailbox.envelopes] == [["dana@example.com"]]


def test_the_console_logs_the_whole_email_in_one_record(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="ofair.messages"):
        assert ConsoleSender().send(an_email()) == "console"

    [record] = caplog.records
    text = record.getMessage()
    assert "dana@example.com" in text and HEBREW_SUBJECT in text and HEBREW_BODY in text


def test_console_settings_route_both_channels_to_the_console() -> None:
    router = get_sender(Settings(messaging_backend="console"))

    assert isinstance(router, Router)
    assert isinstance(router.email, ConsoleSender) and isinstance(router.sms, ConsoleSender)


def test_smtp_settings_send_email_by_smtp_and_sms_to_the_console(smtp_server) -> None:
    mailbox = Mailbox()
    port = smtp_server(mailbox)
    settings = Settings(messaging_backend="smtp", smtp_host="127.0.0.1", smtp_port=port,
                        smtp_from="OFAIR <hello@ofair.co.il>")

    router = get_sender(settings)

    assert isinstance(router, Router) and isinstance(router.sms, ConsoleSender)
    assert isinstance(router.email, SmtpSender)
    router.send(an_email())
    assert mailbox.envelopes[0].mail_from == "hello@ofair.co.il"


def test_a_delivery_error_keeps_its_verdict_across_pickling() -> None:
    error = pickle.loads(pickle.dumps(DeliveryError("timeout", permanent=False)))

    assert error.permanent is False and str(error) == "timeout"
