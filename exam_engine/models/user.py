"""Accounts and roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from exam_engine.domain.vocabulary import Role, sql_in, values
from exam_engine.models.base import Base, utcnow

ROLES = values(Role)
# Not a column: set per request on the loaded object, never stored with the user.
SESSION_KEY_ATTRIBUTE = "_login_session_key"


class User(Base):
    """A person who signs in: candidate, instructor or admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(sql_in("role", Role), name="role"),
        CheckConstraint("time_multiplier >= 1.0 AND time_multiplier <= 4.0", name="multiplier"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.CANDIDATE)
    # Accommodation set by an admin: it stretches the mocks the user starts on their own.
    # An assigned mock uses the cohort membership's multiplier instead (models/cohort.py).
    time_multiplier: Mapped[float] = mapped_column(default=1.0)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set for accounts made with a one-time password (roster uploads): the first thing the
    # person does after signing in is choose their own, since an instructor has seen this one.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # False from self-registration until the owner follows the mailed link. Accounts made by
    # staff, the CLI, a roster or the demo are verified as made: their maker vouches for them.
    email_verified: Mapped[bool] = mapped_column(default=True, server_default=true())
    last_login_at: Mapped[datetime | None]
    # An IANA zone name (Europe/Paris) that every time on the user's pages is shown in; set
    # from the browser on the first page after sign-in, changeable on the account page.
    time_zone: Mapped[str | None] = mapped_column(String(64))

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        """Every loaded user is authenticated; anonymous users are another class."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """A stored user is never anonymous."""
        return False

    def get_id(self) -> str:
        """Return what Flask-Login keeps in the cookie: the key of the server-side session.

        The key is attached at sign-in and by the session loader (see services/login_sessions);
        ending that stored session (logout, password change, deactivation) makes the cookie
        worthless, even a copy taken before.
        """
        key = self.__dict__.get(SESSION_KEY_ATTRIBUTE)
        if key is None:
            raise RuntimeError(f"user {self.id} has no server-side session attached")
        return str(key)

    def attach_session(self, key: str) -> None:
        """Remember (in memory only) the server-side session this object was loaded for."""
        self.__dict__[SESSION_KEY_ATTRIBUTE] = key

    def has_role(self, *roles: str) -> bool:
        """Tell whether the user holds one of ``roles`` (admins hold every role)."""
        return self.role == Role.ADMIN or self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"
