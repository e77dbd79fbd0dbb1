"""Sign-in throttling: per account (failures only) and per address, in memory or Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from tests.factories import UserFactory

LOCKED = "Too many failed sign-in attempts for this email"


def fail(client, email: str, times: int) -> list[int]:
    return [client.login(email, "wrong-password").status_code for _ in range(times)]


def test_account_locks_after_five_failures_even_with_the_right_password(client) -> None:
    UserFactory(email="victim@example.com")
    assert fail(client, "victim@example.com", 5) == [401] * 5
    blocked = client.login("victim@example.com")
    assert blocked.status_code == 429
    assert LOCKED in blocked.get_data(as_text=True)


def test_lockout_message_is_the_same_for_unknown_emails(client) -> None:
    UserFactory(email="real@example.com")
    fail(client, "real@example.com", 5)
    fail(client, "ghost@example.com", 5)
    real = client.login("real@example.com", "wrong-password")
    ghost = client.login("ghost@example.com", "wrong-password")
    assert real.status_code == ghost.status_code == 429
    assert real.get_data(as_text=True) == ghost.get_data(as_text=True)


def test_successful_logins_do_not_count_toward_lockout(client) -> None:
    UserFactory(email="often@example.com")
    for _ in range(8):
        assert client.login("often@example.com").status_code == 302
        client.post("/logout")


def test_other_accounts_are_not_locked(client) -> None:
    UserFactory(email="a@example.com")
    UserFactory(email="b@example.com")
    fail(client, "a@example.com", 5)
    assert client.login("b@example.com").status_code == 302


def test_per_address_limit(app, client) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.login(f"x{n}@example.com", "pw").status_code for n in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "30 per minute"
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429


WORKER = """
import sys
from exam_engine import create_app
app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_PROFILE": "fast",
                  "DATABASE_URL": sys.argv[1], "SECRET_KEY": "x",
                  "RATELIMIT_STORAGE": sys.argv[2], "RATELIMIT_KEY_PREFIX": sys.argv[3]})
client = app.test_client()
form = {"email": "shared@example.com", "password": "wrong"}
codes = [client.post("/login", data=form).status_code for _ in range(int(sys.argv[4]))]
print(" ".join(map(str, codes)))
"""


def test_lockout_is_shared_across_processes_through_redis(tmp_path, database_url, app) -> None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 (any failure means no usable Redis)
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis not reachable at {url}: {error}")
    prefix = "test-" + uuid.uuid4().hex
    env = dict(os.environ, EXAM_ENGINE_INSTANCE_PATH=str(tmp_path))

    def worker(attempts: int) -> str:
        # Separate processes stand for separate gunicorn workers or hosts.
        done = subprocess.run(
            [sys.executable, "-c", WORKER, database_url, url, prefix, str(attempts)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()

    try:
        assert worker(5) == "401 401 401 401 401"
        assert worker(1) == "429"
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


def test_session_cookie_is_secure_over_https(client) -> None:
    UserFactory(email="tls@example.com")
    plain = client.login("tls@example.com")
    assert "Secure" not in plain.headers["Set-Cookie"]
    client.post("/logout")
    secure = client.post(
        "/login",
        data={"email": "tls@example.com", "password": "password-123456"},
        base_url="https://localhost",
    )
    cookie = secure.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
