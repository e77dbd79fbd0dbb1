"""Home page and role landing pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from exam_engine.web.security import role_required

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Any:
    """Send visitors to sign in and users to their dashboard."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("candidate.dashboard"))


@bp.get("/admin")
@role_required("admin")
def admin_home() -> Any:
    """Admin landing page."""
    return render_template("main/admin.html")


@bp.get("/instructor")
@role_required("instructor")
def instructor_home() -> Any:
    """Instructor landing page."""
    return render_template("main/instructor.html")
