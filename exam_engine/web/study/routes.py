"""Study views: weak-area drills, the review queue, mastery over time."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from exam_engine.extensions import current_session
from exam_engine.services import study
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import Conflict
from exam_engine.web.clock import grace_seconds, now
from exam_engine.web.security import login_required
from exam_engine.web.study import bp
from exam_engine.web.study.forms import DrillForm, ReviewForm


def _drill_form() -> DrillForm:
    form = DrillForm()
    form.subdomains.choices = [
        (sub.code, f"{sub.code} {sub.title}")
        for domain in bundled_blueprint().domains
        for sub in domain.subdomains
    ]
    return form


def _target() -> float:
    return float(current_app.config.get("WEAK_TARGET", 0.65))


def _render_index(form: DrillForm, status: int = 200) -> Any:
    session = current_session()
    moment = now()
    summary = study.summary(session, current_user.id, now=moment)
    return (
        render_template(
            "study/index.html",
            summary=summary,
            due=study.due_items(session, current_user.id, now=moment),
            mastery=study.mastery_history(session, current_user.id, target=_target()),
            form=form,
            review_form=ReviewForm(),
        ),
        status,
    )


@bp.get("/")
@login_required
def index() -> Any:
    """Study home: the review queue, a drill to start, mastery over time."""
    return _render_index(_drill_form())


@bp.post("/drill")
@login_required
def drill() -> Any:
    """Start a weak-area drill and go to its first question."""
    form = _drill_form()
    if not form.validate():
        return _render_index(form, 400)
    try:
        attempt = study.start_weak_area_drill(
            current_session(), current_user.id, now=now(), subdomains=form.subdomains.data or ()
        )
    except Conflict as error:
        flash(f"No drill could be started: {error}", "error")
        return redirect(url_for("study.index"), 303)
    return redirect(url_for("candidate.question", attempt_id=attempt.id, position=1), 303)


@bp.get("/review")
@login_required
def review() -> Any:
    """Today's due items and a button to review them."""
    session = current_session()
    moment = now()
    return render_template(
        "study/review.html",
        summary=study.summary(session, current_user.id, now=moment),
        due=study.due_items(session, current_user.id, now=moment),
        form=ReviewForm(),
    )


@bp.post("/review")
@login_required
def start_review() -> Any:
    """Resume the open review session, or start one over today's due items."""
    form = ReviewForm()
    if not form.validate():
        flash("The form expired; press the button again.", "error")
        return redirect(url_for("study.review"), 303)
    try:
        attempt, position = study.start_review(
            current_session(), current_user.id, now=now(), grace_seconds=grace_seconds()
        )
    except Conflict as error:
        flash(f"{str(error).capitalize()}.", "info")
        return redirect(url_for("study.review"), 303)
    return redirect(url_for("candidate.question", attempt_id=attempt.id, position=position), 303)


def study_panel() -> study.StudySummary | None:
    """The dashboard's Study panel figures for the signed-in user (None when signed out)."""
    if not current_user.is_authenticated:
        return None
    return study.summary(current_session(), current_user.id, now=now())


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    # A function, not a value: only pages that show the panel pay for its queries.
    return {"study_panel": study_panel}
