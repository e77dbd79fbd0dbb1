"""Outgoing mail: one call, ``send_mail``, for every feature that writes to people.

Flask-Mailman does the work. With ``EXAM_ENGINE_MAIL_SERVER`` set, messages go to that SMTP
server (STARTTLS verifies the server's certificate); without it (the quick start), each
message is written as an ``.eml`` file under ``instance/mail/``, and the caller learns the
file so that the page can say where the message went.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_mailman import EmailMessage, Mail
from flask_mailman.backends.base import BaseEmailBackend
from flask_mailman.backends.smtp import EmailBackend as SmtpEmailBackend

from exam_engine.services.errors import ServiceError

log = logging.getLogger(__name__)

mail = Mail()

# The MAIL_BACKEND values config.py chooses between.
SMTP_BACKEND = "exam_engine.services.mail.VerifiedSmtpEmailBackend"
FILE_BACKEND = "exam_engine.services.mail.EmlFileEmailBackend"


class MailNotSent(ServiceError):
    """The mail server could not be reached or refused the message.

    The message is for the person asking; ``detail`` (the SMTP error) is for the log and for
    the failed mail job's reason, which only staff see.
    """

    status = 503

    def __init__(self, message: str, detail: str = "", *, retryable: bool = True) -> None:
        super().__init__(message)
        self.detail = detail or message
        # False when the server refused for good (a 5xx answer): a retry would be refused too.
        self.retryable = retryable


def _refused_for_good(error: BaseException) -> bool:
    """True for an SMTP answer of 500-599, or every recipient refused with one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


@dataclass(frozen=True)
class Delivery:
    """Where one message went: handed to the SMTP server, or written to ``file``."""

    to: str
    file: Path | None = None

    @property
    def folder(self) -> Path | None:
        """The folder of the ``.eml`` file (quick start), or None when it went by SMTP."""
        return self.file.parent if self.file else None


def send_mail(to: str, subject: str, body: str) -> Delivery:
    """Send a plain-text message to one address; raise MailNotSent when that fails.

    Call it inside a transaction whose changes the message describes: a failure then
    leaves nothing half-done (no account whose link never arrived).
    """
    connection = mail.get_connection()
    message = EmailMessage(subject=subject, body=body, to=[to], connection=connection)
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as error:
        # The reason goes to the log; the person sees a plain "try again later".
        log.error("mail to %s not sent: %s", to, error)
        raise MailNotSent(
            "mail: the message could not be sent just now; nothing was changed, "
            "try again in a few minutes",
            detail=f"{type(error).__name__}: {error}",
            retryable=not _refused_for_good(error),
        ) from error
    written = getattr(connection, "written", [])
    return Delivery(to=to, file=written[-1] if written else None)


class _VerifyingSMTP(smtplib.SMTP):
    """smtplib.SMTP whose STARTTLS checks the certificate (smtplib's own default does not)."""

    def starttls(
        self, keyfile: Any = None, certfile: Any = None, context: ssl.SSLContext | None = None
    ) -> tuple[int, bytes]:
        """Upgrade to TLS with a verifying context unless one is given (no key files here)."""
        if keyfile or certfile:
            raise ValueError("client certificates for SMTP are not supported")
        return super().starttls(context=context or ssl.create_default_context())


class VerifiedSmtpEmailBackend(SmtpEmailBackend):  # type: ignore[misc]
    """Flask-Mailman's SMTP backend, with certificate checks on STARTTLS and no leaked sockets."""

    connection: smtplib.SMTP | None

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        """SMTP over implicit TLS, or plain SMTP that verifies on STARTTLS."""
        return smtplib.SMTP_SSL if self.use_ssl else _VerifyingSMTP

    def open(self) -> bool | None:
        """Connect (see the base class); on failure, let go of the half-open socket."""
        try:
            opened: bool | None = super().open()
            return opened
        except BaseException:
            self._drop()
            raise

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        """Send (see the base class); on failure, let go of the connection."""
        try:
            return int(super().send_messages(email_messages))
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        # The base class leaves the socket open when connecting or sending fails. No QUIT:
        # after a failed TLS handshake the connection is in no state to say anything.
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class EmlFileEmailBackend(BaseEmailBackend):  # type: ignore[misc]
    """Write each message to its own ``.eml`` file (opens in any mail program)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(self.mailman.file_path)
        self.written: list[Path] = []

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        """Write every message; return how many were written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
            # "x": never overwrite another message.
            with path.open("xb") as handle:
                handle.write(message.message().as_bytes())
            self.written.append(path)
        return len(email_messages)
