"""Account services: creation rules, duplicates, authentication."""

from __future__ import annotations

import pytest

from exam_engine.models import User
from exam_engine.services import accounts
from exam_engine.services.errors import Conflict, ValidationFailed


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
