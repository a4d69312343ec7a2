"""A real SMTP server on loopback (aiosmtpd), and what it received, parsed.

Messages go through Django's SMTP backend to a server that speaks SMTP on a socket, so the
tests see what a mail server sees: the envelope, the headers, both parts. ``refuse`` makes the
server answer every message with a temporary failure (451), as a mail server in trouble does.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def links(self) -> list[str]:
        """Every link of the plain-text part that points at trustplan, in order."""
        base = re.escape(django_settings.TRUSTPLAN_SITE_URL.rstrip("/"))
        return re.findall(rf"{base}/\S*", self.text)

    def html_links(self) -> list[str]:
        return re.findall(r'href="([^"]+)"', self.html)


def path_of(link: str) -> str:
    """A link's path and query, to follow it with the test client."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Inbox:
    received: list[Received] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse:
            return "451 4.3.0 Temporary failure: try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A running SMTP server on 127.0.0.1 that Django sends through; yields its Inbox."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Amethyst Academies Trust <trustplan@trust.example.org>"
    settings.TRUSTPLAN_SITE_URL = "https://plan.trust.example.org"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def with_addresses(cast):
    """The cast with addresses: <username>@example.org, as the demo's."""
    for user in cast.values():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return cast
