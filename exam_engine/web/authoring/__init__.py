"""Question authoring pages."""

from flask import Blueprint

bp = Blueprint("authoring", __name__, url_prefix="/authoring")

from exam_engine.web.authoring import routes, transfer  # noqa: E402,F401  (registers the views)
