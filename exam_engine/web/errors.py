"""Error pages and JSON errors: a clear message and the right status, never a traceback."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, jsonify, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from exam_engine.extensions import current_session, limiter
from exam_engine.services.errors import ServiceError
from exam_engine.services.transaction import discard
from exam_engine.web.security import has_signed_in_session, wants_json
from exam_engine.web.uploads import too_large_message

log = logging.getLogger(__name__)

# A restarted database or a failed-over pool is usually back within seconds.
RETRY_AFTER_SECONDS = 5

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Link no longer valid",
    413: "Request too large",
    422: "Cannot be processed",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Service unavailable",
}


def error_response(status: int, message: str) -> Any:
    """Render an error as JSON for API calls and as a page otherwise."""
    if wants_json():
        return jsonify(error=message, status=status), status
    title = TITLES.get(status, "Error")
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register(app: Flask) -> None:
    """Install handlers for HTTP errors, CSRF failures, service errors and a lost database."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        if request.path.startswith("/api/") and not has_signed_in_session():
            # An API call with no signed-in session needs a sign-in first, not a new token.
            return error_response(401, "authentication required")
        return error_response(
            400,
            f"The form's security token is missing or invalid ({error.description}). "
            "Reload the page and try again.",
        )

    @app.errorhandler(ServiceError)
    def _service(error: ServiceError) -> Any:
        discard(current_session())
        return error_response(error.status, str(error))

    @app.errorhandler(OperationalError)
    def _database(error: OperationalError) -> Any:
        discard(current_session())
        log.error("database unavailable: %s", error)
        response = make_response(
            error_response(503, "The database is unavailable. Your request was not saved.")
        )
        # Clients (the exam page retries with backoff) may come back this soon.
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(error: RateLimitExceeded) -> Any:
        response = make_response(error_response(429, error.description or TITLES[429]))
        window = limiter.current_limit
        wait = int(window.reset_at - time.time()) + 1 if window else RETRY_AFTER_SECONDS
        response.headers["Retry-After"] = str(max(1, wait))
        return response

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        status = error.code or 500
        description = error.description or TITLES.get(status, "Error")
        if status == 413 and description == RequestEntityTooLarge.description:
            description = too_large_message(request)
        response = make_response(error_response(status, description))
        # The exception's own headers: Allow on a 405, Retry-After on a 429 or 503.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        discard(current_session())
        log.exception("unhandled error")
        return error_response(500, InternalServerError.description)
