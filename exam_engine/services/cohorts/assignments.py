"""Assigned mocks: a cohort's windows, what each student sees, and starting a sitting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.domain.moments import minute
from exam_engine.domain.plurals import counted
from exam_engine.domain.vocabulary import FINISHED, AttemptStatus, CohortRole, Mode
from exam_engine.models import Assignment, Attempt, Cohort, ExamTemplate, Membership
from exam_engine.services import attempts, jobs, prepared_forms
from exam_engine.services.attempts import load_user
from exam_engine.services.catalog import get_template
from exam_engine.services.cohorts.access import audit_cohort, changed_meanwhile, current_student
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from exam_engine.services.jobs import names
from exam_engine.services.transaction import end_read, transaction

RECENT_CLOSED = timedelta(days=14)


@dataclass(frozen=True)
class AssignmentLine:
    """An assignment with its template, for the cohort pages."""

    assignment: Assignment
    template: ExamTemplate
    number: int
    sittings: int = 0

    def state(self, now: datetime) -> str:
        """Return upcoming, open or closed."""
        if now < self.assignment.opens_at:
            return "upcoming"
        return "open" if now < self.assignment.closes_at else "closed"


def assignment_lines(session: Session, cohort_id: int) -> list[AssignmentLine]:
    """Return the cohort's assignments in the order they open, numbered from 1."""
    sittings = (
        select(func.count())
        .where(Attempt.assignment_id == Assignment.id)
        .correlate(Assignment)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Assignment, ExamTemplate, sittings)
        .join(ExamTemplate, ExamTemplate.id == Assignment.template_id)
        .where(Assignment.cohort_id == cohort_id)
        .order_by(Assignment.opens_at, Assignment.id)
    ).tuples()
    return [AssignmentLine(a, t, n, count) for n, (a, t, count) in enumerate(rows, start=1)]


def create_assignment(
    session: Session,
    user_id: int,
    cohort: Cohort,
    template_name: str,
    *,
    opens_at: datetime,
    closes_at: datetime,
) -> Assignment:
    """Assign an active exam template to the cohort for a window of time."""
    template = get_template(session, template_name)
    if template.mode != Mode.EXAM:
        raise ValidationFailed(f"template: {template.title} is a practice set, not a timed mock")
    if closes_at <= opens_at:
        raise ValidationFailed("closes_at: the window must close after it opens")
    with transaction(session, conflict=changed_meanwhile("the assignments")):
        assignment = Assignment(
            cohort_id=cohort.id, template_id=template.id, opens_at=opens_at, closes_at=closes_at
        )
        session.add(assignment)
        session.flush()
        audit_cohort(
            session,
            user_id,
            "cohort.assign",
            cohort.id,
            f"assigned {template.name} from {minute(opens_at)} to {minute(closes_at)}",
            assignment_id=assignment.id,
        )
    # After the commit, so a form that cannot be assembled never undoes the assignment; in a
    # worker when there is one, so a cohort of a thousand does not hold this request.
    jobs.enqueue(session, names.PREPARE_FORMS, user_id=user_id, assignment_id=assignment.id)
    return assignment


def delete_assignment(session: Session, user_id: int, cohort: Cohort, assignment_id: int) -> None:
    """Withdraw an assignment nobody has started yet."""
    assignment = session.scalar(
        select(Assignment).where(Assignment.id == assignment_id, Assignment.cohort_id == cohort.id)
    )
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} not found in this cohort")
    started = session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.assignment_id == assignment_id)
    )
    if started:
        raise Conflict(
            f"assignment {assignment_id} has {counted(started, 'attempt')}; "
            "it stays so their results do"
        )
    with transaction(session):
        session.delete(assignment)
        audit_cohort(
            session, user_id, "cohort.unassign", cohort.id, f"withdrew assignment {assignment_id}"
        )


@dataclass(frozen=True)
class AssignedMock:
    """A mock assigned to a student, as their dashboard shows it."""

    assignment_id: int
    cohort_name: str
    title: str
    item_count: int
    minutes: float
    opens_at: datetime
    closes_at: datetime
    state: str
    attempt_id: int | None
    attempt_status: str | None

    @property
    def action(self) -> str | None:
        """Return what the student can do now: start, resume, results, or nothing."""
        if self.attempt_status == AttemptStatus.IN_PROGRESS:
            return "resume"
        if self.attempt_status in FINISHED:
            return "results"
        return "start" if self.state == "open" else None


