"""My-data views: the page, the JSON download, and account deletion (signed-in users only)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, redirect, render_template, session, url_for
from flask_login import current_user, logout_user

from exam_engine.domain.vocabulary import Role
from exam_engine.extensions import current_session
from exam_engine.services import my_data
from exam_engine.services.errors import ValidationFailed
from exam_engine.web.clock import now
from exam_engine.web.my_data import bp
from exam_engine.web.my_data.forms import DeleteAccountForm
from exam_engine.web.security import login_required


def _page(form: DeleteAccountForm, status: int = 200) -> Any:
    return (
        render_template(
            "my_data/index.html", form=form, can_delete=current_user.role == Role.CANDIDATE
        ),
        status,
    )


@bp.get("/data")
@login_required
def page() -> Any:
    """What is stored about the user, the download, and the delete form."""
    return _page(DeleteAccountForm(formdata=None))


@bp.get("/data.json")
@login_required
def download() -> Any:
    """Everything stored about the user as one JSON file."""
    data = my_data.export(current_session(), current_user.id, now=now())
    response = Response(json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-exam-engine-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/delete")
@login_required
def delete() -> Any:
    """Delete the account once the password confirms it; the session ends with it."""
    form = DeleteAccountForm()
    if not form.validate():
        return _page(form, 400)
    try:
        my_data.delete_account(current_session(), current_user.id, form.password.data or "")
    except ValidationFailed as error:
        form.password.errors = [str(error).partition(": ")[2].capitalize() + "."]
        return _page(form, 400)
    logout_user()
    session.clear()
    flash("Your account and everything stored about it have been deleted.", "info")
    return redirect(url_for("auth.login"), 303)
