"""Run a job: claim its row, call its function under its request id, record the outcome.

RQ calls :func:`perform` in a worker; without Redis, :func:`run_here` runs every attempt in
the enqueuing process. Either way one attempt is :func:`run_attempt`, which claims the row
(``queued`` to ``running``) in one conditional UPDATE, so a job delivered twice runs once.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, update
from sqlalchemy.orm import Session, scoped_session

from exam_engine.domain.vocabulary import JobStatus
from exam_engine.models import Job, utcnow
from exam_engine.services import request_id
from exam_engine.services.errors import ServiceError
from exam_engine.services.jobs.registry import OUTPUT, run_function, spec
from exam_engine.services.transaction import end_read, transaction

log = logging.getLogger(__name__)

# The longest failure reason kept (a page shows it in one line).
MAX_REASON = 500


def _reason(error: BaseException) -> str:
    if isinstance(error, ServiceError):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text[:MAX_REASON]


def _claim(session: Session, job_id: int) -> Job | None:
    """Mark the queued job running (one more attempt); None when it is not queued."""
    with transaction(session):
        claimed = cast(
            CursorResult[Any],
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                .values(
                    status=JobStatus.RUNNING,
                    attempts=Job.attempts + 1,
                    started_at=utcnow(),
                    progress=0,
                )
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
    if not claimed:
        end_read(session)
        return None
    row = session.get(Job, job_id, populate_existing=True)
    end_read(session)
    return row


def _progress_writer(session: Session, job_id: int) -> Any:
    engine = cast(Engine, session.get_bind())

    def progress(percent: int) -> None:
        # Its own connection: the job may hold the session in any state.
        with engine.begin() as connection:
            connection.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                .values(progress=max(0, min(100, int(percent))))
            )

    return progress


def run_attempt(session: Session, job_id: int) -> BaseException | None:
    """Run one attempt of the job if it is queued; return the error it failed with, if any.

    The row ends ``done`` (with its result), ``queued`` again (an attempt is left: the queue
    retries it) or ``failed`` with the reason.
    """
    row = _claim(session, job_id)
    if row is None:
        log.info("job %s is not queued (already run or running): skipped", job_id)
        return None
    tokens = request_id.bind(row.request_id or request_id.new_id(), job_id)
    try:
        log.info(
            "job %s (%s) started, attempt %s of %s",
            job_id,
            row.name,
            row.attempts,
            row.max_attempts,
        )
        try:
            result = run_function(
                spec(row.name), session, _progress_writer(session, job_id), dict(row.arguments)
            )
        except Exception as error:
            session.rollback()
            _record_failure(session, job_id, error)
            return error
        output = result.pop(OUTPUT, None) if result else None
        with transaction(session):
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(
                    status=JobStatus.DONE,
                    progress=100,
                    output=output,
                    result=result,
                    error="",
                    finished_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
        log.info("job %s (%s) done", job_id, row.name)
        return None
    finally:
        request_id.unbind(tokens)


def _record_failure(session: Session, job_id: int, error: BaseException) -> None:
    reason = _reason(error)
    with transaction(session):
        row = session.get(Job, job_id, populate_existing=True)
        assert row is not None
        last = row.attempts >= row.max_attempts
        row.status = JobStatus.FAILED if last else JobStatus.QUEUED
        row.error = reason
        if last:
            row.finished_at = utcnow()
        attempts, limit, name = row.attempts, row.max_attempts, row.name
    if last:
        log.error(
            "job %s (%s) failed for good after %s attempt(s): %s", job_id, name, attempts, reason
        )
    else:
        log.warning(
            "job %s (%s) attempt %s of %s failed, will retry: %s",
            job_id,
            name,
            attempts,
            limit,
            reason,
        )


def run_here(session: Session, job_id: int) -> None:
    """Run the job in this process until it is done or out of attempts (no waiting between)."""
    while run_attempt(session, job_id) is not None:
        pass


# The worker's sessions (Flask-SQLAlchemy's scoped session), set by ``flask worker``.
SESSIONS: list[scoped_session[Session]] = []


def perform(job_id: int) -> None:
    """RQ's entry point, in a worker with an app context: one attempt; a failure re-raises so
    that RQ schedules the retry (or records it as failed when none is left)."""
    sessions = SESSIONS[-1]
    try:
        error = run_attempt(sessions(), job_id)
    finally:
        sessions.remove()
    if error is not None:
        raise error
