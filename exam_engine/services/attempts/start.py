"""Starting an attempt: assemble a form from the published bank and store it.

Every start of one user queues on that user's row lock, so a double click or a retry finds
the attempt already running instead of making a second form.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Select, func, insert, select, text, update
from sqlalchemy.orm import Session

from exam_engine.domain.assembly import Form, FormItem, assemble
from exam_engine.domain.errors import AssemblyError
from exam_engine.domain.vocabulary import AttemptKind, AttemptStatus, CohortRole, Mode
from exam_engine.models import (
    Assignment,
    Attempt,
    AttemptItem,
    ExamTemplate,
    Membership,
    Question,
    User,
)
from exam_engine.services.catalog import blueprint_named, get_template, template_spec
from exam_engine.services.errors import Conflict, NotFound
from exam_engine.services.pool import PublishedBank, published_bank
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


PRACTICE_KINDS = (AttemptKind.DRILL, AttemptKind.REVIEW)
# Every kind: what a new mock must share no question with while it is unfinished.
UNFINISHED_KINDS = (*PRACTICE_KINDS, AttemptKind.MOCK)


def unfinished_questions(user_id: int, kinds: Iterable[str]) -> Select[tuple[int]]:
    """Query: the question ids on the user's unfinished attempts of these kinds."""
    return (
        select(AttemptItem.question_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(
            Attempt.user_id == user_id,
            Attempt.kind.in_(list(kinds)),
            Attempt.status == AttemptStatus.IN_PROGRESS,
        )
    )


def open_mock_questions(user_id: int) -> Select[tuple[int]]:
    """Query: the question ids on the user's unfinished mocks (assigned ones included)."""
    return unfinished_questions(user_id, (AttemptKind.MOCK,))


def unfinished_keys(session: Session, user_id: int, kinds: Iterable[str]) -> frozenset[str]:
    """The question keys on the user's unfinished attempts of these kinds."""
    ids = unfinished_questions(user_id, kinds).subquery()
    return frozenset(session.scalars(select(Question.key).where(Question.id.in_(select(ids)))))


def open_mock_keys(session: Session, user_id: int) -> frozenset[str]:
    """The question keys on the user's unfinished mocks, which practice must leave out.

    Practice shows a key after each answer, so a practice set holding a question of a mock
    still running would give that mock's key away. Leaving out the question (not only its
    version) also covers a version published after the mock started.
    """
    return unfinished_keys(session, user_id, (AttemptKind.MOCK,))


def _left_out(session: Session, user_id: int, kind: str) -> frozenset[str]:
    """What a new attempt of ``kind`` must not hold, so that no key shows before its mock ends.

    A practice set leaves out the questions of the user's unfinished mocks; a mock leaves out
    those of the user's unfinished practice sets, whose feedback (or review, once finished)
    would show their keys while the mock runs, and those of the user's other unfinished
    mocks, whose review would show them once the first of the two is submitted.
    """
    if kind == AttemptKind.MOCK:
        return unfinished_keys(session, user_id, UNFINISHED_KINDS)
    return open_mock_keys(session, user_id)


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


def time_multiplier(session: Session, user: User, assignment_id: int | None) -> float:
    """The multiplier a mock's minutes get: the cohort enrolment's for an assigned mock, else
    the account's own (which only an admin sets)."""
    if assignment_id is None:
        return user.time_multiplier
    enrolled = session.scalar(
        select(Membership.time_multiplier)
        .join(Assignment, Assignment.cohort_id == Membership.cohort_id)
        .where(
            Assignment.id == assignment_id,
            Membership.user_id == user.id,
            Membership.role == CohortRole.STUDENT,
        )
    )
    # Not a student of the cohort (any more): the assigned mock gets no accommodation.
    return enrolled if enrolled is not None else 1.0


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
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    kind = kind or (AttemptKind.MOCK if template.mode == Mode.EXAM else AttemptKind.DRILL)
    seen = seen_counts(session, user_id) if kind == AttemptKind.MOCK else {}
    exclude = _left_out(session, user_id, kind)
    usage = usage_counts(session, template.id, assignment_id) if template.exposure_cap else {}
    bank = published_bank(session)
    try:
        form = draw_form(bank, template, seed=seed, seen=seen, usage=usage, exclude=exclude)
    except AssemblyError as error:
        hint = ""
        if exclude and kind == AttemptKind.MOCK:
            hint = (
                "; your unfinished drill, review or other mock holds questions this mock needs: "
                "finish it first"
            )
        raise Conflict(f"template {template_name!r}: {error}{hint}") from error
    timed = template.mode == Mode.EXAM
    attempt = Attempt(
        user_id=user_id,
        template=template,  # loaded: the start's reply names it without another query
        assignment_id=assignment_id,
        seed=seed,
        mode=template.mode,
        kind=kind,
        status=AttemptStatus.IN_PROGRESS,
        started_at=now,
        deadline_at=(
            deadline_for(now, template.minutes, time_multiplier(session, user, assignment_id))
            if timed
            else None
        ),
    )
    return add_form(session, attempt, form.items, bank.question_of)


def draw_form(
    bank: PublishedBank,
    template: ExamTemplate,
    *,
    seed: int,
    seen: Mapping[str, int],
    usage: Mapping[str, int],
    exclude: frozenset[str],
) -> Form:
    """Assemble a form of the template from the published bank; raise AssemblyError."""
    return assemble(
        bank.index,
        blueprint_named(template.blueprint),
        template_spec(template),
        seed=seed,
        seen=seen,
        usage=usage,
        exposure_cap=template.exposure_cap,
        exclude=exclude,
    )


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
    """Insert items of an added attempt, in the caller's transaction.

    On PostgreSQL the items go as one JSON parameter that the database unpacks into rows: one
    statement, always the same text (so it stays prepared), where an executemany sends one
    INSERT a row and a multi-row VALUES compiles a new statement for every form.
    """
    if session.get_bind().dialect.name == "postgresql":
        rows = [
            [item.position, item.version_id, question_of[item.version_id], list(item.option_order)]
            for item in items
        ]
        session.execute(_ITEMS_PG, {"attempt_id": attempt.id, "items": json.dumps(rows)})
        return
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


# Each element is [position, version id, question id, option order], as a prepared form keeps.
_ITEMS_PG = text(
    "INSERT INTO attempt_items (attempt_id, position, question_id, question_version_id,"
    " option_order, flagged, last_seq)"
    " SELECT :attempt_id, (e->>0)::int, (e->>2)::int, (e->>1)::int, e->3, false, 0"
    " FROM json_array_elements(CAST(:items AS json)) e"
)


# The use case: assemble a form from the published bank and store it as a new attempt (committed).
start_attempt = in_transaction(new_attempt, keep_loaded=True)
