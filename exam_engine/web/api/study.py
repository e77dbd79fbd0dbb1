"""Study API: the review queue."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user

from exam_engine.extensions import current_session
from exam_engine.services import study
from exam_engine.web.api import bp
from exam_engine.web.clock import now
from exam_engine.web.security import login_required


@bp.get("/review/due")
@login_required
def review_due() -> Any:
    """The items due for review today (each with key, subdomain, due), soonest first."""
    session = current_session()
    moment = now()
    summary = study.summary(session, current_user.id, now=moment)
    items = study.due_items(session, current_user.id, now=moment)
    return jsonify(
        items=[item.to_dict() for item in items],
        count=len(items),
        in_queue=summary.in_queue,
        streak=summary.streak,
    )
