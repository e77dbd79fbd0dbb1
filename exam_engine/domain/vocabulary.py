"""The engine's fixed vocabulary: statuses, roles, kinds and modes as string enums.

Members are ``str`` subclasses, so they compare equal to the stored text, serialise to JSON as
it and render in templates as it. Model check constraints are built from these enums
(:func:`sql_in`), so the database, the queries and the forms cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    """An account's role in the whole app."""

    CANDIDATE = "candidate"
    INSTRUCTOR = "instructor"
    ADMIN = "admin"


class CohortRole(StrEnum):
    """A member's role in one cohort."""

    INSTRUCTOR = "instructor"
    STUDENT = "student"


class InvitationStatus(StrEnum):
    """Where a cohort invitation is: waiting for its person, or answered."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class AttemptStatus(StrEnum):
    """Where an attempt is: open, or finished by a submit or by the clock."""

    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    EXPIRED = "expired"


# An attempt is finished once submitted or expired; both are graded.
FINISHED: tuple[AttemptStatus, ...] = (AttemptStatus.SUBMITTED, AttemptStatus.EXPIRED)


class AttemptKind(StrEnum):
    """What an attempt is for: only mocks count as seen items, scores and item statistics."""

    MOCK = "mock"
    DRILL = "drill"
    REVIEW = "review"


class Verdict(StrEnum):
    """The scorecard's answer to "am I ready?" (rule in exam_engine.domain.verdict)."""

    READY = "ready"
    BORDERLINE = "borderline"
    NOT_READY = "not ready"


class ReviewResult(StrEnum):
    """How a reviewed item went: the answer review filters and marks items by these."""

    CORRECT = "correct"
    WRONG = "wrong"
    UNANSWERED = "unanswered"
    FLAGGED = "flagged"


class Mode(StrEnum):
    """A template's mode: a timed exam (feedback at the end) or untimed practice."""

    EXAM = "exam"
    PRACTICE = "practice"


class VersionStatus(StrEnum):
    """A question version's place in the authoring workflow (see ``domain.workflow``)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETIRED = "retired"


class Difficulty(StrEnum):
    """An item's authored difficulty."""

    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class ScoreScale(StrEnum):
    """How cohort pages show a score: percent correct, or ability on the calibrated scale."""

    PERCENT = "percent"
    ABILITY = "ability"


class JobStatus(StrEnum):
    """Where a background job is: waiting in the queue, running, or finished either way."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def values(members: Iterable[StrEnum]) -> tuple[str, ...]:
    """The plain string values of enum members, in order."""
    return tuple(member.value for member in members)


def sql_in(column: str, members: Iterable[StrEnum]) -> str:
    """A SQL check such as ``status IN ('draft', 'published')`` (values are fixed identifiers)."""
    listed = ", ".join(f"'{value}'" for value in values(members))
    return f"{column} IN ({listed})"
