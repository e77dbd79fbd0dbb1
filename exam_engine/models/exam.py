"""Exam templates, attempts, the items an attempt showed, and every accepted save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_engine.domain.vocabulary import (
    FINISHED,
    AttemptKind,
    AttemptStatus,
    Mode,
    sql_in,
    values,
)
from exam_engine.models.base import Base, utcnow
from exam_engine.models.question import QuestionVersion
from exam_engine.models.user import User

ATTEMPT_STATUSES = values(AttemptStatus)
FINISHED_MOCK = f"kind = '{AttemptKind.MOCK}' AND {sql_in('status', FINISHED)}"


class ExamTemplate(Base):
    """A kind of exam: how many items, how long, which weights and filters."""

    __tablename__ = "exam_templates"
    __table_args__ = (
        CheckConstraint("item_count > 0", name="item_count_positive"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint(sql_in("mode", Mode), name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    blueprint: Mapped[str] = mapped_column(String(80))
    item_count: Mapped[int]
    minutes: Mapped[int]
    mode: Mapped[str] = mapped_column(String(20), default=Mode.EXAM)
    domain_weights: Mapped[dict[str, Any]] = mapped_column(default=dict)
    subdomains: Mapped[list[Any]] = mapped_column(default=list)
    difficulty_mix: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Items used this many times across all attempts of the template are skipped (None: no cap).
    exposure_cap: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attempt(Base):
    """One sitting of a template by one user, with the server's deadline."""

    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint(sql_in("status", AttemptStatus), name="status"),
        CheckConstraint(sql_in("mode", Mode), name="mode"),
        CheckConstraint(sql_in("kind", AttemptKind), name="kind"),
        CheckConstraint("deadline_at IS NULL OR deadline_at > started_at", name="deadline"),
        CheckConstraint(
            f"(status = '{AttemptStatus.IN_PROGRESS}') = (submitted_at IS NULL)",
            name="submitted_when_finished",
        ),
        Index("ix_attempts_user_status", "user_id", "status"),
        Index("ix_attempts_status_deadline", "status", "deadline_at"),
        # A cohort's attempts of an assignment (scorecards) and a student's sitting of it.
        Index("ix_attempts_assignment_user", "assignment_id", "user_id"),
        # Finished mocks in start order with what item analysis reads: its queries never
        # touch the table (migration 0003).
        Index(
            "ix_attempts_finished_mocks",
            "started_at",
            "id",
            "user_id",
            "template_id",
            sqlite_where=text(FINISHED_MOCK),
            postgresql_where=text(FINISHED_MOCK),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    template_id: Mapped[int] = mapped_column(ForeignKey("exam_templates.id", ondelete="RESTRICT"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL")
    )
    seed: Mapped[int] = mapped_column(BigInteger)
    mode: Mapped[str] = mapped_column(String(20), default=Mode.EXAM)
    kind: Mapped[str] = mapped_column(String(20), default=AttemptKind.MOCK)
    status: Mapped[str] = mapped_column(String(20), default=AttemptStatus.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # NULL for untimed practice; otherwise started + minutes x the user's time multiplier.
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None]
    # The position the candidate last opened, so that resuming lands there.
    last_position: Mapped[int | None]

    user: Mapped[User] = relationship()
    template: Mapped[ExamTemplate] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(
        back_populates="attempt", order_by="AttemptItem.position", cascade="all, delete-orphan"
    )


class AttemptItem(Base):
    """A position of an attempt: the version shown, its option order, and the latest save."""

    __tablename__ = "attempt_items"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        UniqueConstraint("attempt_id", "question_id"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("choice IS NULL OR (choice >= 0 AND choice < 4)", name="choice"),
        CheckConstraint("struck >= 0 AND struck < 16", name="struck"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    position: Mapped[int]
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"))
    question_version_id: Mapped[int] = mapped_column(
        ForeignKey("question_versions.id", ondelete="RESTRICT"), index=True
    )
    # Permutation of stored option indexes, in the order the candidate sees them.
    option_order: Mapped[list[Any]]
    # Latest accepted save (derived from responses; kept here so a page read is one query).
    choice: Mapped[int | None]
    flagged: Mapped[bool] = mapped_column(default=False)
    last_seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime | None]
    # Practice only: when the candidate asked to check this answer; the choice is locked then.
    checked_at: Mapped[datetime | None]
    # Options the candidate struck out, a bit per stored option index: a note, never graded.
    struck: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    version: Mapped[QuestionVersion] = relationship()


class Response(Base):
    """Every accepted save, kept; the latest one before the deadline counts."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("attempt_item_id", "seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint("choice IS NULL OR (choice >= 0 AND choice < 4)", name="choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_item_id: Mapped[int] = mapped_column(ForeignKey("attempt_items.id", ondelete="CASCADE"))
    seq: Mapped[int]
    choice: Mapped[int | None]
    flagged: Mapped[bool] = mapped_column(default=False)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
