"""Cohorts views."""

from __future__ import annotations

from typing import Any

from flask import render_template

from exam_engine.web.cohorts import bp
from exam_engine.web.security import role_required


@bp.get("/")
@role_required("instructor")
def index() -> Any:
    """Cohorts home."""
    return render_template("cohorts/index.html")
