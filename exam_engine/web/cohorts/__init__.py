"""Cohorts pages."""

from flask import Blueprint

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")

from exam_engine.web.cohorts import routes  # noqa: E402,F401  (registers the views)
