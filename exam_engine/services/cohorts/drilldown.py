"""Drill-down: one student's attempts at the cohort's assignments, and one of those attempts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.models import Assignment, Attempt, Cohort, Membership, User
from exam_engine.services.cohorts.access import current_student, student_membership
from exam_engine.services.cohorts.assignments import AssignmentLine, assignment_lines
from exam_engine.services.cohorts.scorecard import StudentInfo
from exam_engine.services.errors import NotFound


@dataclass(frozen=True)
class StudentAttempt:
    """One of a student's attempts at the cohort's assignments."""

    attempt: Attempt
    line: AssignmentLine


def student_in_cohort(session: Session, cohort: Cohort, student_id: int) -> StudentInfo:
    """Return a current student of the cohort, else NotFound."""
    membership = student_membership(session, cohort.id, student_id)
    user = session.get(User, student_id)
    assert user is not None
    return StudentInfo(user.id, user.email, user.name, membership.time_multiplier)


def student_attempts(session: Session, cohort: Cohort, student_id: int) -> list[StudentAttempt]:
    """Return the student's attempts at this cohort's assignments, in assignment order."""
    lines = {line.assignment.id: line for line in assignment_lines(session, cohort.id)}
    if not lines:
        return []
    rows = session.scalars(
        select(Attempt)
        .where(Attempt.user_id == student_id, Attempt.assignment_id.in_(list(lines)))
        .order_by(Attempt.started_at, Attempt.id)
    )
    out = [StudentAttempt(a, lines[a.assignment_id or 0]) for a in rows]
    out.sort(key=lambda s: (s.line.number, s.attempt.started_at, s.attempt.id))
    return out


def cohort_attempt(
    session: Session, cohort: Cohort, attempt_id: int
) -> tuple[Attempt, StudentInfo]:
    """Return a current student's attempt at one of this cohort's assignments, else NotFound."""
    attempt = session.scalar(
        select(Attempt)
        .join(Assignment, Assignment.id == Attempt.assignment_id)
        .join(Membership, current_student(Attempt.user_id))
        .where(Attempt.id == attempt_id, Assignment.cohort_id == cohort.id)
    )
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} not found in this cohort")
    return attempt, student_in_cohort(session, cohort, attempt.user_id)
