"""One open attempt per template: simultaneous starts make one attempt, on either engine."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.models import Attempt, User
from exam_engine.services import attempts, cohorts
from tests.factories import (
    AssignmentFactory,
    CohortFactory,
    ExamTemplateFactory,
    MembershipFactory,
    UserFactory,
)
from tests.support import seed_bank

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_simultaneous_starts_make_one_attempt(session: Session) -> None:
    seed_bank(session, per_subdomain=4)
    user_id = UserFactory().id
    engine = session.get_bind()
    barrier = threading.Barrier(4)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def press_start() -> None:
        with Session(engine) as own:
            user = own.get(User, user_id)
            assert user is not None
            barrier.wait()
            try:
                attempt, resumed = attempts.start_or_resume(own, user, "quiz-20", now=NOW)
                results.append((attempt.id, resumed))
            except BaseException as error:  # reported below, with the others
                errors.append(error)

    threads = [threading.Thread(target=press_start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len({attempt_id for attempt_id, _ in results}) == 1
    assert sorted(resumed for _, resumed in results) == [False, True, True, True]
    count = session.scalar(
        select(func.count()).select_from(Attempt).where(Attempt.user_id == user_id)
    )
    assert count == 1


def test_an_assigned_sitting_is_not_taken_for_a_free_start(session: Session) -> None:
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
    assigned = cohorts.start_assignment(session, student, assignment.id, now=NOW, grace_seconds=30)
    own, resumed = attempts.start_or_resume(
        session, student, template.name, now=NOW + timedelta(minutes=1)
    )
    assert not resumed and own.id != assigned.id and own.assignment_id is None
    again, resumed = attempts.start_or_resume(
        session, student, template.name, now=NOW + timedelta(minutes=2)
    )
    assert resumed and again.id == own.id
