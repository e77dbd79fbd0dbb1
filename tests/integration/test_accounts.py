"""Account services: creation rules, duplicates, authentication."""

from __future__ import annotations

import pytest

from exam_engine.models import User
from exam_engine.services import accounts
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed


def test_create_user_hashes_with_argon2(session) -> None:
    user = accounts.create_user(session, "New@Example.com ", "long-enough-pw", role="instructor")
    assert user.email == "new@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert "long-enough-pw" not in user.password_hash


def test_duplicate_email_is_a_conflict_case_insensitively(session) -> None:
    accounts.create_user(session, "a@example.com", "long-enough-pw")
    with pytest.raises(Conflict, match="already exists"):
        accounts.create_user(session, "A@EXAMPLE.COM", "long-enough-pw")
    assert session.query(User).count() == 1


@pytest.mark.parametrize(
    ("email", "password", "role", "message"),
    [
        ("not-an-email", "long-enough-pw", "candidate", "not a valid email"),
        ("x@example.com", "short", "candidate", "at least 10"),
        ("x@example.com", "long-enough-pw", "wizard", "'wizard' is not one of"),
    ],
)
def test_bad_input_is_refused_with_reason(session, email, password, role, message) -> None:
    with pytest.raises(ValidationFailed, match=message):
        accounts.create_user(session, email, password, role=role)
    assert session.query(User).count() == 0


def test_authenticate(session) -> None:
    accounts.create_user(session, "c@example.com", "long-enough-pw")
    assert (
        accounts.authenticate(session, "C@example.com", "long-enough-pw").email == "c@example.com"
    )
    with pytest.raises(accounts.InvalidCredentials, match="Invalid email or password"):
        accounts.authenticate(session, "c@example.com", "wrong-password")
    with pytest.raises(accounts.InvalidCredentials, match="Invalid email or password"):
        accounts.authenticate(session, "nobody@example.com", "long-enough-pw")


def test_inactive_user_cannot_sign_in(session) -> None:
    user = accounts.create_user(session, "d@example.com", "long-enough-pw")
    user.is_active = False
    session.commit()
    with pytest.raises(accounts.InvalidCredentials):
        accounts.authenticate(session, "d@example.com", "long-enough-pw")


def test_time_multiplier(session) -> None:
    user = accounts.create_user(session, "e@example.com", "long-enough-pw")
    assert accounts.set_time_multiplier(session, user.id, 1.5).time_multiplier == 1.5
    with pytest.raises(ValidationFailed, match="between 1.0 and 4.0"):
        accounts.set_time_multiplier(session, user.id, 9)


def test_change_password_rehashes_and_changes_the_session_id(session) -> None:
    user = accounts.create_user(session, "p@example.com", "long-enough-pw")
    old_hash, old_id = user.password_hash, user.get_id()
    accounts.change_password(session, user.id, "long-enough-pw", "another-long-pw")
    session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    assert user.password_hash != old_hash
    assert user.get_id().startswith(f"{user.id}.")
    assert user.get_id() != old_id
    assert user.matches_session_id(user.get_id())
    assert not user.matches_session_id(old_id)
    assert accounts.authenticate(session, "p@example.com", "another-long-pw").id == user.id
    with pytest.raises(accounts.InvalidCredentials):
        accounts.authenticate(session, "p@example.com", "long-enough-pw")


@pytest.mark.parametrize(
    ("current", "new", "error", "message"),
    [
        ("wrong-password", "another-long-pw", accounts.InvalidCredentials, "^current_password:"),
        ("long-enough-pw", "long-enough-pw", ValidationFailed, "^new_password: must differ"),
        ("long-enough-pw", "short", ValidationFailed, "at least 10"),
    ],
)
def test_change_password_refusals_leave_the_hash_alone(
    session, current, new, error, message
) -> None:
    user = accounts.create_user(session, "p@example.com", "long-enough-pw")
    before = user.password_hash
    with pytest.raises(error, match=message):
        accounts.change_password(session, user.id, current, new)
    session.rollback()
    session.refresh(user)
    assert user.password_hash == before


def test_change_password_of_a_missing_or_inactive_user_is_not_found(session) -> None:
    user = accounts.create_user(session, "p@example.com", "long-enough-pw")
    user.is_active = False
    session.commit()
    for user_id in (user.id, user.id + 1):
        with pytest.raises(NotFound):
            accounts.change_password(session, user_id, "long-enough-pw", "another-long-pw")
