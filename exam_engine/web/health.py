"""Liveness, database and (when one is configured) job queue check for load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from exam_engine.extensions import csrf, current_session, db
from exam_engine.services import jobs
from exam_engine.services.transaction import discard

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():  # type: ignore[no-untyped-def]
    """200 when the database (and Redis, when configured) answers; 503 otherwise.

    Redis down is ``"status": "degraded"`` with ``"queue": "unreachable"``: sessions, sign-in
    counters and jobs live there, so a host without it should take no traffic either.
    """
    body: dict[str, object] = {"status": "ok", "database": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        discard(current_session())
        body.update(status="error", database="unreachable")
    queue = jobs.queue_health(jobs.queue.settings())
    if queue is not None:
        body.update(queue)
        if queue["queue"] != "ok" and body["status"] == "ok":
            body["status"] = "degraded"
    return jsonify(body), 200 if body["status"] == "ok" else 503
