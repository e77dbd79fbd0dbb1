"""The calibration page: stored IRT parameters per item version, and the button that refits."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from exam_engine.domain.irt.model import MODELS
from exam_engine.extensions import current_session
from exam_engine.services import calibration, item_stats
from exam_engine.web.clock import now
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
    return render_template("stats/calibration.html", listing=listing, form=form, models=MODELS)


@bp.post("/calibrate")
@instructor_only
def calibrate() -> Any:
    """Refit the chosen model now (the same as ``flask bank calibrate``)."""
    form = CalibrateForm()
    if not form.validate():
        abort(400, "model: " + " ".join(form.model.errors or ["invalid"]))
    model = form.model.data or "rasch"
    report = calibration.recalibrate(current_session(), model=model, now=now())
    flash(
        f"Calibrated {report.items:,} item versions ({model}) from {report.attempts:,} finished "
        f"mock attempts in {report.load_seconds + report.fit_seconds + report.write_seconds:.1f} s"
        + ("." if report.converged else " (the fit did NOT converge)."),
        "success" if report.converged else "error",
    )
    return redirect(url_for("stats.calibration_page", model=model), 303)
