"""Sign in, register, sign out."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from exam_engine.web.auth import routes  # noqa: E402,F401  (registers the views)
