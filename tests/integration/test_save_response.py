"""The autosave path in detail: error order, the state reported, round trips, the fallback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from exam_engine.models import Attempt, Response, utcnow
from exam_engine.services import attempts
from exam_engine.services.errors import NotFound
from tests.factories import UserFactory
from tests.support import seed_bank

GRACE = 30


@pytest.fixture
def attempt(session):
    seed_bank(session, per_subdomain=4)
    user = UserFactory()
    return attempts.start_attempt(session, user.id, "quiz-20", now=utcnow())


def save(session, attempt, position, choice, *, seq, now=None, flagged=False, user_id=None):
    return attempts.save_response(
        session,
        user_id or attempt.user_id,
        attempt.id,
        position,
        choice=choice,
        flagged=flagged,
        seq=seq,
        now=now or utcnow(),
        grace_seconds=GRACE,
    )


def test_a_finished_attempt_is_409_even_for_a_position_it_lacks(session, attempt) -> None:
    attempts.submit_attempt(session, attempt.user_id, attempt.id, now=utcnow(), grace_seconds=GRACE)
    with pytest.raises(attempts.AttemptFinished, match="already submitted"):
        save(session, attempt, 99, "A", seq=1)


def test_time_up_is_409_and_finalizes_even_for_a_position_it_lacks(session, attempt) -> None:
    late = attempt.deadline_at + timedelta(seconds=GRACE, microseconds=1)
    with pytest.raises(attempts.DeadlinePassed, match="time is up"):
        save(session, attempt, 99, "A", seq=1, now=late)
    session.expire_all()
    assert session.get(Attempt, attempt.id).status == "expired"


def test_missing_position_and_foreign_attempt_are_not_found(session, attempt) -> None:
    with pytest.raises(NotFound, match="has no position 0"):
        save(session, attempt, 0, "A", seq=1)
    stranger = UserFactory()
    with pytest.raises(NotFound, match=f"attempt {attempt.id} not found"):
        save(session, attempt, 1, "A", seq=1, user_id=stranger.id)
    assert session.scalar(select(Response.id)) is None


def test_a_refused_seq_reports_the_stored_state_and_the_attempt_seq(session, attempt) -> None:
    first = save(session, attempt, 1, "B", seq=3, flagged=True)
    assert (first.accepted, first.choice, first.flagged, first.seq) == (True, "B", True, 3)
    assert first.attempt_seq == 3
    assert first.saved_at is not None
    save(session, attempt, 2, "C", seq=8)
    stale = save(session, attempt, 1, "D", seq=2)
    assert (stale.accepted, stale.choice, stale.flagged, stale.seq) == (False, "B", True, 3)
    assert stale.saved_at == first.saved_at
    # The highest seq on any position, so a client behind another tab catches up.
    assert stale.attempt_seq == 8
    cleared = save(session, attempt, 1, None, seq=9)
    assert (cleared.accepted, cleared.choice, cleared.attempt_seq) == (True, None, 9)


def test_the_saved_attempt_is_read_again_without_a_round_trip(session, attempt) -> None:
    attempt_id, user_id = attempt.id, attempt.user_id
    session.expunge_all()
    statements: list[str] = []
    engine = session.get_bind()

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = attempts.save_response(
            session,
            user_id,
            attempt_id,
            1,
            choice="A",
            flagged=False,
            seq=1,
            now=utcnow(),
            grace_seconds=GRACE,
        )
        count = len(statements)
        again = attempts.get_attempt(session, user_id, attempt_id)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert again is result.attempt
    assert again.status == "in_progress"
    assert len(statements) == count == 3  # read with lock, insert, update
    with pytest.raises(NotFound):
        attempts.get_attempt(session, user_id + 1000, attempt_id)


def test_other_databases_fall_back_to_a_savepoint(session, attempt, monkeypatch) -> None:
    monkeypatch.setattr(attempts.saving, "SAVE_INSERT", {})
    assert save(session, attempt, 1, "A", seq=4).accepted
    again = save(session, attempt, 1, "B", seq=4)
    assert not again.accepted
    assert again.choice == "A"
    assert len(session.scalars(select(Response.id)).all()) == 1
