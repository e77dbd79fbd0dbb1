"""Role checks and response headers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, has_request_context, request
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


# What a signed-in user held on one page (a one-time password, an unverified address) may
# still reach besides that page.
ALWAYS_REACHABLE = frozenset(
    {"static", "main.favicon", "health.healthz", "api.csrf_token", "auth.login", "auth.logout"}
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
    """Install the response-header hook, the one-time-password gate and the JSON 401."""
    app.after_request(_security_headers)
    app.before_request(_password_change_first)

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        from flask import jsonify, redirect, url_for

        if wants_json():
            return jsonify(error="authentication required"), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
