"""Forms made before the bell: each student's form of an assigned mock, assembled ahead.

A synchronized start of a whole cohort used to assemble and insert every form while everyone
waited. Now the forms are assembled when the assignment is made (and for a student who joins
later), each exactly as a start would assemble it then: the student's seen counts and
exclusions, and the cohort's exposure usage counting the forms already prepared for the same
assignment, so exposure control still spreads the items. Start then only checks the form is
still usable, stamps the start time and deadline and writes it (see :func:`take`); when it
is not usable Start assembles as before, which is correct, only slower.

:func:`prepare_forms` and :func:`refresh_prepared_forms` are plain functions of a session
(each commits its own transactions), so a background job can run them as they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    any_,
    delete,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from exam_engine.domain.errors import AssemblyError
from exam_engine.domain.vocabulary import AttemptKind, AttemptStatus, CohortRole, VersionStatus
from exam_engine.models import (
    Assignment,
    Attempt,
    AttemptItem,
    ExamTemplate,
    Membership,
    PreparedForm,
    Question,
    QuestionVersion,
)
from exam_engine.services.attempts.start import (
    UNFINISHED_KINDS,
    deadline_for,
    draw_form,
    usage_counts,
)
from exam_engine.services.catalog import template_spec
from exam_engine.services.errors import Conflict
from exam_engine.services.pool import fingerprint, published_bank
from exam_engine.services.progress import Report, ignore, offset
from exam_engine.services.transaction import end_read, transaction

log = logging.getLogger(__name__)

# How assigned starts went in this process ("prepared", or "assembled: <reason>"), for the
# load report and for metrics later.
START_PATHS: Counter[str] = Counter()

# Students read and written per batch: bounds IN lists and the size of one transaction.
BATCH = 250


def template_digest(template: ExamTemplate) -> str:
    """A digest of everything of the template that assembly reads."""
    spec = template_spec(template)
    values = [
        template.blueprint,
        spec.item_count,
        spec.domain_weights,
        list(spec.subdomains),
        spec.difficulty_mix,
        template.exposure_cap,
    ]
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _keys_by_user(session: Session, query: Any, user_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(user_ids):
        for user_id, key in session.execute(query.where(Attempt.user_id.in_(chunk))):
            out[user_id].append(key)
    return out


def _history_query() -> Any:
    """Query: (user id, question key) for every item on an attempt (filtered by the caller)."""
    return (
        select(Attempt.user_id, Question.key)
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(Question, Question.id == AttemptItem.question_id)
    )


def _students_to_prepare(
    session: Session, assignment: Assignment, user_ids: Collection[int] | None
) -> list[int]:
    """The cohort's students (of ``user_ids`` if given) with no sitting of the assignment yet."""
    sat = select(Attempt.user_id).where(Attempt.assignment_id == assignment.id)
    query = select(Membership.user_id).where(
        Membership.cohort_id == assignment.cohort_id,
        Membership.role == CohortRole.STUDENT,
        Membership.user_id.not_in(sat),
    )
    if user_ids is not None:
        query = query.where(Membership.user_id.in_(list(user_ids)))
    return sorted(session.scalars(query))


def _prepared_usage(session: Session, assignment_id: int, leaving: Collection[int]) -> Counter[str]:
    """Question keys on the assignment's other prepared forms (those not being re-made)."""
    key_of = dict(session.execute(select(Question.id, Question.key)).tuples().all())
    counts: Counter[str] = Counter()
    for user_id, items in session.execute(
        select(PreparedForm.user_id, PreparedForm.items).where(
            PreparedForm.assignment_id == assignment_id
        )
    ):
        if user_id not in leaving:
            counts.update(key_of[row[2]] for row in items if row[2] in key_of)
    return counts


