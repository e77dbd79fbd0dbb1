"""Jobs' pages: a list of one's jobs (an admin's: everyone's), and a job's status and
progress while it runs, its result or failure reason after."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

from exam_engine.domain.vocabulary import Role
from exam_engine.extensions import current_session
from exam_engine.services import jobs
from exam_engine.services.errors import NotFound

bp = Blueprint("jobs", __name__)


def _own_job(job_id: int) -> jobs.JobView:
    """The job if the signed-in user asked for it (admins see every job); else 404."""
    try:
        job = jobs.job_view(current_session(), job_id)
    except NotFound:
        abort(404, f"job {job_id} not found")
    if job.user_id != current_user.id and current_user.role != Role.ADMIN:
        abort(404, f"job {job_id} not found")
    return job


@bp.get("/jobs")
@login_required
def job_list() -> Any:
    """The newest jobs the user asked for (an admin: everyone's, account mail included);
    ``?status=failed`` keeps the failed ones, each with its reason."""
    admin = current_user.role == Role.ADMIN
    failed_only = request.args.get("status") == "failed"
    listing = jobs.list_jobs(
        current_session(), user_id=None if admin else current_user.id, failed_only=failed_only
    )
    response = Response(
        render_template("jobs/list.html", jobs=listing, failed_only=failed_only, admin=admin)
    )
    # Failure reasons name people's addresses: never keep the page in a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>")
@login_required
def job_page(job_id: int) -> Any:
    """The job's status; the page reloads itself every 2 s until the job has finished."""
    response = Response(render_template("jobs/job.html", job=_own_job(job_id)))
    # A result may list people's emails (a roster's rows): never keep it in a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>/download")
@login_required
def job_download(job_id: int) -> Any:
    """The file a finished export job made (its owner only)."""
    job = _own_job(job_id)
    content = jobs.job_output(current_session(), job_id)
    if job.status != "done" or content is None or not job.result:
        abort(404, f"job {job_id} has no file to download")
    filename = secure_filename(str(job.result.get("filename") or f"job-{job_id}"))
    return Response(
        content,
        mimetype=str(job.result.get("media_type") or "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/jobs/<int:job_id>.json")
@login_required
def job_json(job_id: int) -> Any:
    """The job's status as JSON."""
    job = _own_job(job_id)
    return jsonify(
        id=job.id,
        name=job.name,
        status=job.status,
        progress=job.progress,
        done=job.progress_done,
        total=job.progress_total,
        unit=job.unit,
        summary=job.summary,
        result=job.result,
        error=job.error or None,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
    )
