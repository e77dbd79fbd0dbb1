"""Counts the metrics endpoint reads at scrape time (one query each)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import AttemptStatus, JobStatus
from exam_engine.models import Attempt, Job
from exam_engine.services.transaction import end_read


@dataclass(frozen=True)
class Counts:
    """Attempts in progress, and job rows per status (every status listed)."""

    attempts_in_progress: int
    jobs: dict[str, int]


def counts(session: Session) -> Counts:
    """Read the counts (and end the read)."""
    in_progress = session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.status == AttemptStatus.IN_PROGRESS)
    )
    by_status = {status.value: 0 for status in JobStatus}
    for status, number in session.execute(select(Job.status, func.count()).group_by(Job.status)):
        by_status[status] = number
    end_read(session)
    return Counts(int(in_progress or 0), by_status)
