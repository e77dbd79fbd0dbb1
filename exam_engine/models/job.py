"""Background jobs: one row per job, the record every page and the worker read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exam_engine.domain.vocabulary import JobStatus, sql_in
from exam_engine.models.base import Base, utcnow


class Job(Base):
    """A named job with its arguments, status, progress, result or failure reason.

    The queue (Redis) only carries the row's id; the row is what pages show, so a job's state
    reads the same with or without Redis and outlives the queue's own records. A scheduled
    job carries its ``slot`` (such as ``sweep@2026-12-06T09:01``): the unique key lets one
    worker in any number claim each slot.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(sql_in("status", JobStatus), name="status"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    arguments: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)
    # How far in the job's own unit (students, items, steps): ``progress_done`` of
    # ``progress_total``, null until the job first reports a count.
    progress_done: Mapped[int | None]
    progress_total: Mapped[int | None]
    result: Mapped[dict[str, Any] | None]
    # The last attempt's failure reason (kept while a retry is pending, shown once failed).
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    # The request that asked for it, so the job's log lines carry the same id.
    request_id: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # A file the job made (a bank export), kept here so any host can serve it.
    output: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    slot: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
