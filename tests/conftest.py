"""Shared fixtures: one app per test session on SQLite or ``TEST_DATABASE_URL``.

The schema is built by the Alembic migrations (so every run exercises them) and every
table is emptied after each test, which keeps tests independent and order-free while
still letting a live server thread or a second connection see committed rows. (SQLAlchemy's
outer-transaction-and-savepoint recipe is faster, but hides exactly those rows: the browser,
load and race tests need real commits, and the services commit through one helper.)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from exam_engine.extensions import db, limiter
from exam_engine.models import Base, utcnow
from exam_engine.services import sign_in_throttle
from tests import factories
from tests.support import (
    Client,
    drop_pg_schema,
    make_app,
    pg_schema_url,
    properties,  # noqa: F401  (loads the untimed Hypothesis profile)
    seed_bank,
)
from tests.support.smtp import BASE_URL, Inbox, start_smtp_server


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """The database for this test session: a fresh SQLite file or a fresh PostgreSQL schema.

    The schema name carries the process id, so runs sharing one server never collide.
    """
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        return
    schema = f"ee_test_{worker_id}_{os.getpid()}"
    yield pg_schema_url(base, schema)
    drop_pg_schema(base, schema)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    """A real SMTP server on a free loopback port, for the whole test session."""
    controller, inbox = start_smtp_server()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[Controller, Inbox]) -> Inbox:
    """The test SMTP server's received mail, emptied for this test."""
    smtp_server[1].clear()
    return smtp_server[1]


@pytest.fixture(scope="session")
def app(
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: tuple[Controller, Inbox],
) -> Iterator[Flask]:
    """The application with its schema migrated to head, mailing through the test server."""
    controller, _ = smtp_server
    application = make_app(
        database_url,
        str(tmp_path_factory.mktemp("instance")),
        MAIL_SERVER=controller.hostname,
        MAIL_PORT=controller.port,
        BASE_URL=BASE_URL,
    )
    with application.app_context():
        from flask_migrate import upgrade

        upgrade(directory=application.extensions["migrate"].directory)
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        limiter.reset()
        counters = sign_in_throttle.current_counters()
        if isinstance(counters, sign_in_throttle.MemoryCounters):
            counters.forget_all()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test app on a free loopback port for the whole session."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def clock(app: Flask) -> Iterator[dict[str, datetime]]:
    """A settable server clock (``clock["now"]``), starting at the real time."""
    state = {"now": utcnow()}
    app.config["CLOCK"] = lambda: state["now"]
    yield state
    app.config.pop("CLOCK", None)


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An application context for service and model tests."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session of the test's own on the app's engine; factories commit through it.

    It is deliberately not ``db.session``: web tests must not share an app context with
    the requests they make (Flask-Login caches the user in ``g``).
    """
    with app.app_context():
        engine = db.engine
    own = Session(engine)
    factories.bind_session(own)
    yield own
    factories.bind_session(None)
    own.close()


@pytest.fixture
def client(app: Flask, session: Session) -> Client:
    """A test client that handles CSRF like a browser would."""
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def raw_client(app: Flask, session: Session) -> FlaskClient:
    """A plain client: no CSRF token unless the test adds one."""
    app.test_client_class = FlaskClient
    return app.test_client()


@pytest.fixture
def bank(session: Session) -> list:
    """The published test bank: ten items in every sub-domain of the bundled blueprint."""
    return seed_bank(session, per_subdomain=10)


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    """The test Redis (``TEST_REDIS_URL``, default 127.0.0.1:6379/15) and a key prefix of this
    test's own; every key under the prefix is deleted afterwards."""
    import uuid

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis not reachable at {url}: {error}")
    prefix = f"test-{uuid.uuid4().hex}:"
    yield url, prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    # RQ's keys start "rq:" and carry the prefix in queue names and (":" made "-") job ids.
    mark = prefix.rstrip(":").encode()
    for key in client.scan_iter("rq:*"):
        if mark in key:
            client.delete(key)
    client.close()
