"""Attempt use cases: start (assemble), save a response, submit, sweep expired attempts.

The clock is the server's: every function takes ``now``. Saves are idempotent per
(position, seq); an older seq never overwrites a newer one; a save after the deadline plus
the grace period is refused, and the attempt is finalized on its next touch.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Update, and_, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from exam_engine.domain.assembly import BankIndex, PoolItem, assemble
from exam_engine.domain.errors import AssemblyError
from exam_engine.domain.grading import GradedItem, grade
from exam_engine.models import (
    Attempt,
    AttemptItem,
    ExamTemplate,
    Question,
    QuestionVersion,
    Response,
    User,
)
from exam_engine.services.catalog import blueprint_named, get_template, template_spec
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed

OPTION_IDS = ("A", "B", "C", "D")
FINISHED = ("submitted", "expired")


class DeadlinePassed(Conflict):
    """The attempt's time is up; the save was not recorded."""


class AttemptFinished(Conflict):
    """The attempt is already submitted or expired."""


@dataclass(frozen=True)
class SaveResult:
    """Outcome of a save: whether this request changed the stored answer."""

    position: int
    accepted: bool
    choice: str | None
    flagged: bool
    seq: int
    saved_at: datetime | None
    attempt_seq: int


def rows_changed(session: Session, statement: Update) -> int:
    """Execute an UPDATE and return how many rows it changed."""
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount


def published_pool(session: Session) -> list[PoolItem]:
    """Return every published item version as assembly sees it."""
    rows = session.execute(
        select(
            Question.key,
            QuestionVersion.id,
            QuestionVersion.domain,
            QuestionVersion.subdomain,
            QuestionVersion.difficulty,
            QuestionVersion.enemies,
        )
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.status == "published")
    )
    return [
        PoolItem(key, vid, domain, sub, diff, frozenset(enemies or ()))
        for key, vid, domain, sub, diff, enemies in rows
    ]


def seen_counts(session: Session, user_id: int) -> dict[str, int]:
    """How many earlier mocks of this user showed each question key."""
    rows = session.execute(
        select(Question.key)
        .join(AttemptItem, AttemptItem.question_id == Question.id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.user_id == user_id, Attempt.kind == "mock")
    )
    return dict(Counter(key for (key,) in rows))


def deadline_for(started: datetime, minutes: int, multiplier: float) -> datetime:
    """The server's deadline: start + minutes x the user's time multiplier."""
    return started + timedelta(minutes=minutes * multiplier)


def start_attempt(
    session: Session,
    user: User,
    template_name: str,
    *,
    now: datetime,
    seed: int | None = None,
    kind: str = "mock",
) -> Attempt:
    """Assemble a form from the published bank and store it as a new attempt (committed)."""
    template = get_template(session, template_name)
    spec = template_spec(template)
    blueprint = blueprint_named(template.blueprint)
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    seen = seen_counts(session, user.id) if kind == "mock" else {}
    try:
        form = assemble(BankIndex(published_pool(session)), blueprint, spec, seed=seed, seen=seen)
    except AssemblyError as error:
        raise Conflict(f"template {template_name!r}: {error}") from error
    timed = template.mode == "exam"
    attempt = Attempt(
        user_id=user.id,
        template_id=template.id,
        seed=seed,
        mode=template.mode,
        kind=kind,
        status="in_progress",
        started_at=now,
        deadline_at=deadline_for(now, template.minutes, user.time_multiplier) if timed else None,
    )
    question_ids: dict[int, int] = {
        version_id: question_id
        for version_id, question_id in session.execute(
            select(QuestionVersion.id, QuestionVersion.question_id).where(
                QuestionVersion.id.in_([item.version_id for item in form.items])
            )
        )
    }
    attempt.items = [
        AttemptItem(
            position=item.position,
            question_id=question_ids[item.version_id],
            question_version_id=item.version_id,
            option_order=list(item.option_order),
        )
        for item in form.items
    ]
    session.add(attempt)
    session.commit()
    return attempt


def get_attempt(session: Session, user_id: int, attempt_id: int, *, lock: bool = False) -> Attempt:
    """Return the user's own attempt; another user's (or a missing) one is NotFound."""
    query = select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user_id)
    if lock:
        # Saves take a shared lock and finalizing an exclusive one, so an accepted save can
        # never slip in after the attempt was graded (PostgreSQL; SQLite has one writer).
        query = query.with_for_update(read=True)
    attempt = session.scalar(query)
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


def touch(session: Session, attempt: Attempt, now: datetime, grace_seconds: int) -> Attempt:
    """Finalize an in-progress attempt whose time is up (every read of an attempt calls this)."""
    if attempt.status == "in_progress" and is_past_grace(attempt, now, grace_seconds):
        finalize(session, attempt.id, now, status="expired")
        session.refresh(attempt)
    return attempt


