"""Import and export of the bank from the browser (the formats live in services.interchange)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.utils import secure_filename
from wtforms import SelectChoice

from exam_engine.domain.vocabulary import Role
from exam_engine.extensions import current_session
from exam_engine.services import interchange, jobs
from exam_engine.services.bank import ImportFailed
from exam_engine.services.errors import ValidationFailed
from exam_engine.services.jobs import names
from exam_engine.web.authoring import bp
from exam_engine.web.authoring.forms import ImportForm
from exam_engine.web.clock import now
from exam_engine.web.security import role_required

FORMAT_LABELS: dict[str, str] = {
    "yaml": "YAML: this bank's own format (a zip of item files, or one .yaml file)",
    "csv": "CSV: a spreadsheet, one row a question",
    "gift": "GIFT: Moodle's question format",
    "qti": "QTI 3.0: a zip for learning platforms",
}
DETECT = "detect"


def formats() -> dict[str, str]:
    """The interchange formats with their descriptions, in the service's order."""
    return {fmt: FORMAT_LABELS.get(fmt, fmt.upper()) for fmt in interchange.FORMATS}


def _import_form() -> ImportForm:
    form = ImportForm()
    form.fmt.choices = [SelectChoice(DETECT, "Detect from the file name")] + [
        SelectChoice(fmt, label) for fmt, label in formats().items()
    ]
    return form


def _render(form: ImportForm, *, status: int = 200, **extra: Any) -> Any:
    return (
        render_template(
            "authoring/transfer.html",
            form=form,
            formats=formats(),
            is_admin=current_user.role == Role.ADMIN,
            max_mb=int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 2**20,
            **extra,
        ),
        status,
    )


@bp.get("/transfer")
@role_required(Role.INSTRUCTOR)
def transfer() -> Any:
    """The import form and the export links."""
    return _render(_import_form())


@bp.post("/import")
@role_required(Role.INSTRUCTOR)
def import_upload() -> Any:
    """Import an uploaded file: all or nothing, as drafts unless an admin publishes."""
    form = _import_form()
    if not form.validate():
        return _render(form, status=400)
    if form.publish.data and current_user.role != Role.ADMIN:
        form.publish.errors = [
            "Only an admin may publish on import; untick the box to import the items as drafts."
        ]
        return _render(form, status=403)
    upload = form.file.data
    filename = secure_filename(upload.filename or "") or "upload"
    data = upload.read()
    fmt = form.fmt.data
    if fmt == DETECT:
        guessed = interchange.guess_format(filename, data)
        if guessed is None:
            form.fmt.errors = [
                f"Cannot tell the format of {filename} from its name: choose it from the list."
            ]
            return _render(form, status=400)
        fmt = guessed
    try:
        result = interchange.import_file(
            current_session(),
            fmt,
            data,
            filename=filename,
            publish=bool(form.publish.data),
            author_id=current_user.id,
            now=now(),
        )
    except ImportFailed as error:
        return _render(
            form, status=400, problems=error.problems, warnings=error.warnings, filename=filename
        )
    except ValidationFailed as error:
        return _render(form, status=400, problems=[str(error)], filename=filename)
    return _render(_import_form(), result=result)


@bp.post("/export/<fmt>/job")
@role_required(Role.INSTRUCTOR)
def export_job(fmt: str) -> Any:
    """Make the export in the background (a large bank, a busy host): its page links the file."""
    if fmt not in interchange.FORMATS:
        abort(
            404, f"Unknown export format {fmt!r}; choose one of {', '.join(interchange.FORMATS)}."
        )
    job_id = jobs.enqueue(
        current_session(), names.EXPORT_BANK, user_id=current_user.id, fmt=fmt, by=current_user.id
    )
    return redirect(url_for("jobs.job_page", job_id=job_id), 303)


@bp.get("/export/<fmt>")
@role_required(Role.INSTRUCTOR)
def export(fmt: str) -> Any:
    """Download the published bank in one format (recorded in the audit trail)."""
    if fmt not in interchange.FORMATS:
        abort(
            404, f"Unknown export format {fmt!r}; choose one of {', '.join(interchange.FORMATS)}."
        )
    result = interchange.export(current_session(), fmt, user_id=current_user.id)
    return Response(
        result.content,
        mimetype=result.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{secure_filename(result.filename)}"'
        },
    )
