"""Signing in and out through server-side sessions, and the failed-sign-in throttle."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, make_response, render_template, request
from flask_login import current_user, login_user, logout_user

from exam_engine.config import redis_url
from exam_engine.domain.backoff import Backoff, SignInPolicy
from exam_engine.domain.session_expiry import SessionTimeouts
from exam_engine.extensions import current_session, login_manager
from exam_engine.models import User
from exam_engine.services import login_sessions, sign_in_throttle


def init_app(app: Flask) -> None:
    """Choose the session store and failure counters (Redis if configured) and the loader.

    Every setting is read before anything is configured: a bad one changes nothing.
    """
    timeouts = SessionTimeouts(
        idle=timedelta(minutes=_positive(app, "SESSION_IDLE_MINUTES")),
        absolute=timedelta(hours=_positive(app, "SESSION_ABSOLUTE_HOURS")),
    )
    free = int(_positive(app, "LOGIN_FREE_FAILURES"))
    first = _positive(app, "LOGIN_FIRST_DELAY_SECONDS")
    cap = max(first, _positive(app, "LOGIN_MAX_DELAY_SECONDS"))
    email_cap = max(first, _positive(app, "LOGIN_EMAIL_MAX_DELAY_SECONDS"))
    policy = SignInPolicy(
        pair=Backoff(free=free, base_seconds=first, cap_seconds=cap),
        email=Backoff(free=free, base_seconds=first, cap_seconds=email_cap),
        address=Backoff(
            free=int(_positive(app, "LOGIN_ADDRESS_FREE_FAILURES")),
            base_seconds=first,
            cap_seconds=cap,
        ),
    )
    memory = int(_positive(app, "LOGIN_FAILURE_MEMORY_SECONDS"))
    url = redis_url(app.config)
    prefix = str(app.config["REDIS_KEY_PREFIX"])
    if url:
        login_sessions.configure(login_sessions.redis_store(url, prefix), timeouts)
        sign_in_throttle.configure(sign_in_throttle.redis_counters(url, prefix), policy, memory)
    else:
        login_sessions.configure(login_sessions.DatabaseStore(), timeouts)
        sign_in_throttle.configure(sign_in_throttle.MemoryCounters(), policy, memory)
    login_manager.user_loader(_load_user)


def _positive(app: Flask, name: str) -> float:
    """A setting that must be a positive number, or a start-up error naming it."""
    value = app.config[name]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"EXAM_ENGINE_{name}: {value!r} is not a number") from None
    if number < 1:
        raise ValueError(f"EXAM_ENGINE_{name}: must be at least 1, got {value!r}")
    return number


def _load_user(key: str) -> User | None:
    """Flask-Login's loader: the user of a live server-side session, or None."""
    return login_sessions.load_user(current_session(), key)


def sign_in(user: User) -> None:
    """Start a new server-side session for ``user`` and put its key in the cookie."""
    user.attach_session(login_sessions.start_session(current_session(), user.id))
    login_user(user, fresh=True)


def sign_out() -> None:
    """End the current server-side session, then clear it from the cookie."""
    if current_user.is_authenticated:
        login_sessions.end_session(current_session(), current_user.get_id())
    logout_user()


def client_address() -> str:
    """The client's address (X-Forwarded-For counts only behind EXAM_ENGINE_PROXY_FIX)."""
    return request.remote_addr or "unknown"


def seconds_to_wait(email: str) -> int:
    """Seconds before this email may be tried from this client (0: now)."""
    return sign_in_throttle.seconds_to_wait(email, client_address())


def note_failure(email: str) -> None:
    """Count a wrong email or password from this client."""
    sign_in_throttle.record_failure(email, client_address())


def note_success(email: str) -> None:
    """Forget this client's failures for the email."""
    sign_in_throttle.record_success(email, client_address())


def too_many_failures(form: Any, wait: int) -> Any:
    """The sign-in page again, 429 with Retry-After: the same for every email."""
    form.password.errors.append(
        f"Too many failed sign-in attempts for this email from your network. "
        f"Try again in {wait} second{'s' if wait != 1 else ''}."
    )
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(wait)
    return response


def warn_if_counting_apart(workers: int, log: logging.Logger | Any) -> bool:
    """Log a warning when several workers each count failed sign-ins in their own memory."""
    if workers > 1 and isinstance(
        sign_in_throttle.current_counters(), sign_in_throttle.MemoryCounters
    ):
        log.warning(
            "%d workers count failed sign-ins in memory, each apart: set EXAM_ENGINE_REDIS_URL "
            "so they share one count",
            workers,
        )
        return True
    return False
