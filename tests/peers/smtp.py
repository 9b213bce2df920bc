"""A real SMTP server on loopback (aiosmtpd) for the tests: Django's SMTP backend talks to it,
the tests read back what it received, and can make it answer with an SMTP error.

    def test_…(smtp_server):
        …  # send through the outbox
        [email] = smtp_server.received      # email.message.EmailMessage objects
        smtp_server.answer_data_with = "550 5.1.1 No such user"   # the next DATA is refused
"""

from __future__ import annotations

import logging
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

# aiosmtpd logs every command (recipients included) at INFO: not the application's logs.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class RecordingHandler:
    """Keeps every message it accepts; answers DATA with `answer_data_with` when set."""

    def __init__(self):
        self.received: list[EmailMessage] = []
        self.answer_data_with: str | None = None
        # Called with each message once it is kept, before the client hears "250".
        self.on_receive = None
        self.lock = threading.Lock()
        self.accepted = threading.Condition(self.lock)

    async def handle_DATA(self, server, session, envelope):
        if self.answer_data_with:
            return self.answer_data_with
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.accepted:
            self.received.append(parsed)
            self.accepted.notify_all()
        if self.on_receive:
            self.on_receive(parsed)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Block until `count` messages have arrived (or the timeout); return them."""
        with self.accepted:
            self.accepted.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[EmailMessage]:
        return self.handler.received

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        return self.handler.wait_for(count, timeout)

    @property
    def answer_data_with(self) -> str | None:
        return self.handler.answer_data_with

    @answer_data_with.setter
    def answer_data_with(self, reply: str | None) -> None:
        self.handler.answer_data_with = reply

    def django_settings(self) -> dict:
        """The settings that point Django's SMTP backend at this server."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_TIMEOUT": 5,
        }


@pytest.fixture
def smtp_server(settings):
    """A loopback SMTP server that Django's mail goes to for the length of the test."""
    with SmtpServer() as server:
        for name, value in server.django_settings().items():
            setattr(settings, name, value)
        yield server


def body_text(email: EmailMessage) -> str:
    """The plain-text part of a received email."""
    return email.get_body(preferencelist=("plain",)).get_content()
