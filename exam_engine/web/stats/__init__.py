"""Item analysis pages."""

from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/item-analysis")

from exam_engine.web.stats import calibration, routes  # noqa: E402,F401  (registers the views)
