"""Candidate views: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from exam_engine.domain.vocabulary import AttemptStatus, Mode
from exam_engine.extensions import current_session
from exam_engine.services import attempts, catalog, cohorts, launch, practice
from exam_engine.services.attempt_views import item_view
from exam_engine.services.calibration import check
from exam_engine.services.errors import Conflict
from exam_engine.web.candidate import bp
from exam_engine.web.candidate.forms import AnswerForm, StartForm, SubmitForm
from exam_engine.web.candidate.moves import pass_moves
from exam_engine.web.clock import grace_seconds, now
from exam_engine.web.security import login_required


def open_attempt(attempt_id: int) -> Any:
    """Load the user's attempt for display, finalizing it first if its time is up."""
    session = current_session()
    attempt = attempts.get_attempt(session, current_user.id, attempt_id)
    attempts.touch(session, attempt, now(), grace_seconds())
    return attempts.load_for_view(session, current_user.id, attempt_id)


@bp.get("/dashboard")
@login_required
def dashboard() -> Any:
    """Templates to start, attempts in progress, past results."""
    session = current_session()
    moment = now()
    mine = attempts.user_attempts(session, current_user.id)
    for attempt in mine:
        attempts.touch(session, attempt, moment, grace_seconds())
    return render_template(
        "candidate/dashboard.html",
        templates=catalog.list_templates(session),
        in_progress=[a for a in mine if a.status == AttemptStatus.IN_PROGRESS],
        finished=[a for a in mine if a.status != AttemptStatus.IN_PROGRESS],
        form=StartForm(),
        now=moment,
        assigned=cohorts.assigned_to(session, current_user.id, now=moment),
        invitations=cohorts.pending_for(session, current_user.id),
    )


@bp.get("/exams/<name>/instructions")
@login_required
def instructions(name: str) -> Any:
    """What a timed mock is like, before its clock starts: Start on this page starts it."""
    session = current_session()
    template = catalog.get_template(session, name)
    if template.mode != Mode.EXAM or name == check.READINESS_TEMPLATE:
        abort(404, f"{template.title} is untimed: start it from the dashboard.")
    running = attempts.open_attempt(session, current_user.id, name, now())
    if running is not None:
        return redirect(url_for("candidate.resume", attempt_id=running.id), 303)
    multiplier = current_user.time_multiplier
    return render_template(
        "candidate/instructions.html",
        title=template.title,
        cohort_name=None,
        item_count=template.item_count,
        base_minutes=template.minutes,
        multiplier=multiplier,
        minutes=template.minutes * multiplier,
        action=url_for("candidate.start"),
        form=StartForm(template=name),
    )


@bp.get("/assignments/<int:assignment_id>/instructions")
@login_required
def assignment_instructions(assignment_id: int) -> Any:
    """The instructions of a mock a cohort assigned, before its clock starts."""
    moment = now()
    mine = cohorts.assigned_to(current_session(), current_user.id, now=moment)
    mock = next((m for m in mine if m.assignment_id == assignment_id), None)
    if mock is None:
        abort(404, f"assignment {assignment_id} is not one of yours")
    if mock.action == "resume" and mock.attempt_id is not None:
        return redirect(url_for("candidate.resume", attempt_id=mock.attempt_id), 303)
    if mock.action != "start":
        flash(f"{mock.title} cannot be started now.", "error")
        return redirect(url_for("candidate.dashboard"), 303)
    return render_template(
        "candidate/instructions.html",
        title=mock.title,
        cohort_name=mock.cohort_name,
        item_count=mock.item_count,
        base_minutes=None,
        multiplier=None,
        minutes=mock.minutes,
        action=url_for("cohorts.start_assignment", assignment_id=assignment_id),
        form=StartForm(),
    )


@bp.post("/attempts")
@login_required
def start() -> Any:
    """Start a mock: assemble the form and go to question 1."""
    form = StartForm()
    if not form.validate():
        abort(400, "Choose an exam template to start.")
    try:
        attempt, resumed = launch.start_or_resume(
            current_session(), current_user.id, form.template.data or "", now=now()
        )
    except Conflict as error:
        flash(str(error), "error")
        return redirect(url_for("candidate.dashboard")), 303
    position = 1
    if resumed:
        flash("You already have this exam in progress: carry on where you left off.", "info")
        position = attempts.resume_position(attempt)
    return redirect(url_for("candidate.question", attempt_id=attempt.id, position=position)), 303


@bp.get("/attempts/<int:attempt_id>/resume")
@login_required
def resume(attempt_id: int) -> Any:
    """Back to the question last opened (or the first unanswered), or to the results."""
    attempt = open_attempt(attempt_id)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return redirect(url_for("candidate.scorecard", attempt_id=attempt_id), 303)
    position = attempts.resume_position(attempt)
    return redirect(url_for("candidate.question", attempt_id=attempt_id, position=position), 303)


