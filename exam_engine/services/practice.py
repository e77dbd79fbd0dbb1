"""Checking a practice answer: reveal its key and rationales and lock the choice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from exam_engine.domain.vocabulary import Mode
from exam_engine.models import Attempt, AttemptItem
from exam_engine.services.attempt_views import feedback_for
from exam_engine.services.attempts import refuse_closed
from exam_engine.services.errors import Conflict, NotFound
from exam_engine.services.transaction import transaction


class NothingToCheck(Conflict):
    """A position without an answer cannot be checked."""


class NotPractice(Conflict):
    """Only practice attempts reveal keys before they finish."""


def check_answer(
    session: Session,
    user_id: int,
    attempt_id: int,
    position: int,
    *,
    now: datetime,
    grace_seconds: int,
) -> dict[str, Any]:
    """Lock the position's answer (once) and return its feedback; checking again is the same."""
    with transaction(session):
        # Exclusive, where saves take the attempt shared: no save of another answer can slip
        # between this read of the choice and the lock.
        attempt = session.scalar(
            select(Attempt)
            .where(Attempt.id == attempt_id, Attempt.user_id == user_id)
            .with_for_update()
        )
        if attempt is None:
            raise NotFound(f"attempt {attempt_id} not found")
        if attempt.mode != Mode.PRACTICE:
            raise NotPractice(
                f"attempt {attempt_id} is a {attempt.mode} attempt: answers are checked only in "
                "practice; the key comes with the scorecard"
            )
        refuse_closed(attempt, now, grace_seconds)
        item = session.scalar(
            select(AttemptItem)
            .where(AttemptItem.attempt_id == attempt_id, AttemptItem.position == position)
            .options(selectinload(AttemptItem.version))
            # The autosave writes with Core statements: refresh a copy the request loaded.
            .execution_options(populate_existing=True)
        )
        if item is None:
            raise NotFound(f"attempt {attempt_id} has no position {position}")
        if item.choice is None:
            raise NothingToCheck(
                f"position {position} has no answer to check: choose an option first"
            )
        if item.checked_at is None:
            item.checked_at = now
        return feedback_for(item)
