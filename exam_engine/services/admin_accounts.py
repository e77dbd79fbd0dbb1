"""Account administration: list and search accounts, change a role, deactivate, reactivate,
and set an account's own time multiplier. Every change is an audit event.

The caller must be an active admin (checked here, not only by the view). No change may
leave the site without an active admin: an admin cannot demote or deactivate the last one,
themself included.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from exam_engine.domain.vocabulary import Role
from exam_engine.models import ROLES, User
from exam_engine.services import audit, login_sessions
from exam_engine.services.errors import Conflict, NotFound, ValidationFailed
from exam_engine.services.transaction import transaction

PER_PAGE = 25
QUERY_MAX = 254


@dataclass(frozen=True)
class AccountPage:
    """One page of the account list."""

    accounts: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Return how many pages the list has (at least one)."""
        return max(1, -(-self.total // self.per_page))


def _acting_admin(session: Session, admin_id: int) -> User:
    admin = session.get(User, admin_id)
    if admin is None or not admin.is_active or admin.role != Role.ADMIN:
        # The view lets only admins through; this keeps the use case safe on its own.
        raise NotFound(f"user {admin_id} not found")
    return admin


def _target(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def _search(query: str) -> Select[tuple[User]]:
    statement = select(User)
    words = (query or "").strip()
    if words:
        if len(words) > QUERY_MAX:
            raise ValidationFailed(f"q: a search is at most {QUERY_MAX} characters")
        # LIKE wildcards typed by the admin are matched literally.
        escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        statement = statement.where(
            or_(
                User.email.like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
            )
        )
    return statement


def list_accounts(
    session: Session, admin_id: int, *, query: str = "", page: int = 1, per_page: int = PER_PAGE
) -> AccountPage:
    """Return one page of accounts whose email or name contains ``query``, by email."""
    _acting_admin(session, admin_id)
    if page < 1:
        raise ValidationFailed("page: pages are numbered from 1")
    statement = _search(query)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.scalars(
        statement.order_by(User.email).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return AccountPage(list(rows), total, page, per_page)


def _ensure_an_admin_remains(session: Session, leaving: User) -> None:
    """Refuse a change that would take the last active admin away."""
    if leaving.role != Role.ADMIN or not leaving.is_active:
        return
    # Lock the admin rows (PostgreSQL) so two admins demoting each other cannot both pass.
    others = session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != leaving.id)
        .with_for_update()
    ).all()
    if not others:
        raise Conflict("this is the only active admin account; make another admin first")


def change_role(session: Session, admin_id: int, user_id: int, role: str) -> User:
    """Give an account another role (candidate, instructor or admin)."""
    if role not in ROLES:
        raise ValidationFailed(f"role: {role!r} is not one of {', '.join(ROLES)}")
    with transaction(session):
        _acting_admin(session, admin_id)
        user = _target(session, user_id)
        if user.role == role:
            return user
        if role != Role.ADMIN:
            _ensure_an_admin_remains(session, user)
        before = user.role
        user.role = role
        audit.record(
            session,
            admin_id,
            "account.role",
            "user",
            user.id,
            f"role changed from {before} to {role}",
            details={"from": before, "to": role},
        )
    return user


def set_active(session: Session, admin_id: int, user_id: int, *, active: bool) -> User:
    """Deactivate an account (its sessions stop working at once) or reactivate it."""
    with transaction(session):
        _acting_admin(session, admin_id)
        user = _target(session, user_id)
        if user.is_active == active:
            return user
        if not active:
            _ensure_an_admin_remains(session, user)
            # Stored sessions go too, so a reactivation does not revive an old cookie.
            login_sessions.drop_sessions(session, user.id)
        user.is_active = active
        audit.record(
            session,
            admin_id,
            "account.reactivate" if active else "account.deactivate",
            "user",
            user.id,
            "account reactivated" if active else "account deactivated",
        )
    return user


def set_account_multiplier(
    session: Session, admin_id: int, user_id: int, multiplier: float
) -> User:
    """Set the account's own time multiplier (1.0-4.0): it times every unassigned mock."""
    if not 1.0 <= multiplier <= 4.0:
        raise ValidationFailed("time multiplier: must be between 1.0 and 4.0")
    with transaction(session):
        _acting_admin(session, admin_id)
        user = _target(session, user_id)
        before = user.time_multiplier
        user.time_multiplier = multiplier
        audit.record(
            session,
            admin_id,
            "account.time_multiplier",
            "user",
            user.id,
            f"account time multiplier set from {before:g} to {multiplier:g}",
            details={"from": before, "to": multiplier},
        )
    return user
