"""Spaced review: one FSRS card per candidate and question, and its review log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from exam_engine.models.base import Base, utcnow


class ReviewCard(Base):
    """A question in a candidate's review queue, scheduled by FSRS."""

    __tablename__ = "review_cards"
    __table_args__ = (
        UniqueConstraint("user_id", "question_id"),
        Index("ix_review_cards_user_due", "user_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    # The fsrs library's Card, serialized (stability, difficulty, state, step, last review).
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewLog(Base):
    """One rating given to a card (Again=1, Hard=2, Good=3, Easy=4)."""

    __tablename__ = "review_logs"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 4", name="rating"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(
        ForeignKey("review_cards.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int]
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
