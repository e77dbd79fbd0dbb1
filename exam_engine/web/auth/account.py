"""The account page (time zone, links to password and data) and the browser's zone report."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from exam_engine.domain.moments import zone_names
from exam_engine.extensions import current_session
from exam_engine.services import accounts
from exam_engine.services.errors import ValidationFailed
from exam_engine.web.auth import bp
from exam_engine.web.security import login_required
from exam_engine.web.zones import user_zone


class TimeZoneForm(FlaskForm):
    """The zone every time on the user's pages is shown in."""

    time_zone = SelectField(
        "Time zone",
        choices=[],
        validate_choice=True,
        description="Every date and time on your pages, and cohort windows you set, use it.",
    )


def _zone_form(**kwargs: Any) -> TimeZoneForm:
    form = TimeZoneForm(**kwargs)
    form.time_zone.choices = [(name, name.replace("_", " ")) for name in zone_names()]
    return form


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    """Show and change the user's time zone; link to the password and data pages."""
    form = _zone_form(time_zone=current_user.time_zone or "UTC")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            accounts.set_time_zone(current_session(), current_user.id, form.time_zone.data or "")
            flash(f"Times are now shown in {form.time_zone.data}.", "success")
            return redirect(url_for("auth.account"), 303)
        status = 400
    return render_template("auth/account.html", form=form, zone=user_zone()), status


@bp.post("/account/time-zone/detect")
@login_required
def detect_time_zone() -> Any:
    """Take the browser's zone for a user who has none yet (never overrides a choice)."""
    try:
        accounts.set_time_zone(
            current_session(),
            current_user.id,
            request.form.get("time_zone", ""),
            only_if_unset=True,
        )
    except ValidationFailed as error:
        return {"error": str(error)}, 400
    return "", 204
