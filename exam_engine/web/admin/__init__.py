"""Admin pages: accounts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from exam_engine.web.admin import routes  # noqa: E402,F401  (registers the views)
