"""Starting an attempt: assemble a form from the published bank and store it.

Every start of one user queues on that user's row lock, so a double click or a retry finds
the attempt already running instead of making a second form.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from exam_engine.domain.assembly import FormItem, assemble
from exam_engine.domain.errors import AssemblyError
from exam_engine.domain.vocabulary import AttemptKind, AttemptStatus, Mode
from exam_engine.models import Assignment, Attempt, AttemptItem, ExamTemplate, Question, User
from exam_engine.services.catalog import blueprint_named, get_template, template_spec
from exam_engine.services.errors import Conflict, NotFound
from exam_engine.services.pool import published_bank
from exam_engine.services.transaction import in_transaction


def seen_counts(session: Session, user_id: int) -> dict[str, int]:
    """How many earlier mocks of this user showed each question key."""
    rows = session.execute(
        select(Question.key)
        .join(AttemptItem, AttemptItem.question_id == Question.id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.user_id == user_id, Attempt.kind == AttemptKind.MOCK)
    )
    return dict(Counter(key for (key,) in rows))


def usage_counts(
    session: Session, template_id: int, assignment_id: int | None = None
) -> dict[str, int]:
    """How often each question key was used by the template's attempts (exposure control).

    For an assigned mock the count is over the assignment's cohort, else over everyone.
    """
    query = (
        select(Question.key, func.count())
        .join(AttemptItem, AttemptItem.question_id == Question.id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.template_id == template_id)
        .group_by(Question.key)
    )
    if assignment_id is not None:
        cohort = select(Assignment.cohort_id).where(Assignment.id == assignment_id)
        query = query.join(Assignment, Assignment.id == Attempt.assignment_id).where(
            Assignment.cohort_id == cohort.scalar_subquery()
        )
    return {key: count for key, count in session.execute(query)}


def deadline_for(started: datetime, minutes: int, multiplier: float) -> datetime:
    """The server's deadline: start + minutes x the user's time multiplier."""
    return started + timedelta(minutes=minutes * multiplier)


def lock_user(session: Session, user_id: int) -> None:
    """Serialize one user's starts (and study-queue updates) across requests and workers."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has one writer: taking the write lock before reading makes the reads current.
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values(is_active=User.is_active)
            .execution_options(synchronize_session=False)
        )
    else:
        session.execute(select(User.id).where(User.id == user_id).with_for_update())


def load_user(session: Session, user_id: int) -> User:
    """The acting user (from the session's identity map when the request has loaded it)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def open_attempt(
    session: Session, user_id: int, template_name: str, now: datetime
) -> Attempt | None:
    """The user's unassigned attempt of this template that is still running, if any.

    An attempt whose deadline has passed is not resumed: it is finalized by its next touch
    or the sweep.
    """
    return session.scalar(
        select(Attempt)
        .join(ExamTemplate, ExamTemplate.id == Attempt.template_id)
        .where(
            Attempt.user_id == user_id,
            ExamTemplate.name == template_name,
            Attempt.assignment_id.is_(None),
            Attempt.status == AttemptStatus.IN_PROGRESS,
            (Attempt.deadline_at.is_(None)) | (Attempt.deadline_at > now),
        )
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        .limit(1)
    )


def new_attempt(
    session: Session,
    user_id: int,
    template_name: str,
    *,
    now: datetime,
    seed: int | None = None,
    kind: str | None = None,
    assignment_id: int | None = None,
) -> Attempt:
    """Assemble a form and add the attempt and its items, in the caller's transaction.

    ``kind`` defaults to "mock" for exam templates and "drill" for practice ones: only
    mocks count as seen items, toward scores and toward item statistics.
    """
    user = load_user(session, user_id)
    template = get_template(session, template_name)
    spec = template_spec(template)
    blueprint = blueprint_named(template.blueprint)
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    kind = kind or (AttemptKind.MOCK if template.mode == Mode.EXAM else AttemptKind.DRILL)
    seen = seen_counts(session, user_id) if kind == AttemptKind.MOCK else {}
    usage = usage_counts(session, template.id, assignment_id) if template.exposure_cap else {}
    bank = published_bank(session)
    try:
        form = assemble(
            bank.index,
            blueprint,
            spec,
            seed=seed,
            seen=seen,
            usage=usage,
            exposure_cap=template.exposure_cap,
        )
    except AssemblyError as error:
        raise Conflict(f"template {template_name!r}: {error}") from error
    timed = template.mode == Mode.EXAM
    attempt = Attempt(
        user_id=user_id,
        template_id=template.id,
        assignment_id=assignment_id,
        seed=seed,
        mode=template.mode,
        kind=kind,
        status=AttemptStatus.IN_PROGRESS,
        started_at=now,
        deadline_at=deadline_for(now, template.minutes, user.time_multiplier) if timed else None,
    )
    return add_form(session, attempt, form.items, bank.question_of)


def add_form(
    session: Session, attempt: Attempt, items: Iterable[FormItem], question_of: Mapping[int, int]
) -> Attempt:
    """Add a new attempt and its form's items, in the caller's transaction.

    The items go in as one multi-row INSERT rather than through the unit of work: building,
    tracking and flushing 90 ORM objects was the largest part of a start's cost. The attempt
    stays loaded after the commit; its ``items`` load on first use.
    """
    session.add(attempt)
    session.flush()
    add_items(session, attempt, items, question_of)
    return attempt


def add_items(
    session: Session, attempt: Attempt, items: Iterable[FormItem], question_of: Mapping[int, int]
) -> None:
    """Insert items of an added attempt (one multi-row INSERT), in the caller's transaction."""
    session.execute(
        insert(AttemptItem),
        [
            {
                "attempt_id": attempt.id,
                "position": item.position,
                "question_id": question_of[item.version_id],
                "question_version_id": item.version_id,
                "option_order": list(item.option_order),
            }
            for item in items
        ],
    )


# The use case: assemble a form from the published bank and store it as a new attempt (committed).
start_attempt = in_transaction(new_attempt, keep_loaded=True)
