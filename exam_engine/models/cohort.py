"""Bootcamp cohorts, their members and their assigned mocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_engine.domain.vocabulary import CohortRole, InvitationStatus, sql_in
from exam_engine.models.base import Base, utcnow
from exam_engine.models.user import User


class Cohort(Base):
    """A group of students taught by one or more instructors."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    join_code_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's place in a cohort, as instructor or student."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id"),
        CheckConstraint(sql_in("role", CohortRole), name="role"),
        CheckConstraint("time_multiplier >= 1.0 AND time_multiplier <= 4.0", name="multiplier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=CohortRole.STUDENT)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Accommodation set by the cohort's instructors: it stretches this cohort's assigned mocks
    # only, so an instructor never changes the time a student gets anywhere else.
    time_multiplier: Mapped[float] = mapped_column(default=1.0, server_default=text("1.0"))

    cohort: Mapped[Cohort] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class Assignment(Base):
    """An exam template a cohort must sit between two times."""

    __tablename__ = "assignments"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("exam_templates.id", ondelete="RESTRICT"))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PreparedForm(Base):
    """A student's form of an assigned mock, assembled before the window so Start only stamps it.

    It holds version ids and option orders, never a key; it is nobody's attempt, so it counts
    neither as seen nor as exposure anywhere but in preparing the same assignment's forms.
    """

    __tablename__ = "prepared_forms"
    __table_args__ = (UniqueConstraint("assignment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    seed: Mapped[int]
    # [[position, version_id, question_id, option_order], ...]: one compact value, not 90 rows.
    items: Mapped[list[Any]]
    # The published bank's fingerprint and the template's digest when it was assembled.
    bank_fingerprint: Mapped[str] = mapped_column(String(64))
    template_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortInvitation(Base):
    """A roster line waiting for its person to accept (or decline) a place in the cohort.

    It is matched to an account by email, so it also waits for someone who has no account
    yet; nobody is enrolled without saying yes.
    """

    __tablename__ = "cohort_invitations"
    __table_args__ = (
        UniqueConstraint("cohort_id", "email"),
        CheckConstraint(sql_in("status", InvitationStatus), name="status"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(20), default=InvitationStatus.PENDING)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]

    cohort: Mapped[Cohort] = relationship()
