"""Result API: a finished attempt's scores, weak areas and readiness estimates."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for

from exam_engine.web.api import bp
from exam_engine.web.candidate.results import own_scorecard
from exam_engine.web.security import login_required


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def attempt_result(attempt_id: int) -> Any:
    """The scorecard as JSON; 409 while the attempt is in progress, 404 if not the caller's."""
    body = own_scorecard(attempt_id).to_dict()
    body["scorecard_url"] = url_for("candidate.scorecard", attempt_id=attempt_id)
    body["review_url"] = url_for("candidate.review", attempt_id=attempt_id)
    return jsonify(body)
