"""Model constraints protect the invariants even when a service has a bug."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from exam_engine.models import (
    Attempt,
    AttemptItem,
    Membership,
    PublishedVersionImmutable,
    QuestionVersion,
    Response,
    User,
    utcnow,
)
from tests.factories import (
    AssignmentFactory,
    AttemptFactory,
    AttemptItemFactory,
    CohortFactory,
    ExamTemplateFactory,
    MembershipFactory,
    QuestionFactory,
    QuestionVersionFactory,
    ResponseFactory,
    UserFactory,
)


def assert_refused(session, obj) -> None:
    """Adding ``obj`` must fail with an IntegrityError and leave nothing behind."""
    session.add(obj)
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_every_factory_builds_a_valid_row(session) -> None:
    response = ResponseFactory()
    assignment = AssignmentFactory()
    membership = MembershipFactory()
    assert response.id
    assert assignment.id
    assert membership.id
    assert session.get(Response, response.id).choice == 1


def test_email_unique(session) -> None:
    UserFactory(email="dup@example.com")
    assert_refused(session, User(email="dup@example.com", password_hash="x", role="candidate"))


def test_email_must_be_lowercase(session) -> None:
    assert_refused(session, User(email="Mixed@Example.com", password_hash="x", role="candidate"))


def test_role_check(session) -> None:
    assert_refused(session, User(email="r@example.com", password_hash="x", role="superuser"))


@pytest.mark.parametrize("multiplier", [0.5, 4.5])
def test_time_multiplier_bounds(session, multiplier: float) -> None:
    user = User(email="m@example.com", password_hash="x", role="candidate")
    user.time_multiplier = multiplier
    assert_refused(session, user)


def test_membership_unique_per_cohort(session) -> None:
    membership = MembershipFactory()
    assert_refused(session, Membership(cohort_id=membership.cohort_id, user_id=membership.user_id))


def test_assignment_window_must_be_forward(session) -> None:
    now = utcnow()
    with pytest.raises(IntegrityError):
        AssignmentFactory(opens_at=now, closes_at=now - timedelta(hours=1))
    session.rollback()


def test_template_counts_positive(session) -> None:
    with pytest.raises(IntegrityError):
        ExamTemplateFactory(item_count=0)
    session.rollback()


def test_version_number_unique_per_question(session) -> None:
    version = QuestionVersionFactory()
    with pytest.raises(IntegrityError):
        QuestionVersionFactory(question=version.question, number=1)
    session.rollback()


@pytest.mark.parametrize("answer_index", [-1, 4])
def test_one_key_within_four_options(session, answer_index: int) -> None:
    with pytest.raises(IntegrityError):
        QuestionVersionFactory(answer_index=answer_index)
    session.rollback()


def test_version_status_and_difficulty_checked(session) -> None:
    with pytest.raises(IntegrityError):
        QuestionVersionFactory(status="live")
    session.rollback()
    with pytest.raises(IntegrityError):
        QuestionVersionFactory(difficulty="trivial")
    session.rollback()


def test_published_version_is_immutable(session) -> None:
    version = QuestionVersionFactory(status="published")
    version.stem = "changed"
    with pytest.raises(PublishedVersionImmutable, match="cannot change stem"):
        session.flush()
    session.rollback()
    assert session.get(QuestionVersion, version.id).stem != "changed"


def test_published_version_may_be_retired(session) -> None:
    version = QuestionVersionFactory(status="published")
    version.status = "retired"
    session.commit()
    assert session.get(QuestionVersion, version.id).status == "retired"


def test_draft_version_may_be_edited(session) -> None:
    version = QuestionVersionFactory(status="draft")
    version.stem = "Edited draft. Which is BEST?"
    session.commit()
    assert session.get(QuestionVersion, version.id).stem.startswith("Edited")


def test_unique_position_per_attempt(session) -> None:
    item = AttemptItemFactory(position=1)
    other = QuestionVersionFactory()
    assert_refused(
        session,
        AttemptItem(
            attempt_id=item.attempt_id,
            position=1,
            question_id=other.question_id,
            question_version_id=other.id,
            option_order=[0, 1, 2, 3],
        ),
    )


def test_no_question_twice_in_an_attempt(session) -> None:
    item = AttemptItemFactory(position=1)
    assert_refused(
        session,
        AttemptItem(
            attempt_id=item.attempt_id,
            position=2,
            question_id=item.question_id,
            question_version_id=item.question_version_id,
            option_order=[0, 1, 2, 3],
        ),
    )


def test_position_positive(session) -> None:
    with pytest.raises(IntegrityError):
        AttemptItemFactory(position=0)
    session.rollback()


def test_deadline_after_start(session) -> None:
    now = utcnow()
    with pytest.raises(IntegrityError):
        AttemptFactory(started_at=now, deadline_at=now - timedelta(seconds=1))
    session.rollback()


def test_finished_attempt_needs_submitted_at(session) -> None:
    with pytest.raises(IntegrityError):
        AttemptFactory(status="submitted", submitted_at=None)
    session.rollback()
    attempt = AttemptFactory(status="submitted", submitted_at=utcnow())
    assert session.get(Attempt, attempt.id).status == "submitted"


def test_same_sequence_number_twice_is_refused(session) -> None:
    response = ResponseFactory(seq=3)
    assert_refused(session, Response(attempt_item_id=response.attempt_item_id, seq=3, choice=2))


def test_choice_within_options(session) -> None:
    with pytest.raises(IntegrityError):
        ResponseFactory(choice=7)
    session.rollback()


def test_foreign_keys_enforced(session) -> None:
    assert_refused(session, Membership(cohort_id=999_999, user_id=999_999))


def test_datetimes_come_back_aware_utc(session) -> None:
    attempt = AttemptFactory()
    session.expire_all()
    loaded = session.get(Attempt, attempt.id)
    assert loaded.started_at.tzinfo is not None
    assert loaded.deadline_at - loaded.started_at == timedelta(minutes=10)


def test_deleting_a_cohort_removes_its_memberships(session) -> None:
    cohort = CohortFactory()
    MembershipFactory(cohort=cohort)
    session.delete(cohort)
    session.commit()
    assert session.query(Membership).count() == 0
    assert QuestionFactory().id  # unrelated tables untouched and usable
