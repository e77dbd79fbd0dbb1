"""Results pages of finished attempts: scorecard, review, history."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from exam_engine.extensions import current_session
from exam_engine.services import attempts
from exam_engine.web.candidate import bp
from exam_engine.web.candidate.routes import open_attempt
from exam_engine.web.security import login_required


@bp.get("/attempts/<int:attempt_id>/scorecard")
@login_required
def scorecard(attempt_id: int) -> Any:
    """The result of a finished attempt."""
    attempt = open_attempt(attempt_id)
    if attempt.status == "in_progress":
        flash("This exam is still in progress.", "info")
        return redirect(url_for("candidate.summary", attempt_id=attempt_id))
    return render_template("candidate/scorecard.html", attempt=attempt, result=attempt.result)


@bp.get("/history")
@login_required
def history() -> Any:
    """All of the candidate's attempts."""
    mine = attempts.user_attempts(current_session(), current_user.id)
    return render_template("candidate/history.html", attempts=mine)
