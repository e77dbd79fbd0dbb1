"""Load-benchmark floor: the cheapest save this stack can do, for comparison with autosave.

Not part of the shipped package: the load benchmark serves ``floor_app:app``, which adds this
route to the app, so a deployment never has it. Like the real autosave it requires a
signed-in user and the CSRF token, then does one UPSERT of an attempt item's mutable columns
into ``bench_floor``, a scratch table that the benchmark creates and drops itself
(``benchmarks/load``): it is described here, not a model, and no migration creates it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, Table, bindparam, text

from exam_engine.extensions import current_session
from exam_engine.services.attempts import OPTION_IDS
from exam_engine.services.errors import ValidationFailed
from exam_engine.web.clock import now
from exam_engine.web.security import login_required

bp = Blueprint("benchmark_floor", __name__, url_prefix="/api/v1/benchmark-floor")

FLOOR = Table(
    "bench_floor",
    MetaData(),
    Column("attempt_id", Integer, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("choice", Integer),
    Column("flagged", Boolean, nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("saved_at", DateTime(timezone=True)),
)


# Built once, like the autosave's statements; the same SQL runs on PostgreSQL and SQLite.
UPSERT = text(
    "INSERT INTO bench_floor (attempt_id, position, choice, flagged, last_seq, saved_at)"
    " VALUES (:attempt_id, :position, :choice, :flagged, :last_seq, :saved_at)"
    " ON CONFLICT (attempt_id, position) DO UPDATE SET choice = excluded.choice,"
    " flagged = excluded.flagged, last_seq = excluded.last_seq, saved_at = excluded.saved_at"
    " WHERE bench_floor.last_seq < excluded.last_seq"
).bindparams(
    bindparam("flagged", type_=Boolean()), bindparam("saved_at", type_=DateTime(timezone=True))
)


@bp.put("/<int:attempt_id>/responses/<int:position>")
@login_required
def put_floor(attempt_id: int, position: int) -> Any:
    """One UPSERT (newest seq wins) and a commit; the body is the autosave's."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("body: expected a JSON object")
    seq, choice, flagged = data.get("seq"), data.get("choice"), data.get("flagged", False)
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise ValidationFailed("seq: expected a positive integer")
    if choice is not None and choice not in OPTION_IDS:
        raise ValidationFailed(f"choice: {choice!r} is not one of A, B, C, D or null")
    session = current_session()
    values = {
        "attempt_id": attempt_id,
        "position": position,
        "choice": None if choice is None else OPTION_IDS.index(choice),
        "flagged": bool(flagged),
        "last_seq": seq,
        "saved_at": now(),
    }
    session.execute(UPSERT, values)
    session.commit()
    return jsonify(seq=seq)


def register(app: Flask) -> None:
    """Add the floor route to an app (the benchmark's own entry point does)."""
    app.register_blueprint(bp)
