"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mail tests."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

# The site address the test app puts in mailed links (EXAM_ENGINE_BASE_URL).
BASE_URL = "http://exam.test"


@dataclass(frozen=True)
class Received:
    """One message as the server got it: envelope and parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        """The single recipient (account mail always has one)."""
        (recipient,) = self.recipients
        return recipient

    @property
    def subject(self) -> str:
        """The decoded Subject header."""
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        """The plain-text body."""
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "message has no plain-text body"
        return str(part.get_content())

    def links(self) -> list[str]:
        """Every http(s) address in the body."""
        return re.findall(r"https?://\S+", self.body)

    def path(self, base: str) -> str:
        """The only link in the body, as a path on ``base`` (for the test client)."""
        (link,) = self.links()
        assert link.startswith(base + "/"), f"{link} does not start with {base}"
        return link[len(base) :]


class Inbox:
    """aiosmtpd handler that keeps every message delivered to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Received] = []

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        """Refuse for good an address at ``rejects.example``, for now one at ``busy.example``."""
        if address.endswith("@rejects.example"):
            return "550 5.1.1 no such user here"
        if address.endswith("@busy.example"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Accept and keep the message."""
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), parsed)
        with self._lock:
            self._messages.append(received)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Received]:
        """What arrived so far, oldest first."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget every message (between tests)."""
        with self._lock:
            self._messages.clear()

    def only(self, to: str | None = None) -> Received:
        """The one message that arrived (to ``to``, if given); fail if there is not exactly one."""
        found = [m for m in self.messages if to is None or m.to == to]
        assert len(found) == 1, f"expected one message, got {[(m.to, m.subject) for m in found]}"
        return found[0]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_smtp_server() -> tuple[Controller, Inbox]:
    """Start an SMTP server on a free loopback port; the caller stops it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, inbox