def prepare_forms(
    session: Session,
    assignment_id: int,
    user_ids: Collection[int] | None = None,
    *,
    progress: Report = ignore,
) -> int:
    """Assemble and store the forms of the assignment's students (or of ``user_ids`` among
    them) who have not started it; return how many forms were stored.

    Reads in one short transaction, assembles outside any, then writes in batches, each its
    own transaction. A student whose form cannot be assembled gets none: their Start
    assembles and explains, as before. ``progress`` counts the students assembled.
    """
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        end_read(session)
        return 0
    template = session.get(ExamTemplate, assignment.template_id)
    assert template is not None  # the foreign key guarantees it
    students = _students_to_prepare(session, assignment, user_ids)
    if not students:
        end_read(session)
        return 0
    digest = template_digest(template)
    bank = published_bank(session)
    mocks = _history_query().where(Attempt.kind == AttemptKind.MOCK)
    seen = {u: Counter(keys) for u, keys in _keys_by_user(session, mocks, students).items()}
    unfinished = _history_query().where(
        Attempt.kind.in_(UNFINISHED_KINDS), Attempt.status == AttemptStatus.IN_PROGRESS
    )
    excluded = _keys_by_user(session, unfinished, students)
    usage: Counter[str] = Counter()
    if template.exposure_cap:
        usage.update(usage_counts(session, template.id, assignment_id))
        usage.update(_prepared_usage(session, assignment_id, frozenset(students)))
    end_read(session)

    draw = random.SystemRandom()
    rows: list[dict[str, Any]] = []
    for done, user_id in enumerate(students):
        progress(done, len(students))
        seed = draw.randrange(2**31)
        try:
            form = draw_form(
                bank,
                template,
                seed=seed,
                seen=seen.get(user_id, {}),
                usage=usage,
                exclude=frozenset(excluded.get(user_id, ())),
            )
        except AssemblyError as error:
            log.warning(
                "assignment %s: no form prepared for user %s: %s", assignment_id, user_id, error
            )
            continue
        if template.exposure_cap:
            usage.update(item.key for item in form.items)
        items = [
            [
                item.position,
                item.version_id,
                bank.question_of[item.version_id],
                list(item.option_order),
            ]
            for item in form.items
        ]
        rows.append(
            {
                "assignment_id": assignment_id,
                "user_id": user_id,
                "seed": seed,
                "items": items,
                "bank_fingerprint": bank.fingerprint,
                "template_digest": digest,
            }
        )
    for start in range(0, len(rows), BATCH):
        _store(session, assignment_id, rows[start : start + BATCH])
    return len(rows)


def _store(session: Session, assignment_id: int, rows: list[dict[str, Any]]) -> None:
    """Replace the batch's students' forms, in one transaction (a lost race keeps the winner's)."""
    try:
        with transaction(session):
            session.execute(
                delete(PreparedForm).where(
                    PreparedForm.assignment_id == assignment_id,
                    PreparedForm.user_id.in_([row["user_id"] for row in rows]),
                )
            )
            session.execute(insert(PreparedForm), rows)
    except Conflict:
        # A concurrent preparation stored these students' forms first: theirs are as good.
        log.info("assignment %s: forms prepared meanwhile by another run", assignment_id)


def prepare_for_students(
    session: Session,
    cohort_id: int,
    user_ids: Collection[int],
    now: datetime,
    *,
    progress: Report = ignore,
) -> int:
    """Prepare new students' forms of the cohort's assignments still to close.

    ``progress`` counts (assignment, student) pairs: a student who started counts as done.
    """
    ids = session.scalars(
        select(Assignment.id).where(Assignment.cohort_id == cohort_id, Assignment.closes_at > now)
    ).all()
    end_read(session)
    return _prepare_each(session, [(a, list(user_ids)) for a in ids], progress)


def _prepare_each(
    session: Session, work: Sequence[tuple[int, Sequence[int]]], progress: Report
) -> int:
    """Prepare each assignment's students in turn, counting students across all of them."""
    total = sum(len(users) for _, users in work)
    made = first = 0
    for assignment_id, users in work:
        made += prepare_forms(
            session, assignment_id, users, progress=offset(progress, first, total)
        )
        first += len(users)
        progress(first, max(total, 1))
    return made


def refresh_prepared_forms(
    session: Session, now: datetime, *, remake_all: bool = False, progress: Report = ignore
) -> int:
    """Re-make the prepared forms of windows not yet open that the bank or template outdated.

    Return how many forms were re-made. By default only forms a start could not use (a
    version on them no longer published, or the template changed): that is what a publish or
    retire in the authoring pages pays for, as a form whose versions are all still published
    stays valid. ``remake_all`` also re-makes every form made from another published bank,
    so newly published items can be drawn: an import does that (and a background job should,
    once there is a queue), since for a large cohort it costs seconds.
    """
    current = fingerprint(session)
    published = (
        set()
        if remake_all
        else set(
            session.scalars(
                select(QuestionVersion.id).where(QuestionVersion.status == VersionStatus.PUBLISHED)
            )
        )
    )
    stale: dict[int, list[int]] = defaultdict(list)
    rows = session.execute(
        select(PreparedForm.assignment_id, PreparedForm.user_id, PreparedForm.bank_fingerprint)
        .add_columns(PreparedForm.template_digest, PreparedForm.items, ExamTemplate)
        .join(Assignment, Assignment.id == PreparedForm.assignment_id)
        .join(ExamTemplate, ExamTemplate.id == Assignment.template_id)
        .where(Assignment.opens_at > now)
    ).tuples()
    digests: dict[int, str] = {}
    for assignment_id, user_id, bank_fp, digest, items, template in rows:
        if template.id not in digests:
            digests[template.id] = template_digest(template)
        if remake_all:
            outdated = bank_fp != current
        else:
            outdated = bank_fp != current and any(row[1] not in published for row in items)
        if outdated or digest != digests[template.id]:
            stale[assignment_id].append(user_id)
    end_read(session)
    return _prepare_each(session, sorted(stale.items()), progress)


