"""Candidate pages: dashboard, one question a page, summary, submit."""

from flask import Blueprint

bp = Blueprint("candidate", __name__)

from exam_engine.web.candidate import results, routes  # noqa: E402,F401  (registers views)
