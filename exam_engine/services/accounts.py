"""Account use cases: register, authenticate, set passwords, create, deactivate, accommodations."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.domain.moments import is_zone_name
from exam_engine.domain.vocabulary import Role
from exam_engine.models import ROLES, User, utcnow
from exam_engine.services import audit, login_sessions
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from exam_engine.services.password_strength import MIN_LENGTH, check_password
from exam_engine.services.passwords import dummy_hash, hash_password, verify_password
from exam_engine.services.transaction import transaction

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = MIN_LENGTH


class InvalidCredentials(ValidationFailed):
    """Wrong email or password (the message never says which)."""

    status = 401


def normalize_email(email: str) -> str:
    """Trim and lowercase an email, or raise ValidationFailed when it is not one."""
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationFailed(f"email: {email!r} is not a valid email address")
    return email


def check_password_rules(
    password: str, email: str = "", name: str = "", field: str = "password"
) -> None:
    """Raise ValidationFailed ("field: why") when a password is too weak for this account."""
    check_password(password, email, name, field)


def create_user(
    session: Session,
    email: str,
    password: str,
    *,
    role: str = Role.CANDIDATE,
    name: str = "",
    time_multiplier: float = 1.0,
) -> User:
    """Create and commit a user; raise Conflict for a duplicate email."""
    user = new_user(session, email, password, role=role, name=name, time_multiplier=time_multiplier)
    # Two registrations racing for one email: the unique constraint decides.
    with transaction(session, conflict=f"email: an account for {user.email} already exists"):
        session.add(user)
    return user


def new_user(
    session: Session,
    email: str,
    password: str,
    *,
    role: str = Role.CANDIDATE,
    name: str = "",
    time_multiplier: float = 1.0,
    verified: bool = True,
) -> User:
    """Return a checked, unsaved user; raise Conflict when the email is taken.

    :param verified: False for self-registration, until the owner follows the mailed link.
    """
    email = normalize_email(email)
    if role not in ROLES:
        raise ValidationFailed(f"role: {role!r} is not one of {', '.join(ROLES)}")
    check_password_rules(password, email, name)
    if not 1.0 <= time_multiplier <= 4.0:
        raise ValidationFailed("time multiplier: must be between 1.0 and 4.0")
    if find_user(session, email) is not None:
        raise Conflict(f"email: an account for {email} already exists")
    return User(
        email=email,
        name=name.strip()[:120],
        password_hash=hash_password(password),
        role=role,
        time_multiplier=time_multiplier,
        email_verified=verified,
    )


def register_candidate(session: Session, email: str, password: str, name: str = "") -> User:
    """Self-registration always creates a candidate."""
    return create_user(session, email, password, role=Role.CANDIDATE, name=name)


def find_user(session: Session, email: str) -> User | None:
    """Return the user with this email (case-insensitive), if any."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def authenticate(session: Session, email: str, password: str) -> User:
    """Return the user for valid credentials, else raise InvalidCredentials."""
    user = find_user(session, email or "")
    if user is None or not user.is_active:
        verify_password(dummy_hash(), password or "")
        raise InvalidCredentials("Invalid email or password.")
    if not verify_password(user.password_hash, password or ""):
        raise InvalidCredentials("Invalid email or password.")
    with transaction(session):
        user.last_login_at = utcnow()
    return user


def apply_new_password(
    session: Session, user: User, new: str, *, keep: str | None = None, field: str = "password"
) -> None:
    """Set a user's password in the caller's transaction: the one way a password changes.

    Checks the rules against the account's own email and name, clears a one-time password's
    flag and ends the user's sessions, all but ``keep`` (a session key) if given. A password
    change and a password reset both come through here.
    """
    check_password_rules(new, user.email, user.name, field)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    login_sessions.drop_sessions(session, user.id, keep)


def set_password(
    session: Session,
    user_id: int,
    new: str,
    *,
    keep: str | None = None,
    summary: str = "password set",
) -> User:
    """Set a user's password and end their sessions (but ``keep``), audited, in one commit."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(f"user {user_id} not found")
    with transaction(session):
        apply_new_password(session, user, new, keep=keep)
        audit.record(session, user.id, "account.password", "user", user.id, summary)
    return user


def change_password(
    session: Session, user_id: int, current: str, new: str, *, keep: str | None = None
) -> User:
    """Replace a user's password once the current one is proven; record it in the audit trail.

    Every session of the user ends but ``keep`` (none by default: the caller starts a new
    one). Errors name the form field they belong to (``current_password: ...``).
    """
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(f"user {user_id} not found")
    if not verify_password(user.password_hash, current or ""):
        raise InvalidCredentials("current_password: that is not your current password")
    if new == current:
        raise ValidationFailed("new_password: must differ from your current password")
    with transaction(session):
        apply_new_password(session, user, new, keep=keep, field="new_password")
        audit.record(
            session,
            user.id,
            "account.password",
            "user",
            user.id,
            f"{user.email} changed their password",
        )
    return user


def set_time_zone(
    session: Session, user_id: int, name: str, *, only_if_unset: bool = False
) -> bool:
    """Set the zone a user's pages show times in; tell whether it changed.

    :param only_if_unset: for the browser's own report, which must never overwrite a zone
        the user chose on the account page.
    """
    name = name.strip()
    if not is_zone_name(name):
        raise ValidationFailed(
            f"time_zone: {name[:64]!r} is not a time zone name such as Europe/Paris"
        )
    with transaction(session):
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        if (only_if_unset and user.time_zone) or user.time_zone == name:
            return False
        user.time_zone = name
    return True
