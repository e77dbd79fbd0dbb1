"""Account services: creation rules, duplicates, authentication."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from exam_engine.models import AuditEvent, LoginSession, User, utcnow
from exam_engine.services import accounts, admin_accounts, login_sessions
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
        ("x@example.com", "short", "candidate", "at least 12"),
        ("x@example.com", "password1234", "candidate", "too easy to guess.*very common"),
        ("lucy.liddell@example.com", "lucy.liddell@example.com", "candidate", "your email address"),
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
    admin = accounts.create_user(session, "boss@example.com", "long-enough-pw", role="admin")
    user = accounts.create_user(session, "e@example.com", "long-enough-pw")
    changed = admin_accounts.set_account_multiplier(session, admin.id, user.id, 1.5)
    assert changed.time_multiplier == 1.5
    with pytest.raises(ValidationFailed, match="between 1.0 and 4.0"):
        admin_accounts.set_account_multiplier(session, admin.id, user.id, 9)


def test_change_password_rehashes_and_ends_every_session_but_the_kept_one(session) -> None:
    user = accounts.create_user(session, "p@example.com", "long-enough-pw")
    old_hash = user.password_hash
    kept, other = (login_sessions.start_session(session, user.id) for _ in range(2))
    accounts.change_password(session, user.id, "long-enough-pw", "another-long-pw", keep=kept)
    session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    assert user.password_hash != old_hash
    assert login_sessions.load_user(session, kept).id == user.id
    assert login_sessions.load_user(session, other) is None
    assert accounts.authenticate(session, "p@example.com", "another-long-pw").id == user.id
    with pytest.raises(accounts.InvalidCredentials):
        accounts.authenticate(session, "p@example.com", "long-enough-pw")


def test_load_user_reads_the_session_and_its_user_in_one_statement(session) -> None:
    user = accounts.create_user(session, "one@example.com", "long-enough-pw")
    key = login_sessions.start_session(session, user.id)
    session.expunge_all()  # as at the start of a request: nothing in the identity map
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    bind = session.connection()
    event.listen(bind, "before_cursor_execute", count)
    try:
        loaded = login_sessions.load_user(session, key)
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert loaded is not None and loaded.email == "one@example.com"
    assert len(statements) == 1, statements


def test_ended_sessions_are_deleted_for_everyone_and_live_ones_kept(session) -> None:
    now = utcnow()
    one = accounts.create_user(session, "idle@example.com", "long-enough-pw")
    two = accounts.create_user(session, "old@example.com", "long-enough-pw")
    # Live first: starting a session deletes that user's sessions ended by then.
    live = login_sessions.start_session(session, two.id, now=now - timedelta(minutes=5))
    idle = login_sessions.start_session(session, one.id, now=now - timedelta(hours=2))
    old = login_sessions.start_session(session, two.id, now=now - timedelta(hours=13))
    assert login_sessions.end_expired_sessions(session, now=now) == 2
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 1
    assert login_sessions.load_user(session, live, now=now).id == two.id
    assert login_sessions.load_user(session, idle, now=now) is None
    assert login_sessions.load_user(session, old, now=now) is None
    assert login_sessions.end_expired_sessions(session, now=now) == 0


def test_set_password_is_checked_against_the_account_and_ends_all_its_sessions(session) -> None:
    user = accounts.create_user(session, "ruth.baker@example.com", "long-enough-pw", name="Ruth")
    key = login_sessions.start_session(session, user.id)
    other_user = accounts.create_user(session, "o@example.com", "long-enough-pw")
    others = login_sessions.start_session(session, other_user.id)
    with pytest.raises(
        ValidationFailed, match="^password: too easy.*your email address or your name"
    ):
        accounts.set_password(session, user.id, "ruthbaker-example")
    assert login_sessions.load_user(session, key) is not None  # a refusal ends nothing
    accounts.set_password(session, user.id, "a-sturdy-new-passphrase", summary="reset by email")
    assert login_sessions.load_user(session, key) is None
    assert login_sessions.load_user(session, others).id == other_user.id
    event = session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(user.id))).one()
    assert (event.action, event.summary) == ("account.password", "reset by email")


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(session) -> None:
    admin = accounts.create_user(session, "boss@example.com", "long-enough-pw", role="admin")
    user = accounts.create_user(session, "q@example.com", "long-enough-pw")
    key = login_sessions.start_session(session, user.id)
    admin_accounts.set_active(session, admin.id, user.id, active=False)
    assert login_sessions.load_user(session, key) is None
    admin_accounts.set_active(session, admin.id, user.id, active=True)
    assert login_sessions.load_user(session, key) is None
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["account.deactivate", "account.reactivate"]
    with pytest.raises(NotFound):
        admin_accounts.set_active(session, admin.id, user.id + 100, active=False)


@pytest.mark.parametrize(
    ("current", "new", "error", "message"),
    [
        ("wrong-password", "another-long-pw", accounts.InvalidCredentials, "^current_password:"),
        ("long-enough-pw", "long-enough-pw", ValidationFailed, "^new_password: must differ"),
        ("long-enough-pw", "short", ValidationFailed, "^new_password: must be at least 12"),
        ("long-enough-pw", "p@example.com-pw", ValidationFailed, "^new_password: too easy"),
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
