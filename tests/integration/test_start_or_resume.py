"""One open attempt per template: simultaneous starts make one attempt, on either engine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.models import Assignment, Attempt, AttemptItem, ExamTemplate, PreparedForm, User
from exam_engine.services import cohorts, launch, prepared_forms
from tests.factories import (
    AssignmentFactory,
    CohortFactory,
    ExamTemplateFactory,
    MembershipFactory,
    UserFactory,
)
from tests.support import seed_bank

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def sitting(session: Session) -> tuple[User, ExamTemplate, Assignment]:
    """A student of a cohort with a 4-item mock assigned and open now."""
    seed_bank(session, per_subdomain=4)
    student = UserFactory()
    cohort = CohortFactory()
    MembershipFactory(cohort=cohort, user=student, role="student")
    template = ExamTemplateFactory(name="assigned-4", item_count=4)
    assignment = AssignmentFactory(
        cohort_id=cohort.id,
        template_id=template.id,
        opens_at=NOW - timedelta(hours=1),
        closes_at=NOW + timedelta(hours=1),
    )
    return student, template, assignment


def _simultaneously(session: Session, user_id: int, press: Callable[[Session, User], Attempt]):
    """Run ``press`` from four threads, each on its own session, released together."""
    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        with Session(session.get_bind()) as own:
            user = own.get(User, user_id)
            assert user is not None
            barrier.wait()
            try:
                results.append(press(own, user).id)
            except BaseException as error:  # reported below, with the others
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == 4
    return results


def _attempt_count(session: Session, user_id: int) -> int | None:
    return session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.user_id == user_id)
    )


def test_simultaneous_starts_make_one_attempt(session: Session) -> None:
    seed_bank(session, per_subdomain=4)
    user_id = UserFactory().id
    resumed: list[bool] = []

    def press(own: Session, user: User) -> Attempt:
        attempt, again = launch.start_or_resume(own, user.id, "quiz-20", now=NOW)
        resumed.append(again)
        return attempt

    assert len(set(_simultaneously(session, user_id, press))) == 1
    assert sorted(resumed) == [False, True, True, True]
    assert _attempt_count(session, user_id) == 1


def test_simultaneous_starts_of_an_assignment_make_one_sitting(
    session: Session, sitting: tuple[User, ExamTemplate, Assignment]
) -> None:
    student, _, assignment = sitting

    def press(own: Session, user: User) -> Attempt:
        return cohorts.start_assignment(own, user.id, assignment.id, now=NOW, grace_seconds=30)

    assert len(set(_simultaneously(session, student.id, press))) == 1
    assert _attempt_count(session, student.id) == 1


def test_an_assigned_sitting_is_not_taken_for_a_free_start(
    session: Session, sitting: tuple[User, ExamTemplate, Assignment]
) -> None:
    student, template, assignment = sitting
    assigned = cohorts.start_assignment(
        session, student.id, assignment.id, now=NOW, grace_seconds=30
    )
    own, resumed = launch.start_or_resume(
        session, student.id, template.name, now=NOW + timedelta(minutes=1)
    )
    assert not resumed
    assert own.id != assigned.id
    assert own.assignment_id is None
    again, resumed = launch.start_or_resume(
        session, student.id, template.name, now=NOW + timedelta(minutes=2)
    )
    assert resumed
    assert again.id == own.id


def test_simultaneous_starts_from_a_prepared_form_make_one_sitting(
    session: Session, sitting: tuple[User, ExamTemplate, Assignment]
) -> None:
    student, _, assignment = sitting
    assert prepared_forms.prepare_forms(session, assignment.id) == 1
    prepared = session.scalar(select(PreparedForm.items))

    def press(own: Session, user: User) -> Attempt:
        return cohorts.start_assignment(own, user.id, assignment.id, now=NOW, grace_seconds=30)

    assert len(set(_simultaneously(session, student.id, press))) == 1
    assert _attempt_count(session, student.id) == 1
    shown = session.execute(
        select(AttemptItem.position, AttemptItem.question_version_id).order_by(AttemptItem.position)
    ).all()
    assert [tuple(row) for row in shown] == [(row[0], row[1]) for row in prepared]
    assert session.scalar(select(func.count()).select_from(PreparedForm)) == 0
