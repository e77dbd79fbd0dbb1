"""Question authoring views."""

from __future__ import annotations

from typing import Any

from flask import render_template

from exam_engine.web.authoring import bp
from exam_engine.web.security import role_required


@bp.get("/")
@role_required("instructor")
def index() -> Any:
    """Question authoring home."""
    return render_template("authoring/index.html")
