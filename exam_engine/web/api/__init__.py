"""JSON API under /api/v1 (session-cookie auth, CSRF token in the X-CSRFToken header)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_wtf.csrf import generate_csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/csrf-token")
def csrf_token() -> Any:
    """Return a CSRF token for this session, for clients that do not render pages."""
    return jsonify(csrf_token=generate_csrf())


from exam_engine.web.api import attempts, results  # noqa: E402,F401  (registers the views)
from exam_engine.web.api import study as study  # noqa: E402,F401  (registers the views)
