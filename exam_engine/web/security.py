"""Role checks and response headers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from exam_engine.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])


def wants_json() -> bool:
    """Tell whether the request is an API call that expects JSON back."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def role_required(*roles: str) -> Callable[[F], F]:
    """Let through users holding one of ``roles``: login redirect if anonymous, else 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


login_required = role_required()


class SecureWhenHttpsSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure if configured, or if this request is HTTPS (directly or via ProxyFix)."""
        configured = super().get_cookie_secure(app)
        return configured or (has_request_context() and request.is_secure)


def _security_headers(response: Response) -> Response:
    """Add a strict CSP (no inline script) and the usual hardening headers."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


# Files that are the same for everyone and hold nothing of the user's.
PUBLIC_FILES = frozenset({"static", "assets.serve", "main.favicon"})


def has_signed_in_session() -> bool:
    """Tell whether the request's session names a user, without loading it from the database."""
    # Flask-Login's key. A session of a user since deactivated still counts: erring towards
    # "signed in" costs only a no-store, and this works while the database is down.
    return "_user_id" in session


def _no_store_when_signed_in(response: Response) -> Response:
    """Keep every response to a signed-in user out of caches, static files aside.

    Pages and JSON for a signed-in user hold results, keys, reviews and bank exports: a
    shared proxy or the browser's back button must not hand them to the next person.
    """
    if request.endpoint not in PUBLIC_FILES and has_signed_in_session():
        response.headers["Cache-Control"] = "no-store"
    return response


# What a signed-in user held on one page (a one-time password, an unverified address) may
# still reach besides that page.
ALWAYS_REACHABLE = frozenset(
    {
        "static",
        "assets.serve",
        "main.favicon",
        "health.healthz",
        "api.csrf_token",
        "api.openapi",
        "auth.login",
        "auth.logout",
    }
)
# What a signed-in user who must replace a one-time password may still reach.
ALLOWED_BEFORE_PASSWORD_CHANGE = ALWAYS_REACHABLE | {"auth.change_password"}


def _password_change_first() -> Any:
    """Send a user still on a one-time password to the change-password page first."""
    # Checked before current_user, so static files never cost a user lookup.
    if request.endpoint in ALLOWED_BEFORE_PASSWORD_CHANGE or request.endpoint is None:
        return None
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    from flask import jsonify, redirect, url_for

    if wants_json():
        message = "choose your own password first at /account/password: yours is a one-time one"
        return jsonify(error=message, status=403), 403
    # The page itself says why (auth/password.html).
    return redirect(url_for("auth.change_password"))


def register(app: Flask) -> None:
    """Install the response-header hooks, the one-time-password gate and the JSON 401."""
    app.after_request(_security_headers)
    app.after_request(_no_store_when_signed_in)
    app.before_request(_password_change_first)

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        from flask import jsonify, redirect, url_for

        if wants_json():
            return jsonify(error="authentication required"), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
