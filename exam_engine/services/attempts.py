"""Attempt use cases: start (assemble), save a response, submit, sweep expired attempts.

The clock is the server's: every function takes ``now``. Saves are idempotent per
(position, seq); an older seq never overwrites a newer one; a save after the deadline plus
the grace period is refused, and the attempt is finalized on its next touch.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, Update, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload

from exam_engine.domain.assembly import FormItem, assemble
from exam_engine.domain.errors import AssemblyError
from exam_engine.domain.grading import GradedItem, grade
from exam_engine.models import (
    Assignment,
    Attempt,
    AttemptItem,
    ExamTemplate,
    Question,
    QuestionVersion,
    Response,
    User,
)
from exam_engine.services import item_stats
from exam_engine.services.catalog import blueprint_named, get_template, template_spec
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from exam_engine.services.pool import published_bank

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
    # The attempt as the save saw it, still loaded: holding it keeps it in the session's
    # identity map, so the caller's next get_attempt costs no round trip.
    attempt: Attempt | None = field(default=None, repr=False, compare=False)


def rows_changed(session: Session, statement: Update) -> int:
    """Execute an UPDATE and return how many rows it changed."""
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount


def seen_counts(session: Session, user_id: int) -> dict[str, int]:
    """How many earlier mocks of this user showed each question key."""
    rows = session.execute(
        select(Question.key)
        .join(AttemptItem, AttemptItem.question_id == Question.id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.user_id == user_id, Attempt.kind == "mock")
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


def start_or_resume(
    session: Session, user: User, template_name: str, *, now: datetime
) -> tuple[Attempt, bool]:
    """Return the user's open attempt of this template (True), or start one (False).

    One attempt of a template is open at a time, as in Moodle: a second press of Start, a
    double click or a client retrying after a lost reply gets the attempt already running
    instead of a second form. The user's row lock makes simultaneous requests queue, so two
    workers can never both start. An attempt whose deadline has passed is not resumed: it is
    finalized by its next touch or the sweep.
    """
    lock_user(session, user.id)
    open_attempt = session.scalar(
        select(Attempt)
        .join(ExamTemplate, ExamTemplate.id == Attempt.template_id)
        .where(
            Attempt.user_id == user.id,
            ExamTemplate.name == template_name,
            Attempt.assignment_id.is_(None),
            Attempt.status == "in_progress",
            (Attempt.deadline_at.is_(None)) | (Attempt.deadline_at > now),
        )
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        .limit(1)
    )
    if open_attempt is not None:
        commit_keeping_loaded(session)  # ends the transaction, so the row lock
        return open_attempt, True
    return start_attempt(session, user, template_name, now=now), False


def start_attempt(
    session: Session,
    user: User,
    template_name: str,
    *,
    now: datetime,
    seed: int | None = None,
    kind: str | None = None,
    assignment_id: int | None = None,
) -> Attempt:
    """Assemble a form from the published bank and store it as a new attempt (committed).

    ``kind`` defaults to "mock" for exam templates and "drill" for practice ones: only
    mocks count as seen items, toward scores and toward item statistics.
    """
    from exam_engine.services import study  # imports this module, so not at the top

    if template_name == study.DRILL_TEMPLATE:
        return study.start_weak_area_drill(session, user, now=now, seed=seed)
    template = get_template(session, template_name)
    spec = template_spec(template)
    blueprint = blueprint_named(template.blueprint)
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    kind = kind or ("mock" if template.mode == "exam" else "drill")
    seen = seen_counts(session, user.id) if kind == "mock" else {}
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
    timed = template.mode == "exam"
    attempt = Attempt(
        user_id=user.id,
        template_id=template.id,
        assignment_id=assignment_id,
        seed=seed,
        mode=template.mode,
        kind=kind,
        status="in_progress",
        started_at=now,
        deadline_at=deadline_for(now, template.minutes, user.time_multiplier) if timed else None,
    )
    return store_form(session, attempt, form.items, bank.question_of)


def store_form(
    session: Session, attempt: Attempt, items: Iterable[FormItem], question_of: Mapping[int, int]
) -> Attempt:
    """Insert a new attempt and its form's items, and commit.

    The items go in as one multi-row INSERT rather than through the unit of work: building,
    tracking and flushing 90 ORM objects was the largest part of a start's cost. The attempt
    stays loaded after the commit; its ``items`` load on first use.
    """
    session.add(attempt)
    session.flush()
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
    commit_keeping_loaded(session)
    return attempt


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


def touch(session: Session, attempt: Attempt, now: datetime, grace_seconds: int) -> Attempt:
    """Finalize an in-progress attempt whose time is up (every read of an attempt calls this)."""
    if attempt.status == "in_progress" and is_past_grace(attempt, now, grace_seconds):
        finalize(session, attempt.id, now, status="expired")
        session.refresh(attempt)
    return attempt


def choice_to_stored(item: AttemptItem, choice: str | None) -> int | None:
    """Map a candidate-facing option id to the stored option index."""
    return stored_index(item.option_order, choice)


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


# The autosave's statements, built once: building them on every save cost more CPU than
# running them. One read takes the attempt under a shared lock (finalize takes it
# exclusively, so no save is accepted after grading) with the item and the attempt's
# highest seq so far; then the response is inserted once per seq and the item updated
# only by a newer seq.
ITEMS = cast(Table, AttemptItem.__table__)
RESPONSES = cast(Table, Response.__table__)
_OTHER = aliased(AttemptItem)
SAVE_READ = (
    select(
        Attempt,
        AttemptItem.id,
        AttemptItem.option_order,
        AttemptItem.choice,
        select(func.coalesce(func.max(_OTHER.last_seq), 0))
        .where(_OTHER.attempt_id == bindparam("attempt_id"))
        .scalar_subquery(),
    )
    .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
    .where(
        Attempt.id == bindparam("attempt_id"),
        Attempt.user_id == bindparam("user_id"),
        AttemptItem.position == bindparam("position"),
    )
    .with_for_update(read=True, of=Attempt)
)
RESPONSE_VALUES: dict[str, Any] = {
    "attempt_item_id": bindparam("item_id"),
    "seq": bindparam("seq"),
    "choice": bindparam("choice"),
    "flagged": bindparam("flagged"),
    "saved_at": bindparam("at"),
}
# ON CONFLICT DO NOTHING: one statement where a savepoint costs two more round trips.
SAVE_INSERT = {
    module.__name__.rsplit(".", 1)[1]: module.insert(RESPONSES)
    .values(RESPONSE_VALUES)
    .on_conflict_do_nothing(index_elements=["attempt_item_id", "seq"])
    .returning(RESPONSES.c.id)
    for module in (postgresql, sqlite)
}
SAVE_UPDATE = (
    update(ITEMS)
    .where(ITEMS.c.id == bindparam("item_id"), ITEMS.c.last_seq < bindparam("seq"))
    .values(
        choice=bindparam("choice"),
        flagged=bindparam("flagged"),
        last_seq=bindparam("seq"),
        saved_at=bindparam("at"),
    )
)


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
    row = session.execute(
        SAVE_READ, {"attempt_id": attempt_id, "user_id": user_id, "position": position}
    ).one_or_none()
    if row is None:
        # No such attempt of this user, or no such position: say which, in the usual order.
        refuse_closed(
            session, get_attempt(session, user_id, attempt_id, lock=True), now, grace_seconds
        )
        session.rollback()
        raise NotFound(f"attempt {attempt_id} has no position {position}")
    attempt, item_id, option_order, current, newest_seq = row
    refuse_closed(session, attempt, now, grace_seconds)
    stored = stored_index(option_order, choice)
    if attempt.mode == "practice" and current is not None and stored != current:
        session.rollback()
        raise Conflict(f"position {position} was already answered and checked in practice mode")
    values = {"item_id": item_id, "seq": seq, "choice": stored, "flagged": flagged, "at": now}
    # The same seq again (a retry) inserts nothing: the first one counted.
    accepted = (
        insert_response_once(session, values)
        and cast(CursorResult[Any], session.execute(SAVE_UPDATE, values)).rowcount == 1
    )
    state: tuple[int | None, bool, int, datetime | None] = (stored, flagged, seq, now)
    if not accepted:
        state = (
            session.execute(
                select(
                    AttemptItem.choice,
                    AttemptItem.flagged,
                    AttemptItem.last_seq,
                    AttemptItem.saved_at,
                ).where(AttemptItem.id == item_id)
            )
            .one()
            ._tuple()
        )
    commit_keeping_loaded(session)
    return SaveResult(
        position=position,
        accepted=accepted,
        choice=None if state[0] is None else OPTION_IDS[list(option_order).index(state[0])],
        flagged=state[1],
        seq=state[2],
        saved_at=state[3],
        attempt_seq=max(newest_seq, state[2]),
        attempt=attempt,
    )


def refuse_closed(session: Session, attempt: Attempt, now: datetime, grace_seconds: int) -> None:
    """Raise when the attempt takes no more saves (finalizing it when its time is up)."""
    attempt_id, status, deadline = attempt.id, attempt.status, attempt.deadline_at
    if status in FINISHED:
        session.rollback()
        raise AttemptFinished(f"attempt {attempt_id} is already {status}")
    if is_past_grace(attempt, now, grace_seconds):
        session.rollback()
        finalize(session, attempt_id, now, status="expired")
        raise DeadlinePassed(
            f"time is up for attempt {attempt_id}: the deadline was "
            f"{deadline:%H:%M:%S} UTC; answers saved before it are graded"
        )


def insert_response_once(session: Session, values: dict[str, Any]) -> bool:
    """Insert a Response unless its (item, seq) exists; True when this call inserted it."""
    statement = SAVE_INSERT.get(session.get_bind().dialect.name)
    if statement is not None:
        # RETURNING, not rowcount: psycopg reports no row count for this statement.
        return session.execute(statement, values).first() is not None
    try:
        with session.begin_nested():
            session.execute(RESPONSES.insert().values(RESPONSE_VALUES), values)
    except IntegrityError:
        return False
    return True


def commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring loaded objects.

    The autosave view reads the signed-in user and the attempt again right after the save;
    both are unchanged by it, so refreshing them would cost two round trips for nothing.
    """
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


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
    item_stats.mark_stale(session, attempt.template.name, now=now, kind=attempt.kind)
    item_stats.record_responses(session, attempt_id, kind=attempt.kind)
    session.commit()
    return True


def graded_items(session: Session, attempt: Attempt) -> list[GradedItem]:
    """The attempt's items graded against the versions it showed."""
    # Plain columns, not ORM rows: building 90 full versions cost more than grading them.
    rows = session.execute(
        select(
            AttemptItem.position,
            AttemptItem.choice,
            AttemptItem.flagged,
            Question.key,
            QuestionVersion.domain,
            QuestionVersion.subdomain,
            QuestionVersion.answer_index,
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .join(Question, Question.id == AttemptItem.question_id)
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


class QuestionRow(NamedTuple):
    """A position's question as shown: stem, stored options and this attempt's order."""

    position: int
    stem: str
    options: list[Any]
    option_order: list[int]


def question_rows(session: Session, attempt_id: int) -> list[QuestionRow]:
    """The attempt's positions with stems and options, from one narrow query (no ORM objects)."""
    rows = session.execute(
        select(
            AttemptItem.position,
            QuestionVersion.stem,
            QuestionVersion.options,
            AttemptItem.option_order,
        )
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .order_by(AttemptItem.position)
    )
    return [QuestionRow(*row) for row in rows]


def user_attempts(session: Session, user_id: int) -> list[Attempt]:
    """The user's attempts, newest first."""
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user_id)
            .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        )
    )