@bp.route("/attempts/<int:attempt_id>/q/<int:position>", methods=["GET", "POST"])
@login_required
def question(attempt_id: int, position: int) -> Any:
    """One question a page; POST saves the answer without JavaScript."""
    attempt = open_attempt(attempt_id)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return redirect(url_for("candidate.scorecard", attempt_id=attempt_id))
    items = attempt.items
    if not 1 <= position <= len(items):
        abort(404, f"This exam has questions 1 to {len(items)}.")
    item = items[position - 1]
    view = item_view(attempt, item)
    form = AnswerForm()
    form.choice.choices = [(o.id, o.text) for o in view.options]
    if request.method == "POST":
        if not form.validate():
            abort(400, "That answer is not one of the options shown.")
        session = current_session()
        # A checked practice answer is shown disabled, so the browser does not send it back.
        choice = view.choice if view.feedback else (form.choice.data or None)
        attempts.save_response(
            session,
            current_user.id,
            attempt_id,
            position,
            choice=choice,
            flagged=bool(form.flagged.data),
            seq=attempts.attempt_seq(session, attempt_id) + 1,
            now=now(),
            grace_seconds=grace_seconds(),
        )
        if attempt.mode == Mode.PRACTICE and form.go.data == "check":
            if choice is None:
                flash("Choose an answer first, then check it.", "error")
            else:
                practice.check_answer(
                    session,
                    current_user.id,
                    attempt_id,
                    position,
                    now=now(),
                    grace_seconds=grace_seconds(),
                )
        adaptive = attempt.template.name == check.READINESS_TEMPLATE
        if adaptive and form.go.data == "next" and position >= len(items):
            return redirect(url_for("candidate.check_next", attempt_id=attempt_id), 303)
        target = _next_target(form.go.data, attempt_id, position, len(items), attempt.mode)
        if request.form.get("only") == "flagged" and "/q/" in target:
            target += "?only=flagged"
        return redirect(target, 303)
    form.choice.data = view.choice
    form.flagged.data = view.flagged
    attempts.note_position(current_session(), current_user.id, attempt_id, position)
    moves = pass_moves(items, position, only_flagged=request.args.get("only") == "flagged")
    return render_template(
        "candidate/question.html",
        attempt=attempt,
        item=view,
        items=items,
        moves=moves,
        flagged=moves.flagged,
        only_flagged=moves.only_flagged,
        form=form,
        total=len(items),
        remaining=attempts.remaining_seconds(attempt, now()),
        seq=attempts.attempt_seq(current_session(), attempt_id),
        adaptive=attempt.template.name == check.READINESS_TEMPLATE,
    )


@bp.get("/attempts/<int:attempt_id>/next")
@login_required
def check_next(attempt_id: int) -> Any:
    """A readiness check's next question (chosen now), or its scorecard once it has stopped."""
    step = check.advance(
        current_session(), current_user.id, attempt_id, now=now(), grace_seconds=grace_seconds()
    )
    if step.done:
        return redirect(url_for("candidate.scorecard", attempt_id=attempt_id), 303)
    return redirect(
        url_for("candidate.question", attempt_id=attempt_id, position=step.position), 303
    )


def _next_target(go: str | None, attempt_id: int, position: int, total: int, mode: str) -> str:
    """Where a non-JavaScript save goes next."""
    if mode == Mode.PRACTICE and go == "check":
        return url_for("candidate.question", attempt_id=attempt_id, position=position)
    if go == "prev" and position > 1:
        return url_for("candidate.question", attempt_id=attempt_id, position=position - 1)
    if go == "summary" or (go == "next" and position >= total):
        return url_for("candidate.summary", attempt_id=attempt_id)
    if go and go.isdigit() and 1 <= int(go) <= total:
        return url_for("candidate.question", attempt_id=attempt_id, position=int(go))
    if go == "stay":
        return url_for("candidate.question", attempt_id=attempt_id, position=position)
    return url_for("candidate.question", attempt_id=attempt_id, position=min(position + 1, total))


@bp.get("/attempts/<int:attempt_id>/summary")
@login_required
def summary(attempt_id: int) -> Any:
    """Unanswered and flagged positions before the final submit."""
    attempt = open_attempt(attempt_id)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return redirect(url_for("candidate.scorecard", attempt_id=attempt_id))
    return _render_summary(attempt, SubmitForm())


def _render_summary(attempt: Any, form: SubmitForm, status: int = 200) -> Any:
    items = attempt.items
    return (
        render_template(
            "candidate/summary.html",
            attempt=attempt,
            items=items,
            unanswered=[i.position for i in items if i.choice is None],
            flagged=[i.position for i in items if i.flagged],
            form=form,
            remaining=attempts.remaining_seconds(attempt, now()),
            seq=attempts.attempt_seq(current_session(), attempt.id),
        ),
        status,
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int) -> Any:
    """Final submit (asks for confirmation); submitting twice changes nothing."""
    attempt = open_attempt(attempt_id)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        form = SubmitForm()
        if not form.validate():
            return _render_summary(attempt, form, 400)
        attempts.submit_attempt(
            current_session(), current_user.id, attempt_id, now=now(), grace_seconds=grace_seconds()
        )
    return redirect(url_for("candidate.scorecard", attempt_id=attempt_id), 303)
