"""Cohort views: parse, call a service, render.

Instructor pages check the role first (candidates get 403), then the service checks that the
instructor teaches this cohort (another cohort is 404, never a hint that it exists).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from exam_engine.domain.moments import NoSuchLocalTime, local_to_utc
from exam_engine.domain.vocabulary import FINISHED, AttemptStatus, Mode, Role, ScoreScale
from exam_engine.extensions import current_session
from exam_engine.models import Cohort
from exam_engine.services import attempts, catalog, cohorts, scorecards
from exam_engine.services.errors import ServiceError, ValidationFailed
from exam_engine.web.clock import grace_seconds, now
from exam_engine.web.cohorts import bp
from exam_engine.web.cohorts.forms import (
    ActionForm,
    AssignmentForm,
    CohortForm,
    JoinCodeForm,
    JoinForm,
    MultiplierForm,
    RosterForm,
)
from exam_engine.web.cohorts.heatmap import heatmap_rows
from exam_engine.web.security import login_required, role_required
from exam_engine.web.zones import user_zone, zone_label

instructor_only = role_required(Role.INSTRUCTOR)
bp.add_app_template_global(heatmap_rows, "cohort_heatmap_rows")


def _cohort(cohort_id: int) -> Cohort:
    """The cohort, if the signed-in user may manage it (else NotFound, rendered as 404)."""
    return cohorts.managed_cohort(current_session(), current_user.id, cohort_id)


def _target() -> float:
    return float(current_app.config["WEAK_TARGET"])


def _sentence(error: ServiceError) -> str:
    """A service message as a sentence for a form (services write it lower case)."""
    text = str(error)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _window_in_utc(form: AssignmentForm) -> tuple[datetime, datetime] | None:
    """Read the window's two wall-clock times in the instructor's zone as UTC moments.

    A time the zone skips is an error on its field (None back), not a silent hour's shift.
    """
    zone = user_zone()
    moments: list[datetime] = []
    for field in (form.opens_at, form.closes_at):
        assert field.data is not None  # InputRequired
        try:
            moments.append(local_to_utc(field.data, zone))
        except NoSuchLocalTime:
            field.errors.append(
                f"{field.data:%Y-%m-%d %H:%M} does not exist in {zone_label()} "
                "(the clocks skip it): choose another time."
            )
    return (moments[0], moments[1]) if len(moments) == 2 else None


def _assignment_form() -> AssignmentForm:
    form = AssignmentForm()
    form.opens_at.label.text = f"Opens ({zone_label()})"
    form.closes_at.label.text = f"Closes ({zone_label()})"
    form.template.choices = [
        (t.name, t.title) for t in catalog.list_templates(current_session()) if t.mode == Mode.EXAM
    ]
    return form


def _redirect_to(cohort_id: int, anchor: str = "") -> Any:
    return redirect(url_for("cohorts.manage", cohort_id=cohort_id) + anchor, 303)


@bp.get("/")
@login_required
def index() -> Any:
    """The cohorts the user teaches (all of them for an admin) and those they study in."""
    teaching, studying = cohorts.list_cohorts(current_session(), current_user.id)
    return render_template(
        "cohorts/index.html",
        teaching=teaching,
        studying=studying,
        form=CohortForm(),
        join_form=JoinForm(formdata=None),
    )


@bp.post("/")
@instructor_only
def create() -> Any:
    """Create a cohort taught by the signed-in instructor."""
    form = CohortForm()
    if form.validate():
        try:
            cohort = cohorts.create_cohort(current_session(), form.name.data or "", current_user.id)
        except ValidationFailed as error:
            form.name.errors.append(str(error).partition(": ")[2] or str(error))
        else:
            flash(
                f"Cohort {cohort.name} created. Invite students with a join code or a roster.",
                "success",
            )
            return _redirect_to(cohort.id)
    teaching, studying = cohorts.list_cohorts(current_session(), current_user.id)
    return (
        render_template(
            "cohorts/index.html",
            teaching=teaching,
            studying=studying,
            form=form,
            join_form=JoinForm(formdata=None),
        ),
        400,
    )


@bp.route("/join", methods=["GET", "POST"])
@login_required
def join() -> Any:
    """A student joins by code: GET shows the cohort the code opens, POST joins it."""
    session = current_session()
    form = JoinForm(
        request.form if request.method == "POST" else request.args,
        meta={"csrf": request.method == "POST"},
    )
    cohort = None
    status = 200
    if request.method == "GET" and form.code.data:
        try:
            cohort = cohorts.cohort_for_code(session, form.code.data, now=now())
        except ServiceError as error:
            form.code.errors = [_sentence(error)]
            status = error.status
    elif request.method == "POST":
        if form.validate():
            try:
                cohort, added = cohorts.join_by_code(
                    session, current_user.id, form.code.data or "", now=now()
                )
            except ServiceError as error:
                form.code.errors = [_sentence(error)]
                status = error.status
            else:
                flash(
                    f"You joined {cohort.name}." if added else f"You are already in {cohort.name}.",
                    "success",
                )
                return redirect(url_for("candidate.dashboard"), 303)
        else:
            status = 400
    return render_template("cohorts/join.html", form=form, cohort=cohort), status


@bp.post("/assignments/<int:assignment_id>/start")
@login_required
def start_assignment(assignment_id: int) -> Any:
    """Start (or resume) an assigned mock inside its window; 409 outside it."""
    attempt = cohorts.start_assignment(
        current_session(), current_user.id, assignment_id, now=now(), grace_seconds=grace_seconds()
    )
    return redirect(url_for("candidate.resume", attempt_id=attempt.id), 303)


@bp.post("/invitations/<int:invitation_id>/accept")
@login_required
def accept_invitation(invitation_id: int) -> Any:
    """Join the cohort an invitation made out to the user's email offers."""
    cohort, added = cohorts.accept_invitation(
        current_session(), current_user.id, invitation_id, now=now()
    )
    flash(
        f"You joined {cohort.name}." if added else f"You are already in {cohort.name}.", "success"
    )
    return redirect(url_for("candidate.dashboard"), 303)


