"""Run a job: claim its row, call its function under its request id, record the outcome.

RQ calls :func:`perform` in a worker; without Redis, :func:`run_here` runs every attempt in
the enqueuing process. Either way one attempt is :func:`run_attempt`, which claims the row
(``queued`` to ``running``) in one conditional UPDATE, so a job delivered twice runs once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

from exam_engine.domain.plurals import counted
from exam_engine.domain.vocabulary import JobStatus
from exam_engine.models import Job, utcnow
from exam_engine.services import request_id
from exam_engine.services.errors import ServiceError
from exam_engine.services.jobs.queue import settings
from exam_engine.services.jobs.registry import OUTPUT, run_function, spec
from exam_engine.services.transaction import end_read, transaction

log = logging.getLogger(__name__)

# The longest failure reason kept (a page shows it in one line).
MAX_REASON = 500
# A job's progress is written at most this often: a job reporting each of 10,000 rows costs
# a write a second, not 10,000.
PROGRESS_EVERY_SECONDS = 1.0
# Without Redis a retry waits its EXAM_ENGINE_JOB_RETRY_DELAYS delay in the process that
# enqueued the job, which is usually serving a request: all the waits of one database session
# (one request, one command) add up to at most this many seconds; later retries run at once.
IN_PROCESS_WAIT_BUDGET = 2.0
_WAIT_LEFT = "exam_engine.jobs.wait_left"
# Patched by tests that record the waits instead of sleeping.
sleep: Callable[[float], None] = time.sleep


def _reason(error: BaseException) -> str:
    if isinstance(error, ServiceError):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text[:MAX_REASON]


@dataclass(frozen=True)
class Claimed:
    """What one attempt needs of the job's row, read once (the session then holds nothing)."""

    name: str
    arguments: dict[str, Any]
    attempts: int
    max_attempts: int
    request_id: str


def _claim(session: Session, job_id: int) -> Claimed | None:
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
                    progress_done=None,
                    progress_total=None,
                )
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
    if not claimed:
        end_read(session)
        return None
    row = session.get(Job, job_id, populate_existing=True)
    assert row is not None
    found = Claimed(row.name, dict(row.arguments), row.attempts, row.max_attempts, row.request_id)
    # No transaction left open: on SQLite the progress writer needs the database to itself.
    end_read(session)
    return found


class ProgressWriter:
    """A job's progress callback: writes the count it is given at most once a second.

    Counts given in between are dropped (the next write carries a newer one), and the runner
    writes the total as done when the job ends. Each write is its own short transaction on its
    own connection (the job may hold its session in any state); a failed write is logged and
    skipped, never failing the job.
    """

    def __init__(
        self,
        session: Session,
        job_id: int,
        *,
        every: float = PROGRESS_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.engine = cast(Engine, session.get_bind())
        self.job_id = job_id
        self.every = every
        self.clock = clock
        self.written_at: float | None = None
        self.writes = 0

    def __call__(self, done: int, total: int = 100) -> None:
        """Note ``done`` of ``total``; write it if the last write is a second old."""
        now = self.clock()
        if self.written_at is not None and now - self.written_at < self.every:
            return
        if self.engine.dialect.name == "sqlite" and self.session.in_transaction():
            # SQLite has one writer: a write here would wait on the job's own transaction, or
            # make it fail when it next writes. Wait for the job's next call between them.
            return
        total = max(1, int(total))
        done = max(0, min(int(done), total))
        # Set first: a database refusing this write is not asked again within the second.
        self.written_at = now
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    update(Job)
                    .where(Job.id == self.job_id, Job.status == JobStatus.RUNNING)
                    .values(progress=done * 100 // total, progress_done=done, progress_total=total)
                )
        except SQLAlchemyError as error:
            log.warning("job %s: progress not written: %s", self.job_id, error)
            return
        self.writes += 1


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
            job_spec = spec(row.name)
            result = run_function(job_spec, session, ProgressWriter(session, job_id), row.arguments)
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
                    progress_done=Job.progress_total,
                    arguments=job_spec.kept(row.arguments),
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
        # An error that says a retry would fail the same way (``retryable`` False) ends it now.
        last = row.attempts >= row.max_attempts or not getattr(error, "retryable", True)
        row.status = JobStatus.FAILED if last else JobStatus.QUEUED
        row.error = reason
        if last:
            row.finished_at = utcnow()
            try:
                row.arguments = spec(row.name).kept(row.arguments)
            except ValueError:  # a job no longer registered: nothing to blank
                pass
        attempts, limit, name = row.attempts, row.max_attempts, row.name
    if last:
        log.error(
            "job %s (%s) failed for good after %s: %s",
            job_id,
            name,
            counted(attempts, "attempt"),
            reason,
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
    """Run the job in this process until it is done or out of attempts.

    Each retry waits its delay from the settings, within the session's budget of
    ``IN_PROCESS_WAIT_BUDGET`` seconds for all its waits.
    """
    delays = settings().retry_delays
    retries = 0
    while run_attempt(session, job_id) is not None:
        if _status(session, job_id) != JobStatus.QUEUED:
            return
        delay = delays[retries] if retries < len(delays) else 0
        retries += 1
        left = session.info.get(_WAIT_LEFT, IN_PROCESS_WAIT_BUDGET)
        wait = min(float(delay), left)
        if wait > 0:
            session.info[_WAIT_LEFT] = left - wait
            log.info("job %s: retry in %.1f s (in-process)", job_id, wait)
            sleep(wait)


# The worker's sessions (Flask-SQLAlchemy's scoped session), set by ``flask worker``.
SESSIONS: list[scoped_session[Session]] = []


def perform(job_id: int) -> None:
    """RQ's entry point, in a worker with an app context: one attempt; a failure that left
    the row queued for another re-raises, so that RQ schedules the retry.

    A failure that ended the job (its last attempt, or an error no retry would mend) returns
    quietly: the row says failed, and RQ's remaining retries would only find it not queued.
    """
    sessions = SESSIONS[-1]
    try:
        session = sessions()
        error = run_attempt(session, job_id)
        again = error is not None and _status(session, job_id) == JobStatus.QUEUED
    finally:
        sessions.remove()
    if again:
        assert error is not None
        raise error


def _status(session: Session, job_id: int) -> str | None:
    status = session.scalar(select(Job.status).where(Job.id == job_id))
    end_read(session)
    return status
