"""The one transaction helper: commit at the end, roll back on any error, races as Conflict."""

from __future__ import annotations

import pytest

from exam_engine.models import AuditEvent, User
from exam_engine.services import audit
from exam_engine.services.errors import Conflict, NotFound
from exam_engine.services.transaction import end_read, retry_on_race, transaction
from tests.factories import UserFactory
from tests.support import count


def add_event(session, note: str) -> AuditEvent:
    return audit.record(session, None, "test", "thing", 1, note, details={"note": note})


def test_the_block_commits_when_it_ends(session) -> None:
    with transaction(session):
        add_event(session, "kept")
    session.rollback()  # nothing pending any more: the commit happened
    assert count(session, AuditEvent) == 1


def test_any_exception_rolls_everything_back_and_propagates(session) -> None:
    with pytest.raises(NotFound, match="gone"):
        with transaction(session):
            add_event(session, "lost")
            session.flush()
            raise NotFound("gone")
    assert count(session, AuditEvent) == 0


def test_a_lost_unique_race_is_a_conflict_with_the_given_message(session) -> None:
    UserFactory(email="taken@example.com")
    with pytest.raises(Conflict, match="^email taken meanwhile$") as raised:
        with transaction(session, conflict="email taken meanwhile"):
            session.add(User(email="taken@example.com", password_hash="x", role="candidate"))
    assert raised.value.status == 409
    assert count(session, User) == 1


def test_keep_loaded_commits_without_expiring_loaded_objects(session) -> None:
    user = UserFactory()
    with transaction(session, keep_loaded=True):
        user.name = "Renamed"
    assert "name" in user.__dict__  # still loaded: no refresh round trip on next read
    with transaction(session):
        user.name = "Again"
    assert "name" not in user.__dict__  # a plain commit expires it
    assert session.expire_on_commit


def test_nested_transactions_are_refused(session) -> None:
    with pytest.raises(RuntimeError, match="inside transaction"):
        with transaction(session):
            add_event(session, "outer")
            with transaction(session):
                add_event(session, "inner")
    assert count(session, AuditEvent) == 0
    with transaction(session):  # the guard resets after the failure
        add_event(session, "fine")
    assert count(session, AuditEvent) == 1


def test_retry_on_race_runs_a_lost_race_once_more(session) -> None:
    calls: list[int] = []

    def use_case() -> str:
        calls.append(1)
        if len(calls) == 1:
            with transaction(session):
                session.add(User(email=UserFactory().email, password_hash="x", role="candidate"))
        return "second run"

    assert retry_on_race(use_case) == "second run"
    assert len(calls) == 2


def test_retry_on_race_leaves_other_conflicts_alone(session) -> None:
    calls: list[int] = []

    def use_case() -> None:
        calls.append(1)
        raise Conflict("not a race")

    with pytest.raises(Conflict, match="not a race"):
        retry_on_race(use_case)
    assert len(calls) == 1


def test_end_read_releases_a_read_without_writing(session) -> None:
    UserFactory()
    session.get(User, 1)
    end_read(session)
    assert not session.in_transaction()
