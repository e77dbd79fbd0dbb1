"""Test apps and clients: an app per database, a client that sends CSRF like a browser."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from exam_engine import create_app

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


def make_queued_app(
    database_url: str, instance_path: str, redis: tuple[str, str], **extra: Any
) -> Flask:
    """An app whose jobs go to Redis (``redis``: URL and key prefix): none runs in its process.

    Its limiter keeps counting in memory, as the test app's does (a process-wide choice).
    """
    url, prefix = redis
    settings: dict[str, Any] = {
        "REDIS_URL": url,
        "REDIS_KEY_PREFIX": prefix,
        "SWEEP_EVERY_SECONDS": 3600,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    settings.update(extra)
    return make_app(database_url, instance_path, **settings)


def scoped_to_test(request: Any, application: Flask) -> Flask:
    """Register the clean-up a second app in a test needs, and return it: its pooled
    connections closed (a garbage-collected one warns, failing a test) and the session's
    app's sign-in wiring restored (creating an app rewires it process-wide)."""
    from exam_engine.extensions import db
    from exam_engine.web import sign_in

    def dispose() -> None:
        with application.app_context():
            db.engine.dispose()

    request.addfinalizer(lambda: sign_in.init_app(request.getfixturevalue("app")))
    request.addfinalizer(dispose)
    return application


def worker_burst(
    database_url: str, instance_path: str, redis: tuple[str, str], **settings: str
) -> str:
    """Run ``flask worker --burst --no-schedule`` on the queue to its end (failing the test
    when it fails); return its output. ``settings`` are ``EXAM_ENGINE_*`` names without it."""
    url, prefix = redis
    env = dict(
        os.environ,
        FLASK_APP="exam_engine:create_app",
        DATABASE_URL=database_url,
        SECRET_KEY=TEST_SECRET,
        EXAM_ENGINE_INSTANCE_PATH=instance_path,
        EXAM_ENGINE_REDIS_URL=url,
        EXAM_ENGINE_REDIS_KEY_PREFIX=prefix,
        **{f"EXAM_ENGINE_{name}": value for name, value in settings.items()},
    )
    done = subprocess.run(
        [sys.executable, "-m", "flask", "worker", "--burst", "--no-schedule"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


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


def csrf_from_html(html: str) -> str:
    """Extract the CSRF token from a rendered page."""
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta"
    return match.group(1)


def is_postgres(app: Flask) -> bool:
    """Tell whether the tests run on PostgreSQL."""
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