@bp.post("/invitations/<int:invitation_id>/decline")
@login_required
def decline_invitation(invitation_id: int) -> Any:
    """Say no to an invitation; the instructor's roster upload cannot enrol the user."""
    cohort = cohorts.decline_invitation(
        current_session(), current_user.id, invitation_id, now=now()
    )
    flash(f"You declined the invitation to {cohort.name}.", "info")
    return redirect(url_for("candidate.dashboard"), 303)


# --- one cohort: roster, join code, assignments ---------------------------------------------


def _render_manage(cohort: Cohort, status: int = 200, **forms: Any) -> Any:
    session = current_session()
    moment = now()
    join_url = None
    if cohort.join_code:
        join_url = url_for("cohorts.join", code=cohort.join_code, _external=True)
    context = {
        "code_form": JoinCodeForm(formdata=None),
        "roster_form": RosterForm(formdata=None),
        "assignment_form": _assignment_form(),
        "action_form": ActionForm(),
        "multiplier_form": MultiplierForm(formdata=None),
        "roster_problems": [],
    }
    context.update(forms)
    return (
        render_template(
            "cohorts/manage.html",
            cohort=cohort,
            members=cohorts.members(session, cohort.id),
            assignments=cohorts.assignment_lines(session, cohort.id),
            join_url=join_url,
            code_expired=bool(
                cohort.join_code_expires_at and cohort.join_code_expires_at <= moment
            ),
            now=moment,
            roster_job_rows=cohorts.ROSTER_JOB_ROWS,
            **context,
        ),
        status,
    )


@bp.get("/<int:cohort_id>")
@instructor_only
def manage(cohort_id: int) -> Any:
    """Roster, join code and assigned mocks of one cohort."""
    return _render_manage(_cohort(cohort_id))


@bp.post("/<int:cohort_id>/join-code")
@instructor_only
def new_join_code(cohort_id: int) -> Any:
    """Issue a fresh join code (the old one stops working)."""
    cohort = _cohort(cohort_id)
    form = JoinCodeForm()
    if not form.validate():
        return _render_manage(cohort, 400, code_form=form)
    code = cohorts.new_join_code(
        current_session(), current_user.id, cohort, now=now(), days=int(form.days.data or 0)
    )
    flash(f"New join code {code}, valid for {form.days.data} days.", "success")
    return _redirect_to(cohort_id, "#invite-heading")


@bp.post("/<int:cohort_id>/join-code/revoke")
@instructor_only
def revoke_join_code(cohort_id: int) -> Any:
    """Stop the join code from working."""
    cohorts.revoke_join_code(current_session(), current_user.id, _cohort(cohort_id))
    flash("The join code no longer works.", "info")
    return _redirect_to(cohort_id, "#invite-heading")


