"""Where the candidate is in an attempt: the position last opened, and where to resume."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import AttemptStatus
from exam_engine.models import Attempt
from exam_engine.services.transaction import transaction


def note_position(session: Session, user_id: int, attempt_id: int, position: int) -> None:
    """Remember the position the candidate opened (a no-op when it is already the one stored)."""
    with transaction(session, keep_loaded=True):
        session.execute(
            update(Attempt)
            .where(
                Attempt.id == attempt_id,
                Attempt.user_id == user_id,
                Attempt.status == AttemptStatus.IN_PROGRESS,
                Attempt.last_position.is_distinct_from(position),
            )
            .values(last_position=position)
            .execution_options(synchronize_session=False)
        )


def resume_position(attempt: Attempt) -> int:
    """The position last opened; without one, the first unanswered (or the first)."""
    count = len(attempt.items)
    if attempt.last_position is not None and 1 <= attempt.last_position <= count:
        return attempt.last_position
    return next((i.position for i in attempt.items if i.choice is None), 1)
