"""Liveness and database check for load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from exam_engine.extensions import csrf, current_session, db
from exam_engine.services.transaction import discard

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():  # type: ignore[no-untyped-def]
    """Return 200 when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        discard(current_session())
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
