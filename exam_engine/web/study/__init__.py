"""Study pages."""

from flask import Blueprint

bp = Blueprint("study", __name__, url_prefix="/study")

from exam_engine.web.study import routes  # noqa: E402,F401  (registers the views)
