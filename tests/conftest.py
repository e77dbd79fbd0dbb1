"""Shared fixtures: one app per test session on SQLite or ``TEST_DATABASE_URL``.

The schema is built by the Alembic migrations (so every run exercises them) and every
table is emptied after each test, which keeps tests independent and order-free while
still letting a live server thread or a second connection see committed rows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from exam_engine import create_app
from exam_engine.extensions import db, limiter
from exam_engine.models import Base
from tests import factories
from tests.support import drop_pg_schema, pg_schema_url

TEST_SECRET = "test-secret-key-not-for-production"


def make_app(database_url: str, instance_path: str, **extra: Any) -> Flask:
    """Create an app for tests with fast password hashing."""
    os.environ["EXAM_ENGINE_INSTANCE_PATH"] = instance_path
    config = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "TESTING": True,
        "PASSWORD_HASH_PROFILE": "fast",
    }
    config.update(extra)
    return create_app(config)


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
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application with its schema migrated to head."""
    application = make_app(database_url, str(tmp_path_factory.mktemp("instance")))
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
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


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


class Client(FlaskClient):
    """Test client that sends the session's CSRF token with state-changing requests."""

    _token: str | None = None

    def csrf_token(self) -> str:
        """Fetch (once per session cookie) the CSRF token the app expects."""
        if self._token is None:
            self._token = self.get("/api/v1/csrf-token").get_json()["csrf_token"]
        return self._token

    def open(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        method = (kwargs.get("method") or "GET").upper()
        if method in {"POST", "PUT", "PATCH", "DELETE"} and kwargs.pop("csrf", True):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def login(self, email: str, password: str = "password-123456") -> Any:
        """Sign in through the real form."""
        return self.post("/login", data={"email": email, "password": password})


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


def csrf_from_html(html: str) -> str:
    """Extract the CSRF token from a rendered page."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta"
    return match.group(1)


def is_postgres(app: Flask) -> bool:
    """Tell whether the tests run on PostgreSQL."""
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


__all__ = ["Client", "csrf_from_html", "is_postgres", "make_app", "text"]
