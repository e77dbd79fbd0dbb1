"""Home page, role landing pages and the site icon."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from exam_engine.domain.vocabulary import Role
from exam_engine.web.security import role_required

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Any:
    """Send visitors to sign in and users to their dashboard."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("candidate.dashboard"))


@bp.get("/instructor")
@role_required(Role.INSTRUCTOR)
def instructor_home() -> Any:
    """Instructor landing page."""
    return render_template("main/instructor.html")


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Serve the SVG icon where browsers look for one by default (pages link it too)."""
    # Read into memory rather than streaming a file: it is tiny, and no handle stays open.
    icon = Path(str(current_app.static_folder), "favicon.svg").read_bytes()
    response = current_app.response_class(icon, mimetype="image/svg+xml")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    response.add_etag()
    return response.make_conditional(request)
