"""Two app instances (separate processes, as gunicorn workers or hosts are) sharing Redis.

Each instance runs in a subprocess of its own, so nothing but Redis and the database can
carry state between them: one sign-in count, and one set of sessions a logout ends for all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from exam_engine.models import LoginSession
from tests.factories import DEFAULT_PASSWORD, UserFactory

INSTANCE = """
import json, sys
from exam_engine import create_app

settings, steps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
client = create_app(settings).test_client()
out = []
for method, path, form, headers, cookie in steps:
    if cookie:
        client.set_cookie("session", cookie)
    response = client.open(path, method=method, data=form, headers=headers)
    jar = client.get_cookie("session")
    out.append([response.status_code, response.headers.get("Retry-After"), jar and jar.value])
print(json.dumps(out))
"""
EMAIL = "shared@example.com"


@pytest.fixture
def run(tmp_path, database_url, app):
    """Run one instance over ``steps``; return [status, Retry-After, cookie] per step."""

    def instance(steps, **settings):
        config = {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_PROFILE": "fast",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "shared-secret",
            **settings,
        }
        env = dict(os.environ, EXAM_ENGINE_INSTANCE_PATH=str(tmp_path))
        done = subprocess.run(
            [sys.executable, "-c", INSTANCE, json.dumps(config), json.dumps(steps)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    return instance


def login(password: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    form = {"email": EMAIL, "password": password}
    # REMOTE_ADDR cannot be set through open(): the forwarded header and ProxyFix stand in.
    return ["POST", "/login", form, headers, None]


def test_two_instances_sharing_redis_see_one_failure_count(run, session, redis_prefix) -> None:
    url, prefix = redis_prefix
    UserFactory(email=EMAIL)
    shared = {"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix, "PROXY_FIX": 1}
    # Instance one: twenty guesses from twenty addresses (each one's first, so each is let in).
    guesses = [login("wrong-password", forwarded=f"10.0.0.{n}") for n in range(20)]
    assert [status for status, *_ in run(guesses, **shared)] == [401] * 20
    # Instance two: the owner types one wrong, then the right password, from a new address.
    typo, right = run(
        [
            login("typo-password", forwarded="203.0.113.5"),
            login(DEFAULT_PASSWORD, forwarded="203.0.113.5"),
        ],
        **shared,
    )
    assert typo[0] == 401
    # Twenty-one failures on the email (seen from instance one's count): its capped wait.
    assert right[0] == 429
    assert 0 < int(right[1]) <= 60


def test_instances_counting_in_memory_count_apart(run, session) -> None:
    """The same steps without Redis: the second instance never heard of the guesses."""
    UserFactory(email=EMAIL)
    guesses = [login("wrong-password", forwarded=f"10.0.0.{n}") for n in range(20)]
    assert [status for status, *_ in run(guesses, PROXY_FIX=1)] == [401] * 20
    steps = [
        login("typo-password", forwarded="203.0.113.5"),
        login(DEFAULT_PASSWORD, forwarded="203.0.113.5"),
    ]
    assert [status for status, *_ in run(steps, PROXY_FIX=1)] == [401, 302]


def test_a_logout_on_one_instance_ends_the_session_on_the_other(run, session, redis_prefix):
    url, prefix = redis_prefix
    UserFactory(email=EMAIL)
    shared = {"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix}
    ((status, _, cookie),) = run([login(DEFAULT_PASSWORD)], **shared)
    assert status == 302
    # The session lives in Redis, not in the database.
    assert session.scalars(select(LoginSession)).all() == []
    import redis

    keys = list(redis.Redis.from_url(url).scan_iter(f"{prefix}login-session:*"))
    assert len(keys) == 1
    seen, logout = run(
        [["GET", "/dashboard", {}, {}, cookie], ["POST", "/logout", {}, {}, cookie]], **shared
    )
    assert (seen[0], logout[0]) == (200, 302)
    ((replayed, *_),) = run([["GET", "/dashboard", {}, {}, cookie]], **shared)
    assert replayed == 302
    assert list(redis.Redis.from_url(url).scan_iter(f"{prefix}login-session:*")) == []


@pytest.mark.parametrize(("hops", "expected"), [(1, [401] * 12), (0, [401] * 5 + [429] * 7)])
def test_x_forwarded_for_counts_only_behind_proxy_fix(run, session, hops, expected) -> None:
    """Twelve guesses, each claiming another address: believed only with a trusted proxy."""
    UserFactory(email=EMAIL)
    guesses = [login("wrong-password", forwarded=f"10.1.0.{n}") for n in range(12)]
    # A 60-second first step, so the wait cannot run out while a loaded machine is slow.
    statuses = [status for status, *_ in run(guesses, PROXY_FIX=hops, LOGIN_FIRST_DELAY_SECONDS=60)]
    assert statuses == expected