@bp.post("/<int:cohort_id>/roster")
@instructor_only
def upload_roster(cohort_id: int) -> Any:
    """Invite a CSV roster (all or nothing): each person accepts before they are enrolled.

    A large roster runs as a job: the answer is its page, with progress and, at the end,
    each row's outcome.
    """
    cohort = _cohort(cohort_id)
    form = RosterForm()
    if not form.validate():
        return _render_manage(cohort, 400, roster_form=form)
    upload: Any = form.file.data
    try:
        if upload is not None and upload.filename:
            text = cohorts.decode_upload(upload.read())
        elif form.text.data and form.text.data.strip():
            text = form.text.data
        else:
            raise ValidationFailed("roster: choose a CSV file or paste the lines")
        outcome = cohorts.submit_roster(current_session(), current_user.id, cohort, text, now=now())
    except cohorts.RosterRejected as error:
        return _render_manage(cohort, 400, roster_form=form, roster_problems=list(error.problems))
    except ValidationFailed as error:
        return _render_manage(cohort, 400, roster_form=form, roster_problems=[str(error)])
    if isinstance(outcome, int):
        return redirect(url_for("jobs.job_page", job_id=outcome), 303)
    response = make_response(
        render_template("cohorts/roster_result.html", cohort=cohort, report=outcome)
    )
    # The page lists people's emails: never keep it in a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:cohort_id>/students/<int:user_id>/remove")
@instructor_only
def remove_student(cohort_id: int, user_id: int) -> Any:
    """Take a student off the roster."""
    user = cohorts.remove_student(current_session(), current_user.id, _cohort(cohort_id), user_id)
    flash(f"{user.name or user.email} is no longer in this cohort.", "info")
    return _redirect_to(cohort_id, "#roster-heading")


@bp.post("/<int:cohort_id>/students/<int:user_id>/time-multiplier")
@instructor_only
def set_multiplier(cohort_id: int, user_id: int) -> Any:
    """Set a student's time accommodation (1.0-4.0)."""
    cohort = _cohort(cohort_id)
    form = MultiplierForm()
    if not form.validate():
        message = " ".join(form.multiplier.errors) or "Enter a multiplier between 1.0 and 4.0."
        raise ValidationFailed(f"time multiplier: {message}")
    membership = cohorts.set_student_multiplier(
        current_session(), current_user.id, cohort, user_id, float(form.multiplier.data or 0)
    )
    user = membership.user
    flash(
        f"{user.name or user.email} now gets x{membership.time_multiplier:g} time on this "
        "cohort's assigned mocks.",
        "success",
    )
    return _redirect_to(cohort_id, "#roster-heading")


@bp.post("/<int:cohort_id>/assignments")
@instructor_only
def create_assignment(cohort_id: int) -> Any:
    """Assign a mock with an opening and closing time, typed in the instructor's zone."""
    cohort = _cohort(cohort_id)
    form = _assignment_form()
    if not form.validate():
        return _render_manage(cohort, 400, assignment_form=form)
    window = _window_in_utc(form)
    if window is None:
        return _render_manage(cohort, 400, assignment_form=form)
    opens, closes = window
    try:
        cohorts.create_assignment(
            current_session(),
            current_user.id,
            cohort,
            form.template.data or "",
            opens_at=opens,
            closes_at=closes,
        )
    except ValidationFailed as error:
        name, _, message = str(error).partition(": ")
        getattr(form, name, form.template).errors.append(message or str(error))
        return _render_manage(cohort, 400, assignment_form=form)
    flash("Mock assigned. Students see it on their dashboard.", "success")
    return _redirect_to(cohort_id, "#assignments-heading")


@bp.post("/<int:cohort_id>/assignments/<int:assignment_id>/delete")
@instructor_only
def delete_assignment(cohort_id: int, assignment_id: int) -> Any:
    """Withdraw an assignment nobody has started."""
    cohorts.delete_assignment(current_session(), current_user.id, _cohort(cohort_id), assignment_id)
    flash("Assignment withdrawn.", "info")
    return _redirect_to(cohort_id, "#assignments-heading")


# --- scorecard, report, exports -------------------------------------------------------------


def _scale() -> ScoreScale:
    """The ``scale`` query parameter: percent (the default) or ability."""
    text = request.args.get("scale", ScoreScale.PERCENT)
    try:
        return ScoreScale(text)
    except ValueError:
        raise ValidationFailed(f"scale: {text!r} is not a scale (use percent or ability)") from None


def _view(
    cohort: Cohort, *, sortable: bool = True, with_abilities: bool = False
) -> cohorts.CohortView:
    session = current_session()
    cohorts.finalize_overdue(session, cohort.id, now=now(), grace_seconds=grace_seconds())
    sort = request.args.get("sort", "name") if sortable else "name"
    descending = request.args.get("dir", "asc") == "desc" if sortable else False
    return cohorts.scorecard(
        session,
        cohort,
        target=_target(),
        sort=sort,
        descending=descending,
        scale=_scale() if sortable else ScoreScale.PERCENT,
        with_abilities=with_abilities,
    )


@bp.get("/<int:cohort_id>/scorecard")
@instructor_only
def scorecard(cohort_id: int) -> Any:
    """Heatmap of students x sub-domains, averages, weakest areas, missed items, trend."""
    view = _view(_cohort(cohort_id))
    return render_template("cohorts/scorecard.html", view=view, now=now())


