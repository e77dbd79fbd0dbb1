"""Where mail goes: .eml files in the quick start, SMTP with verified STARTTLS, and failures.

Each test builds an app of its own on the session's database with the mail settings it
needs (the shared app mails through the plain test SMTP server).
"""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from exam_engine.extensions import db
from exam_engine.models import User
from exam_engine.services.mail import MailNotSent, send_mail
from tests.factories import UserFactory
from tests.support import Client, make_app
from tests.support.smtp import BASE_URL, Inbox, free_port
from tests.web.test_account_mail import comparable, register


@pytest.fixture
def make_mail_app(app, session, database_url, tmp_path, monkeypatch):
    """Build apps on the test database with other mail settings; dispose of them after."""
    made = []

    def make(**config):
        instance = tmp_path / f"instance-{len(made)}"
        # make_app points this variable at the new instance; put it back afterwards.
        monkeypatch.setenv("EXAM_ENGINE_INSTANCE_PATH", str(instance))
        application = make_app(database_url, str(instance), **config)
        application.test_client_class = Client
        made.append(application)
        return application

    yield make
    for application in made:
        with application.app_context():
            db.engine.dispose()


def test_quick_start_writes_eml_files_and_the_page_says_where(make_mail_app, session) -> None:
    quick = make_mail_app()
    client = quick.test_client()
    response = register(client, "new@example.com")
    assert response.status_code == 200
    folder = Path(quick.instance_path) / "mail"
    assert f"written as an <code>.eml</code> file to <code>{folder}</code>" in response.text

    (eml,) = folder.glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "new@example.com"
    assert message["From"] == "AAISM exam engine <no-reply@localhost>"
    body = message.get_body(preferencelist=("plain",)).get_content()
    # No BASE_URL in the quick start: links use the address the page was asked on.
    (link,) = re.findall(r"http://localhost(/account/verify/\S+)", body)
    assert client.get(link).location == "/login"
    session.expire_all()
    assert session.query(User).filter_by(email="new@example.com").one().email_verified


def test_quick_start_reset_page_is_the_same_for_known_and_unknown(make_mail_app) -> None:
    UserFactory(email="known@example.com")
    client = make_mail_app().test_client()
    known = client.post("/account/reset", data={"email": "known@example.com"})
    unknown = client.post("/account/reset", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert "written as an <code>.eml</code> file" in known.text
    assert comparable(known, "known@example.com") == comparable(unknown, "nobody@example.com")


def test_unreachable_mail_server_is_503_and_creates_no_account(make_mail_app, session):
    UserFactory(email="known@example.com")
    dead = make_mail_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), BASE_URL=BASE_URL)
    client = dead.test_client()
    for email in ("new@example.com", "known@example.com"):
        response = register(client, email)
        assert response.status_code == 503, email
        assert "could not be sent just now; nothing was changed" in response.text
    reset = client.post("/account/reset", data={"email": "known@example.com"})
    assert reset.status_code == 503
    session.expire_all()
    assert session.query(User).filter_by(email="new@example.com").count() == 0


@pytest.fixture
def tls_smtp_server(tmp_path):
    """An SMTP server on loopback that offers STARTTLS with a self-signed certificate."""
    from aiosmtpd.controller import Controller

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed, so no test certificate can be made")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True
    )
    controller.start()
    yield controller, inbox, cert
    controller.stop()


def test_starttls_refuses_a_certificate_it_cannot_verify(make_mail_app, tls_smtp_server):
    controller, inbox, _ = tls_smtp_server
    tls = make_mail_app(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=True, BASE_URL=BASE_URL
    )
    with tls.app_context(), pytest.raises(MailNotSent) as refused:
        send_mail("someone@example.com", "Hello", "Body")
    assert isinstance(refused.value.__cause__, ssl.SSLCertVerificationError)
    assert inbox.messages == []


def test_starttls_sends_to_a_server_whose_certificate_verifies(
    make_mail_app, tls_smtp_server, monkeypatch
):
    controller, inbox, cert = tls_smtp_server
    # Trust the test certificate as a certificate authority, the way a system store would.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    tls = make_mail_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_USE_TLS=True,
        MAIL_FROM="Exams <exams@example.org>",
        BASE_URL=BASE_URL,
    )
    with tls.app_context():
        delivery = send_mail("someone@example.com", "Hello", "Body text")
    assert delivery.file is None
    received = inbox.only()
    assert received.to == "someone@example.com"
    assert received.sender == "exams@example.org"
    assert received.subject == "Hello"
    assert received.body.strip() == "Body text"


def test_plain_smtp_without_starttls_is_refused_by_a_server_requiring_it(
    make_mail_app, tls_smtp_server
):
    controller, inbox, _ = tls_smtp_server
    plain = make_mail_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, BASE_URL=BASE_URL)
    with plain.app_context(), pytest.raises(MailNotSent):
        send_mail("someone@example.com", "Hello", "Body")
    assert inbox.messages == []
