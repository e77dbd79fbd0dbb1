"""Study views."""

from __future__ import annotations

from typing import Any

from flask import render_template

from exam_engine.web.security import login_required
from exam_engine.web.study import bp


@bp.get("/")
@login_required
def index() -> Any:
    """Study home."""
    return render_template("study/index.html")
