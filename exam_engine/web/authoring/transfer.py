"""Import and export of the bank from the browser (the formats live in services.interchange)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename
from wtforms import SelectChoice

from exam_engine.domain.formats.limits import PROBLEM_LINES, ImportLimits, megabytes, size_problem
from exam_engine.domain.vocabulary import Role
from exam_engine.extensions import current_session
from exam_engine.services import drafts, interchange, jobs
from exam_engine.services.bank import ImportFailed
from exam_engine.services.catalog import bundled_blueprint
from exam_engine.services.errors import ValidationFailed
from exam_engine.services.jobs import names
from exam_engine.web.authoring import bp
from exam_engine.web.authoring.forms import BulkDraftForm, ImportForm
from exam_engine.web.clock import now
from exam_engine.web.security import role_required
from exam_engine.web.uploads import import_max_bytes

FORMAT_LABELS: dict[str, str] = {
    "yaml": "YAML: this bank's own format (a zip of item files, or one .yaml file)",
    "csv": "CSV: a spreadsheet, one row a question",
    "gift": "GIFT: Moodle's question format",
    "qti": "QTI 3.0: a zip for learning platforms",
    "moodlexml": "Moodle XML: Moodle's question bank export",
}
DETECT = "detect"


def formats() -> dict[str, str]:
    """The interchange formats with their descriptions, in the service's order."""
    return {fmt: FORMAT_LABELS.get(fmt, fmt.upper()) for fmt in interchange.FORMATS}


def subdomain_choices(empty: str) -> list[SelectChoice]:
    """An empty choice, then the sub-domains grouped by domain."""
    blueprint = bundled_blueprint()
    return [SelectChoice("", empty)] + [
        SelectChoice(sub.code, f"{sub.code} · {sub.title}", optgroup=f"{d.code} · {d.title}")
        for d in blueprint.domains
        for sub in d.subdomains
    ]


def _import_form() -> ImportForm:
    form = ImportForm()
    form.fmt.choices = [SelectChoice(DETECT, "Detect from the file name")] + [
        SelectChoice(fmt, label) for fmt, label in formats().items()
    ]
    form.subdomain.choices = subdomain_choices("None: leave them untagged")
    return form


def bulk_form(keys: list[str] | None = None) -> BulkDraftForm:
    """The form that sets a sub-domain and a difficulty on several drafts."""
    form = BulkDraftForm()
    form.subdomain.choices = subdomain_choices("Leave as it is")
    if keys is not None:
        form.keys.choices = [SelectChoice(k, k) for k in keys]
    return form


def _render(form: ImportForm, *, status: int = 200, **extra: Any) -> Any:
    # Long lists are cut: the first problems by file and line, then how many more there are.
    for name in ("problems", "warnings"):
        if name in extra:
            listed = [str(line) for line in extra[name]]
            extra[name] = listed[:PROBLEM_LINES]
            extra[f"more_{name}"] = max(0, len(listed) - PROBLEM_LINES)
            extra[f"all_{name}"] = len(listed)
    return (
        render_template(
            "authoring/transfer.html",
            form=form,
            formats=formats(),
            is_admin=current_user.role == Role.ADMIN,
            max_size=megabytes(import_max_bytes()),
            problem_lines=PROBLEM_LINES,
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
    limits = ImportLimits.from_config(current_app.config)
    data = upload.read(limits.max_bytes + 1)
    too_big = size_problem(filename, _size(upload, len(data)), limits.max_bytes)
    if too_big is not None:
        return _render(form, status=413, problems=[str(too_big)], filename=filename)
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
            subdomain=form.subdomain.data or None,
            limits=limits,
        )
    except ImportFailed as error:
        # 422 when publishing was refused for incomplete items, 400 for a bad file.
        return _render(
            form,
            status=error.status,
            problems=error.problems,
            warnings=error.warnings,
            filename=filename,
        )
    except ValidationFailed as error:
        return _render(form, status=400, problems=[str(error)], filename=filename)
    if result.foreign:
        return render_template(
            "authoring/import_report.html",
            result=result,
            bulk=bulk_form([note.key for note in result.drafts]),
        )
    return _render(_import_form(), result=result)


@bp.post("/drafts/bulk")
@role_required(Role.INSTRUCTOR)
def bulk_drafts() -> Any:
    """Set a sub-domain and/or difficulty on the drafts ticked (provisional keys re-keyed)."""
    form = bulk_form()
    if not form.validate():
        abort(400, "The form's security token is missing or invalid, or a choice is unknown.")
    keys = [k for k in (form.keys.data or []) if isinstance(k, str)]
    result = drafts.set_drafts(
        current_session(),
        current_user.id,
        keys,
        subdomain=form.subdomain.data or "",
        difficulty=form.difficulty.data or "",
        now=now(),
    )
    moved = [f"{old} is now {new}" for old, new in result.changed.items() if old != new]
    message = f"Updated {len(result.changed)} draft{'s' if len(result.changed) != 1 else ''}."
    if moved:
        message += " Re-keyed: " + "; ".join(moved) + "."
    flash(message, "success")
    return redirect(url_for("authoring.index", status="draft", complete="incomplete"), 303)


def _size(upload: FileStorage, read: int) -> int:
    """The upload's whole size (it may be longer than what was read), for the message."""
    try:
        return max(read, upload.stream.seek(0, 2))
    except (AttributeError, OSError, ValueError):
        return read


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
