"""Questions and their immutable versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from exam_engine.domain.vocabulary import Difficulty, VersionStatus, sql_in, values
from exam_engine.models.base import Base, utcnow

STATUSES = values(VersionStatus)
_DRAFT = f"status = '{VersionStatus.DRAFT.value}'"
ANSWER_INDEX_CHECK = f"answer_index >= 0 AND answer_index < 26 AND (answer_index < 4 OR {_DRAFT})"
DIFFICULTY_CHECK = f"{sql_in('difficulty', Difficulty)} OR (difficulty = '' AND {_DRAFT})"
SUBDOMAIN_CHECK = f"subdomain <> '' OR {_DRAFT}"
# Fields a published version may never change; only its status may move on (to retired).
CONTENT_FIELDS = (
    "stem",
    "options",
    "rationales",
    "answer_index",
    "subdomain",
    "domain",
    "difficulty",
    "references",
    "enemies",
    "as_of",
    "content_hash",
    "source_ref",
)


class Question(Base):
    """A question's stable identity (``D2-B-014``) across its versions."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.number"
    )


class QuestionVersion(Base):
    """One version of a question; immutable once published, an edit makes a new version."""

    __tablename__ = "question_versions"
    __table_args__ = (
        UniqueConstraint("question_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        # A single answer index is "one key per version" by construction; this bounds it.
        # Only a draft (imported from another tool, still to complete) may have more than
        # four options, no difficulty or no sub-domain; nothing else is ever published.
        CheckConstraint(ANSWER_INDEX_CHECK, name="answer_index"),
        CheckConstraint(DIFFICULTY_CHECK, name="difficulty"),
        CheckConstraint(SUBDOMAIN_CHECK, name="subdomain_set"),
        CheckConstraint(sql_in("status", VersionStatus), name="status"),
        Index("ix_question_versions_status_subdomain", "status", "subdomain"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.DRAFT)
    domain: Mapped[str] = mapped_column(String(20))
    subdomain: Mapped[str] = mapped_column(String(20))
    difficulty: Mapped[str] = mapped_column(String(10))
    stem: Mapped[str] = mapped_column(Text)
    # Four option texts in stored order (A-D) and one rationale per option.
    options: Mapped[list[Any]]
    rationales: Mapped[list[Any]]
    answer_index: Mapped[int]
    references: Mapped[list[Any]] = mapped_column(default=list)
    enemies: Mapped[list[Any]] = mapped_column(default=list)
    # When the item's time-sensitive facts (a law's dates, a standard's edition) were checked.
    as_of: Mapped[date | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    # The item's name or identifier in the tool it was imported from (a GIFT title, a Moodle
    # idnumber, a QTI identifier, a spreadsheet id); '' for items written here.
    source_ref: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Another tool's general feedback, kept for the instructor completing the draft.
    source_feedback: Mapped[str] = mapped_column(Text, default="", server_default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]

    question: Mapped[Question] = relationship(back_populates="versions")


class BankRevision(Base):
    """One row: a random token that database triggers replace whenever the published bank
    changes in what assembly reads (migration ``20261206_bank_revision``).

    Reading it tells a process whether its cached bank index is current without hashing the
    bank. The row is absent until the first such change after the table was made or emptied;
    then the bank is hashed as before (``services/pool.fingerprint``).
    """

    __tablename__ = "bank_revisions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))


class PublishedVersionImmutable(Exception):
    """Raised when code tries to change the content of a published version."""


@event.listens_for(Session, "before_flush")
def _guard_published_versions(session: Session, _ctx: object, _instances: object) -> None:
    """Refuse any flush that edits a published version's content."""
    from sqlalchemy import inspect

    for obj in session.dirty:
        if not isinstance(obj, QuestionVersion):
            continue
        state = inspect(obj)
        status_hist = state.attrs.status.history
        was = status_hist.deleted[0] if status_hist.deleted else obj.status
        if was not in (VersionStatus.PUBLISHED, VersionStatus.RETIRED):
            continue
        changed = [f for f in CONTENT_FIELDS if state.attrs[f].history.has_changes()]
        if changed:
            raise PublishedVersionImmutable(
                f"question version {obj.id} is {was}; cannot change {', '.join(changed)}"
            )
