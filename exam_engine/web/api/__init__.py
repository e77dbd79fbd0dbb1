"""JSON API under /api/v1 (session-cookie auth, CSRF token in the X-CSRFToken header)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from flask import Blueprint, jsonify
from flask_wtf.csrf import generate_csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@cache
def description() -> dict[str, Any]:
    """The OpenAPI 3.1 description of this API (a data file beside this module, read once)."""
    text = files(__package__).joinpath("openapi.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@bp.get("/openapi.json")
def openapi() -> Any:
    """Return the OpenAPI 3.1 description of /api/v1."""
    return jsonify(description())


@bp.get("/csrf-token")
def csrf_token() -> Any:
    """Return a CSRF token for this session, for clients that do not render pages."""
    return jsonify(csrf_token=generate_csrf())


from exam_engine.web.api import attempts, results  # noqa: E402,F401  (registers the views)
from exam_engine.web.api import study as study  # noqa: E402,F401  (registers the views)
