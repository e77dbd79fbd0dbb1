"""Home page, role landing pages and the site icon."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from exam_engine.domain.vocabulary import Role
from exam_engine.extensions import current_session
from exam_engine.services.instructor_home import instructor_home as gather_home
from exam_engine.web.security import role_required
from exam_engine.web.stats.routes import SHORT_FLAG_LABELS

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Any:
    """Send visitors to sign in, instructors and admins to their home, candidates to theirs."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.has_role(Role.INSTRUCTOR):
        return redirect(url_for("main.instructor_home"))
    return redirect(url_for("candidate.dashboard"))


@bp.get("/instructor")
@role_required(Role.INSTRUCTOR)
def instructor_home() -> Any:
    """Instructor home: cohorts, reviews waiting, flagged items and recent imports."""
    home = gather_home(current_session(), current_user.id)
    return render_template("main/instructor.html", home=home, short_flag_labels=SHORT_FLAG_LABELS)


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
