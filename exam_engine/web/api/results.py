"""Result API: a finished attempt's scores, weak areas and readiness estimates."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for
from flask_login import current_user

from exam_engine.extensions import current_session
from exam_engine.services import scorecards
from exam_engine.web.api import bp
from exam_engine.web.clock import grace_seconds, now
from exam_engine.web.security import login_required


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def attempt_result(attempt_id: int) -> Any:
    """The scorecard as JSON; 409 while the attempt is in progress, 404 if not the caller's."""
    card = scorecards.build_scorecard(
        current_session(),
        current_user.id,
        attempt_id,
        now=now(),
        grace_seconds=grace_seconds(),
        target=float(current_app.config["WEAK_TARGET"]),
    )
    body = card.to_dict()
    body["scorecard_url"] = url_for("candidate.scorecard", attempt_id=attempt_id)
    body["review_url"] = url_for("candidate.review", attempt_id=attempt_id)
    return jsonify(body)
