"""The calibration page: stored IRT parameters per item version, and the button that refits."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from exam_engine.domain.irt.model import MODELS
from exam_engine.extensions import current_session
from exam_engine.services import calibration, item_stats, jobs
from exam_engine.services.jobs import names
from exam_engine.web.stats import bp
from exam_engine.web.stats.forms import CalibrateForm
from exam_engine.web.stats.routes import instructor_only


@bp.get("/calibration")
@instructor_only
def calibration_page() -> Any:
    """Parameters, SEs, responses and fit of every calibrated version (never refits)."""
    model = request.args.get("model", "rasch")
    if model not in MODELS:
        abort(400, f"model: must be one of {', '.join(MODELS)}")
    minimum = item_stats.min_responses_setting(current_app.config)
    listing = calibration.calibration_listing(current_session(), model=model, min_responses=minimum)
    form = CalibrateForm(model=model)
    job = jobs.latest_job(current_session(), names.CALIBRATE)
    return render_template(
        "stats/calibration.html", listing=listing, form=form, models=MODELS, job=job
    )


@bp.post("/calibrate")
@instructor_only
def calibrate() -> Any:
    """Refit the chosen model now (the same as ``flask bank calibrate``)."""
    form = CalibrateForm()
    if not form.validate():
        abort(400, "model: " + " ".join(form.model.errors or ["invalid"]))
    model = form.model.data or "rasch"
    session = current_session()
    job_id = jobs.enqueue(session, names.CALIBRATE, user_id=current_user.id, model=model)
    assert job_id is not None
    job = jobs.job_view(session, job_id)
    result = job.result or {}
    if job.status == "failed":
        flash(f"Calibration failed: {job.error}", "error")
    elif job.status != "done":
        flash(f"Calibration {job.summary}: the line under the button follows it.", "info")
    else:
        flash(
            f"Calibrated {result['items']:,} item versions ({model}) from "
            f"{result['attempts']:,} finished mock attempts in {result['seconds']:.1f} s"
            + ("." if result["converged"] else " (the fit did NOT converge)."),
            "success" if result["converged"] else "error",
        )
    return redirect(url_for("stats.calibration_page", model=model), 303)
