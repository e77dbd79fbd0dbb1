"""Job rows: create one and hand it to the queue (or run it here), and read one for a page."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import JobStatus
from exam_engine.models import Job, utcnow
from exam_engine.services import request_id
from exam_engine.services.errors import Conflict, NotFound
from exam_engine.services.jobs import queue
from exam_engine.services.jobs.registry import spec
from exam_engine.services.transaction import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobView:
    """A job as a page shows it."""

    id: int
    name: str
    label: str
    status: str
    progress: int
    # The last count the job reported (``done`` of ``total`` ``unit``), if any.
    progress_done: int | None
    progress_total: int | None
    unit: str
    result: dict[str, Any] | None
    error: str
    attempts: int
    max_attempts: int
    user_id: int | None
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        """Done or failed: nothing more will happen to it."""
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def counted(self) -> str:
        """``412 of 1,000 students`` once the job reported a count in its unit, else ``""``."""
        if self.progress_total is None or self.progress_done is None or self.unit == "percent":
            return ""
        return f"{self.progress_done:,} of {self.progress_total:,} {self.unit}"

    @property
    def summary(self) -> str:
        """One line: ``queued``, ``running 40% (412 of 1,000 students)``, ``done``, or
        ``failed: reason``."""
        if self.status == JobStatus.RUNNING:
            counted = f" ({self.counted})" if self.counted else ""
            return f"running {self.progress}%{counted}"
        if self.status == JobStatus.FAILED:
            return f"failed: {self.error}"
        if self.status == JobStatus.QUEUED and self.attempts:
            return f"queued (retry {self.attempts + 1} of {self.max_attempts}: {self.error})"
        return str(self.status)


def queued() -> bool:
    """True when jobs go to a queue (Redis) for workers; False when they run where enqueued."""
    return queue.settings().redis_url is not None


def enqueue(
    session: Session,
    name: str,
    *,
    user_id: int | None = None,
    slot: str | None = None,
    **arguments: Any,
) -> int | None:
    """Record the job ``name`` with JSON-able ``arguments`` and have it run; return its id.

    Call it outside any transaction (after the change the job follows up has committed). With
    Redis a worker runs it; without, it runs here before this returns. ``slot`` names a
    scheduled run: when another worker already claimed the slot, nothing is recorded or run
    and None is returned.
    """
    job_spec = spec(name)
    config = queue.settings()
    max_attempts = job_spec.max_attempts or config.max_attempts
    try:
        with transaction(session):
            row = Job(
                name=name,
                arguments=arguments,
                status=JobStatus.QUEUED,
                progress=0,
                max_attempts=max_attempts,
                request_id=request_id.current(),
                user_id=user_id,
                slot=slot,
            )
            session.add(row)
            session.flush()
            job_id = row.id
    except Conflict:
        if slot is None:
            raise
        return None
    from exam_engine.services.jobs.runner import run_here

    if config.redis_url is None:
        run_here(session, job_id)
        return job_id
    try:
        queue.push(config, job_id, max_attempts)
    except RedisError as error:
        if job_spec.here_without_queue:
            log.warning(
                "job %s (%s) not queued: Redis unreachable (%s); running it here",
                job_id,
                name,
                error,
            )
            run_here(session, job_id)
            return job_id
        log.error("job %s (%s) not queued: Redis unreachable: %s", job_id, name, error)
        with transaction(session):
            failed = session.get(Job, job_id)
            assert failed is not None
            failed.status = JobStatus.FAILED
            failed.arguments = job_spec.kept(failed.arguments)
            failed.error = "the job queue (Redis) could not be reached; try again later"
            failed.finished_at = utcnow()
    return job_id


def _view(row: Job) -> JobView:
    try:
        job_spec = spec(row.name)
        label, unit = job_spec.label, job_spec.unit
    except ValueError:
        label, unit = row.name, "percent"
    return JobView(
        id=row.id,
        name=row.name,
        label=label,
        status=row.status,
        progress=row.progress,
        progress_done=row.progress_done,
        progress_total=row.progress_total,
        unit=unit,
        result=row.result,
        error=row.error,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        user_id=row.user_id,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def job_view(session: Session, job_id: int) -> JobView:
    """The job as it stands now; NotFound if there is none."""
    row = session.get(Job, job_id, populate_existing=True)
    if row is None:
        raise NotFound(f"job {job_id} not found")
    return _view(row)


def job_output(session: Session, job_id: int) -> bytes | None:
    """The file a finished job made, if any."""
    return session.scalar(select(Job.output).where(Job.id == job_id))


def latest_job(session: Session, name: str) -> JobView | None:
    """The newest job of that name, or None."""
    row = session.scalar(
        select(Job)
        .where(Job.name == name)
        .order_by(Job.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    return None if row is None else _view(row)


# The most jobs one listing shows.
LIST_LIMIT = 200


def list_jobs(session: Session, *, user_id: int | None, failed_only: bool = False) -> list[JobView]:
    """The newest jobs, newest first: ``user_id``'s own, or everyone's when it is None (an
    admin's listing); ``failed_only`` keeps those out of attempts."""
    query = select(Job).order_by(Job.id.desc()).limit(LIST_LIMIT)
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    if failed_only:
        query = query.where(Job.status == JobStatus.FAILED)
    rows = session.scalars(query.execution_options(populate_existing=True)).all()
    return [_view(row) for row in rows]
