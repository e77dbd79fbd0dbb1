"""Reading attempts: the caller's own attempt, its clock, its rows as shown."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from exam_engine.models import Attempt, AttemptItem, QuestionVersion
from exam_engine.services.errors import NotFound, ValidationFailed

OPTION_IDS = ("A", "B", "C", "D")


def get_attempt(session: Session, user_id: int, attempt_id: int, *, lock: bool = False) -> Attempt:
    """Return the user's own attempt; another user's (or a missing) one is NotFound."""
    if lock:
        # Saves take a shared lock and finalizing an exclusive one, so an accepted save can
        # never slip in after the attempt was graded (PostgreSQL; SQLite has one writer).
        query = select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user_id)
        attempt = session.scalar(query.with_for_update(read=True))
    else:
        # The identity map answers without a round trip when the request has the attempt
        # loaded already (the autosave view reads it again right after the save).
        attempt = session.get(Attempt, attempt_id)
        if attempt is not None and attempt.user_id != user_id:
            attempt = None
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} not found")
    return attempt


def grace(seconds: int) -> timedelta:
    """The grace period after the deadline during which saves are still accepted."""
    return timedelta(seconds=seconds)


def is_past_grace(attempt: Attempt, now: datetime, grace_seconds: int) -> bool:
    """True when a timed attempt can no longer accept saves."""
    return attempt.deadline_at is not None and now > attempt.deadline_at + grace(grace_seconds)


def remaining_seconds(attempt: Attempt, now: datetime) -> int | None:
    """Whole seconds left before the deadline (None when untimed)."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - now).total_seconds()))


def stored_index(option_order: list[Any], choice: str | None) -> int | None:
    """Map an option id to the stored index, given the attempt item's option order."""
    if choice is None:
        return None
    if choice not in OPTION_IDS[: len(option_order)]:
        raise ValidationFailed(f"choice: {choice!r} is not one of A, B, C, D or null")
    return int(option_order[OPTION_IDS.index(choice)])


def stored_to_choice(item: AttemptItem, stored: int | None) -> str | None:
    """Map a stored option index to the candidate-facing id of this attempt."""
    if stored is None:
        return None
    return OPTION_IDS[list(item.option_order).index(stored)]


def attempt_seq(session: Session, attempt_id: int) -> int:
    """The highest sequence number accepted on any position of the attempt."""
    return (
        session.scalar(
            select(func.coalesce(func.max(AttemptItem.last_seq), 0)).where(
                AttemptItem.attempt_id == attempt_id
            )
        )
        or 0
    )


def load_for_view(session: Session, user_id: int, attempt_id: int) -> Attempt:
    """Return the attempt with its items and shown versions loaded for rendering."""
    attempt = session.scalar(
        select(Attempt)
        .where(Attempt.id == attempt_id, Attempt.user_id == user_id)
        .options(selectinload(Attempt.items).selectinload(AttemptItem.version))
    )
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} not found")
    return attempt


class ResponseRow(NamedTuple):
    """A position as shown with the candidate's own latest save (no key, no rationale)."""

    position: int
    stem: str
    options: list[Any]
    option_order: list[int]
    choice: int | None  # stored option index
    flagged: bool
    struck: int  # a bit per stored option index
    last_seq: int


def response_rows(session: Session, attempt_id: int) -> list[ResponseRow]:
    """The attempt's positions with stems, options and the candidate's saves, in one query.

    What a reload (or a retried start) of an attempt that reveals nothing yet needs, without
    loading 90 items and their full versions as ORM objects.
    """
    rows = session.execute(
        select(
            AttemptItem.position,
            QuestionVersion.stem,
            QuestionVersion.options,
            AttemptItem.option_order,
            AttemptItem.choice,
            AttemptItem.flagged,
            AttemptItem.struck,
            AttemptItem.last_seq,
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    )
    return [ResponseRow(*row) for row in rows]


def user_attempts(session: Session, user_id: int) -> list[Attempt]:
    """The user's attempts, newest first."""
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user_id)
            .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        )
    )