def choice_to_stored(item: AttemptItem, choice: str | None) -> int | None:
    """Map a candidate-facing option id to the stored option index."""
    if choice is None:
        return None
    if choice not in OPTION_IDS[: len(item.option_order)]:
        raise ValidationFailed(f"choice: {choice!r} is not one of A, B, C, D or null")
    return int(item.option_order[OPTION_IDS.index(choice)])


def stored_to_choice(item: AttemptItem, stored: int | None) -> str | None:
    """Map a stored option index to the candidate-facing id of this attempt."""
    if stored is None:
        return None
    return OPTION_IDS[list(item.option_order).index(stored)]


def save_response(
    session: Session,
    user_id: int,
    attempt_id: int,
    position: int,
    *,
    choice: str | None,
    flagged: bool,
    seq: int,
    now: datetime,
    grace_seconds: int,
) -> SaveResult:
    """Record one save; idempotent per (position, seq), newest seq wins, refused after time."""
    if seq < 1:
        raise ValidationFailed("seq: must be a positive integer")
    attempt = get_attempt(session, user_id, attempt_id, lock=True)
    if attempt.status in FINISHED:
        session.rollback()
        raise AttemptFinished(f"attempt {attempt_id} is already {attempt.status}")
    if is_past_grace(attempt, now, grace_seconds):
        session.rollback()
        finalize(session, attempt_id, now, status="expired")
        raise DeadlinePassed(
            f"time is up for attempt {attempt_id}: the deadline was "
            f"{attempt.deadline_at:%H:%M:%S} UTC; answers saved before it are graded"
        )
    item = session.scalar(
        select(AttemptItem).where(
            AttemptItem.attempt_id == attempt_id, AttemptItem.position == position
        )
    )
    if item is None:
        session.rollback()
        raise NotFound(f"attempt {attempt_id} has no position {position}")
    stored = choice_to_stored(item, choice)
    if attempt.mode == "practice" and item.choice is not None and stored != item.choice:
        session.rollback()
        raise Conflict(f"position {position} was already answered and checked in practice mode")
    try:
        with session.begin_nested():
            session.add(
                Response(
                    attempt_item_id=item.id, seq=seq, choice=stored, flagged=flagged, saved_at=now
                )
            )
    except IntegrityError:
        # The same seq again (a retry): the first one counted; report the stored state.
        accepted = False
    else:
        accepted = (
            rows_changed(
                session,
                update(AttemptItem)
                .where(and_(AttemptItem.id == item.id, AttemptItem.last_seq < seq))
                .values(choice=stored, flagged=flagged, last_seq=seq, saved_at=now),
            )
            == 1
        )
    session.commit()
    session.refresh(item)
    return SaveResult(
        position=position,
        accepted=accepted,
        choice=stored_to_choice(item, item.choice),
        flagged=item.flagged,
        seq=item.last_seq,
        saved_at=item.saved_at,
        attempt_seq=attempt_seq(session, attempt_id),
    )


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


def finalize(session: Session, attempt_id: int, now: datetime, *, status: str) -> bool:
    """Finish an attempt exactly once and cache its graded result; True if this call did it."""
    attempt = session.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} not found")
    if attempt.status in FINISHED:
        session.rollback()
        return False
    finished_at = now
    if status == "expired" and attempt.deadline_at is not None:
        finished_at = min(now, attempt.deadline_at)
    changed = rows_changed(
        session,
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.status == "in_progress")
        .values(status=status, submitted_at=finished_at),
    )
    if changed != 1:
        session.rollback()
        return False
    session.refresh(attempt)
    attempt.result = grade_attempt(session, attempt)
    session.commit()
    return True


def graded_items(session: Session, attempt: Attempt) -> list[GradedItem]:
    """The attempt's items graded against the versions it showed."""
    rows = session.execute(
        select(AttemptItem, QuestionVersion, Question.key)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .join(Question, Question.id == AttemptItem.question_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.position)
    )
    return [
        GradedItem(
            position=item.position,
            key=key,
            domain=version.domain,
            subdomain=version.subdomain,
            correct=item.choice is not None and item.choice == version.answer_index,
            answered=item.choice is not None,
            flagged=item.flagged,
        )
        for item, version, key in rows
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
    if attempt.status == "in_progress":
        status = "expired" if is_past_grace(attempt, now, grace_seconds) else "submitted"
        finalize(session, attempt_id, now, status=status)
    session.refresh(attempt)
    return attempt


def sweep_expired(session: Session, *, now: datetime, grace_seconds: int) -> list[int]:
    """Finalize every in-progress attempt past its deadline + grace; return those this call did."""
    cutoff = now - grace(grace_seconds)
    ids = session.scalars(
        select(Attempt.id).where(Attempt.status == "in_progress", Attempt.deadline_at < cutoff)
    ).all()
    session.rollback()
    return [
        attempt_id for attempt_id in ids if finalize(session, attempt_id, now, status="expired")
    ]


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


def user_attempts(session: Session, user_id: int) -> list[Attempt]:
    """The user's attempts, newest first."""
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user_id)
            .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        )
    )
