"""The engine's jobs: statistics, calibration, prepared forms, mail, the sweep, housekeeping.

Each is registered by name with :func:`registry.job`; arguments are plain JSON values and
the result a small JSON object a page can show. Each job commits its own transactions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import JobStatus
from exam_engine.models import Job, utcnow
from exam_engine.services import (
    attempts,
    calibration,
    cohorts,
    interchange,
    item_stats,
    login_sessions,
    mail,
    prepared_forms,
)
from exam_engine.services.jobs import recovery
from exam_engine.services.jobs.names import (
    CALIBRATE,
    EXPORT_BANK,
    PREPARE_FOR_STUDENTS,
    PREPARE_FORMS,
    PRUNE,
    RECOMPUTE,
    RECOMPUTE_IF_STALE,
    REFRESH_FORMS,
    ROSTER,
    SEND_MAIL,
    SWEEP,
)
from exam_engine.services.jobs.queue import app_config, settings
from exam_engine.services.jobs.registry import OUTPUT, Progress, job
from exam_engine.services.transaction import end_read, transaction


def _min_responses() -> int:
    return item_stats.min_responses_setting(app_config())


@job(RECOMPUTE, label="Item statistics recompute", unit="steps")
def recompute_item_stats(session: Session, progress: Progress) -> dict[str, Any]:
    """Recompute every item statistic (the page's "Recompute now")."""
    report = item_stats.recompute(
        session, now=utcnow(), min_responses=_min_responses(), progress=progress
    )
    return {
        "rows": report.rows,
        "attempts": report.attempts,
        "responses": report.responses,
        "skipped": report.skipped,
        "seconds": round(report.load_seconds + report.compute_seconds + report.write_seconds, 2),
    }


@job(RECOMPUTE_IF_STALE, label="Overnight item statistics recompute", unit="steps")
def recompute_if_stale(session: Session, progress: Progress) -> dict[str, Any]:
    """Recompute only when attempts finished since the last recompute (the nightly run)."""
    status = item_stats.scope_status(session, item_stats.ALL_TEMPLATES)
    end_read(session)
    if not status.stale:
        return {"skipped": True, "reason": "statistics are up to date"}
    return recompute_item_stats(session, progress) or {}


@job(CALIBRATE, label="Calibration", unit="steps")
def fit_calibration(session: Session, progress: Progress, model: str) -> dict[str, Any]:
    """Refit the IRT model (the page's "Recalibrate now")."""
    report = calibration.recalibrate(session, model=model, now=utcnow(), progress=progress)
    return {
        "model": model,
        "items": report.items,
        "attempts": report.attempts,
        "converged": report.converged,
        "seconds": round(report.load_seconds + report.fit_seconds + report.write_seconds, 2),
    }


@job(PREPARE_FORMS, label="Forms for an assignment", unit="students")
def prepare_assignment_forms(
    session: Session, progress: Progress, assignment_id: int
) -> dict[str, Any]:
    """Assemble the forms of an assignment's students (made or changed just now)."""
    return {"forms": prepared_forms.prepare_forms(session, assignment_id, progress=progress)}


@job(PREPARE_FOR_STUDENTS, label="Forms for new students", unit="forms")
def prepare_for_students(
    session: Session, progress: Progress, cohort_id: int, user_ids: list[int]
) -> dict[str, Any]:
    """Assemble new students' forms of the cohort's open assignments."""
    made = prepared_forms.prepare_for_students(
        session, cohort_id, user_ids, utcnow(), progress=progress
    )
    return {"forms": made}


@job(REFRESH_FORMS, label="Forms re-made after a bank change", unit="forms")
def refresh_forms(session: Session, progress: Progress, remake_all: bool) -> dict[str, Any]:
    """Re-make prepared forms the bank or a template outdated."""
    made = prepared_forms.refresh_prepared_forms(
        session, utcnow(), remake_all=remake_all, progress=progress
    )
    return {"forms": made}


@job(SEND_MAIL, label="Mail", private=("body",), here_without_queue=True)
def send_mail(
    session: Session, progress: Progress, to: str, subject: str, body: str
) -> dict[str, Any]:
    """Send one message (a failure is retried, then shown as failed with the server's answer;
    a refusal for good, a 5xx answer, is not retried).

    The body is blanked in the row once the job has finished: it may hold a reset link.
    """
    try:
        delivery = mail.send_mail(to, subject, body)
    except mail.MailNotSent as error:
        # Staff read this reason: the server's answer, not the "try again" meant for the person.
        raise mail.MailNotSent(
            f"mail to {to} not sent: {error.detail}", retryable=error.retryable
        ) from error
    return {"to": to, "subject": subject, "file": delivery.file.name if delivery.file else None}


@job(ROSTER, label="Roster invitations", unit="rows")
def invite_roster(
    session: Session, progress: Progress, by: int, cohort_id: int, rows: list[list[Any]]
) -> dict[str, Any]:
    """Invite a large roster's rows (all or nothing) and queue their mails."""
    return cohorts.run_roster(session, by, cohort_id, rows, now=utcnow(), progress=progress)


@job(SWEEP, label="Sweep of overdue attempts")
def sweep(session: Session, progress: Progress) -> dict[str, Any]:
    """Finalize attempts past their deadline + grace (``flask exam sweep``)."""
    done = attempts.sweep_expired(
        session, now=utcnow(), grace_seconds=int(app_config()["GRACE_SECONDS"])
    )
    return {
        "finalized": len(done),
        "abandoned_jobs": recovery.end_abandoned(session),
        "requeued_jobs": recovery.requeue_lost(session),
    }


@job(EXPORT_BANK, label="Bank export", unit="steps")
def export_bank(session: Session, progress: Progress, fmt: str, by: int | None) -> dict[str, Any]:
    """Export the published bank in one format; the file is kept with the job."""
    made = interchange.export(session, fmt, user_id=by, progress=progress)
    return {
        "format": fmt,
        "items": made.items,
        "filename": made.filename,
        "media_type": made.media_type,
        OUTPUT: made.content,
    }


@job(PRUNE, label="Old job records and ended sign-ins removed")
def prune(session: Session, progress: Progress) -> dict[str, Any]:
    """Delete finished jobs older than ``EXAM_ENGINE_JOB_KEEP_DAYS``, and the stored sign-in
    sessions that have ended by themselves (the database store keeps their rows)."""
    cutoff = utcnow() - timedelta(days=settings().keep_days)
    with transaction(session):
        removed = cast(
            CursorResult[Any],
            session.execute(
                delete(Job)
                .where(Job.status.in_((JobStatus.DONE, JobStatus.FAILED)), Job.created_at < cutoff)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
    return {"removed": removed, "sessions_removed": login_sessions.end_expired_sessions(session)}