def drop_forms(session: Session, user_id: int, cohort_id: int) -> None:
    """Delete the student's prepared forms of the cohort's assignments, in the caller's
    transaction (the student leaves the cohort)."""
    session.execute(
        delete(PreparedForm)
        .where(
            PreparedForm.user_id == user_id,
            PreparedForm.assignment_id.in_(
                select(Assignment.id).where(Assignment.cohort_id == cohort_id)
            ),
        )
        .execution_options(synchronize_session=False)
    )


def _among(
    session: Session, column: InstrumentedAttribute[int], ids: list[int]
) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL as one array parameter (``= ANY``), which measured a
    seventh of the time of 90 separate parameters."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)


def _unusable(session: Session, form: PreparedForm, template: ExamTemplate) -> str | None:
    """Why the prepared form cannot be the sitting now, or None when it can."""
    if form.template_digest != template_digest(template):
        return "the template changed"
    version_ids = [row[1] for row in form.items]
    question_ids = [row[2] for row in form.items]
    unfinished = (
        select(Attempt.id)
        .where(
            Attempt.user_id == form.user_id,
            Attempt.kind.in_(UNFINISHED_KINDS),
            Attempt.status == AttemptStatus.IN_PROGRESS,
        )
        .exists()
    )
    live = (
        select(func.count())
        .select_from(QuestionVersion)
        .where(
            _among(session, QuestionVersion.id, version_ids),
            QuestionVersion.status == VersionStatus.PUBLISHED,
        )
        .scalar_subquery()
    )
    # One round trip for both checks; the clash query below runs only for a student who has
    # something unfinished, which is rare at the bell.
    published, busy = session.execute(select(live, unfinished)).one()
    if published != len(version_ids):
        return "a version on it was retired"
    if not busy:
        return None
    # A mock never holds a question of the student's unfinished practice (whose feedback
    # would show its key while the mock runs) or other unfinished mock (whose review would,
    # once that one is submitted).
    clash = session.scalar(
        select(AttemptItem.id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(
            Attempt.user_id == form.user_id,
            Attempt.kind.in_(UNFINISHED_KINDS),
            Attempt.status == AttemptStatus.IN_PROGRESS,
            _among(session, AttemptItem.question_id, question_ids),
        )
        .limit(1)
    )
    if clash is not None:
        return "an unfinished practice set or mock holds one of its questions"
    return None


# The form's items are copied into the attempt by the database itself: no 90 rows of
# parameters to send (a quarter of the time of the multi-row INSERT, measured on PostgreSQL).
_ITEM_COLUMNS = (
    "INSERT INTO attempt_items (attempt_id, position, question_id, question_version_id,"
    " option_order, flagged, last_seq) "
)
_COPY_PG = text(
    _ITEM_COLUMNS + "SELECT :attempt_id, (e->>0)::int, (e->>2)::int, (e->>1)::int, e->3, false, 0"
    " FROM prepared_forms p, json_array_elements(p.items) e WHERE p.id = :form_id"
)
_COPY_PORTABLE = text(
    _ITEM_COLUMNS + "SELECT :attempt_id, json_extract(e.value, '$[0]'),"
    " json_extract(e.value, '$[2]'), json_extract(e.value, '$[1]'),"
    " json_extract(e.value, '$[3]'), 0, 0"
    " FROM prepared_forms p, json_each(p.items) e WHERE p.id = :form_id"
)


def take(
    session: Session,
    user_id: int,
    assignment: Assignment,
    template: ExamTemplate,
    multiplier: float,
    now: datetime,
) -> Attempt | None:
    """Start the sitting from the student's prepared form, in the caller's transaction.

    Return None (having dropped an unusable form) when there is none to use: the caller
    assembles as for any start. ``multiplier`` is the student's enrolment multiplier.
    """
    form = session.scalar(
        select(PreparedForm).where(
            PreparedForm.assignment_id == assignment.id, PreparedForm.user_id == user_id
        )
    )
    if form is None:
        return _counted(None, "assembled: no prepared form", assignment.id, user_id)
    reason = _unusable(session, form, template)
    if reason is not None:
        session.delete(form)
        return _counted(None, f"assembled: {reason}", assignment.id, user_id)
    attempt = Attempt(
        user_id=user_id,
        template_id=template.id,
        assignment_id=assignment.id,
        seed=form.seed,
        mode=template.mode,
        kind=AttemptKind.MOCK,
        status=AttemptStatus.IN_PROGRESS,
        started_at=now,
        deadline_at=deadline_for(now, template.minutes, multiplier),
    )
    session.add(attempt)
    session.flush()
    copy = _COPY_PG if session.get_bind().dialect.name == "postgresql" else _COPY_PORTABLE
    session.execute(copy, {"attempt_id": attempt.id, "form_id": form.id})
    session.delete(form)
    return _counted(attempt, "prepared", assignment.id, user_id)


def _counted(
    attempt: Attempt | None, path: str, assignment_id: int, user_id: int
) -> Attempt | None:
    START_PATHS[path] += 1
    log.info("assignment %s: user %s started: %s", assignment_id, user_id, path)
    return attempt