def assigned_to(session: Session, user_id: int, *, now: datetime) -> list[AssignedMock]:
    """Return the mocks the user's cohorts set: open first, then upcoming, then recent ones."""
    user = load_user(session, user_id)
    rows = session.execute(
        select(
            Assignment, ExamTemplate, Cohort.name, Membership.time_multiplier, Membership.joined_at
        )
        .join(Membership, Membership.cohort_id == Assignment.cohort_id)
        .join(Cohort, Cohort.id == Assignment.cohort_id)
        .join(ExamTemplate, ExamTemplate.id == Assignment.template_id)
        .where(
            Membership.user_id == user.id,
            Membership.role == CohortRole.STUDENT,
            Assignment.closes_at > now - RECENT_CLOSED,
        )
    ).tuples()
    rows_list = list(rows)
    mine: dict[int, Attempt] = {}
    if rows_list:
        for attempt in session.scalars(
            select(Attempt)
            .where(
                Attempt.user_id == user.id,
                Attempt.assignment_id.in_([row[0].id for row in rows_list]),
            )
            .order_by(Attempt.started_at, Attempt.id)
        ):
            kept = mine.get(attempt.assignment_id or 0)
            # The first finished sitting counts; otherwise the latest one.
            if kept is None or kept.status not in FINISHED:
                mine[attempt.assignment_id or 0] = attempt
    out: list[AssignedMock] = []
    for assignment, template, cohort_name, multiplier, joined_at in rows_list:
        sitting = mine.get(assignment.id)
        # A window that closed before the student joined was never theirs to miss.
        if sitting is None and assignment.closes_at <= joined_at:
            continue
        state = AssignmentLine(assignment, template, 0).state(now)
        out.append(
            AssignedMock(
                assignment_id=assignment.id,
                cohort_name=cohort_name,
                title=template.title,
                item_count=template.item_count,
                minutes=template.minutes * multiplier,
                opens_at=assignment.opens_at,
                closes_at=assignment.closes_at,
                state=state,
                attempt_id=sitting.id if sitting else None,
                attempt_status=sitting.status if sitting else None,
            )
        )
    rank = {"open": 0, "upcoming": 1, "closed": 2}
    # Open and upcoming by closing time (soonest first); closed ones most recent first.
    out.sort(
        key=lambda m: (
            rank[m.state],
            m.closes_at.timestamp() * (-1 if m.state == "closed" else 1),
            m.assignment_id,
        )
    )
    return out


def start_assignment(
    session: Session, user_id: int, assignment_id: int, *, now: datetime, grace_seconds: int
) -> Attempt:
    """Start (or resume) the user's sitting of an assigned mock, only inside its window."""
    with transaction(session, keep_loaded=True):
        # Simultaneous presses queue here, so the second finds the first's sitting to resume.
        attempts.lock_user(session, user_id)
        # The template and the student's multiplier come along: Start needs both, and at the
        # bell every round trip counts.
        row = session.execute(
            select(Assignment, ExamTemplate, Membership.time_multiplier)
            .join(Membership, current_student(user_id))
            .join(ExamTemplate, ExamTemplate.id == Assignment.template_id)
            .where(Assignment.id == assignment_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"assignment {assignment_id} not found")
        assignment, template, multiplier = row
        earlier = session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user_id, Attempt.assignment_id == assignment_id)
            .order_by(Attempt.started_at, Attempt.id)
        ).all()
        overdue = [
            a.id
            for a in earlier
            if a.status == AttemptStatus.IN_PROGRESS
            and attempts.is_past_grace(a, now, grace_seconds)
        ]
        if not overdue:
            return _sitting(session, user_id, (assignment, template, multiplier), earlier, now)
    # A sitting whose time ran out is graded (each in its own transaction) and counts as sat.
    for attempt_id in overdue:
        attempts.finalize(session, attempt_id, now, status=AttemptStatus.EXPIRED)
    raise Conflict(SAT_ALREADY)


SAT_ALREADY = "you have already sat this assigned mock; its results are on your dashboard"


def _sitting(
    session: Session,
    user_id: int,
    assigned: tuple[Assignment, ExamTemplate, float],
    earlier: Sequence[Attempt],
    now: datetime,
) -> Attempt:
    """The running sitting, or a new one inside the window, in the caller's transaction."""
    assignment, template, multiplier = assigned
    if any(a.status in FINISHED for a in earlier):
        raise Conflict(SAT_ALREADY)
    if earlier:
        return earlier[-1]
    if now < assignment.opens_at:
        raise Conflict(
            f"this assigned mock opens at {minute(assignment.opens_at)} UTC; come back then"
        )
    if now >= assignment.closes_at:
        raise Conflict(
            f"this assigned mock closed at {minute(assignment.closes_at)} UTC; "
            "ask your instructor if you need another window"
        )
    prepared = prepared_forms.take(session, user_id, assignment, template, multiplier, now)
    if prepared is not None:
        return prepared
    return attempts.new_attempt(
        session, user_id, template.name, now=now, assignment_id=assignment.id
    )


def finalize_overdue(session: Session, cohort_id: int, *, now: datetime, grace_seconds: int) -> int:
    """Finalize the cohort's assigned attempts whose time ran out, so completion is current."""
    cutoff = now - attempts.grace(grace_seconds)
    ids = session.scalars(
        select(Attempt.id)
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .where(
            Assignment.cohort_id == cohort_id,
            Attempt.status == AttemptStatus.IN_PROGRESS,
            Attempt.deadline_at < cutoff,
        )
    ).all()
    if not ids:
        return 0
    end_read(session)
    return sum(
        attempts.finalize(session, attempt_id, now, status=AttemptStatus.EXPIRED)
        for attempt_id in ids
    )