@bp.get("/<int:cohort_id>/report")
@instructor_only
def report(cohort_id: int) -> Any:
    """The cohort report, laid out for printing."""
    view = _view(_cohort(cohort_id))
    return render_template("cohorts/report.html", view=view, now=now())


def _csv(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:cohort_id>/scorecard.csv")
@instructor_only
def scorecard_csv(cohort_id: int) -> Any:
    """The heatmap as CSV: one row a student, percent and ability columns."""
    view = _view(_cohort(cohort_id), with_abilities=True)
    return _csv(cohorts.scorecard_csv(view), f"cohort-{cohort_id}-scorecard.csv")


@bp.get("/<int:cohort_id>/attempts.csv")
@instructor_only
def attempts_csv(cohort_id: int) -> Any:
    """Every student-attempt at the cohort's assignments as CSV."""
    cohort = _cohort(cohort_id)
    session = current_session()
    cohorts.finalize_overdue(session, cohort.id, now=now(), grace_seconds=grace_seconds())
    return _csv(cohorts.attempts_csv(session, cohort), f"cohort-{cohort_id}-attempts.csv")


# --- drill-down -----------------------------------------------------------------------------


@bp.get("/<int:cohort_id>/students/<int:user_id>")
@instructor_only
def student(cohort_id: int, user_id: int) -> Any:
    """One student's profile over this cohort's mocks (sub-domains, trend, pass estimate) and
    their attempts at its assignments."""
    cohort = _cohort(cohort_id)
    session = current_session()
    cohorts.finalize_overdue(session, cohort.id, now=now(), grace_seconds=grace_seconds())
    info = cohorts.student_in_cohort(session, cohort, user_id)
    sittings = cohorts.student_attempts(session, cohort, user_id)
    scale = _scale()
    abilities = None
    if scale == ScoreScale.ABILITY:
        finished = [s.attempt.id for s in sittings if s.attempt.status in FINISHED]
        abilities = cohorts.sitting_abilities(session, finished)
    profile = cohorts.student_profile(session, user_id, sittings, target=_target())
    return render_template(
        "cohorts/student.html",
        cohort=cohort,
        student=info,
        profile=profile,
        sittings=sittings,
        scale=scale,
        abilities=abilities,
        titles=cohorts.titles_of_blueprint(),
        multiplier_form=MultiplierForm(formdata=None, multiplier=info.time_multiplier),
    )


@bp.get("/<int:cohort_id>/attempts/<int:attempt_id>/scorecard")
@instructor_only
def attempt_scorecard(cohort_id: int, attempt_id: int) -> Any:
    """A student's attempt, from its cached result (the cohort's own route, not the owner's)."""
    cohort = _cohort(cohort_id)
    session = current_session()
    attempt, info = cohorts.cohort_attempt(session, cohort, attempt_id)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        attempts.touch(session, attempt, now(), grace_seconds())
    if attempt.status == AttemptStatus.IN_PROGRESS:
        flash(
            f"{info.label} is still sitting this mock; results open once it is submitted.", "info"
        )
        return redirect(url_for("cohorts.student", cohort_id=cohort_id, user_id=info.id), 303)
    card = scorecards.build_scorecard(
        session, info.id, attempt_id, now=now(), grace_seconds=grace_seconds(), target=_target()
    )
    return render_template(
        "cohorts/attempt_scorecard.html", cohort=cohort, student=info, card=card, attempt=attempt
    )


@bp.get("/<int:cohort_id>/attempts/<int:attempt_id>/review")
@instructor_only
def attempt_review(cohort_id: int, attempt_id: int) -> Any:
    """A student's finished attempt item by item: their answer, the key, the rationales."""
    cohort = _cohort(cohort_id)
    session = current_session()
    attempt, info = cohorts.cohort_attempt(session, cohort, attempt_id)
    attempts.touch(session, attempt, now(), grace_seconds())
    if attempt.status == AttemptStatus.IN_PROGRESS:
        flash(
            f"{info.label} is still sitting this mock; its review opens once it is submitted.",
            "info",
        )
        return redirect(url_for("cohorts.student", cohort_id=cohort_id, user_id=info.id), 303)
    wrong_only = request.args.get("wrong") == "1"
    review = scorecards.build_review(
        session,
        info.id,
        attempt_id,
        now=now(),
        grace_seconds=grace_seconds(),
        filters=scorecards.ReviewFilter(wrong_only=wrong_only),
    )
    return render_template(
        "cohorts/attempt_review.html",
        cohort=cohort,
        student=info,
        review=review,
        wrong_only=wrong_only,
    )
