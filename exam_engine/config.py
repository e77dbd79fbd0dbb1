"""Settings: defaults, then the environment, then an explicit mapping (tests)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "GRACE_SECONDS": 30,
    # Flask-Compress: Brotli where the browser takes it, else gzip; text responses only.
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ],
    "WEAK_TARGET": 0.65,
    "PASSWORD_HASH_PROFILE": "default",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    # Bank imports (CLI and the import page, which alone accepts bodies this large): the
    # largest file, and each item field's longest text (domain/formats/limits.py).
    "IMPORT_MAX_BYTES": 50 * 1024 * 1024,
    "ITEM_FIELD_LIMITS": {},
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
    # Outgoing mail (services/mail.py): SMTP when MAIL_SERVER is set, else instance/mail/*.eml.
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "AAISM exam engine <no-reply@localhost>",
    "MAIL_TIMEOUT": 15,
    # The site's address (scheme and host) that links in mail start with; required with a mail
    # server, so that a request's Host header can never point a reset link at another site.
    "BASE_URL": "",
    # Account mail: links' lifetimes, and how often one address or client may ask for mail.
    "VERIFY_LINK_HOURS": 48,
    "RESET_LINK_MINUTES": 60,
    "ACCOUNT_MAIL_LIMIT": "3 per hour",
    "ACCOUNT_MAIL_CLIENT_LIMIT": "20 per hour",
    # Background jobs (services/jobs): on Redis with `flask worker` when REDIS_URL is set,
    # else in the process that enqueues them. A failed job waits this long before each retry.
    "JOB_RETRY_DELAYS": [10, 60],
    "JOB_TIMEOUT_SECONDS": 1800,
    "JOB_KEEP_DAYS": 14,
    # The worker's schedule: the sweep of overdue attempts, the nightly stale-statistics run.
    "SWEEP_EVERY_SECONDS": 60,
    "STALE_STATS_AT": "03:00",
    "SCHEDULE_TICK_SECONDS": 5,
    # Observability: /metrics answers only with this bearer token (unset: no /metrics).
    "METRICS_TOKEN": "",
    # Log lines as JSON objects (with the request id), or "text"; tests leave logging alone.
    "LOG_FORMAT": "json",
}

TEXT_SETTINGS = (
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "BASE_URL",
    "METRICS_TOKEN",
    "STALE_STATS_AT",
    "LOG_FORMAT",
)


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
    # Text stays text: from_prefixed_env reads JSON, so a password "1e5" would become 100000.0.
    for key in TEXT_SETTINGS:
        raw = os.environ.get("EXAM_ENGINE_" + key)
        if raw is not None:
            app.config[key] = raw
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
    configure_mail(app)
    # A bad limit stops start-up with the setting named, not the first import.
    from exam_engine.domain.formats.limits import ImportLimits

    ImportLimits.from_config(app.config)
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


def configure_mail(app: Flask) -> None:
    """Turn the ``MAIL_*`` settings into Flask-Mailman's: SMTP if a server is set, else files."""
    from exam_engine.services.mail import FILE_BACKEND, SMTP_BACKEND

    config = app.config
    config["MAIL_BACKEND"] = SMTP_BACKEND if config["MAIL_SERVER"] else FILE_BACKEND
    config["MAIL_FILE_PATH"] = str(Path(app.instance_path) / "mail")
    config["MAIL_DEFAULT_SENDER"] = config["MAIL_FROM"]
    config["MAIL_USE_TLS"] = _flag("EXAM_ENGINE_MAIL_USE_TLS", config["MAIL_USE_TLS"])
    port = config["MAIL_PORT"]
    if isinstance(port, bool) or not str(port).isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"EXAM_ENGINE_MAIL_PORT: {port!r} is not a port number (1 to 65535)")
    config["MAIL_PORT"] = int(port)
    base = urlsplit(config["BASE_URL"])
    if config["BASE_URL"] and (
        base.scheme not in ("http", "https") or not base.netloc or base.path.strip("/")
    ):
        raise ValueError(
            f"EXAM_ENGINE_BASE_URL: {config['BASE_URL']!r} is not a site address such as "
            "https://exam.example.org (scheme and host, no path)"
        )
    if config["MAIL_SERVER"] and not config["BASE_URL"]:
        raise ValueError(
            "EXAM_ENGINE_BASE_URL: required when EXAM_ENGINE_MAIL_SERVER is set, so that links "
            "in mail point at this site whatever Host header a request brings"
        )


FLAG_WORDS = {"true": True, "1": True, "yes": True, "on": True}
FLAG_WORDS.update({"false": False, "0": False, "no": False, "off": False, "": False})


def _flag(name: str, value: Any) -> bool:
    """Read an on/off setting, refusing anything that is neither (a typo must not mean on)."""
    word = str(value).strip().lower()
    if word not in FLAG_WORDS:
        raise ValueError(f"{name}: {value!r} is not true or false")
    return FLAG_WORDS[word]
