"""Finishing attempts: submit, finalize exactly once with the graded result, sweep the overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Update, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from exam_engine.domain.grading import GradedItem, grade
from exam_engine.domain.vocabulary import FINISHED, AttemptStatus
from exam_engine.models import Attempt, AttemptItem, ExamTemplate, Question, QuestionVersion
from exam_engine.services import calibration, item_stats
from exam_engine.services.attempts.reading import get_attempt, grace, is_past_grace
from exam_engine.services.catalog import blueprint_named
from exam_engine.services.errors import NotFound
from exam_engine.services.shown_items import shown_items
from exam_engine.services.transaction import end_read, transaction


def rows_changed(session: Session, statement: Update) -> int:
    """Execute an UPDATE and return how many rows it changed."""
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount


def touch(session: Session, attempt: Attempt, now: datetime, grace_seconds: int) -> Attempt:
    """Finalize an in-progress attempt whose time is up (every read of an attempt calls this)."""
    if attempt.status == AttemptStatus.IN_PROGRESS and is_past_grace(attempt, now, grace_seconds):
        finalize(session, attempt.id, now, status=AttemptStatus.EXPIRED)
        session.refresh(attempt)
    return attempt


def finalize(session: Session, attempt_id: int, now: datetime, *, status: str) -> bool:
    """Finish an attempt exactly once and cache its graded result; True if this call did it."""
    with transaction(session):
        attempt = session.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())
        if attempt is None:
            raise NotFound(f"attempt {attempt_id} not found")
        if attempt.status in FINISHED:
            return False
        finished_at = now
        if status == AttemptStatus.EXPIRED and attempt.deadline_at is not None:
            finished_at = min(now, attempt.deadline_at)
        changed = rows_changed(
            session,
            update(Attempt)
            .where(Attempt.id == attempt_id, Attempt.status == AttemptStatus.IN_PROGRESS)
            .values(status=status, submitted_at=finished_at),
        )
        if changed != 1:
            return False
        session.refresh(attempt)
        attempt.result = grade_attempt(session, attempt)
        item_stats.mark_stale(session, attempt.template.name, now=now, kind=attempt.kind)
        item_stats.record_responses(session, attempt_id, kind=attempt.kind)
        calibration.mark_stale(session, now=now, kind=attempt.kind)
    return True


def graded_items(session: Session, attempt: Attempt) -> list[GradedItem]:
    """The attempt's items graded against the versions it showed."""
    # Plain columns, not ORM rows: building 90 full versions cost more than grading them.
    rows = session.execute(
        shown_items(
            AttemptItem.position,
            AttemptItem.choice,
            AttemptItem.flagged,
            Question.key,
            QuestionVersion.domain,
            QuestionVersion.subdomain,
            QuestionVersion.answer_index,
        )
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.position)
    )
    return [
        GradedItem(
            position=position,
            key=key,
            domain=domain,
            subdomain=subdomain,
            correct=choice is not None and choice == answer_index,
            answered=choice is not None,
            flagged=flagged,
        )
        for position, choice, flagged, key, domain, subdomain, answer_index in rows
    ]


def grade_attempt(session: Session, attempt: Attempt) -> dict[str, Any]:
    """Grade an attempt into its JSON-ready cached result."""
    template: ExamTemplate = attempt.template
    blueprint = blueprint_named(template.blueprint)
    return grade(graded_items(session, attempt), blueprint).to_dict()


def submit_attempt(
    session: Session, user_id: int, attempt_id: int, *, now: datetime, grace_seconds: int
) -> Attempt:
    """Submit (idempotently); a submit after the grace period finalizes as expired."""
    attempt = get_attempt(session, user_id, attempt_id)
    if attempt.status == AttemptStatus.IN_PROGRESS:
        late = is_past_grace(attempt, now, grace_seconds)
        status = AttemptStatus.EXPIRED if late else AttemptStatus.SUBMITTED
        finalize(session, attempt_id, now, status=status)
    session.refresh(attempt)
    return attempt


def sweep_expired(session: Session, *, now: datetime, grace_seconds: int) -> list[int]:
    """Finalize every in-progress attempt past its deadline + grace; return those this call did."""
    cutoff = now - grace(grace_seconds)
    ids = session.scalars(
        select(Attempt.id).where(
            Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at < cutoff
        )
    ).all()
    end_read(session)
    return [
        attempt_id
        for attempt_id in ids
        if finalize(session, attempt_id, now, status=AttemptStatus.EXPIRED)
    ]
