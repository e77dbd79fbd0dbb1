"""Item analysis views."""

from __future__ import annotations

from typing import Any

from flask import render_template

from exam_engine.web.security import role_required
from exam_engine.web.stats import bp


@bp.get("/")
@role_required("instructor")
def index() -> Any:
    """Item analysis home."""
    return render_template("stats/index.html")
