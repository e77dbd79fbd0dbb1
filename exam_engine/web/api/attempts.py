"""Attempt API used by the exam page (and by any other client)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_login import current_user

from exam_engine.domain.plurals import plural
from exam_engine.extensions import current_session
from exam_engine.services import attempts, launch, practice
from exam_engine.services.attempt_views import (
    attempt_json,
    iso,
    own_response_views,
    reveals_nothing,
    unanswered_views,
)
from exam_engine.services.calibration import check
from exam_engine.services.errors import ValidationFailed
from exam_engine.web.api import bp
from exam_engine.web.clock import grace_seconds, now
from exam_engine.web.observability import count_save
from exam_engine.web.security import login_required


def json_body() -> dict[str, Any]:
    """Return the request's JSON object, or raise a 400 that says what is wrong."""
    if not request.is_json:
        raise ValidationFailed("body: expected JSON with Content-Type: application/json")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed("body: expected a JSON object")
    return data


def _attempt_payload(attempt_id: int) -> dict[str, Any]:
    session = current_session()
    attempt = attempts.get_attempt(session, current_user.id, attempt_id)
    attempts.touch(session, attempt, now(), grace_seconds())
    if reveals_nothing(attempt):
        # A reload, or a start retried after its reply was lost, of an attempt in progress:
        # one narrow query. Under a start surge, clients that gave up on a slow reply retry,
        # and loading 90 items with full versions for each retry fed the surge.
        rows = attempts.response_rows(session, attempt_id)
        seq = max((row.last_seq for row in rows), default=0)
        return attempt_json(attempt, now(), seq=seq, views=own_response_views(rows))
    attempt = attempts.load_for_view(session, current_user.id, attempt_id)
    return attempt_json(attempt, now(), seq=attempts.attempt_seq(session, attempt_id))


@bp.post("/attempts")
@login_required
def create_attempt() -> Any:
    """Start an attempt of a template: 201 with the form as the candidate sees it.

    When the candidate already has an attempt of that template open, it is answered instead
    (200, same body, with the saved responses), so retrying a start whose reply was lost
    never makes a second attempt.
    """
    data = json_body()
    unknown = set(data) - {"template"}
    if unknown:
        raise ValidationFailed(
            f"body: unknown {plural(len(unknown), 'field')} {', '.join(sorted(unknown))}"
        )
    template = data.get("template")
    if not isinstance(template, str) or not template:
        raise ValidationFailed("template: expected a template name (string)")
    session = current_session()
    started, resumed = launch.start_or_resume(session, current_user.id, template, now=now())
    if resumed:
        payload = _attempt_payload(started.id)
    else:
        # A new attempt has no answers, no saves and nothing to reveal: stems and options do.
        views = unanswered_views(attempts.response_rows(session, started.id))
        payload = attempt_json(started, now(), seq=0, views=views)
    if template == check.READINESS_TEMPLATE:
        payload["adaptive"] = True
        payload["next_url"] = url_for("api.next_item", attempt_id=started.id)
    response = jsonify(payload)
    response.status_code = 200 if resumed else 201
    response.headers["Location"] = url_for("api.get_attempt", attempt_id=started.id)
    return response


@bp.get("/attempts/<int:attempt_id>")
@login_required
def get_attempt(attempt_id: int) -> Any:
    """The attempt with the candidate's responses, so that a reload restores everything."""
    return jsonify(_attempt_payload(attempt_id))


@bp.get("/attempts/<int:attempt_id>/next")
@login_required
def next_item(attempt_id: int) -> Any:
    """A readiness check's next item once the last is answered, or ``{"done": true}``.

    Asking again before answering the last item returns that item again: nothing is added.
    """
    step = check.advance(
        current_session(), current_user.id, attempt_id, now=now(), grace_seconds=grace_seconds()
    )
    if step.done:
        return jsonify(
            done=True,
            id=attempt_id,
            result_url=url_for("api.attempt_result", attempt_id=attempt_id),
            scorecard_url=url_for("candidate.scorecard", attempt_id=attempt_id),
        )
    rows = attempts.response_rows(current_session(), attempt_id)
    view = unanswered_views([r for r in rows if r.position == step.position])[0]
    return jsonify(
        done=False,
        id=attempt_id,
        position=step.position,
        item={
            "position": view.position,
            "stem": view.stem,
            "options": [{"id": o.id, "text": o.text} for o in view.options],
        },
    )


@bp.put("/attempts/<int:attempt_id>/responses/<int(signed=True):position>")
@login_required
def put_response(attempt_id: int, position: int) -> Any:
    """Save one position's answer and flag; 409 once the time is up (never reveals a key)."""
    data = json_body()
    unknown = set(data) - {"choice", "flagged", "seq", "struck"}
    if unknown:
        raise ValidationFailed(
            f"body: unknown {plural(len(unknown), 'field')} {', '.join(sorted(unknown))}"
        )
    choice = data.get("choice")
    if choice is not None and not isinstance(choice, str):
        raise ValidationFailed("choice: expected an option id (string) or null")
    flagged = data.get("flagged", False)
    if not isinstance(flagged, bool):
        raise ValidationFailed("flagged: expected true or false")
    struck = data.get("struck")
    if struck is not None and (
        not isinstance(struck, list)
        or not all(isinstance(o, str) and o in attempts.OPTION_IDS for o in struck)
        or len(set(struck)) != len(struck)
    ):
        raise ValidationFailed("struck: expected a list of distinct option ids (A-D)")
    seq = data.get("seq")
    if isinstance(seq, float) and seq.is_integer():
        # JSON has one number type: 7.0 is the integer 7 (as JSON Schema says too).
        seq = int(seq)
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= 2**31 - 1:
        raise ValidationFailed("seq: expected a positive integer")
    if position < 1:
        raise ValidationFailed("position: must be 1 or more")
    moment = now()
    session = current_session()
    result = attempts.save_response(
        session,
        current_user.id,
        attempt_id,
        position,
        choice=choice,
        flagged=flagged,
        seq=seq,
        now=moment,
        grace_seconds=grace_seconds(),
        struck=struck,
    )
    count_save(result.accepted)
    attempt = attempts.get_attempt(session, current_user.id, attempt_id)
    body: dict[str, Any] = {
        "position": result.position,
        "accepted": result.accepted,
        "choice": result.choice,
        "flagged": result.flagged,
        "seq": result.seq,
        "attempt_seq": result.attempt_seq,
        "saved_at": iso(result.saved_at),
        "remaining_seconds": attempts.remaining_seconds(attempt, moment),
        "struck": list(result.struck),
    }
    return jsonify(body)


@bp.post("/attempts/<int:attempt_id>/responses/<int(signed=True):position>/check")
@login_required
def check_response(attempt_id: int, position: int) -> Any:
    """Practice: reveal a position's key and rationales and lock its answer (idempotent)."""
    if position < 1:
        raise ValidationFailed("position: must be 1 or more")
    feedback = practice.check_answer(
        current_session(),
        current_user.id,
        attempt_id,
        position,
        now=now(),
        grace_seconds=grace_seconds(),
    )
    return jsonify(feedback)


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit_attempt(attempt_id: int) -> Any:
    """Submit; submitting twice returns the same result."""
    attempt = attempts.submit_attempt(
        current_session(), current_user.id, attempt_id, now=now(), grace_seconds=grace_seconds()
    )
    return jsonify(
        id=attempt.id,
        status=attempt.status,
        submitted_at=iso(attempt.submitted_at),
        result_url=url_for("candidate.scorecard", attempt_id=attempt.id),
        score=(attempt.result or {}).get("score"),
    )
