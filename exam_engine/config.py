"""Settings: defaults, then the environment, then an explicit mapping (tests)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "GRACE_SECONDS": 30,
    "WEAK_TARGET": 0.65,
    "PASSWORD_HASH_PROFILE": "default",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    # Sign-in throttling: every attempt per client address (Flask-Limiter), then failures per
    # email, per address and per email-and-address, each with a doubling delay (no hard lock).
    "LOGIN_RATE_LIMIT": "30 per minute",
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_ADDRESS_FREE_FAILURES": 50,
    "LOGIN_FIRST_DELAY_SECONDS": 1,
    "LOGIN_MAX_DELAY_SECONDS": 900,
    # What others' failures on an email can cost its owner: bounded, whatever they do.
    "LOGIN_EMAIL_MAX_DELAY_SECONDS": 60,
    "LOGIN_FAILURE_MEMORY_SECONDS": 3600,
    # Wrong current passwords per signed-in account on the change-password page.
    "LOGIN_LOCKOUT_LIMIT": "5 per 15 minutes",
    # Signed-in sessions end after this long without a request, and this long after sign-in.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    # One Redis for sessions and sign-in counters, shared by every worker and host.
    "REDIS_URL": None,
    "REDIS_KEY_PREFIX": "exam-engine:",
    # Off: Flask-Limiter would stamp its own window's Retry-After over the sign-in backoff's.
    # Its own 429s still say when to come back (web/errors.py).
    "RATELIMIT_HEADERS_ENABLED": False,
    # Item statistics are shown only from this many first-attempt responses on.
    "ITEM_STATS_MIN_RESPONSES": 30,
    # An item's facts are stale this many days after its as_of date (flask bank stale, lint).
    "STALE_DAYS": 365,
    # Trust X-Forwarded-For/-Proto from this many proxies in front of the app.
    "PROXY_FIX": 0,
}


def normalize_database_url(url: str) -> str:
    """Map bare ``postgres://`` and ``postgresql://`` URLs onto the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(instance_path: str) -> str:
    """Read the per-install secret key, creating it (mode 0600) on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` from defaults, ``DATABASE_URL``/``SECRET_KEY`` and ``EXAM_ENGINE_*``."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("EXAM_ENGINE")
    overrides = dict(overrides or {})
    database_url = (
        overrides.pop("DATABASE_URL", None)
        or os.environ.get("DATABASE_URL")
        or "sqlite:///" + str(Path(app.instance_path) / "exam_engine.sqlite3")
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(database_url)
    secret = overrides.pop("SECRET_KEY", None) or os.environ.get("SECRET_KEY")
    app.config.update(overrides)
    app.config["SECRET_KEY"] = secret or instance_secret_key(app.instance_path)
    # EXAM_ENGINE_REDIS_URL (or the older EXAM_ENGINE_RATELIMIT_STORAGE=redis://...) shares
    # sessions and sign-in counters across workers and hosts.
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI",
        app.config.get("RATELIMIT_STORAGE") or app.config["REDIS_URL"] or "memory://",
    )
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["REDIS_KEY_PREFIX"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite allows one writer at a time: wait for the lock instead of failing at once.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"timeout": 15})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def redis_url(config: Mapping[str, Any]) -> str | None:
    """The Redis shared by workers: ``REDIS_URL``, else a Redis ``RATELIMIT_STORAGE``."""
    if config.get("REDIS_URL"):
        return str(config["REDIS_URL"])
    storage = str(config.get("RATELIMIT_STORAGE") or "")
    return storage if storage.startswith(("redis://", "rediss://")) else None
