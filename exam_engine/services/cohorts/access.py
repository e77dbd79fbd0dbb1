"""Cohorts and who may manage them: create, list, the roster's members and accommodations.

Access: an instructor manages only the cohorts they teach (membership role ``instructor``),
an admin every cohort; anyone else asking for a cohort gets NotFound, never a hint that it
exists. Students are candidate accounts; they see their assignments, never the roster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from exam_engine.domain.vocabulary import CohortRole, Role
from exam_engine.models import Assignment, Cohort, Membership, User
from exam_engine.services import audit, prepared_forms
from exam_engine.services.attempts import load_user
from exam_engine.services.errors import NotFound, ValidationFailed
from exam_engine.services.transaction import transaction

NAME_MAX = 120


def changed_meanwhile(what: str) -> str:
    """The message of a Conflict when a unique key lost a race."""
    return f"{what} changed meanwhile; nothing was saved, try again"


def current_student(user_id: Any) -> ColumnElement[bool]:
    """Join condition: the membership makes ``user_id`` a student of the assignment's cohort."""
    return and_(
        Membership.cohort_id == Assignment.cohort_id,
        Membership.user_id == user_id,
        Membership.role == CohortRole.STUDENT,
    )


def audit_cohort(
    session: Session,
    actor_id: int | None,
    action: str,
    cohort_id: int,
    summary: str,
    **details: Any,
) -> None:
    """Record an event on a cohort (in the caller's transaction); ``details`` are kept as JSON."""
    audit.record(session, actor_id, action, "cohort", cohort_id, summary, details=details)


@dataclass(frozen=True)
class CohortSummary:
    """A cohort in a user's list, with the user's place in it and its size."""

    cohort: Cohort
    role: str
    students: int
    assignments: int


def check_name(name: str) -> str:
    """Return a cohort name trimmed, or raise ValidationFailed."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("name: give the cohort a name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(f"name: at most {NAME_MAX} characters")
    return name


def create_cohort(session: Session, name: str, user_id: int) -> Cohort:
    """Create a cohort taught by the user (an instructor or admin account)."""
    name = check_name(name)
    instructor = load_user(session, user_id)
    if not instructor.has_role(Role.INSTRUCTOR):
        raise ValidationFailed(f"instructor: {instructor.email} is not an instructor account")
    with transaction(session, conflict=changed_meanwhile("the cohort")):
        cohort = Cohort(name=name, created_by_id=user_id)
        cohort.memberships.append(Membership(user_id=user_id, role=CohortRole.INSTRUCTOR))
        session.add(cohort)
        session.flush()
        audit_cohort(session, user_id, "cohort.create", cohort.id, f"created cohort {name!r}")
    return cohort


def list_cohorts(session: Session, user_id: int) -> tuple[list[CohortSummary], list[CohortSummary]]:
    """Return (cohorts the user teaches or, for an admin, all; cohorts the user studies in)."""
    user = load_user(session, user_id)
    students = (
        select(func.count())
        .where(Membership.cohort_id == Cohort.id, Membership.role == CohortRole.STUDENT)
        .scalar_subquery()
    )
    assignments = select(func.count()).where(Assignment.cohort_id == Cohort.id).scalar_subquery()
    mine = aliased(Membership)
    query = (
        select(Cohort, mine.role, students, assignments)
        .outerjoin(mine, and_(mine.cohort_id == Cohort.id, mine.user_id == user.id))
        .order_by(Cohort.name, Cohort.id)
    )
    if user.role != Role.ADMIN:
        query = query.where(mine.id.is_not(None))
    teaching: list[CohortSummary] = []
    studying: list[CohortSummary] = []
    for cohort, role, n_students, n_assignments in session.execute(query):
        if role == CohortRole.STUDENT:
            studying.append(CohortSummary(cohort, role, n_students, n_assignments))
        elif role == CohortRole.INSTRUCTOR and user.has_role(Role.INSTRUCTOR):
            teaching.append(CohortSummary(cohort, role, n_students, n_assignments))
        elif user.role == Role.ADMIN:
            teaching.append(CohortSummary(cohort, Role.ADMIN, n_students, n_assignments))
    return teaching, studying


def managed_cohort(session: Session, user_id: int, cohort_id: int) -> Cohort:
    """Return a cohort the user may manage (its instructor, or any admin), else NotFound."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or not can_manage(session, user_id, cohort_id):
        raise NotFound(f"cohort {cohort_id} not found")
    return cohort


def can_manage(session: Session, user_id: int, cohort_id: int) -> bool:
    """Tell whether the user teaches this cohort (admins manage every cohort)."""
    user = session.get(User, user_id)
    if user is None:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.INSTRUCTOR:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    Membership.cohort_id == cohort_id,
                    Membership.user_id == user_id,
                    Membership.role == CohortRole.INSTRUCTOR,
                )
            )
        )
    )


@dataclass(frozen=True)
class Member:
    """A roster line."""

    user_id: int
    email: str
    name: str
    role: str
    time_multiplier: float
    joined_at: datetime


def members(session: Session, cohort_id: int) -> list[Member]:
    """Return the cohort's instructors, then its students, by name."""
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.cohort_id == cohort_id)
    )
    out = [
        Member(user.id, user.email, user.name, m.role, m.time_multiplier, m.joined_at)
        for m, user in rows
    ]
    out.sort(
        key=lambda m: (m.role != CohortRole.INSTRUCTOR, (m.name or m.email).casefold(), m.email)
    )
    return out


def student_membership(session: Session, cohort_id: int, student_id: int) -> Membership:
    """The student's membership of the cohort, else NotFound."""
    membership = session.scalar(
        select(Membership).where(
            Membership.cohort_id == cohort_id,
            Membership.user_id == student_id,
            Membership.role == CohortRole.STUDENT,
        )
    )
    if membership is None:
        raise NotFound(f"user {student_id} is not a student of cohort {cohort_id}")
    return membership


def remove_student(session: Session, user_id: int, cohort: Cohort, student_id: int) -> User:
    """Take a student off the roster (their attempts stay theirs; the cohort stops seeing them)."""
    with transaction(session, conflict=changed_meanwhile("the roster")):
        membership = student_membership(session, cohort.id, student_id)
        student = load_user(session, student_id)
        session.delete(membership)
        prepared_forms.drop_forms(session, student_id, cohort.id)
        audit_cohort(
            session,
            user_id,
            "cohort.remove",
            cohort.id,
            f"removed {student.email}",
            user_id=student_id,
        )
    return student


def set_student_multiplier(
    session: Session, user_id: int, cohort: Cohort, student_id: int, multiplier: float
) -> Membership:
    """Set a student's time accommodation (1.0-4.0) for this cohort's assigned mocks only."""
    if not 1.0 <= multiplier <= 4.0:
        raise ValidationFailed("time multiplier: must be between 1.0 and 4.0")
    with transaction(session):
        membership = student_membership(session, cohort.id, student_id)
        membership.time_multiplier = multiplier
        audit_cohort(
            session,
            user_id,
            "cohort.time_multiplier",
            cohort.id,
            f"set student {student_id}'s time multiplier in this cohort to {multiplier:g}",
            user_id=student_id,
            multiplier=multiplier,
        )
    return membership
