"""Stored item and template statistics (recomputed on demand, never on page view), and the
packed response records a recompute reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exam_engine.models.base import Base, utcnow


class ItemStatistic(Base):
    """Statistics of one question version over first attempts (per template, '' for all)."""

    __tablename__ = "item_statistics"
    __table_args__ = (UniqueConstraint("question_version_id", "template"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key (migration 0003): checking it for every row of a recompute cost 40% of
    # the write, and attempt_items already keep any version with statistics from deletion.
    question_version_id: Mapped[int]
    template: Mapped[str] = mapped_column(String(80), default="")
    responses: Mapped[int] = mapped_column(default=0)
    facility: Mapped[float | None]
    discrimination: Mapped[float | None]
    flags: Mapped[list[Any]] = mapped_column(default=list)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TemplateStatistic(Base):
    """Test-level statistics of a template (reliability, score distribution)."""

    __tablename__ = "template_statistics"

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(String(80), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a submitted attempt makes the stored statistics out of date.
    stale_since: Mapped[datetime | None]


class ResponseRecord(Base):
    """What item analysis needs of one finished mock attempt, packed when it was graded.

    ``entries`` holds little-endian int32 triples (position, question version id, stored
    choice or -1), one per attempt item in position order; a recompute reads this one value
    instead of the attempt's rows. Written by ``finalize`` in the grading transaction; a
    finished attempt's items never change afterwards.
    """

    __tablename__ = "response_records"

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    entries: Mapped[bytes] = mapped_column(LargeBinary)
