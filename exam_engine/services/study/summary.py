"""What the Study pages show: due items, the streak and the dashboard panel's summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.domain.moments import iso_utc
from exam_engine.domain.scheduling import as_utc, day_start, due_cutoff, streak
from exam_engine.models import Question, QuestionVersion, ReviewCard, ReviewLog
from exam_engine.services import attempts
from exam_engine.services.study.queue import record_outcomes
from exam_engine.services.study.starting import open_review, published_versions

STREAK_WINDOW_DAYS = 400
SHORT_STREAK_WINDOW_DAYS = 14


@dataclass(frozen=True)
class DueItem:
    """A card due today: its question key, sub-domain and due time."""

    card_id: int
    key: str
    subdomain: str
    due: datetime

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "key": self.key,
            "subdomain": self.subdomain,
            "due": iso_utc(self.due),
        }


def due_items(session: Session, user_id: int, *, now: datetime) -> list[DueItem]:
    """Cards due before the next UTC midnight whose question is still published, soonest first.

    A question of an unfinished mock is left out until that mock is finished, as a review
    session leaves it out.
    """
    latest = published_versions()
    rows = session.execute(
        select(ReviewCard.id, Question.key, QuestionVersion.subdomain, ReviewCard.due_at)
        .join(Question, Question.id == ReviewCard.question_id)
        .join(latest, latest.c.question_id == ReviewCard.question_id)
        .join(QuestionVersion, QuestionVersion.id == latest.c.version_id)
        .where(
            ReviewCard.user_id == user_id,
            ReviewCard.due_at < due_cutoff(now),
            ReviewCard.question_id.not_in(attempts.open_mock_questions(user_id)),
        )
        .order_by(ReviewCard.due_at, ReviewCard.id)
    )
    return [DueItem(cid, key, sub, as_utc(due)) for cid, key, sub, due in rows]


def review_days(session: Session, user_id: int, *, now: datetime, days: int) -> set[date]:
    """UTC days with at least one review log of the user, among the last ``days`` days."""
    since = day_start(now) - timedelta(days=days)
    moments = session.scalars(
        select(ReviewLog.reviewed_at)
        .join(ReviewCard, ReviewCard.id == ReviewLog.card_id)
        .where(ReviewCard.user_id == user_id, ReviewLog.reviewed_at >= since)
    )
    return {as_utc(moment).date() for moment in moments}


def study_streak(session: Session, user_id: int, *, now: datetime) -> tuple[int, bool]:
    """The streak in days (at most STREAK_WINDOW_DAYS), and whether today has a review."""
    today = as_utc(now).date()
    # A fortnight of logs settles almost every streak; only a longer one reads the full window.
    for window in (SHORT_STREAK_WINDOW_DAYS, STREAK_WINDOW_DAYS):
        days = review_days(session, user_id, now=now, days=window)
        length = streak(days, today)
        if length < window - 1:
            break
    return length, today in days


@dataclass(frozen=True)
class StudySummary:
    """What the dashboard's Study panel shows."""

    due_today: int
    in_queue: int
    next_due: datetime | None
    streak: int
    reviewed_today: bool
    open_review_id: int | None


def summary(session: Session, user_id: int, *, now: datetime) -> StudySummary:
    """Record outstanding outcomes, then count the queue, the due items and the streak."""
    record_outcomes(session, user_id, now=now)
    due = due_items(session, user_id, now=now)
    in_queue = session.scalar(
        select(func.count(ReviewCard.id)).where(ReviewCard.user_id == user_id)
    )
    next_due = session.scalar(
        select(func.min(ReviewCard.due_at)).where(
            ReviewCard.user_id == user_id, ReviewCard.due_at >= due_cutoff(now)
        )
    )
    length, reviewed_today = study_streak(session, user_id, now=now)
    current = open_review(session, user_id)
    return StudySummary(
        due_today=len(due),
        in_queue=int(in_queue or 0),
        next_due=as_utc(next_due) if next_due is not None else None,
        streak=length,
        reviewed_today=reviewed_today,
        open_review_id=current.id if current is not None else None,
    )
